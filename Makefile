# PyCommerce: two commands do all the set-up.
#   make run   - venv, install, migrate SQLite under var/, seed a demo store, serve on :8000
#   make test  - dev dependencies, system packages the tests need, the whole suite (SQLite + PostgreSQL)
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install install-dev system-deps serve migrate demo clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -U pip

install: $(BIN)/python
	$(BIN)/pip install -q -e .

install-dev: $(BIN)/python
	$(BIN)/pip install -q -e ".[dev]"

system-deps:
	@./scripts/system-deps.sh

migrate: install
	$(BIN)/pycommerce migrate

demo: migrate
	$(BIN)/pycommerce demo

run: demo
	PYCOMMERCE_HOST=$(HOST) PYCOMMERCE_PORT=$(PORT) $(BIN)/pycommerce serve

test: install-dev system-deps
	$(BIN)/python -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache
