"""Section facts published by tests and fixtures on xdist workers reach the controller whole, and never land in
JUnit (report/facts.py; the single-process path is tests/self/unit/report/test_sections.py). A tiny pytest
run in a folder of its own, with only the facts plugin."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

CONFTEST = '''
import json
from gateway_contracts.report.facts import published

def pytest_sessionfinish(session):
    if not hasattr(session.config, "workerinput"):  # the controller, after every worker went down
        (session.config.rootpath / "facts.json").write_text(json.dumps(published(session.config)))
'''
TESTS = '''
import os
import pytest
from gateway_contracts.report.facts import publish

@pytest.fixture(scope="session")
def per_process(pytestconfig):
    publish(pytestconfig, "demo", "session", "from a session fixture")

@pytest.mark.parametrize("i", range(6))
def test_publishes(i, report_fact, per_process):
    report_fact("demo", f"g{i}", {"i": i, "by": os.environ.get("PYTEST_XDIST_WORKER", "main")})
'''


@pytest.mark.slow
def test_every_published_fact_reaches_the_controller_and_none_goes_to_junit(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text(CONFTEST)
    (tmp_path / "test_publish.py").write_text(TESTS)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "gateway_contracts.report.facts", "-p", "no:cacheprovider",
         "-q", "--junitxml=junit.xml", "-n", "2"], cwd=tmp_path, env=env, capture_output=True, text=True,
        timeout=120, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    demo = json.loads((tmp_path / "facts.json").read_text())["demo"]
    assert demo.pop("session") == "from a session fixture"
    assert sorted(demo) == [f"g{i}" for i in range(6)]
    assert [demo[f"g{i}"]["i"] for i in range(6)] == list(range(6))
    # Under xdist both workers ran tests: the controller holds the facts of two other processes.
    assert {fact["by"] for fact in demo.values()} == {"gw0", "gw1"}
    assert "demo" not in (tmp_path / "junit.xml").read_text()
