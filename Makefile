# Conveyor's front door. `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# uv is installed into the project cache when the machine has none.
CACHE := $(CURDIR)/.cache
UV_VERSION := 0.13.9
UV := $(shell command -v uv 2>/dev/null || echo $(CACHE)/uv/bin/uv)
RUN := $(UV) run --frozen
STACK := $(RUN) python -m conveyor_local.stack

.PHONY: help
help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  \033[36m%-12s\033[0m %s\n", $$1, $$2}'

$(CACHE)/uv/bin/uv:
	python3 -m pip install --quiet --target $(CACHE)/uv/lib uv==$(UV_VERSION)
	mkdir -p $(CACHE)/uv/bin && ln -sf $(CACHE)/uv/lib/bin/uv $(CACHE)/uv/bin/uv

.PHONY: install
install: $(if $(shell command -v uv 2>/dev/null),,$(CACHE)/uv/bin/uv) ## Install uv (if missing) and the locked Python workspace
	$(UV) sync --frozen

.PHONY: up
up: install ## Fetch/build (first time) and start Kafka, FerretDB and Jaeger (its first build in the background); create every topic
	$(STACK) up

.PHONY: down
down: ## Stop the local servers cleanly
	$(STACK) down

.PHONY: status
status: ## Tell which local servers run, on which port
	$(STACK) status

.PHONY: logs
logs: ## Show where the servers' logs are, and their last lines
	$(STACK) logs

.PHONY: lint
lint: install ## ruff and import-linter
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) lint-imports

.PHONY: typecheck
typecheck: install ## mypy --strict with the pydantic plugin
	$(RUN) mypy contracts/src runtime/src testkit/src services/*/src simulators/src deploy/local/src

.PHONY: fmt
fmt: install ## Format and auto-fix
	$(RUN) ruff format .
	$(RUN) ruff check --fix .

.PHONY: test
test: lint typecheck install ## Everything CI checks: lint, types, then all tests against the real servers
	$(STACK) up --wait-all
	$(RUN) python -m conveyor_local.k8s tools
	$(RUN) pytest

.PHONY: contracts
contracts: install ## Regenerate JSON Schema snapshots and the AsyncAPI document
	$(RUN) python -m conveyor_contracts.snapshots

.PHONY: docs
docs: install ## Partners' hand-off folder: AsyncAPI (JSON, offline HTML), JSON Schemas, wheel (OUT=.cache/handoff)
	$(RUN) python -m conveyor_contracts.handoff $(or $(OUT),$(CACHE)/handoff)
	$(UV) build --quiet --no-create-gitignore --package conveyor-contracts --wheel -o $(or $(OUT),$(CACHE)/handoff)/python

.PHONY: kubernetes k8s
kubernetes: install ## Render every deploy/k8s overlay and validate each object offline (first run builds the tools)
	$(RUN) python -m conveyor_local.k8s check
k8s: kubernetes  # the short name; help lists only names without digits

.PHONY: token
token: install ## Mint a development bearer token: make -s token ROLE=agent|buyer|seller|operator SUBJECT=id
	@$(RUN) python -m conveyor_runtime.tokens mint --role $(or $(ROLE),operator) --subject $(or $(SUBJECT),opr_0001)

.PHONY: demo
demo: up ## Run the whole mesh on a few hundred simulated orders and summarise (ARGS="--short")
	$(RUN) python -m conveyor_local.demo $(ARGS)

.PHONY: trace
trace: install ## Print an order's trace from Jaeger as a waterfall: make trace ORDER=ord_... (ARGS="--linked")
	@$(if $(ORDER),,echo "usage: make trace ORDER=<order id> [ARGS=\"--linked --hours 72\"]" >&2; exit 2)
	@$(RUN) python -m conveyor_local.trace $(ORDER) $(ARGS)

.PHONY: dead-letters
dead-letters: install ## Parked messages: ARGS="list" (default), "replay --dry-run", "replay --topic T --reason TEXT"
	$(RUN) python -m conveyor_runtime.dead_letters \
		$(if $(wildcard .cache/kafka/credentials.json),--credentials .cache/kafka/credentials.json) $(or $(ARGS),list)

.PHONY: chaos
chaos: install ## Faults on a live flow: 20 seeds on a 3-broker stack of its own, audited (ARGS="--short", "--seed 13")
	$(RUN) python -m conveyor_local.chaos $(ARGS)

.PHONY: bench
bench: up ## Measure throughput and latency against this run's baselines (ARGS="--short")
	$(RUN) python -m conveyor_local.bench $(ARGS)

.PHONY: bench-backends
bench-backends: install ## FerretDB on SQLite vs on PostgreSQL, per operation (installs PostgreSQL if missing)
	$(RUN) python -m conveyor_local.bench_backends $(ARGS)

.PHONY: simulate-checkout
simulate-checkout: install ## Publish simulated shop orders (ARGS="--orders 100 --rate 20 --seed 7")
	$(RUN) python -m conveyor_simulators checkout $(ARGS)

.PHONY: simulate-carriers
simulate-carriers: install ## Run simulated carriers until interrupted (ARGS="--codes all --speed 60")
	$(RUN) python -m conveyor_simulators carriers $(ARGS)
