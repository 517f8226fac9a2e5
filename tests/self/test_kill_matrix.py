"""The kill matrix: every contract catches the incident it exists for, and the healthy gateway raises no alarm.

One session fixture runs the gate once per scenario (healthy and each fault of tests/self/kill_matrix.yaml,
each in its own subprocess with its own embedded gateway, a few at a time), writes reports/kill-matrix.md
and prints the one-line summary at the end of the run. The tests below only read the verdicts.
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
FAULT_SCENARIOS = [s.name for s in MATRIX.scenarios if s.name != HEALTHY]
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
    write_report(verdicts, MATRIX.out_of_scope, wall_s=wall, path=ROOT / REPORT_FILE)
    pytestconfig.pluginmanager.register(
        _SummaryLine(f"{summary_line(verdicts)} ({len(runs)} runs in {wall:.0f} s; {REPORT_FILE})"),
        "kill-matrix-summary",
    )
    return {v.scenario.name: v for v in verdicts}


def test_healthy_gateway_passes_every_contract(kill_matrix: dict[str, Verdict]) -> None:
    verdict = kill_matrix[HEALTHY]
    outcome = verdict.run.outcome
    assert outcome is not None, describe_mismatch(verdict)
    assert verdict.ok, describe_mismatch(verdict)
    assert not outcome.failed
    assert not outcome.errors
    assert len(outcome.passed) >= 100, f"only {len(outcome.passed)} contracts passed: did collection shrink?"


def test_matrix_names_only_tests_the_suite_has(kill_matrix: dict[str, Verdict]) -> None:
    """A renamed test or a typo in the matrix shows up here by name, not as a puzzling 'missing' failure."""
    outcome = kill_matrix[HEALTHY].run.outcome
    assert outcome is not None
    known = outcome.passed | outcome.skipped  # the strict registry check skips on a healthy run
    unknown = {(s.name, t) for s in MATRIX.scenarios for t in s.expected if t not in known}
    assert not unknown, f"the matrix expects failures of tests the healthy run does not have: {sorted(unknown)}"


@pytest.mark.parametrize("scenario", FAULT_SCENARIOS)
def test_fault_fails_exactly_the_expected_contracts(kill_matrix: dict[str, Verdict], scenario: str) -> None:
    verdict = kill_matrix[scenario]
    if not verdict.ok:
        pytest.fail(describe_mismatch(verdict), pytrace=False)  # the sets say it all; the repr would bury them


def test_uncovered_registry_gateway_is_reported_without_strict(kill_matrix: dict[str, Verdict]) -> None:
    run = kill_matrix["registry-extra-gateway"].run
    assert run.status == 0
    assert "the registry lists gateways no contract covers: aimo, aimo-network" in run.output


def test_every_fault_is_in_the_matrix_or_out_of_scope() -> None:
    missing = unaccounted_faults(MATRIX, fault_incidents())
    assert not missing, (f"faults neither in {MATRIX_FILE} scenarios nor listed under out_of_scope with a reason: "
                         f"{', '.join(missing)}")
    assert all(why.strip() for why in MATRIX.out_of_scope.values())
