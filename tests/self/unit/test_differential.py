"""Unit and property tests of the differential comparison: candidate vs production, production's noise apart."""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway_contracts.data.exchange import Exchange
from gateway_contracts.data.kinds import kind_of
from gateway_contracts.differential import (
    Side,
    compare_catalog,
    compare_registry,
    describe_factor,
    factor_of,
    price,
    side_of,
    unit_change,
)
from gateway_contracts.pager import Page, Walk
from gateway_contracts.tolerances import Tolerances
from tests.self.strategies import FAST


def row(i: int, *, prompt: Any = "0.0000005", completion: Any = "0.0000015", ctx: Any = 8192,
        **extra: Any) -> dict[str, Any]:
    pricing = None if prompt is None and completion is None else {"prompt": prompt, "completion": completion}
    return {"id": f"org/model-{i:04d}", "name": f"Model {i}", "context_length": ctx, "pricing": pricing,
            "source_gateway": "gw", **extra}


def side(rows: Sequence[dict[str, Any]], *, name: str = "gw", status: int = 200, pairs: bool = False) -> Side:
    keys = tuple(f"{r['id']}@{r.get('source_gateway')}" if pairs else r["id"] for r in rows)
    return Side(name, status, tuple(rows), keys)


def healthy(n: int = 200) -> list[dict[str, Any]]:
    return [row(i) for i in range(n)]


def kinds(diff: Any, *, failing: bool | None = None) -> set[str]:
    return {c.kind for c in diff.changes if failing is None or c.fails == failing}


def test_identical_catalogs_have_no_change_and_no_noise() -> None:
    prod = side(healthy())
    diff = compare_catalog(prod, prod, side(healthy()))
    assert diff.changes == ()
    assert diff.noise.quiet
    assert diff.findings() == []


def test_removed_ids_beyond_the_share_fail_with_count_share_and_ids() -> None:
    prod = side(healthy(100))
    diff = compare_catalog(prod, prod, side(healthy(100)[:90]))
    removed = diff.of("compare-ids-removed")
    assert removed is not None
    assert removed.fails
    assert removed.count == 10
    assert removed.detail["share"] == pytest.approx(0.10)
    assert removed.ids == tuple(f"org/model-{i:04d}" for i in range(90, 100))
    assert "10 of production's 100 ids" in removed.message
    assert kind_of(removed.kind).code == "GC801"
    finding = diff.findings("GET x -> 200")[0]
    assert finding.code == "GC801"
    assert finding.evidence[-1] == "(+5 more)"


def test_removal_within_the_share_is_reported_not_failed() -> None:
    prod = side(healthy(100))
    diff = compare_catalog(prod, prod, side(healthy(100)[:99]))
    assert diff.of("compare-ids-removed") is not None
    assert not diff.of("compare-ids-removed").fails
    assert diff.findings() == []


def test_added_ids_are_reported() -> None:
    prod = side(healthy(100))
    diff = compare_catalog(prod, prod, side(healthy(130)))
    added = diff.of("compare-ids-added")
    assert added is not None
    assert not added.fails
    assert added.count == 30
    assert diff.of("compare-count") is not None
    assert diff.of("compare-count").fails


def test_a_gateway_gone_is_every_id_removed_and_names_the_status() -> None:
    prod = side(healthy(50))
    gone = Side("gw", 404, (), ())
    removed = compare_catalog(prod, prod, gone).of("compare-ids-removed")
    assert removed is not None
    assert removed.fails
    assert removed.count == 50
    assert "HTTP 404" in removed.message


def test_per_million_notation_is_a_unit_change_that_fails() -> None:
    prod = side(healthy(100))
    cand = healthy(100)
    for r in cand[:54]:
        r["pricing"] = {"prompt": "0.5", "completion": "1.5"}
    diff = compare_catalog(prod, prod, side(cand))
    repriced = diff.of("compare-price")
    assert repriced is not None
    assert repriced.fails
    assert repriced.count == 54
    assert repriced.detail == {"factor": 1_000_000.0, "unit_change": "per-million"}
    assert "x1,000,000 (a unit change: per-million)" in repriced.message


def test_a_small_price_change_is_reported_with_its_factor() -> None:
    prod = side(healthy(10))
    cand = healthy(10)
    cand[3]["pricing"] = {"prompt": "0.000001", "completion": "0.0000015"}
    repriced = compare_catalog(prod, prod, side(cand)).of("compare-price")
    assert repriced is not None
    assert not repriced.fails
    assert repriced.detail["factor"] == 2.0
    assert repriced.detail["unit_change"] is None
    assert "x2" in repriced.message


def test_priced_to_unpriced_and_back() -> None:
    prod = healthy(100)
    prod[0]["pricing"] = None
    cand = healthy(100)
    for r in cand[50:]:
        r["pricing"] = None
    diff = compare_catalog(side(prod), side(prod), side(cand))
    lost = [c for c in diff.changes if c.kind == "compare-priced" and c.detail["direction"] == "priced -> unpriced"]
    gained = [c for c in diff.changes if c.kind == "compare-priced" and c.detail["direction"] == "unpriced -> priced"]
    assert lost
    assert lost[0].fails
    assert lost[0].count == 50
    assert gained
    assert not gained[0].fails
    assert gained[0].ids == ("org/model-0000",)


def test_context_zeroed_halved_and_changed_each_their_own_kind() -> None:
    prod = healthy(100)
    cand = healthy(100)
    for r in cand[:10]:
        r["context_length"] = 0
    cand[10]["context_length"] = 4096
    cand[11]["context_length"] = 16384
    diff = compare_catalog(side(prod), side(prod), side(cand))
    assert diff.of("compare-context-zeroed").fails
    assert diff.of("compare-context-zeroed").count == 10
    assert not diff.of("compare-context-halved").fails
    assert diff.of("compare-context-halved").ids == ("org/model-0010",)
    assert not diff.of("compare-context-changed").fails
    assert diff.of("compare-context-changed").ids == ("org/model-0011",)


def test_a_field_that_changed_type_fails() -> None:
    prod = healthy(20)
    cand = healthy(20)
    for r in cand:
        r["context_length"] = str(r["context_length"])
        r["pricing"] = {"prompt": 0.0000005, "completion": 0.0000015}
    diff = compare_catalog(side(prod), side(prod), side(cand))
    retyped = {c.detail["field"] for c in diff.changes if c.kind == "compare-field-type"}
    assert retyped == {"context_length: number -> string", "pricing.completion: string -> number",
                       "pricing.prompt: string -> number"}
    assert diff.of("compare-price") is None  # the same prices, in another type
    assert all(c.fails for c in diff.changes if c.kind == "compare-field-type")


def test_a_required_models_row_that_changed_fails_even_within_tolerances() -> None:
    prod = healthy(200)
    cand = healthy(200)
    cand[7]["name"] = "Renamed"
    diff = compare_catalog(side(prod), side(prod), side(cand), required=["org/model-0007"])
    required = diff.of("compare-required-changed")
    assert required is not None
    assert required.fails
    assert "org/model-0007: name" in required.message
    alone = compare_catalog(side(prod), side(prod), side(cand))  # not required: the change is reported
    assert [(c.kind, c.fails, c.ids) for c in alone.changes] == [("compare-field-changed", False, ("org/model-0007",))]


def test_a_field_changed_on_every_row_is_the_catalogs_change_not_a_required_models() -> None:
    # The real backend writes each instance's sync time into every row (metadata.synced_at): two starts of the same
    # commit differ there, and not between one instance's two reads.
    prod = [dict(r, metadata={"synced_at": "11:16", "source": "x"}) for r in healthy(50)]
    cand = [dict(r, metadata={"synced_at": "11:17", "source": "x"}) for r in healthy(50)]
    diff = compare_catalog(side(prod), side(prod), side(cand), required=["org/model-0007"])
    assert diff.failing == []
    assert [(c.kind, c.count, c.detail["field"]) for c in diff.changes] == [
        ("compare-field-changed", 50, "metadata.synced_at")]
    cand[7] = dict(cand[7], name="Renamed")  # what changed for the required model alone still fails
    required = compare_catalog(side(prod), side(prod), side(cand), required=["org/model-0007"]).failing
    assert [(c.kind, c.detail["fields"]) for c in required] == [
        ("compare-required-changed", {"org/model-0007": ["name"]})]


def test_duplicated_block_is_its_own_finding() -> None:
    prod = healthy(120)
    cand = [row(i % 10) for i in range(120)]  # the first 10 ids repeated: same row count
    diff = compare_catalog(side(prod), side(prod), side(cand))
    dup = diff.of("compare-duplicates")
    assert dup is not None
    assert dup.fails
    assert dup.count == 110
    assert diff.of("compare-count") is None


def test_flapping_rows_and_volatile_fields_are_noise_never_charged() -> None:
    base = healthy(100)
    first = [dict(r, fetched_at="t1") for r in base if r["id"] != "org/model-0005"]
    second = [dict(r, fetched_at="t2") for r in base if r["id"] != "org/model-0006"]
    moved = "org/model-0022"  # one row's field moved between production's reads, and in the candidate
    second = [dict(r, context_length=4096) if r["id"] == moved else r for r in second]
    cand = [dict(r, fetched_at="t3", **({"context_length": 4096} if r["id"] == moved else {}))
            for r in base if r["id"] not in ("org/model-0005", "org/model-0006")]
    random.Random(1).shuffle(second)
    diff = compare_catalog(side(first), side(second), side(cand))
    assert diff.changes == ()
    assert diff.noise.flapping == ("org/model-0005", "org/model-0006")
    assert diff.noise.volatile == ("fetched_at",)
    assert diff.noise.unstable == ("org/model-0022 context_length",)
    assert diff.noise.reordered
    assert any("flapping" in line for line in diff.noise.lines("gw"))


def test_a_row_count_inside_productions_own_swing_is_noise() -> None:
    first, second = side(healthy(100)), side(healthy(100)[:95])
    assert compare_catalog(first, second, side(healthy(100)[:97])).of("compare-count") is None


