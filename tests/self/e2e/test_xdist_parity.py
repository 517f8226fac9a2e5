"""Runs under `-n 2` give the same verdicts, and make no more requests, than serial runs."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.self.suite_run import run_suite


def run_gate(tmp_path: Path, name: str, *args: str) -> tuple[dict[str, str], str]:
    """Run the gate contracts in a subprocess; return {test id: outcome} and the console output."""
    junit = tmp_path / f"{name}.xml"
    result = run_suite(["tests/contract", "-m", "gate", f"--junitxml={junit}", *args], timeout=300)
    assert result.status in (0, 1), result.stdout[-2000:] + result.stderr[-2000:]
    outcomes = {}
    for case in ET.parse(junit).iter("testcase"):
        test_id = f"{case.get('classname')}::{case.get('name')}"
        kinds = {child.tag for child in case}
        outcomes[test_id] = ("failed" if kinds & {"failure", "error"} else "skipped" if "skipped" in kinds
                             else "passed")
    return outcomes, result.stdout


def distinct_requests(output: str) -> str:
    return next(line for line in output.splitlines() if "distinct requests" in line).split(": ", 1)[1]


@pytest.mark.slow
@pytest.mark.parametrize("fault", ["none", "hf-rename-404"])
def test_parallel_run_matches_serial_run(tmp_path: Path, fault: str) -> None:
    fault_args = [] if fault == "none" else ["--reference-fault", fault]
    serial, serial_out = run_gate(tmp_path, "serial", "-p", "no:xdist", *fault_args)
    parallel, parallel_out = run_gate(tmp_path, "parallel", "-n", "2", *fault_args)
    assert parallel == serial
    assert (fault == "none") == all(o != "failed" for o in serial.values())
    # The shared exchange cache keeps workers from fetching a page twice.
    assert distinct_requests(parallel_out) == distinct_requests(serial_out)
