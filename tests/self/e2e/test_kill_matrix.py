"""The kill matrix: every contract catches the incident it exists for, and the healthy gateway raises no alarm,
in both shapes of the reference gateway (full with contracts/gateways.yaml, sparse with the staging contract).

One pytest item per scenario and shape of tests/self/kill_matrix.yaml (`test_scenario[hf-rename-404@sparse]`),
so `-k` selects scenarios and xdist spreads them: each runs the gate once in its own subprocess with its own
embedded gateway (tests.self.killmatrix.run_scenario, the one runner). The fuzz-only faults are scenarios
too (`fuzz: true`: the gate's fuzz tests at the full gate profile). Each item hands its verdict to
tests/self/conftest.py, which writes reports/kill-matrix.md and prints the one-line summary after the run.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.self.killmatrix import (
    HEALTHY,
    MATRIX_FILE,
    Run,
    Scenario,
    compare,
    describe_mismatch,
    fault_incidents,
    is_slow,
    load_matrix,
    needs_baseline,
    run_scenario,
    unaccounted_faults,
    verdict_row,
)

ROOT = Path(__file__).resolve().parents[3]
MATRIX = load_matrix(ROOT / MATRIX_FILE, fault_incidents())  # at import: the scenarios are the parameters
SHAPES = list(MATRIX.shapes)
KILL_MATRIX_PROPERTY = "kill-matrix"  # the user property that carries an item's verdict (tests/self/conftest.py)


class MatrixRuns:
    """This process' runs. A shape's healthy run happens once, for whichever item asks first: its own item, or a
    scenario that compares with the snapshot it writes (`{baseline}`). The xdist group keeps those on one worker
    (`--dist loadgroup`, as `make test` runs); on another worker the healthy run is only repeated."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self._healthy: dict[str, Run] = {}

    def baseline(self, shape: str) -> Path:
        return self.workdir / f"baseline-{shape}.json"

    def healthy(self, shape: str) -> Run:
        if shape not in self._healthy:
            scenario = next(s for s in MATRIX.scenarios if s.name == HEALTHY and s.shape == shape)
            self._healthy[shape] = run_scenario(scenario, root=ROOT, workdir=self.workdir,
                                                baseline=self.baseline(shape))
        return self._healthy[shape]

    def run(self, scenario: Scenario) -> Run:
        if scenario.name == HEALTHY:
            return self.healthy(scenario.shape)
        baseline = None
        if needs_baseline(scenario):
            healthy = self.healthy(scenario.shape)
            baseline = self.baseline(scenario.shape)
            if not baseline.exists():
                pytest.fail(f"{scenario.key}: the healthy run wrote no baseline to compare with:\n"
                            f"{describe_mismatch(compare(healthy))}", pytrace=False)
        return run_scenario(scenario, root=ROOT, workdir=self.workdir, baseline=baseline)


@pytest.fixture(scope="session")
def matrix_runs(tmp_path_factory: pytest.TempPathFactory) -> MatrixRuns:
    return MatrixRuns(tmp_path_factory.mktemp("kill-matrix"))


def _param(s: Scenario) -> object:
    marks = [pytest.mark.slow]
    if s.name == HEALTHY or needs_baseline(s):
        marks.append(pytest.mark.xdist_group(f"kill-matrix-healthy@{s.shape}"))
    return pytest.param(s, id=s.key, marks=marks)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "scenario" in metafunc.fixturenames:
        # Healthy runs first (a baseline scenario waits on one), then the long runs (fuzzing, timeouts), so the
        # workers overlap them with the many short ones.
        order = sorted(MATRIX.scenarios, key=lambda s: (s.name != HEALTHY, not is_slow(s)))
        metafunc.parametrize("scenario", [_param(s) for s in order])


def test_scenario(scenario: Scenario, matrix_runs: MatrixRuns, request: pytest.FixtureRequest) -> None:
    """The gate fails exactly the tests the matrix expects, for findings (not errors), with the expected exit
    status and summary; a fault-free run also shows that every test the matrix names exists."""
    run = matrix_runs.run(scenario)
    verdict = compare(run)
    request.node.user_properties.append((KILL_MATRIX_PROPERTY, json.dumps(verdict_row(verdict))))
    if not verdict.ok:
        pytest.fail(describe_mismatch(verdict), pytrace=False)  # the sets say it all; the repr would bury them
    if scenario.faults:
        return
    outcome = run.outcome
    assert outcome is not None
    if scenario.name == HEALTHY and scenario.shape not in MATRIX.separate:  # another API has fewer contracts
        assert len(outcome.passed) >= 100, f"only {len(outcome.passed)} contracts passed: did collection shrink?"
    # A renamed test or a typo in the matrix shows up here by name, not as a puzzling 'missing' failure: the
    # expectations of this shape's scenarios of the same suite (with or without fuzzing, the same `-m` selection)
    # against its tests.
    known = outcome.passed | outcome.skipped  # the strict registry check skips on a healthy run
    unknown = {(s.key, t) for s in MATRIX.scenarios if s.shape == scenario.shape and s.fuzz == scenario.fuzz
               and marks_of(s) == marks_of(scenario) for t in s.expected | s.must_pass if t not in known}
    assert not unknown, f"the matrix expects failures of tests the healthy run does not have: {sorted(unknown)}"


def marks_of(scenario: Scenario) -> str | None:
    """The `-m` a scenario's args select its tests by instead of the gate's (e.g. `nightly`: the callable probe is
    not a gate test), or None."""
    args = list(scenario.args)
    return args[args.index("-m") + 1] if "-m" in args[:-1] else None


def test_every_fault_is_in_the_matrix_or_out_of_scope() -> None:
    missing = unaccounted_faults(MATRIX, fault_incidents())
    assert not missing, (f"faults neither in {MATRIX_FILE} scenarios nor listed under out_of_scope with a reason: "
                         f"{', '.join(missing)}")
    assert all(why.strip() for why in MATRIX.out_of_scope.values())


def test_every_scenario_states_each_shape() -> None:
    """Each fault scenario runs in every shape or says why it cannot (the loader enforces it; this pins the file)."""
    keys = {s.key for s in MATRIX.scenarios}
    for s in MATRIX.scenarios:
        if s.shape != "full":
            continue
        for shape in [shape for shape in SHAPES[1:] if shape not in MATRIX.separate]:
            key = Scenario(s.name, (), shape=shape).key
            assert key in keys or key in MATRIX.not_applicable, key


def test_sparse_shape_refuses_what_the_matrix_calls_not_applicable() -> None:
    """A scenario listed as not applicable to a shape is one that shape cannot show: the reference gateway refuses
    its faults there (so the reason in the file is checked, not just stated)."""
    from gateway_testbed.reference import create_app

    for key in MATRIX.not_applicable:
        name, shape = key.split("@")
        scenario = next(s for s in MATRIX.scenarios if s.name == name)
        with pytest.raises(ValueError, match="shape"):
            create_app(faults=scenario.faults, shape=shape)


def test_the_fuzz_only_faults_fail_nothing_but_fuzz_tests() -> None:
    """A `fuzz: true` scenario of a fault exists because no gate contract sees the fault: it expects fuzz tests
    only (were a contract to catch it, it belongs in the plain matrix, which costs a tenth of the time)."""
    for s in MATRIX.scenarios:
        if s.fuzz and s.faults:
            assert all(t.startswith("test_fuzz_gate[") for t in s.expected), s.key
