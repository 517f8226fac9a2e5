"""Search answers, developer listings, the provider filter and the registry body (pure; fuzzed answers reach them
through fuzz/checks.py, tests/self/unit/fuzz/test_fuzz_units.py)."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from gateway_contracts.data.exchange import Exchange
from gateway_contracts.invariants.developer import developer_listing, normalize_developer, provider_filter_holds
from gateway_contracts.invariants.registry import registry_body
from gateway_contracts.invariants.search import SEARCHED_FIELDS, search_answer, search_may_match
from tests.self.strategies import FAST


def _answer(url: str, body: Any) -> Exchange:
    return Exchange("GET", url, 200, "application/json", json.dumps(body))


def _rows(n: int) -> list[dict[str, Any]]:
    return [{"id": f"acme/m{i}", "name": f"M{i}", "description": "a chat model", "source_gateway": "g"}
            for i in range(n)]


def test_a_coherent_search_page_has_no_findings() -> None:
    body = {"data": _rows(3), "meta": {"total": 10, "returned": 3, "offset": 7, "limit": 5}}
    assert search_answer(body, offset=7, limit=5, needle="chat") == []


def test_search_arithmetic_echoes_and_misses_are_findings() -> None:
    body = {"data": _rows(2), "meta": {"total": 10, "returned": 3, "offset": 0, "limit": 9}}
    (meta, misses) = search_answer(body, offset=0, limit=5, needle="vision")
    assert "meta.returned is 3 but data holds 2 rows" in meta.message
    assert "meta echoes offset 0 limit 9" in meta.message
    assert "2 rows, expected 5" in meta.message
    assert misses.message.startswith("2 rows contain q='vision' in none of id, name")
    assert search_answer({"data": []}, offset=0, limit=5, needle="")[0].message.startswith("expected 'data' rows")


@FAST
@given(st.text(max_size=8), st.sampled_from(SEARCHED_FIELDS))
def test_a_row_holding_q_in_any_searched_field_may_match(needle: str, field: str) -> None:
    row = {"id": "x", "description": "", field: f"<{needle.upper()}>"}
    assert search_may_match(row, needle) or needle.upper().casefold() != needle.casefold()


def test_a_row_without_its_description_cannot_be_judged() -> None:
    assert search_may_match({"id": "x"}, "anything")
    assert not search_may_match({"id": "x", "description": "y"}, "anything")


def test_a_developer_listing_is_that_developers() -> None:
    good = {"developer": "acme", "total": 5, "count": 2, "models": _rows(2)}
    assert developer_listing(_answer("http://t/v1/models/%40acme?limit=2", good)) == []
    bad = {"developer": "other", "total": 1, "count": 3,
           "models": [*_rows(2), {"id": "z/m", "provider_slug": "zeta", "name": "Z", "source_gateway": "g"}]}
    messages = [f.message for f in developer_listing(_answer("http://t/v1/models/acme?limit=2", bad))]
    assert "developer echoes 'other', the request named 'acme'" in messages
    assert "total is 1 but models holds 3 rows" in messages
    assert "count is 3 but models holds 3 rows" not in messages
    assert "3 rows for limit=2: the limit is ignored" in messages
    assert any(m.startswith("1 rows are neither under 'acme/'") for m in messages)
    assert developer_listing(_answer("http://t/v1/models/acme", {"data": []}))[0].message == "expected a 'models' list"


def test_the_provider_filter_judges_only_rows_naming_another_developer() -> None:
    rows = [{"id": "acme/a"}, {"id": "b", "provider_slug": "@Acme"}, {"id": "c"}, {"id": "d", "provider_slug": "z"}]
    (finding,) = provider_filter_holds(rows, " @acme ")
    assert finding.invariant == "provider-filter"
    assert "'d'" in finding.evidence[0]
    assert provider_filter_holds(rows, "") == []
    assert normalize_developer(" @@acme ") == "acme"


def test_the_registry_body_counts_and_names_each_gateway_once() -> None:
    good = {"data": [{"id": "a", "aliases": ["x"]}, {"id": "b"}], "total": 2}
    assert registry_body(_answer("http://t/v1/gateways", good)) == []
    bad = {"data": [{"id": "a", "aliases": ["B"]}, {"id": "b"}], "total": 3}
    messages = [f.message for f in registry_body(_answer("http://t/v1/gateways", bad))]
    assert messages == ["total is 3 but data lists 2 gateways", "name 'b' names more than one registry entry"]
    assert registry_body(_answer("http://t/v1/gateways", {}))[0].invariant == "registry"
