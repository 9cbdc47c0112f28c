# Two commands for a newcomer: `make run` and `make test`. Everything else is optional.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
export FLASK_APP := wsgi:app

.PHONY: run test install check bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed

## make run: install, migrate SQLite, import the shipped courses, create demo accounts, serve on 127.0.0.1:$(PORT)
run: $(VENV)/.installed
	$(BIN)/flask db upgrade
	$(BIN)/flask academy import --on-conflict warn
	$(BIN)/flask academy keys init --if-missing
	$(BIN)/flask academy demo
	@echo "Academy: http://127.0.0.1:$(PORT)  (demo accounts above, and in instance/demo-accounts.txt)"
	$(BIN)/flask run --host 127.0.0.1 --port $(PORT)

## make test: the whole suite on SQLite and PostgreSQL (browser tests need Chromium)
test: $(VENV)/.installed-test
	$(BIN)/python -m tests.support.run $(ARGS)

## make bench: every benchmark on SQLite and PostgreSQL (gunicorn + wrk), results in bench/results.md
bench: $(VENV)/.installed-test
	$(BIN)/python -m bench.run

## make check: validate the shipped course files
check: $(VENV)/.installed
	$(BIN)/flask academy check --strict

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache
