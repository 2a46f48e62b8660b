# Two commands on a fresh machine (Python 3.11+): `make run` and `make test`.
# Each creates .venv and installs what it needs the first time.
# The first Python 3.11+ that actually runs (a pyenv shim may exist for a version that is not active).
PYTHON ?= $(shell for p in python3 python3.13 python3.12 python3.11; do \
	$$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1 && { command -v $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: run test lint typecheck pytest bench clean

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "SOAP War Room needs Python 3.11 or newer (python3 --version)"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@rm -f $(VENV)/.installed-* && touch $(STAMP)

# Socket Mode, HTTP, or (with no Slack credentials) the local console with demo data.
run: $(STAMP)
	@$(BIN)/soapbot run

# ruff, mypy and pytest; pytest runs every storage and end-to-end test on SQLite and,
# when TEST_DATABASE_URL is set, on PostgreSQL too.
test: $(STAMP) lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff check .

typecheck: $(STAMP)
	$(BIN)/mypy bot handlers storage

# One pytest worker per core; each test file stays on one worker (its module fixtures run once), and
# each worker has its own PostgreSQL database and SQLite files (tests/conftest.py).
pytest: $(STAMP)
	$(BIN)/python -m pytest -n auto --dist loadfile $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
