"""What the self-tests' own conftest (tests/self/conftest.py) guarantees every self-test."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.self.suite_run import run_suite

pytestmark = pytest.mark.slow

# A module fixture making its directories from a thread pool, as the first use of the session's base temporary
# directory: what tests/self/e2e/test_known_findings_gate.py does, and what once lost one of its contract files.
THREADED_MKTEMP = '''
from concurrent.futures import ThreadPoolExecutor

import pytest


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    def one(name):
        path = tmp_path_factory.mktemp(name)
        (path / "written.txt").write_text(name)
        return path

    with ThreadPoolExecutor(max_workers=4) as pool:
        return list(pool.map(one, ["a", "b", "c", "d"]))


def test_every_directory_keeps_what_was_written(made):
    assert [p.name for p in made if not (p / "written.txt").is_file()] == []
'''


def test_threads_may_make_temporary_directories_as_a_worker_s_first_use(tmp_path: Path) -> None:
    # An xdist worker is given its base directory (--basetemp), which pytest wipes on first use, unlocked: without
    # the conftest's session fixture every run of this fails (30 of 30 when measured), one thread wiping another's.
    test_file = tmp_path / "test_threaded_mktemp.py"
    test_file.write_text(THREADED_MKTEMP, encoding="utf-8")
    run = run_suite([str(test_file), "-p", "tests.self.conftest", f"--basetemp={tmp_path / 'worker'}"], tmp_path)
    assert run.status == 0, run.output[-3000:]
    assert run.passed == {"test_every_directory_keeps_what_was_written"}
