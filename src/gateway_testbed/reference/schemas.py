"""Schemas for the OpenAPI document.

The chat request is a pydantic model (FastAPI validates it). Response bodies are built from dicts
and never validated by the server, so their schemas are written out as JSON Schema (OpenAPI 3.1)
here: precise required keys, nullability and bounds, with nothing FastAPI-specific in between.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

MAX_PAGE = 1000
MAX_SEARCH_PAGE = 100
DECIMAL = r"^[0-9]+(\.[0-9]+)?$"  # non-negative decimal string, no exponent
MODEL_ID = r"^[^\s'\"()]+$"  # no spaces, quotes or parentheses (R11)


def _integral(value: Any) -> Any:
    """A float with no fractional part is the JSON integer it equals (`5.0` == `5`)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")

    role: Literal["system", "user", "assistant", "tool"]
    content: str


class ChatCompletionRequest(BaseModel):
    """OpenAI-compatible chat request; unknown fields are accepted and ignored."""

    model_config = ConfigDict(extra="allow")

    model: str = Field(
        min_length=1,
        description="An exact (case-sensitive) catalog model id.",
        examples=["openai/gpt-4o", "katanemo/Arch-Router-1.5B"],
    )
    messages: list[ChatMessage] = Field(min_length=1)
    # strict: lax mode would take `false` or "5" for numbers, which the schema calls invalid; but 5.0 is a
    # JSON Schema integer (the same number as 5), so the document promises it is accepted
    max_tokens: Annotated[int | None, BeforeValidator(_integral)] = Field(default=None, ge=1, strict=True)
    temperature: float | None = Field(default=None, ge=0, le=2, strict=True)


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _obj(properties: dict[str, Any], required: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties) if required is None else required,
        **extra,
    }


_INT0 = {"type": "integer", "minimum": 0}

COMPONENTS: dict[str, dict[str, Any]] = {
    "Pricing": _obj(
        {
            k: {"type": "string", "pattern": DECIMAL, "description": "USD per token"}
            for k in ("prompt", "completion", "request", "image")
        },
        title="Pricing",
    ),
    "Model": _obj(
        {
            "id": {"type": "string", "minLength": 1, "pattern": MODEL_ID},
            "name": {"type": "string"},
            "source_gateway": {
                "type": "string",
                "description": "serving gateway (HuggingFace rows say `hug`)",
            },
            "provider_slug": {"type": "string", "description": "developer, the id's org"},
            "context_length": {"type": ["integer", "null"], "minimum": 0, "description": "0 means unknown"},
            "pricing": {"anyOf": [ref("Pricing"), {"type": "null"}]},
            "description": {"type": ["string", "null"], "maxLength": 500},
            "modality": {"type": "string", "examples": ["text->text"]},
            "created": {"type": "integer", "minimum": 0, "description": "unix seconds"},
            "is_active": {"type": "boolean"},
            "supported_parameters": {"type": "array", "items": {"type": "string"}},
            "hugging_face_id": {"type": "string"},
        },
        required=[
            "id",
            "name",
            "source_gateway",
            "provider_slug",
            "context_length",
            "pricing",
            "description",
            "modality",
            "created",
            "is_active",
        ],
        title="Model",
    ),
    "ModelList": _obj(
        {
            "object": {"type": "string", "const": "list"},
            "data": {"type": "array", "items": ref("Model"), "maxItems": MAX_PAGE},
            "total": _INT0,
            "returned": {"type": "integer", "minimum": 0, "maximum": MAX_PAGE},
            "offset": _INT0,
            "limit": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE},
            "has_more": {"type": "boolean"},
            "next_offset": {"type": ["integer", "null"], "minimum": 1},
            "gateway": {"type": "string", "description": "the resolved canonical slug, or `all`"},
            "note": {"type": ["string", "null"]},
            "timestamp": {"type": "string", "format": "date-time"},
        },
        title="ModelList",
        description="returned == len(data); has_more == offset + returned < total; "
        "next_offset == offset + returned when has_more, else null.",
    ),
    "DeveloperModels": _obj(
        {"developer": {"type": "string"}, "models": {"type": "array", "items": ref("Model")}, "total": _INT0},
        title="DeveloperModels",
    ),
    "SearchMeta": _obj(
        {
            "total": _INT0,
            "limit": {"type": "integer", "minimum": 1, "maximum": MAX_SEARCH_PAGE},
            "offset": _INT0,
            "returned": {"type": "integer", "minimum": 0, "maximum": MAX_SEARCH_PAGE},
        },
        title="SearchMeta",
    ),
    "SearchResponse": _obj(
        {
            "success": {"type": "boolean", "const": True},
            "data": {"type": "array", "items": ref("Model"), "maxItems": MAX_SEARCH_PAGE},
            "meta": ref("SearchMeta"),
        },
        title="SearchResponse",
    ),
    "Gateway": _obj(
        {
            "id": {"type": "string"},
            "name": {"type": "string"},
            "aliases": {"type": "array", "items": {"type": "string"}},
            "model_count": _INT0,
            "id_format": {"type": "string"},
        },
        title="Gateway",
    ),
    "GatewayStatus": _obj(
        {"id": {"type": "string"}, "model_count": _INT0, "in_error_state": {"type": "boolean"}},
        title="GatewayStatus",
    ),
    "GatewayStatusList": _obj(
        {
            "data": {"type": "array", "items": ref("GatewayStatus")},
            "summary": _obj(
                {
                    "total_gateways": _INT0,
                    "healthy_gateways": _INT0,
                    "gateways_in_error": _INT0,
                    "total_models": _INT0,
                }
            ),
        },
        title="GatewayStatusList",
    ),
    "GatewayList": _obj(
        {"data": {"type": "array", "items": ref("Gateway")}, "total": _INT0}, title="GatewayList"
    ),
    "ErrorDetail": _obj(
        {
            "type": {"type": "string"},
            "message": {"type": "string"},
            "code": {"type": "string"},
            "status": {"type": "integer"},
            "request_id": {"type": "string"},
            "context": {"type": "object"},
        },
        required=["type", "message", "code"],
        title="ErrorDetail",
    ),
    "ErrorResponse": _obj({"error": ref("ErrorDetail")}, title="ErrorResponse"),
    "HTTPError": _obj(
        {"detail": {"type": "string"}},
        title="HTTPError",
        description="FastAPI's plain error body: a path no route matches, or a body that is not UTF-8",
    ),
    "ChatCompletionResponse": _obj(
        {
            "id": {"type": "string"},
            "object": {"type": "string", "const": "chat.completion"},
            "created": {"type": "integer"},
            "model": {"type": "string"},
            "choices": {
                "type": "array",
                "minItems": 1,
                "items": _obj(
                    {
                        "index": _INT0,
                        "message": _obj(
                            {"role": {"type": "string", "const": "assistant"}, "content": {"type": "string"}}
                        ),
                        "finish_reason": {"type": "string", "enum": ["stop", "length"]},
                    }
                ),
            },
            "usage": _obj({"prompt_tokens": _INT0, "completion_tokens": _INT0, "total_tokens": _INT0}),
        },
        title="ChatCompletionResponse",
    ),
    "Health": _obj(
        {
            "status": {"type": "string", "const": "healthy"},
            "version": {"type": "string"},
            "database": {"type": "string"},
        },
        title="Health",
    ),
}
