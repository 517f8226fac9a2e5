"""The xdist bridge: the controller owns the target, and hands each worker its URL, key and cache directory.

Workers cannot share a server they start themselves; with one shared cache directory every page is fetched
once per run, not once per worker.

It also schedules: a gate is a few long items (the fuzz operations, a second or more each) and ~200 short ones
(the contracts, milliseconds each). xdist's `load` hands out consecutive chunks in collection order, so the long
items landed on whichever worker got their chunk (the longest, chat, last on one worker while the other sat
idle). `LongFirstScheduling` deals the long units one at a time, in the order the workers collected them
(longest first: the fuzz plugin orders the fuzz operations), each to a worker that holds none, while the short
items fill in around them in chunks as `load` sends them. A unit is one item, or items that belong on one worker:
the OpenAI SDK contract's tests import the SDK (~0.45 CPU-s) in whichever process runs one of them, so they go
together, once.
"""

from __future__ import annotations

import dataclasses
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gateway_contracts import production
from gateway_contracts.contract import Contract
from gateway_contracts.net.client import ClientSettings
from gateway_contracts.session.state import SuiteState

LongUnit = Callable[[str], "str | None"]  # a node id's long unit (items of one unit run on one worker), or None


class XdistBridge:
    """Hands each worker the controller's target (registered only when xdist runs); schedules the long units
    first (`long_unit`: which long unit a node id belongs to) when the run uses xdist's default `load`
    distribution."""

    def __init__(self, state: SuiteState, long_unit: LongUnit) -> None:
        self.state = state
        self.long_unit = long_unit

    def pytest_configure_node(self, node: Any) -> None:
        s = self.state
        node.workerinput.update(
            target_url=s.target_url, api_key=s.api_key, description=s.description, key_source=s.key_source,
            keyless=s.keyless, run_deadline_s=s.run_deadline_s, run_deadline_at=s.run_deadline_at,
            cache_dir=str(s.cache_dir), settings=dataclasses.asdict(s.settings), compare_url=s.compare_url,
        )

    def pytest_xdist_make_scheduler(self, config: Any, log: Any) -> Any:
        # Only in place of `load` (what -n chooses); an explicit --dist other than load keeps xdist's own.
        if config.getvalue("dist") != "load":
            return None
        return long_first_scheduling(config, log, self.long_unit)


def long_units(collection: list[str], long_unit: LongUnit) -> list[list[int]]:
    """The long units of a collection, as lists of indices, in the order of each unit's first item."""
    units: dict[str, list[int]] = {}
    for index, nodeid in enumerate(collection):
        key = long_unit(nodeid)
        if key is not None:
            units.setdefault(key, []).append(index)
    return list(units.values())


def long_first_scheduling(config: Any, log: Any, long_unit: LongUnit) -> Any:
    """xdist's LoadScheduling with the long units dealt apart (imported here: xdist runs only under -n)."""
    from xdist.scheduler import LoadScheduling

    class LongFirstScheduling(LoadScheduling):  # type: ignore[misc]
        def __init__(self, config: Any, log: Any = None) -> None:
            super().__init__(config, log)
            self.long: deque[list[int]] = deque()
            self.long_set: set[int] = set()

        @property
        def tests_finished(self) -> bool:
            return not self.long and bool(super().tests_finished)

        @property
        def has_pending(self) -> bool:
            return bool(self.long) or bool(super().has_pending)

        def schedule(self) -> None:
            assert self.collection_is_completed
            if self.collection is not None:
                for node in self.nodes:
                    self.check_schedule(node)
                return
            if not self._check_nodes_have_same_collection():
                self.log("**Different tests collected, aborting run**")
                return
            self.collection = next(iter(self.node2collection.values()))
            if self.maxschedchunk is None:
                self.maxschedchunk = len(self.collection)
            self.long = deque(long_units(list(self.collection), long_unit))
            self.long_set = {index for unit in self.long for index in unit}
            self.pending[:] = [i for i in range(len(self.collection)) if i not in self.long_set]
            for node in self.nodes:
                if self.long:
                    self._send_long(node)
            # The first short chunk as `load` sizes it (a quarter of a worker's share), the rest on demand.
            chunk = max(min(len(self.collection) // len(self.nodes) // 4, self.maxschedchunk), 2)
            for node in self.nodes:
                self._send_tests(node, chunk)
            for node in self.nodes:
                self.check_schedule(node)

        def check_schedule(self, node: Any, duration: float = 0) -> None:
            if node.shutting_down:
                return
            queued = self.node2pending[node]
            # One long unit per worker at a time: the next longest goes to the first worker without one.
            if self.long and not self.long_set.intersection(queued):
                self._send_long(node)
            if self.pending:
                super().check_schedule(node, duration)  # the short items, in chunks, as `load` sends them
                return
            # No short item left: a worker runs an item once it knows the next (or that none comes).
            while self.long and len(queued) < 2:
                self._send_long(node)
            if not self.long:
                node.shutdown()

        def _send_long(self, node: Any) -> None:
            unit = self.long.popleft()
            self.node2pending[node].extend(unit)
            node.send_runtest_some(unit)

        def remove_node(self, node: Any) -> str | None:
            # A crashed worker's long items go back to the long queue, one unit each (LoadScheduling would
            # requeue them short); the one it was running is reported as crashed.
            queued = self.node2pending.get(node, [])
            returned = [i for i in queued[1:] if i in self.long_set]
            self.node2pending[node] = [i for i in queued if i == queued[0] or i not in self.long_set]
            self.long.extendleft([i] for i in reversed(returned))
            return super().remove_node(node)  # type: ignore[no-any-return]

    return LongFirstScheduling(config, log)


def worker_state(contract: Contract, workerinput: dict[str, Any]) -> SuiteState:
    """A worker's state, from what the controller's bridge handed it."""
    state = SuiteState(contract=contract, settings=ClientSettings(**workerinput["settings"]))
    state.target_url, state.api_key = workerinput["target_url"], workerinput["api_key"]
    state.description, state.key_source = workerinput["description"], workerinput["key_source"]
    state.keyless = workerinput["keyless"]
    state.cache_dir = Path(workerinput["cache_dir"])
    state.run_deadline_s, state.run_deadline_at = workerinput["run_deadline_s"], workerinput["run_deadline_at"]
    state.compare_url = workerinput.get("compare_url")
    if state.compare_url:  # production's reads, as the controller recorded them (a worker sends nothing there)
        state.production = production.recorded(state.compare_url, state.cache_dir, contract)
    return state
