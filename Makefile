# tssim: the simulator (cmd/tssim), the reference client (cmd/tsclient) and
# their tests. `make help` lists the targets.

GO      ?= go
BIN     ?= bin
ARGS    ?=

.PHONY: help build run test lint
help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN{FS=":.*## "}{printf "  %-14s %s\n", $$1, $$2}'

build: ## build bin/tssim and bin/tsclient (static)
	CGO_ENABLED=0 $(GO) build -trimpath -o $(BIN)/ ./cmd/...

run: ## run the simulator on 127.0.0.1:8080 (pass flags with ARGS="--clock manual")
	$(GO) run ./cmd/tssim $(ARGS)

test: ## run every test, with the race detector
	$(GO) test -race -count=1 ./...

lint: ## gofmt and go vet
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change: $$out"; exit 1; fi
	$(GO) vet ./...
