# RenewDesk: `make run` starts the app on embedded defaults, `make test` runs every test.
# Every recipe line runs in bash with -e and pipefail: a failing command fails the target even
# when its output is piped through a filter.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# Touched after a successful install; pyproject.toml newer than it means "install again".
STAMP := $(VENV)/.installed
# pip prints one "Location ... is ignored" line per configured local index folder: noise.
PIP_FILTER := { grep -v "is ignored" || true; }

.PHONY: help run test test-dates install lint format messages services check clean

help:
	@echo "make run    start RenewDesk locally (SQLite, embedded broker): web, worker, beat"
	@echo "make test   install, start PostgreSQL and Redis, run checks, linters and all tests"
	@echo "            (PYTEST_ARGS='-k portal' narrows the run; TEST_DATABASE_NAME picks the test DB)"
	@echo "            then the date-sensitive tests again under faketime at TEST_DATES"
	@echo "make test-dates   only the shifted-date runs"
	@echo "make lint / make format / make messages / make clean"

$(STAMP): pyproject.toml
	@if [ ! -x $(PY) ]; then \
	  echo "Creating the virtual environment in $(VENV)"; \
	  $(PYTHON) -m venv $(VENV) || { \
	    echo "Could not create a virtual environment. On Debian/Ubuntu: sudo apt-get install -y python3-venv"; \
	    exit 1; }; \
	fi
	$(PY) -m pip install -q --upgrade pip 2>&1 | $(PIP_FILTER)
	$(PY) -m pip install -q -e ".[dev]" 2>&1 | $(PIP_FILTER)
	$(PY) -c "import django, celery, weasyprint, playwright"
	@touch $(STAMP)

install: $(STAMP)

# compilemessages refuses to run when the tree holds no catalogue at all.
messages: $(STAMP)
	@if [ -n "$$(find . -path ./$(VENV) -prune -o -name '*.po' -print -quit)" ]; then \
	  $(PY) manage.py compilemessages -v0 --ignore=$(VENV); fi

run: $(STAMP)
	@./scripts/run_local.sh

services:
	./scripts/ensure_services.sh

# Fast, database-free checks first, so that a lint error fails in seconds. lint-imports checks
# that apps depend one way (docs/architecture.md; the contracts are in pyproject.toml).
check: $(STAMP) messages
	$(PY) manage.py check --fail-level WARNING
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) manage.py makemigrations --check --dry-run
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(VENV)/bin/lint-imports
	$(PY) -m mypy .

# The environment passes through (TEST_DATABASE_NAME, DATABASE_URL, REDIS_URL, ...).
# Two pytest workers (pytest-xdist), one per core, each with its own test database;
# --dist loadfile keeps a file's tests (and its session fixtures) in one worker; the files go
# out in the order collected (--no-loadscope-reorder: xdist would put the files with the most
# tests first, which sends the two-test file of the 100,000-row import last and leaves one
# worker running it alone for minutes). tests/conftest.py collects the slowest files first.
PYTEST_WORKERS ?= 2
# Then the date-sensitive tests (not e2e, not frozen by time_machine from their start) again
# under faketime at TEST_DATES (docs/testing.md); `TEST_DATES= make test` skips that part.
TEST_DATES ?= 2027-12-31 2028-02-29
test: $(STAMP) services check
	$(PY) -m pytest --create-db -n $(PYTEST_WORKERS) --dist loadfile --no-loadscope-reorder \
	  --durations=15 $(PYTEST_ARGS)
	@if [ -n "$(strip $(TEST_DATES))" ]; then \
	  TEST_DATES="$(TEST_DATES)" PYTEST_WORKERS=$(PYTEST_WORKERS) ./scripts/test_at_dates.sh $(PYTEST_ARGS); fi

# Only the shifted-date runs (after `make test` or on their own).
test-dates: $(STAMP) services messages
	TEST_DATES="$(TEST_DATES)" PYTEST_WORKERS=$(PYTEST_WORKERS) ./scripts/test_at_dates.sh $(PYTEST_ARGS)

lint: $(STAMP)
	$(PY) -m ruff check . && $(PY) -m ruff format --check .

format: $(STAMP)
	$(PY) -m ruff format . && $(PY) -m ruff check --fix .

clean:
	rm -rf $(VENV) staticfiles var
