"""The plan of requests: every request the contract tests need, computed from the contract alone.

One pure function, `planned_requests`, states the minimum a gate run must send: each page of each
contracted catalog (slug, aliases, the aggregate) at the largest page size, the second small-page walk of a
catalog that fits one page, the past-the-end and other-case pages, the invalid list and search queries, the
status probe, the chat probes and the three preflight probes. Catalog sizes cannot be known in advance, so
the caller passes each catalog's `total` as its first page reports it (`first_pages` lists those pages).

`bench/gate_cost.py` sends exactly this plan as its bare crawl, and `tests/self/test_plan.py` checks that a
gate run against the reference gateway sends these requests and no others. `CatalogStore` (catalog.py)
makes the same requests on demand; it should consume this plan (its paths, walks and probes) rather than
restate it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from gateway_contracts.catalog import (
    CHAT_PATH,
    CHAT_PROBE,
    HEALTH_PATH,
    MODELS_PATH,
    OPENAPI_PATH,
    SEARCH_PATH,
    STATUS_PATH,
    UNKNOWN_MODEL,
    invalid_queries,
    invalid_search_queries,
    probe_gateway,
    retrievable_ids,
    swap_case,
)
from gateway_contracts.contract import OPENAI, Contract
from gateway_contracts.sdk import DEFAULT_PAGES
from gateway_contracts.sdk import chat_body as sdk_chat_body

DEFAULT_CHAT_MODEL = "openai/gpt-4o"  # the unkeyed chat probe's model when the contract lists none


@dataclass(frozen=True)
class PlannedRequest:
    method: str
    path: str
    params: tuple[tuple[str, Any], ...] = ()  # the query, in order
    body: Any = field(default=None, hash=False)  # a JSON body (compared, not hashed: it is a dict)
    authenticated: bool = False

    @property
    def query(self) -> dict[str, Any]:
        return dict(self.params)


def models_page(gateway: str, offset: int, limit: int) -> PlannedRequest:
    return PlannedRequest("GET", MODELS_PATH, (("gateway", gateway), ("limit", limit), ("offset", offset)))


def chat_body(model: str) -> dict[str, Any]:
    return {"model": model, "messages": [{"role": "user", "content": CHAT_PROBE}], "max_tokens": 5}


def catalog_names(contract: Contract) -> list[str]:
    """Every catalog the contracts walk whole: each gateway's slug and aliases, then the aggregate."""
    names = [name for gateway in contract.gateways for name in gateway.names]
    return names + ([contract.aggregate.slug] if contract.aggregate is not None else [])


def first_pages(contract: Contract) -> list[PlannedRequest]:
    """The page each catalog's `total` is read from (part of the plan too)."""
    return [models_page(name, 0, contract.max_limit) for name in catalog_names(contract)]


def walk_pages(gateway: str, total: int | None, limit: int, max_pages: int) -> list[PlannedRequest]:
    """The pages a walk at `limit` requests, following `next_offset` through a catalog of `total` rows."""
    pages = 1 if total is None or total <= 0 else min(math.ceil(total / limit), max_pages)
    return [models_page(gateway, index * limit, limit) for index in range(pages)]


def planned_requests(contract: Contract, totals: Mapping[str, int | None], *, keyed: bool) -> list[PlannedRequest]:
    """The distinct requests a gate run of the contract tests sends, in a stable order.

    `totals`: catalog name -> `total` from its first page (absent or None: the page gave none, and only that
    page is planned). `keyed`: GATEWAY_API_KEY is set, so the keyed chat probes run."""
    if contract.dialect == OPENAI:
        return openai_requests(contract, keyed=keyed)
    limit, max_pages = contract.max_limit, contract.max_pages
    plan = [PlannedRequest("GET", HEALTH_PATH), PlannedRequest("GET", OPENAPI_PATH),
            PlannedRequest("GET", contract.registry.path)]
    for gateway in contract.gateways:
        total = totals.get(gateway.slug)
        for name in gateway.names:
            plan += walk_pages(name, totals.get(name), limit, max_pages)
        if total is not None and 2 <= total <= limit:  # a second walk, in about three pages
            plan += walk_pages(gateway.slug, total, max(1, math.ceil(total / 3)), max_pages)
        if total is not None:
            plan.append(models_page(gateway.slug, total, 1))  # past the end
        plan.append(models_page(swap_case(gateway.slug), 0, 1))
    if contract.aggregate is not None:
        plan += walk_pages(contract.aggregate.slug, totals.get(contract.aggregate.slug), limit, max_pages)
    first = probe_gateway(contract)
    for query in invalid_queries(limit):
        params = tuple((k, first if v == "{gateway}" else v) for k, v in query.params.items())
        plan.append(PlannedRequest("GET", MODELS_PATH, params))
    plan += [PlannedRequest("GET", SEARCH_PATH, tuple(q.params.items())) for q in invalid_search_queries()]
    plan.append(PlannedRequest("GET", STATUS_PATH))
    models = list(contract.chat_models)
    plan.append(PlannedRequest("POST", CHAT_PATH, body=chat_body(models[0] if models else DEFAULT_CHAT_MODEL)))
    if keyed:
        plan += [PlannedRequest("POST", CHAT_PATH, body=chat_body(m), authenticated=True) for m in models]
        page = DEFAULT_PAGES[contract.dialect]
        if page is not None:  # the OpenAI SDK contract compares what a bare GET lists with this page
            plan.append(models_page(str(page["gateway"]), int(page["offset"]), int(page["limit"])))
    return list(dict.fromkeys(plan))  # distinct, first occurrence kept


def openai_requests(contract: Contract, *, keyed: bool) -> list[PlannedRequest]:
    """The openai dialect's plan: the one list (keyed when there is a key: groups are views of it), the
    contracted ids by `GET /v1/models/{id}` and an unknown one when the contract enables it, the unkeyed
    chat probe, and with a key an unknown model's chat and each contracted chat model."""
    plan = [PlannedRequest("GET", MODELS_PATH, authenticated=keyed)]
    if contract.retrieve:
        plan += [PlannedRequest("GET", f"{MODELS_PATH}/{quote(m, safe='')}", authenticated=keyed)
                 for m in [*retrievable_ids(contract), UNKNOWN_MODEL]]
    models = list(contract.chat_models)
    plan.append(PlannedRequest("POST", CHAT_PATH, body=chat_body(models[0] if models else DEFAULT_CHAT_MODEL)))
    if keyed:
        plan.append(PlannedRequest("POST", CHAT_PATH, body=chat_body(UNKNOWN_MODEL), authenticated=True))
        plan += [PlannedRequest("POST", CHAT_PATH, body=chat_body(m), authenticated=True) for m in models]
    return list(dict.fromkeys(plan))


def sdk_requests(contract: Contract, *, keyed: bool) -> list[PlannedRequest]:
    """The OpenAI SDK contract's own requests (tests/contract/test_openai_sdk.py), sent by the SDK outside the
    suite's client: a bare keyed `GET /v1/models` and one chat per contracted chat model."""
    if not keyed:
        return []
    return [PlannedRequest("GET", MODELS_PATH, authenticated=True),
            *(PlannedRequest("POST", CHAT_PATH, body=sdk_chat_body(m), authenticated=True)
              for m in contract.chat_models)]
