# RenewDesk: `make run` starts the app on embedded defaults, `make test` runs every test.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test install lint format messages clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip 2>&1 | grep -v "is ignored" || true
	$(PY) -m pip install -q -e ".[dev]" 2>&1 | grep -v "is ignored" || true
	$(PY) -c "import django, celery, weasyprint, playwright" 
	@touch $(STAMP)

install: $(STAMP)

messages: $(STAMP)
	$(PY) manage.py compilemessages -v0 --ignore=.venv

run: $(STAMP)
	@./scripts/run_local.sh

test: $(STAMP)
	./scripts/ensure_services.sh
	$(PY) manage.py compilemessages -v0 --ignore=.venv
	$(PY) manage.py check
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) manage.py makemigrations --check --dry-run
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m pytest -p no:randomly --create-db $(PYTEST_ARGS)

lint:
	$(PY) -m ruff check . && $(PY) -m ruff format --check .

format:
	$(PY) -m ruff format . && $(PY) -m ruff check --fix .

clean:
	rm -rf $(VENV) staticfiles
