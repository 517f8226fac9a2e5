"""The reference gateway: a FastAPI app that serves the Gatewayz catalog API over generated data.

Handlers build plain dicts and return `Response`s directly (rows arrive pre-encoded), so FastAPI's
response-model serialization never runs; the OpenAPI document comes from `openapi.RESPONSES`.
No `from __future__ import annotations` here: FastAPI must see the parameter declarations built
inside `create_app` (their bounds depend on the active faults).
"""

import hashlib
import itertools
import time
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import FastAPI, Path, Query, Request, Security
from fastapi.openapi.utils import get_openapi
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.responses import Response

from . import anthropic_models
from . import http_responses as r
from .faults import Call, FaultPlan
from .generator import AGGREGATE, FULL, SPARSE, build_catalog, check_shape
from .middleware import STATS_PATH, GatewayMiddleware, RateLimiter, RequestStats
from .openapi import RESPONSES, fastapi_style, finalize
from .rows import Rows
from .schemas import MAX_PAGE, MAX_SEARCH_PAGE, ChatCompletionRequest
from .served import SEARCHED, ServedCatalog, Target, developer_key, search

REFERENCE_VERSION = "reference-1.0.0"
DEFAULT_SLOW_SECONDS = 6.0


@dataclass
class ReferenceState:
    """Everything the handlers share; reachable as `app.state.reference`."""

    plan: FaultPlan
    served: ServedCatalog
    api_keys: frozenset[str]
    slow_seconds: float
    stats: RequestStats = field(default_factory=RequestStats)
    _ids: "itertools.count[int]" = field(default_factory=lambda: itertools.count(1))

    def request_id(self) -> str:
        return f"req_{next(self._ids):012d}"

    def call(self, route: str, request: Request, gateway: str = "", limit: int = 0, offset: int = 0,
             developer: str = "") -> Call:
        query = request.scope.get("query_string", b"").decode("latin-1")
        return Call(
            route=route,
            url=f"{request.scope['path']}?{query}",
            gateway=gateway,
            limit=limit,
            offset=offset,
            slow_seconds=self.slow_seconds,
            request_id=self.request_id,
            first_time=self.plan.first_time,
            nth=self.plan.nth,
            developer=developer,
        )

    def unknown_gateway(self, gateway: str) -> Response:
        return r.error(
            400,
            "unknown_gateway",
            f"Unknown gateway '{gateway}'",
            request_id=self.request_id(),
            context={"gateway": gateway},
        )


def create_app(
    faults: Sequence[str] = (),
    api_keys: Collection[str] = (),
    scale: Mapping[str, int] | None = None,
    slow_seconds: float = DEFAULT_SLOW_SECONDS,
    rate_limit_per_minute: int | None = None,
    version: str = REFERENCE_VERSION,
    shape: str = FULL,
) -> FastAPI:
    """Build the app. Unknown fault names, scale keys or shapes raise ValueError before anything is built.

    `shape` is `full` (every field, the reference's own strict OpenAPI document, the 13 gateways of 2025-10)
    or `sparse` (the API as sparsely as the real one may serve it: rows with only the promised fields, a
    FastAPI-style document, the 2026-08 registry), or `anthropic` (another API: anthropic_models.py, its faults).
    """
    if shape == anthropic_models.SHAPE:
        return anthropic_models.create_app(faults, api_keys)
    plan = FaultPlan(faults)
    state = ReferenceState(
        plan=plan,
        served=plan.serve(build_catalog(scale, check_shape(shape))),
        api_keys=frozenset(k for k in api_keys if k),
        slow_seconds=slow_seconds,
    )
    sparse = shape == SPARSE
    app = FastAPI(
        title="Gatewayz reference gateway" + (" (sparse shape)" if sparse else ""),
        version=version,
        docs_url=None,
        redoc_url=None,
        description="Embedded reference implementation of the Gatewayz model-catalog API, "
        "with switchable faults that replay past incidents.",
    )
    app.state.reference = state
    limiter = RateLimiter(rate_limit_per_minute) if rate_limit_per_minute else None
    app.add_middleware(GatewayMiddleware, stats=state.stats, limiter=limiter)

    _add_health(app, version)
    _add_registry(app, state)
    _add_status(app, state)
    if not plan.removes_catalog_routes:
        _add_catalog(app, state)  # search before the {developer} catch-all (R24)
        _add_chat(app, state)
    _add_stats(app, state)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            spec = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
                openapi_version=app.openapi_version,
            )
            app.openapi_schema = (
                fastapi_style(spec) if sparse else finalize(spec, rate_limited=limiter is not None)
            )
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app


