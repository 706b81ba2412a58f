# aclgate — the two commands are `make run` and `make test`.
SHELL := /bin/bash
GO ?= go
CADDY_VERSION ?= v2.11.9
TRAEFIK_VERSION ?= v3.6.12
YAEGI_VERSION ?= v0.16.1
FUZZTIME ?= 10s
CACHE := $(CURDIR)/.cache
GOBIN_DIR := $(shell $(GO) env GOPATH)/bin
YAEGI := $(GOBIN_DIR)/yaegi
# caddytest writes autosave.json and a local CA under these: keep them out of $HOME
export XDG_CONFIG_HOME := $(CACHE)/xdg/config
export XDG_DATA_HOME := $(CACHE)/xdg/data

.PHONY: all run test unit yaegi-test fuzz integration bench caddy traefik vet tools clean

all: test

## run: build Caddy with the plugin and serve the demo of testdata/ on :8080
run: caddy
	cd testdata && $(CACHE)/caddy-$(CADDY_VERSION)/caddy run --config Caddyfile --adapter caddyfile

## test: everything — vet, unit tests (-race), core and traefikauthz under yaegi, short fuzz runs, real-binary integration tests
test: vet unit yaegi-test fuzz integration

vet:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './.cache/*')); \
	  if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi
	$(GO) vet ./...
	@out=$$($(GO) list -deps -f '{{if not .Standard}}{{.ImportPath}}{{end}}' ./core ./traefikauthz | grep -v '^github.com/aclgate/aclgate/' || true); \
	  if [ -n "$$out" ]; then echo "core/traefikauthz must import only the standard library: $$out"; exit 1; fi

unit:
	$(GO) test -race -count=1 ./...

$(YAEGI):
	$(GO) install github.com/traefik/yaegi/cmd/yaegi@$(YAEGI_VERSION)

## yaegi-test: core's and traefikauthz's tests interpreted by yaegi, as Traefik runs them
yaegi-test: $(YAEGI)
	@gp=$$(mktemp -d); mkdir -p $$gp/src/github.com/aclgate; ln -s $(CURDIR) $$gp/src/github.com/aclgate/aclgate; \
	  set -e; for pkg in core traefikauthz; do \
	    [ -d $$pkg ] || continue; \
	    echo "yaegi test $$pkg"; \
	    (cd $$gp/src/github.com/aclgate/aclgate/$$pkg && GOPATH=$$gp GOFLAGS= $(YAEGI) test .) ; \
	  done; rm -rf $$gp

## fuzz: a short run of every fuzz target
fuzz:
	@set -e; for t in $$($(GO) test -list '^Fuzz' ./fuzz | grep '^Fuzz'); do \
	  echo "fuzz $$t ($(FUZZTIME))"; \
	  $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) ./fuzz; \
	done

caddy:
	@scripts/build-caddy.sh >/dev/null

traefik:
	@TRAEFIK_VERSION=$(TRAEFIK_VERSION) scripts/build-traefik.sh >/dev/null

## integration: tests against a real Caddy (xcaddy) and a real Traefik binary
integration: caddy traefik
	cd integration && CADDY_BIN=$(CACHE)/caddy-$(CADDY_VERSION)/caddy \
	  TRAEFIK_BIN=$(CACHE)/traefik-$(TRAEFIK_VERSION)/traefik \
	  ACLGATE_ROOT=$(CURDIR) $(GO) test -race -count=1 -timeout 20m ./...

## bench: the benchmarks quoted in BENCHMARKS.md
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./core ./internal/conformance

clean:
	rm -rf $(CACHE)
