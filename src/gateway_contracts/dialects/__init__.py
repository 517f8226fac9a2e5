"""The registry of API dialects: one object per dialect (`gatewayz.py`, `openai.py`, a `base.Dialect` each).

`contract.py` reads a file's `dialect:` here (absent: `DEFAULT`); everything else asks the contract's dialect
object, `of(contract)`, or what its API has, `capabilities(contract)`, and never compares a dialect's name
(tests/self/project/test_dialect_seam.py). Adding a dialect: a module beside these two, and its instance in `REGISTERED`
(docs/recipes.md, "Add a dialect").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from gateway_contracts import plan
from gateway_contracts.contract_model import Contract
from gateway_contracts.dialects.anthropic import Anthropic
from gateway_contracts.dialects.base import (
    AGGREGATE,
    ALIASES,
    CATALOG_ROWS,
    DEVELOPER_ROUTE,
    ENVELOPE,
    MODEL_LIST,
    MODEL_OBJECT,
    NOT_PRICED,
    REGISTRY,
    RETRIEVE,
    SEARCH,
    SPEC_ROUTE,
    STATUS,
    Dialect,
    distinct,
)
from gateway_contracts.dialects.gatewayz import Gatewayz
from gateway_contracts.dialects.openai import OpenAI
from gateway_contracts.plan import PlannedRequest

__all__ = [
    "AGGREGATE", "ALIASES", "CATALOG_ROWS", "DEFAULT", "DEVELOPER_ROUTE", "ENVELOPE", "GATEWAYZ", "MODEL_LIST",
    "MODEL_OBJECT", "NOT_PRICED", "OPENAI", "REGISTERED", "REGISTRY", "RETRIEVE", "SEARCH", "SPEC_ROUTE", "STATUS",
    "Dialect", "capabilities", "known_capabilities", "lacks", "named", "names", "of", "planned_requests",
    "unknown_needs",
]

GATEWAYZ = Gatewayz()
OPENAI = OpenAI()
REGISTERED: tuple[Dialect, ...] = (GATEWAYZ, OPENAI, Anthropic())  # in this order in errors, `init --dialect`
DEFAULT = GATEWAYZ  # a contract file without `dialect:`
_BY_NAME = {dialect.name: dialect for dialect in REGISTERED}


def names() -> tuple[str, ...]:
    return tuple(_BY_NAME)


def named(name: str) -> Dialect | None:
    return _BY_NAME.get(name)


def of(contract: Contract) -> Dialect:
    """The contract's dialect object (a contract is only ever made by a registered dialect's `load`)."""
    return _BY_NAME[contract.dialect]


def capabilities(contract: Contract) -> frozenset[str]:
    """What the contract's API has (base.py lists the capabilities)."""
    return of(contract).capabilities(contract)


def known_capabilities() -> frozenset[str]:
    """Every capability some dialect may have: what a test may say it needs (a typo must not deselect it)."""
    return frozenset().union(*(d.always | d.optional for d in REGISTERED))


def unknown_needs(needs: Iterable[str]) -> frozenset[str]:
    return frozenset(needs) - known_capabilities()


def lacks(contract: Contract, needs: Iterable[str]) -> frozenset[str]:
    """What of `needs` the contract's API does not have (empty: a test needing them applies)."""
    return frozenset(needs) - capabilities(contract)


def planned_requests(contract: Contract, totals: Mapping[str, int | None], *, keyed: bool,
                     listed: Mapping[str, Sequence[Any]] | None = None, day: date | None = None,
                     nightly: bool = False) -> list[PlannedRequest]:
    """The distinct requests a gate run of the contract tests sends (the dialect's plan; plan.py's builders).

    `totals`: catalog name -> `total` from its first page (absent or None: the page gave none, and only that
    page is planned). `keyed`: GATEWAY_API_KEY is set, so the keyed chat probes run. The callable probe (a
    sample of each gateway's listed models, keyed) is planned in a nightly or sign-off run (`nightly`), and in the
    gate when the contract's `callable.gate` asks; it needs what each gateway lists (`listed`: slug -> ids, as
    the walks read them, rows or ids) and the sample's date (`day`); an API without chat completions has none."""
    requests = of(contract).planned_requests(contract, totals, keyed=keyed)
    probing = (nightly or contract.callable_probe.gate) and of(contract).chats(contract)
    if keyed and probing and listed is not None and day is not None:
        requests += plan.probe_requests(contract, listed, day)
    return distinct(requests)
