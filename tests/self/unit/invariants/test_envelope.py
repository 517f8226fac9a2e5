"""check_envelope: valid pages of any catalog pass; each drift (R16, R17, R23, B6) is named precisely."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from gateway_contracts.data.findings import Finding
from gateway_contracts.invariants.envelope import check_envelope
from tests.self.strategies import FAST, Paged, envelope, paged

REQUEST = "GET http://gateway.test/v1/models?gateway=deepinfra -> 200 in 0.01 s"


def _check(body: Any, p: Paged, **kwargs: Any) -> list[Finding]:
    return check_envelope(body, offset=p.offset, limit=p.limit, gateway=p.gateway, request=REQUEST, **kwargs)


def _only(findings: list[Finding]) -> Finding:
    assert len(findings) == 1, [f.render() for f in findings]
    assert findings[0].invariant == "envelope"
    assert findings[0].request == REQUEST
    return findings[0]


@FAST
@given(paged())
def test_a_valid_page_of_any_catalog_has_no_findings(p: Paged) -> None:
    assert _check(p.body, p) == []


@FAST
@given(paged(thin=True))
def test_extra_keys_such_as_cache_metadata_are_tolerated(p: Paged) -> None:
    body = {**p.body, "_cached_at": 1.0, "_cache_ttl": 900, "_cache_key": "models:deepinfra"}
    assert _check(body, p) == []


# The oracle in plain values: pages of a five-row catalog written out by hand, so neither the builder in
# strategies.py nor check_envelope can agree with each other on a shared mistake.
FIVE = [{"id": f"m/{letter}"} for letter in "abcde"]


@pytest.mark.parametrize(
    ("offset", "limit", "shown", "has_more", "next_offset"),
    [
        (0, 2, "ab", True, 2),
        (2, 2, "cd", True, 4),
        (4, 2, "e", False, None),
        (3, 2, "de", False, None),
        (1, 1, "b", True, 2),
        (0, 5, "abcde", False, None),
        (0, 9, "abcde", False, None),
        (5, 2, "", False, None),
        (8, 3, "", False, None),
    ],
)
def test_hand_written_pages_of_a_five_row_catalog(
    offset: int, limit: int, shown: str, has_more: bool, next_offset: int | None
) -> None:
    body = envelope(FIVE, offset, limit)
    assert [row["id"] for row in body["data"]] == [f"m/{letter}" for letter in shown]
    assert (body["total"], body["returned"], body["has_more"], body["next_offset"]) == (
        5, len(shown), has_more, next_offset
    )
    p = Paged(FIVE, offset, limit, "deepinfra")
    assert _check(body, p) == []
    assert _check({**body, "has_more": not has_more}, p) != []
    assert _check({**body, "next_offset": 3 if next_offset != 3 else 4}, p) != []


def test_an_empty_catalog_is_a_valid_empty_page() -> None:
    p = Paged([], 0, 10, "deepinfra")
    assert p.body["data"] == []
    assert p.body["has_more"] is False
    assert _check(p.body, p) == []


def test_gateway_echo_is_not_checked_when_no_gateway_is_expected() -> None:
    p = Paged([], 0, 10, "all")
    assert check_envelope(p.body, offset=0, limit=10, gateway=None) == []


@FAST
@given(paged(thin=True))
def test_has_more_lying_is_reported_with_the_arithmetic(p: Paged) -> None:
    body = {**p.body, "has_more": not p.body["has_more"]}
    finding = _only(_check(body, p))
    assert f"has_more is {body['has_more']!r}, expected {p.body['has_more']}" in finding.message
    assert f"offset {p.offset} + {len(p.body['data'])} rows vs total {len(p.catalog)}" in finding.message


@FAST
@given(paged(thin=True), st.integers(-5, 100))
def test_a_wrong_next_offset_is_reported_with_got_and_expected(p: Paged, wrong: int) -> None:
    right = p.body["next_offset"]
    body = {**p.body, "next_offset": None if right is not None and wrong % 3 == 0 else wrong}
    if body["next_offset"] == right:
        body["next_offset"] = (right or 0) + 1
    finding = _only(_check(body, p))
    assert finding.message == f"next_offset is {body['next_offset']!r}, expected {right!r}"


def test_next_offset_true_is_not_taken_for_one() -> None:
    # True == 1 in Python: the bool check must still catch it.
    p = Paged([{"id": "a/b"}, {"id": "a/c"}], 0, 1, "deepinfra")
    assert p.body["next_offset"] == 1
    finding = _only(_check({**p.body, "next_offset": True}, p))
    assert "next_offset is True, expected 1" in finding.message


@FAST
@given(paged(min_size=1, thin=True))
def test_a_total_smaller_than_the_rows_is_reported(p: Paged) -> None:
    body = p.body
    if not body["data"]:
        body = envelope(p.catalog, 0, p.limit, p.gateway)
        p = Paged(p.catalog, 0, p.limit, p.gateway)
    rows = len(body["data"])
    body = {**body, "total": rows - 1}
    findings = _check(body, p)
    messages = [f.message for f in findings]
    assert f"total {rows - 1} is smaller than the {rows} rows returned" in messages


@FAST
@given(paged(thin=True), st.integers(1, 50))
def test_a_total_larger_than_the_catalog_contradicts_has_more(p: Paged, extra: int) -> None:
    # total says there is more, but the page claims the end (the R03 / B9 shape).
    assume(not p.body["has_more"])
    body = {**p.body, "total": len(p.catalog) + extra + len(p.body["data"]) + p.offset}
    findings = _check(body, p)
    assert any(f.message.startswith("has_more is False, expected True") for f in findings)
    assert any(f.message.startswith("next_offset is None, expected ") for f in findings)


@FAST
@given(paged(min_size=1, thin=True))
def test_returned_that_disagrees_with_data_is_reported(p: Paged) -> None:
    body = {**p.body, "returned": p.body["returned"] + 1}
    finding = _only(_check(body, p))
    assert finding.message == f"returned is {body['returned']} but data holds {len(body['data'])} rows"


@FAST
@given(paged(min_size=2, thin=True))
def test_an_ignored_limit_is_reported_with_rows_and_limit(p: Paged) -> None:
    # R17: the whole catalog whatever the limit.
    limit = max(1, len(p.catalog) - 1)
    served = envelope(p.catalog, 0, len(p.catalog), p.gateway)
    body = {**served, "limit": limit}
    findings = check_envelope(body, offset=0, limit=limit, gateway=p.gateway)
    assert f"{len(p.catalog)} rows for limit={limit}: the limit is ignored" in [f.message for f in findings]


@FAST
@given(paged(thin=True), st.sampled_from(["models", "items", "results"]))
def test_the_list_under_another_key_is_reported_naming_that_key(p: Paged, key: str) -> None:
    # R23: the list documented under `models` instead of `data`.
    body = {k: v for k, v in p.body.items() if k != "data"} | {key: p.body["data"]}
    finding = _only(_check(body, p))
    assert "expected the model list under 'data', got no data key" in finding.message
    assert f"lists found under '{key}'" in finding.message


def test_data_that_is_not_a_list_names_its_type() -> None:
    p = Paged([], 0, 5, "deepinfra")
    finding = _only(_check({**p.body, "data": {"a/b": {}}}, p))
    assert finding.message == "expected the model list under 'data', got dict"


@pytest.mark.parametrize("body", [[], "Not Found", None, 3])
def test_a_body_that_is_not_an_object_names_its_type(body: Any) -> None:
    p = Paged([], 0, 5, "deepinfra")
    finding = _only(_check(body, p))
    assert finding.message == f"expected a JSON object envelope, got {type(body).__name__}"


@pytest.mark.parametrize("key", ["total", "returned", "offset", "limit"])
@pytest.mark.parametrize("value", ["12", 1.0, None, True])
def test_a_counter_that_is_not_an_integer_names_the_field(key: str, value: Any) -> None:
    # R22: numbers became strings.
    p = Paged([{"id": "a/b"}], 0, 5, "deepinfra")
    body = {**p.body, key: value}
    if value is None:
        del body[key]
    finding = _only(_check(body, p))
    assert finding.message == f"expected '{key}' to be an integer, got {value!r}"


def test_every_bad_counter_is_reported_not_only_the_first() -> None:
    p = Paged([{"id": "a/b"}], 0, 5, "deepinfra")
    findings = _check({**p.body, "total": "1", "limit": "5"}, p)
    assert [f.message for f in findings] == [
        "expected 'total' to be an integer, got '1'",
        "expected 'limit' to be an integer, got '5'",
    ]


@FAST
@given(paged(thin=True), st.integers(1, 10))
def test_offset_and_limit_echoes_are_compared_with_the_request(p: Paged, delta: int) -> None:
    body = p.body
    findings = check_envelope(body, offset=p.offset + delta, limit=p.limit, gateway=p.gateway)
    assert f"offset echoes {p.offset}, the request asked for {p.offset + delta}" in [f.message for f in findings]
    findings = check_envelope(body, offset=p.offset, limit=p.limit + delta, gateway=p.gateway)
    assert f"limit echoes {p.limit}, the request asked for {p.limit + delta}" in [f.message for f in findings]


def test_another_gateway_echoed_is_reported() -> None:
    p = Paged([], 0, 5, "huggingface")
    finding = _only(_check({**p.body, "gateway": "openrouter"}, p, gateway_names=("hug",)))
    assert finding.message == "gateway echoes 'openrouter', expected a name of 'huggingface': hug, huggingface"


def test_an_alias_echoed_as_gateway_is_a_name_of_the_gateway() -> None:
    # The backend echoes the registry's fetch slug (`hug` for `huggingface`); R15 made aliases names of one
    # gateway, not leaks. Letter case is not part of the promise either.
    p = Paged([], 0, 5, "huggingface")
    for echo in ("hug", "HuggingFace", "huggingface"):
        assert _check({**p.body, "gateway": echo}, p, gateway_names=("hug",)) == []
    assert _check({**p.body, "gateway": "hug"}, p)  # not a name when the aliases are not given


def test_object_other_than_list_is_reported() -> None:
    p = Paged([], 0, 5, "deepinfra")
    finding = _only(_check({**p.body, "object": "models"}, p))
    assert finding.message == "expected object 'list', got 'models'"
