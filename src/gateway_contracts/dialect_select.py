"""Which contract tests a contract's dialect has: tests are selected at collection, never skipped.

A contract test marked `@pytest.mark.dialect("gatewayz")` (or `"openai"`, or a capability such as
`"retrieve"`) is collected only when the contract has every capability it names; otherwise it is
deselected, so a Gatewayz-only contract (pagination, aliases, the envelope, the registry, search, status)
neither runs against an OpenAI-style target nor shows up as a skip (a skip would make the sign-off
INCOMPLETE). Unmarked tests hold in every dialect.
"""

from __future__ import annotations

from collections.abc import Iterable

import pytest

from gateway_contracts.contract import GATEWAYZ, OPENAI, Contract

MARKER = "dialect"
# Every name a `dialect` marker may use: a typo must not silently deselect a test.
KNOWN = frozenset({GATEWAYZ, OPENAI, "retrieve"})


def capabilities(contract: Contract) -> frozenset[str]:
    """What the contract's API has: its dialect, and `retrieve` when an openai contract enables
    `GET /v1/models/{id}`."""
    return frozenset({contract.dialect} | ({"retrieve"} if contract.retrieve else set()))


def needed(markers: Iterable[pytest.Mark]) -> frozenset[str]:
    """The capabilities a test's `dialect` markers name (all of them must hold)."""
    names = frozenset(str(arg) for mark in markers for arg in mark.args)
    unknown = names - KNOWN
    if unknown:
        raise pytest.UsageError(f"@pytest.mark.dialect names {', '.join(sorted(unknown))}; known: "
                                f"{', '.join(sorted(KNOWN))}")
    return names


def select(items: list[pytest.Item], config: pytest.Config, contract: Contract) -> None:
    """Deselect (pytest_deselected, not skip) the items whose dialect markers the contract lacks."""
    have = capabilities(contract)
    keep, drop = [], []
    for item in items:
        (keep if needed(item.iter_markers(MARKER)) <= have else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    from gateway_contracts.plugin import STATE  # the main plugin loads this module: import late

    state = config.stash.get(STATE, None)
    if state is not None:
        select(items, config, state.contract)
