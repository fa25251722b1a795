#!/bin/sh
# Re-derive the pigo cascades committed here from the pinned Go module and check their sums.
#   sh engine/models/pigo/fetch.sh        (from anywhere; needs the go tool and the module proxy)
set -eu
VERSION=v1.4.6
HERE=$(cd "$(dirname "$0")" && pwd)
DIR=$(go mod download -json "github.com/esimov/pigo@$VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
[ -n "$DIR" ] || { echo "fetch.sh: go mod download gave no Dir" >&2; exit 1; }
cp "$DIR/cascade/facefinder" "$DIR/cascade/puploc" "$HERE/"
for lp in lp81 lp82 lp93; do
	cp "$DIR/cascade/lps/$lp" "$HERE/$lp"
done
chmod 644 "$HERE"/facefinder "$HERE"/puploc "$HERE"/lp*
cd "$HERE" && sha256sum -c SHA256SUMS
