"""Unit tests of the kill matrix's pure parts: the matrix file, JUnit parsing, comparison and rendering."""

from __future__ import annotations

import json
import sys
import textwrap
from collections.abc import Iterable
from pathlib import Path

import pytest

from tests.self.killmatrix import (
    HEALTHY,
    MATRIX_FILE,
    Matrix,
    MatrixError,
    Outcome,
    Run,
    Scenario,
    compare,
    describe_mismatch,
    fault_incidents,
    load_matrix,
    main,
    needs_baseline,
    parse_junit,
    render_markdown,
    suite_command,
    summary_line,
    unaccounted_faults,
    verdict_from_row,
    verdict_row,
)

ROOT = Path(__file__).resolve().parents[3]
INCIDENTS = {"dup": "R01", "slow": "R18", "extra": "-"}

JUNIT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" errors="1" failures="2" skipped="1" tests="6">
  <testcase classname="tests.contract.test_gateways" name="test_no_duplicate_ids[huggingface]" time="0.1">
    <failure message="[no-duplicate-ids] ...">evidence</failure></testcase>
  <testcase classname="tests.contract.test_gateways" name="test_no_duplicate_ids[openrouter]" time="0.1"/>
  <testcase classname="tests.contract.test_gateways" name="test_count_within_bounds[huggingface]" time="0.1">
    <failure message="[count-floor] ..."/><system-out>captured</system-out></testcase>
  <testcase classname="tests.contract.test_api_surface" name="test_registry_has_no_uncovered_gateways" time="0">
    <skipped type="pytest.skip" message="not strict"/></testcase>
  <testcase classname="tests.contract.test_api_surface" name="test_chat_requires_a_key" time="0">
    <error message="failed on setup with ..."/></testcase>
  <testcase classname="tests.contract.test_aggregate" name="test_aggregate_rows_are_unique_per_gateway" time="0">
    <failure message="x"/><error message="failed on teardown"/></testcase>
