#!/usr/bin/env bash
# Runs the Deno test suite with loopback-only network access and prints the closing line
# CI reads: "tests: N passed, N failed, N skipped". Exits non-zero when any test failed.
set -uo pipefail
cd "$(dirname "$0")/.."
DENO="${DENO:-node_modules/.bin/deno}"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
NO_COLOR=1 "$DENO" test \
  --allow-net=127.0.0.1,localhost,[::1] \
  --allow-read --allow-write --allow-env --allow-run \
  "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
summary="$(grep -E '^(ok|FAILED) \| [0-9]+ passed' "$log" | tail -n 1)"
passed="$(sed -nE 's/.*\| ([0-9]+) passed.*/\1/p' <<<"$summary")"
failed="$(sed -nE 's/.*\| ([0-9]+) failed.*/\1/p' <<<"$summary")"
ignored="$(sed -nE 's/.*\| ([0-9]+) ignored.*/\1/p' <<<"$summary")"
echo
echo "tests: ${passed:-0} passed, ${failed:-0} failed, ${ignored:-0} skipped"
if [ -z "$summary" ] && [ "$status" -eq 0 ]; then
  echo "no test summary found" >&2
  exit 1
fi
exit "$status"
