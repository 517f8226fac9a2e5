# gateway-contracts. `make gate` is the pre-deploy gate; `make test` runs the project's own tests; `make check`
# is the inner loop (under a minute).
# Each target builds the virtualenv it needs from pyproject.toml (Python 3.11, no other prerequisite).
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
# The tests also start a real LiteLLM proxy: its extra (~690 MB, ~25 s from the index) only for `make test`.
LITELLM_STAMP := $(VENV)/.litellm-stamp

# Suite variables: each is also a pytest option with the same meaning (docs/configuration.md).
TARGET_URL ?=
# The differential gate: production's URL; the candidate (TARGET_URL) is compared with it (docs/configuration.md).
COMPARE_URL ?=
CONTRACTS ?= contracts/gateways.yaml
GATEWAYS ?=
BASELINE ?=
FAULTS ?=
PORT ?= 8080
# make serve: the reference gateway's shape, full or sparse (docs/reference-gateway.md); unset: $REFERENCE_SHAPE or full
SHAPE ?=
# xdist workers for suite runs (verdicts are the same serial or parallel).
N ?= 2
PYTEST_ARGS ?=
export TARGET_URL COMPARE_URL CONTRACTS GATEWAYS BASELINE
# pytest caches its assertion-rewritten modules as bytecode; with PYTHONDONTWRITEBYTECODE set (some CI images
# and shells set it) every process rewrites ~300 modules again, about 2 s per process and xdist worker.
unexport PYTHONDONTWRITEBYTECODE

# The suite sessions (pytest arguments, reports they write) are defined once, in gateway_contracts/cli.py: the
# targets below call it, and `gateway-contracts <target>` (the installed command) runs the very same session.
# Every suite run writes reports/junit-<run>.xml, reports/allure-results/ (no captured output: it could hold a
# key) and the run record reports/run-<run>.json + reports/history.jsonl the sign-off report reads.
CLI := $(PY) -m gateway_contracts.cli

.PHONY: help install gate test check lint serve clean nightly signoff baseline report screenshot fuzz bench known

help:
	@echo "make gate    - pre-deploy gate against TARGET_URL (default: embedded reference gateway); with"
	@echo "               COMPARE_URL=<production>: also what this deploy changes against production"
	@echo "make test    - the project's own tests, all of them (units, properties, kill matrix, LiteLLM)"
	@echo "make check   - the inner loop, under a minute: lint, the fast self-tests, one smoke gate"
	@echo "make serve   - run the reference gateway in the foreground (PORT, FAULTS, SHAPE=full|sparse)"
	@echo "make lint    - ruff and the import layering (lint-imports)"
	@echo "make nightly - every contract + deep fuzzing; compares with BASELINE=FILE when given"
	@echo "make fuzz    - the nightly fuzz profile alone (schemathesis, pagination walk, spec drift)"
	@echo "make signoff - the nightly run, then reports/signoff.html and reports/signoff.md"
	@echo "make baseline - snapshot the target into BASELINE (default contracts/baselines/<host>.json)"
	@echo "make report  - sign-off report of the latest run (RUN=name) + Allure 3 HTML when Node is present"
	@echo "make known   - known_findings entries for the failures of a run (RUN=gate; WRITE=1 appends them)"
	@echo "make bench   - measure the suite's own cost (requests, wall time, scale); writes bench/RESULTS.md"

# The installer: uv resolves the same requirements from the same index (PyPI) as pip, to the same versions, in
# seconds: dev and LiteLLM extras took 5.8 s with a cold uv cache, ~65 s with pip. It is bootstrapped into the
# venv by pip. PIP=1 installs with pip alone; uv reads UV_INDEX_URL, not pip.conf, so PIP_INDEX_URL is passed on.
ifeq ($(PIP),1)
INSTALL := $(VENV)/bin/python -m pip install --quiet
BOOTSTRAP := $(VENV)/bin/python -m pip install --quiet --upgrade pip
else
INSTALL := $(VENV)/bin/uv pip install --quiet --python $(VENV)/bin/python $(if $(PIP_INDEX_URL),--index-url $(PIP_INDEX_URL))
BOOTSTRAP := $(VENV)/bin/python -m pip install --quiet uv
endif

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BOOTSTRAP)
	$(INSTALL) -e '.[dev]'
	touch $(STAMP)

