"""The evidence the contracts read: catalogs walked once, plus the probes, all through one client.

Tests never fetch on their own: they ask this store, which fetches each page once through the
session client (cached across xdist workers) and derives walks from those pages. The requests it makes
are exactly the minimum the contracts need: `gateway_contracts.plan.planned_requests` lists them (the
request-economy bench sends that plan, and tests/self/test_plan.py checks a gate run sends exactly it). The
store restates the plan on demand; it should consume `plan.py` instead.

The openai dialect has one list and no pagination: `model_list()` is that one `GET /v1/models` (keyed: the
OpenAI API and LiteLLM want the key there too), fetched once and shared, and `walk(name)` of a group (or of
the whole list, the aggregate's slug) is a filtered view of it, shaped as a one-page `Walk` so that every
reader of walks (baselines, reports) works for both dialects. `catalog_ids(name)` is the dialect-neutral way
to the ids of a gateway, a group or the whole list.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from gateway_contracts.contract import OPENAI, WHOLE_LIST, Contract, Gateway, GroupSelect
from gateway_contracts.data.exchange import Exchange
from gateway_contracts.data.findings import Finding
from gateway_contracts.data.pages import Page
from gateway_contracts.invariants.openai_models import GroupRule, list_rows
from gateway_contracts.net.client import GatewayClient
from gateway_contracts.pager import Walk, walk

MODELS_PATH = "/v1/models"
CHAT_PATH = "/v1/chat/completions"
OPENAPI_PATH = "/openapi.json"
HEALTH_PATH = "/health"
SEARCH_PATH = "/v1/models/search"
STATUS_PATH = "/v1/gateways/status"
SEARCH_MAX_LIMIT = 100  # the API's documented bound for search pages (limit 1..100)
CONSUMER_PATHS = (MODELS_PATH, CHAT_PATH)  # routes the frontend calls; must be in the spec and answer
CHAT_PROBE = "Reply with the word ok."
UNKNOWN_MODEL = "no-such-model-zz"  # a model id no gateway serves: chat and retrieve must answer a JSON 4xx


@dataclass(frozen=True)
class ListView(Walk):
    """A group (or the whole list) of the openai dialect: the rows its rule selects from the one list,
    presented as a walk of that one page (so `ids`, `first`, `pages` and baselines work unchanged)."""

    selected: tuple[Any, ...] = ()

    @property
    def rows(self) -> list[Any]:
        return list(self.selected)


def group_rule(select: GroupSelect) -> GroupRule:
    """The matcher of a group's rule as the contract file writes it."""
    if select.kind == "list":
        return GroupRule("list", ids=select.values)
    if select.kind == "owned_by":
        return GroupRule("owned_by", owned_by=select.values[0])
    return GroupRule("prefix", prefix=select.values[0])


def retrievable_ids(contract: Contract) -> list[str]:
    """The ids `GET /v1/models/{id}` is checked for: every contracted id (required in a group or the whole
    list, or a chat model) without a `/` (LiteLLM's route does not take one; encoded or not it 404s)."""
    ids = [m for g in (*contract.gateways, *contract.unselected) for m in g.required_models]
    ids += list(contract.aggregate.required_models if contract.aggregate else ()) + list(contract.chat_models)
    return [m for m in dict.fromkeys(ids) if "/" not in m]


@dataclass(frozen=True)
class InvalidQuery:
    """A request the API must reject with a JSON 4xx."""

    id: str
    why: str
    params: dict[str, Any]


def probe_gateway(contract: Contract) -> str:
    """The gateway value of probes that need one valid value (invalid input, the route check, preflight): the
    first selected gateway, else the aggregate (a `GATEWAYS=all` shard), else the first contracted one."""
    names = [g.slug for g in contract.gateways] + ([contract.aggregate.slug] if contract.aggregate else [])
    return (names or [g.slug for g in contract.unselected])[0]


def invalid_queries(max_limit: int) -> tuple[InvalidQuery, ...]:
    return (
        InvalidQuery("unknown-gateway", "an unknown gateway", {"gateway": "no-such-gateway-zz", "limit": 5}),
        InvalidQuery("empty-gateway", "an empty gateway value", {"gateway": "", "limit": 5}),
        InvalidQuery("negative-offset", "a negative offset", {"gateway": "{gateway}", "offset": -5, "limit": 5}),
        InvalidQuery("limit-zero", "limit=0", {"gateway": "{gateway}", "limit": 0}),
        InvalidQuery("limit-over-max", f"limit={max_limit + 1}", {"gateway": "{gateway}", "limit": max_limit + 1}),
        InvalidQuery("limit-not-integer", "a non-integer limit", {"gateway": "{gateway}", "limit": "ten"}),
        InvalidQuery("offset-not-integer", "a non-integer offset", {"gateway": "{gateway}", "offset": "1.5"}),
    )


def invalid_search_queries() -> tuple[InvalidQuery, ...]:
    """Search requests the API must reject with a JSON 4xx (B8: an unknown gateway answered 500)."""
    return (
        InvalidQuery("unknown-gateway", "search with an unknown gateway",
                     {"q": "gpt", "gateway": "no-such-gateway-zz"}),
        InvalidQuery("limit-zero", "search with limit=0", {"q": "gpt", "limit": 0}),
        InvalidQuery("limit-over-max", f"search with limit={SEARCH_MAX_LIMIT + 1}",
                     {"q": "gpt", "limit": SEARCH_MAX_LIMIT + 1}),
        InvalidQuery("negative-offset", "search with a negative offset", {"q": "gpt", "offset": -5}),
    )


