"""Shared Hypothesis strategies and builders: valid catalogs, envelopes and pages, as the API serves them.

Everything generated here is *valid*: a catalog has unique ids in the formats real gateways use, and a
page is cut from it with an envelope whose arithmetic holds. Tests corrupt one thing at a time and expect
exactly that corruption to be reported.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st

from gateway_contracts.data.exchange import Exchange
from gateway_contracts.pager import Page

# Property tests: enough examples to hit edges (empty catalogs, offsets at and past the end), fast enough
# for the self-test budget; no example database written into the repository.
FAST = settings(max_examples=50, deadline=None, database=None)

BASE_URL = "http://gateway.test"
JSON = "application/json"

# -- ids --------------------------------------------------------------------------------------------

_lower = "abcdefghijklmnopqrstuvwxyz"
_digits = "0123456789"
_org = st.text(_lower + _digits + "-", min_size=1, max_size=12).filter(lambda s: s[0] != "-")
_model = st.text(_lower + _lower.upper() + _digits + "._-", min_size=1, max_size=24)


@st.composite
def _bare_ids(draw: st.DrawFn) -> str:
    """Cerebras style: `llama3.1-8b`."""
    family = draw(st.text(_lower, min_size=3, max_size=8))
    version = draw(st.text(_digits + ".", min_size=1, max_size=4))
    size = draw(st.integers(1, 405))
    return f"{family}{version}-{size}b"


def org_model_ids() -> st.SearchStrategy[str]:
    """OpenRouter / HuggingFace style: `org/model`."""
    return st.builds(lambda org, model: f"{org}/{model}", _org, _model)


def deepinfra_ids() -> st.SearchStrategy[str]:
    """`@deepinfra/org/model` (matches the default contract's deepinfra id_pattern)."""
    return st.builds(lambda org, model: f"@deepinfra/{org}/{model}", _org, _model)


def fireworks_ids() -> st.SearchStrategy[str]:
    """`accounts/fireworks/models/x` (matches the default contract's fireworks id_pattern)."""
    return st.builds(lambda account, model: f"accounts/{account}/models/{model}", _org, _model)


def groq_ids() -> st.SearchStrategy[str]:
    """`groq/org/model`; the org is never `groq` itself (that would be a repeated prefix, R26)."""
    return st.builds(lambda org, model: f"groq/{org}/{model}", _org.filter(lambda o: o != "groq"), _model)


def model_ids() -> st.SearchStrategy[str]:
    """Any realistic id format."""
    return st.one_of(org_model_ids(), deepinfra_ids(), fireworks_ids(), groq_ids(), _bare_ids())


# -- rows and catalogs ------------------------------------------------------------------------------

# Display names: words, digits, dots, dashes and colons; never brackets (those would look like a repr).
names = st.text(_lower + _lower.upper() + _digits + " .-:", min_size=1, max_size=30)
decimal_prices = st.sampled_from(["0", "0.0000005", "0.000015", "1e-7", "2.5E-6", "12"]) | st.builds(
    lambda units, exponent: f"{units / 10**exponent:.{exponent}f}", st.integers(0, 10**6), st.integers(0, 12)
)
pricing = st.none() | st.fixed_dictionaries(
    {"prompt": decimal_prices | st.none(), "completion": decimal_prices},
    optional={"request": decimal_prices},
)
context_lengths = st.none() | st.integers(0, 2_000_000)


def rows(source_gateway: str, ids: st.SearchStrategy[str] | None = None) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {
            "id": ids if ids is not None else model_ids(),
            "name": names,
            "source_gateway": st.just(source_gateway),
            "context_length": context_lengths,
            "pricing": pricing,
        },
        optional={"description": st.none() | st.just("A model.")},
    )


def catalogs(
    source_gateway: str = "deepinfra",
    *,
    ids: st.SearchStrategy[str] | None = None,
    min_size: int = 0,
    max_size: int = 20,
) -> st.SearchStrategy[list[dict[str, Any]]]:
    """A valid single-gateway catalog: unique ids, every row attributed to `source_gateway`."""
    return st.lists(rows(source_gateway, ids), min_size=min_size, max_size=max_size, unique_by=lambda r: r["id"])


def thin_catalogs(
    source_gateway: str = "deepinfra", *, min_size: int = 0, max_size: int = 20, id_space: int = 10_000
) -> st.SearchStrategy[list[dict[str, Any]]]:
    """A cheap valid catalog (ids `org-N/model-M`) for tests where only the paging arithmetic matters."""
    return st.lists(st.integers(0, id_space), min_size=min_size, max_size=max_size, unique=True).map(
        lambda numbers: [
            {"id": f"org-{n % 7}/model-{n}", "name": f"Model {n}", "source_gateway": source_gateway,
             "context_length": None, "pricing": None}
            for n in numbers
        ]
    )


