"""The pager follows the API's own cursor and always stops: stalls, negative and endless cursors are findings (B6)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway_contracts.data.exchange import Exchange
from gateway_contracts.pager import Page, Walk, walk
from tests.self.strategies import FAST, catalog_fetch, catalogs, envelope, exchange, thin_catalogs, url

ROWS = [{"id": f"org/model-{i}", "name": f"M{i}", "source_gateway": "deepinfra"} for i in range(10)]


def _fetch_of(bodies: dict[int, Any], calls: list[tuple[int, int]], *, status: int = 200) -> Any:
    def fetch(offset: int, limit: int) -> Exchange:
        calls.append((offset, limit))
        return exchange(bodies[offset], status=status, request_url=url(offset, limit))

    return fetch


# -- clean walks ----------------------------------------------------------------------------------


def test_a_clean_multi_page_walk_follows_next_offset() -> None:
    calls: list[tuple[int, int]] = []
    result = walk(catalog_fetch(ROWS, calls=calls), limit=4, max_pages=10)
    assert calls == [(0, 4), (4, 4), (8, 4)]
    assert result.complete
    assert result.findings == ()
    assert [p.offset for p in result.pages] == [0, 4, 8]
    assert result.ids == [r["id"] for r in ROWS]
    assert result.rows == ROWS
    assert result.total == 10
    assert result.limit == 4
    assert result.first is result.pages[0].exchange


@FAST
@given(catalogs("deepinfra", max_size=30), st.integers(1, 12))
def test_any_catalog_is_walked_completely_one_full_page_at_a_time(rows: list[dict[str, Any]], limit: int) -> None:
    calls: list[tuple[int, int]] = []
    result = walk(catalog_fetch(rows, calls=calls), limit=limit, max_pages=1000)
    assert result.complete
    assert result.ids == [r["id"] for r in rows]
    # Each request asks for the rows not yet read; every page but the last is full; nothing is read twice.
    read = 0
    for (offset, asked), walked in zip(calls, result.pages, strict=True):
        assert (offset, asked) == (read, limit)
        read += len(walked.rows)
    assert read == len(rows)
    assert all(len(p.rows) == limit for p in result.pages[:-1])
    assert 0 < len(result.pages[-1].rows) <= limit or rows == []


def test_an_empty_catalog_is_one_clean_page() -> None:
    result = walk(catalog_fetch([]), limit=5, max_pages=3)
    assert result.complete
    assert len(result.pages) == 1
    assert result.rows == []
    assert result.total == 0


def test_the_walk_can_start_at_an_offset() -> None:
    calls: list[tuple[int, int]] = []
    result = walk(catalog_fetch(ROWS, calls=calls), limit=5, max_pages=5, start=3)
    assert calls == [(3, 5), (8, 5)]
    assert result.ids == [r["id"] for r in ROWS[3:]]


def test_a_cursor_that_skips_rows_is_followed_and_left_to_the_invariants() -> None:
    # The pager follows next_offset as the API says; page_sizes/union_matches judge the result.
    calls: list[tuple[int, int]] = []
    result = walk(
        catalog_fetch(ROWS, calls=calls, mutate=lambda b, o, lim: {**b, "next_offset": b["next_offset"] and o + 6}),
        limit=3,
        max_pages=10,
    )
    assert result.complete
    assert calls == [(0, 3), (6, 3), (12, 3)]
    assert result.ids == [r["id"] for r in ROWS[:3] + ROWS[6:9]]


# -- cursors that lie -----------------------------------------------------------------------------


@FAST
@given(thin_catalogs(min_size=2, max_size=30), st.data())
def test_a_stalled_cursor_stops_the_walk_naming_the_offset(rows: list[dict[str, Any]], data: st.DataObject) -> None:
    limit = data.draw(st.integers(1, len(rows) - 1))
    starts = list(range(0, len(rows), limit))  # where a clean walk's pages begin
    with_more = [o for o in starts if rows[o + limit :]]  # pages with rows after them
    stall_at = data.draw(st.sampled_from(with_more))
    calls: list[tuple[int, int]] = []

    def mutate(body: dict[str, Any], offset: int, lim: int) -> dict[str, Any]:
        return {**body, "next_offset": offset} if offset == stall_at else body

    result = walk(catalog_fetch(rows, calls=calls, mutate=mutate), limit=limit, max_pages=1000)
    assert not result.complete
    assert calls == [(o, limit) for o in starts if o <= stall_at]
    (finding,) = result.findings
    assert finding.invariant == "pager"
    assert finding.message.startswith(f"next_offset {stall_at} does not advance past offset {stall_at}")
    assert finding.evidence == (f"offset={stall_at}", f"next_offset={stall_at}")
    assert finding.request == result.pages[-1].exchange.describe()


def test_a_cursor_that_goes_backwards_is_a_stall() -> None:
    bodies = {0: envelope(ROWS, 0, 4), 4: {**envelope(ROWS, 4, 4), "next_offset": 2}}
    calls: list[tuple[int, int]] = []
    result = walk(_fetch_of(bodies, calls), limit=4, max_pages=10)
    assert calls == [(0, 4), (4, 4)]
    assert result.findings[0].evidence == ("offset=4", "next_offset=2")


def test_a_negative_next_offset_stops_the_walk() -> None:
    # B6: offset=-5 -> 200, tail rows, has_more true, next_offset -2.
    tail = {**envelope(ROWS, 0, 3), "data": ROWS[-5:-2], "offset": -5, "next_offset": -2}
    calls: list[tuple[int, int]] = []
    result = walk(_fetch_of({-5: tail}, calls), limit=3, max_pages=10, start=-5)
    assert calls == [(-5, 3)]
    (finding,) = result.findings
    assert finding.message == "negative next_offset -2 after offset -5"
    assert finding.evidence == ("next_offset=-2",)
    assert "offset=-5" in (finding.request or "")


@pytest.mark.parametrize("cursor", [None, "4", 4.0, True, [4]])
def test_has_more_without_a_usable_next_offset_stops_the_walk(cursor: Any) -> None:
    calls: list[tuple[int, int]] = []
    body = {**envelope(ROWS, 0, 4), "next_offset": cursor}
    if cursor is None:
        del body["next_offset"]
    result = walk(_fetch_of({0: body}, calls), limit=4, max_pages=10)
    assert calls == [(0, 4)]
    (finding,) = result.findings
    assert finding.message == f"has_more is true but next_offset is {cursor!r}, not an offset"


@pytest.mark.parametrize("max_pages", [1, 2, 7, 50])
def test_a_never_ending_cursor_is_bounded_by_max_pages(max_pages: int) -> None:
    # An upstream that always says there is more: the walk ends after max_pages fetches, never hangs.
    calls: list[tuple[int, int]] = []

    def endless(offset: int, limit: int) -> Exchange:
        calls.append((offset, limit))
        rows = [{"id": f"m/{offset + i}"} for i in range(limit)]
        body = {**envelope(rows, 0, limit), "offset": offset, "total": 10**9, "has_more": True,
                "next_offset": offset + limit}
        return exchange(body, request_url=url(offset, limit))

    result = walk(endless, limit=5, max_pages=max_pages)
    assert len(calls) == max_pages
    assert len(result.pages) == max_pages
    (finding,) = result.findings
    assert finding.message == (
        f"more than {max_pages} pages (has_more still true at offset {max_pages * 5}); the walk is bounded"
    )
    assert finding.request == result.pages[-1].exchange.describe()


def test_a_catalog_of_exactly_max_pages_pages_is_complete() -> None:
    calls: list[tuple[int, int]] = []
    result = walk(catalog_fetch(ROWS, calls=calls), limit=5, max_pages=2)
    assert result.complete
    assert len(calls) == 2


# -- pages the pager cannot read ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "body", "content_type", "what"),
    [
        (503, {"detail": "Unavailable"}, "application/json", 'HTTP 503: {"detail": "Unavailable"}'),
        (404, {"detail": "Not Found"}, "application/json", 'HTTP 404: {"detail": "Not Found"}'),
        (502, "<html><body>Bad gateway</body></html>", "text/html", "HTTP 502: <html><body>Bad gateway</body></html>"),
        (200, "<!DOCTYPE html><html>maintenance</html>", "text/html", "not JSON (Expecting value at character 0)"),
        (200, {}, "application/json", "no `data` list"),
        (200, "", "application/json", "not JSON (Expecting value at character 0)"),
        (200, {"models": []}, "application/json", "no `data` list"),
        (200, [{"id": "a/b"}], "application/json", "no `data` list"),
    ],
)
def test_an_unusable_page_stops_the_walk_with_the_reason(
    status: int, body: Any, content_type: str, what: str
) -> None:
    calls: list[tuple[int, int]] = []
    first = envelope(ROWS, 0, 4)

    def fetch(offset: int, limit: int) -> Exchange:
        calls.append((offset, limit))
        if offset == 0:
            return exchange(first, request_url=url(offset, limit))
        text = body if isinstance(body, str) else json.dumps(body)
        return Exchange("GET", url(offset, limit), status, content_type, text=text)

    result = walk(fetch, limit=4, max_pages=10)
    assert calls == [(0, 4), (4, 4)]
    assert not result.complete
    (finding,) = result.findings
    assert finding.message == f"the walk stopped at offset 4: the page is unusable ({what})"
    assert finding.request == result.pages[-1].exchange.describe()
    assert result.ids == [r["id"] for r in ROWS[:4]]  # the rows read so far are kept as evidence


def test_no_answer_at_all_stops_the_walk() -> None:
    def fetch(offset: int, limit: int) -> Exchange:
        return Exchange("GET", url(offset, limit), None, error="connection refused")

    result = walk(fetch, limit=4, max_pages=10)
    (finding,) = result.findings
    assert finding.message == "the walk stopped at offset 0: the page is unusable (no response)"
    assert "no answer (connection refused)" in (finding.request or "")
    assert result.total is None
    assert result.rows == []


def test_a_walk_with_no_pages_has_no_total_or_first() -> None:
    empty = Walk(limit=5, pages=())
    assert empty.total is None
    assert empty.first is None
    assert empty.complete


@pytest.mark.parametrize("total", ["10", True, None, 1.5])
def test_a_total_that_is_not_an_integer_is_none(total: Any) -> None:
    result = walk(catalog_fetch(ROWS, mutate=lambda b, o, lim: {**b, "total": total}), limit=20, max_pages=2)
    assert result.total is None


def test_page_rows_of_a_non_object_row_list() -> None:
    page = Page(0, 3, exchange({**envelope([], 0, 3), "data": ["a/b", 3, {"id": "c/d"}]}))
    assert page.usable
    assert page.rows == ["a/b", 3, {"id": "c/d"}]
    assert Walk(limit=3, pages=(page,)).ids == [None, None, "c/d"]
