# codex-login: `make login` signs you in, `make test` runs every check CI runs.
SHELL := bash
DENO := node_modules/.bin/deno
STAMP := node_modules/.toolchain-installed
export DENO_NO_UPDATE_CHECK := 1

# Where auth.json goes: $CODEX_HOME, else ~/.codex (the program resolves it the same way).
CODEX_HOME ?= $(HOME)/.codex
ARGS ?=

# Least privilege for a real sign-in: the loopback ports, the issuer and API hosts, the
# codex home, the env names read, and the browser openers.
LOGIN_PERMISSIONS := \
  --allow-net=127.0.0.1:1455,127.0.0.1:1457,[::1]:1455,[::1]:1457,auth.openai.com,api.openai.com \
  --allow-read=$(CODEX_HOME) --allow-write=$(CODEX_HOME) \
  --allow-env=CODEX_HOME,HOME,USERPROFILE,BROWSER,WSL_DISTRO_NAME \
  --allow-run=xdg-open,open,wslview,rundll32.exe,rundll32

.PHONY: toolchain login test check fmt demo chromium

# The pinned Deno and dev tools from package-lock.json (npm ci), installed when missing.
$(STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $(STAMP)

toolchain: $(STAMP)

login: $(STAMP)
	CODEX_HOME="$(CODEX_HOME)" $(DENO) run $(LOGIN_PERMISSIONS) main.ts login $(ARGS)

# Debian's Chromium for the browser suite and the demo (installed when root and missing).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null; \
	  else echo "Install Chromium first: sudo apt-get install chromium" >&2; exit 1; fi; }

# The whole sign-in, offline: fake issuer + real login + headless Chromium as the person.
demo: $(STAMP) chromium
	$(DENO) run --allow-all tools/demo.ts

check: $(STAMP)
	$(DENO) fmt --check
	$(DENO) lint
	$(DENO) check main.ts mod.ts tests/ tools/

fmt: $(STAMP)
	$(DENO) fmt

test: check
	bash tools/run_tests.sh
