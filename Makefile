# aclgate — the two commands are `make run` and `make test`.
SHELL := /bin/bash
GO ?= go
CADDY_VERSION ?= v2.11.9
TRAEFIK_VERSION ?= v3.6.12
YAEGI_VERSION ?= v0.16.1
STATICCHECK_VERSION ?= v0.8.2
# Fuzz runs are bounded by a count, not a duration: with -fuzztime 10s the
# deadline can expire while a new input is being minimized, which `go test`
# reports as a failure (context deadline exceeded). ~10 s a target here.
FUZZTIME ?= 200000x
FUZZMINIMIZETIME ?= 2s
CACHE := $(CURDIR)/.cache
GOBIN_DIR := $(shell $(GO) env GOPATH)/bin
YAEGI := $(GOBIN_DIR)/yaegi
STATICCHECK := $(CACHE)/staticcheck-$(STATICCHECK_VERSION)/staticcheck
# caddytest writes autosave.json and a local CA under these: keep them out of $HOME
export XDG_CONFIG_HOME := $(CACHE)/xdg/config
export XDG_DATA_HOME := $(CACHE)/xdg/data

.PHONY: all run run-traefik demo-services test unit yaegi-test fuzz integration bench bench-micro caddy traefik vet tools clean

all: test

## run: build Caddy with the plugin and serve the demo of testdata/ on :8080
run: caddy
	cd testdata && $(CACHE)/caddy-$(CADDY_VERSION)/caddy run --config Caddyfile --adapter caddyfile

## run-traefik: build Traefik (cached) and serve the same demo with the plugin of this tree (testdata/traefik/)
run-traefik: traefik demo-services
	@mkdir -p testdata/traefik/plugins-local/src/github.com/aclgate
	@ln -sfn ../../../../../.. testdata/traefik/plugins-local/src/github.com/aclgate/aclgate
	@cd testdata/traefik && { $(CACHE)/demo/demo & demo=$$!; trap 'kill $$demo 2>/dev/null' EXIT INT TERM; \
	  sleep 0.5; kill -0 $$demo 2>/dev/null || exit 1; \
	  $(CACHE)/traefik-$(TRAEFIK_VERSION)/traefik --configFile=traefik.yml; }

# the identity service and echo upstream of the Traefik demo (Caddy serves its own)
demo-services:
	@$(GO) build -o $(CACHE)/demo/demo ./internal/demo

## test: everything — vet (gofmt, go vet, staticcheck, the import graph), unit tests (-race), core's packages and traefikauthz under yaegi, short fuzz runs, real-binary integration tests
test: vet unit yaegi-test fuzz integration

## vet: gofmt, go vet, staticcheck and the import graph of core
vet: $(STATICCHECK)
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './.cache/*')); \
	  if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(STATICCHECK) ./...
	@scripts/check-imports.sh

$(STATICCHECK):
	GOBIN=$(dir $@) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

unit:
	$(GO) test -race -count=1 ./...

$(YAEGI):
	$(GO) install github.com/traefik/yaegi/cmd/yaegi@$(YAEGI_VERSION)

## yaegi-test: the tests of every core package and of traefikauthz interpreted by yaegi, as Traefik runs them
yaegi-test: $(YAEGI)
	@gp=$$(mktemp -d); mkdir -p $$gp/src/github.com/aclgate; ln -s $(CURDIR) $$gp/src/github.com/aclgate/aclgate; \
	  trap 'rm -rf $$gp' EXIT; set -e; \
	  for pkg in $$($(GO) list -f '{{.Dir}}' ./core/... ./traefikauthz); do \
	    rel=$${pkg#$(CURDIR)/}; echo "yaegi test $$rel"; \
	    (cd $$gp/src/github.com/aclgate/aclgate/$$rel && GOPATH=$$gp GOFLAGS= $(YAEGI) test .) ; \
	  done

## fuzz: a short run of every fuzz target (they live beside their packages; FUZZTIME=10m for a long run)
fuzz:
	@set -e; for pkg in $$($(GO) list ./core/...); do \
	  for t in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "fuzz $$pkg $$t ($(FUZZTIME))"; \
	    $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINIMIZETIME) $$pkg; \
	  done; \
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

## bench: end-to-end load runs on loopback (wrk against the real Caddy and Traefik, every identity source, forward_auth/forwardAuth; the identity service failing; 100,000 distinct tokens); writes the tables into BENCHMARKS.md
bench: caddy traefik
	@command -v wrk >/dev/null || scripts/install-wrk.sh
	$(GO) run ./bench -scenario gateways -write BENCHMARKS.md
	$(GO) run ./bench -scenario faults -write BENCHMARKS.md
	$(GO) run ./bench -scenario memory -write BENCHMARKS.md

## bench-micro: the Go micro-benchmarks quoted in BENCHMARKS.md (compiled; the yaegi ones in integration/)
bench-micro:
	$(GO) test -run '^$$' -bench . -benchmem ./core/... ./internal/conformance
	cd integration && $(GO) test -run '^$$' -bench Traefik -benchmem

clean:
	rm -rf $(CACHE)
