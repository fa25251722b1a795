#!/usr/bin/env bash
# The test command of the README (`make test`): builds the facegate binary once,
# installs the npm SkyBiometry client used by the compatibility tests, runs
# every Go test (unit, Rego policy tests, end-to-end against the real binary)
# and a short fuzz pass over every parser that sees client bytes.
set -euo pipefail
cd "$(dirname "$0")/.."

# A count, not a duration: with a duration -fuzztime, Go 1.26's fuzz
# coordinator can report a spurious "context deadline exceeded" failure at the
# deadline (golang/go#75804), which a loaded CI machine hits now and then.
FUZZTIME=${FUZZTIME:-20000x}

echo "== build"
go build -o bin/facegate ./xcaddy
export FACEGATE_BIN="$PWD/bin/facegate"

echo "== npm clients"
(cd tests/e2e/node && npm ci --no-audit --no-fund --loglevel=error)

echo "== go test"
go test -count=1 -timeout 30m ./... 2>&1 | tee /tmp/facegate-go-test.log

echo "== fuzz (short, ${FUZZTIME} each)"
# Every `func Fuzz...` in the repo, one target at a time.
grep -rl --include='*_test.go' '^func Fuzz' engine plugin policies 2>/dev/null | while read -r f; do
	pkg="./$(dirname "$f")"
	for target in $(grep -o '^func Fuzz[A-Za-z0-9_]*' "$f" | sed 's/^func //'); do
		echo "-- $pkg $target"
		go test -run='^$' -fuzz="^${target}\$" -fuzztime="$FUZZTIME" "$pkg"
	done
done
echo "== all tests passed"
