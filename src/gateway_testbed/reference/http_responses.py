"""Response builders: JSON bodies rendered from plain dicts (and pre-serialized row lists), error shapes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from starlette.responses import Response

from .rows import dumps

JSON = "application/json"


@dataclass(frozen=True)
class RawList:
    """A JSON array whose items are already encoded (a page of catalog rows)."""

    items: list[bytes]

    def encode(self) -> bytes:
        return b"[" + b",".join(self.items) + b"]"


def render(body: Mapping[str, Any]) -> bytes:
    """Encode a top-level object whose values may be `RawList`s (spliced in, never re-serialized)."""
    parts = [
        dumps(key) + b":" + (value.encode() if isinstance(value, RawList) else dumps(value))
        for key, value in body.items()
    ]
    return b"{" + b",".join(parts) + b"}"


def json_response(
    body: Mapping[str, Any], status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    return Response(render(body), status_code=status, media_type=JSON, headers=dict(headers or {}))


def detail(status: int, text: str, headers: Mapping[str, str] | None = None) -> Response:
    """FastAPI's default error shape, `{"detail": "..."}` (routes not loaded, upstream down)."""
    return json_response({"detail": text}, status, headers)


def not_found() -> Response:
    return detail(404, "Not Found")


def error(
    status: int,
    code: str,
    message: str,
    *,
    kind: str = "invalid_request_error",
    request_id: str,
    context: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """The backend's structured error body."""
    body = {
        "type": kind,
        "message": message,
        "code": code,
        "status": status,
        "request_id": request_id,
        "context": dict(context or {}),
    }
    return json_response({"error": body}, status, headers)


def html(status: int, page: str) -> Response:
    return Response(page, status_code=status, media_type="text/html; charset=UTF-8")


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


def cloudflare_page(status: int, title: str, ray: str = "8f1c2a7b9d3e4f50") -> str:
    """A Cloudflare-style error page, as clients saw from the HF router (R13) and a down origin."""
    return (
        '<!DOCTYPE html>\n<!--[if lt IE 7]> <html class="no-js ie6 oldie" lang="en-US"> <![endif]-->\n'
        f'<html lang="en-US"><head><title>api.gatewayz.ai | {status}: {title}</title>'
        '<meta charset="UTF-8" /><meta name="robots" content="noindex, nofollow" />'
        '<link rel="stylesheet" id="cf_styles-css" href="/cdn-cgi/styles/main.css" /></head>'
        f'<body><div id="cf-wrapper"><div id="cf-error-details"><h1>{title}</h1>'
        f'<span class="cf-error-code">Error code {status}</span>'
        "<p>The web server reported a bad gateway error.</p>"
        '<p>Visit <a href="https://www.cloudflare.com/">cloudflare.com</a> for more information.</p>'
        f"<p>Cloudflare Ray ID: <strong>{ray}</strong></p></div></div></body></html>\n"
    )
