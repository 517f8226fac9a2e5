"""Which contract tests the contract's API has: tests are selected at collection (plugin.py's
`pytest_collection_modifyitems`), never skipped.

A contract test names the capabilities it needs, `@pytest.mark.needs("envelope")` (dialects/base.py lists them:
the paginated envelope, aliases, the aggregate, the registry, search, status, the OpenAI model list,
`retrieve`...). It is collected only when the contract's dialect has every one (`dialects.lacks`); otherwise it
is deselected, so a Gatewayz-only contract neither runs against an OpenAI-style target nor shows up as a skip
(a skip would make the sign-off INCOMPLETE). Unmarked tests hold in every dialect.
"""

from __future__ import annotations

from collections.abc import Iterable

import pytest

from gateway_contracts import dialects
from gateway_contracts.contract import Contract

MARKER = "needs"


def needed(markers: Iterable[pytest.Mark]) -> frozenset[str]:
    """The capabilities a test's `needs` markers name (all of them must hold); a name no dialect has is a
    usage error: a typo must not silently deselect a test."""
    names = frozenset(str(arg) for mark in markers for arg in mark.args)
    unknown = dialects.unknown_needs(names)
    if unknown:
        raise pytest.UsageError(f"@pytest.mark.{MARKER} names {', '.join(sorted(unknown))}; known: "
                                f"{', '.join(sorted(dialects.known_capabilities()))}")
    return names


def select(items: list[pytest.Item], config: pytest.Config, contract: Contract) -> None:
    """Deselect (pytest_deselected, not skip) the items needing what the contract's API lacks."""
    keep, drop = [], []
    for item in items:
        (drop if dialects.lacks(contract, needed(item.iter_markers(MARKER))) else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
