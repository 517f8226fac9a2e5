"""Bounded pagination walks over a catalog, the two ways APIs page: by offset (`walk`, following the API's own
`next_offset`: Gatewayz) and by cursor (`cursor_walk`, following `last_id` while `has_more`: Anthropic). A
dialect picks the strategy its API pages by (`Dialect.walk`).

The pager never loops forever: it stops on the first page that is not usable, on a cursor that does not
advance (an offset not past the last, a `last_id` already followed) or goes negative, on `has_more` without a
cursor or with an empty page, and after `max_pages`. Each stop other than a clean end is recorded as a finding
with the page that shows it, so a lying cursor (B6) is a contract failure instead of a hung CI job.
"""

from __future__ import annotations

from collections.abc import Callable

from gateway_contracts.data.exchange import Exchange
from gateway_contracts.data.findings import Finding
from gateway_contracts.data.jsontypes import is_int
from gateway_contracts.data.pages import Page, Walk

__all__ = ["CursorFetch", "Fetch", "Page", "Walk", "cursor_walk", "walk"]  # Page and Walk: the data layer's

Fetch = Callable[[int, int], Exchange]  # (offset, limit) -> the recorded exchange
CursorFetch = Callable[[str | None, int], Exchange]  # (the cursor to read after, None first; limit) -> exchange


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


def cursor_walk(fetch: CursorFetch, *, limit: int, max_pages: int) -> Walk:
    """Every page of a cursor-paged catalog: the first page, then the page after each page's `last_id` while it
    says `has_more`, never following a cursor twice."""
    pages: list[Page] = []
    followed: set[str] = set()
    cursor: str | None = None
    while True:
        read = sum(len(p.rows) for p in pages)
        page = Page(offset=read, limit=limit, exchange=fetch(cursor, limit), after=cursor)
        pages.append(page)
        stop = _why_stop_cursor(page, followed, len(pages), max_pages)
        if stop is None:
            cursor = page.envelope["last_id"]  # type: ignore[index]
            followed.add(cursor)  # type: ignore[arg-type]
            continue
        return Walk(limit=limit, pages=tuple(pages), findings=(stop,) if stop.message else ())


_DONE = Finding("pager", "")  # a clean end of the walk: not a finding


def _unusable(page: Page, where: str) -> Finding | None:
    if page.usable:
        return None
    what = page.exchange.json_error or "no `data` list"
    if page.exchange.status is not None and page.exchange.status != 200:
        what = f"HTTP {page.exchange.status}: {page.exchange.excerpt(120)}"
    return Finding("pager", f"the walk stopped at {where}: the page is unusable ({what})", page.exchange.describe())


def _why_stop_cursor(page: Page, followed: set[str], count: int, max_pages: int) -> Finding | None:
    """None to continue after `last_id`; `_DONE` at a clean end; otherwise the anomaly."""
    request = page.exchange.describe()
    where = "the first page" if page.after is None else f"the page after {page.after!r}"
    unusable = _unusable(page, where)
    if unusable is not None:
        return unusable
    envelope = page.envelope or {}
    if envelope.get("has_more") is not True:
        return _DONE
    last_id = envelope.get("last_id")
    if not page.rows:
        return Finding("pager", f"has_more is true but {where} is empty: it promises rows it does not serve",
                       request, (f"after_id={page.after}", f"last_id={last_id!r}"))
    if not isinstance(last_id, str) or not last_id:
        return Finding("pager", f"has_more is true but last_id is {last_id!r}, not a cursor", request)
    if last_id in followed:
        return Finding(
            "pager",
            f"the cursor repeats: last_id {last_id!r} of {where} was already followed; a client following it "
            "would loop forever",
            request,
            (f"after_id={page.after}", f"last_id={last_id}"),
        )
    if count >= max_pages:
        return Finding("pager", f"more than {max_pages} pages (has_more still true after {last_id!r}); the walk "
                                "is bounded", request)
    return None


def _why_stop(page: Page, count: int, max_pages: int) -> Finding | None:
    """None to continue to `next_offset`; `_DONE` at a clean end; otherwise the anomaly."""
    request = page.exchange.describe()
    unusable = _unusable(page, f"offset {page.offset}")
    if unusable is not None:
        return unusable
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
