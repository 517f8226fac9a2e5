"""The LiteLLM proxies the self-tests share: one healthy, one with the four configured faults, started
together once per session (each start costs 7-25 s; see docs/litellm-notes.md); the kill matrix's report."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.self.litellm_proxy import HEALTHY, LiteLLMProxy, faulty_models, start_all

LITELLM_FIXTURES = {"litellm_proxies", "litellm_healthy", "litellm_faulty"}


def pytest_configure(config: pytest.Config) -> None:
    # xdist registers its `xdist_group` marker only when it is loaded: under `-p no:xdist` (a serial debugging run)
    # the strict markers would reject the self-tests that carry it.
    config.addinivalue_line("markers", "xdist_group(name): tests that run on one xdist worker (--dist loadgroup)")


# tryfirst: xdist's worker reads the xdist_group markers in its own pytest_collection_modifyitems (suffixing the
# node id with @group, which is what --dist loadgroup schedules by). Run after it, the markers came too late:
# the LiteLLM tests spread over every worker and each started its own pair of proxies (8 in make test).
@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Under xdist every worker would start its own pair of proxies (hundreds of MB, 7-25 s each): the tests that
    # use them go to one worker (`--dist loadgroup`, as `make test` runs). `make check` leaves them out (-m).
    for item in items:
        if LITELLM_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.litellm)
            item.add_marker(pytest.mark.xdist_group("litellm"))
    # The longest items first, so no worker starts a long one when the others are done (xdist hands out work in
    # this order): the modules using the LiteLLM proxies (one worker runs them all, one after another), then the
    # modules with suite runs (marked slow), then the rest. Whole modules move, keeping their order and fixtures.
    rank: dict[object, int] = {}
    for item in items:
        mine = 0 if item.get_closest_marker("litellm") else 1 if item.get_closest_marker("slow") else 2
        rank[item.module] = min(rank.get(item.module, 2), mine)
    items.sort(key=lambda item: rank[item.module])


def pytest_collection_finish(session: pytest.Session) -> None:
    # After every collection hook, xdist's included: under --dist loadgroup each LiteLLM test must carry the group
    # in its node id, or each worker starts its own proxies again (the silent cost this guard exists for).
    if not getattr(session.config.option, "loadgroup", False):  # what xdist's own hook reads (--dist loadgroup)
        return
    ungrouped = [i.nodeid for i in session.items if i.get_closest_marker("litellm") and "@" not in i.nodeid]
    if ungrouped:
        raise pytest.UsageError(f"LiteLLM tests outside their xdist group (each worker would start proxies): "
                                f"{ungrouped[:3]}")


@pytest.fixture(scope="session", autouse=True)
def _basetemp_made_first(tmp_path_factory: pytest.TempPathFactory) -> None:
    # pytest makes the base temporary directory on first use, and an xdist worker's (given by --basetemp) is
    # wiped then; that first use is not thread-safe. A module fixture calling mktemp from a thread pool as the
    # worker's first use had one thread wipe what another had just written (a CI run lost a contract file).
    # Made here, once, before any test or fixture of the session can use it from threads.
    tmp_path_factory.getbasetemp()


_litellm_running: list[LiteLLMProxy] = []
_litellm_done: set[str] = set()


@pytest.fixture(scope="session")
def litellm_proxies() -> Iterator[tuple[LiteLLMProxy, LiteLLMProxy]]:
    healthy, faulty = LiteLLMProxy(HEALTHY), LiteLLMProxy(faulty_models())
    start_all(healthy, faulty)
    _litellm_running[:] = [healthy, faulty]
    try:
        yield healthy, faulty
    finally:
        _stop_litellm()


def _stop_litellm() -> None:
    for proxy in _litellm_running:
        proxy.stop()
    _litellm_running.clear()


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item: pytest.Item) -> None:
    # Once every LiteLLM test of this process's collection has run here, the two proxies would idle (~4 % of a core
    # each) to the end of the session: stopped now. Under --dist loadgroup their group runs whole on one worker;
    # spread otherwise, no worker runs them all and the session's end stops them, as before.
    if not _litellm_running or not item.get_closest_marker("litellm"):
        return
    _litellm_done.add(item.nodeid)
    if _litellm_done >= {i.nodeid for i in item.session.items if i.get_closest_marker("litellm")}:
        _stop_litellm()


@pytest.fixture(scope="session")
def litellm_healthy(litellm_proxies: tuple[LiteLLMProxy, LiteLLMProxy]) -> LiteLLMProxy:
    return litellm_proxies[0]


@pytest.fixture(scope="session")
def litellm_faulty(litellm_proxies: tuple[LiteLLMProxy, LiteLLMProxy]) -> LiteLLMProxy:
    return litellm_proxies[1]


# -- the kill matrix's report (tests/self/e2e/test_kill_matrix.py) -----------------------------------------------
# Each matrix item carries its verdict as a user property; under xdist the reports reach the controller, which
# alone writes reports/kill-matrix.md and prints the summary line, for the scenarios this session ran.

_matrix_rows: list[dict[str, object]] = []
_matrix_started = time.monotonic()


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "call":
        _matrix_rows.extend(json.loads(value) for name, value in report.user_properties if name == "kill-matrix")


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    if not _matrix_rows or hasattr(config, "workerinput"):
        return
    from tests.self.killmatrix import (
        MATRIX_FILE,
        REPORT_FILE,
        fault_incidents,
        load_matrix,
        summary_line,
        verdict_from_row,
        write_report,
    )

    root = Path(config.rootpath)
    matrix = load_matrix(root / MATRIX_FILE, fault_incidents())
    order = {s.key: i for i, s in enumerate(matrix.scenarios)}
    scenarios = {s.key: s for s in matrix.scenarios}
    rows = sorted(_matrix_rows, key=lambda row: order.get(str(row["key"]), len(order)))
    verdicts = [verdict_from_row(row, scenarios[str(row["key"])]) for row in rows if row["key"] in scenarios]
    wall = time.monotonic() - _matrix_started
    write_report(verdicts, matrix.out_of_scope, wall_s=wall, path=root / REPORT_FILE,
                 not_applicable=matrix.not_applicable)
    terminalreporter.write_line(f"{summary_line(verdicts)} ({len(verdicts)} runs; {REPORT_FILE})")
