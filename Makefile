# tssim: the simulator (cmd/tssim), the reference client (cmd/tsclient) and
# their tests. `make help` lists the targets.

GO      ?= go
BIN     ?= bin
ARGS    ?=
# The release's name, in the archives' names, the image's tag and what
# `tssim version` prints; the commit goes with it.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo devel)
COMMIT  ?= $(shell git rev-parse HEAD 2>/dev/null)
# The image make dist and make docker tag IMAGE:VERSION and IMAGE:latest.
IMAGE   ?= tssim
DIST    ?= dist
BUILDINFO_LDFLAGS = -X github.com/tssim/tssim/internal/buildinfo.version=$(VERSION) -X github.com/tssim/tssim/internal/buildinfo.commit=$(COMMIT)
DIST_LDFLAGS      = -s -w $(BUILDINFO_LDFLAGS)
ACTIONLINT ?= github.com/rhysd/actionlint/cmd/actionlint@v1.7.12

.PHONY: help build run test lint lint-ci-files fuzz-ci bench bench-ci crash-test dist docker compose-test release-test
help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN{FS=":.*## "}{printf "  %-14s %s\n", $$1, $$2}'

build: ## build bin/tssim, bin/tsclient and bin/tsload (static)
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(BUILDINFO_LDFLAGS)' -o $(BIN)/ ./cmd/...

run: ## run the simulator on 127.0.0.1:8080 (pass flags with ARGS="--clock manual")
	$(GO) run ./cmd/tssim $(ARGS)

# REQUIRE_RUN names tests that must run, not skip (.ci/run names those CI
# must run): make test REQUIRE_RUN="TestA TestB".
REQUIRE_RUN ?=

test: ## run every test, with the race detector (the nested modules' too), and sum them up per module
	$(GO) run ./cmd/testsummary --go "$(GO)" --require-run "$(REQUIRE_RUN)" . tssimtest/usertest testcontainers -- -race -count=1 ./...

bench: build ## Go benchmarks of the hot paths, then the load command (see BENCHMARKS.md)
	$(GO) test -run '^$$' -bench . -benchmem ./simulator/
	$(GO) test -run '^$$' -bench BenchmarkRecordProxy -benchmem ./internal/record/
	$(GO) run ./cmd/tsload --tssim $(BIN)/tssim
	$(GO) run ./cmd/tsload worlds --tssim $(BIN)/tssim

bench-ci: ## every Go benchmark once, so that none rots
	$(GO) test -run '^$$' -bench . -benchtime=1x ./...

crash-test: build ## the kill -9 test: tssim killed 20 times under load, no accepted request or delivered result lost
	$(GO) run ./cmd/tsload crash --tssim $(BIN)/tssim --kills 20

STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2

lint: ## gofmt, go vet and staticcheck (fetched by go run)
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change: $$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...
	cd tssimtest/usertest && $(GO) vet ./...
	cd testcontainers && $(GO) vet ./...

# Budgets are counts, not durations: Go 1.26's fuzzer can fail a run that
# ends on a duration while a worker is busy (go.dev/issue/75804), which a
# loaded CI machine meets; a count has no deadline to race. Each is about
# 10 s here.
fuzz-ci: ## a short run of each fuzz target: the fast paths held to the slow ones, and every body the API and the control API read
	$(GO) test -run '^$$' -fuzz '^FuzzFastPath$$' -fuzztime 150000x ./internal/validate
	$(GO) test -run '^$$' -fuzz '^FuzzFastFixtures$$' -fuzztime 100000x ./internal/validate
	$(GO) test -run '^$$' -fuzz '^FuzzRequestBody$$' -fuzztime 30000x ./simulator

lint-ci-files: ## actionlint (fetched by go run) on the workflows and the GitHub example, the CI examples' structure and flags, shellcheck
	$(GO) run $(ACTIONLINT) .github/workflows/*.yml examples/ci/*github*.yml
	$(GO) test -count=1 ./examples/ci
	@if command -v shellcheck >/dev/null; then shellcheck scripts/*.sh examples/ci/*.sh && echo "shellcheck: scripts/*.sh examples/ci/*.sh"; \
	else echo "lint-ci-files: no shellcheck, the shell scripts are not checked (apt-get install shellcheck)"; fi

dist: ## the release in dist/: binaries for linux, darwin, windows x amd64, arm64, archives, SHA256SUMS; then the image (make docker)
	SOURCE_DATE_EPOCH=$${SOURCE_DATE_EPOCH:-$$(git log -1 --format=%ct 2>/dev/null)} \
	  $(GO) run ./scripts/dist -version '$(VERSION)' -ldflags '$(DIST_LDFLAGS)' -out $(DIST)
	scripts/image.sh '$(VERSION)' $(DIST) $(IMAGE)

docker: ## the image tssim:VERSION and tssim:latest, FROM scratch and linux binaries built here: pulls nothing
	$(GO) run ./scripts/dist -version '$(VERSION)' -ldflags '$(DIST_LDFLAGS)' -out $(DIST) -archives=false \
	  -platforms linux/$$(docker version -f '{{.Server.Arch}}')
	scripts/image.sh '$(VERSION)' $(DIST) $(IMAGE)

compose-test: ## run tssim contract container to container with docker compose (installs and starts docker if needed)
	scripts/compose-test.sh

release-test: ## make dist, then the README's section "Without Go" as printed, with no go on PATH, from a server on 127.0.0.1
	scripts/release-test.sh

.PHONY: metrics
metrics: ## the metrics' tests: they move, their labels are bounded, promtool check metrics passes on a scrape (needs promtool: apt-get install prometheus)
	$(GO) test -count=1 -run 'Metric|Observe|StatusClass' ./internal/metrics ./internal/delivery ./internal/state ./simulator ./cmd/tssim

.PHONY: balance-test
balance-test: build ## three tssim behind HAProxy with deploy/haproxy/haproxy.cfg: 300 worlds, each on one instance; one killed -9 and restarted with its worlds (needs haproxy)
	$(GO) run ./cmd/tsload balance --tssim $(BIN)/tssim --config deploy/haproxy/haproxy.cfg

# helm builds from the Go module proxy into $(BIN)/ (HELM=helm uses one on PATH).
HELM_VERSION ?= v4.3.2
HELM ?= $(abspath $(BIN))/helm

.PHONY: helm
helm: ## the Helm chart deploy/helm/tssim: helm lint and helm template, and its manifests held to tssim's routes and flags
	@command -v $(HELM) >/dev/null || GOBIN=$(dir $(HELM)) $(GO) install helm.sh/helm/v4/cmd/helm@$(HELM_VERSION)
	$(HELM) lint --strict deploy/helm/tssim
	$(HELM) template tssim deploy/helm/tssim --set serviceMonitor.enabled=true >/dev/null
	cd deploy/helm/check && $(GO) vet ./... && TSSIM_HELM=$$(command -v $(HELM)) $(GO) test -count=1 ./...
