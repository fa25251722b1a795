#!/bin/sh
# Re-derives the face-api model files in this folder from the pinned npm package and checks
# their sha256 sums against NOTICE. Usage: sh engine/models/faceapi/fetch.sh [--check]
# With --check the files are only compared, nothing in this folder is written.
set -eu
PKG=@vladmandic/face-api@1.7.15
DIR=$(cd "$(dirname "$0")" && pwd)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
MODELS="face_recognition_model face_landmark_68_model age_gender_model face_expression_model ssd_mobilenetv1_model"
(cd "$TMP" && npm pack --silent "$PKG" >/dev/null && tar xzf ./*.tgz)
for m in $MODELS; do
  for f in "$m.bin" "$m-weights_manifest.json"; do
    want=$(grep " $f\$" "$DIR/NOTICE" | awk '{print $1}')
    got=$(sha256sum "$TMP/package/model/$f" | awk '{print $1}')
    if [ "$want" != "$got" ]; then
      echo "sha256 mismatch for $f: NOTICE $want, package $got" >&2
      exit 1
    fi
    if [ "${1:-}" = "--check" ]; then
      cmp -s "$TMP/package/model/$f" "$DIR/$f" || { echo "$f differs from the package" >&2; exit 1; }
    else
      cp "$TMP/package/model/$f" "$DIR/$f"
    fi
  done
done
echo "ok: model files match $PKG"
