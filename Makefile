# gateway-contracts. `make gate` is the pre-deploy gate; `make test` runs the project's own tests.
# Each target builds the virtualenv it needs from pyproject.toml (Python 3.11, no other prerequisite).
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

# Suite variables: each is also a pytest option with the same meaning (README "Variables").
TARGET_URL ?=
CONTRACTS ?= contracts/gateways.yaml
GATEWAYS ?=
BASELINE ?=
FAULTS ?=
PORT ?= 8080
# xdist workers for suite runs (verdicts are the same serial or parallel).
N ?= 2
PYTEST_ARGS ?=
export TARGET_URL CONTRACTS GATEWAYS BASELINE

SUITE := $(PY) -m pytest -p xdist -n $(N)

.PHONY: help install gate test lint serve clean

help:
	@echo "make gate    - pre-deploy gate against TARGET_URL (default: embedded reference gateway)"
	@echo "make test    - the project's own tests (units, properties, kill matrix)"
	@echo "make serve   - run the reference gateway in the foreground (PORT, FAULTS)"
	@echo "make lint    - ruff"

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --upgrade pip
	$(VENV)/bin/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

reports:
	mkdir -p reports

gate: $(STAMP) reports
	$(SUITE) tests/contract -m gate --junitxml=reports/junit-gate.xml $(PYTEST_ARGS)

test: $(STAMP) reports
	$(VENV)/bin/ruff check .
	$(PY) -m pytest tests/self --junitxml=reports/junit-self.xml $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .

serve: $(STAMP)
	FAULTS="$(FAULTS)" $(PY) -m gateway_contracts.reference --port $(PORT)

clean:
	rm -rf $(VENV) reports .pytest_cache .ruff_cache
