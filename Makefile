# PyCommerce: two commands do all the set-up.
#   make run   - venv, install, migrate SQLite under var/, seed a demo store, serve on :8000
#   make test  - dev dependencies, system packages the tests need, the whole suite (SQLite + PostgreSQL)
# The first Python >= 3.11 on PATH, newest name first (override: make PYTHON=/path/to/python).
ifeq ($(origin PYTHON), undefined)
PYTHON := $(shell for p in python3.14 python3.13 python3.12 python3.11 python3 python; do \
	$$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null && { command -v $$p; break; }; done)
endif
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
RUN_PIDFILE ?= var/pycommerce.pid

.PHONY: run test install install-dev system-deps serve migrate demo clean

$(BIN)/python:
	@test -n "$(PYTHON)" || { echo "PyCommerce needs Python 3.11 or newer; none found on PATH (set PYTHON=...)." >&2; exit 1; }
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
	PYCOMMERCE_HOST=$(HOST) PYCOMMERCE_PORT=$(PORT) $(BIN)/pycommerce demo

# The server takes the recipe shell's place (exec), so the pid written to $(RUN_PIDFILE) is the
# server's own: stop it with kill "$$(cat var/pycommerce.pid)".
run: demo
	@echo "PyCommerce is starting on http://$(HOST):$(PORT)/"
	@echo "  demo storefront:   http://demo.localhost:$(PORT)/"
	@echo "  API reference:     http://$(HOST):$(PORT)/docs  (and /redoc)"
	@echo "  stop:              Ctrl-C, or kill \"\$$(cat $(RUN_PIDFILE))\""
	@mkdir -p $(dir $(RUN_PIDFILE)); echo $$$$ > $(RUN_PIDFILE); \
	PYCOMMERCE_HOST=$(HOST) PYCOMMERCE_PORT=$(PORT) exec $(BIN)/pycommerce serve

test: install-dev system-deps
	$(BIN)/python -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache
