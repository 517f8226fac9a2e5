"""Whole-catalog invariants: duplicates, counts, required models, aliases, the aggregate (R01-R03, R10, R12, R28)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from gateway_contracts.data.findings import Finding
from gateway_contracts.invariants.contents import (
    aggregate_contains,
    aggregate_pairs_unique,
    count_within_bounds,
    no_duplicate_ids,
    required_present,
    same_catalog,
)
from tests.self.strategies import FAST, aggregates, catalogs, concat, thin_catalogs

REQUEST = "GET http://gateway.test/v1/models?gateway=huggingface&limit=1000&offset=0 -> 200 in 0.20 s"

ids_lists = thin_catalogs(max_size=30).map(lambda rows: [row["id"] for row in rows])


def _single(findings: list[Finding], invariant: str) -> Finding:
    assert len(findings) == 1, [f.render() for f in findings]
    assert findings[0].invariant == invariant
    return findings[0]


# -- duplicates (R01, R02, R25) ---------------------------------------------------------------------


@FAST
@given(catalogs("huggingface"))
def test_unique_ids_have_no_duplicates(rows: list[dict[str, Any]]) -> None:
    assert no_duplicate_ids([row["id"] for row in rows]) == []


@FAST
@given(ids_lists.filter(lambda ids: len(ids) >= 2), st.integers(2, 6), st.data())
def test_a_repeated_block_is_reported_with_the_ids_and_the_extra_rows(
    ids: list[str], times: int, data: st.DataObject
) -> None:
    # R01: one block of 100 ids repeated 500x.
    start = data.draw(st.integers(0, len(ids) - 1))
    end = data.draw(st.integers(start + 1, len(ids)))
    block = ids[start:end]
    served = ids + block * (times - 1)
    finding = _single(no_duplicate_ids(served, request=REQUEST), "no-duplicate-ids")
    extra = len(block) * (times - 1)
    assert finding.request == REQUEST
    assert finding.message == (
        f"{len(served):,} rows hold {len(ids):,} distinct ids: {len(block):,} ids repeat "
        f"({extra:,} extra rows); expected each id once"
    )
    assert finding.evidence[: min(5, len(block))] == tuple(f"{m!r} x{times}" for m in block[:5])
    if len(block) > 5:
        assert finding.evidence[-1] == f"(+{len(block) - 5} more)"
    else:
        assert len(finding.evidence) == len(block)


def test_the_r01_shape_reads_as_a_bug_report() -> None:
    ids = [f"org/model-{i}" for i in range(100)] * 500
    finding = _single(no_duplicate_ids(ids), "no-duplicate-ids")
    assert finding.message == (
        "50,000 rows hold 100 distinct ids: 100 ids repeat (49,900 extra rows); expected each id once"
    )
    assert finding.evidence == ("'org/model-0' x500", "'org/model-1' x500", "'org/model-2' x500",
                                "'org/model-3' x500", "'org/model-4' x500", "(+95 more)")


def test_the_most_repeated_id_comes_first() -> None:
    finding = _single(no_duplicate_ids(["a/x", "a/y", "a/y", "a/y", "a/x"]), "no-duplicate-ids")
    assert finding.evidence == ("'a/y' x3", "'a/x' x2")


# -- counts (R03, R05, R27, B9) ---------------------------------------------------------------------


@FAST
@given(ids_lists, st.data())
def test_counts_inside_the_bounds_pass(ids: list[str], data: st.DataObject) -> None:
    floor = data.draw(st.integers(0, len(ids)))
    ceiling = data.draw(st.none() | st.integers(max(1, len(ids)), len(ids) + 10))
    assert count_within_bounds(ids, min_models=floor, max_models=ceiling) == []


@FAST
@given(ids_lists.filter(bool), st.data())
def test_dropped_rows_fall_under_the_floor(ids: list[str], data: st.DataObject) -> None:
    # R03 / R05: 100 models where 1,204 are expected.
    kept = data.draw(st.integers(0, len(ids) - 1))
    finding = _single(
        count_within_bounds(ids[:kept], min_models=len(ids), max_models=None, request=REQUEST), "count-floor"
    )
    assert finding.message == f"{kept:,} distinct models, expected at least {len(ids):,}"
    assert finding.request == REQUEST


@FAST
@given(ids_lists.filter(bool), st.integers(2, 5))
def test_duplicated_rows_trip_the_ceiling_but_not_the_floor(ids: list[str], times: int) -> None:
    # The floor counts distinct ids, the ceiling counts rows served: a 500x blow-up trips only the ceiling.
    served = ids * times
    ceiling = len(served) - 1
    finding = _single(count_within_bounds(served, min_models=len(ids), max_models=ceiling), "count-ceiling")
    assert finding.message == f"{len(served):,} rows, expected at most {ceiling:,}"


def test_repeated_ids_do_not_count_towards_the_floor() -> None:
    findings = count_within_bounds(["a/b"] * 50, min_models=10, max_models=None)
    assert _single(findings, "count-floor").message == "1 distinct models, expected at least 10"


def test_an_empty_catalog_reports_the_floor() -> None:
    # R27: `data: []` from a 200.
    assert _single(count_within_bounds([], min_models=1, max_models=5), "count-floor").message == (
        "0 distinct models, expected at least 1"
    )


# -- required models (R12, R14) ---------------------------------------------------------------------


def test_required_models_present() -> None:
    assert required_present(["katanemo/Arch-Router-1.5B", "a/b"], ["katanemo/Arch-Router-1.5B"], where="x") == []


def test_a_missing_required_model_is_named() -> None:
    finding = _single(
        required_present(["a/b"], ["katanemo/Arch-Router-1.5B", "a/b"], where="huggingface", request=REQUEST),
        "required-models",
    )
    assert finding.message == "1 required model(s) missing from huggingface"
    assert finding.evidence == ("'katanemo/Arch-Router-1.5B'",)
    assert finding.request == REQUEST


def test_a_required_model_listed_in_another_case_gets_a_hint() -> None:
    # R14: the exact id matters; say what is listed instead.
    finding = _single(
        required_present(["katanemo/arch-router-1.5b"], ["katanemo/Arch-Router-1.5B"], where="huggingface"),
        "required-models",
    )
    assert finding.evidence == ("'katanemo/Arch-Router-1.5B' (listed as 'katanemo/arch-router-1.5b')",)


@FAST
@given(ids_lists.filter(bool), st.data())
def test_every_dropped_required_model_is_named(ids: list[str], data: st.DataObject) -> None:
    required = data.draw(st.lists(st.sampled_from(ids), min_size=1, unique=True))
    dropped = data.draw(st.lists(st.sampled_from(required), min_size=1, unique=True))
    served = [i for i in ids if i not in dropped]
    finding = _single(required_present(served, required, where="g"), "required-models")
    assert finding.message == f"{len(dropped)} required model(s) missing from g"
    assert set(finding.evidence) == {repr(m) for m in dropped}


# -- aliases (R04, R15) -----------------------------------------------------------------------------


@FAST
@given(ids_lists, st.randoms(use_true_random=False))
def test_an_alias_serving_the_same_ids_in_another_order_passes(ids: list[str], rnd: Any) -> None:
    shuffled = list(ids)
    rnd.shuffle(shuffled)
    assert same_catalog(ids, shuffled, canonical="huggingface", alias="hug") == []


@FAST
@given(ids_lists.filter(bool), st.data())
def test_an_alias_missing_ids_is_reported_naming_them(ids: list[str], data: st.DataObject) -> None:
    dropped = data.draw(st.lists(st.sampled_from(ids), min_size=1, unique=True))
    alias_ids = [i for i in ids if i not in dropped]
    finding = _single(
        same_catalog(ids, alias_ids, canonical="huggingface", alias="hug", request=REQUEST), "alias-equivalence"
    )
    assert finding.message == (
        f"alias 'hug' serves {len(alias_ids):,} ids, 'huggingface' serves {len(ids):,}: "
        f"{len(dropped):,} of huggingface's ids missing"
    )
    assert finding.evidence == tuple(f"missing {m!r}" for m in sorted(dropped)[:3])
    assert finding.request == REQUEST


def test_an_alias_serving_another_catalog_names_missing_and_extra() -> None:
    # R09: the alias fell back to openrouter's catalog.
    finding = _single(
        same_catalog(["h/a", "h/b"], ["o/x", "h/a"], canonical="huggingface", alias="hug"), "alias-equivalence"
    )
    assert finding.message.endswith("1 of huggingface's ids missing; 1 ids huggingface does not list")
    assert finding.evidence == ("missing 'h/b'", "extra 'o/x'")


def test_an_alias_answering_nothing_is_reported() -> None:
    # R04: `hug` -> 404, so no ids at all.
    finding = _single(same_catalog(["h/a"], [], canonical="huggingface", alias="hug"), "alias-equivalence")
    assert "alias 'hug' serves 0 ids, 'huggingface' serves 1" in finding.message


# -- the aggregate (R10, R28) -----------------------------------------------------------------------


@FAST
@given(aggregates())
def test_a_complete_aggregate_contains_every_gateway(per_gateway: dict[str, list[dict[str, Any]]]) -> None:
    rows = concat(per_gateway)
    for gateway, catalog in per_gateway.items():
        assert aggregate_contains(rows, [r["id"] for r in catalog], gateway_names=(gateway,), aggregate="all") == []
    # R28: the same id from several gateways is normal; each (id, source) pair once.
    assert aggregate_pairs_unique(rows) == []


@FAST
@given(aggregates(), st.data())
def test_an_aggregate_missing_a_gateway_is_reported_naming_its_ids(
    per_gateway: dict[str, list[dict[str, Any]]], data: st.DataObject
) -> None:
    victim = data.draw(st.sampled_from(sorted(per_gateway)))
    expected = [r["id"] for r in per_gateway[victim]]
    assume(expected)
    rows = concat({g: c for g, c in per_gateway.items() if g != victim})
    finding = _single(
        aggregate_contains(rows, expected, gateway_names=(victim,), aggregate="all", request=REQUEST),
        "aggregate-contains",
    )
    assert finding.message == f"{len(expected):,} of {len(expected):,} ids of gateway {victim!r} are missing from 'all'"
    assert finding.evidence[: min(5, len(expected))] == tuple(repr(m) for m in sorted(expected)[:5])
    assert finding.request == REQUEST


def test_an_id_served_by_another_gateway_does_not_count() -> None:
    # The id is in `all`, but attributed to openrouter: huggingface's copy is missing.
    rows = [{"id": "meta/llama", "source_gateway": "openrouter"}]
    finding = _single(
        aggregate_contains(rows, ["meta/llama"], gateway_names=("huggingface", "hug"), aggregate="all"),
        "aggregate-contains",
    )
    assert finding.message == "1 of 1 ids of gateway 'huggingface' are missing from 'all'"
    assert finding.evidence == ("'meta/llama'",)


@pytest.mark.parametrize("source", ["huggingface", "hug", "HUG", "HuggingFace"])
def test_the_aggregate_may_attribute_rows_to_an_alias_in_any_case(source: str) -> None:
    rows = [{"id": "meta/llama", "source_gateway": source}, "garbage", {"id": "x/y"}]
    assert aggregate_contains(rows, ["meta/llama"], gateway_names=("huggingface", "hug"), aggregate="all") == []


@FAST
@given(aggregates(), st.data())
def test_duplicated_pairs_in_the_aggregate_are_reported(
    per_gateway: dict[str, list[dict[str, Any]]], data: st.DataObject
) -> None:
    rows = concat(per_gateway)
    assume(rows)
    twice = data.draw(st.sampled_from(rows))
    finding = _single(aggregate_pairs_unique([*rows, twice], request=REQUEST), "aggregate-unique-pairs")
    assert finding.message == "1 (id, source_gateway) pairs appear more than once"
    assert finding.evidence == (f"{twice['id']!r}@{twice['source_gateway']} x2",)
    assert finding.request == REQUEST


def test_the_same_id_from_several_gateways_is_not_a_duplicate_pair() -> None:
    rows = [{"id": "openai/gpt-4o", "source_gateway": g} for g in ("openrouter", "together", "deepinfra")]
    assert aggregate_pairs_unique(rows) == []
    assert no_duplicate_ids([r["id"] for r in rows]) != []  # ...while inside one gateway it would be
