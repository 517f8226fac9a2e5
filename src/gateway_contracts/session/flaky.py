"""Flaky evidence: a contract that passed on an answer that needed a transport retry.

The verdict is unchanged; the test gets a JUnit property `flaky` per retried request it read, and the
summary lists it as FLAKY.
"""

from __future__ import annotations

import pytest

from gateway_contracts.session.state import SuiteState


def start_test(state: SuiteState) -> None:
    """Forget what the previous test read: the next one's evidence starts empty."""
    if state.client is not None and state.store is not None:
        state.client.touched.clear()
        state.store.reread.clear()


def record_retried(state: SuiteState, item: pytest.Item, report: pytest.TestReport) -> None:
    """Attach each retried request the test read to its call report (and the item, for JUnit)."""
    if report.when != "call" or state.client is None or state.store is None:
        return
    # Everything the test read: fetched or cached by the client (memory, or disk from another worker, where
    # `attempts` is kept), and walks the store served from its own cache.
    read = [*state.client.touched, *state.store.reread]
    retried = {e.request_line: e for e in read if e.recovered}
    for exchange in retried.values():
        # Shows up in JUnit as a property and in the summary as FLAKY; the verdict itself is unchanged.
        flaky = ("flaky", f"{exchange.describe()}: {'; '.join(exchange.notes)}")
        report.user_properties.append(flaky)
        item.user_properties.append(flaky)  # JUnit writes the teardown report's copy of the item's properties


class FlakyTests:
    """On the controller (or the single process): which passed tests read an answer that needed a retry."""

    def __init__(self, state: SuiteState) -> None:
        self.state = state

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when == "call" and report.passed:
            retried = [str(value) for name, value in report.user_properties if name == "flaky"]
            if retried:
                self.state.flaky_tests[report.nodeid] = retried
