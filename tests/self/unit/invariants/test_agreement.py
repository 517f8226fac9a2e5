"""Routes against the catalog: search, unique mode, the developer route and route aliases."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from gateway_contracts.invariants.agreement import (
    alias_page_agrees,
    belongs_to_developer,
    catalog_pairs,
    developer_agrees,
    search_finds,
    search_finds_every_gateway,
    search_within_catalog,
    unique_agrees,
)
from tests.self.strategies import FAST, org_model_ids

REQUEST = "GET http://gateway.test/v1/models/search?q=x -> 200"
GATEWAYS = ("openrouter", "groq", "deepinfra", "together")


def row(model_id: str, gateway: str = "openrouter", **fields: Any) -> dict[str, Any]:
    return {"id": model_id, "name": model_id, "source_gateway": gateway, **fields}


def search(*rows: dict[str, Any], total: int | None = None, offset: int = 0) -> dict[str, Any]:
    return {"success": True, "data": list(rows),
            "meta": {"total": len(rows) if total is None else total, "offset": offset, "returned": len(rows)}}


def unique_row(model_id: str, *gateways: str) -> dict[str, Any]:
    return {"id": model_id, "name": model_id, "providers": [{"slug": g} for g in gateways]}


# -- search --------------------------------------------------------------------------------------------------------


def test_search_finding_the_row_passes() -> None:
    body = search(row("openai/gpt-4o"), row("openai/gpt-4o-mini"))
    assert search_finds(body, "openai/gpt-4o", where="within openrouter", request=REQUEST) == []


def test_search_without_the_listed_row_fails_naming_it() -> None:
    [finding] = search_finds(search(row("openai/gpt-4o-mini")), "openai/gpt-4o", where="within openrouter",
                             request=REQUEST)
    assert finding.invariant == "search-agreement"
    assert finding.code == "GC210"
    assert "'openai/gpt-4o'" in finding.message
    assert "within openrouter" in finding.message
    assert finding.evidence == ("'openai/gpt-4o'",)
    assert finding.request == REQUEST


def test_an_empty_search_beside_a_listing_catalog_fails() -> None:
    assert [f.invariant for f in search_finds(search(), "grok-4", where="within xai")] == ["search-agreement"]


def test_a_search_with_more_matches_than_it_served_is_not_judged() -> None:
    # 150 matches, the first 100 served: the row may be on a later page, so nothing is missing.
    assert search_finds(search(row("a/b"), total=150), "a/zz", where="within openrouter") == []


def test_a_body_without_data_is_a_finding() -> None:
    assert [f.invariant for f in search_finds({"detail": "x"}, "a/b", where="within groq")] == ["search-agreement"]


def test_search_within_answers_only_the_catalogs_rows() -> None:
    catalog = {"a/b", "a/c"}
    assert search_within_catalog(search(row("a/b"), row("a/c")), catalog, gateway="groq") == []
    [finding] = search_within_catalog(search(row("a/b"), row("old/model")), catalog, gateway="groq")
    assert "groq" in finding.message
    assert finding.evidence == ("'old/model'",)


def test_search_over_all_finds_every_serving_gateway() -> None:
    serving = {"openrouter": {"openrouter"}, "groq": {"groq"}}
    body = search(row("m/x", "openrouter"), row("m/x", "GROQ"), row("m/x-mini", "together"))
    assert search_finds_every_gateway(body, "m/x", serving) == []
    [finding] = search_finds_every_gateway(search(row("m/x", "openrouter")), "m/x", serving)
    assert "groq" in finding.message
    assert finding.evidence == ("'groq'",)


def test_search_over_all_accepts_an_alias_as_source_gateway() -> None:
    serving = {"huggingface": {"huggingface", "hug"}}
    assert search_finds_every_gateway(search(row("m/x", "hug")), "m/x", serving) == []


@FAST
@given(st.lists(org_model_ids(), min_size=1, max_size=30, unique=True), st.data())
def test_a_search_answering_the_catalog_passes_and_losing_any_row_fails(ids: list[str], data: st.DataObject) -> None:
    wanted = data.draw(st.sampled_from(ids))
    hits = [row(i) for i in ids if wanted.lower() in i.lower()]
    assert search_finds(search(*hits), wanted, where="within openrouter") == []
    assert search_within_catalog(search(*hits), set(ids), gateway="openrouter") == []
    without = [h for h in hits if h["id"] != wanted]
    assert [f.invariant for f in search_finds(search(*without), wanted, where="within openrouter")] == [
        "search-agreement"]


# -- unique mode ---------------------------------------------------------------------------------------------------

FLAT = [row("openai/gpt-4o", "openrouter"), row("gpt-4o", "openai"), row("meta/llama-3", "groq"),
        row("meta/llama-3", "deepinfra")]


def test_unique_rows_offering_each_flat_row_once_pass() -> None:
    # The backend's shape: one row per model name, its id a flat id or its last path segment.
    unique = [unique_row("gpt-4o", "openrouter", "openai"), unique_row("llama-3", "groq", "deepinfra")]
    assert unique_agrees(unique, FLAT) == []


def test_an_empty_unique_catalog_beside_a_full_flat_one_fails() -> None:
    [finding] = unique_agrees([], FLAT, request=REQUEST)
    assert finding.invariant == "unique-agreement"
    assert finding.code == "GC211"
    assert "3 flat ids are missing" in finding.message


def test_a_short_unique_catalog_fails_per_gateway() -> None:
    [finding] = unique_agrees([unique_row("gpt-4o", "openrouter", "openai"), unique_row("llama-3", "groq")], FLAT)
    assert "'deepinfra: 0 offered, 1 served'" in finding.evidence


def test_a_fallback_of_other_ids_fails_as_foreign() -> None:
    unique = [unique_row("gpt-4o", "openrouter", "openai"), unique_row("llama-3", "groq", "deepinfra"),
              unique_row("legacy/model", "openrouter")]
    messages = [f.message for f in unique_agrees(unique, FLAT)]
    assert any("the flat catalog does not serve" in m for m in messages)
    assert any("(model, gateway) pairs" in m for m in messages)


def test_rows_without_providers_are_held_to_the_flat_ids() -> None:
    # A unique row without `providers` stands for its id: then the ids must be the flat distinct ids.
    assert unique_agrees([row("openai/gpt-4o"), row("gpt-4o", "openai"), row("meta/llama-3", "groq")], FLAT) == []
    [finding] = unique_agrees([row("openai/gpt-4o"), row("gpt-4o", "openai")], FLAT)
    assert finding.evidence == ("'meta/llama-3'",)


def test_a_partial_read_judges_only_what_it_can() -> None:
    # Unique mode read in part: its ids must still be the flat catalog's, the counts cannot be judged.
    assert unique_agrees([unique_row("gpt-4o", "openrouter")], FLAT, unique_complete=False) == []
    assert len(unique_agrees([unique_row("nope", "openrouter")], FLAT, unique_complete=False)) == 1
    # The flat catalog read in part: an id it did not reach is not foreign.
    assert unique_agrees([unique_row("nope", "openrouter")], FLAT, flat_complete=False) == []


@FAST
@given(st.lists(st.tuples(org_model_ids(), st.sampled_from(GATEWAYS)), min_size=1, max_size=40, unique=True),
       st.data())
def test_unique_mode_built_from_the_flat_catalog_agrees_and_a_dropped_offer_fails(
        pairs: list[tuple[str, str]], data: st.DataObject) -> None:
    flat = [row(i, g) for i, g in pairs]
    grouped: dict[str, list[str]] = {}
    for model_id, gateway in pairs:
        grouped.setdefault(model_id.rsplit("/", 1)[-1], []).append(gateway)
    unique = [unique_row(model_id, *gateways) for model_id, gateways in grouped.items()]
    assert unique_agrees(unique, flat) == []
    victim = data.draw(st.integers(0, len(unique) - 1))
    shorter = [*unique[:victim], {**unique[victim], "providers": unique[victim]["providers"][1:]}, *unique[victim + 1:]]
    assert [f.invariant for f in unique_agrees(shorter, flat)] == ["unique-agreement"]


# -- the developer route -------------------------------------------------------------------------------------------


def test_the_developer_rule_is_the_backends() -> None:
    assert belongs_to_developer({"id": "OpenAI/gpt-4o"}, "openai")
    assert belongs_to_developer({"id": "gpt-4o", "provider_slug": "@OpenAI"}, " @openai")
    assert not belongs_to_developer({"id": "openai-like/x", "provider_slug": "other"}, "openai")
    assert not belongs_to_developer("openai/x", "openai")


AGGREGATE = [row("openai/gpt-4o", "openrouter"), row("gpt-4o", "openai", provider_slug="openai"),
             row("meta/llama-3", "groq")]


def test_a_developer_listing_with_every_row_passes_and_more_is_not_judged() -> None:
    listed = [*AGGREGATE[:2], row("openai/o9", "openrouter")]  # a row the catalog gated out
    assert developer_agrees(listed, 3, AGGREGATE, "openai") == []


def test_a_developer_listing_missing_a_row_fails_naming_it() -> None:
    findings = developer_agrees(AGGREGATE[:1], 1, AGGREGATE, "openai", request=REQUEST)
    assert [f.invariant for f in findings] == ["developer-agreement", "developer-agreement"]
    assert findings[0].code == "GC212"
    assert findings[0].evidence == ("'gpt-4o@openai'",)
    assert "total 1" in findings[1].message


# -- route aliases -------------------------------------------------------------------------------------------------


def test_an_alias_page_of_the_same_catalog_passes_in_any_order() -> None:
    pairs = catalog_pairs(AGGREGATE)
    body = {"data": list(reversed(AGGREGATE[1:])), "total": 3}
    assert alias_page_agrees(body, 3, pairs, alias="/models?gateway=all", route="/v1/models?gateway=all") == []


def test_an_alias_serving_another_catalog_fails() -> None:
    pairs = catalog_pairs(AGGREGATE)
    body = {"data": [row("legacy/x", "openrouter")], "total": 1}
    findings = alias_page_agrees(body, 3, pairs, alias="/v1/models (no gateway)", route="/v1/models?gateway=all")
    assert [f.code for f in findings] == ["GC213", "GC213"]
    assert "total 1" in findings[0].message
    assert findings[1].evidence == ("'legacy/x@openrouter'",)
    assert [f.invariant for f in alias_page_agrees({"detail": "x"}, 3, pairs, alias="a", route="b")] == [
        "route-alias"]
