"""The run's state, kept in the pytest stash: what every part of the pytest side reads.

The bottom of the pytest side: the report and fuzz plugins import `STATE` from here (not from the entry
point, which loads them), so no plugin module imports another.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from gateway_contracts.contract import Contract
from gateway_contracts.net.client import ClientSettings, GatewayClient
from gateway_contracts.net.redaction import Redactor
from gateway_contracts.production import Production
from gateway_contracts.store import CatalogStore

API_KEY_ENV = "GATEWAY_API_KEY"  # the key is read from the environment only, never from an option
COMPARE_KEY_ENV = "COMPARE_API_KEY"  # production's key (differential gate); GATEWAY_API_KEY when unset
KEYLESS_ENV = "KEYLESS"
# The skip reason of every keyed check in a keyless run, and the summary's line: a choice, said as one.
KEYLESS_REASON = ("keyed checks skipped by choice: KEYLESS=1 (--keyless) says the target has no chat to check; "
                  "unset it and set GATEWAY_API_KEY to run them")


@dataclass
class SuiteState:
    contract: Contract
    settings: ClientSettings
    target_url: str | None = None
    api_key: str | None = field(default=None, repr=False)
    key_source: str = "none"  # "environment", "provisioned" (embedded gateway), "keyless" (opted out), "none"
    keyless: bool = False  # KEYLESS / --keyless: keyed checks skip, by choice
    description: str = ""
    cache_dir: Path | None = None
    owns_cache: bool = False
    embedded: Any = None  # EmbeddedGateway when this process started it
    client: GatewayClient | None = field(default=None, repr=False)
    store: CatalogStore | None = None
    flaky_tests: dict[str, list[str]] = field(default_factory=dict)  # passed tests -> their retried requests
    run_deadline_s: float | None = None  # RUN_DEADLINE, seconds
    run_deadline_at: float | None = None  # when it passes (wall clock: the same instant in every worker)
    # The run's one line when it ended early (run_deadline.py) or its target failed (target_health.py).
    verdict: str | None = None
    # The differential gate (COMPARE_URL): production's URL, its key, its two recorded reads (production.py).
    compare_url: str | None = None
    compare_key: str | None = field(default=None, repr=False)
    production: Production | None = field(default=None, repr=False)

    @property
    def redact(self) -> Redactor:
        return Redactor(self.api_key, self.compare_key)


STATE = pytest.StashKey[SuiteState]()


def is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def is_xdist_controller(config: pytest.Config) -> bool:
    return not is_worker(config) and bool(getattr(config.option, "numprocesses", None))
