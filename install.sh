#!/bin/sh
# Install codex-login from a release: picks the binary for this OS and CPU, checks it against
# the release's SHA256SUMS, and installs it as PREFIX/bin/codex-login. usage() below is the
# help text (`sh install.sh --help`, also when the script arrives on a pipe).
#
# The releases live at RELEASES_URL below; --release-url (or CODEX_LOGIN_RELEASE_URL) points
# elsewhere (a mirror, a company copy, a test server). Nothing is installed unless the
# checksum matches. Nothing downloaded is ever run or turned into a program: SHA256SUMS is
# read with a fixed awk program and its asset name must have the shape of a release binary.
set -eu
LC_ALL=C
export LC_ALL

# The release URL, shown without any user:password it carries.
shown() {
  case "$1" in
    *://*@*)
      rest="${1#*://}"
      authority="${rest%%/*}"
      case "$authority" in
        *@*) printf '%s://***@%s%s' "${1%%://*}" "${authority##*@}" "${rest#"$authority"}" ;;
        *) printf '%s' "$1" ;;
      esac ;;
    *) printf '%s' "$1" ;;
  esac
}

# The one place the release address lives (tests/readme_test.ts reads this line).
RELEASES_URL="${CODEX_LOGIN_RELEASE_URL:-https://github.com/codex-login/codex-login/releases}"
url_from=""
like=", like $RELEASES_URL" # an example for messages, unless it came from the environment
if [ -n "${CODEX_LOGIN_RELEASE_URL:-}" ]; then
  url_from=CODEX_LOGIN_RELEASE_URL
  like=" (the address under which latest/download/ and download/vX.Y.Z/ are)"
fi
default_url="$(shown "$RELEASES_URL")${url_from:+ (from $url_from)}"
prefix=""
version=""

usage() {
  cat <<EOF
Install codex-login from a release: the binary for this OS and CPU, checked against the
release's SHA256SUMS, as PREFIX/bin/codex-login. Nothing is installed unless it matches.

  sh install.sh [--prefix DIR] [--version X.Y.Z] [--release-url URL]
  curl -fsSL .../install.sh | sh -s -- [--prefix DIR] [--version X.Y.Z] [--release-url URL]

  --prefix DIR       install as DIR/bin/codex-login (default \$HOME/.local)
  --version X.Y.Z    install that release (default: the latest)
  --release-url URL  the releases root (also CODEX_LOGIN_RELEASE_URL), default
                     $default_url
                     https:// only; plain http:// only to a loopback address
  -h, --help         print this help
EOF
}

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
    --release-url) [ $# -ge 2 ] || fail "--release-url needs a URL"; RELEASES_URL="$2"; url_from=--release-url; shift 2 ;;
    --release-url=*) RELEASES_URL="${1#--release-url=}"; url_from=--release-url; shift ;;
    -h|--help) usage; exit 0 ;;
    *) fail "unknown option $1 (try --help)" ;;
  esac
done

# The prefix: a literal ~ means the shell did not expand it (as in --prefix=~/x).
if [ -z "$prefix" ]; then
  [ -n "${HOME:-}" ] || fail "HOME is not set: say where to install with --prefix DIR"
  prefix="$HOME/.local"
fi
case "$prefix" in
  "~"*) fail "--prefix $prefix starts with a literal ~ (the shell did not expand it): use --prefix \"\$HOME${prefix#"~"}\"" ;;
esac
case "$version" in
  "") ;;
  [0-9]*) case "$version" in *[!0-9A-Za-z.-]*) fail "--version wants a version like 0.1.0, not $version" ;; esac ;;
  *) fail "--version wants a version like 0.1.0, not $version" ;;
esac

# The releases root: https://HOST/PATH (or http:// to 127.0.0.0/8, localhost or [::1]), under
# which download/vX.Y.Z/ and latest/download/ hold the assets. A trailing / is fine.
root="$RELEASES_URL"
while :; do
  case "$root" in
    */) root="${root%/}" ;;
    *) break ;;
  esac
done
from="${url_from:-the release URL}"
wants="$from wants the releases root$like"
case "$root" in
  *[!]A-Za-z0-9._~:/@%+=,[-]* | *://*://*) fail "$wants (a URL with no spaces, ? or #), not $(shown "$RELEASES_URL")" ;;
  https://* | http://*) ;;
  *://*) fail "$from must be an https:// URL (plain http:// only to a loopback address), not $(shown "$RELEASES_URL")" ;;
  *) fail "$wants, not $(shown "$RELEASES_URL")" ;;
esac
scheme="${root%%://*}"
rest="${root#*://}"
authority="${rest%%/*}"
path="${rest#"$authority"}"
hostport="${authority##*@}"
case "$hostport" in
  "["*"]"*) host="${hostport%%]*}]" ;;
  *) host="${hostport%%:*}" ;;
esac
port="${hostport#"$host"}"
case "$port" in
  "") ;;
  :[0-9]*) case "${port#:}" in *[!0-9]*) fail "$wants, not $(shown "$RELEASES_URL")" ;; esac ;;
  *) fail "$wants, not $(shown "$RELEASES_URL")" ;;
