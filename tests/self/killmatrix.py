"""The kill matrix: the gate run against the healthy reference gateway and against each fault, in each shape.

Each scenario is one suite subprocess with its own embedded gateway (one server per fault and shape); a few
run at once. A shape is a form of the reference gateway (`full`, `sparse`) with the contract the gate holds it
to; the matrix file states each scenario's expectation per shape, or why it does not apply to a shape.
The tests that fail (from the run's JUnit) must be exactly the ones the scenario expects, so a
contract that silently stops checking, or starts failing for the wrong reason, breaks the build.
A scenario with `fuzz: true` runs the gate's fuzz tests too (the full gate profile, as `make gate` runs it):
the fuzz-only faults, which no gate contract can see, are caught there or nowhere.
Parsing, comparison and rendering are pure functions; only `run_scenario`/`run_matrix` touch processes.
`make test` runs each scenario as its own pytest item (tests/self/e2e/test_kill_matrix.py); this module's command
runs them a few at a time outside pytest:

    python -m tests.self.killmatrix [--jobs 3] [--only FAULT ...] [--shape SHAPE ...] [--record]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from gateway_contracts.report.junit import parse_junit_text
from tests.self.suite_process import run_pytest

HEALTHY = "healthy"
MATRIX_FILE = Path("tests/self/kill_matrix.yaml")
REPORT_FILE = Path("reports/kill-matrix.md")
SUITE_ARGS = ("-m", "pytest", "tests/contract", "-m", "gate", "-p", "no:cacheprovider", "-q")
FUZZ_SUITE_ARGS = ("-m", "pytest", "tests/contract", "tests/fuzz", "-m", "gate", "-p", "no:cacheprovider", "-q")
RUN_TIMEOUT_S = 600.0
BASELINE_TOKEN = "{baseline}"  # in a scenario's args: the snapshot of the healthy run (--update-baseline)
DEFAULT_SHAPE = "full"  # the shape a scenario's top-level keys describe


class MatrixError(ValueError):
    """The matrix file is malformed (unknown key, fault, or a target outside the expected set)."""


@dataclass(frozen=True)
class Scenario:
    name: str  # the fault's name, or a variant such as "registry-extra-gateway-strict"
    faults: tuple[str, ...]
    args: tuple[str, ...] = ()  # extra suite options, e.g. --strict-registry
    expected: frozenset[str] = frozenset()  # test ids (JUnit names) that must fail, and only these
    target: str | None = None  # the primary contract: the test the incident's invariant names
    why: str = ""
    incident: str = ""
    summary: str | None = None  # text the run's terminal summary must contain
    shape: str = DEFAULT_SHAPE  # the reference gateway's shape (REFERENCE_SHAPE of the run)
    contracts: str | None = None  # the shape's contract file (None: the suite's default)
    fuzz: bool = False  # the run includes the gate's fuzz tests (tests/fuzz -m gate) and the installed plugins
    must_pass: frozenset[str] = frozenset()  # test ids that must pass (e.g. each fuzzed operation is its own test)
    failure_text: tuple[str, ...] = ()  # phrases every expected failure's JUnit message must contain

    @property
    def key(self) -> str:
        """Unique across shapes: `gateway-503` (full), `gateway-503@sparse`."""
        return self.name if self.shape == DEFAULT_SHAPE else f"{self.name}@{self.shape}"


@dataclass(frozen=True)
class Matrix:
    scenarios: tuple[Scenario, ...]  # the healthy run of each shape first
    out_of_scope: Mapping[str, str]  # fault -> why the matrix leaves it to other tests
    not_applicable: Mapping[str, str] = field(default_factory=dict)  # scenario key -> why the shape cannot show it
    shapes: Mapping[str, str | None] = field(default_factory=lambda: {DEFAULT_SHAPE: None})  # shape -> contract
    # Shapes of another API (e.g. `anthropic`): only the scenarios that name them (`shape:`) run in them.
    separate: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Outcome:
    """One run's JUnit: test ids by result."""

    passed: frozenset[str] = frozenset()
    failed: frozenset[str] = frozenset()
    errors: frozenset[str] = frozenset()
    skipped: frozenset[str] = frozenset()
    messages: Mapping[str, str] = field(default_factory=dict)  # failed or errored id -> its message and text