$(LITELLM_STAMP): $(STAMP)
	$(INSTALL) -e '.[dev,litellm]'
	touch $(LITELLM_STAMP)

install: $(STAMP)

reports:
	mkdir -p reports

gate: $(STAMP)
	$(CLI) gate -n $(N) -- $(PYTEST_ARGS)

# Deep fuzzing of the committed spec (contracts/openapi.json) and drift of the live one; a TARGET_URL host must
# be in FUZZ_ALLOWED_HOSTS (docs/fuzzing.md).
fuzz: $(STAMP)
	$(CLI) fuzz -n $(N) -- $(PYTEST_ARGS)

# nightly and signoff: every contract, plus the deep fuzz profile (tests/fuzz -m nightly).
nightly: $(STAMP)
	$(CLI) nightly -n $(N) -- $(PYTEST_ARGS)

# The report is rendered whatever the verdict; the exit status stays the suite's (or 1 if no report).
signoff: $(STAMP)
	$(CLI) signoff -n $(N) -- $(PYTEST_ARGS)

# BASELINE names the file to write (unset: contracts/baselines/<target host>.json); the snapshot run compares
# with nothing, and the file is written only if every contract holds.
baseline: $(STAMP)
	$(CLI) baseline -n $(N) -- $(PYTEST_ARGS)

report: $(STAMP)
	$(CLI) report $(if $(RUN),--run $(RUN))

# known_findings entries for the failures of a run (RUN, default gate), printed to paste; WRITE=1 appends them
# to CONTRACTS keeping its comments (docs/reports.md).
known: $(STAMP)
	$(CLI) known --from-run $(or $(RUN),gate) $(if $(filter 1,$(WRITE)),--write)

screenshot:
	scripts/screenshot.sh reports/signoff.html reports/signoff.png 1400,3000

# Every self-test, TEST_N at a time: the kill matrix is one item per scenario (each a suite run). loadgroup keeps
# what shares a session fixture on one worker (the LiteLLM proxies, a shape's healthy run and its baseline).
# Four workers on two cores: many self-tests wait (timeouts, Retry-After, pacing, subprocesses starting) rather
# than compute, so the extra workers fill the cores the waiting ones leave idle (measured on the 2-core box, the
# whole make test: 417 s of pytest with 3 workers, 391 s with 4, the cores busy throughout).
TEST_N ?= 4
test: $(LITELLM_STAMP) reports
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports
	$(PY) -m pytest tests/self -p xdist -n $(TEST_N) --dist loadgroup --junitxml=reports/junit-self.xml $(PYTEST_ARGS)

# The inner loop: lint, the self-tests not marked slow or litellm (units, properties, the contract files, the
# reference gateway; no suite run in a subprocess, no LiteLLM proxy even when the extra is installed), then one
# gate against the embedded reference gateway with the smoke fuzz profile (FUZZ_GATE_PROFILE=smoke: a few cases
# per operation). Not a verdict on any API, and it writes no run record. `make test` remains the whole suite
# and what CI runs.
check: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports
	$(PY) -m pytest tests/self -m "not slow and not litellm" -p xdist -n $(N) -q $(PYTEST_ARGS)
	TARGET_URL= GATEWAYS= BASELINE= CONTRACTS=contracts/gateways.yaml FUZZ_GATE_PROFILE=smoke \
	  $(PY) -m pytest tests/contract tests/fuzz -m gate -p xdist -n $(N) -q

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

serve: $(STAMP)
	FAULTS="$(FAULTS)" $(CLI) serve --port $(PORT) $(if $(SHAPE),--shape $(SHAPE))

# Measured, not asserted (minutes; not part of make test): BENCH_ARGS e.g. --runs 3 --sizes 10000,100000.
BENCH_ARGS ?=
bench: $(STAMP)
	$(PY) bench/run_all.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) reports .pytest_cache .ruff_cache .import_linter_cache .grimp_cache