# --- routes -------------------------------------------------------------------------------------


def _add_health(app: FastAPI, version: str) -> None:
    body = r.render({"status": "healthy", "version": version, "database": "ok"})

    @app.get(
        "/health",
        operation_id="health",
        response_model=None,
        responses=RESPONSES["health"],
        summary="Liveness (200 even when catalog routes failed to load)",
    )
    async def health() -> Response:
        return Response(body, media_type=r.JSON)


def _add_registry(app: FastAPI, state: ReferenceState) -> None:
    body = r.render({"data": state.served.registry, "total": len(state.served.registry)})

    @app.get(
        "/v1/gateways",
        operation_id="list_gateways",
        response_model=None,
        responses=RESPONSES["gateways"],
        summary="The gateway registry: ids, aliases, model counts",
    )
    async def gateways() -> Response:
        return Response(body, media_type=r.JSON)


def _add_status(app: FastAPI, state: ReferenceState) -> None:
    entries = state.served.status
    in_error = sum(1 for e in entries if e.get("in_error_state"))
    summary = {
        "total_gateways": len(entries),
        "healthy_gateways": len(entries) - in_error,
        "gateways_in_error": in_error,
        "total_models": sum(e["model_count"] for e in entries if isinstance(e.get("model_count"), int)),
    }
    body = r.render({"data": entries, "summary": summary})

    @app.get(
        "/v1/gateways/status",
        operation_id="gateway_status",
        response_model=None,
        responses=RESPONSES["status"],
        summary="Each registry gateway's model count and error state",
    )
    async def gateway_status(request: Request) -> Response:
        early = await state.plan.intercept(state.call("status", request))
        return early if early is not None else Response(body, media_type=r.JSON)


def _add_stats(app: FastAPI, state: ReferenceState) -> None:
    @app.get(STATS_PATH, include_in_schema=False)
    async def stats() -> Response:
        return r.json_response(state.stats.snapshot())


GatewayQuery = Annotated[
    str,
    Query(
        description="Gateway slug or alias, case-insensitive, or `all`. Unknown or empty values answer 400.",
        examples=["all", "openrouter", "hug", "google-vertex"],
    ),
]


def _bounded(description: str, relaxed: bool, *, minimum: int, maximum: int | None = None) -> Any:
    """A bounded integer query parameter; `relaxed` (a fault) documents the bounds without enforcing them."""
    bounds = {"minimum": minimum} | ({"maximum": maximum} if maximum is not None else {})
    if relaxed:
        return Query(description=description, json_schema_extra=bounds)
    return Query(ge=minimum, le=maximum, description=description)


