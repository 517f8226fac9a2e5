"""The `anthropic` dialect: Anthropic's models API, one list paged by cursor.

`GET /v1/models?limit=&after_id=` (limit 1..1000, default 20; `before_id` pages backwards) answers
`{"data": [model objects], "has_more": bool, "first_id": str|null, "last_id": str|null}`; `GET /v1/models/{id}`
answers one model object `{"type": "model", "id", "display_name", "created_at"}` (RFC 3339). Every request
carries the key as `x-api-key` and `anthropic-version: 2023-06-01`.

Its contract file has `models` (the whole list: floor, ceiling, required models) and `pagination` (the page
size the walk asks for, the pages it follows at most). The list is the one catalog (`all`, as GATEWAYS=all
names it); the walk follows `last_id` while `has_more` (pager.cursor_walk), and the page after the last must
list nothing. Added as this module and one line of the registry (docs/recipes.md, "Add a dialect").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, ClassVar, Literal

from pydantic import Field

from gateway_contracts.contract_model import (
    WHOLE_LIST,
    Bounded,
    Contract,
    Gateway,
    ListDefaults,
    RegistrySpec,
    Source,
    Strict,
    Versioned,
)
from gateway_contracts.data.findings import Finding, sample
from gateway_contracts.data.pages import Walk
from gateway_contracts.dialects.base import CURSOR, MODEL_OBJECT, RETRIEVE, Client, Dialect, Loaded, Send, distinct
from gateway_contracts.dialects.starter_rules import Refused, bounds, header, required_of, scalar
from gateway_contracts.known_findings import KnownFindingSpec
from gateway_contracts.pager import cursor_walk
from gateway_contracts.plan import UNKNOWN_MODEL, PlannedRequest, retrievable_ids, retrieve_request

MODELS_PATH = "/v1/models"
API_VERSION = "2023-06-01"
MAX_PAGE = 1000  # the API's largest `limit`
INIT_MAX_PAGES = 50

# -- the contract file -------------------------------------------------------------------------------------


class AnthropicModels(Bounded):
    """The whole list: its floor, ceiling and required models."""

    min_models: int = Field(default=1, ge=0)
    required_models: list[str] = Field(default_factory=list)
    latency_budget_s: float | None = Field(default=None, gt=0)
    count_drop_tolerance: float | None = Field(default=None, ge=0, le=1)


class AnthropicPaging(Strict):
    limit: int = Field(default=MAX_PAGE, ge=1, le=MAX_PAGE)  # the page size the walk asks for
    max_pages: int = Field(default=INIT_MAX_PAGES, ge=1)  # pages followed at most: a cursor that never ends


class _AnthropicContractModel(Versioned):
    dialect: Literal["anthropic"]
    openapi: str | None = Field(default=None, min_length=1)
    defaults: ListDefaults = ListDefaults()
    models: AnthropicModels = AnthropicModels()
    pagination: AnthropicPaging = AnthropicPaging()
    known_findings: list[KnownFindingSpec] = Field(default_factory=list)


def _resolve(model: _AnthropicContractModel, source: Source) -> Contract:
    d, whole = model.defaults, model.models
    tolerance = whole.count_drop_tolerance if whole.count_drop_tolerance is not None else d.count_drop_tolerance
    listing = Gateway(slug=WHOLE_LIST, aliases=(), min_models=whole.min_models, max_models=whole.max_models,
                      required_models=tuple(whole.required_models),
                      latency_budget_s=whole.latency_budget_s or d.latency_budget_s, id_pattern=None,
                      max_unpriced_share=1.0, count_drop_tolerance=tolerance)
    return Contract(
        path=source.path, version=model.version, gateways=(listing,), aggregate=None, chat_models=(),
        chat_latency_budget_s=d.latency_budget_s, max_limit=model.pagination.limit,
        max_pages=model.pagination.max_pages, registry=RegistrySpec(),
        latency_regression_factor=d.latency_regression_factor, count_drop_tolerance=tolerance,
        dialect=Anthropic.name,
    )


# -- requests and bodies (pure) -------------------------------------------------------------------------------


def page_request(after: str | None, limit: int, *, keyed: bool) -> PlannedRequest:
    """One page of the list: the first (`after` None) or the one after a cursor."""
    params: tuple[tuple[str, Any], ...] = (("limit", limit),) + ((("after_id", after),) if after is not None else ())
    return PlannedRequest("GET", MODELS_PATH, params, authenticated=keyed)


def _rfc3339(value: Any) -> bool:
    if not isinstance(value, str) or "T" not in value:
        return False
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).tzinfo is not None
    except ValueError:
        return False


def model_object_findings(body: Any, *, model_id: str, request: str | None) -> list[Finding]:
    """One model object: `type` "model", the `id` asked for, a `display_name` string, `created_at` RFC 3339 with
    a zone. Other fields are the API's to add."""
    if not isinstance(body, dict):
        return [Finding("model-schema", f"expected a model object, got {type(body).__name__}", request)]
    problems = []
    if body.get("type") != "model":
        problems.append(f"type is {body.get('type')!r}, expected 'model'")
    if body.get("id") != model_id:
        problems.append(f"id is {body.get('id')!r}, expected {model_id!r}")
    if not isinstance(body.get("display_name"), str):
        problems.append(f"display_name is {body.get('display_name')!r}, not a string")
    if not _rfc3339(body.get("created_at")):
        problems.append(f"created_at is {body.get('created_at')!r}, not an RFC 3339 time")
    return [Finding("model-schema", f"model {model_id!r}: " + "; ".join(problems), request,
                    sample([model_id]))] if problems else []


