# WorkspaceOps developer commands. `make help` lists them.
SHELL := /bin/bash
GO ?= go
NODE ?= node
NPM ?= npm
PKGS := ./...
# make run and make migrate log alike: readable text unless WSO_LOG_FORMAT says otherwise.
LOG_ENV := WSO_LOG_FORMAT=$${WSO_LOG_FORMAT:-text}
# Integration suites that talk to MongoDB; re-run through testcontainers by test-containers,
# where the end-to-end suite (on SQLite in `make test`) runs on the MongoDB adapter.
MONGO_PKGS := ./adapters/mongo/... ./cmd/workspaceops/

.PHONY: help run build image test test-unit test-client client-deps typecheck-client test-containers lint lint-specs fmt vet generate check-generated migrate clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

run: ## build, then serve on http://127.0.0.1:4000 with the embedded store (data in ./data); Ctrl-C stops it
	@test -x bin/workspaceops || echo "make run: building bin/workspaceops first; the first build downloads the Go modules and compiles, which can take a few minutes"
	@CGO_ENABLED=0 $(GO) build -trimpath -o bin/workspaceops ./cmd/workspaceops
	@$(LOG_ENV) WSO_TAKE_TERMINAL=1 exec ./bin/workspaceops serve

build: ## build the binaries into ./bin
	CGO_ENABLED=0 $(GO) build -trimpath -o bin/ ./cmd/... ./bench/wsbench

migrate: ## bring the configured database's schema up to date (SQLite migrations or MongoDB indexes)
	@CGO_ENABLED=0 $(GO) build -trimpath -o bin/workspaceops ./cmd/workspaceops
	@$(LOG_ENV) exec ./bin/workspaceops migrate

test: test-client ## the whole suite: unit, architecture, integration (embedded store), end to end (a real browser included), with -race
	$(GO) test -race -count=1 $(PKGS)

test-client: typecheck-client ## the realtime client's unit tests (api/client: Node's built-in runner) and its type check
	$(NODE) --test api/client/test/

# api/client's dev dependencies (React, TanStack Query, TypeScript, esbuild; pinned in its
# package-lock.json) for the React entry's tests, tsc and the React browser test. npm ci runs
# again only when the lockfile changes: node_modules/.package-lock.json is npm's own record.
CLIENT_DEPS := api/client/node_modules/.package-lock.json

client-deps: $(CLIENT_DEPS) ## install api/client's dev dependencies (npm ci from its committed lockfile)

$(CLIENT_DEPS): api/client/package-lock.json
	cd api/client && $(NPM) ci --no-audit --no-fund

typecheck-client: client-deps ## tsc --noEmit --strict on the client's types and on the React test app
	cd api/client && $(NODE) node_modules/typescript/bin/tsc -p tsconfig.json --noEmit --strict
	cd api/client && $(NODE) node_modules/typescript/bin/tsc -p test/react-app/tsconfig.json --noEmit --strict

test-unit: ## only the fast tests of modules and platform
	$(GO) test -race -count=1 ./modules/... ./platform/...

test-containers: ## the integration suites against a testcontainers-started store (needs Docker)
	bash .ci/docker.sh
	WSO_TEST_MONGO=testcontainers WSO_TEST_STORE=mongo $(GO) test -count=1 $(MONGO_PKGS)

lint: fmt vet ## gofmt and go vet

# The spec linters, pinned; npx fetches them from the npm registry on first use.
REDOCLY := @redocly/cli@2.77.0
SPECTRAL := @stoplight/spectral-cli@6.16.3

lint-specs: ## lint api/openapi.yaml (Redocly, Spectral) and api/asyncapi.yaml (Spectral); the rules and their few exceptions are in api/
	cd api && npx --yes $(REDOCLY) lint --config redocly.yaml openapi.yaml
	cd api && npx --yes $(SPECTRAL) lint --fail-severity=warn --ruleset .spectral.yaml openapi.yaml asyncapi.yaml

fmt:
	@out="$$(gofmt -l .)"; if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet $(PKGS)

generate: ## regenerate wire_gen.go and the client's event types (api/client/events.{js,d.ts} from api/asyncapi.yaml)
	$(GO) tool wire gen ./cmd/workspaceops
	$(GO) run ./api/clientgen -out api/client

check-generated: generate ## fail when generated code is stale
	git diff --exit-code -- '*wire_gen.go' api/client/events.js api/client/events.d.ts

clean:
	rm -rf bin .build

image: ## build the workspaceops:local image (FROM scratch around the static binary; needs Docker) for deploy/cluster
	rm -rf .build/image && mkdir -p .build/image/empty
	CGO_ENABLED=0 GOOS=linux $(GO) build -trimpath -o .build/image/workspaceops ./cmd/workspaceops
	cp /etc/ssl/certs/ca-certificates.crt .build/image/
	docker build -f deploy/workspaceops.Dockerfile -t workspaceops:local .build/image

.PHONY: bench bench-micro bench-store bench-metrics

bench: bench-metrics ## the metrics' cost per delivery (bench-metrics), then load-test a fresh server (pinned to CPU 0) with bench/wsbench on CPU 1; report in deploy/bench/
	ulimit -n "$$(ulimit -Hn)" 2>/dev/null || true; GO=$(GO) bash bench/wsbench/bench.sh

bench-micro: ## Go micro-benchmarks: hub broadcast, protocol encode/decode, sequencer
	$(GO) test -run='^$$' -bench=. -benchmem ./adapters/realtime/

bench-metrics: ## the metrics' cost on the realtime hot path: fan-out ns/delivery with the hub's metrics off vs on (bench/metrics_cost.sh)
	GO=$(GO) bash bench/metrics_cost.sh

bench-store: ## Go micro-benchmarks of the SQLite store's hot operations at 1,000 / 10,000 / 50,000 work items
	$(GO) test -run='^$$' -bench=. -benchtime=2000x ./adapters/sqlite/

.PHONY: bench-compare

bench-compare: ## the same idle/fanout/saturate load on our server, a Socket.io 4.8 reference (Node 20, npm ci) and Centrifugo v6.9.1 (built once into a cache); ratios in deploy/bench/compare.md
	ulimit -n "$$(ulimit -Hn)" 2>/dev/null || true; GO=$(GO) NODE=$(NODE) bash bench/wsbench/compare.sh
