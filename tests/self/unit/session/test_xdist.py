"""The gate's xdist scheduler (session/xdist.py) driven to the end with fake workers: every item runs once, the long
units are dealt one per worker at a time, longest first, and a unit's items (the SDK contract's) run on one worker.

xdist calls the scheduler from its controller loop; here a loop plays the workers: each finishes the first item it
was sent, in turn, as a worker reports `runtest` results. The scheduler subclasses xdist's LoadScheduling and uses
its attributes, so a pytest-xdist release that changes them fails here rather than in a gate.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from gateway_contracts.plugin import SDK_TESTS, long_unit
from gateway_contracts.session.xdist import long_first_scheduling, long_units

FUZZ = [f"tests/fuzz/test_fuzz.py::test_fuzz_gate[{op}]" for op in
        ("POST /v1/chat/completions", "GET /v1/models", "GET /models", "GET /health")]
SDK = [f"{SDK_TESTS}test_openai_sdk_lists_the_models", f"{SDK_TESTS}test_openai_sdk_chat[a]",
       f"{SDK_TESTS}test_openai_sdk_chat[b]"]
SHORT = [f"tests/contract/test_gateways.py::test_gateway_answers_200[g{i}]" for i in range(40)]
# As a worker collects a gate: the contracts (the SDK's near their end, as tests/contract sorts), then the fuzz
# operations, longest first. Without the SDK unit, xdist's chunks split these SDK tests over both workers.
COLLECTION = [*SHORT[:38], *SDK, *SHORT[38:], *FUZZ]


class FakeWorker:
    def __init__(self, name: str) -> None:
        self.gateway = SimpleNamespace(id=name)
        self.shutting_down = False
        self.sent: list[int] = []

    def send_runtest_some(self, indices: list[int]) -> None:
        assert not self.shutting_down, f"{self.gateway.id}: sent tests after shutdown"
        self.sent += indices

    def shutdown(self) -> None:
        self.shutting_down = True


def fake_config(workers: int) -> Any:
    values = {"tx": [f"{workers}*popen"], "maxschedchunk": None, "dist": "load"}
    return SimpleNamespace(getvalue=values.__getitem__, getoption=values.__getitem__)


def run(workers: int, collection: list[str]) -> dict[str, list[str]]:
    """Each worker's items in the order it ran them, the scheduler deciding as xdist's controller lets it."""
    scheduler = long_first_scheduling(fake_config(workers), None, long_unit)
    nodes = [FakeWorker(f"gw{i}") for i in range(workers)]
    for node in nodes:
        scheduler.add_node(node)
    for node in nodes:
        scheduler.add_node_collection(node, collection)
    scheduler.schedule()
    ran: dict[str, list[str]] = {node.gateway.id: [] for node in nodes}
    for _ in range(10 * len(collection)):
        if scheduler.tests_finished and not scheduler.has_pending:
            break
        for node in nodes:
            queued = scheduler.node2pending[node]
            if queued:  # a worker reports its first queued item done
                ran[node.gateway.id].append(collection[queued[0]])
                scheduler.mark_test_complete(node, queued[0])
    else:
        pytest.fail(f"the scheduler never finished: {scheduler.node2pending}")
    return ran


def test_every_item_runs_exactly_once() -> None:
    ran = run(2, COLLECTION)
    assert sorted(item for items in ran.values() for item in items) == sorted(COLLECTION)


def test_each_worker_starts_with_a_long_unit_the_longest_on_its_own() -> None:
    ran = run(2, COLLECTION)
    firsts = {items[0] for items in ran.values()}
    # The SDK's unit comes first in collection order; the longest fuzz operation goes to the other worker.
    assert firsts == {SDK[0], FUZZ[0]}


def test_the_sdk_contract_runs_on_one_worker() -> None:
    ran = run(2, COLLECTION)
    holders = [name for name, items in ran.items() if set(SDK) & set(items)]
    assert len(holders) == 1, f"the SDK's tests ran on {holders}: each of those imports the SDK"
    assert set(SDK) <= set(ran[holders[0]])


def test_the_fuzz_operations_are_spread_over_the_workers() -> None:
    ran = run(2, COLLECTION)
    assert all(any(item in FUZZ for item in items) for items in ran.values())


def test_one_worker_runs_everything_once_starting_with_a_long_unit() -> None:
    (items,) = run(1, COLLECTION).values()
    assert sorted(items) == sorted(COLLECTION)
    assert items[:len(SDK)] == SDK


def test_long_units_group_by_key_in_collection_order() -> None:
    assert long_units(COLLECTION, long_unit) == [
        [COLLECTION.index(s) for s in SDK], *([COLLECTION.index(f)] for f in FUZZ)]
    assert long_units(SHORT, long_unit) == []
