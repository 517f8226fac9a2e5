"""Bounded pagination walk over a catalog, following the API's own `next_offset`.

The pager never loops forever: it stops on the first page that is not a usable envelope, on a cursor
that does not advance or goes negative, on `has_more` without a cursor, and after `max_pages`. Each stop
other than a clean end is recorded as a finding with the page that shows it, so a lying cursor (B6) is
a contract failure instead of a hung CI job.
"""

from __future__ import annotations

from collections.abc import Callable

from gateway_contracts.data.exchange import Exchange
from gateway_contracts.data.findings import Finding
from gateway_contracts.data.jsontypes import is_int
from gateway_contracts.data.pages import Page, Walk

__all__ = ["Fetch", "Page", "Walk", "walk"]  # Page and Walk live in the data layer; importable here too

Fetch = Callable[[int, int], Exchange]  # (offset, limit) -> the recorded exchange


def walk(fetch: Fetch, *, limit: int, max_pages: int, start: int = 0) -> Walk:
    pages: list[Page] = []
    offset = start
    while True:
        page = Page(offset=offset, limit=limit, exchange=fetch(offset, limit))
        pages.append(page)
        stop = _why_stop(page, len(pages), max_pages)
        if stop is None:
            offset = page.envelope["next_offset"]  # type: ignore[index]
            continue
        return Walk(limit=limit, pages=tuple(pages), findings=(stop,) if stop.message else ())


_DONE = Finding("pager", "")  # a clean end of the walk: not a finding


def _why_stop(page: Page, count: int, max_pages: int) -> Finding | None:
    """None to continue to `next_offset`; `_DONE` at a clean end; otherwise the anomaly."""
    request = page.exchange.describe()
    if not page.usable:
        what = page.exchange.json_error or "no `data` list"
        if page.exchange.status is not None and page.exchange.status != 200:
            what = f"HTTP {page.exchange.status}: {page.exchange.excerpt(120)}"
        return Finding("pager", f"the walk stopped at offset {page.offset}: the page is unusable ({what})", request)
    envelope = page.envelope or {}
    if envelope.get("has_more") is not True:
        return _DONE
    next_offset = envelope.get("next_offset")
    if not is_int(next_offset):
        return Finding("pager", f"has_more is true but next_offset is {next_offset!r}, not an offset", request)
    if next_offset < 0:
        return Finding(
            "pager",
            f"negative next_offset {next_offset} after offset {page.offset}",
            request,
            (f"next_offset={next_offset}",),
        )
    if next_offset <= page.offset:
        return Finding(
            "pager",
            f"next_offset {next_offset} does not advance past offset {page.offset}: a client following it "
            "would loop forever",
            request,
            (f"offset={page.offset}", f"next_offset={next_offset}"),
        )
    if count >= max_pages:
        return Finding(
            "pager",
            f"more than {max_pages} pages (has_more still true at offset {next_offset}); the walk is bounded",
            request,
        )
    return None
