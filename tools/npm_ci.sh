#!/bin/sh
# Installs the packages DIR/package-lock.json pins (npm ci) and touches STAMP, for the Makefile:
#   tools/npm_ci.sh DIR STAMP WHAT
# `.` is the toolchain signing in needs (make login, make install); `tests` the test-only tools
# (make test, check, bench, demo). npm retries a registry it cannot reach for over a minute; here
# it retries once, so with no registry reachable this says so in one line within seconds (npm's
# own report is kept for any other failure). The registry is npm's own setting, named only as
# npm reports it.
set -eu

dir="$1"
stamp="$2"
what="$3"

command -v npm >/dev/null 2>&1 || {
  echo "make: npm is missing; install Node.js with npm (it installs $what), then run make again." >&2
  exit 1
}

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
echo "Installing $what ($dir/package-lock.json, npm ci)..." >&2
if (cd "$dir" && npm ci --no-audit --no-fund --fetch-retries=1 \
  --fetch-retry-mintimeout=1000 --fetch-retry-maxtimeout=3000) >"$log" 2>&1; then
  touch "$stamp"
  exit 0
fi

code="$(sed -n 's/^npm error code //p' "$log" | head -n 1)"
case "$code" in
  ECONNREFUSED | ENOTFOUND | EAI_AGAIN | ETIMEDOUT | ECONNRESET | ENETUNREACH | EHOSTUNREACH | \
    ERR_SOCKET_TIMEOUT | ESOCKETTIMEDOUT | EPROXY | E407)
    registry="$(cd "$dir" && npm config get registry 2>/dev/null || echo "npm's registry")"
    echo "make: cannot reach $registry ($code) to install $what; check the network, or npm's registry and proxy settings (npm config get registry), then run make again." >&2
    ;;
  *)
    cat "$log" >&2
    echo "make: npm ci in $dir failed (above); fix that, then run make again." >&2
    ;;
esac
exit 1
