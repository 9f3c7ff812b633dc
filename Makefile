# Kandoo: `make run` starts the suite on this machine, `make test` passes the tests.
# Everything downloaded or built lands in .cache/ (ignored), so a second run is fast.
SHELL := /bin/bash
.DEFAULT_GOAL := help
CACHE := $(CURDIR)/.cache
export UV_CACHE_DIR ?= $(CACHE)/uv
export UV_PYTHON_DOWNLOADS ?= never
UV := $(or $(shell command -v uv 2>/dev/null),$(CACHE)/tools/bin/uv)
PY := $(UV) run --frozen
LOCAL := $(PY) python deploy/local/localservers.py
DEBIAN_TOOLS := docker-compose kcat openssl nginx chromium promtool:prometheus
# each a command, or command:package when the package is named otherwise
WEB := services/web
export npm_config_cache ?= $(CACHE)/npm

.PHONY: help setup tools test lint run demo bench up down clean distclean servers-start servers-stop servers-status

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-15s %s\n", $$1, $$2}'

$(CACHE)/tools/bin/uv:
	@echo "uv not found: installing it from PyPI into .cache/tools"
	python3 -m venv $(CACHE)/tools && $(CACHE)/tools/bin/pip install --quiet uv

setup: $(UV) $(WEB)/node_modules/.package-lock.json ## install the Python workspace (uv.lock) into .venv and the web's npm packages (package-lock.json)
	@$(UV) sync --frozen --quiet

$(WEB)/node_modules/.package-lock.json: $(WEB)/package-lock.json
	@cd $(WEB) && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

tools: ## install the Debian tools the tests use (docker-compose to validate compose.yaml, kcat, openssl, nginx for the gateway, chromium for the browser tests, promtool from prometheus to check the alert rules)
	@missing=""; for t in $(DEBIAN_TOOLS); do command -v $${t%%:*} >/dev/null || missing="$$missing $${t##*:}"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi; \
	  $$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq $$missing >/dev/null; \
	fi

test: setup tools ## run every test against real Kafka and MongoDB-protocol servers
	@$(LOCAL) ensure
	@$(PY) pytest

lint: setup ## ruff and mypy --strict
	$(PY) ruff check .
	$(PY) ruff format --check .
	$(PY) mypy libs services tests deploy/local bench

run: setup ## start Kafka, FerretDB and every built service; Ctrl-C stops everything
	@$(PY) python deploy/local/run.py

demo: setup ## with `make run` going: submit a morning of sample reports and act on them
	@$(PY) python deploy/local/demo.py

bench: setup ## run the benchmarks under bench/ and print their figures
	@$(LOCAL) start
	@$(PY) python bench/run_all.py

servers-start: setup ## start only the local Kafka and FerretDB (dev ports; BROKERS=3: a KRaft cluster of three)
	@$(LOCAL) start $(if $(BROKERS),--brokers $(BROKERS))
servers-stop: setup ## stop the local Kafka and FerretDB
	@$(LOCAL) stop
servers-status: setup ## are the local servers running?
	@$(LOCAL) status

up: ## start the suite with Docker compose (needs a Docker engine)
	docker compose up -d --build
down: ## stop the Docker compose suite
	docker compose down

clean: ## stop the local servers and delete their data (downloads stay cached)
	-@$(LOCAL) reset --profile dev
	-@$(LOCAL) reset --profile test
	rm -rf .pytest_cache .mypy_cache .ruff_cache

distclean: clean ## also delete every download and build under .cache and .venv
	rm -rf $(CACHE) .venv
