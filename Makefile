# Two commands do all the set-up on a fresh machine:
#   make run   - virtual environment, pinned packages, migrations, demo data on first run,
#                then the portal on http://localhost:8501 (demo mode)
#   make test  - the same install, then `make lint`, then the whole test suite
#   make lint  - the static checks alone: ruff (lint and format) and mypy, zero findings
#   make format - let ruff fix what it can and format the code
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cksum requirements.txt | cut -d' ' -f1)
PORT ?= 8501
# what ruff reads; mypy's paths (portal, db, app.py, serve.py) are in pyproject.toml
LINT_PATHS := portal db app.py serve.py pages tests

.PHONY: install run test lint format migrate demo bench clean

$(STAMP): requirements.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@rm -f $(VENV)/.installed-*
	@touch $@

install: $(STAMP)

migrate: install
	$(PY) -m portal init

demo: migrate
	$(PY) -m portal demo --if-empty

run: demo
	PORTAL_DEMO=1 $(VENV)/bin/streamlit run serve.py --server.headless true --server.port $(PORT)

lint: install
	$(VENV)/bin/ruff check $(LINT_PATHS)
	$(VENV)/bin/ruff format --check $(LINT_PATHS)
	$(VENV)/bin/mypy

format: install
	$(VENV)/bin/ruff check --fix $(LINT_PATHS)
	$(VENV)/bin/ruff format $(LINT_PATHS)

test: lint
	$(PY) -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