@dataclass(frozen=True)
class Run:
    scenario: Scenario
    status: int | None  # pytest's exit status; None when the run timed out
    outcome: Outcome | None  # None when no JUnit was written (the run never got to the tests)
    output: str = field(default="", repr=False)
    seconds: float = 0.0
    forked: bool = False  # run by the fork server (tests.self.suite_process), not a fresh interpreter


@dataclass(frozen=True)
class Verdict:
    run: Run
    missing: frozenset[str]  # expected to fail, did not: the contract no longer catches the fault
    unexpected: frozenset[str]  # failed without being expected: noise or a changed contract
    problems: tuple[str, ...]  # anything else: exit status, errors, summary text

    @property
    def scenario(self) -> Scenario:
        return self.run.scenario

    @property
    def ok(self) -> bool:
        return not (self.missing or self.unexpected or self.problems)


# -- the matrix file -------------------------------------------------------------------------------

_SCENARIO_KEYS = {"faults", "args", "fail", "target", "why", "summary", "fuzz", "pass", "failure_text"}
_INHERITED = ("faults", "args", "fuzz")  # what another shape's mapping takes from the top level


def load_matrix(path: Path, incidents: Mapping[str, str]) -> Matrix:
    """Read the matrix file; `incidents` maps every known fault to its incident (the FAULTS registry).

    `shapes` (optional; default only `full`) maps each shape to its contract file. A scenario's top-level keys
    describe the `full` shape; every other shape needs a key of its own: a mapping with the same keys (faults
    and args are inherited), or a string saying why the scenario does not apply to that shape.
    """
    raw = yaml.safe_load(path.read_text())
    if not isinstance(raw, dict) or raw.get("version") != 1 or set(raw) - {"version", "shapes", "scenarios",
                                                                           "out_of_scope"}:
        raise MatrixError(f"{path}: expected version: 1, scenarios and out_of_scope")
    shapes, separate = _shapes(path, raw.get("shapes"))
    out_of_scope = {str(k): str(v) for k, v in (raw.get("out_of_scope") or {}).items()}
    scenarios = [Scenario(HEALTHY, (), shape=shape, contracts=contracts) for shape, contracts in shapes.items()]
    not_applicable: dict[str, str] = {}
    for name, spec in (raw.get("scenarios") or {}).items():
        name, spec = str(name), spec or {}
        if not isinstance(spec, dict):
            raise MatrixError(f"{path}: scenarios.{name}: expected a mapping")
        own = spec.get("shape")
        if own is not None:  # a scenario of a separate shape (another API): it runs there only
            if own not in separate:
                raise MatrixError(f"{path}: scenarios.{name}.shape: {own!r} is not a separate shape of the matrix")
            rest = {k: v for k, v in spec.items() if k != "shape"}
            scenarios.append(_scenario(path, name, rest, incidents, str(own), shapes[own]))
            continue
        base = {k: v for k, v in spec.items() if k not in shapes}
        scenarios.append(_scenario(path, name, base, incidents, DEFAULT_SHAPE, shapes[DEFAULT_SHAPE]))
        for shape, contracts in shapes.items():
            if shape == DEFAULT_SHAPE or shape in separate:
                continue
            value = spec.get(shape)
            if isinstance(value, str) and value.strip():
                not_applicable[f"{name}@{shape}"] = " ".join(value.split())
            elif isinstance(value, dict):
                inherited = {k: base[k] for k in _INHERITED if k in base}
                scenarios.append(_scenario(path, name, {**inherited, **value}, incidents, shape, contracts))
            else:
                raise MatrixError(f"{path}: scenarios.{name}.{shape}: expected the {shape} shape's expectation "
                                  "(a mapping) or why the scenario does not apply to it (a string)")
    for fault in out_of_scope:
        if fault not in incidents:
            raise MatrixError(f"{path}: out_of_scope.{fault}: unknown fault")
    return Matrix(tuple(scenarios), out_of_scope, not_applicable, shapes, frozenset(separate))


