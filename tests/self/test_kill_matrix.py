"""The kill matrix: every contract catches the incident it exists for, and the healthy gateway raises no alarm,
in both shapes of the reference gateway (full with contracts/gateways.yaml, sparse with the staging contract).

One session fixture runs the gate once per scenario and shape (healthy and each fault of
tests/self/kill_matrix.yaml, each in its own subprocess with its own embedded gateway, a few at a time), writes
reports/kill-matrix.md and prints the one-line summary at the end of the run. The tests below only read the verdicts.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from gateway_contracts.killmatrix import (
    HEALTHY,
    MATRIX_FILE,
    REPORT_FILE,
    Scenario,
    Verdict,
    compare,
    describe_mismatch,
    fault_incidents,
    load_matrix,
    run_matrix,
    summary_line,
    unaccounted_faults,
    write_report,
)

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
MATRIX = load_matrix(ROOT / MATRIX_FILE, fault_incidents())  # at import: the scenarios are the parameters
FAULT_SCENARIOS = [s.key for s in MATRIX.scenarios if s.name != HEALTHY]
SHAPES = list(MATRIX.shapes)
# 3 suite processes at a time: most of a run is waiting on its own server, so 2 cores stay busy, not swamped.
JOBS = int(os.environ.get("KILL_MATRIX_JOBS", "3"))


class _SummaryLine:
    """Prints the matrix's one-line summary with pytest's own, after the run (registered by the fixture)."""

    def __init__(self, line: str) -> None:
        self.line = line

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        terminalreporter.write_line(self.line)


@pytest.fixture(scope="session")
def kill_matrix(pytestconfig: pytest.Config) -> dict[str, Verdict]:
    runs, wall = run_matrix(MATRIX.scenarios, root=ROOT, jobs=JOBS)
    verdicts = [compare(run) for run in runs]
    write_report(verdicts, MATRIX.out_of_scope, wall_s=wall, path=ROOT / REPORT_FILE,
                 not_applicable=MATRIX.not_applicable)
    pytestconfig.pluginmanager.register(
        _SummaryLine(f"{summary_line(verdicts)} ({len(runs)} runs in {wall:.0f} s; {REPORT_FILE})"),
        "kill-matrix-summary",
    )
    return {v.scenario.key: v for v in verdicts}


def healthy(shape: str) -> str:
    return Scenario(HEALTHY, (), shape=shape).key


@pytest.mark.parametrize("shape", SHAPES)
def test_healthy_gateway_passes_every_contract(kill_matrix: dict[str, Verdict], shape: str) -> None:
    verdict = kill_matrix[healthy(shape)]
    outcome = verdict.run.outcome
    assert outcome is not None, describe_mismatch(verdict)
    assert verdict.ok, describe_mismatch(verdict)
    assert not outcome.failed
    assert not outcome.errors
    assert len(outcome.passed) >= 100, f"only {len(outcome.passed)} contracts passed: did collection shrink?"


@pytest.mark.parametrize("shape", SHAPES)
def test_matrix_names_only_tests_the_suite_has(kill_matrix: dict[str, Verdict], shape: str) -> None:
    """A renamed test or a typo in the matrix shows up here by name, not as a puzzling 'missing' failure
    (each shape's expectations against the tests its contract parametrizes)."""
    outcome = kill_matrix[healthy(shape)].run.outcome
    assert outcome is not None
    known = outcome.passed | outcome.skipped  # the strict registry check skips on a healthy run
    unknown = {(s.key, t) for s in MATRIX.scenarios if s.shape == shape for t in s.expected if t not in known}
    assert not unknown, f"the matrix expects failures of tests the healthy run does not have: {sorted(unknown)}"


@pytest.mark.parametrize("scenario", FAULT_SCENARIOS)
def test_fault_fails_exactly_the_expected_contracts(kill_matrix: dict[str, Verdict], scenario: str) -> None:
    verdict = kill_matrix[scenario]
    if not verdict.ok:
        pytest.fail(describe_mismatch(verdict), pytrace=False)  # the sets say it all; the repr would bury them


@pytest.mark.parametrize("shape", SHAPES)
def test_uncovered_registry_gateway_is_reported_without_strict(kill_matrix: dict[str, Verdict], shape: str) -> None:
    run = kill_matrix[Scenario("registry-extra-gateway", (), shape=shape).key].run
    assert run.status == 0
    assert "the registry lists gateways no contract covers: aimo, aimo-network" in run.output


def test_every_fault_is_in_the_matrix_or_out_of_scope() -> None:
    missing = unaccounted_faults(MATRIX, fault_incidents())
    assert not missing, (f"faults neither in {MATRIX_FILE} scenarios nor listed under out_of_scope with a reason: "
                         f"{', '.join(missing)}")
    assert all(why.strip() for why in MATRIX.out_of_scope.values())


def test_every_scenario_states_each_shape() -> None:
    """Each fault scenario runs in every shape or says why it cannot (the loader enforces it; this pins the file)."""
    for s in MATRIX.scenarios:
        if s.shape != "full":
            continue
        for shape in SHAPES[1:]:
            key = Scenario(s.name, (), shape=shape).key
            assert key in [*FAULT_SCENARIOS, healthy(shape)] or key in MATRIX.not_applicable, key


def test_sparse_shape_refuses_what_the_matrix_calls_not_applicable() -> None:
    """A scenario listed as not applicable to a shape is one that shape cannot show: the reference gateway refuses
    its faults there (so the reason in the file is checked, not just stated)."""
    from gateway_contracts.reference import create_app

    for key in MATRIX.not_applicable:
        name, shape = key.split("@")
        scenario = next(s for s in MATRIX.scenarios if s.name == name)
        with pytest.raises(ValueError, match="shape"):
            create_app(faults=scenario.faults, shape=shape)
