# ltrr — `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
DEMO_DIR := data/demo
DEMO_SIZE ?= 50000
DEMO_SEED ?= 7
FIXTURE := catalog/fixtures/fixture_catalog.jsonl
HOST ?= 127.0.0.1
PORT ?= 8000
TRAFFIC ?= $(DEMO_DIR)/traffic.jsonl
export HF_HUB_OFFLINE := 1

.PHONY: help install run demo test lint typecheck unit bench load clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "Python 3.11 is required"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $@

install: $(STAMP) ## Create .venv and install ltrr with its dev tools

$(DEMO_DIR)/synthetic.jsonl: | $(STAMP)
	$(BIN)/ltrr catalog generate --size $(DEMO_SIZE) --seed $(DEMO_SEED) --out $@

$(DEMO_DIR)/.indexed: $(DEMO_DIR)/synthetic.jsonl $(FIXTURE) | $(STAMP)
	rm -rf $(DEMO_DIR)/bm25 $(DEMO_DIR)/dense $(DEMO_DIR)/gazetteer $(DEMO_DIR)/memory $(DEMO_DIR)/*.sqlite*
	$(BIN)/ltrr index --catalog $(FIXTURE) --catalog $(DEMO_DIR)/synthetic.jsonl --data-dir $(DEMO_DIR)
	touch $@

demo: $(DEMO_DIR)/.indexed ## Build the demo catalog (fixtures + synthetic) and its indexes

run: demo ## Set up everything and serve the demo on http://$(HOST):$(PORT)
	$(BIN)/ltrr serve --data-dir $(DEMO_DIR) --host $(HOST) --port $(PORT)

lint: $(STAMP) ## ruff lint and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP) ## mypy on the packages
	$(BIN)/mypy

unit: $(STAMP) ## The pytest suite only
	$(BIN)/pytest

test: lint typecheck unit ## Set up everything and run the whole suite

bench: demo ## Search latency benchmark at 100k entities
	$(BIN)/python bench/search_latency.py --catalog-size 100000 --queries 2000

$(DEMO_DIR)/traffic.jsonl: $(DEMO_DIR)/synthetic.jsonl $(FIXTURE) | $(STAMP)
	$(BIN)/ltrr simulate-traffic --catalog $(FIXTURE) --catalog $(DEMO_DIR)/synthetic.jsonl \
		--searches 20000 --seed $(DEMO_SEED) --out $@

load: $(STAMP) $(TRAFFIC) ## Load test a running service with locust (HOST/PORT, USERS, DURATION, TRAFFIC)
	$(BIN)/python -m pip install --quiet -e '.[dev,load]'
	LTRR_LOAD_TRAFFIC=$(TRAFFIC) $(BIN)/locust -f load_tests/locustfile.py --headless --host http://$(HOST):$(PORT) \
		--users $(or $(USERS),20) --spawn-rate 5 --run-time $(or $(DURATION),60s) --only-summary

clean: ## Remove the virtualenv and demo data
	rm -rf $(VENV) data
