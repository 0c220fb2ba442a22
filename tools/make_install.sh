#!/bin/sh
# `make install` / `make uninstall`: codex-login as a command that runs from any directory with
# a PATH holding neither deno nor node_modules. It installs, under PREFIX:
#   bin/codex-login              a POSIX sh launcher (below)
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
  *"'"* | *,* | *"
"*) refuse "PREFIX may not hold a quote ('), a comma or a line break (the launcher names its directory in a permission list): choose another directory" ;;
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

# The programs the command runs, present on this machine: browser openers, and ss (who
# connects to the loopback server).
runs=""
for program in xdg-open wslview rundll32.exe open ss; do
  if command -v "$program" >/dev/null 2>&1; then runs="${runs:+$runs,}$program"; fi
done

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

cat >"$bin" <<LAUNCHER
#!/bin/sh
# codex-login, installed by \`make install\` from a codex-login checkout. It runs the bundle
# on the Deno it was installed with ($version), granting only what this run needs: the
# loopback address, the issuer and API hosts (and those its flags or proxy variables name), the
# codex home (and any --codex-home given), a CA bundle the environment names, the variables
# it reads, the programs it runs, and the keyring binding.
lib='$lib'
home="\${CODEX_HOME:-\${HOME:-}/.codex}"
reads="\$home"
hosts="127.0.0.1,auth.openai.com,api.openai.com"
host_of() { printf '%s' "\$1" | sed -E 's#^[A-Za-z][A-Za-z0-9+.-]*://([^@/]*@)?([^/?#]+).*#\\2#'; }
want=""
for arg in "\$@"; do
  case "\$want" in
    home) reads="\$reads,\$arg" ;;
    url) hosts="\$hosts,\$(host_of "\$arg")" ;;
  esac
  want=""
  case "\$arg" in
    --codex-home) want=home ;;
    --codex-home=*) reads="\$reads,\${arg#--codex-home=}" ;;
    --issuer|--api-base|--platform-url) want=url ;;
    --issuer=*|--api-base=*|--platform-url=*) hosts="\$hosts,\$(host_of "\${arg#*=}")" ;;
  esac
done
for proxy in "\${HTTPS_PROXY:-}" "\${https_proxy:-}" "\${HTTP_PROXY:-}" "\${http_proxy:-}" "\${ALL_PROXY:-}" "\${all_proxy:-}"; do
  [ -n "\$proxy" ] && hosts="\$hosts,\$(host_of "\$proxy")"
done
files="\$reads"
ca="\${CODEX_CA_CERTIFICATE:-\${SSL_CERT_FILE:-}}"
[ -n "\$ca" ] && files="\$files,\$ca"
run="$runs"
export DENO_NO_UPDATE_CHECK=1 CODEX_LOGIN_INVOCATION=installed CODEX_LOGIN_INSTALL="make install (\$lib)"
exec "\$lib/deno" run --quiet --no-prompt --config "\$lib/deno.json" \\
  --allow-net="\$hosts" \\
  --allow-read="\$files" --allow-write="\$reads" \\
  --allow-env=CODEX_HOME,HOME,USERPROFILE,BROWSER,WSL_DISTRO_NAME,CODEX_INTERNAL_ORIGINATOR_OVERRIDE,CODEX_CA_CERTIFICATE,SSL_CERT_FILE,HTTPS_PROXY,https_proxy,HTTP_PROXY,http_proxy,ALL_PROXY,all_proxy,NO_PROXY,no_proxy,CODEX_LOGIN_INVOCATION,CODEX_LOGIN_INSTALL,DBUS_SESSION_BUS_ADDRESS,XDG_RUNTIME_DIR \\
  --allow-ffi="\$lib/node_modules/@napi-rs" --allow-sys=uid \\
  \${run:+--allow-run=\$run} \\
  "\$lib/codex-login.js" "\$@"
LAUNCHER
chmod 755 "$bin"
echo "Installed $bin (Deno $version in $lib)"
case ":${PATH}:" in
  *":$prefix/bin:"*) ;;
  *) echo "Add $prefix/bin to your PATH to run codex-login from anywhere." ;;
esac