def _shapes(path: Path, raw: Any) -> tuple[dict[str, str | None], set[str]]:
    if raw is None:
        return {DEFAULT_SHAPE: None}, set()
    if not isinstance(raw, dict) or DEFAULT_SHAPE not in raw:
        raise MatrixError(f"{path}: shapes: expected a mapping of shape -> {{contracts: FILE}} with {DEFAULT_SHAPE}")
    shapes: dict[str, str | None] = {}
    separate: set[str] = set()
    for shape, spec in raw.items():
        if spec is not None and (not isinstance(spec, dict) or set(spec) - {"contracts", "separate"}):
            raise MatrixError(f"{path}: shapes.{shape}: the keys are contracts and separate")
        shapes[str(shape)] = (spec or {}).get("contracts")
        if (spec or {}).get("separate") is True:
            separate.add(str(shape))
    return shapes, separate


def _scenario(path: Path, name: str, spec: dict[str, Any], incidents: Mapping[str, str],
              shape: str = DEFAULT_SHAPE, contracts: str | None = None) -> Scenario:
    where = f"{path}: scenarios.{name}" + ("" if shape == DEFAULT_SHAPE else f".{shape}")
    if not isinstance(spec, dict) or set(spec) - _SCENARIO_KEYS:
        raise MatrixError(f"{where}: keys must be among {sorted(_SCENARIO_KEYS)}")
    # `faults: []` is a fault-free variant (e.g. the healthy gateway with fuzzing); no key: the fault named NAME
    faults = tuple(spec["faults"]) if spec.get("faults") is not None else (name,)
    for fault in faults:
        if fault not in incidents:
            raise MatrixError(f"{where}: unknown fault {fault!r}")
    expected = frozenset(spec.get("fail") or ())
    target = spec.get("target")
    if target is not None and target not in expected:
        raise MatrixError(f"{where}: target {target!r} is not in its fail list")
    if expected and not spec.get("why"):
        raise MatrixError(f"{where}: a scenario with failures needs a why")
    if not isinstance(spec.get("fuzz", False), bool):
        raise MatrixError(f"{where}: fuzz: expected true or false")
    must_pass = frozenset(spec.get("pass") or ())
    if must_pass & expected:
        raise MatrixError(f"{where}: pass and fail name the same tests: {sorted(must_pass & expected)}")
    failure_text = spec.get("failure_text") or []
    if not isinstance(failure_text, list) or not all(isinstance(t, str) for t in failure_text):
        raise MatrixError(f"{where}: failure_text: expected a list of phrases")
    if failure_text and not expected:
        raise MatrixError(f"{where}: failure_text needs a fail list to apply to")
    return Scenario(
        name=name, faults=faults, args=tuple(spec.get("args") or ()), expected=expected, target=target,
        why=" ".join(str(spec.get("why") or "").split()), incident=", ".join(incidents[f] for f in faults),
        summary=spec.get("summary"), shape=shape, contracts=contracts, fuzz=bool(spec.get("fuzz", False)),
        must_pass=must_pass, failure_text=tuple(failure_text),
    )


def unaccounted_faults(matrix: Matrix, known: Iterable[str]) -> list[str]:
    """Faults neither run by a scenario nor listed as out of scope (a new fault nobody checks)."""
    covered = {f for s in matrix.scenarios for f in s.faults} | set(matrix.out_of_scope)
    return [f for f in known if f not in covered]


# -- JUnit and comparison (pure) -------------------------------------------------------------------


def parse_junit(xml_text: str) -> Outcome:
    """Test ids (the JUnit `name`, e.g. `test_no_duplicate_ids[huggingface]`) grouped by result."""
    buckets: dict[str, set[str]] = {"passed": set(), "failed": set(), "errors": set(), "skipped": set()}
    messages: dict[str, str] = {}
    for case in parse_junit_text(xml_text):
        name = case.name
        tags = {tag for tag, _ in case.results}
        if tags & {"failure", "error"}:
            text = case.result_text("failure", "error")
            messages[name] = f"{messages[name]}\n{text}" if name in messages else text
        if "error" in tags:  # an error in setup or teardown, or a collection error
            buckets["errors"].add(name)
        if "failure" in tags:
            buckets["failed"].add(name)
        elif "skipped" in tags:
            buckets["skipped"].add(name)
        elif "error" not in tags:
            buckets["passed"].add(name)
    return Outcome(**{k: frozenset(v) for k, v in buckets.items()}, messages=messages)


