"""Pagination invariants over the pages of a walk: sizes, disjointness, union, past the end (R01-R03, R16, R17)."""

from __future__ import annotations

from typing import Any

from hypothesis import assume, given
from hypothesis import strategies as st

from gateway_contracts.data.findings import Finding
from gateway_contracts.invariants.envelope import check_envelope
from gateway_contracts.invariants.pagination import (
    page_sizes,
    pages_disjoint,
    past_end_is_empty,
    same_page_twice,
    union_matches,
)
from gateway_contracts.pager import Page, walk
from tests.self.strategies import FAST, catalog_fetch, catalogs, envelope, page, thin_catalogs, walk_pages

limits = st.integers(1, 25)
catalog_and_limit = st.tuples(thin_catalogs(max_size=40), limits)


def _ids(pages: list[Page]) -> list[Any]:
    return [row["id"] for p in pages for row in p.rows]


def _single(findings: list[Finding], invariant: str) -> Finding:
    assert len(findings) == 1, [f.render() for f in findings]
    assert findings[0].invariant == invariant
    return findings[0]


# -- a clean walk passes everything ---------------------------------------------------------------


@FAST
@given(catalogs("deepinfra", max_size=30), limits)
def test_a_clean_walk_of_any_catalog_at_any_limit_has_no_findings(rows: list[dict[str, Any]], limit: int) -> None:
    result = walk(catalog_fetch(rows), limit=limit, max_pages=100)
    pages = list(result.pages)
    assert result.complete
    assert result.ids == [r["id"] for r in rows]
    assert result.total == len(rows)
    for p in pages:
        assert check_envelope(p.envelope, offset=p.offset, limit=p.limit, gateway="deepinfra") == []
    assert page_sizes(pages, total=result.total) == []
    assert pages_disjoint(pages) == []
    assert union_matches(result.ids, [r["id"] for r in rows], total=result.total, limit=limit) == []
    past = envelope(rows, len(rows), 1)
    assert past_end_is_empty(past, offset=len(rows)) == []


@FAST
@given(catalog_and_limit, limits)
def test_walks_at_two_limits_yield_the_same_catalog(case: tuple[list[dict[str, Any]], int], small: int) -> None:
    rows, limit = case
    full = _ids(walk_pages(rows, limit))
    assert union_matches(_ids(walk_pages(rows, small)), full, total=len(rows), limit=small) == []


# -- page sizes (R16, R17) ------------------------------------------------------------------------


@FAST
@given(catalog_and_limit, st.data())
def test_a_silent_page_cap_is_reported_with_offset_and_limit(
    case: tuple[list[dict[str, Any]], int], data: st.DataObject
) -> None:
    # R16: limit=50000 gave 500 rows; here some page holds fewer rows than min(limit, total - offset).
    rows, limit = case
    pages = walk_pages(rows, limit)
    full = [p for p in pages if p.rows]
    assume(full)
    victim = data.draw(st.sampled_from(full))
    keep = data.draw(st.integers(0, len(victim.rows) - 1))
    capped_body = {**victim.envelope, "data": victim.rows[:keep], "returned": keep}
    capped = page(capped_body, victim.offset, victim.limit)
    pages = [capped if p is victim else p for p in pages]
    finding = _single(page_sizes(pages, total=len(rows)), "page-size")
    expected = len(rows[victim.offset : victim.offset + limit])  # the rows that window covers
    assert finding.message == (
        f"offset={victim.offset} limit={limit}: {keep} rows, expected {expected} "
        f"(min(limit, total {len(rows)} - offset))"
    )
    assert finding.request == capped.exchange.describe()
    assert f"offset={victim.offset}" in (finding.request or "")


@FAST
@given(thin_catalogs(min_size=2, max_size=40), st.data())
def test_an_ignored_limit_is_reported_with_offset_and_limit(rows: list[dict[str, Any]], data: st.DataObject) -> None:
    # R17: the whole catalog whatever the limit.
    limit = data.draw(st.integers(1, len(rows) - 1))
    body = {**envelope(rows, 0, limit), "data": rows, "returned": len(rows)}
    finding = _single(page_sizes([page(body, 0, limit)], total=len(rows)), "page-size")
    assert finding.message.startswith(f"offset=0 limit={limit}: {len(rows)} rows, expected {limit} ")


