"""The reference gateway's `anthropic` shape: Anthropic's models API, one list paged by cursor.

A test double, not the API's definition: `GET /v1/models?limit=&after_id=&before_id=` (limit 1..1000, default
20) answers `{"data": [model objects], "has_more", "first_id", "last_id"}`, newest model first, and
`GET /v1/models/{model_id}` one model object; both want `x-api-key` (one of the run's keys when it has any) and
`anthropic-version`, and answer errors as `{"type": "error", "error": {"type", "message"}}`.

Served with REFERENCE_SHAPE=anthropic (`--shape anthropic`). Its faults are its own (`FAULTS` below, each
replaying one way a cursor-paged list goes wrong), apart from the Gatewayz shapes' faults.py.
"""

import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import FastAPI, Header, Query, Request
from fastapi.exceptions import RequestValidationError
from starlette.responses import Response

from .middleware import STATS_PATH, GatewayMiddleware, RequestStats

SHAPE = "anthropic"
API_VERSION = "2023-06-01"
DEFAULT_LIMIT, MAX_LIMIT = 20, 1000

# (id, display name, created_at): newest first, as the API lists them. Ids of public Claude models (a consumer's
# contract names some); the generated tail makes the list page several times at small limits.
_NAMED = (
    ("claude-haiku-4-5-20251001", "Claude Haiku 4.5", "2025-10-01T00:00:00Z"),
    ("claude-sonnet-4-5-20250929", "Claude Sonnet 4.5", "2025-09-29T00:00:00Z"),
    ("claude-opus-4-1-20250805", "Claude Opus 4.1", "2025-08-05T00:00:00Z"),
    ("claude-opus-4-20250514", "Claude Opus 4", "2025-05-22T00:00:00Z"),
    ("claude-sonnet-4-20250514", "Claude Sonnet 4", "2025-05-22T00:00:00Z"),
    ("claude-3-7-sonnet-20250219", "Claude Sonnet 3.7", "2025-02-24T00:00:00Z"),
    ("claude-3-5-haiku-20241022", "Claude Haiku 3.5", "2024-10-22T00:00:00Z"),
    ("claude-3-5-sonnet-20241022", "Claude Sonnet 3.5 (New)", "2024-10-22T00:00:00Z"),
    ("claude-3-5-sonnet-20240620", "Claude Sonnet 3.5 (Old)", "2024-06-20T00:00:00Z"),
    ("claude-3-haiku-20240307", "Claude Haiku 3", "2024-03-07T00:00:00Z"),
    ("claude-3-opus-20240229", "Claude Opus 3", "2024-02-29T00:00:00Z"),
)
MISSING_MODEL = "claude-sonnet-4-5-20250929"  # what `anthropic-model-missing` leaves out


def models() -> list[dict[str, Any]]:
    return [{"type": "model", "id": i, "display_name": name, "created_at": when} for i, name, when in _NAMED]


@dataclass(frozen=True)
class AnthropicFault:
    name: str
    incident: str  # docs/incidents.md
    description: str


FAULTS: dict[str, AnthropicFault] = {f.name: f for f in (
    AnthropicFault("anthropic-cursor-repeats", "A1", "every page after the second answers the second page again: "
                                                     "its last_id repeats and a client following it loops"),
    AnthropicFault("anthropic-has-more-false", "A2", "the first page says has_more false while more models exist"),
    AnthropicFault("anthropic-has-more-true", "A3", "the last page says has_more true; the page after its last_id "
                                                    "is empty and says has_more true again"),
    AnthropicFault("anthropic-model-missing", "A4", f"{MISSING_MODEL} is left out of the list and its GET 404s"),
)}


def validate_faults(names: Sequence[str]) -> tuple[str, ...]:
    names = [n.strip() for n in names if n.strip()]
    unknown = [n for n in names if n not in FAULTS]
    if unknown:
        raise ValueError(f"unknown fault(s) for the {SHAPE} shape: {', '.join(unknown)} "
                         f"(known: {', '.join(FAULTS)})")
    return tuple(dict.fromkeys(names))


@dataclass(frozen=True)
class _Plan:
    names: tuple[str, ...]  # what EmbeddedGateway.faults reports