def compare(run: Run) -> Verdict:
    """Did the run fail exactly where its scenario says, and for no other reason?"""
    scenario, outcome = run.scenario, run.outcome
    failed = outcome.failed if outcome else frozenset()
    problems: list[str] = []
    want_status = 1 if scenario.expected else 0
    if run.status is None:
        problems.append(f"the run did not finish within {RUN_TIMEOUT_S:g} s")
    elif run.status != want_status:
        problems.append(f"exit status {run.status}, expected {want_status}" + _last_line(run.output))
    if outcome is None and run.status is not None:
        problems.append("no JUnit report: the suite did not run its tests")
    if outcome and outcome.errors:
        # A contract must fail with findings, not crash: an error hides what it would have reported.
        problems.append(f"errors (not findings) in {', '.join(sorted(outcome.errors))}")
    if scenario.summary and scenario.summary not in run.output:
        problems.append(f"the run summary does not mention {scenario.summary!r}")
    not_passed = scenario.must_pass - outcome.passed if outcome else frozenset()
    if not_passed:
        problems.append(f"expected to pass but did not run or pass: {', '.join(sorted(not_passed))}")
    for test in sorted(scenario.expected & failed):
        absent = [t for t in scenario.failure_text if t not in outcome.messages.get(test, "")] if outcome else []
        if absent:
            problems.append(f"{test}: its failure does not say {', '.join(map(repr, absent))}")
    return Verdict(run, scenario.expected - failed, failed - scenario.expected, tuple(problems))


def _last_line(output: str) -> str:
    lines = [line for line in output.strip().splitlines() if line.strip()]
    return f" ({lines[-1].strip()})" if lines else ""


# -- rendering (pure) ------------------------------------------------------------------------------


def summary_line(verdicts: Sequence[Verdict]) -> str:
    """`kill matrix: 41/41 faults caught exactly as expected (5 of them pass by design); healthy gateway: 160
    passed, 0 failed`, plus the mismatched scenarios' names. With several shapes, faults count once per shape
    and the healthy runs are listed per shape."""
    faults = [v for v in verdicts if v.scenario.faults]  # a fault-free variant is not a fault caught
    line = f"kill matrix: {sum(v.ok for v in faults)}/{len(faults)} faults caught exactly as expected"
    passing = sum(v.ok and not v.scenario.expected for v in faults)
    if passing:  # e.g. retried transients: "caught" would overstate what a passing run shows
        line += f" ({passing} of them pass by design)"
    healthy = [v for v in verdicts if v.scenario.name == HEALTHY]
    for v in healthy:
        o = v.run.outcome or Outcome()
        shape = "" if len(healthy) == 1 and v.scenario.shape == DEFAULT_SHAPE else f" ({v.scenario.shape} shape)"
        line += f"; healthy gateway{shape}: {len(o.passed)} passed, {len(o.failed) + len(o.errors)} failed"
    wrong = [v.scenario.key for v in verdicts if not v.ok]
    return line + (f"; mismatched: {', '.join(wrong)}" if wrong else "")


def render_markdown(verdicts: Sequence[Verdict], out_of_scope: Mapping[str, str], *, wall_s: float,
                    not_applicable: Mapping[str, str] | None = None) -> str:
    lines = [
        "# Kill matrix",
        "",
        summary_line(verdicts),
        "",
        f"Each row is one run of `pytest tests/contract -m gate` against the embedded reference gateway with "
        f"the fault injected (`+fuzz`: `tests/contract tests/fuzz -m gate`, the gate's fuzz tests too); "
        f"{len(verdicts)} runs in {wall_s:.0f} s wall time. **Target** is the contract "
        "the incident's invariant names; the other expected failures follow from what the fault breaks. "
        "`NAME@sparse` runs the sparse shape against `contracts/gatewayz-staging.yaml`.",
        "",
        "| scenario | incident | target contract | expected failing | actual failing | verdict | s | why |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for v in verdicts:
        s, o = v.scenario, v.run.outcome or Outcome()
        actual = o.failed | o.errors
        shown = f"the same {len(actual)}" if actual == s.expected and actual else _ids(actual)
        lines.append(
            f"| `{s.key}`{_args(s)} | {s.incident or '-'} | {_code(s.target) if s.target else '-'} "
            f"| {_ids(s.expected)} | {shown} | {_verdict(v)} | {v.run.seconds:.0f} | {_cell(s.why) or '-'} |"
        )
    if not_applicable:
        lines += ["", "## Not applicable to a shape", "", "| scenario | why |", "|---|---|"]
        lines += [f"| `{k}` | {_cell(why)} |" for k, why in not_applicable.items()]
    if out_of_scope:
        lines += ["", "## Out of scope", "", "| fault | why |", "|---|---|"]
        lines += [f"| `{f}` | {_cell(why)} |" for f, why in out_of_scope.items()]
    return "\n".join(lines) + "\n"


def _args(s: Scenario) -> str:
    extra = [f for f in s.faults if f != s.name] + (["+fuzz"] if s.fuzz else []) + list(s.args)
    return f" ({_cell(' '.join(extra))})" if extra else ""


def _code(test_id: str) -> str:
    return f"`{_cell(test_id)}`"


def _ids(ids: Iterable[str]) -> str:
    items = sorted(ids)
    return "<br>".join(_code(i) for i in items) if items else "none"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _verdict(v: Verdict) -> str:
    if v.ok:
        return "caught as expected" if v.scenario.expected else "passes"
    parts = [f"missing {', '.join(sorted(v.missing))}" if v.missing else "",
             f"unexpected {', '.join(sorted(v.unexpected))}" if v.unexpected else "", *v.problems]
    return "**MISMATCH**: " + _cell("; ".join(p for p in parts if p))


def describe_mismatch(v: Verdict) -> str:
    """A failure message for one scenario: what went missing, what appeared, what else was wrong."""
    lines = [f"{v.scenario.key}: the failing contracts differ from the matrix"]
    if v.missing:
        lines.append("  expected to fail but passed (the contract no longer catches this fault): "
                     + ", ".join(sorted(v.missing)))
    if v.unexpected:
        lines.append("  failed without being expected: " + ", ".join(sorted(v.unexpected)))
    lines += [f"  {p}" for p in v.problems]
    return "\n".join(lines)


# -- running ---------------------------------------------------------------------------------------


def suite_args(scenario: Scenario, junit: Path, baseline: Path | None = None) -> list[str]:
    """The scenario's pytest arguments; `{baseline}` in its args names the snapshot the healthy run writes."""
    suite = FUZZ_SUITE_ARGS if scenario.fuzz else SUITE_ARGS
    args = [*suite[2:], *(["--contracts", scenario.contracts] if scenario.contracts else []), f"--junitxml={junit}"]
    for fault in scenario.faults:
        args += ["--reference-fault", fault]
    if operations := fuzzed_operations(scenario):
        args += ["--fuzz-operations", ",".join(operations)]
    args += [a.replace(BASELINE_TOKEN, str(baseline)) for a in scenario.args]
    if scenario.name == HEALTHY and baseline is not None:
        args += ["--update-baseline", str(baseline)]  # written only when the healthy run passes
    return args


FUZZ_TEST = "test_fuzz_gate["


def fuzzed_operations(scenario: Scenario) -> list[str]:
    """The operations a fault's fuzz scenario fuzzes: those its expected failures and required passes name (a
    fuzz run of every operation costs twice the run). The fault-free runs fuzz them all (healthy-with-fuzzing:
    no operation raises a false alarm), and a fault changes only what it names (tests/self/testbed)."""
    if not scenario.fuzz or not scenario.faults:
        return []
    named = {t[len(FUZZ_TEST):-1] for t in (*scenario.expected, *scenario.must_pass) if t.startswith(FUZZ_TEST)}
    return sorted(named)


def suite_command(scenario: Scenario, junit: Path, python: str = sys.executable,
                  baseline: Path | None = None) -> list[str]:
    """The scenario's suite run as a command line (`python -m pytest ...`)."""
    return [python, *SUITE_ARGS[:2], *suite_args(scenario, junit, baseline)]


def needs_baseline(scenario: Scenario) -> bool:
    return any(BASELINE_TOKEN in arg for arg in scenario.args)


def run_scenario(scenario: Scenario, *, root: Path, workdir: Path, python: str = sys.executable,
                 baseline: Path | None = None) -> Run:
    """One suite run in a child process (tests.self.suite_process: forked from a pre-imported server when it
    can be): it starts its own embedded gateway with the scenario's faults and shape."""
    junit = workdir / f"{scenario.key}.xml"
    env = {"REFERENCE_SHAPE": scenario.shape}
    # Third-party plugins (hypothesis, schemathesis, allure) hold no contract but cost half of a run's CPU;
    # the suite's own plugin comes from conftest.py. Were one needed, the healthy run would fail loudly.
    # A fuzz scenario needs them (schemathesis, xdist when its args ask): it runs as `make gate` does.
    if not scenario.fuzz:
        env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    done = run_pytest(suite_args(scenario, junit, baseline), env, cwd=root, timeout=RUN_TIMEOUT_S, python=python)
    outcome = parse_junit(junit.read_text()) if junit.exists() else None
    return Run(scenario, done.status, outcome, done.output, done.seconds, forked=done.forked)


def run_matrix(scenarios: Sequence[Scenario], *, root: Path, jobs: int = 3,
               python: str = sys.executable) -> tuple[list[Run], float]:
    """Every scenario, `jobs` at a time; the runs in scenario order and the wall time."""
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="kill-matrix-") as tmp, ThreadPoolExecutor(max_workers=jobs) as pool:
        work = Path(tmp)
        # Each shape's healthy run writes that shape's baseline, for its scenarios that compare with one.
        wanted = {s.shape for s in scenarios if needs_baseline(s)}
        baselines = {shape: work / f"baseline-{shape}.json" for shape in wanted}
        # Healthy first (it writes the baseline), then the slow scenarios, so they overlap the many fast ones.
        order = sorted(scenarios, key=lambda s: (s.name != HEALTHY, not is_slow(s)))
        futures: dict[str, Future[Run]] = {}
        for s in order:
            healthy = futures.get(Scenario(HEALTHY, (), shape=s.shape).key)
            kwargs = dict(root=root, workdir=work, python=python, baseline=baselines.get(s.shape))
            if needs_baseline(s) and healthy is not None:
                futures[s.key] = pool.submit(_after, healthy, s, **kwargs)
            else:
                futures[s.key] = pool.submit(run_scenario, s, **kwargs)
        runs = [futures[s.key].result() for s in scenarios]
    return runs, time.monotonic() - started


