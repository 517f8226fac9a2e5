"""Search answers (`GET /v1/models/search`): `meta` arithmetic and echoes, and every hit can contain `q` (pure;
the fuzz checks feed them fuzzed answers)."""

from __future__ import annotations

from typing import Any

from gateway_contracts.data.findings import Finding, sample
from gateway_contracts.data.jsontypes import is_int

# What search matches `q` against (gatewayz-backend src/routes/catalog.py, search_models' text filter: id, name,
# description, provider); provider_slug too, as a consumer reads "provider" (demanding less is never wrong).
SEARCHED_FIELDS = ("id", "name", "description", "provider", "provider_slug")


def search_may_match(row: dict[str, Any], needle: str) -> bool:
    """Whether a search hit can contain `q` (case-insensitively) in a searched field. A row that does not serve
    its `description` cannot be judged: the server may have matched the description it did not send."""
    folded = needle.casefold()
    if not folded or "description" not in row:
        return True
    # casefold matches whatever lower() matches (the backend's comparison), and a little more
    return any(isinstance(row.get(f), str) and folded in row[f].casefold() for f in SEARCHED_FIELDS)


def search_answer(body: dict[str, Any], *, offset: int, limit: int, needle: str,
                  request: str | None = None) -> list[Finding]:
    """A 200 search body for `offset`, `limit` and `q=needle`: `data` rows and integer `meta.total` and
    `meta.returned`; `returned` counts the rows, `meta` echoes offset and limit, the page holds
    `min(limit, total - offset)` rows, and every row may contain `q` in a searched field."""
    rows = body.get("data")
    meta = body.get("meta")
    if not isinstance(rows, list) or not isinstance(meta, dict) or not all(
            is_int(meta.get(k)) for k in ("total", "returned")):
        return [Finding("search", "expected 'data' rows and integer meta.total and meta.returned", request)]
    total, returned = meta["total"], meta["returned"]
    problems = []
    if returned != len(rows):
        problems.append(f"meta.returned is {returned} but data holds {len(rows)} rows")
    if meta.get("offset") != offset or meta.get("limit") != limit:
        problems.append(f"meta echoes offset {meta.get('offset')!r} limit {meta.get('limit')!r}, the request "
                        f"asked for offset {offset} limit {limit}")
    expected = max(0, min(limit, total - offset))
    if len(rows) != expected:
        problems.append(f"{len(rows)} rows, expected {expected} (min(limit, total {total} - offset {offset}))")
    findings = [Finding("search", "; ".join(problems), request)] if problems else []
    misses = [r.get("id") for r in rows if isinstance(r, dict) and not search_may_match(r, needle)]
    if misses:
        findings.append(Finding("search", f"{len(misses)} rows contain q={needle!r} in none of "
                                          f"{', '.join(SEARCHED_FIELDS)}", request, sample(misses)))
    return findings
