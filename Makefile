# Two commands on a fresh machine (Python 3.11+): `make run` and `make test`.
# Each creates .venv and installs what it needs the first time.
# The first Python 3.11+ that actually runs (a pyenv shim may exist for a version that is not active).
PYTHON ?= $(shell for p in python3 python3.13 python3.12 python3.11; do \
	$$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1 && { command -v $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
# Installs come from the locks (requirements.txt: what runs; requirements-dev.txt: that plus the
# toolchain), hash-checked. Each stamp is named after the checksum of the files it installed from,
# so an edited lock or pyproject.toml makes the next `make` install again.
RUNTIME_STAMP := $(VENV)/.runtime-$(shell cat pyproject.toml requirements.txt | cksum | cut -d' ' -f1)
STAMP := $(VENV)/.dev-$(shell cat pyproject.toml requirements.txt requirements-dev.txt | cksum | cut -d' ' -f1)
PIP := $(BIN)/python -m pip --quiet --disable-pip-version-check

.PHONY: run test lint typecheck pytest bench clean lock

$(RUNTIME_STAMP): pyproject.toml requirements.txt
	@test -n "$(PYTHON)" || { echo "SOAP War Room needs Python 3.11 or newer (python3 --version)"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(PIP) install --upgrade pip
	@$(PIP) install --require-hashes -r requirements.txt
	@$(PIP) install --no-deps -e .
	@rm -f $(VENV)/.installed-* $(VENV)/.runtime-* && touch $(RUNTIME_STAMP)

$(STAMP): $(RUNTIME_STAMP) requirements-dev.txt
	@$(PIP) install --require-hashes -r requirements-dev.txt
	@rm -f $(VENV)/.dev-* && touch $(STAMP)

# Rewrites both locks from pyproject.toml, keeping every pin that still fits (docs/operations.md,
# "Dependencies"). `make lock LOCK_ARGS=--upgrade` moves every pin to the newest release that fits,
# `LOCK_ARGS='--upgrade-package alembic'` one package.
UV := $(BIN)/uv
LOCK_COMPILE = $(UV) pip compile pyproject.toml --quiet --universal --python-version 3.11 --generate-hashes \
	--custom-compile-command 'make lock' $(LOCK_ARGS)
lock:
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@test -x $(UV) || $(PIP) install 'uv==0.13.8'
	$(LOCK_COMPILE) -o requirements.txt
	$(LOCK_COMPILE) --extra dev -c requirements.txt -o requirements-dev.txt

# Socket Mode, HTTP, or (with no Slack credentials) the local console with demo data. Installs what
# runs and nothing of the toolchain.
run: $(RUNTIME_STAMP)
	@$(BIN)/soapbot run

# ruff, mypy and pytest; pytest runs every storage and end-to-end test on SQLite and,
# when TEST_DATABASE_URL is set, on PostgreSQL too.
test: $(STAMP) lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff check .

typecheck: $(STAMP)
	$(BIN)/mypy bot handlers storage

# One pytest worker per core; each test file stays on one worker (its module fixtures run once), and
# each worker has its own PostgreSQL database and SQLite files (tests/conftest.py). The tests that assert
# a wall-clock bound (marked `timing`) then run alone, on one worker, so the others do not slow them.
# Either run failing fails `make test`, and a run that selects no test fails too (pytest exits 5).
pytest: $(STAMP)
	$(BIN)/python -m pytest -n auto --dist loadfile -m "not timing" $(PYTEST_ARGS)
	$(BIN)/python -m pytest -n 0 -m timing $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
