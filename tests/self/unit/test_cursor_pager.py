"""The cursor pager (`pager.cursor_walk`) follows `last_id` while `has_more`, and always stops: a cursor that
repeats, `has_more` over an empty page, a missing cursor and more than max_pages are findings; the cursor page
invariants (`cursor_ids_agree`, `nothing_after_last`) catch a page naming the wrong ids and a `has_more` that
said false too early."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from gateway_contracts.data.exchange import Exchange
from gateway_contracts.invariants.pagination import cursor_ids_agree, nothing_after_last
from gateway_contracts.pager import cursor_walk
from tests.self.strategies import FAST, exchange

IDS = [f"model-{i}" for i in range(10)]


def _body(ids: list[str], has_more: bool) -> dict[str, Any]:
    return {"data": [{"type": "model", "id": i} for i in ids], "has_more": has_more,
            "first_id": ids[0] if ids else None, "last_id": ids[-1] if ids else None}


def lister(ids: list[str], *, calls: list[tuple[str | None, int]] | None = None, lie: str = "") -> Any:
    """A cursor-paged list of `ids`; `lie`: `repeat` (every page after the second is the second), `false` (the first
    page says has_more false), `true` (the last page says has_more true)."""
    def fetch(after: str | None, limit: int) -> Exchange:
        if calls is not None:
            calls.append((after, limit))
        start = ids.index(after) + 1 if after is not None else 0
        if lie == "repeat" and start > limit:
            start = limit
        page = ids[start:start + limit]
        has_more = start + limit < len(ids)
        has_more = False if lie == "false" and after is None else True if lie == "true" and not has_more else has_more
        return exchange(_body(page, has_more), request_url=f"http://t/v1/models?limit={limit}&after_id={after}")

    return fetch


def test_a_clean_walk_follows_last_id_until_has_more_is_false() -> None:
    calls: list[tuple[str | None, int]] = []
    result = cursor_walk(lister(IDS, calls=calls), limit=4, max_pages=10)
    assert calls == [(None, 4), ("model-3", 4), ("model-7", 4)]
    assert result.complete
    assert result.ids == IDS
    assert [p.after for p in result.pages] == [None, "model-3", "model-7"]
    assert [p.offset for p in result.pages] == [0, 4, 8]
    assert cursor_ids_agree(result.pages) == []


@FAST
@given(st.integers(0, 30), st.integers(1, 12))
def test_any_list_is_walked_completely_and_nothing_follows_its_end(size: int, limit: int) -> None:
    ids = [f"m{i}" for i in range(size)]
    result = cursor_walk(lister(ids), limit=limit, max_pages=1000)
    assert result.complete
    assert result.ids == ids
    assert cursor_ids_agree(result.pages) == []
    last = (result.pages[-1].envelope or {}).get("last_id")
    if last is not None:
        after = lister(ids)(last, limit)
        assert nothing_after_last(after.json, after=last) == []


def test_a_repeated_cursor_stops_the_walk() -> None:
    result = cursor_walk(lister(IDS, lie="repeat"), limit=4, max_pages=50)
    assert len(result.pages) == 3  # the third page repeats the second: its last_id was followed already
    (finding,) = result.findings
    assert finding.invariant == "pager"
    assert "the cursor repeats: last_id 'model-7'" in finding.message


def test_has_more_over_an_empty_page_stops_the_walk() -> None:
    result = cursor_walk(lister(IDS, lie="true"), limit=5, max_pages=50)
    (finding,) = result.findings
    assert "has_more is true but the page after 'model-9' is empty" in finding.message
    assert result.ids == IDS


def test_has_more_false_too_early_is_caught_after_the_last_page() -> None:
    fetch = lister(IDS, lie="false")
    result = cursor_walk(fetch, limit=4, max_pages=50)
    assert result.complete
    assert result.ids == IDS[:4]  # the walk believed it
    (finding,) = nothing_after_last(fetch("model-3", 4).json, after="model-3")
    assert finding.invariant == "after-last"
    assert "4 rows, expected none" in finding.message


def test_the_walk_is_bounded_by_max_pages() -> None:
    result = cursor_walk(lister(IDS), limit=1, max_pages=3)
    assert len(result.pages) == 3
    (finding,) = result.findings
    assert "more than 3 pages" in finding.message


def test_a_missing_cursor_and_an_unusable_page_are_findings() -> None:
    no_cursor = cursor_walk(lambda after, limit: exchange({**_body(["a"], True), "last_id": None}), limit=1,
                            max_pages=5)
    assert "last_id is None, not a cursor" in no_cursor.findings[0].message
    broken = cursor_walk(lambda after, limit: exchange({"error": "x"}, status=500), limit=1, max_pages=5)
    assert "the walk stopped at the first page: the page is unusable (HTTP 500" in broken.findings[0].message


def test_a_page_naming_other_ids_is_a_finding() -> None:
    wrong = {**_body(["a", "b"], False), "last_id": "a"}
    result = cursor_walk(lambda after, limit: exchange(wrong), limit=2, max_pages=5)
    (finding,) = cursor_ids_agree(result.pages)
    assert finding.invariant == "cursor-ids"
    assert "first_id/last_id are 'a'/'a', the page's rows run from 'a' to 'b'" in finding.message
    stringly = cursor_walk(lambda after, limit: exchange({**_body([], False), "has_more": "false"}), limit=2,
                           max_pages=5)
    assert "has_more is 'false', not a boolean" in cursor_ids_agree(stringly.pages)[0].message