GATEWAYS = ("openrouter", "deepinfra", "fireworks", "groq", "cerebras", "huggingface")


@st.composite
def aggregates(draw: st.DrawFn, *, max_per_gateway: int = 12) -> dict[str, list[dict[str, Any]]]:
    """Per-gateway catalogs drawn from one small id space, so the same id often comes from several
    gateways (R28: overlap is normal)."""
    chosen = draw(st.lists(st.sampled_from(GATEWAYS), min_size=2, max_size=4, unique=True))
    return {g: draw(thin_catalogs(g, max_size=max_per_gateway, id_space=30)) for g in chosen}


def concat(per_gateway: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """`gateway=all`: every gateway's catalog, one after the other."""
    return [row for catalog in per_gateway.values() for row in catalog]


# -- envelopes and pages ----------------------------------------------------------------------------


def envelope(catalog: Sequence[Any], offset: int, limit: int, gateway: str | None = "deepinfra") -> dict[str, Any]:
    """The `/v1/models` page the API must serve for (offset, limit) over `catalog`.

    Stated over the rows' positions, not with the checker's arithmetic: the page shows the positions the
    window covers; `has_more` says some position lies after the window, and `next_offset` is the first one.
    """
    if offset < 0 or limit < 1:
        raise ValueError(f"a healthy API rejects offset={offset} limit={limit}; build such pages by hand")
    positions = range(len(catalog))
    shown = positions[offset : offset + limit]
    unseen = positions[offset + limit :]
    data = [catalog[i] for i in shown]
    return {
        "object": "list",
        "data": data,
        "total": len(catalog),
        "returned": len(data),
        "offset": offset,
        "limit": limit,
        "has_more": len(unseen) > 0,
        "next_offset": unseen[0] if unseen else None,
        "gateway": gateway,
        "note": "reference",
        "timestamp": "2026-08-01T00:00:00Z",
    }


@st.composite
def windows(draw: st.DrawFn, size: int) -> tuple[int, int]:
    """(offset, limit) for a catalog of `size` rows: inside it, at its end, or past it."""
    offset = draw(st.integers(0, size + 3))
    limit = draw(st.integers(1, max(1, size + 3)))
    return offset, limit


@dataclass(frozen=True)
class Paged:
    catalog: list[dict[str, Any]]
    offset: int
    limit: int
    gateway: str

    @property
    def body(self) -> dict[str, Any]:
        return envelope(self.catalog, self.offset, self.limit, self.gateway)


@st.composite
def paged(
    draw: st.DrawFn, *, min_size: int = 0, max_size: int = 20, gateway: str = "deepinfra", thin: bool = False
) -> Paged:
    """A valid page: a catalog and an (offset, limit) window on it; `thin` rows when content does not matter."""
    make = thin_catalogs if thin else catalogs
    catalog = draw(make(gateway, min_size=min_size, max_size=max_size))
    offset, limit = draw(windows(len(catalog)))
    return Paged(catalog, offset, limit, gateway)


def url(offset: int, limit: int, gateway: str = "deepinfra") -> str:
    return f"{BASE_URL}/v1/models?gateway={gateway}&limit={limit}&offset={offset}"


def exchange(body: Any, *, status: int = 200, content_type: str = JSON, request_url: str | None = None) -> Exchange:
    text = body if isinstance(body, str) else json.dumps(body)
    return Exchange("GET", request_url or f"{BASE_URL}/v1/models", status, content_type, text=text)


def page(body: Any, offset: int, limit: int, *, status: int = 200, gateway: str = "deepinfra") -> Page:
    recorded = exchange(body, status=status, request_url=url(offset, limit, gateway))
    return Page(offset=offset, limit=limit, exchange=recorded)


def catalog_fetch(
    catalog: Sequence[Any],
    gateway: str = "deepinfra",
    *,
    calls: list[tuple[int, int]] | None = None,
    mutate: Callable[[dict[str, Any], int, int], dict[str, Any]] | None = None,
) -> Callable[[int, int], Exchange]:
    """A `fetch(offset, limit)` serving `catalog` like a healthy API; `mutate` corrupts each envelope."""

    def fetch(offset: int, limit: int) -> Exchange:
        if calls is not None:
            calls.append((offset, limit))
        body = envelope(catalog, offset, limit, gateway)
        if mutate is not None:
            body = mutate(body, offset, limit)
        return exchange(body, request_url=url(offset, limit, gateway))

    return fetch


def walk_pages(catalog: Sequence[Any], limit: int, gateway: str = "deepinfra") -> list[Page]:
    """Every page of a clean walk (at least one, even for an empty catalog)."""
    pages, offset = [], 0
    while True:
        body = envelope(catalog, offset, limit, gateway)
        pages.append(page(body, offset, limit, gateway=gateway))
        if not body["has_more"]:
            return pages
        offset = body["next_offset"]
