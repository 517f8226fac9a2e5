"""The OpenAPI document: per-route response declarations and the final touches FastAPI cannot express."""

from __future__ import annotations

from typing import Any

from .generator import AGGREGATE, ALIASES, SPECS
from .schemas import COMPONENTS, ref

RATE_LIMITED_EXEMPT = frozenset({"/health"})
# Every value `gateway=` accepts (besides letter case): a closed set, so schema-valid means accepted.
GATEWAY_VALUES: tuple[str, ...] = (AGGREGATE, *SPECS, *ALIASES)
# Model-list operations and their pagination link back to themselves (stateful fuzzing walks pages).
PAGED = {("/v1/models", "get"): "list_models", ("/models", "get"): "list_models_legacy"}


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def _response(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": _json(schema)}


def _error(description: str) -> dict[str, Any]:
    return _response(description, ref("ErrorResponse"))


# Every status each route can send (FastAPI adds 422 itself for routes that validate input).
RESPONSES: dict[str, dict[int | str, dict[str, Any]]] = {
    "list": {
        200: _response("A page of the catalog", ref("ModelList")),
        400: _error("Unknown or empty gateway (`code: unknown_gateway`)"),
    },
    "search": {
        200: _response("Models whose id or name contains `q`", ref("SearchResponse")),
        400: _error("Unknown or empty gateway (`code: unknown_gateway`)"),
    },
    "developer": {
        200: _response("Every catalog row of this developer, across gateways", ref("DeveloperModels")),
        404: _response(
            "Unknown developer (`code: developer_not_found`), or a path no route matches",
            {"anyOf": [ref("ErrorResponse"), ref("HTTPError")]},
        ),
    },
    "gateways": {200: _response("The gateway registry", ref("GatewayList"))},
    "status": {200: _response("Each registry gateway's model count and error state", ref("GatewayStatusList"))},
    "health": {200: _response("Always healthy while the process serves", ref("Health"))},
    "chat": {
        200: _response("An OpenAI-compatible chat completion", ref("ChatCompletionResponse")),
        400: _response(
            "Model not in the catalog (`code: model_not_priced`), or a body that is not UTF-8 (FastAPI's "
            '`{"detail": "There was an error parsing the body"}`)',
            {"anyOf": [ref("ErrorResponse"), ref("HTTPError")]},
        ),
        401: _error("Missing (`missing_api_key`) or unknown (`invalid_api_key`) API key"),
    },
}

# Routes whose input cannot fail validation (a path segment is any non-empty string).
NEVER_422 = frozenset({("/v1/models/{developer}", "get")})

_TOO_MANY = {
    "description": "Over the per-client request budget",
    "headers": {
        "Retry-After": {
            "description": "seconds to wait",
            "required": True,
            "schema": {"type": "integer", "minimum": 1},
        }
    },
    "content": _json(ref("ErrorResponse")),
}


def _not_nullable(parameter: dict[str, Any]) -> None:
    """`str | None = None` renders as anyOf [string, null]; a query parameter is absent, never null."""
    schema = parameter.get("schema", {})
    variants = schema.get("anyOf")
    if parameter.get("in") == "query" and variants and {"type": "null"} in variants:
        kept = [v for v in variants if v != {"type": "null"}]
        if len(kept) == 1:
            del schema["anyOf"]
            schema.update(kept[0])


def case_insensitive_pattern(values: tuple[str, ...]) -> str:
    """A full-match pattern for `values` in any letter case.

    JSON Schema patterns are ECMA-262 without flags, so each letter is spelled as a two-case class.
    """
    spelled = ("".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else c for c in value) for value in values)
    return "^(?:" + "|".join(spelled) + ")$"


def _gateway_parameter(parameter: dict[str, Any]) -> None:
    """`gateway` is a closed set in any case: a plain string would call unknown slugs valid (they answer 400)."""
    if parameter.get("in") != "query" or parameter.get("name") != "gateway":
        return
    listed = ", ".join(f"`{value}`" for value in GATEWAY_VALUES)
    description = (
        f"A gateway slug or alias, or `{AGGREGATE}` (every gateway), in any letter case: {listed}. "
        "Other values, the empty one included, answer 400 `unknown_gateway`."
    )
    parameter["description"] = description
    parameter["schema"].update(
        description=description, pattern=case_insensitive_pattern(GATEWAY_VALUES), minLength=1
    )


def _next_page_link(operation_id: str) -> dict[str, Any]:
    return {
        "nextPage": {
            "operationId": operation_id,
            "description": "The next page of the same query: `offset` is this page's `next_offset` "
            "(null on the last page, where there is no next page)",
            "parameters": {
                "gateway": "$request.query.gateway",
                "limit": "$request.query.limit",
                "provider": "$request.query.provider",
                "unique_models": "$request.query.unique_models",
                "offset": "$response.body#/next_offset",
            },
        }
    }


FASTAPI_STATUSES = ("200", "422")
# The model lists declare `offset` as a bare integer, as the real backend's document does (the server still
# answers 422 for a negative one).
UNBOUNDED_OFFSET = frozenset({"/v1/models", "/models"})


def fastapi_style(spec: dict[str, Any]) -> dict[str, Any]:
    """The sparse shape's document, as FastAPI writes one for handlers that return plain responses: each
    operation documents only 200 (with an empty schema) and 422, and the model lists' `offset` has no bound."""
    for path, operations in spec.get("paths", {}).items():
        for operation in operations.values():
            responses = operation.get("responses", {})
            for status in [s for s in responses if s not in FASTAPI_STATUSES]:
                del responses[status]
            if "200" in responses:
                responses["200"] = {
                    "description": "Successful Response",
                    "content": {"application/json": {"schema": {}}},
                }
            for parameter in operation.get("parameters", []):
                if path in UNBOUNDED_OFFSET and parameter.get("name") == "offset":
                    for bound in ("minimum", "exclusiveMinimum"):
                        parameter.get("schema", {}).pop(bound, None)
    return spec


def finalize(spec: dict[str, Any], *, rate_limited: bool) -> dict[str, Any]:
    """Add the hand-written components, drop impossible 422s, document 429 when the limiter is on,
    state the gateway values and link each model-list page to the next."""
    spec.setdefault("components", {}).setdefault("schemas", {}).update(COMPONENTS)
    for path, operations in spec.get("paths", {}).items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                _not_nullable(parameter)
                _gateway_parameter(parameter)
            responses = operation.setdefault("responses", {})
            if (path, method) in PAGED and "200" in responses:
                responses["200"]["links"] = _next_page_link(PAGED[path, method])
            if (path, method) in NEVER_422:
                responses.pop("422", None)
            if rate_limited and path not in RATE_LIMITED_EXEMPT:
                responses["429"] = _TOO_MANY
    return spec