@dataclass
class AnthropicState:
    """What the handlers share; `app.state.reference` as the Gatewayz shapes' state (plan.names, stats)."""

    plan: _Plan
    api_keys: frozenset[str]
    stats: RequestStats = field(default_factory=RequestStats)

    def active(self, fault: str) -> bool:
        return fault in self.plan.names


def _json(status: int, body: Any) -> Response:
    return Response(json.dumps(body), status_code=status, media_type="application/json")


def _error(status: int, kind: str, message: str) -> Response:
    return _json(status, {"type": "error", "error": {"type": kind, "message": message}})


def _page(rows: list[dict[str, Any]], start: int, end: int, total: int) -> dict[str, Any]:
    data = rows[start:end]
    return {"data": data, "has_more": end < total, "first_id": data[0]["id"] if data else None,
            "last_id": data[-1]["id"] if data else None}


def list_page(state: AnthropicState, limit: int, after_id: str | None, before_id: str | None) -> Response:
    rows = [m for m in models() if not (state.active("anthropic-model-missing") and m["id"] == MISSING_MODEL)]
    ids = [m["id"] for m in rows]
    if after_id is not None and before_id is not None:
        return _error(400, "invalid_request_error", "after_id and before_id cannot both be given")
    cursor = after_id if after_id is not None else before_id
    if cursor is not None and cursor not in ids:
        return _error(400, "invalid_request_error", f"unknown cursor: {cursor}")
    if before_id is not None:
        end = ids.index(before_id)
        body = _page(rows, max(0, end - limit), end, len(rows))
        body["has_more"] = end - limit > 0  # more before this page
        return _json(200, body)
    start = ids.index(after_id) + 1 if after_id is not None else 0
    if state.active("anthropic-cursor-repeats") and start > limit:
        start = limit  # the second page, again and again
    body = _page(rows, start, start + limit, len(rows))
    if state.active("anthropic-has-more-false") and after_id is None:
        body["has_more"] = False
    if state.active("anthropic-has-more-true") and start + limit >= len(rows):
        body["has_more"] = True
    return _json(200, body)


def create_app(faults: Sequence[str] = (), api_keys: Collection[str] = ()) -> FastAPI:
    """The app; unknown fault names raise ValueError before anything is built."""
    state = AnthropicState(plan=_Plan(validate_faults(faults)), api_keys=frozenset(k for k in api_keys if k))
    app = FastAPI(title="Anthropic models reference gateway", version="reference-1.0.0", docs_url=None,
                  redoc_url=None, openapi_url=None)
    app.state.reference = state
    app.add_middleware(GatewayMiddleware, stats=state.stats)

    def refused(key: str | None, version: str | None) -> Response | None:
        if not key or (state.api_keys and key not in state.api_keys):
            return _error(401, "authentication_error", "invalid x-api-key")
        if not version:
            return _error(400, "invalid_request_error", "anthropic-version: header is required")
        return None

    @app.get("/v1/models")
    def list_models(
        x_api_key: Annotated[str | None, Header()] = None,
        anthropic_version: Annotated[str | None, Header()] = None,
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
        after_id: str | None = None,
        before_id: str | None = None,
    ) -> Response:
        return refused(x_api_key, anthropic_version) or list_page(state, limit, after_id, before_id)

    @app.get("/v1/models/{model_id}")
    def get_model(
        model_id: str,
        x_api_key: Annotated[str | None, Header()] = None,
        anthropic_version: Annotated[str | None, Header()] = None,
    ) -> Response:
        denied = refused(x_api_key, anthropic_version)
        if denied is not None:
            return denied
        for model in models():
            if model["id"] == model_id and not (state.active("anthropic-model-missing") and model_id == MISSING_MODEL):
                return _json(200, model)
        return _error(404, "not_found_error", f"model: {model_id}")

    @app.get(STATS_PATH, include_in_schema=False)
    def stats() -> dict[str, Any]:
        return state.stats.snapshot()

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:  # e.g. limit=0, in the API's shape
        return _error(400, "invalid_request_error", "invalid request parameters")

    return app
