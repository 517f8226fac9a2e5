"""Only fuzzing finds the fuzz-only faults: each makes the gate's fuzz tests fail, and no gate contract.

Each scenario is one gate run (`tests/contract tests/fuzz -m gate`, two xdist workers, as `make gate` runs
it) against an embedded reference gateway with the fault; its JUnit must list exactly the expected fuzz
operations as failed. The healthy run must pass entirely, and the nightly drift test must report the
routes a `catalog-routes-missing` gateway drops from its live spec.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.self.suite_run import SuiteRun, run_suite

pytestmark = pytest.mark.slow

GATE = ("tests/contract", "tests/fuzz", "-m", "gate", "-p", "xdist", "-n", "2")


# fault -> (the fuzz tests that must fail, a phrase of schemathesis' report that names the failure)
SCENARIOS: dict[str, tuple[set[str], str]] = {
    "healthy": (set(), ""),
    "search-500-on-combo": ({"test_fuzz_gate[GET /v1/models/search]"}, "Server error"),
    "undocumented-status": ({"test_fuzz_gate[GET /v1/models]", "test_fuzz_gate[GET /models]"},
                            "Undocumented status code"),
    "schema-break": ({"test_fuzz_gate[GET /v1/gateways]"}, "Response violates schema"),
    # Issue 15: each true finding of a data-dependent check keeps a fault the (corrected) checks catch.
    "provider-filter-ignored": ({"test_fuzz_gate[GET /v1/models]", "test_fuzz_gate[GET /models]"},
                                "`provider-filter`"),
    "developer-total-short": ({"test_fuzz_gate[GET /v1/models/{developer}]"}, "`developer`"),
    "developer-other-rows": ({"test_fuzz_gate[GET /v1/models/{developer}]"}, "`provider-filter`"),
    "search-unmatched-rows": ({"test_fuzz_gate[GET /v1/models/search]"}, "`search`"),
    "search-500-on-null-description": ({"test_fuzz_gate[GET /v1/models/search]"}, "Server error"),
}


@pytest.fixture(scope="module")
def gate_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, SuiteRun]:
    def one(name: str) -> SuiteRun:
        faults = () if name == "healthy" else ("--reference-fault", name)
        return run_suite((*GATE, *faults), tmp_path_factory.mktemp(name))

    with ThreadPoolExecutor(max_workers=2) as pool:  # each run already uses two workers
        return dict(zip(SCENARIOS, pool.map(one, SCENARIOS), strict=True))


def test_healthy_gate_passes_with_fuzzing(gate_runs: dict[str, SuiteRun]) -> None:
    run = gate_runs["healthy"]
    assert run.status == 0, run.output[-3000:]
    fuzzed = {name for name in run.passed if name.startswith("test_fuzz_gate[")}
    assert fuzzed == {f"test_fuzz_gate[{op}]" for op in (
        "GET /health", "GET /v1/gateways", "GET /v1/gateways/status", "GET /v1/models", "GET /models",
        "GET /v1/models/search", "GET /v1/models/{developer}", "POST /v1/chat/completions",
    )}, "every operation is its own JUnit test"


@pytest.mark.parametrize("fault", [name for name in SCENARIOS if name != "healthy"])
def test_fuzz_only_fault_is_caught_by_fuzzing_alone(gate_runs: dict[str, SuiteRun], fault: str) -> None:
    run = gate_runs[fault]
    expected, phrase = SCENARIOS[fault]
    assert run.status == 1, run.output[-3000:]
    assert set(run.failed) == expected, f"failed: {sorted(run.failed)}; expected only {sorted(expected)}"
    for name in expected:
        assert phrase in run.failed[name]
        assert "Reproduce with:" in run.failed[name]
        assert "curl -X GET" in run.failed[name]


def test_drift_reports_routes_missing_from_the_live_spec(tmp_path: Path) -> None:
    run = run_suite(("tests/fuzz", "-m", "nightly", "-k", "live_spec", "--reference-fault", "catalog-routes-missing"),
                    tmp_path)
    assert run.status == 1, run.output[-3000:]
    report = run.failed["test_live_spec_matches_committed"]
    for path in ("/v1/models", "/models", "/v1/models/search", "/v1/models/{developer}", "/v1/chat/completions"):
        assert f"{path}: path removed (the committed spec has it, the live spec does not)" in report
    assert "/health" not in report
