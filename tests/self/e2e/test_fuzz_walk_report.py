"""The stateful pagination walk reports its failures as the per-operation fuzz items do: each distinct failure
once (code, title, curl), the walk going on past the first, never a Hypothesis exception-group traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.self.suite_run import run_suite

pytestmark = pytest.mark.slow


def test_the_walk_reports_distinct_failures_in_the_fuzz_items_form(tmp_path: Path) -> None:
    run = run_suite(("tests/fuzz", "-m", "nightly", "-k", "pagination_walk", "--reference-fault",
                     "next-offset-stalls"), tmp_path)
    assert run.status == 1, run.output[-3000:]
    report = run.failed["test_fuzz_pagination_walk"]
    assert "distinct failure" in report
    assert "GC505 Following next_offset (`next-page`)" in report
    assert "curl -X GET" in report
    assert "Exception Group" not in run.output
    assert "Traceback" not in report
