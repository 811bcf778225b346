# Ironstar: `make run` and `make test` are all a newcomer needs; `make setup` only installs.
SHELL := /bin/bash
.DEFAULT_GOAL := help
export UV_PYTHON_DOWNLOADS := never
export UV_LINK_MODE := copy

PYTHON := $(shell scripts/find-python)
export UV_PYTHON := $(PYTHON)
UV_VERSION := 0.13.9
UV := .tools/bin/uv
VENV := .venv
BIN := $(VENV)/bin
WEB := web-components
DIST := src/ironstar/static/dist/.vite/manifest.json
HOST ?= 127.0.0.1
PORT ?= 8000
DATA ?= data
# Front-end sources whose change triggers a rebuild.
WEB_SOURCES := $(shell find $(WEB)/src -type f 2>/dev/null) $(WEB)/vite.config.ts $(WEB)/package.json
PY_SOURCES := $(shell find src/ironstar -name '*.py' 2>/dev/null)

.PHONY: help setup run dev test test-fast test-browser lint fmt typecheck bench clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

$(UV):
	python3 -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.synced: pyproject.toml uv.lock $(UV)
	$(UV) sync --frozen --all-groups
	@touch $@

$(WEB)/node_modules/.installed: $(WEB)/package.json $(WEB)/package-lock.json
	cd $(WEB) && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

$(DIST): $(VENV)/.synced $(WEB)/node_modules/.installed $(WEB_SOURCES) $(PY_SOURCES) scripts/fetch_datastar.py scripts/build_icons.py
	cd $(WEB) && npm run --silent build
	@touch $@

setup: $(VENV)/.synced $(DIST) ## Install Python and npm deps, build assets (idempotent)

run: setup ## Start the app on http://$(HOST):$(PORT) with embedded defaults
	$(BIN)/ironstar serve --host $(HOST) --port $(PORT) --data-dir $(DATA)

dev: setup ## Dev loop: server reload + Vite watch + live reload in the browser
	cd $(WEB) && npm run --silent build:dev
	$(BIN)/honcho start -f Procfile.dev

test: setup ## Every check: lint, types, import contracts, unit, HTTP and browser tests
	$(MAKE) --no-print-directory lint typecheck
	$(BIN)/pytest -m "not browser"
	$(MAKE) --no-print-directory test-browser

test-browser: setup ## Browser tests in headless Chromium (own run: Playwright's sync loop and asyncio tests don't mix)
	$(BIN)/pytest -m browser

test-fast: setup ## Tests without the browser
	$(BIN)/pytest -m "not browser"

lint: $(VENV)/.synced ## Ruff lint + format check, import-linter contracts
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: $(VENV)/.synced ## mypy --strict over src, tests and bench
	$(BIN)/mypy

fmt: $(VENV)/.synced ## Format and autofix
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: setup ## Benchmarks side by side with their references (JSON on stdout)
	$(BIN)/python bench/store.py --json

DOCS := packages/docs

.PHONY: docs docs-dev

$(DOCS)/node_modules/.installed: $(DOCS)/package.json $(DOCS)/package-lock.json
	cd $(DOCS) && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

docs: $(DOCS)/node_modules/.installed ## Build the documentation site (Starlight over docs/) into packages/docs/dist
	cd $(DOCS) && npm run --silent build

docs-dev: $(DOCS)/node_modules/.installed ## Documentation site with live reload on http://localhost:4321
	cd $(DOCS) && npm run --silent dev

clean: ## Remove build outputs and environments (keeps data/)
	rm -rf $(VENV) .tools src/ironstar/static/dist src/ironstar/static/dev $(WEB)/node_modules packages/docs/node_modules packages/docs/dist packages/docs/.astro