def _add_catalog(app: FastAPI, state: ReferenceState) -> None:
    plan, served = state.plan, state.served
    sparse = served.shape == SPARSE
    # Faults that relax a bound keep it in the document (the spec states the contract, not the bug).
    limit_query = _bounded("Page size", plan.relax_limit, minimum=1, maximum=MAX_PAGE)
    offset_query = _bounded("Rows to skip", plan.relax_offset, minimum=0)
    search_limit = _bounded("Page size", plan.relax_search, minimum=1, maximum=MAX_SEARCH_PAGE)
    search_offset = _bounded("Rows to skip", plan.relax_search, minimum=0)

    async def list_models(
        request: Request,
        gateway: GatewayQuery = AGGREGATE,
        limit: Annotated[int, limit_query] = 100,
        offset: Annotated[int, offset_query] = 0,
        provider: Annotated[
            str | None,
            Query(
                description="Only this developer: an id prefix `provider/` or the `provider_slug`, any case; "
                "blank means no filter" if sparse else "Only this developer (`provider_slug`)",
                examples=["openai"],
            ),
        ] = None,
        unique_models: Annotated[bool, Query(description="One row per id (meaningful for `all`)")] = False,
    ) -> Response:
        call = state.call("list", request, gateway, limit, offset)
        early = await plan.intercept(call)
        if early is not None:
            return early
        target = plan.resolve(call, served)
        if target is None:
            return state.unknown_gateway(gateway)
        rows = plan.rows(call, served.listing(target, None if plan.ignores_provider else provider, unique_models),
                         served)
        total = len(rows)
        # A negative offset only gets here under negative-offset-accepted: Python slicing semantics (B6).
        start = offset if offset >= 0 else max(total + offset, 0)
        stop = min(start + max(plan.page_limit(limit, target, total), 0), total)
        items = rows.json_slice(start, stop) if start < stop else []
        returned = len(items)
        has_more = offset + returned < total
        envelope: dict[str, Any] = {
            "object": "list",
            "data": r.RawList(items),
            "total": total,
            "returned": returned,
            "offset": offset,
            "limit": limit,
            "has_more": has_more,
            "next_offset": offset + returned if has_more else None,
            "gateway": target.label,
            "note": _note(target, unique_models),
            "timestamp": r.now_iso(),
        }
        if sparse:  # optional envelope fields a consumer does not read
            for key in ("object", "note", "timestamp"):
                del envelope[key]
        plan.envelope(envelope, call, target)
        return plan.finish(call, r.json_response(envelope))

    for path, operation_id in (("/v1/models", "list_models"), ("/models", "list_models_legacy")):
        app.add_api_route(
            path,
            list_models,
            methods=["GET"],
            operation_id=operation_id,
            response_model=None,
            responses=RESPONSES["list"],
            summary="A page of one gateway's catalog, or of `all`",
        )

    @app.get(
        "/v1/models/search",
        operation_id="search_models",
        response_model=None,
        responses=RESPONSES["search"],
        summary="Models whose id or name contains `q` (case-insensitive)",
    )
    async def search_models(
        request: Request,
        q: Annotated[
            str | None,
            Query(
                description="Substring of the id or name" + (" or description" if sparse else "")
                + "; empty matches all",
                examples=["gpt-4o"],
            ),
        ] = None,
        gateway: GatewayQuery = AGGREGATE,
        limit: Annotated[int, search_limit] = 20,
        offset: Annotated[int, search_offset] = 0,
    ) -> Response:
        call = state.call("search", request, gateway, limit, offset)
        early = await plan.intercept(call)
        if early is not None:
            return early
        target = served.resolve(gateway)
        if target is None:
            return plan.finish(call, state.unknown_gateway(gateway))
        failed = plan.search_answer(call, target.rows)
        if failed is not None:
            return failed
        hits = plan.rows(call, search(target.rows, q, SEARCHED[served.shape]), served)
        # Out-of-range bounds only get here under search-bounds-unchecked: Python slicing semantics.
        start = offset if offset >= 0 else max(len(hits) + offset, 0)
        stop = min(start + max(limit, 0), len(hits))
        items = hits.json_slice(start, stop) if start < stop else []
        meta = {"total": len(hits), "limit": limit, "offset": offset, "returned": len(items)}
        return r.json_response({"success": True, "data": r.RawList(items), "meta": meta})

    developer_path = Path(
        description="A developer: a `provider_slug` or an id prefix, any case (blank and a leading `@` are "
        "stripped), e.g. `openai`",
        examples=["openai", "katanemo", "meta-llama"],
        # Documented only: the router already guarantees one non-empty segment. (Excluding "search"
        # with `not` made fuzzers send exactly that as an invalid value; the search route answers it.)
        json_schema_extra={"minLength": 1, "pattern": "^[^/]+$"},
    )
    developer_route = app.get(
        "/v1/models/{developer}",
        operation_id="developer_models",
        response_model=None,
        responses=RESPONSES["developer"],
        summary="Every row of one developer, across gateways" + (" (paged)" if sparse else ""),
    )

    def developer_call(request: Request, value: str, limit: int = 0, offset: int = 0) -> Call:
        return state.call("developer", request, limit=limit, offset=offset, developer=developer_key(value) or value)

    def developer_rows(call: Call, value: str) -> Rows:
        return plan.rows(call, served.developer(value), served)

    if sparse:
        # The backend's route (routes/catalog.py, d4e0b0c6): paged, `total` counts every row before the page is
        # cut, and a developer without rows is an empty 200, not a 404.
        @developer_route
        async def developer_page(
            request: Request,
            developer: Annotated[str, developer_path],
            limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="Page size")] = 100,
            offset: Annotated[int, Query(ge=0, description="Rows to skip")] = 0,
        ) -> Response:
            call = developer_call(request, developer, limit, offset)
            early = await plan.intercept(call)
            if early is not None:
                return early
            rows, name = developer_rows(call, developer), call.developer
            stop = min(offset + limit, len(rows))
            items = rows.json_slice(offset, stop) if offset < stop else []
            body: dict[str, Any] = {"developer": name, "models": r.RawList(items), "total": len(rows),
                                    "count": len(items), "offset": offset, "limit": limit, "gateway": AGGREGATE}
            plan.developer_body(body, len(items))
            return r.json_response(body)

        return

    @developer_route
    async def developer_models(request: Request, developer: Annotated[str, developer_path]) -> Response:
        call = developer_call(request, developer)
        early = await plan.intercept(call)
        if early is not None:
            return early
        rows, name = developer_rows(call, developer), call.developer
        if not len(rows):
            return r.error(
                404,
                "developer_not_found",
                f"No models for developer '{name}'",
                request_id=state.request_id(),
                context={"developer": name},
            )
        body: dict[str, Any] = {"developer": name, "models": r.RawList(rows.json_slice(0, len(rows))),
                                "total": len(rows)}
        plan.developer_body(body, len(rows))
        return r.json_response(body)


