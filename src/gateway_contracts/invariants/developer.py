"""A developer's listing (`GET /v1/models/{developer}`) and the provider filter (`GET /v1/models?provider=`):
the rows are that developer's, the optional counts right (pure; the fuzz checks feed them fuzzed answers)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from gateway_contracts.data.exchange import Exchange
from gateway_contracts.data.findings import Finding, sample
from gateway_contracts.data.jsontypes import is_int
from gateway_contracts.invariants.contents import aggregate_pairs_unique
from gateway_contracts.invariants.models import check_model_rows


def developer_listing(exchange: Exchange) -> list[Finding]:
    """A 200 developer answer: the echo names the developer asked for, `total` counts at least the rows
    served (it counts the whole listing, the page is cut after), every row that developer's, rows well formed.

    The developer is read off the URL as sent and decoded (what the server's router saw), not as generated."""
    body = exchange.json
    request = exchange.describe()
    rows = body.get("models") if isinstance(body, dict) else None
    if not isinstance(rows, list) or not isinstance(body, dict):
        return [Finding("developer", "expected a 'models' list", request)]
    developer = unquote(urlsplit(exchange.url).path.rstrip("/").rsplit("/", 1)[-1])
    query = parse_qs(urlsplit(exchange.url).query, keep_blank_values=True)
    findings = []
    # `developer`, `total` and `count` are optional (consumers read `models`); when served they must be right.
    echo = body.get("developer")
    if "developer" in body and not (isinstance(echo, str) and echo.casefold() in {
            developer.casefold(), normalize_developer(developer).casefold()}):
        findings.append(Finding("developer", f"developer echoes {echo!r}, the request named {developer!r}", request))
    total, count = body.get("total"), body.get("count")
    if "total" in body and not (is_int(total) and total >= len(rows)):
        findings.append(Finding("developer", f"total is {total!r} but models holds {len(rows)} rows", request))
    if "count" in body and count != len(rows):
        findings.append(Finding("developer", f"count is {count!r} but models holds {len(rows)} rows", request))
    limit = _limit(query)
    if limit is not None and limit > 0 and len(rows) > limit:
        findings.append(Finding("developer", f"{len(rows)} rows for limit={limit}: the limit is ignored", request))
    findings += provider_filter_holds(rows, developer, request=request)
    findings += check_model_rows(rows, allowed_sources=None, request=request)
    return findings + aggregate_pairs_unique(rows, request=request)


def _limit(query: Mapping[str, list[str]]) -> int | None:
    values = query.get("limit")
    try:
        return int(values[-1]) if values else None
    except ValueError:
        return None


def normalize_developer(value: str) -> str:
    """A developer or provider value as the API reads it: surrounding blanks and leading `@`s dropped
    (gatewayz-backend src/routes/catalog.py, normalize_developer_segment)."""
    return value.strip().lstrip("@")


def provider_filter_holds(rows: Sequence[Any], provider: str, *, request: str | None = None) -> list[Finding]:
    """Rows selected by `provider` (or a developer path) are that developer's. The API matches, case-insensitively,
    an id prefix `<provider>/` OR the row's `provider_slug` (gatewayz-backend src/routes/catalog.py, get_models'
    `if provider:` block and get_developer_models); an empty value selects everything. So only a row that
    names a `provider_slug` of another developer AND lacks the prefix is wrong: a row without a slug cannot be
    judged (id formats differ per gateway)."""
    wanted = normalize_developer(provider).casefold()
    if not wanted:
        return []
    other = [r.get("id") for r in rows if isinstance(r, dict) and _names_other_developer(r, wanted)]
    if not other:
        return []
    return [Finding("provider-filter", f"{len(other)} rows are neither under '{wanted}/' nor from provider_slug "
                                       f"{wanted!r}", request, sample(other))]


def _names_other_developer(row: dict[str, Any], wanted: str) -> bool:
    model_id, slug = row.get("id"), row.get("provider_slug")
    if isinstance(model_id, str) and model_id.casefold().startswith(wanted + "/"):
        return False
    return isinstance(slug, str) and bool(slug) and normalize_developer(slug).casefold() != wanted
