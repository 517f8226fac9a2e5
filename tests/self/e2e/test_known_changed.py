"""Known findings see change, end to end: an entry accepted a gateway under its floor with 0 rows
(`seen: {count: 0}`); the gateway now serves some. The run still accepts it, says beside the finding what
changed, and fails under --strict-known. Two suite runs of one contract test against the reference gateway."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.self.suite_run import SuiteRun, reference_contract_text, run_suite

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("known-changed")]

FLOOR = "test_count_within_bounds[groq]"


def contract(tmp: Path) -> Path:
    """The reference contract with groq's floor over what it serves, accepted when groq served 0 rows."""
    text = reference_contract_text()
    text = text.replace("  groq:\n    min_models: 15\n    max_models: 60\n",
                        "  groq:\n    min_models: 100\n    max_models: 300\n")
    text += f"""
known_findings:
  - code: GC202
    where: {FLOOR}
    reason: groq lists nothing (the count floor)
    ticket: GW-29
    expires: 2099-12-31
    seen: {{count: 0, status: 200, ids: []}}
"""
    path = tmp / "known.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, SuiteRun]:
    tmp = tmp_path_factory.mktemp("known-changed")
    args = ["tests/contract", "-k", FLOOR, f"--contracts={contract(tmp)}", "-rx"]
    return {"default": run_suite(args, tmp), "strict": run_suite([*args, "--strict-known"], tmp)}


def test_the_changed_known_finding_is_accepted_and_says_what_changed(runs: dict[str, SuiteRun]) -> None:
    run = runs["default"]
    assert run.status == 0, run.stdout[-3000:]
    assert "1 xfailed" in run.stdout
    assert "known, changed: 0 → 19 distinct models: GC202 test_count_within_bounds[groq]" in run.stdout
    assert "changed: 0 → 19 distinct models: GC202" in run.stdout  # beside the finding: the xfail's reason
    assert "[fails under --strict-known / STRICT_KNOWN=1]" in run.stdout


def test_strict_known_fails_on_the_change(runs: dict[str, SuiteRun]) -> None:
    run = runs["strict"]
    assert run.status == 1, run.stdout[-3000:]
    assert "known, changed: 0 → 19 distinct models" in run.stdout
    assert "[fails the run]" in run.stdout
