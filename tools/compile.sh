#!/usr/bin/env bash
# make compile: one permission-scoped codex-login binary per target with `deno compile`,
# named codex-login-<version>-<target>, plus dist/SHA256SUMS.
#
#   TARGETS           space-separated Deno targets (default: the five release targets, or
#                     only this machine's target when DENORT_BIN is set)
#   CODEX_HOME_SCOPE  the only path the binary may read and write (default: the builder's
#                     codex home). Empty: unscoped read/write, for binaries handed to others
#                     (a compiled binary cannot expand ~ at run time, nor prompt).
#   DENORT_BIN        a local denort runtime of the same Deno version (deno compile honours
#                     it instead of downloading one)
#   DRY_RUN=1         print the commands without running them
set -euo pipefail
cd "$(dirname "$0")/.."
DENO="${DENO:-node_modules/.bin/deno}"
VERSION="$(sed -nE 's/^ *"version": *"([^"]+)".*/\1/p' deno.json | head -n 1)"
ALL_TARGETS="x86_64-unknown-linux-gnu aarch64-unknown-linux-gnu x86_64-apple-darwin aarch64-apple-darwin x86_64-pc-windows-msvc"
host_target() {
  case "$(uname -s)-$(uname -m)" in
    Linux-x86_64) echo x86_64-unknown-linux-gnu ;;
    Linux-aarch64) echo aarch64-unknown-linux-gnu ;;
    Darwin-x86_64) echo x86_64-apple-darwin ;;
    Darwin-arm64) echo aarch64-apple-darwin ;;
    *) echo x86_64-pc-windows-msvc ;;
  esac
}
if [ -n "${DENORT_BIN:-}" ]; then
  TARGETS="${TARGETS:-$(host_target)}"
else
  TARGETS="${TARGETS:-$ALL_TARGETS}"
fi
SCOPE="${CODEX_HOME_SCOPE-${CODEX_HOME:-$HOME/.codex}}"
# The grants of each target, from the one permission source (lib/base/grants.ts): the default
# loopback ports, the issuer and API hosts, SCOPE as the codex home (empty: any path), the
# variables it reads, the programs that platform runs.
target_os() {
  case "$1" in
    *linux*) echo linux ;;
    *apple*) echo darwin ;;
    *windows*) echo windows ;;
  esac
}

mkdir -p dist
outputs=()
for target in $TARGETS; do
  out="dist/codex-login-${VERSION}-${target}"
  case "$target" in *windows*) out="${out}.exe" ;; esac
  mapfile -t PERMISSIONS < <("$DENO" run --quiet --no-prompt tools/compiled_flags.ts \
    "$(target_os "$target")" "$SCOPE")
  cmd=("$DENO" compile --quiet --target "$target" --output "$out" "${PERMISSIONS[@]}" main.ts)
  echo "${cmd[*]}"
  [ "${DRY_RUN:-}" = 1 ] && continue
  if ! err="$("${cmd[@]}" 2>&1)"; then
    if grep -qiE 'dns|lookup|download|connect|denort|network|error sending request' <<<"$err"; then
      echo "make compile: deno compile needs the denort runtime for $target, which it downloads from Deno's release server (unreachable here); set DENORT_BIN to a denort of Deno $("$DENO" --version | head -n 1 | cut -d' ' -f2) for that target, or build on a machine with internet access." >&2
    else
      echo "make compile: deno compile failed for $target: $(head -n 1 <<<"$err")" >&2
    fi
    exit 1
  fi
  outputs+=("$out")
done
[ "${DRY_RUN:-}" = 1 ] && exit 0
(cd dist && sha256sum "${outputs[@]#dist/}" > SHA256SUMS)
echo "Wrote ${outputs[*]} and dist/SHA256SUMS"