def test_tolerances_decide_what_fails() -> None:
    prod = side(healthy(100))
    cand = healthy(100)[:90]
    for r in cand[:5]:
        r["pricing"] = {"prompt": "0.0005", "completion": "0.0015"}
    loose = Tolerances(max_removed_share=0.2, price_fail_factor=10_000.0, max_count_change_share=0.5)
    diff = compare_catalog(prod, prod, side(cand), loose)
    assert diff.failing == []
    assert kinds(diff) == {"compare-ids-removed", "compare-price", "compare-count"}
    strict = compare_catalog(prod, prod, side(cand))
    assert kinds(strict, failing=True) == {"compare-ids-removed", "compare-price"}  # -10 % rows: within 10 %


def test_the_aggregate_is_keyed_by_id_and_source_gateway() -> None:
    prod = [row(1, source_gateway="a"), row(1, source_gateway="b")]
    cand = [row(1, source_gateway="a")]
    diff = compare_catalog(side(prod, pairs=True), side(prod, pairs=True), side(cand, pairs=True))
    assert diff.of("compare-ids-removed").ids == ("org/model-0001@b",)


def test_side_of_a_walk_keeps_object_rows_and_the_first_status() -> None:
    body = {"data": [row(1), "junk", row(2)], "total": 3}
    import json

    exchange = Exchange("GET", "http://x/v1/models?gateway=gw", 200, content_type="application/json",
                        text=json.dumps(body))
    walk = Walk(limit=10, pages=(Page(0, 10, exchange),))
    s = side_of("gw", walk)
    assert s.status == 200
    assert s.keys == ("org/model-0001", "org/model-0002")


def test_registry_lost_fails_gained_is_reported_flapping_is_noise() -> None:
    changes, flapping = compare_registry({"a", "b", "c"}, {"a", "b", "d"}, {"a", "e"})
    by_kind = {c.kind: c for c in changes}
    assert by_kind["compare-registry-lost"].fails
    assert by_kind["compare-registry-lost"].ids == ("b",)
    assert not by_kind["compare-registry-gained"].fails
    assert by_kind["compare-registry-gained"].ids == ("e",)
    assert flapping == ("c", "d")
    assert compare_registry(None, {"a"}, {"b"}) == ([], ())


@pytest.mark.parametrize(("factor", "unit"), [(1000.0, "per-thousand"), (1e6, "per-million"), (1e-6, "per-million"),
                                              (1e9, "per-billion"), (2.0, None), (999.0, None), (1.0, None)])
def test_unit_change_names_powers_of_a_thousand(factor: float, unit: str | None) -> None:
    assert unit_change(factor) == unit


def test_prices_parse_numbers_and_decimal_strings_only() -> None:
    assert price("0.0000005") == 5e-7
    assert price(0.5) == 0.5
    assert price(0) == 0.0
    assert price(None) is None
    assert price("n/a") is None
    assert price(True) is None
    assert price("-1") is None
    assert factor_of(0.0, 1.0) == math.inf
    assert factor_of(1.0, 0.0) == 0.0
    assert describe_factor(math.inf) == "from 0 to a price"
    assert describe_factor(0.5).startswith("/2")


# -- properties ------------------------------------------------------------------------------------

catalog_sizes = st.integers(min_value=0, max_value=60)


@FAST
@given(n=catalog_sizes, seed=st.integers(0, 10_000), drop=st.integers(0, 5))
def test_production_against_itself_never_fails_whatever_flaps_and_reorders(n: int, seed: int, drop: int) -> None:
    rng = random.Random(seed)
    base = healthy(n)
    flapped = set(rng.sample(range(n), min(drop, n)))
    first = [r for i, r in enumerate(base) if i not in flapped]
    second = list(base)
    rng.shuffle(second)
    candidate = list(first if rng.random() < 0.5 else second)
    rng.shuffle(candidate)
    diff = compare_catalog(side(first), side(second), side(candidate))
    assert diff.failing == []
    assert set(diff.noise.flapping) == {base[i]["id"] for i in flapped}


@FAST
@given(n=st.integers(1, 60), removed=st.integers(0, 60), exponent=st.integers(-3, 3))
def test_removed_and_repriced_counts_are_exact(n: int, removed: int, exponent: int) -> None:
    removed = min(removed, n)
    prod = healthy(n)
    cand = [dict(r) for r in prod[removed:]]
    factor = 1000.0 ** exponent
    for r in cand:
        r["pricing"] = {"prompt": repr(5e-7 * factor), "completion": repr(1.5e-6 * factor)}
    diff = compare_catalog(side(prod), side(prod), side(cand))
    gone = diff.of("compare-ids-removed")
    assert (gone.count if gone else 0) == removed
    assert (gone is not None and gone.fails) == (removed / n > 0.02)
    repriced = diff.of("compare-price")
    if exponent == 0 or not cand:
        assert repriced is None
    else:
        assert repriced is not None
        assert repriced.count == len(cand)
        assert repriced.fails
        assert repriced.detail["unit_change"] is not None
