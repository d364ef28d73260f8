# The two commands of the README:
#   make run    create .venv if missing, install, serve the app on http://localhost:8501
#   make test   install the test extras, make sure a browser exists, run every test
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8501
PYTEST_ARGS ?=

.PHONY: run test warm bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[test,cluster]"
	touch $@ $(VENV)/.installed

run: $(VENV)/.installed
	$(BIN)/python -m app.serve --server.port $(PORT)

test: $(VENV)/.installed-test
	$(BIN)/python -m harness.browser --ensure
	$(BIN)/python -m pytest $(PYTEST_ARGS)

warm: $(VENV)/.installed
	$(BIN)/python -m core warm

bench: $(VENV)/.installed-test
	$(BIN)/python -m bench.all
