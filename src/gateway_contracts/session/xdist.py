"""The xdist bridge: the controller owns the target, and hands each worker its URL, key and cache directory.

Workers cannot share a server they start themselves; with one shared cache directory every page is fetched
once per run, not once per worker.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from gateway_contracts.contract import Contract
from gateway_contracts.net.client import ClientSettings
from gateway_contracts.session.state import SuiteState


class XdistBridge:
    """Hands each worker the controller's target (registered only when xdist runs)."""

    def __init__(self, state: SuiteState) -> None:
        self.state = state

    def pytest_configure_node(self, node: Any) -> None:
        s = self.state
        node.workerinput.update(
            target_url=s.target_url, api_key=s.api_key, description=s.description, key_source=s.key_source,
            keyless=s.keyless, run_deadline_s=s.run_deadline_s, run_deadline_at=s.run_deadline_at,
            cache_dir=str(s.cache_dir), settings=dataclasses.asdict(s.settings),
        )


def worker_state(contract: Contract, workerinput: dict[str, Any]) -> SuiteState:
    """A worker's state, from what the controller's bridge handed it."""
    state = SuiteState(contract=contract, settings=ClientSettings(**workerinput["settings"]))
    state.target_url, state.api_key = workerinput["target_url"], workerinput["api_key"]
    state.description, state.key_source = workerinput["description"], workerinput["key_source"]
    state.keyless = workerinput["keyless"]
    state.cache_dir = Path(workerinput["cache_dir"])
    state.run_deadline_s, state.run_deadline_at = workerinput["run_deadline_s"], workerinput["run_deadline_at"]
    return state