def _after(first: Future[Run], scenario: Scenario, **kwargs: Any) -> Run:
    first.result()  # submitted earlier, so already running: waiting here cannot deadlock the pool
    return run_scenario(scenario, **kwargs)


_SLOW_FAULTS = frozenset({"slow-gateway", "hang"})


def is_slow(scenario: Scenario) -> bool:
    """Runs that take much longer than the rest: started first, so they overlap the many fast ones."""
    return scenario.fuzz or bool(_SLOW_FAULTS.intersection(scenario.faults))


def verdict_row(v: Verdict) -> dict[str, Any]:
    """A verdict as JSON-ready data, what the report needs of it: how a pytest item of the matrix hands its
    verdict to the process that writes the report (xdist workers report to the controller). The passing ids
    only of a fault-free run (the summary counts them); the rest are the failing and the mismatched sets."""
    o = v.run.outcome
    row: dict[str, Any] = {"key": v.scenario.key, "status": v.run.status, "seconds": round(v.run.seconds, 1),
                           "junit": o is not None, "missing": sorted(v.missing), "unexpected": sorted(v.unexpected),
                           "problems": list(v.problems)}
    if o is not None:
        row.update(failed=sorted(o.failed), errors=sorted(o.errors))
        if not v.scenario.faults:
            row["passed"] = sorted(o.passed)
    return row


