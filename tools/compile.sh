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
if [ -n "$SCOPE" ]; then
  FILES=(--allow-read="$SCOPE" --allow-write="$SCOPE")
else
  FILES=(--allow-read --allow-write)
fi
# The programs each platform runs: its browser openers (lib/cli/browser_opener.ts) and, on
# Linux, ss to learn who connects to the loopback server (lib/loopback/peer_owner.ts).
openers() {
  case "$1" in
    *linux*) echo xdg-open,wslview,rundll32.exe,ss ;;
    *apple*) echo open ;;
    *windows*) echo rundll32 ;;
  esac
}

mkdir -p dist
outputs=()
for target in $TARGETS; do
  out="dist/codex-login-${VERSION}-${target}"
  case "$target" in *windows*) out="${out}.exe" ;; esac
  # shellcheck disable=SC2054 # the commas are inside single flag values
  PERMISSIONS=(
    --allow-net=127.0.0.1:1455,127.0.0.1:1457,auth.openai.com,api.openai.com
    "${FILES[@]}"
    --allow-env=CODEX_HOME,HOME,USERPROFILE,BROWSER,WSL_DISTRO_NAME,CODEX_INTERNAL_ORIGINATOR_OVERRIDE,CODEX_CA_CERTIFICATE,SSL_CERT_FILE,HTTPS_PROXY,https_proxy,HTTP_PROXY,http_proxy,ALL_PROXY,all_proxy,NO_PROXY,no_proxy
    --allow-run="$(openers "$target")"
  )
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
