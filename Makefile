# Ringleader — routine tasks. `make help` lists them.
GO        ?= go
BIN       ?= bin
PKGS      := ./...
RACE_PKGS := ./coordinator/... ./internal/... ./regions/...
FUZZTIME  ?= 10s

.PHONY: help build test test-unit test-race fuzz bench verify demo deps clean

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

build: ## build ringd and ringctl into ./bin
	$(GO) build -o $(BIN)/ ./cmd/...

deps: ## install missing system packages the tests need (git, prometheus, chromium)
	@./scripts/deps.sh

test: deps ## run every test (unit, component, race, a short fuzz run)
	$(GO) test -count=1 $(PKGS)
	$(GO) test -count=1 -race $(RACE_PKGS)
	$(MAKE) fuzz

fuzz: ## short fuzz run of the topology parser (FUZZTIME=10s)
	$(GO) test -run='^$$' -fuzz='^FuzzParse$$' -fuzztime=$(FUZZTIME) ./rings

bench: ## run the benchmarks (numbers, not pass/fail)
	$(GO) test -run='^$$' -bench=. -benchmem $(PKGS)

verify: ## gofmt, go vet, go mod tidy; fails on a dirty tree
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo 'gofmt: files above need formatting'; exit 1; }
	$(GO) vet $(PKGS)
	$(GO) mod tidy
	@git diff --exit-code go.mod go.sum || { echo 'go mod tidy changed go.mod/go.sum: commit the result'; exit 1; }

demo: build ## run the main job: validate the example topology and show its release plan
	$(BIN)/ringctl topology validate manifests/examples/rings.yaml
	$(BIN)/ringctl plan -f manifests/examples/rings.yaml --app checkout --version v1.4.2 --from 2026-12-04T15:00:00Z

clean: ## remove build output
	rm -rf $(BIN)