def _note(target: Target, unique: bool) -> str | None:
    if unique:
        return "Deduplicated by id: one row per model across gateways"
    if not target.single:
        return "Every gateway's catalog, concatenated; an id appears once per serving gateway"
    return None


_bearer = HTTPBearer(auto_error=False, scheme_name="bearerAuth", description="Gatewayz API key")


def _add_chat(app: FastAPI, state: ReferenceState) -> None:
    plan, served = state.plan, state.served

    @app.post(
        "/v1/chat/completions",
        operation_id="chat_completions",
        response_model=None,
        responses=RESPONSES["chat"],
        summary="OpenAI-compatible chat completion (deterministic reply)",
    )
    async def chat_completions(
        body: ChatCompletionRequest,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)],
    ) -> Response:
        # The body was validated first (422 before 401), as the backend does.
        if not plan.chat_auth_off:
            if credentials is None:
                return _unauthorized(
                    state, "missing_api_key", "An API key is required: Authorization: Bearer <key>"
                )
            if credentials.credentials not in state.api_keys:
                return _unauthorized(state, "invalid_api_key", "Invalid API key")
        answer = plan.chat(body.model)
        if answer is not None:
            return answer
        if body.model not in served.chat_ids():
            return r.error(
                400,
                "model_not_priced",
                f"Model '{body.model}' is not available or has no pricing",
                request_id=state.request_id(),
                context={"model": body.model},
            )
        return r.json_response(_completion(body))


def _unauthorized(state: ReferenceState, code: str, message: str) -> Response:
    return r.error(
        401,
        code,
        message,
        kind="authentication_error",
        request_id=state.request_id(),
        headers={"WWW-Authenticate": "Bearer"},
    )


def _completion(body: ChatCompletionRequest) -> dict[str, Any]:
    """A deterministic reply: the same request always gets the same content and usage."""
    transcript = "\n".join(f"{m.role}: {m.content}" for m in body.messages)
    digest = hashlib.sha256(f"{body.model}\n{transcript}".encode()).hexdigest()
    words = (
        f"Reference gateway reply from {body.model} to {len(body.messages)} message(s), digest {digest[:12]}."
    )
    tokens = words.split()
    finish = "stop"
    if body.max_tokens is not None and body.max_tokens < len(tokens):
        tokens, finish = tokens[: body.max_tokens], "length"
    prompt_tokens = sum(len(m.content.split()) + 4 for m in body.messages)
    return {
        "id": f"chatcmpl-{digest[:24]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": " ".join(tokens)},
                "finish_reason": finish,
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": len(tokens),
            "total_tokens": prompt_tokens + len(tokens),
        },
    }
