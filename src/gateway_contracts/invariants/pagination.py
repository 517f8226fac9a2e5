"""Pagination invariants over the pages of a walk (R03, R16, R17, B6): offset pages (Gatewayz) and cursor pages
(`has_more`, `first_id`, `last_id`: Anthropic)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from gateway_contracts.data.findings import Finding, sample
from gateway_contracts.data.pages import Page


def page_sizes(pages: Sequence[Page], *, total: int | None) -> list[Finding]:
    """Each page holds `min(limit, total - offset)` rows: no silent cap (R16), no ignored limit (R17)."""
    if total is None:
        return []
    findings = []
    for page in pages:
        if not page.usable:
            continue
        expected = max(0, min(page.limit, total - page.offset))
        if len(page.rows) != expected:
            findings.append(
                Finding(
                    "page-size",
                    f"offset={page.offset} limit={page.limit}: {len(page.rows)} rows, expected {expected} "
                    f"(min(limit, total {total} - offset))",
                    page.exchange.describe(),
                )
            )
    return findings


def pages_disjoint(pages: Sequence[Page]) -> list[Finding]:
    """No id is served on two pages of one walk (an offset ignored upstream repeats rows, R01-R03)."""
    seen: dict[Any, int] = {}
    overlaps: list[str] = []
    first_bad: Page | None = None
    for page in pages:
        for row in page.rows:
            model_id = row.get("id") if isinstance(row, dict) else None
            if model_id in seen and seen[model_id] != page.offset:
                overlaps.append(f"{model_id!r} at offsets {seen[model_id]} and {page.offset}")
                first_bad = first_bad or page
            seen.setdefault(model_id, page.offset)
    if not overlaps:
        return []
    return [
        Finding(
            "pages-disjoint",
            f"{len(overlaps):,} ids appear on more than one page",
            first_bad.exchange.describe() if first_bad else None,
            # Already-formatted lines (the id is quoted inside): not through `sample`, which would quote them again.
            tuple(overlaps[:3]) + ((f"(+{len(overlaps) - 3} more)",) if len(overlaps) > 3 else ()),
        )
    ]


def union_matches(
    page_ids: Sequence[Any], catalog_ids: Sequence[Any], *, total: int | None, limit: int, request: str | None = None
) -> list[Finding]:
    """Walking with a small limit yields the same catalog, and as many rows as `total` (R03)."""
    findings = []
    if total is not None and len(page_ids) != total:
        findings.append(
            Finding(
                "pages-union",
                f"walking with limit={limit} yielded {len(page_ids):,} rows, total says {total:,}",
                request,
            )
        )
    missing = set(catalog_ids) - set(page_ids)
    extra = set(page_ids) - set(catalog_ids)
    if missing or extra:
        findings.append(
            Finding(
                "pages-union",
                f"the pages of limit={limit} differ from the catalog walked at the maximum limit: "
                f"{len(missing):,} ids missing, {len(extra):,} extra",
                request,
                sample(sorted(map(str, missing)) + sorted(map(str, extra)), 4),
            )
        )
    return findings


def past_end_is_empty(body: Any, *, offset: int, request: str | None = None) -> list[Finding]:
    """An offset at or past the end answers `data: []`, `has_more: false` (not the first page again)."""
    if not isinstance(body, dict):
        return [
            Finding(
                "past-end", f"offset={offset} past the end: expected an envelope, got {type(body).__name__}", request
            )
        ]
    data = body.get("data")
    problems = []
    if data != []:
        problems.append(f"data has {len(data) if isinstance(data, list) else repr(data)} rows, expected []")
    if body.get("has_more") is not False:
        problems.append(f"has_more is {body.get('has_more')!r}, expected false")
    if body.get("next_offset") is not None:
        problems.append(f"next_offset is {body.get('next_offset')!r}, expected null")
    return [Finding("past-end", f"offset={offset} past the end: " + "; ".join(problems), request)] if problems else []


def _page_keys(body: Any) -> list[Any] | None:
    rows = body.get("data") if isinstance(body, dict) else None
    if not isinstance(rows, list):
        return None
    return [(r.get("id"), r.get("source_gateway")) if isinstance(r, dict) else repr(r) for r in rows]


def same_page_twice(first: Any, second: Any, *, request: str | None = None) -> list[Finding]:
    """The same request, read twice, lists the same rows in the same order. A consumer pages with
    offset/limit: if the order changes between reads (the backend's `all` follows thread completion when it
    rebuilds), its pages silently skip and repeat rows. Answers that are not both lists are other contracts'."""
    before, after = _page_keys(first), _page_keys(second)
    if before is None or after is None or before == after:
        return []
    missing = [k for k in before if k not in set(after)]
    moved = sum(1 for a, b in zip(before, after, strict=False) if a != b)
    what = (f"{len(missing)} of the first read's {len(before)} rows are absent from the second"
            if missing or len(before) != len(after) else f"{moved} of {len(before)} rows at another position")
    return [Finding("same-page", f"the same request listed another page when read again: {what}", request,
                    sample([str(k[0]) if isinstance(k, tuple) else k for k in (missing or before)]))]


# -- cursor pages ------------------------------------------------------------------------------------------


def _id(row: Any) -> Any:
    return row.get("id") if isinstance(row, dict) else None


def cursor_ids_agree(pages: Sequence[Page]) -> list[Finding]:
    """Each cursor page says `has_more` (a boolean) and names its own first and last rows: `first_id` and
    `last_id` are the ids of `data`'s first and last rows, both null for an empty page (a client continues after
    `last_id`: one naming another row skips or repeats rows)."""
    findings = []
    for page in pages:
        body = page.envelope
        if not page.usable or body is None:
            continue  # the pager reports an unusable page
        rows = page.rows
        expected = (_id(rows[0]), _id(rows[-1])) if rows else (None, None)
        got = (body.get("first_id"), body.get("last_id"))
        problems = []
        if not isinstance(body.get("has_more"), bool):
            problems.append(f"has_more is {body.get('has_more')!r}, not a boolean")
        if got != expected:
            problems.append(f"first_id/last_id are {got[0]!r}/{got[1]!r}, the page's rows run from "
                            f"{expected[0]!r} to {expected[1]!r}")
        if problems:
            findings.append(Finding("cursor-ids", "; ".join(problems), page.exchange.describe()))
    return findings


def nothing_after_last(body: Any, *, after: str, request: str | None = None) -> list[Finding]:
    """The page after the last page's `last_id` lists nothing, with `has_more` false: the walk ended because
    the list did, not because `has_more` said false while more models exist."""
    if not isinstance(body, dict):
        return [Finding("after-last", f"after_id={after!r} did not answer a JSON object", request)]
    rows = body.get("data")
    problems = []
    if rows != []:
        problems.append(f"data has {len(rows) if isinstance(rows, list) else repr(rows)} rows, expected none: "
                        "has_more was false while more models exist")
    if body.get("has_more") is not False:
        problems.append(f"has_more is {body.get('has_more')!r}, expected false")
    found = [_id(r) for r in rows] if isinstance(rows, list) else []
    return [Finding("after-last", f"after the last page (after_id={after!r}): " + "; ".join(problems), request,
                    sample(found))] if problems else []
