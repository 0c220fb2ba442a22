#!/bin/sh
# `make install` / `make uninstall`: codex-login as a command that runs from any directory with
# a PATH holding neither deno nor node_modules. It installs, under PREFIX:
#   bin/codex-login              a POSIX sh launcher, written by tools/launcher.ts from the
#                                grant rules of lib/base/grants.ts
#   lib/codex-login/deno         the pinned Deno runtime (a copy of node_modules' binary)
#   lib/codex-login/codex-login.js  the bundle (make bundle)
#   lib/codex-login/node_modules/@napi-rs/  the keyring binding, for this platform
#   lib/codex-login/deno.json    {"nodeModulesDir": "manual"}: the binding is found beside it
# Installed directories and the two programs get mode 755, every other file 644, whatever the
# umask. Usage: tools/make_install.sh install|uninstall PREFIX
set -eu

[ $# -eq 2 ] || { echo "usage: tools/make_install.sh install|uninstall PREFIX" >&2; exit 2; }
action="$1"
prefix="$2"
case "$action" in
  install | uninstall) ;;
  *) echo "usage: tools/make_install.sh install|uninstall PREFIX" >&2; exit 2 ;;
esac

# PREFIX is checked before anything is created or removed. zsh and dash leave the ~ of
# `make install PREFIX=~/.local` as it is (only bash expands it after =), which would install
# into a directory named ~ inside this checkout. A relative PREFIX is refused too: the launcher
# records where its files are, so it would only run from the directory make ran in.
refuse() {
  echo "make $action: $1" >&2
  exit 1
}
case "$prefix" in
  \~ | \~/*) refuse "PREFIX=$prefix starts with a ~ your shell did not expand: run make $action PREFIX=\"\$HOME${prefix#\~}\"" ;;
  \~*) refuse "PREFIX=$prefix starts with a ~ your shell did not expand: give the home directory's path, e.g. make $action PREFIX=\"\$HOME/.local\"" ;;
  "") refuse "PREFIX is empty: give a directory, e.g. make $action PREFIX=\"\$HOME/.local\"" ;;
  /*) ;;
  *) refuse "PREFIX=$prefix is a relative path: give an absolute one, e.g. make $action PREFIX=\"\$HOME/.local\"" ;;
esac
case "$prefix" in
  *"
"*) refuse "PREFIX may not hold a line break: choose another directory" ;;
esac
lib="$prefix/lib/codex-login"
bin="$prefix/bin/codex-login"

if [ "$action" = uninstall ]; then
  removed=""
  if [ -e "$bin" ] || [ -L "$bin" ]; then
    rm -f "$bin"
    removed="$bin"
  fi
  if [ -e "$lib" ] || [ -L "$lib" ]; then
    rm -rf "$lib"
    removed="${removed:+$removed and }$lib"
  fi
  if [ -n "$removed" ]; then
    echo "Removed $removed"
  else
    echo "Nothing to remove: codex-login is not installed at $prefix (no bin/codex-login or lib/codex-login there)"
  fi
  exit 0
fi

here="$(cd "$(dirname "$0")/.." && pwd)"
deno="$(readlink -f "$here/node_modules/.bin/deno" 2>/dev/null || true)"
[ -x "$deno" ] || { echo "make install: run npm ci first (the pinned Deno is missing)" >&2; exit 1; }

# Directories this creates get 755 and files start at 644 or less; the modes are fixed below.
umask 022
rm -rf "$lib"
mkdir -p "$lib/node_modules/@napi-rs" "$prefix/bin"
cp "$deno" "$lib/deno"
cp "$here/dist/codex-login.js" "$lib/codex-login.js"
for package in "$here"/node_modules/@napi-rs/keyring*; do
  [ -d "$package" ] && cp -R "$package" "$lib/node_modules/@napi-rs/"
done
printf '{ "nodeModulesDir": "manual" }\n' >"$lib/deno.json"
find "$lib" -type d -exec chmod 755 {} +
find "$lib" -type f -exec chmod 644 {} +
chmod 755 "$lib/deno"
version="$("$lib/deno" --version | head -n 1 | cut -d' ' -f2)"

# Deno reads ",," in a permission list as a comma inside one path.
esc() { printf '%s' "$1" | sed 's/,/,,/g'; }
"$deno" run --quiet --no-prompt --allow-read="$(esc "$here"),$(esc "$prefix/bin")" \
  --allow-write="$(esc "$prefix/bin")" \
  "$here/tools/launcher.ts" --out "$bin" --deno "$lib/deno" --entry "$lib/codex-login.js" \
  --config "$lib/deno.json" --binding "$lib/node_modules/@napi-rs" --invocation installed \
  --install "make install ($lib)"
chmod 755 "$bin"
echo "Installed $bin (Deno $version in $lib)"
case ":${PATH}:" in
  *":$prefix/bin:"*) ;;
  *) echo "Add $prefix/bin to your PATH to run codex-login from anywhere." ;;
esac
