"""Single-response invariants: status, JSON bodies, errors, chat, routes, latency (R04, R06-R09, R13, R18)."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from typing import Any

from gateway_contracts.data.exchange import Exchange
from gateway_contracts.data.findings import Finding
from gateway_contracts.data.jsontypes import is_int
from gateway_contracts.data.pages import Walk


def _got(exchange: Exchange) -> str:
    if exchange.status is None:
        return f"no answer ({exchange.error})"
    body = exchange.excerpt(160) or "(empty body)"
    return f"HTTP {exchange.status} {exchange.content_type or 'no content-type'}: {body}"


def answered_json(exchange: Exchange, *, status: int = 200, invariant: str = "status") -> list[Finding]:
    """The request answered `status` with a JSON body (R04 404s, R06 502s, R08 503s, HTML pages)."""
    if exchange.status == status and exchange.is_json:
        return []
    if exchange.status == status:
        return [
            Finding(
                invariant,
                f"expected a JSON body, got {exchange.json_error}: {exchange.excerpt(120)!r}",
                exchange.describe(),
            )
        ]
    return [Finding(invariant, f"expected HTTP {status} with JSON, got {_got(exchange)}", exchange.describe())]


def rejected_as_client_error(exchange: Exchange, *, why: str) -> list[Finding]:
    """Invalid input gets a JSON 4xx, never a 200 with data and never a 5xx (B6, R09)."""
    findings = []
    if exchange.status is None or not 400 <= exchange.status < 500:
        findings.append(
            Finding("invalid-input", f"{why}: expected a 4xx rejection, got {_got(exchange)}", exchange.describe())
        )
    elif not exchange.is_json:
        findings.append(
            Finding("invalid-input", f"{why}: the {exchange.status} body is {exchange.json_error}", exchange.describe())
        )
    body = exchange.json
    if isinstance(body, dict) and isinstance(body.get("data"), list) and body["data"]:
        findings.append(
            Finding("invalid-input", f"{why}: the answer carries {len(body['data'])} catalog rows", exchange.describe())
        )
    return findings


def requires_key(exchange: Exchange) -> list[Finding]:
    """Chat without a key is 401 with a JSON error body (auth is enforced)."""
    if exchange.status == 401 and exchange.is_json:
        return []
    return [
        Finding(
            "chat-auth",
            f"without a key: expected HTTP 401 with a JSON error, got {_got(exchange)}",
            exchange.describe(),
        )
    ]


def chat_answered(exchange: Exchange, *, model: str) -> list[Finding]:
    """A contracted model answers a 2xx OpenAI-style completion: not 404, not 5xx, never HTML (R04, R13, R14)."""
    if exchange.status is None or not 200 <= exchange.status < 300:
        return [
            Finding(
                "chat", f"chat with {model!r}: expected a 2xx completion, got {_got(exchange)}", exchange.describe()
            )
        ]
    body = exchange.json
    if not exchange.is_json or not isinstance(body, dict):
        return [
            Finding(
                "chat",
                f"chat with {model!r}: expected a JSON completion, got {exchange.json_error or repr(body)}",
                exchange.describe(),
            )
        ]
    choices = body.get("choices")
    problems = []
    if body.get("object") != "chat.completion":
        problems.append(f"object is {body.get('object')!r}, expected 'chat.completion'")
    if not isinstance(choices, list) or not choices:
        problems.append("no choices")
    elif not isinstance(choices[0], dict) or not isinstance(choices[0].get("message"), dict):
        problems.append("choices[0] has no message")
    return [Finding("chat", f"chat with {model!r}: " + "; ".join(problems), exchange.describe())] if problems else []


def same_gateway_selected(exchange: Exchange, canonical: Walk, slug: str, names: Collection[str] = ()) -> list[Finding]:
    """A gateway value in another case selects the same gateway: it echoes a name of that gateway (its slug or
    one of `names`, in any case: the API echoes the registry's fetch slug), counts the same `total`, and its
    first row is one of that gateway's. The row's position is not compared: the same request may list rows in
    another order, which its own contract reports (`test_same_request_same_page`)."""
    body = exchange.json if isinstance(exchange.json, dict) else {}
    problems = []
    echo = body.get("gateway")
    accepted = {slug.lower(), *(n.lower() for n in names)}
    if not (isinstance(echo, str) and echo.lower() in accepted):
        problems.append(f"gateway echoes {echo!r}, expected a name of {slug!r}")
    if is_int(body.get("total")) and canonical.total is not None and body["total"] != canonical.total:
        problems.append(f"total is {body['total']}, {slug!r} counts {canonical.total}")
    rows = body.get("data") if isinstance(body.get("data"), list) else []
    first = rows[0].get("id") if rows and isinstance(rows[0], dict) else None
    # Either both list nothing, or the variant's first row is one of the gateway's.
    if (first not in set(canonical.ids)) if first is not None else bool(canonical.ids):
        problems.append(f"first id is {first!r}, not one of the {len(canonical.ids)} ids {slug!r} lists")
    if not problems:
        return []
    return [Finding("case-insensitive", "; ".join(problems), exchange.describe())]


def spec_lists_paths(spec: Any, paths: Iterable[str], *, request: str | None = None) -> list[Finding]:
    """The OpenAPI document lists the routes consumers call (R04, R07)."""
    listed = spec.get("paths") if isinstance(spec, dict) else None
    if not isinstance(listed, dict):
        return [Finding("routes", "the OpenAPI document has no 'paths' object", request)]
    missing = [p for p in paths if p not in listed]
    return [Finding("routes", f"the OpenAPI document does not list {', '.join(missing)}", request)] if missing else []


def route_exists(exchange: Exchange) -> list[Finding]:
    """A route consumers call answers something other than 404/405 (R04, R07)."""
    if exchange.status not in (None, 404, 405):
        return []
    return [Finding("routes", f"expected the route to exist, got {_got(exchange)}", exchange.describe())]


def within_budget(exchanges: Sequence[Exchange], *, budget_s: float) -> list[Finding]:
    """Every request answered within the latency budget (R18)."""
    slow = [e for e in exchanges if e.elapsed_s > budget_s]
    if not slow:
        return []
    worst = max(slow, key=lambda e: e.elapsed_s)
    return [
        Finding(
            "latency",
            f"{len(slow)} of {len(exchanges)} requests took longer than {budget_s:g} s "
            f"(slowest {worst.elapsed_s:.2f} s)",
            worst.describe(),
        )
    ]


def error_body(exchange: Exchange) -> list[Finding]:
    """Every error answers a JSON object: the backend's `{"error": {...}}` or FastAPI's `{"detail": ...}`."""
    body = exchange.json
    request = exchange.describe()
    if not exchange.is_json:
        return [Finding("error-body", f"HTTP {exchange.status} body is {exchange.json_error}: "
                                      f"{exchange.excerpt(120)!r}", request)]
    if not isinstance(body, dict) or not ({"error", "detail"} & body.keys()):
        return [Finding("error-body", f"HTTP {exchange.status} body is not an error object with 'error' or "
                                      f"'detail': {exchange.excerpt(120)!r}", request)]
    error = body.get("error")
    if "error" in body and not (isinstance(error, dict) and isinstance(error.get("message"), str)):
        return [Finding("error-body", f"HTTP {exchange.status} 'error' is not an object with a message: "
                                      f"{exchange.excerpt(120)!r}", request)]
    return []
