"""The plan of requests: every request the contract tests need, computed from the contract alone.

Pure (no network client): the request definitions (paths, probes, invalid queries, page and chat-body
builders) live here, and `CatalogStore` (store.py) makes its requests through them. One function,
`planned_requests` of the contract's dialect (`gateway_contracts.dialects`), composed of these builders,
states the minimum a gate run must send. Catalog sizes cannot be known in advance, so the caller passes each
catalog's `total` as its first page reports it (`first_pages` lists those pages).

`bench/gate_cost.py` sends exactly this plan as its bare crawl, and `tests/self/unit/test_plan.py` checks that a
gate run against the reference gateway sends these requests and no others.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any
from urllib.parse import quote

from gateway_contracts.chat_sample import daily_sample, days_to_cover
from gateway_contracts.contract_model import Contract, Gateway

MODELS_PATH = "/v1/models"
CHAT_PATH = "/v1/chat/completions"
OPENAPI_PATH = "/openapi.json"
HEALTH_PATH = "/health"
SEARCH_PATH = "/v1/models/search"
STATUS_PATH = "/v1/gateways/status"
SEARCH_MAX_LIMIT = 100  # the API's documented bound for search pages (limit 1..100)
CONSUMER_PATHS = (MODELS_PATH, CHAT_PATH)  # routes the frontend calls; must be in the spec and answer
CHAT_PROBE = "Reply with the word ok."
DEFAULT_CHAT_MODEL = "openai/gpt-4o"  # the unkeyed chat probe's model when the contract lists none
UNKNOWN_MODEL = "no-such-model-zz"  # a model id no gateway serves: chat and retrieve must answer a JSON 4xx
SDK_PROMPT = "Say hi"
PROBE_PROMPT = "Hi"  # the callable probe's one short message


@dataclass(frozen=True)
class PlannedRequest:
    method: str
    path: str
    params: tuple[tuple[str, Any], ...] = ()  # the query, in order
    body: Any = field(default=None, hash=False)  # a JSON body (compared, not hashed: it is a dict)
    authenticated: bool = False
    read: int = 0  # > 0: the same request sent again on purpose (its nth re-read)

    @property
    def query(self) -> dict[str, Any]:
        return dict(self.params)


def models_page(gateway: str, offset: int, limit: int) -> PlannedRequest:
    return PlannedRequest("GET", MODELS_PATH, (("gateway", gateway), ("limit", limit), ("offset", offset)))


def chat_body(model: str) -> dict[str, Any]:
    return {"model": model, "messages": [{"role": "user", "content": CHAT_PROBE}], "max_tokens": 5}


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


def swap_case(slug: str) -> str:
    swapped = slug.upper()
    return swapped if swapped != slug else slug.lower()


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


def model_list_request(*, keyed: bool) -> PlannedRequest:
    """The one `GET /v1/models` of a dialect without pagination, with the key when the run has one (the OpenAI
    API and LiteLLM want it there; Gatewayz's list is public)."""
    return PlannedRequest("GET", MODELS_PATH, authenticated=keyed)


def retrieve_request(model_id: str, *, keyed: bool) -> PlannedRequest:
    """`GET /v1/models/{id}`, the id one path segment."""
    return PlannedRequest("GET", f"{MODELS_PATH}/{quote(model_id, safe='')}", authenticated=keyed)


def retrievable_ids(contract: Contract) -> list[str]:
    """The ids `GET /v1/models/{id}` is checked for: every contracted id (required in a group or the whole
    list, or a chat model) without a `/` (LiteLLM's route does not take one; encoded or not it 404s)."""
    ids = [m for g in (*contract.gateways, *contract.unselected) for m in g.required_models]
    ids += list(contract.aggregate.required_models if contract.aggregate else ()) + list(contract.chat_models)
    return [m for m in dict.fromkeys(ids) if "/" not in m]


def small_walk_limit(total: int | None, max_limit: int) -> int | None:
    """The page size of the second walk, in about three pages, of a catalog that fits one maximum page (else
    the main walk already spans several pages); None when there is nothing to page through."""
    if total is None or total < 2 or total > max_limit:
        return None
    return max(1, math.ceil(total / 3))


def past_end_page(gateway: str, total: int) -> PlannedRequest:
    return models_page(gateway, total, 1)


def repeat_first_page(slug: str, limit: int) -> PlannedRequest:
    """The first page of a walk, asked a second time: the same request must list the same page (an order that
    changes between reads makes paging skip and repeat rows)."""
    return replace(models_page(slug, 0, limit), read=1)


def unique_page(slug: str, limit: int) -> PlannedRequest:
    """The aggregate's first page in unique mode (`unique_models=true`): one row per model id."""
    return PlannedRequest("GET", MODELS_PATH, (("gateway", slug), ("limit", limit), ("offset", 0),
                                               ("unique_models", "true")))


def case_variant_page(slug: str) -> PlannedRequest:
    """The slug in another case must select the same gateway."""
    return models_page(swap_case(slug), 0, 1)


def invalid_request(query: InvalidQuery, contract: Contract) -> PlannedRequest:
    """An invalid list query, its `{gateway}` placeholder filled with the probe gateway."""
    valid = probe_gateway(contract)
    return PlannedRequest("GET", MODELS_PATH, tuple((k, valid if v == "{gateway}" else v)
                                                    for k, v in query.params.items()))


def invalid_search_request(query: InvalidQuery) -> PlannedRequest:
    return PlannedRequest("GET", SEARCH_PATH, tuple(query.params.items()))


def sdk_chat_body(model: str) -> dict[str, Any]:
    """What the OpenAI SDK contract's `chat.completions.create` sends (gateway_contracts.sdk)."""
    return {"model": model, "messages": [{"role": "user", "content": SDK_PROMPT}], "max_tokens": 16}


def chat_request(model: str, *, authenticated: bool) -> PlannedRequest:
    return PlannedRequest("POST", CHAT_PATH, body=chat_body(model), authenticated=authenticated)


def unkeyed_chat_model(contract: Contract) -> str:
    """The model of the chat probe sent without a key (it must be refused whatever the model)."""
    return contract.chat_models[0] if contract.chat_models else DEFAULT_CHAT_MODEL


def sdk_requests(contract: Contract, *, keyed: bool) -> list[PlannedRequest]:
    """The OpenAI SDK contract's own requests (tests/contract/test_openai_sdk.py), sent by the SDK outside the
    suite's client: a bare keyed `GET /v1/models` and one chat per contracted chat model."""
    if not keyed:
        return []
    return [PlannedRequest("GET", MODELS_PATH, authenticated=True),
            *(PlannedRequest("POST", CHAT_PATH, body=sdk_chat_body(m), authenticated=True)
              for m in contract.chat_models)]


# -- the callable probe (nightly and sign-off; the gate when the contract's `callable.gate` asks) ----------------


def probe_chat_body(model: str) -> dict[str, Any]:
    """The smallest chat request the API accepts: one short message, one token."""
    return {"model": model, "messages": [{"role": "user", "content": PROBE_PROMPT}], "max_tokens": 1}


def probe_request(model: str) -> PlannedRequest:
    return PlannedRequest("POST", CHAT_PATH, body=probe_chat_body(model), authenticated=True)


def probe_sample(contract: Contract, gateway: Gateway, listed: Sequence[Any], day: date) -> tuple[str, ...]:
    """The models the probe calls for `gateway` on `day` (chat_sample.py), within the contract's budget."""
    return daily_sample(gateway.slug, listed, gateway.required_models, contract.callable_probe.budget, day)


def probe_cover_days(contract: Contract, gateway: Gateway, listed: Sequence[Any]) -> int | None:
    """After how many consecutive nights the probe has called every model `gateway` lists for chat (None: never,
    the required models fill the budget)."""
    return days_to_cover(listed, gateway.required_models, contract.callable_probe.budget)


def probe_requests(contract: Contract, listed: Mapping[str, Sequence[Any]], day: date) -> list[PlannedRequest]:
    """The probe's chat requests for every selected gateway (`listed`: slug -> the rows, or ids, its catalog
    lists); a model two gateways both sample is one request (the client sends each distinct request once)."""
    requests = [probe_request(model) for gateway in contract.gateways
                for model in probe_sample(contract, gateway, listed.get(gateway.slug, ()), day)]
    return list(dict.fromkeys(requests))
