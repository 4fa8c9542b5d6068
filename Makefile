# DenialOps developer commands. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

UV_VERSION ?= 0.9.30
UV ?= $(shell command -v uv 2>/dev/null || echo $(HOME)/.local/bin/uv)
VENV := .venv
INFRA := deploy/local/infra.sh
SERVICES := deploy/local/services.sh

.PHONY: help setup up down run demo test test-system bench bench-growth bench-extraction bench-generation lint format infra-up infra-down status logs route-model

help: ## list the commands
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-11s %s\n", $$1, $$2}'

# A user install; a Debian-managed python3 refuses even that unless told it leaves the system alone.
$(UV):
	python3 -m pip install --quiet --user "uv==$(UV_VERSION)" || \
		python3 -m pip install --quiet --user --break-system-packages "uv==$(UV_VERSION)"

setup: $(UV) ## install system packages (Tesseract, Chromium, npm) and create .venv with everything, from uv.lock
	deploy/local/system-packages.sh
	$(UV) sync --frozen --all-packages
	npm ci --prefix tests/browser --no-audit --no-fund --loglevel=error

infra-up: ## start Kafka (KRaft) and FerretDB in the background
	$(INFRA) start

infra-down: ## stop Kafka and FerretDB
	$(INFRA) stop

up: setup infra-up ## start the infrastructure and all four services, and a development API key in .local/api-key
	$(SERVICES) start
	deploy/local/dev-tenant.sh

down: ## stop everything `make up` started
	-$(SERVICES) stop
	$(INFRA) stop

status: ## show what is running
	-$(SERVICES) status
	-$(INFRA) status

logs: ## follow the services' logs
	$(SERVICES) logs

run: up ## start everything, follow the logs until Ctrl-C, then stop everything
	@trap '$(MAKE) --no-print-directory down' EXIT; $(SERVICES) logs || true

demo: up ## send every sample letter through the HTTP API and print route, deadline and artifacts
	$(VENV)/bin/denialops demo data/samples/letters

test: setup ## run the whole test suite (starts and stops the infrastructure it needs)
	$(VENV)/bin/pytest

test-system: setup ## the fault suite: kill every service and restart Kafka and the database under load
	$(VENV)/bin/pytest -m system -s tests/system

bench: setup ## benchmark a stack of its own (HTTP, Kafka, LLM path, CPU/RSS, scale-out); BENCH_ARGS=--quick
	$(VENV)/bin/python -m bench.stack_bench $(BENCH_ARGS)

bench-growth: setup ## 20,000 cases through Kafka: throughput and CPU per case, first blocks vs last (~30 min)
	$(VENV)/bin/python -m bench.growth_bench $(BENCH_ARGS)

bench-extraction: setup ## median CPU per letter of extraction + routing (extract, route) over the development letters
	$(VENV)/bin/python -m bench.extraction_bench $(BENCH_ARGS)

bench-generation: setup ## median CPU per case of template generation (llm-worker run_stages) over the development letters
	$(VENV)/bin/python -m bench.generation_bench $(BENCH_ARGS)

route-model: setup ## re-fit the router's route model on the development letters (after changing extraction)
	$(VENV)/bin/python -m tools.routing_model.train

lint: setup ## ruff (lint + format check) and mypy
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

format: setup ## apply ruff's formatting and safe fixes
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .
