# saltgo build, run and test entry points. Every target installs what it
# needs first (scripts/setup.sh: Debian packages and the Go toolchain).
SHELL := /bin/bash
GO = $(shell cat .cache/go 2>/dev/null || echo go)
BIN := bin/saltgo
HELPER := bin/saltgo-lxc-helper
RUN_DIR ?= $(CURDIR)/.cache/run
PKGS := ./...

.PHONY: all build run run-down test fuzz bench bench-docs lint install clean setup

all: build

# scripts/setup.sh prints the path of the Go toolchain on its last line. A
# failed set-up fails the make run and leaves no .cache/go behind (pipefail,
# and the path is checked to be an executable before it is cached).
.cache/go: scripts/setup.sh go.mod
	@mkdir -p .cache
	@set -o pipefail; rm -f .cache/go.tmp; \
	  bash scripts/setup.sh | tee .cache/setup.log | tail -n 1 > .cache/go.tmp \
	    || { echo "setup failed (log: .cache/setup.log)" >&2; rm -f .cache/go.tmp; exit 1; }; \
	  g=$$(cat .cache/go.tmp); \
	  if [ -z "$$g" ] || ! [ -x "$$g" ] || ! "$$g" version >/dev/null 2>&1; then \
	    echo "setup did not name a working Go toolchain (got '$$g'; log: .cache/setup.log)" >&2; \
	    rm -f .cache/go.tmp; exit 1; \
	  fi; \
	  mv .cache/go.tmp .cache/go

setup: .cache/go

# saltgo is static (no cgo: one file that runs on any Linux host); the LXC
# helper it starts links liblxc (cgo) and is installed beside it.
build: .cache/go
	CGO_ENABLED=0 $(GO) build -o $(BIN) ./cmd/saltgo
	CGO_ENABLED=1 $(GO) build -o $(HELPER) ./cmd/saltgo-lxc-helper

# The main job for real: the seed document's example VMs (cloud/examples)
# provisioned as LXC containers by mastersalt-call --local mc_cloud_lxc.*,
# in a network namespace and a private LXC path under RUN_DIR, then a table
# and one VM's settings; everything is torn down at the end (also on
# Ctrl-C) unless KEEP=1, and make run-down removes a kept run. Needs root.
KEEP ?=
run: build
	@KEEP=$(KEEP) bash scripts/run-example.sh $(BIN) $(RUN_DIR)

run-down: build
	@bash scripts/run-example.sh --down $(BIN) $(RUN_DIR)

# The whole suite, then every fuzz target for a short budget (FUZZTIME).
FUZZTIME ?= 4s
test: .cache/go
	$(GO) vet $(PKGS)
	$(GO) test -count=1 -timeout 30m $(PKGS)
	@bash scripts/fuzz.sh "$(GO)" $(FUZZTIME)

# Every fuzz target for a minute (FUZZTIME=... to change).
fuzz: .cache/go
	@bash scripts/fuzz.sh "$(GO)" $(if $(filter command line,$(origin FUZZTIME)),$(FUZZTIME),60s)

# make bench prints the table; BENCH_WRITE=1 (or make bench-docs) also
# rewrites docs/bench.md with it.
bench: .cache/go
	@bash scripts/bench.sh "$(GO)"

bench-docs: .cache/go
	@BENCH_WRITE=1 bash scripts/bench.sh "$(GO)"

lint: .cache/go
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet $(PKGS)
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 $(PKGS)

install: build
	install -m 0644 dist/systemd/saltgo-minion.service dist/systemd/mastersalt-minion.service /etc/systemd/system/
	install -m 0755 $(BIN) /usr/local/bin/saltgo
	install -m 0755 $(HELPER) /usr/local/bin/saltgo-lxc-helper
	install -d /usr/local/lib/saltgo/bin; for n in salt-call salt-minion salt-run salt salt-cloud mastersalt-call mastersalt-minion mastersalt-run mastersalt mastersalt-cloud; do \
	  ln -sf /usr/local/bin/saltgo /usr/local/lib/saltgo/bin/$$n; done
	@echo "installed /usr/local/bin/saltgo and /usr/local/bin/saltgo-lxc-helper; role links in /usr/local/lib/saltgo/bin (see docs/operator-guide.md)"

clean:
	rm -rf bin .cache