def test_the_r03_shape_is_reported_on_every_short_page() -> None:
    # R03: upstream ignores offset, capped at 100: offset 0 -> 100 rows, offset 100 -> 1 row, total 1,350.
    rows = [{"id": f"hf/m{i}"} for i in range(1350)]
    first = page({**envelope(rows, 0, 1000), "data": rows[:100], "returned": 100}, 0, 1000)
    second = page({**envelope(rows, 1000, 1000), "data": rows[:1], "returned": 1}, 1000, 1000)
    findings = page_sizes([first, second], total=1350)
    assert [f.message.split(":")[0] for f in findings] == ["offset=0 limit=1000", "offset=1000 limit=1000"]
    assert "100 rows, expected 1000" in findings[0].message
    assert "1 rows, expected 350" in findings[1].message


def test_unusable_pages_and_an_unknown_total_are_not_sized() -> None:
    broken = page({"detail": "Models data unavailable"}, 0, 10, status=503)
    assert page_sizes([broken], total=50) == []
    assert page_sizes([page(envelope([{"id": "a/b"}], 0, 10), 0, 10)], total=None) == []


def test_an_offset_past_the_end_expects_zero_rows() -> None:
    rows = [{"id": "a/b"}, {"id": "a/c"}]
    assert page_sizes([page(envelope(rows, 5, 10), 5, 10)], total=2) == []
    stale = page({**envelope(rows, 5, 10), "data": rows, "returned": 2}, 5, 10)
    assert "2 rows, expected 0" in _single(page_sizes([stale], total=2), "page-size").message


# -- disjoint pages (R01-R03) ---------------------------------------------------------------------


@FAST
@given(thin_catalogs(min_size=2, max_size=40), st.data())
def test_an_ignored_offset_repeats_rows_and_names_ids_and_offsets(
    rows: list[dict[str, Any]], data: st.DataObject
) -> None:
    # R02: an upstream that ignores offset serves its first page again at every offset.
    limit = data.draw(st.integers(1, len(rows) - 1))
    pages = walk_pages(rows, limit)
    first = pages[0]
    repeated = [first] + [page({**p.envelope, "data": first.rows}, p.offset, p.limit) for p in pages[1:]]
    finding = _single(pages_disjoint(repeated), "pages-disjoint")
    overlaps = len(first.rows) * (len(pages) - 1)
    assert finding.message == f"{overlaps:,} ids appear on more than one page"
    first_id = first.rows[0]["id"]
    assert finding.evidence[0] == f"{first_id!r} at offsets 0 and {pages[1].offset}"
    assert finding.request == repeated[1].exchange.describe()
    assert finding.evidence[3:] == ((f"(+{overlaps - 3} more)",) if overlaps > 3 else ())


def test_one_id_on_two_pages() -> None:
    a = page(envelope([{"id": "a/1"}, {"id": "a/2"}], 0, 2), 0, 2)
    b = page({**envelope([{"id": "x"}] * 4, 2, 2), "data": [{"id": "a/3"}, {"id": "a/2"}]}, 2, 2)
    finding = _single(pages_disjoint([a, b]), "pages-disjoint")
    assert finding.evidence == ("'a/2' at offsets 0 and 2",)


def test_a_duplicate_inside_one_page_is_left_to_no_duplicate_ids() -> None:
    a = page(envelope([{"id": "a/1"}, {"id": "a/1"}], 0, 2), 0, 2)
    assert pages_disjoint([a]) == []


# -- union of the pages (R03) ---------------------------------------------------------------------