</testsuite></testsuites>
"""


def scenario(name: str = "dup", expected: Iterable[str] = (), summary: str | None = None) -> Scenario:
    return Scenario(name=name, faults=(name,), expected=frozenset(expected), summary=summary)


def run(s: Scenario, failed: Iterable[str] = (), *, status: int | None = None, errors: Iterable[str] = (),
        output: str = "", outcome: bool = True) -> Run:
    failed, errors = frozenset(failed), frozenset(errors)
    if status is None:
        status = 1 if failed or errors else 0
    result = Outcome(passed=frozenset({"test_ok"}), failed=failed, errors=errors)
    return Run(s, status, result if outcome else None, output, 1.0)


# -- JUnit -----------------------------------------------------------------------------------------


def test_parse_junit_groups_test_ids_by_result() -> None:
    outcome = parse_junit(JUNIT)
    assert outcome.failed == {"test_no_duplicate_ids[huggingface]", "test_count_within_bounds[huggingface]",
                              "test_aggregate_rows_are_unique_per_gateway"}
    assert outcome.passed == {"test_no_duplicate_ids[openrouter]"}
    assert outcome.skipped == {"test_registry_has_no_uncovered_gateways"}
    # A setup error is an error, not a pass; a failure with a teardown error is both.
    assert outcome.errors == {"test_chat_requires_a_key", "test_aggregate_rows_are_unique_per_gateway"}


def test_parse_junit_of_an_empty_run() -> None:
    assert parse_junit('<testsuites><testsuite name="pytest" tests="0"/></testsuites>') == Outcome()


# -- comparison ------------------------------------------------------------------------------------


def test_exact_failures_are_ok() -> None:
    s = scenario(expected={"a", "b"})
    verdict = compare(run(s, {"a", "b"}))
    assert verdict.ok
    assert verdict.missing == verdict.unexpected == frozenset()


def test_a_contract_that_stops_catching_is_missing() -> None:
    verdict = compare(run(scenario(expected={"a", "b"}), {"a"}))
    assert not verdict.ok
    assert verdict.missing == {"b"}
    assert "expected to fail but passed" in describe_mismatch(verdict)
    assert "b" in describe_mismatch(verdict)


def test_collateral_failures_are_unexpected() -> None:
    verdict = compare(run(scenario(expected={"a"}), {"a", "c"}))
    assert verdict.unexpected == {"c"}
    assert "failed without being expected: c" in describe_mismatch(verdict)


def test_a_fault_nothing_catches_is_a_mismatch() -> None:
    verdict = compare(run(scenario(expected={"a"}), set()))
    assert verdict.missing == {"a"}
    assert any("exit status 0, expected 1" in p for p in verdict.problems)


def test_healthy_run_must_pass_cleanly() -> None:
    healthy = Scenario(HEALTHY, ())
    assert compare(run(healthy)).ok
    assert compare(run(healthy, {"x"})).unexpected == {"x"}


def test_errors_are_problems_even_when_expected() -> None:
    # A contract must fail with findings; a crash hides what it would have reported.
    verdict = compare(run(scenario(expected={"a"}), {"a"}, errors={"a"}))
    assert not verdict.ok
    assert any("errors (not findings) in a" in p for p in verdict.problems)


def test_exit_status_other_than_a_verdict_is_a_problem() -> None:
    verdict = compare(run(scenario(expected={"a"}), status=7, output="gateway-contracts: target unreachable\n",
                          outcome=False))
    assert any("exit status 7, expected 1 (gateway-contracts: target unreachable)" in p for p in verdict.problems)
    assert any("no JUnit report" in p for p in verdict.problems)


def test_timed_out_run_is_a_problem() -> None:
    verdict = compare(Run(scenario(expected={"a"}), None, None))
    assert any("did not finish" in p for p in verdict.problems)


def test_required_summary_text() -> None:
    s = scenario("extra", summary="no contract covers: aimo")
    assert compare(run(s, output="gateway-contracts: the registry lists gateways no contract covers: aimo")).ok
    assert "does not mention" in compare(run(s, output="nothing")).problems[0]


# -- rendering -------------------------------------------------------------------------------------


def test_summary_line() -> None:
    healthy = Scenario(HEALTHY, ())
    ok = compare(run(scenario(expected={"a"}), {"a"}))
    bad = compare(run(scenario("slow", expected={"b"}), set()))
    assert summary_line([compare(run(healthy)), ok]) == (
        "kill matrix: 1/1 faults caught exactly as expected; healthy gateway: 1 passed, 0 failed")
    assert summary_line([compare(run(healthy)), ok, bad]).endswith("1/2 faults caught exactly as expected; "
                                                                     "healthy gateway: 1 passed, 0 failed; "
                                                                     "mismatched: slow")
    by_design = compare(run(scenario("extra")))
    assert summary_line([ok, by_design]) == ("kill matrix: 2/2 faults caught exactly as expected "
                                             "(1 of them pass by design)")


def test_render_markdown_rows_and_out_of_scope() -> None:
    s = Scenario("extra-strict", ("extra",), args=("--strict-registry",), expected=frozenset({"t[a|b]"}),
                 target="t[a|b]", why="a | in a why", incident="-")
    text = render_markdown([compare(run(Scenario(HEALTHY, ()))), compare(run(s, {"t[a|b]"}))],
                           {"slow": "takes a minute"}, wall_s=12.3)
    assert text.startswith("# Kill matrix\n\nkill matrix: 1/1 faults caught exactly as expected")
    assert "2 runs in 12 s wall time" in text
    row = next(line for line in text.splitlines() if line.startswith("| `extra-strict`"))
    assert "(extra --strict-registry)" in row
    assert "`t[a\\|b]`" in row  # pipes escaped: the table keeps its columns
    assert "the same 1" in row
    assert "caught as expected" in row
    assert "| `slow` | takes a minute |" in text


def test_render_markdown_shows_a_mismatch() -> None:
    text = render_markdown([compare(run(scenario(expected={"a", "b"}), {"a", "c"}))], {}, wall_s=1)
    assert "**MISMATCH**: missing b; unexpected c" in text
    assert "`a`<br>`c`" in text


# -- the matrix file -------------------------------------------------------------------------------


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "matrix.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def test_load_matrix(tmp_path: Path) -> None:
    matrix = load_matrix(write(tmp_path, """
        version: 1
        scenarios:
          dup: {target: a, why: "ids repeat", fail: [a, b]}
          extra-strict: {faults: [extra], args: [--strict-registry], target: c, why: w, fail: [c]}
          extra: {summary: "covers: aimo"}
        out_of_scope:
          slow: takes a minute
        """), INCIDENTS)
    names = [s.name for s in matrix.scenarios]
    assert names == [HEALTHY, "dup", "extra-strict", "extra"]
    dup, strict, extra = matrix.scenarios[1:]
    assert dup.faults == ("dup",)
    assert dup.expected == {"a", "b"}
    assert dup.incident == "R01"
    assert strict.faults == ("extra",)
    assert strict.args == ("--strict-registry",)
    assert extra.expected == frozenset()
    assert extra.summary == "covers: aimo"
    assert unaccounted_faults(matrix, INCIDENTS) == []
    assert unaccounted_faults(Matrix(matrix.scenarios[:2], {}), INCIDENTS) == ["slow", "extra"]


@pytest.mark.parametrize(("body", "message"), [
    ("scenarios: {}", "expected version: 1"),
    ("version: 1\nscenarios:\n  nope: {}", "unknown fault 'nope'"),
    ("version: 1\nscenarios:\n  dup: {fail: [a], why: w, targt: a}", "keys must be among"),
    ("version: 1\nscenarios:\n  dup: {fail: [a], why: w, target: b}", "target 'b' is not in its fail list"),
    ("version: 1\nscenarios:\n  dup: {fail: [a]}", "needs a why"),
    ("version: 1\nout_of_scope: {nope: why}", "out_of_scope.nope: unknown fault"),
])
def test_load_matrix_rejects(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(MatrixError, match=message):
        load_matrix(write(tmp_path, body), INCIDENTS)


def test_committed_matrix_loads_and_targets_its_failures() -> None:
    matrix = load_matrix(ROOT / MATRIX_FILE, fault_incidents())
    for s in matrix.scenarios:
        if s.name == HEALTHY:
            continue
        assert (s.target is None) == (not s.expected), s.key  # a scenario that fails names its target
        assert s.why, s.key


def test_suite_command() -> None:
    s = Scenario("extra-strict", ("extra",), args=("--strict-registry",))
    command = suite_command(s, Path("/tmp/x.xml"))
    assert command[:3] == [sys.executable, "-m", "pytest"]
    assert command[-4:] == ["--junitxml=/tmp/x.xml", "--reference-fault", "extra", "--strict-registry"]
    assert "-p" in command
    assert "no:cacheprovider" in command


def test_baseline_token_and_the_healthy_snapshot() -> None:
    partial = Scenario("partial", ("partial",), args=("--baseline", "{baseline}"))
    snapshot = Path("/tmp/m/baseline.json")
    assert needs_baseline(partial)
    assert not needs_baseline(Scenario("dup", ("dup",)))
    assert suite_command(partial, Path("/tmp/p.xml"), baseline=snapshot)[-2:] == ["--baseline", str(snapshot)]
    healthy = suite_command(Scenario(HEALTHY, ()), Path("/tmp/h.xml"), baseline=snapshot)
    assert healthy[-2:] == ["--update-baseline", str(snapshot)]
    assert "--update-baseline" not in suite_command(Scenario(HEALTHY, ()), Path("/tmp/h.xml"))


def test_cli_reports_a_bad_matrix_in_one_line(tmp_path: Path) -> None:
    lines: list[str] = []
    status = main(["--matrix", str(write(tmp_path, "version: 2")), "--report", str(tmp_path / "r.md")],
                  echo=lines.append)
    assert status == 2
    assert lines == [f"kill matrix: {tmp_path / 'matrix.yaml'}: expected version: 1, scenarios and out_of_scope"]


def test_cli_refuses_an_unknown_scenario(tmp_path: Path) -> None:
    lines: list[str] = []
    assert main(["--only", "no-such-fault", "--report", str(tmp_path / "r.md")], echo=lines.append) == 2
    assert lines == ["kill matrix: unknown scenario or fault 'no-such-fault'"]


# -- shapes ----------------------------------------------------------------------------------------

SHAPED = """
    version: 1
    shapes:
      full: {contracts: contracts/gateways.yaml}
      sparse: {contracts: contracts/gatewayz-staging.yaml}
    scenarios:
      dup:
        target: a
        why: ids repeat
        fail: [a, b]
        sparse: {target: c, why: other gateways, fail: [c]}
      extra-strict:
        faults: [extra]
        args: [--strict-registry]
        target: c
        why: w
        fail: [c]
        sparse: {}
      slow:
        sparse: 'no such gateway in that registry'
    """


def test_load_matrix_with_shapes(tmp_path: Path) -> None:
    matrix = load_matrix(write(tmp_path, SHAPED), INCIDENTS)
    assert matrix.shapes == {"full": "contracts/gateways.yaml", "sparse": "contracts/gatewayz-staging.yaml"}
    keys = [s.key for s in matrix.scenarios]
    assert keys == [HEALTHY, "healthy@sparse", "dup", "dup@sparse", "extra-strict", "extra-strict@sparse", "slow"]
    by_key = {s.key: s for s in matrix.scenarios}
    assert by_key["dup@sparse"].expected == {"c"}
    assert by_key["dup@sparse"].contracts == "contracts/gatewayz-staging.yaml"
    assert by_key["dup"].contracts == "contracts/gateways.yaml"
    strict = by_key["extra-strict@sparse"]
    assert (strict.faults, strict.args, strict.expected) == (("extra",), ("--strict-registry",), frozenset())
    assert matrix.not_applicable == {"slow@sparse": "no such gateway in that registry"}


@pytest.mark.parametrize(("body", "message"), [
    ("version: 1\nshapes: {sparse: {}}", "shapes: expected a mapping"),
    ("version: 1\nshapes: {full: {contract: x}}", "the keys are contracts and separate"),
    ("version: 1\nshapes: {full: {}, sparse: {}}\nscenarios:\n  dup: {shape: sparse}", "not a separate shape"),
    ("version: 1\nshapes: {full: {}, sparse: {}}\nscenarios:\n  dup: {}", "dup.sparse: expected the sparse shape"),
    ("version: 1\nshapes: {full: {}, sparse: {}}\nscenarios:\n  dup: {sparse: {fail: [a]}}", "dup.sparse: a scenario"),
])
def test_load_matrix_rejects_shapes(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(MatrixError, match=message):
        load_matrix(write(tmp_path, body), INCIDENTS)


def test_suite_command_names_the_shape_contract() -> None:
    s = Scenario("dup", ("dup",), shape="sparse", contracts="contracts/gatewayz-staging.yaml")
    command = suite_command(s, Path("/tmp/x.xml"))
    i = command.index("--contracts")
    assert command[i + 1] == "contracts/gatewayz-staging.yaml"
    assert "--contracts" not in suite_command(scenario(), Path("/tmp/x.xml"))
    assert s.key == "dup@sparse"
    assert scenario().key == "dup"


def test_summary_and_report_per_shape() -> None:
    full, sparse = Scenario(HEALTHY, ()), Scenario(HEALTHY, (), shape="sparse")
    bad = compare(run(Scenario("dup", ("dup",), expected=frozenset({"a"}), shape="sparse"), set()))
    verdicts = [compare(run(full)), compare(run(sparse)), bad]
    line = summary_line(verdicts)
    assert "healthy gateway (full shape): 1 passed, 0 failed; healthy gateway (sparse shape): 1 passed" in line
    assert line.endswith("mismatched: dup@sparse")
    text = render_markdown(verdicts, {}, wall_s=1, not_applicable={"slow@sparse": "no such gateway"})
    assert "| `dup@sparse` |" in text
    assert "## Not applicable to a shape" in text
    assert "| `slow@sparse` | no such gateway |" in text
    assert describe_mismatch(bad).startswith("dup@sparse:")


def test_a_separate_shape_runs_only_its_own_scenarios(tmp_path: Path) -> None:
    matrix = load_matrix(write(tmp_path, """
