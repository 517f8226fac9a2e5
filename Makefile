# gateway-contracts. `make gate` is the pre-deploy gate; `make test` runs the project's own tests.
# Each target builds the virtualenv it needs from pyproject.toml (Python 3.11, no other prerequisite).
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
# The tests also start a real LiteLLM proxy: its extra (~690 MB, ~25 s from the index) only for `make test`.
LITELLM_STAMP := $(VENV)/.litellm-stamp

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
# pytest caches its assertion-rewritten modules as bytecode; with PYTHONDONTWRITEBYTECODE set (some CI images
# and shells set it) every process rewrites ~300 modules again, about 2 s per process and xdist worker.
unexport PYTHONDONTWRITEBYTECODE

SUITE := $(PY) -m pytest -p xdist -n $(N)

# Every suite run writes reports/junit-<run>.xml, reports/allure-results/ (no captured output: it could
# hold a key) and the run record reports/run-<run>.json + reports/history.jsonl the sign-off report reads.
RUN_ARGS = --junitxml=reports/junit-$(1).xml --run-name $(1) --reports-dir reports \
	--alluredir=reports/allure-results --clean-alluredir --allure-no-capture
# nightly and signoff: every contract, plus the deep fuzz profile (tests/fuzz -m nightly) once tests/fuzz has tests.
FUZZ_TESTS := $(wildcard tests/fuzz/test_*.py)
NIGHTLY_TESTS := tests/contract $(if $(FUZZ_TESTS),tests/fuzz -m "not fuzz or nightly")
# make baseline: BASELINE names the file to write; unset: contracts/baselines/<target host>.json.
BASELINE_OUT = $(or $(BASELINE),auto)

.PHONY: help install gate test lint serve clean nightly signoff baseline report screenshot fuzz bench

help:
	@echo "make gate    - pre-deploy gate against TARGET_URL (default: embedded reference gateway)"
	@echo "make test    - the project's own tests (units, properties, kill matrix)"
	@echo "make serve   - run the reference gateway in the foreground (PORT, FAULTS)"
	@echo "make lint    - ruff"
	@echo "make nightly - every contract + deep fuzzing; compares with BASELINE=FILE when given"
	@echo "make fuzz    - the nightly fuzz profile alone (schemathesis, pagination walk, spec drift)"
	@echo "make signoff - the nightly run, then reports/signoff.html and reports/signoff.md"
	@echo "make baseline - snapshot the target into BASELINE (default contracts/baselines/<host>.json)"
	@echo "make report  - sign-off report of the latest run (RUN=name) + Allure 3 HTML when Node is present"
	@echo "make bench   - measure the suite's own cost (requests, wall time, scale); writes bench/RESULTS.md"

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --upgrade pip
	$(VENV)/bin/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

$(LITELLM_STAMP): $(STAMP)
	$(VENV)/bin/python -m pip install --quiet -e '.[dev,litellm]'
	touch $(LITELLM_STAMP)

install: $(STAMP)

reports:
	mkdir -p reports

gate: $(STAMP) reports
	$(SUITE) tests/contract tests/fuzz -m gate $(call RUN_ARGS,gate) $(PYTEST_ARGS)

# Deep fuzzing of the committed spec (contracts/openapi.json) and drift of the live one; a TARGET_URL host must
# be in FUZZ_ALLOWED_HOSTS (README "Fuzzing").
fuzz: $(STAMP) reports
	$(SUITE) tests/fuzz -m nightly $(call RUN_ARGS,fuzz) $(PYTEST_ARGS)

nightly: $(STAMP) reports
	$(SUITE) $(NIGHTLY_TESTS) $(call RUN_ARGS,nightly) $(PYTEST_ARGS)

# The report is rendered whatever the verdict; the exit status stays the suite's (or 1 if no report).
signoff: $(STAMP) reports
	status=0; $(SUITE) $(NIGHTLY_TESTS) $(call RUN_ARGS,signoff) $(PYTEST_ARGS) || status=$$?; \
	$(PY) -m gateway_contracts.report --run signoff || { [ $$status -ne 0 ] || status=1; }; \
	exit $$status

# BASELINE= : the snapshot run compares with nothing; the file is written only if every contract holds.
baseline: $(STAMP) reports
	BASELINE= $(SUITE) tests/contract $(call RUN_ARGS,baseline) --update-baseline "$(BASELINE_OUT)" $(PYTEST_ARGS)

report: $(STAMP) reports
	$(PY) -m gateway_contracts.report $(if $(RUN),--run $(RUN))
	PY=$(PY) scripts/allure-report.sh

screenshot:
	scripts/screenshot.sh reports/signoff.html reports/signoff.png 1400,3000

test: $(LITELLM_STAMP) reports
	$(VENV)/bin/ruff check .
	$(PY) -m pytest tests/self --junitxml=reports/junit-self.xml $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .

serve: $(STAMP)
	FAULTS="$(FAULTS)" $(PY) -m gateway_contracts.reference --port $(PORT)

# Measured, not asserted (minutes; not part of make test): BENCH_ARGS e.g. --runs 3 --sizes 10000,100000.
BENCH_ARGS ?=
bench: $(STAMP)
	$(PY) bench/run_all.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) reports .pytest_cache .ruff_cache