def verdict_from_row(row: Mapping[str, Any], scenario: Scenario) -> Verdict:
    """The inverse of `verdict_row`, enough to render (the run's output and passing ids of a fault are not kept)."""
    outcome = Outcome(passed=frozenset(row.get("passed", ())), failed=frozenset(row.get("failed", ())),
                      errors=frozenset(row.get("errors", ()))) if row["junit"] else None
    run = Run(scenario, row["status"], outcome, seconds=float(row["seconds"]))
    return Verdict(run, frozenset(row["missing"]), frozenset(row["unexpected"]), tuple(row["problems"]))


def write_report(verdicts: Sequence[Verdict], out_of_scope: Mapping[str, str], *, wall_s: float,
                 path: Path, not_applicable: Mapping[str, str] | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_markdown(verdicts, out_of_scope, wall_s=wall_s, not_applicable=not_applicable))


def record(runs: Sequence[Run]) -> str:
    """The actual failing sets as matrix-file YAML: a starting point to review, never to paste blindly."""
    out: dict[str, Any] = {}
    for run in runs:
        if run.scenario.name == HEALTHY:
            continue
        o = run.outcome or Outcome()
        out[run.scenario.key] = {"fail": sorted(o.failed | o.errors), "status": run.status,
                                  "seconds": round(run.seconds, 1)}
    return yaml.safe_dump(out, sort_keys=False, width=120)


def fault_incidents() -> dict[str, str]:
    """Every fault of the reference gateway and its incident."""
    from gateway_testbed.reference import anthropic_models
    from gateway_testbed.reference.faults import FAULTS

    return {**{name: fault.incident for name, fault in FAULTS.items()},
            **{name: fault.incident for name, fault in anthropic_models.FAULTS.items()}}


def main(argv: Sequence[str] | None = None, *, echo: Callable[[str], None] = print) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.self.killmatrix", description=__doc__.split("\n")[0])
    parser.add_argument("--matrix", type=Path, default=MATRIX_FILE)
    parser.add_argument("--report", type=Path, default=REPORT_FILE)
    parser.add_argument("--jobs", type=int, default=3)
    parser.add_argument("--only", nargs="+", metavar="SCENARIO",
                        help="run only these scenarios or faults (NAME in every shape, NAME@SHAPE in one), and healthy")
    parser.add_argument("--shape", nargs="+", metavar="SHAPE", help="run only these shapes (default: every shape)")
    parser.add_argument("--record", action="store_true", help="print the actual failing sets as YAML")
    args = parser.parse_args(argv)
    root, incidents = Path.cwd(), fault_incidents()
    try:
        matrix = load_matrix(args.matrix, incidents)
    except MatrixError as exc:
        echo(f"kill matrix: {exc}")
        return 2
    shapes = [shape for shape in matrix.shapes if not args.shape or shape in args.shape]
    if args.shape and set(args.shape) - set(matrix.shapes):
        echo(f"kill matrix: unknown shape; the matrix has {', '.join(matrix.shapes)}")
        return 2
    selected = [s for s in matrix.scenarios if s.shape in shapes and s.name != HEALTHY
                and (not args.only or s.name in args.only or s.key in args.only)]
    known = {s.name for s in matrix.scenarios} | {s.key for s in matrix.scenarios} | set(matrix.not_applicable)
    for name in args.only or ():
        if name not in known and name in incidents:  # a fault not listed yet: run it to see what fails
            selected += [Scenario(name, (name,), incident=incidents[name], shape=shape,
                                  contracts=matrix.shapes[shape]) for shape in shapes]
        elif name not in known:
            echo(f"kill matrix: unknown scenario or fault {name!r}")
            return 2
    used = {s.shape for s in selected} if args.only else set(shapes)
    scenarios = [s for s in matrix.scenarios if s.name == HEALTHY and s.shape in used] + selected
    runs, wall = run_matrix(scenarios, root=root, jobs=args.jobs)
    verdicts = [compare(r) for r in runs]
    write_report(verdicts, matrix.out_of_scope, wall_s=wall, path=args.report, not_applicable=matrix.not_applicable)
    if args.record:
        echo(record(runs))
    for v in verdicts:
        if not v.ok:
            echo(describe_mismatch(v))
    echo(f"{summary_line(verdicts)} ({wall:.0f} s; {args.report})")
    return 0 if all(v.ok for v in verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
