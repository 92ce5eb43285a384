# Two commands do all the set-up on a fresh machine:
#   make run   - virtual environment, pinned packages, migrations, demo data on first run,
#                then the portal on http://localhost:8501 (demo mode)
#   make test  - the same install, then the whole test suite
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cksum requirements.txt | cut -d' ' -f1)
PORT ?= 8501

.PHONY: install run test migrate demo bench clean

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
	PORTAL_DEMO=1 $(VENV)/bin/streamlit run app.py --server.headless true --server.port $(PORT)

test: install
	$(PY) -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache
