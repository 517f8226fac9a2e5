"""The catalog envelope: keys, types and the arithmetic that ties them together (R16, R17, R23)."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from gateway_contracts.data.findings import Finding
from gateway_contracts.data.jsontypes import is_int


def check_envelope(
    body: Any,
    *,
    offset: int,
    limit: int,
    gateway: str | None,
    gateway_names: Collection[str] = (),
    request: str | None = None,
) -> list[Finding]:
    """One `/v1/models` page: `data` list, `total >= returned == len(data)`, echoes, cursor coherence.

    `gateway` echoes a name of the gateway asked for: its slug or, in any letter case, one of `gateway_names`
    (its aliases). The API does not promise the canonical slug: the backend echoes the registry entry's fetch
    slug (gatewayz-backend src/routes/catalog.py, get_models: `get_gateway_slug_resolution()`), `hug` for
    `huggingface`."""
    if not isinstance(body, dict):
        return [Finding("envelope", f"expected a JSON object envelope, got {type(body).__name__}", request)]
    findings: list[Finding] = []

    def bad(message: str, *evidence: str) -> None:
        findings.append(Finding("envelope", message, request, evidence))

    data = body.get("data")
    if not isinstance(data, list):
        lists = sorted(k for k, v in body.items() if isinstance(v, list))
        hint = f"; lists found under {', '.join(map(repr, lists))}" if lists else ""
        bad(
            f"expected the model list under 'data', got {type(data).__name__ if 'data' in body else 'no data key'}"
            f"{hint}"
        )
        return findings
    if body.get("object", "list") != "list":
        bad(f"expected object 'list', got {body.get('object')!r}")
    total, returned = body.get("total"), body.get("returned")
    for key, value in (
        ("total", total),
        ("returned", returned),
        ("offset", body.get("offset")),
        ("limit", body.get("limit")),
    ):
        if not is_int(value):
            bad(f"expected '{key}' to be an integer, got {value!r}")
    if findings:
        return findings
    if returned != len(data):
        bad(f"returned is {returned} but data holds {len(data)} rows")
    if total < len(data):
        bad(f"total {total} is smaller than the {len(data)} rows returned")
    if body["offset"] != offset:
        bad(f"offset echoes {body['offset']}, the request asked for {offset}")
    if body["limit"] != limit:
        bad(f"limit echoes {body['limit']}, the request asked for {limit}")
    if len(data) > limit:
        bad(f"{len(data)} rows for limit={limit}: the limit is ignored")
    expected_more = offset + len(data) < total
    has_more = body.get("has_more")
    if has_more is not expected_more:
        bad(f"has_more is {has_more!r}, expected {expected_more} (offset {offset} + {len(data)} rows vs total {total})")
    next_offset = body.get("next_offset")
    expected_next = offset + len(data) if expected_more else None
    if next_offset != expected_next or isinstance(next_offset, bool):
        bad(f"next_offset is {next_offset!r}, expected {expected_next!r}")
    echo = body.get("gateway")
    names = {gateway.lower(), *(n.lower() for n in gateway_names)} if gateway is not None else set()
    if gateway is not None and not (isinstance(echo, str) and echo.lower() in names):
        bad(f"gateway echoes {echo!r}, expected a name of {gateway!r}: {', '.join(sorted(names))}")
    return findings
