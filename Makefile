# Ringleader — routine tasks. `make help` lists them.
GO        ?= go
BIN       ?= bin
PKGS      := ./...
RACE_PKGS := ./coordinator/... ./internal/... ./regions/... ./cmd/...
FUZZTIME  ?= 6s

.PHONY: help build test test-unit test-race fuzz bench verify demo plan-example deps screenshot clean e2e chaos

help: ## list the targets
	@grep -hE '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

build: ## build ringd, ringctl and ringsim (simulated regions, for tests) into ./bin
	$(GO) build -o $(BIN)/ ./cmd/...

deps: ## install missing system packages the tests need (git, prometheus, chromium)
	@./scripts/deps.sh

test: deps ## run every test (unit, component, end-to-end, race, a short fuzz run)
	$(GO) test -count=1 -timeout=25m $(PKGS)
	$(GO) test -count=1 -race $(RACE_PKGS)
	$(MAKE) fuzz

# End-to-end suite (e2e/): real ringd processes, git daemon, Prometheus and
# simulated regions on loopback. `make test` runs it too (with a 40s chaos run).
SEED     ?= 1
DURATION ?= 5m

e2e: deps ## run the end-to-end scenarios and the default 40s chaos run, verbosely
	$(GO) test -count=1 -timeout=25m -v ./e2e ./e2e/harness

chaos: deps ## longer seeded chaos run: make chaos SEED=7 DURATION=10m
	CHAOS_SEED=$(SEED) CHAOS_DURATION=$(DURATION) $(GO) test -count=1 -timeout=0 -v -run='^TestChaos$$' ./e2e

fuzz: ## short fuzz run of the topology parser and every API write endpoint, URL redaction (FUZZTIME each)
	$(GO) test -run='^$$' -fuzz='^FuzzParse$$' -fuzztime=$(FUZZTIME) ./rings/topology
	$(GO) test -run='^$$' -fuzz='^FuzzAPICreateRelease$$' -fuzztime=$(FUZZTIME) -fuzzminimizetime=1s ./coordinator/httpapi
	$(GO) test -run='^$$' -fuzz='^FuzzAPIReleaseAction$$' -fuzztime=$(FUZZTIME) -fuzzminimizetime=1s ./coordinator/httpapi
	$(GO) test -run='^$$' -fuzz='^FuzzAPIHalt$$' -fuzztime=$(FUZZTIME) -fuzzminimizetime=1s ./coordinator/httpapi
	$(GO) test -run='^$$' -fuzz='^FuzzAPITopology$$' -fuzztime=$(FUZZTIME) -fuzzminimizetime=1s ./coordinator/httpapi
	$(GO) test -run='^$$' -fuzz='^FuzzAPICluster$$' -fuzztime=$(FUZZTIME) -fuzzminimizetime=1s ./coordinator/httpapi
	$(GO) test -run='^$$' -fuzz='^FuzzURL$$' -fuzztime=$(FUZZTIME) ./internal/redact

# Benchmarks (BENCHMARKS.md records the figures). BENCH_QUICK=1: short counts.
BQ = $(filter 1,$(BENCH_QUICK))
BENCH_FLAGS = -run='^$$' -count=1 -timeout=30m

bench: ## benchmarks against the anchors: ringd vs etcd, scale, promotion (numbers, not pass/fail; BENCH_QUICK=1 short)
	@./scripts/bench-deps.sh
	$(GO) test $(BENCH_FLAGS) -bench='^BenchmarkHaltAck(Loaded)?$$' -benchtime=$(if $(BQ),300x,2000x) ./e2e/bench/
	$(GO) test $(BENCH_FLAGS) -bench='^BenchmarkFailover$$' -benchtime=$(if $(BQ),5x,20x) ./e2e/bench/
	$(GO) test $(BENCH_FLAGS) -bench='^Benchmark(ScaleReconcilePass|ScalePlanNext|ScaleHaltAPI)$$' -benchmem -benchtime=$(if $(BQ),30x,300x) ./coordinator/leader/
	$(GO) test $(BENCH_FLAGS) -bench='^BenchmarkScaleSnapshot$$' -benchtime=$(if $(BQ),3x,10x) ./coordinator/leader/
	$(GO) test $(BENCH_FLAGS) -bench='^BenchmarkHaltReach$$' -benchtime=$(if $(BQ),10x,50x) ./coordinator/leader/
	$(GO) test $(BENCH_FLAGS) -bench='^BenchmarkHaltReach(Git|Deposed)$$' -benchtime=$(if $(BQ),2x,5x) ./e2e/bench/
	$(GO) test $(BENCH_FLAGS) -bench='^BenchmarkRingdScale/apps=($(if $(BQ),100|500,100|500|2000))$$' -benchtime=1x ./e2e/bench/
	$(GO) test $(BENCH_FLAGS) -bench='^BenchmarkPromotion$$' -benchtime=$(if $(BQ),10x,50x) ./internal/gitops/
	$(GO) test $(BENCH_FLAGS) -bench='^BenchmarkScaleHaltAck$$' -benchtime=$(if $(BQ),300x,2000x) ./coordinator/leader/
	$(GO) test $(BENCH_FLAGS) -bench='^BenchmarkHaltCommitConcurrent$$' -benchtime=$(if $(BQ),400x,2000x) ./coordinator/store/
	$(GO) test $(BENCH_FLAGS) -bench='^BenchmarkTrain$$' -benchtime=1x ./e2e/bench/

verify: ## gofmt, go vet, go mod tidy; fails on a dirty tree (uncommitted or untracked files)
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo 'gofmt: files above need formatting'; exit 1; }
	$(GO) vet $(PKGS)
	$(GO) mod tidy
	@git diff --exit-code go.mod go.sum || { echo 'go mod tidy changed go.mod/go.sum: commit the result'; exit 1; }
	@test -z "$$(git status --porcelain)" || { git status --short; echo 'verify: the tree is dirty (files above are changed or untracked): commit them, remove them or add them to .gitignore'; exit 1; }

demo: build ## run the whole system on this machine (ringd demo: Git server, simulated regions as bin/ringsim, a release rolling; DEMO_FLAGS=--scenario=NAME for a guided tour); Ctrl-C stops it
	$(BIN)/ringd demo $(DEMO_FLAGS)

plan-example: build ## validate the example topology and show its release plan
	$(BIN)/ringctl topology validate manifests/examples/rings.yaml
	$(BIN)/ringctl plan -f manifests/examples/rings.yaml --app checkout --version v1.4.2 --from 2026-12-04T15:00:00Z

screenshot: deps ## drive the dashboard in headless Chromium and save docs/dashboard.png
	@mkdir -p docs
	RINGLEADER_SCREENSHOT=$(CURDIR)/docs/dashboard.png $(GO) test -count=1 -run '^TestDashboardInABrowser$$' ./internal/ui

clean: ## remove build output
	rm -rf $(BIN)