@FAST
@given(thin_catalogs(min_size=1, max_size=40), limits, st.data())
def test_dropped_rows_are_named_and_the_total_disagrees(
    rows: list[dict[str, Any]], limit: int, data: st.DataObject
) -> None:
    catalog = [r["id"] for r in rows]
    dropped = data.draw(st.lists(st.sampled_from(catalog), min_size=1, unique=True))
    walked = [i for i in catalog if i not in dropped]
    findings = union_matches(walked, catalog, total=len(catalog), limit=limit, request="GET x -> 200")
    assert [f.invariant for f in findings] == ["pages-union", "pages-union"]
    count, diff = findings
    assert count.message == f"walking with limit={limit} yielded {len(walked):,} rows, total says {len(catalog):,}"
    assert diff.message.endswith(f"{len(dropped):,} ids missing, 0 extra")
    assert f"limit={limit}" in diff.message
    assert diff.evidence[: min(4, len(dropped))] == tuple(repr(m) for m in sorted(dropped)[:4])
    assert diff.request == "GET x -> 200"


@FAST
@given(thin_catalogs(max_size=40), st.integers(1, 1000), limits)
def test_a_total_that_disagrees_with_the_rows_walked_is_reported(
    rows: list[dict[str, Any]], delta: int, limit: int
) -> None:
    # B9: `total` ~994 where the pages hold more (or the other way round).
    ids = [r["id"] for r in rows]
    total = len(ids) + delta if delta % 2 or len(ids) < delta else len(ids) - delta
    finding = _single(union_matches(ids, ids, total=total, limit=limit), "pages-union")
    assert finding.message == f"walking with limit={limit} yielded {len(ids):,} rows, total says {total:,}"


def test_extra_ids_are_named() -> None:
    findings = union_matches(["a/1", "z/9"], ["a/1"], total=None, limit=1)
    finding = _single(findings, "pages-union")
    assert finding.message.endswith("0 ids missing, 1 extra")
    assert finding.evidence == ("'z/9'",)


# -- past the end ---------------------------------------------------------------------------------


def test_the_first_page_again_past_the_end_is_reported() -> None:
    rows = [{"id": f"a/{i}"} for i in range(5)]
    body = {**envelope(rows, 0, 1), "offset": 5}
    finding = _single(past_end_is_empty(body, offset=5, request="GET y -> 200"), "past-end")
    assert finding.message == (
        "offset=5 past the end: data has 1 rows, expected []; has_more is True, expected false; "
        "next_offset is 1, expected null"
    )
    assert finding.request == "GET y -> 200"


def test_past_the_end_without_data_or_an_envelope() -> None:
    assert "data has None rows" in _single(past_end_is_empty({"has_more": False}, offset=3), "past-end").message
    assert _single(past_end_is_empty("Not Found", offset=3), "past-end").message == (
        "offset=3 past the end: expected an envelope, got str"
    )


def _listing(*ids: str) -> dict:
    return {"data": [{"id": i, "source_gateway": "g"} for i in ids]}


def test_the_same_request_read_twice_must_list_the_same_page() -> None:
    assert same_page_twice(_listing("a", "b", "c"), _listing("a", "b", "c")) == []
    [moved] = same_page_twice(_listing("a", "b", "c"), _listing("b", "a", "c"), request="GET /v1/models")
    assert (moved.invariant, moved.request) == ("same-page", "GET /v1/models")
    assert moved.message.endswith("2 of 3 rows at another position")
    [lost] = same_page_twice(_listing("a", "b", "c"), _listing("a", "b", "d"))
    assert lost.message.endswith("1 of the first read's 3 rows are absent from the second")
    assert lost.evidence == ("'c'",)
    # Not two lists (an error, an HTML page): the status contracts report those.
    assert same_page_twice(_listing("a"), {"error": {}}) == [] == same_page_twice(None, _listing("a"))


@FAST
@given(st.lists(st.text(min_size=1, max_size=4), min_size=2, max_size=20, unique=True), st.randoms())
def test_property_any_reordering_is_reported(ids: list[str], rnd: Any) -> None:
    shuffled = list(ids)
    rnd.shuffle(shuffled)
    assert bool(same_page_twice(_listing(*ids), _listing(*shuffled))) == (shuffled != ids)
