# mailtrace: build, test and measure. `make help` lists the targets.
GO      ?= go
BIN     ?= bin/mailtrace
FUZZTIME ?= 20s

.PHONY: help build sample test lint fuzz bench conformance screenshot docs clean

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

fuzz: ## run every fuzz target for FUZZTIME each
	@for pkg in $$($(GO) list ./...); do \
	  for fn in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "== $$pkg $$fn"; \
	    $(GO) test -run '^$$' -fuzz "^$$fn$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; done

bench: ## analyzer benchmarks
	$(GO) test -run '^$$' -bench . -benchmem ./analyzer/...

conformance: ## per-source agreement with other projects' Received test suites
	@$(GO) test -count=1 -run '^TestConformance$$' -v ./analyzer/ | grep -E '^\s*(conformance  |--- |ok|FAIL)|target' | sed -E 's/^\s+//' || true

screenshot: ## render the bundled sample in headless Chromium into docs/screenshot.png
	MAILTRACE_SCREENSHOT=$(CURDIR)/docs/screenshot.png $(GO) test -count=1 -run '^TestScreenshot$$' ./report/web/

docs: ## regenerate docs/cli.md from the command tree
	$(GO) run ./cmd/mailtrace docs > docs/cli.md

clean:
	rm -rf bin
