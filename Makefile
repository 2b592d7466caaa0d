# mailtrace: build, test and measure. `make help` lists the targets.
GO      ?= go
BIN     ?= bin/mailtrace
FUZZTIME ?= 20s

.PHONY: help build sample test lint fuzz bench bench-compare bench-scan conformance screenshot docs clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

build: ## build the static binary into bin/
	CGO_ENABLED=0 $(GO) build -trimpath -o $(BIN) ./cmd/mailtrace

sample: build ## trace the bundled sample, offline
	$(BIN) trace --offline testdata/sample.eml

test: ## run every test (needs dovecot and chromium for the integration tests)
	$(GO) test -race -count=1 ./...

lint: ## go vet and the gofmt check
	$(GO) vet ./...
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

fuzz: ## run every fuzz target for FUZZTIME each (a failing input fails)
	FUZZTIME=$(FUZZTIME) scripts/fuzz.sh

bench: ## analyzer benchmarks; bench-compare and bench-scan measure against baselines
	$(GO) test -run '^$$' -bench . -benchmem ./analyzer/...

bench-compare: ## mailtrace vs SpamAssassin's Received parser vs grep on a 20,000-message mbox
	scripts/bench-compare.sh 20000

bench-scan: ## IMAP scan vs raw UID FETCH transfer against a Dovecot on loopback
	$(GO) run ./scripts/scanbench -n 10000

conformance: ## per-source agreement with other projects' Received test suites
	@$(GO) test -count=1 -run '^TestConformance$$' -v ./analyzer/ | grep -E '^\s*(conformance  |--- |ok|FAIL)|target' | sed -E 's/^\s+//' || true

screenshot: ## render the bundled sample in headless Chromium into docs/screenshot.png
	MAILTRACE_SCREENSHOT=$(CURDIR)/docs/screenshot.png $(GO) test -count=1 -run '^TestScreenshot$$' ./report/web/

docs: ## regenerate docs/cli.md from the command tree
	$(GO) run ./cmd/mailtrace docs > docs/cli.md

clean:
	rm -rf bin