class CatalogStore:
    def __init__(self, client: GatewayClient, contract: Contract) -> None:
        self.client = client
        self.contract = contract
        self._walks: dict[tuple[str, int], Walk] = {}
        # Pages of walks served from `_walks` since the plugin last cleared this (the client records the rest).
        self.reread: list[Exchange] = []

    # -- catalogs ---------------------------------------------------------------------------------

    def page(self, gateway: str, offset: int, limit: int) -> Exchange:
        return self.client.get(MODELS_PATH, {"gateway": gateway, "limit": limit, "offset": offset})

    def model_list(self) -> Exchange:
        """The openai dialect's one `GET /v1/models`, keyed when the run has a key (fetched once per run)."""
        return self.client.request("GET", MODELS_PATH, authenticated=bool(self.client.has_key))

    def retrieve(self, model_id: str) -> Exchange:
        """`GET /v1/models/{id}` (openai dialect, contract `models.retrieve`)."""
        return self.client.request("GET", f"{MODELS_PATH}/{quote(model_id, safe='')}",
                                   authenticated=bool(self.client.has_key))

    def catalog_ids(self, name: str) -> list[Any]:
        """The ids of a gateway (slug or alias), a group, or the whole list (the aggregate's slug), in order and
        with duplicates kept, for either dialect."""
        return self.walk(name).ids

    def _view(self, name: str) -> ListView:
        exchange = self.model_list()
        page = Page(0, 0, exchange)
        rows = list_rows(exchange.json) if page.usable else []
        if name != WHOLE_LIST:
            rule = group_rule(self.contract.rule(name))
            rows = [row for row in rows if rule.matches(row)]
        findings = () if page.usable else (
            Finding("openai-list", "the model list did not answer a 200 JSON object with a 'data' list",
                    exchange.describe()),)
        return ListView(limit=0, pages=(page,), findings=findings, selected=tuple(rows))

    def walk(self, gateway: str, limit: int | None = None) -> Walk:
        """The whole catalog of `gateway` (slug, alias or aggregate), at the maximum page size by default.
        openai dialect: the group's (or the whole list's) view of the one list."""
        if self.contract.dialect == OPENAI:
            return self._view(gateway)  # the client's memory cache records the re-read for FLAKY
        limit = limit or self.contract.max_limit
        key = (gateway, limit)
        if key in self._walks:
            # Read again: its pages are this test's evidence too (a retried page makes this test FLAKY as well).
            self.reread.extend(page.exchange for page in self._walks[key].pages)
        else:
            self._walks[key] = walk(
                lambda offset, lim: self.page(gateway, offset, lim), limit=limit, max_pages=self.contract.max_pages
            )
        return self._walks[key]

    def small_walk(self, gateway: str) -> Walk | None:
        """A second walk in about three pages, for catalogs that fit one maximum page (else the main walk
        already spans several pages). None when there is nothing to page through."""
        total = self.walk(gateway).total
        if total is None or total < 2 or total > self.contract.max_limit:
            return None
        return self.walk(gateway, limit=max(1, math.ceil(total / 3)))

    def past_end(self, gateway: str) -> tuple[int, Exchange] | None:
        total = self.walk(gateway).total
        if total is None:
            return None
        return total, self.page(gateway, total, 1)

    def case_variant(self, gateway: Gateway) -> Exchange:
        """The slug in another case must select the same gateway."""
        return self.page(swap_case(gateway.slug), 0, 1)

    def exchanges_of(self, gateway: Gateway) -> list[Exchange]:
        """Every catalog request recorded for a gateway (for its latency budget)."""
        walks = [self.walk(name) for name in gateway.names]
        small = self.small_walk(gateway.slug)
        exchanges = [page.exchange for w in [*walks, *([small] if small else [])] for page in w.pages]
        past = self.past_end(gateway.slug)
        return exchanges + ([past[1]] if past else []) + [self.case_variant(gateway)]

    # -- probes -----------------------------------------------------------------------------------

    def invalid(self, query: InvalidQuery) -> Exchange:
        valid = probe_gateway(self.contract)
        params = {k: (valid if v == "{gateway}" else v) for k, v in query.params.items()}
        return self.client.get(MODELS_PATH, params)

    def openapi(self) -> Exchange:
        return self.client.get(OPENAPI_PATH)

    def health(self) -> Exchange:
        return self.client.get(HEALTH_PATH)

    def invalid_search(self, query: InvalidQuery) -> Exchange:
        return self.client.get(SEARCH_PATH, query.params)

    def gateway_status(self) -> Exchange:
        return self.client.get(STATUS_PATH)

    def catalog_totals(self) -> dict[str, int | None]:
        """Each contracted gateway's `total` from its catalog walk (the one the other contracts read)."""
        return {gateway.slug: self.walk(gateway.slug).total for gateway in self.contract.gateways}

    def registry(self) -> Exchange:
        return self.client.get(self.contract.registry.path)

    def chat(self, model: str, *, authenticated: bool) -> Exchange:
        body = {"model": model, "messages": [{"role": "user", "content": CHAT_PROBE}], "max_tokens": 5}
        return self.client.post_json(CHAT_PATH, body, authenticated=authenticated)

    def chat_unknown_model(self) -> Exchange:
        return self.chat(UNKNOWN_MODEL, authenticated=True)

    def chat_without_key(self) -> Exchange:
        model = self.contract.chat_models[0] if self.contract.chat_models else "openai/gpt-4o"
        return self.chat(model, authenticated=False)


def swap_case(slug: str) -> str:
    swapped = slug.upper()
    return swapped if swapped != slug else slug.lower()
