# acmehub: `make help` lists the targets.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.DEFAULT_GOAL := help

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP) ## Create the virtual environment with acmehub and the dev tools

run: $(STAMP) ## Serve ACME on the embedded default (https://127.0.0.1:8443), initializing it if needed
	$(VENV)/bin/acmehub serve

lint: $(STAMP) ## ruff (lint + format check), mypy --strict, import-linter contracts
	$(VENV)/bin/ruff check src tests fuzz
	$(VENV)/bin/ruff format --check src tests fuzz
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

test: lint ## Lint, then every test: unit, contract, integration, interop (real certbot and lego)
	$(VENV)/bin/pytest -q -p no:cacheprovider

test-fast: $(STAMP) ## Unit and contract tests only
	$(VENV)/bin/pytest -q -p no:cacheprovider tests/unit tests/contract

FUZZ_SECONDS ?= 60

fuzz: $(STAMP) ## Run every fuzz/*.py target (atheris) for FUZZ_SECONDS each (default 60); crashes in fuzz/crashes/
	@mkdir -p fuzz/crashes
	@set -e; for target in fuzz/*.py; do \
	  name=$$(basename $$target .py); echo "fuzz: $$target for $(FUZZ_SECONDS)s"; \
	  mkdir -p fuzz/corpus/$$name; work=$$(mktemp -d); \
	  $(PY) $$target -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	    -artifact_prefix=fuzz/crashes/$$name- $$work fuzz/corpus/$$name; \
	  rm -rf $$work; \
	done

openapi: $(STAMP) ## Regenerate docs/openapi.json (the REST API's OpenAPI document; a test compares it)
	$(VENV)/bin/acmehub openapi --output docs/openapi.json

bench-deps: ## Debian's pebble (Pebble, pebble-challtestsrv) for the benchmark, if missing
	@command -v pebble >/dev/null && command -v pebble-challtestsrv >/dev/null || \
	  { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q pebble; }

bench: $(STAMP) bench-deps ## acmehub vs Pebble side by side (~15 min); ARGS=--quick for a smoke run
	$(PY) -m bench.run $(ARGS)

format: $(STAMP) ## Format the code with ruff
	$(VENV)/bin/ruff format src tests
	$(VENV)/bin/ruff check --fix src tests

clean: ## Remove the virtual environment and caches (not the state directory)
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache

.PHONY: help venv run lint test test-fast fuzz openapi bench bench-deps format clean