version: 1
shapes: {full: {}, other: {contracts: c.yaml, separate: true}}
scenarios:
  dup: {}
  slow: {shape: other, fail: [a], why: w}
"""), INCIDENTS)
    assert {s.key for s in matrix.scenarios} == {"healthy", "healthy@other", "dup", "slow@other"}
    assert matrix.separate == {"other"}
    assert next(s for s in matrix.scenarios if s.key == "slow@other").contracts == "c.yaml"


def test_committed_matrix_runs_every_shape() -> None:
    matrix = load_matrix(ROOT / MATRIX_FILE, fault_incidents())
    assert set(matrix.shapes) == {"full", "sparse", "anthropic"}
    assert matrix.separate == {"anthropic"}
    sparse = [s for s in matrix.scenarios if s.shape == "sparse" and s.name != HEALTHY]
    assert len(sparse) >= 25
    assert {s.contracts for s in sparse} == {"contracts/gatewayz-staging.yaml"}


# -- fuzz scenarios: the gate's fuzz tests too, tests that must pass, what a failure must say --------------

FUZZED = """
    version: 1
    scenarios:
      healthy-with-fuzzing:
        faults: []
        fuzz: true
        args: [-p, xdist, -n, '2']
        why: everything passes
        pass: ['test_fuzz_gate[GET /health]']
      dup:
        fuzz: true
        target: 'test_fuzz_gate[GET /v1/models]'
        why: fuzzing finds it
        failure_text: [Server error, curl -X GET]
        fail: ['test_fuzz_gate[GET /v1/models]']
    out_of_scope: {slow: w, extra: w}
    """


def test_load_matrix_with_fuzz_scenarios(tmp_path: Path) -> None:
    matrix = load_matrix(write(tmp_path, FUZZED), INCIDENTS)
    _, healthy, dup = matrix.scenarios
    assert healthy.faults == ()  # `faults: []`: a fault-free variant, not the fault named after the scenario
    assert healthy.fuzz
    assert healthy.must_pass == {"test_fuzz_gate[GET /health]"}
    assert dup.fuzz
    assert dup.faults == ("dup",)
    assert dup.failure_text == ("Server error", "curl -X GET")
    assert not matrix.scenarios[0].fuzz
    assert unaccounted_faults(matrix, INCIDENTS) == []


@pytest.mark.parametrize(("body", "message"), [
    ("version: 1\nscenarios:\n  dup: {fuzz: 'yes'}", "fuzz: expected true or false"),
    ("version: 1\nscenarios:\n  dup: {fail: [a], why: w, pass: [a]}", "pass and fail name the same tests"),
    ("version: 1\nscenarios:\n  dup: {fail: [a], why: w, failure_text: oops}", "failure_text: expected a list"),
    ("version: 1\nscenarios:\n  dup: {failure_text: [x]}", "failure_text needs a fail list"),
])
def test_load_matrix_rejects_fuzz_keys(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(MatrixError, match=message):
        load_matrix(write(tmp_path, body), INCIDENTS)


def test_another_shape_inherits_fuzz(tmp_path: Path) -> None:
    matrix = load_matrix(write(tmp_path, SHAPED.replace("slow:\n", "slow:\n        fuzz: true\n")
                               .replace("'no such gateway in that registry'", "{}")), INCIDENTS)
    assert [s.key for s in matrix.scenarios if s.fuzz] == ["slow", "slow@sparse"]


def test_suite_command_of_a_fuzz_scenario() -> None:
    plain = suite_command(scenario(), Path("/tmp/x.xml"))
    fuzzed = suite_command(Scenario("dup", ("dup",), fuzz=True, args=("-p", "xdist", "-n", "2")), Path("/tmp/x.xml"))
    assert "tests/fuzz" not in plain
    assert fuzzed[3:7] == ["tests/contract", "tests/fuzz", "-m", "gate"]
    assert fuzzed[-6:] == ["--reference-fault", "dup", "-p", "xdist", "-n", "2"]


FUZZ_JUNIT = """<testsuites><testsuite name="pytest">
  <testcase name="test_fuzz_gate[GET /health]"/>
  <testcase name="test_fuzz_gate[GET /v1/models]"><failure message="1 distinct failure">- Server error