esac
[ -n "$host" ] || fail "$wants, not $(shown "$RELEASES_URL")"
loopback=no
case "$host" in
  localhost | "[::1]") loopback=yes ;;
  127.*)
    case "$host" in
      *[!0-9.]* | *..* | *.) ;;
      *) if [ "$(printf '%s' "$host" | tr -cd .)" = "..." ]; then loopback=yes; fi ;;
    esac ;;
esac
if [ "$scheme" = http ] && [ "$loopback" = no ]; then
  fail "$from must be an https:// URL (plain http:// only to a loopback address), not $(shown "$RELEASES_URL")"
fi
last="${path##*/}"
parent="${path%/*}"
parent="${parent##*/}"
case "$last" in
  download | latest | SHA256SUMS | install.sh | codex-login-*)
    fail "$wants (it adds latest/download or download/vX.Y.Z itself), not the download path $(shown "$RELEASES_URL")" ;;
esac
case "$parent" in
  download | tag)
    fail "$wants (it adds latest/download or download/vX.Y.Z itself), not the download path $(shown "$RELEASES_URL")" ;;
esac

case "$(uname -s)" in
  Linux) os=unknown-linux-gnu ;;
  Darwin) os=apple-darwin ;;
  *) fail "no installer for $(uname -s): download the binary for your system from $(shown "$root")" ;;
esac
case "$(uname -m)" in
  x86_64|amd64) arch=x86_64 ;;
  aarch64|arm64) arch=aarch64 ;;
  *) fail "no release binary for the $(uname -m) processor: see $(shown "$root")" ;;
esac
target="$arch-$os"

# Downloads: the first request uses the root's scheme, every redirect must go to https.
# fetch URL FILE returns 3 when a redirect left https, 1 on any other failure.
if command -v curl >/dev/null 2>&1; then
  fetch() {
    curl -fsL --proto "=$scheme" --proto-redir =https -o "$2" "$1" && return 0
    # 1 is curl's "unsupported protocol": a redirect to something other than https.
    case "$?" in
      1) return 3 ;;
      *) return 1 ;;
    esac
  }
elif command -v wget >/dev/null 2>&1; then
  # wget cannot be told to refuse a redirect to http: what it downloaded is thrown away when
  # any redirect it followed (-S shows them) left https (over http to loopback: any redirect
  # but one to https).
  fetch() {
    wget_status=0
    wget -q -S -O "$2" "$1" 2>"$work/headers" || wget_status=1
    awk 'tolower($1) == "location:" { print $2 }' "$work/headers" >"$work/locations"
    while IFS= read -r location; do
      case "$location" in
        [Hh][Tt][Tt][Pp][Ss]://*) ;;
        [A-Za-z]*:*) wget_status=3 ;;
        *) [ "$scheme" = https ] || wget_status=3 ;;
      esac
    done <"$work/locations"
    [ "$wget_status" -eq 0 ] || rm -f "$2"
    return "$wget_status"
  }
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
  base="$root/download/v$version"
else
  base="$root/latest/download"
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

got() { # what a fetch's status means, as a message
  case "$1" in
    3) fail "$(shown "$2") redirected to an address that is not https: refused, nothing was installed" ;;
    *) fail "$3" ;;
  esac
}
status=0
fetch "$base/SHA256SUMS" "$work/SHA256SUMS" || status=$?
[ "$status" -eq 0 ] ||
  got "$status" "$base/SHA256SUMS" "could not download $(shown "$base")/SHA256SUMS (no such release, or no network)"

# The lines naming a file for this target, found by comparing strings (nothing in the file
# becomes part of a program), then checked for the exact shape `<sha256>  codex-login-<version>-<target>`.
lines="$(awk -v suffix="-$target" '
  { sub(/\r$/, "") }
  length($0) > length(suffix) && substr($0, length($0) - length(suffix) + 1) == suffix { print; n++ }
  n > 1 { exit }
' "$work/SHA256SUMS")"
malformed="the release's SHA256SUMS does not list exactly one '<sha256>  codex-login-<version>-$target' line: refused, nothing was installed"
case "$lines" in
  "") fail "the release has no binary for $target" ;;
  *"
"*) fail "$malformed" ;;
esac
expected="${lines%%  *}"
asset="${lines#*  }"
[ "${#expected}" -eq 64 ] || fail "$malformed"
case "$expected" in *[!0-9a-f]*) fail "$malformed" ;; esac
asset_version="${asset#codex-login-}"
asset_version="${asset_version%-"$target"}"
[ "codex-login-$asset_version-$target" = "$asset" ] || fail "$malformed"
case "$asset_version" in
  [0-9]*) case "$asset_version" in *[!0-9A-Za-z.-]*) fail "$malformed" ;; esac ;;
  *) fail "$malformed" ;;
esac
if [ -n "$version" ] && [ "$asset_version" != "$version" ]; then
  fail "the v$version release's SHA256SUMS lists version $asset_version for $target: refused, nothing was installed"
fi

status=0
fetch "$base/$asset" "$work/$asset" || status=$?
[ "$status" -eq 0 ] || got "$status" "$base/$asset" "could not download $(shown "$base")/$asset"
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
