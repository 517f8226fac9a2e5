"""Facts for the report's sections, published by tests and fixtures, gathered on the controller.

A test (or a fixture of any scope) calls `report_fact(section, key, value)`, or `publish(config, ...)` where it
holds the config: the value (JSON: dicts, lists, strings, numbers, booleans, None) is kept under the
section's name and the key (a gateway's slug, say); publishing a key again replaces it. Under xdist each
worker sends what it gathered to the controller when it finishes (`workeroutput`, as pytest-cov does), so the
run record written at session end holds every worker's facts; a worker that crashes takes its facts with it
(its tests are reported as crashed anyway). Publish from a test or a fixture's setup: a session fixture's
teardown runs after the facts are gathered. Facts never go into JUnit: the run record is their home.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

FACTS = pytest.StashKey[dict[str, dict[str, Any]]]()
WORKER_OUTPUT = "gateway_contracts_report_facts"


def _facts(config: pytest.Config) -> dict[str, dict[str, Any]]:
    if FACTS not in config.stash:
        config.stash[FACTS] = {}
    return config.stash[FACTS]


def publish(config: pytest.Config, section: str, key: str, value: Any) -> None:
    """Keep `value` as this run's fact `key` of `section`; a value JSON cannot carry is refused at once, naming it."""
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"report fact {section}/{key}: not JSON ({exc})") from None
    _facts(config).setdefault(section, {})[str(key)] = value


def published(config: pytest.Config) -> dict[str, dict[str, Any]]:
    """Every section's facts of this run, section -> key -> value (on the controller: every worker's too)."""
    return {section: dict(facts) for section, facts in _facts(config).items()}


def merge(into: dict[str, dict[str, Any]], facts: Any) -> None:
    """Another process's facts added to ours (a worker's, read from its output); anything malformed is ignored."""
    if not isinstance(facts, dict):
        return
    for section, values in facts.items():
        if isinstance(values, dict):
            into.setdefault(str(section), {}).update(values)


@pytest.fixture
def report_fact(pytestconfig: pytest.Config) -> Callable[[str, str, Any], None]:
    """`report_fact(section, key, value)`: a fact for the sign-off report's section `section` (see the module)."""
    return lambda section, key, value: publish(pytestconfig, section, key, value)


def pytest_sessionfinish(session: pytest.Session) -> None:
    # On a worker: hand the facts to xdist, which sends them with "workerfinished" (this hook runs inside its own).
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput[WORKER_OUTPUT] = published(session.config)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    # On the controller, once per worker, before its own session end.
    merge(_facts(node.config), getattr(node, "workeroutput", {}).get(WORKER_OUTPUT))