Reproduce with: curl -X GET http://127.0.0.1/v1/models</failure></testcase>
</testsuite></testsuites>"""


def test_parse_junit_keeps_each_failure_text() -> None:
    outcome = parse_junit(FUZZ_JUNIT)
    assert outcome.messages == {"test_fuzz_gate[GET /v1/models]":
                                "1 distinct failure\n- Server error\nReproduce with: curl -X GET http://127.0.0.1/v1/models"}


def test_a_failure_must_say_what_the_matrix_requires() -> None:
    s = Scenario("dup", ("dup",), expected=frozenset({"test_fuzz_gate[GET /v1/models]"}), fuzz=True,
                 failure_text=("Server error", "curl -X GET"))
    assert compare(Run(s, 1, parse_junit(FUZZ_JUNIT))).ok
    worded = Scenario("dup", ("dup",), expected=s.expected, failure_text=("Response violates schema",))
    verdict = compare(Run(worded, 1, parse_junit(FUZZ_JUNIT)))
    assert verdict.problems == ("test_fuzz_gate[GET /v1/models]: its failure does not say 'Response violates schema'",)


def test_tests_that_must_pass() -> None:
    s = Scenario("healthy-with-fuzzing", (), must_pass=frozenset({"test_fuzz_gate[GET /health]", "test_gone"}))
    verdict = compare(Run(s, 0, Outcome(passed=frozenset({"test_fuzz_gate[GET /health]"}))))
    assert verdict.problems == ("expected to pass but did not run or pass: test_gone",)
    assert compare(Run(s, 0, Outcome(passed=s.must_pass))).ok


def test_a_fault_free_variant_is_not_counted_as_a_fault_caught() -> None:
    fuzzed = compare(Run(Scenario("healthy-with-fuzzing", (), fuzz=True), 0, Outcome()))
    ok = compare(run(scenario(expected={"a"}), {"a"}))
    assert summary_line([fuzzed, ok]) == "kill matrix: 1/1 faults caught exactly as expected"
    assert "`healthy-with-fuzzing` (+fuzz)" in render_markdown([fuzzed], {}, wall_s=1)


def test_a_verdict_survives_its_row() -> None:
    """What an xdist worker sends the controller renders the same report as the verdict itself."""
    healthy = compare(run(Scenario(HEALTHY, ())))
    bad = compare(run(scenario(expected={"a", "b"}), {"a", "c"}, errors={"c"}))
    timed_out = compare(Run(scenario(expected={"a"}), None, None, seconds=600))
    verdicts = [healthy, bad, timed_out]
    rows = [json.loads(json.dumps(verdict_row(v))) for v in verdicts]
    assert "passed" in rows[0]
    assert "passed" not in rows[1]  # a fault's passing ids are not carried: the report never shows them
    back = [verdict_from_row(row, v.scenario) for row, v in zip(rows, verdicts, strict=True)]
    assert summary_line(back) == summary_line(verdicts)
    assert render_markdown(back, {}, wall_s=3) == render_markdown(verdicts, {}, wall_s=3)
    assert [v.ok for v in back] == [True, False, False]
