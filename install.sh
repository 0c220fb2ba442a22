#!/bin/sh
# Install codex-login from a release: picks the binary for this OS and CPU, checks it against
# the release's SHA256SUMS, and installs it as PREFIX/bin/codex-login (default ~/.local).
#
#   sh install.sh [--prefix DIR] [--version X.Y.Z] [--release-url URL]
#
# The releases live at RELEASES_URL below; --release-url (or CODEX_LOGIN_RELEASE_URL) points
# elsewhere (a mirror, a company copy, a test server). Nothing is installed unless the
# checksum matches.
set -eu

RELEASES_URL="${CODEX_LOGIN_RELEASE_URL:-https://github.com/codex-login/codex-login/releases}"
prefix="${HOME:-}/.local"
version=""

fail() {
  printf 'install.sh: %s\n' "$1" >&2
  exit 1
}

while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) [ $# -ge 2 ] || fail "--prefix needs a directory"; prefix="$2"; shift 2 ;;
    --prefix=*) prefix="${1#--prefix=}"; shift ;;
    --version) [ $# -ge 2 ] || fail "--version needs a version (e.g. 0.1.0)"; version="${2#v}"; shift 2 ;;
    --version=*) version="${1#--version=}"; version="${version#v}"; shift ;;
    --release-url) [ $# -ge 2 ] || fail "--release-url needs a URL"; RELEASES_URL="$2"; shift 2 ;;
    --release-url=*) RELEASES_URL="${1#--release-url=}"; shift ;;
    -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) fail "unknown option $1 (try --help)" ;;
  esac
done

case "$(uname -s)" in
  Linux) os=unknown-linux-gnu ;;
  Darwin) os=apple-darwin ;;
  *) fail "no installer for $(uname -s): download the binary for your system from $RELEASES_URL" ;;
esac
case "$(uname -m)" in
  x86_64|amd64) arch=x86_64 ;;
  aarch64|arm64) arch=aarch64 ;;
  *) fail "no release binary for the $(uname -m) processor: see $RELEASES_URL" ;;
esac
target="$arch-$os"

if command -v curl >/dev/null 2>&1; then
  fetch() { curl -fsL --proto '=https,http' -o "$2" "$1"; }
elif command -v wget >/dev/null 2>&1; then
  fetch() { wget -q -O "$2" "$1"; }
else
  fail "needs curl or wget to download the release"
fi
if command -v sha256sum >/dev/null 2>&1; then
  sha256() { sha256sum "$1" | cut -d' ' -f1; }
elif command -v shasum >/dev/null 2>&1; then
  sha256() { shasum -a 256 "$1" | cut -d' ' -f1; }
else
  fail "needs sha256sum or shasum to check the download"
fi

if [ -n "$version" ]; then
  base="$RELEASES_URL/download/v$version"
else
  base="$RELEASES_URL/latest/download"
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT INT TERM

fetch "$base/SHA256SUMS" "$work/SHA256SUMS" ||
  fail "could not download $base/SHA256SUMS (no such release, or no network)"
asset="$(sed -n "s/^[0-9a-f]\{64\}  \(codex-login-[0-9][^ ]*-$target\)\$/\1/p" "$work/SHA256SUMS" | head -n 1)"
[ -n "$asset" ] || fail "the release has no binary for $target"
expected="$(sed -n "s/^\([0-9a-f]\{64\}\)  $asset\$/\1/p" "$work/SHA256SUMS")"
fetch "$base/$asset" "$work/$asset" || fail "could not download $base/$asset"
actual="$(sha256 "$work/$asset")"
[ "$actual" = "$expected" ] ||
  fail "checksum mismatch for $asset (expected $expected, got $actual): nothing was installed"

mkdir -p "$prefix/bin"
chmod 755 "$work/$asset"
mv -f "$work/$asset" "$prefix/bin/.codex-login.new"
mv -f "$prefix/bin/.codex-login.new" "$prefix/bin/codex-login"
echo "Installed $asset as $prefix/bin/codex-login"
case ":${PATH:-}:" in
  *":$prefix/bin:"*) ;;
  *) echo "Add $prefix/bin to your PATH to run codex-login from anywhere." ;;
esac