# -- init: the list walked, and the starter contract written from it -------------------------------------------


def observe(client: Client) -> list[Any]:
    def fetch(after: str | None, limit: int) -> Any:
        request = page_request(after, limit, keyed=client.has_key)
        return client.request("GET", request.path, params=request.query, authenticated=request.authenticated)

    walked = cursor_walk(fetch, limit=MAX_PAGE, max_pages=INIT_MAX_PAGES)
    first = walked.first
    if first is not None and first.status is None:
        raise Refused(f"target unreachable: {client.base_url}: {first.error}")
    if not walked.complete or not walked.ids:
        why = walked.findings[0].message if walked.findings else f"{first.describe() if first else 'no answer'} " \
                                                                 "lists no model"
        raise Refused(f"nothing to write a contract from at {client.base_url}: {why}")
    return walked.ids


def render(url: str, when: str, ids: Sequence[Any]) -> tuple[str, list[str]]:
    lines = [*header(url, when, Anthropic.name), "version: 1", f"dialect: {Anthropic.name}", "",
             "models:                          # the whole list", *bounds("  ", len(set(ids)), len(ids))]
    required = required_of(ids, None)
    if required:
        lines.append(f"  required_models: [{', '.join(scalar(str(r)) for r in required)}]")
    lines += ["", "pagination:", f"  limit: {MAX_PAGE}                     # the page size the walk asks for",
              f"  max_pages: {INIT_MAX_PAGES}", ""]
    return "\n".join(lines), []


# -- the dialect ------------------------------------------------------------------------------------------------


class Anthropic(Dialect):
    name: ClassVar[str] = "anthropic"
    about: ClassVar[str] = "one GET /v1/models paged by cursor (after_id, has_more)"
    always: ClassVar[frozenset[str]] = frozenset({CURSOR, MODEL_OBJECT, RETRIEVE})
    own_keys: ClassVar[tuple[str, ...]] = ("models", "pagination")
    unit: ClassVar[str] = "list"
    key_header: ClassVar[tuple[str, str]] = ("x-api-key", "")
    headers: ClassVar[Mapping[str, str]] = {"anthropic-version": API_VERSION}
    # No OpenAPI document ships for it: nothing is fuzzed unless a contract names one (then schemathesis' own
    # checks, status and schema, apply to every route).
    fuzz_routes: ClassVar[Mapping[tuple[str, str], tuple[str, ...]]] = {}

    def load(self, raw: dict[str, Any], source: Source) -> Loaded:
        model = source.validate(_AnthropicContractModel, raw)
        return Loaded(_resolve(model, source), model.openapi, list(model.known_findings))

    def walk(self, contract: Contract, name: str, send: Send, *, limit: int | None, keyed: bool) -> Walk:
        """The whole list (whatever `name`: it is the one catalog), following `last_id` while `has_more`."""
        return cursor_walk(lambda after, size: send(page_request(after, size, keyed=keyed)),
                           limit=limit or contract.max_limit, max_pages=contract.max_pages)

    def after_last(self, contract: Contract, name: str, walk: Walk, *, keyed: bool) -> PlannedRequest | None:
        last = walk.pages[-1].envelope if walk.pages else None
        cursor = last.get("last_id") if last else None
        return page_request(cursor, walk.limit, keyed=keyed) if isinstance(cursor, str) and cursor else None

    def model_object_findings(self, body: Any, *, model_id: str, request: str | None) -> list[Finding]:
        return model_object_findings(body, model_id=model_id, request=request)

    def preflight_requests(self, contract: Contract, *, keyed: bool) -> list[PlannedRequest]:
        return [page_request(None, contract.max_limit, keyed=keyed)]

    def preflight(self, contract: Contract, send: Send, url: str, *, keyed: bool) -> str | None:
        first = send(page_request(None, contract.max_limit, keyed=keyed))
        if first.status is None:
            return f"target unreachable: {url}: {first.error}"
        if first.status == 404:
            return (f"no Anthropic models API at {url}: GET /v1/models answers 404 (wrong base path? TARGET_URL is "
                    "the URL before /v1)")
        return None

    def planned_requests(self, contract: Contract, totals: Mapping[str, int | None], *,
                         keyed: bool) -> list[PlannedRequest]:
        """The first page (how many follow depends on the cursors the API answers), each contracted id and an
        unknown one by `GET /v1/models/{id}`."""
        return distinct([*self.preflight_requests(contract, keyed=keyed),
                         *(retrieve_request(m, keyed=keyed) for m in [*retrievable_ids(contract), UNKNOWN_MODEL])])

    def observe_and_render(self, client: Client, url: str, when: str,
                           document: str | None) -> tuple[str, list[str]]:
        return render(url, when, observe(client))
