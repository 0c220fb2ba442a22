#!/usr/bin/env bash
# Runs the Deno test suite (tests/ and its folders, then the library's doc examples) and prints
# the closing line CI reads:
#   tests: N passed, N failed, N skipped
# Product tests run with network access limited to loopback. The browser suite runs in a
# second invocation with --allow-all, because playwright-core probes /proc (which Deno only
# allows under --allow-all); the browser's own requests are still confined to loopback by
# the suite's request interception. Exits non-zero when any test failed.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
DENO="${DENO:-node_modules/.bin/deno}"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
status=0

# Module tests live in folders mirroring lib/ (tests/base/, tests/cli/commands/, ...); the
# whole-program suites (e2e_*, stress_*, interop_*, chromium_*) at the top of tests/.
mapfile -t browser_tests < <(ls tests/chromium_*_test.ts 2>/dev/null)
mapfile -t all_tests < <(find tests -name '*_test.ts' -not -path 'tests/support/*' \
  -not -path 'tests/fixtures/*' -not -path '*/node_modules/*' | LC_ALL=C sort)
other_tests=()
for test in "${all_tests[@]}"; do
  case "$test" in tests/chromium_*) ;; *) other_tests+=("$test") ;; esac
done
mapfile -t e2e_tests < <(ls tests/e2e_*_test.ts)

# Independent test files run two at a time (DENO_JOBS; the fixed-port ones each in a network
# namespace of their own). PARALLEL=0 runs them one by one.
parallel=--parallel
[ "${PARALLEL:-1}" = 0 ] && parallel=
deno_args=("$@")
# deno test FILE... with the product's grants (network on loopback only), logged; a variable
# set on the call (CODEX_LOGIN_ENTRY, CODEX_LOGIN_COMMAND) says what the CLI tests run against.
product_tests() {
  NO_COLOR=1 "$DENO" test $parallel \
    "--allow-net=127.0.0.1,[::1],localhost,issuer.test" \
    --allow-read --allow-write --allow-env --allow-run --allow-ffi \
    "${deno_args[@]}" "$@" 2>&1 | tee -a "$log"
  [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
}
product_tests "${other_tests[@]}"

# Every doc example in the library runs and asserts (node:assert).
NO_COLOR=1 "$DENO" test --doc \
  --allow-net=127.0.0.1,localhost --allow-read --allow-write --allow-env \
  "$@" mod.ts lib/ 2>&1 | tee -a "$log"
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1

# The end-to-end CLI tests again, against the single-file bundle (make bundle), then against the
# installed command (make install into a temporary prefix, run with PATH=/usr/bin:/bin and its
# launcher's own grants) and the npm-installed one, each with the interop suite: the real Codex
# reads what it wrote.
if [ -f dist/codex-login.js ]; then
  CODEX_LOGIN_ENTRY="$PWD/dist/codex-login.js" product_tests "${e2e_tests[@]}"
  prefix="$(mktemp -d)"
  chmod 755 "$prefix" # the other-user tests run it as uid 65534 too
  if sh tools/make_install.sh install "$prefix/p" >/dev/null; then
    CODEX_LOGIN_COMMAND="$prefix/p/bin/codex-login" \
      product_tests "${e2e_tests[@]}" tests/interop_codex_test.ts
  else
    echo "make install into $prefix/p failed: the installed command was not tested" | tee -a "$log"
    status=1
  fi
  # And against the npm-installed command: the package make npm-pack builds, installed with
  # npm install -g (install scripts off) from a local registry; its Node launcher runs Deno.
  if tarball="$("$DENO" run --quiet --no-prompt --allow-read=. --allow-write=dist --allow-run \
    tools/npm/pack.ts)" &&
    npm_command="$("$DENO" run --quiet --allow-all tools/npm/local_install.ts \
      --tarball "$tarball" --prefix "$prefix/npm")"; then
    CODEX_LOGIN_COMMAND="$npm_command" product_tests "${e2e_tests[@]}" tests/interop_codex_test.ts
  else
    echo "npm install -g into $prefix/npm failed: the npm-installed command was not tested" |
      tee -a "$log"
    status=1
  fi
  rm -rf "$prefix"
fi

if [ "${#browser_tests[@]}" -gt 0 ]; then
  NO_COLOR=1 "$DENO" test --allow-all "$@" "${browser_tests[@]}" 2>&1 | tee -a "$log"
  [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
fi

sum() {
  grep -E '^(ok|FAILED) \| [0-9]+ passed' "$log" |
    awk -v word="$1" '{ for (i = 2; i <= NF; i++) if ($i == word) n += $(i - 1) } END { print n + 0 }'
}
runs="$(grep -cE '^(ok|FAILED) \| [0-9]+ passed' "$log")"
passed="$(sum passed)"
failed="$(sum failed)"
ignored="$(sum ignored)"
echo
echo "tests: ${passed:-0} passed, ${failed:-0} failed, ${ignored:-0} skipped"
if [ "$runs" -eq 0 ]; then
  echo "no test summary found" >&2
  exit 1
fi
exit "$status"
