"""Catalog values: plausible prices name their likely notation, placeholders and reference mismatches are bounded.

Each failing input is one corruption of a healthy catalog, and the finding must name it (kind, ids, reading).
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway_contracts.data.findings import Finding
from gateway_contracts.invariants.values import (
    DEFAULT_COMPLETION_DISCOUNT,
    PLACEHOLDER_MIN_ROWS,
    PriceBand,
    check_completion_discount,
    check_placeholders,
    check_price_band,
    check_reference,
    context_placeholder,
    likely_notation,
    mismatch_label,
    out_of_band,
    price_placeholder,
    reference_entries,
    reference_key,
    reference_mismatches,
)
from tests.self.strategies import FAST

BAND = PriceBand()
REQUEST = "GET http://gateway.test/v1/models?gateway=openrouter&limit=1000&offset=0 -> 200 in 0.10 s"


def _row(i: int, prompt: str | None = "0.0000025", completion: str | None = "0.00001",
         context: Any = None, **pricing: str) -> dict[str, Any]:
    return {"id": f"org/model-{i}", "name": f"Model {i}", "context_length": context or 8192 * (1 + i % 7),
            "pricing": {"prompt": prompt, "completion": completion, **pricing}}


def _healthy(n: int = 30) -> list[dict[str, Any]]:
    # prices from $0.02 to $600 per million, contexts spread over seven values
    return [_row(i, prompt=f"{(i % 10 + 1) * 2}e-8", completion=f"{(i % 10 + 1) * 3}e-8") for i in range(n)]


def _only(findings: list[Finding], invariant: str) -> Finding:
    assert [f.invariant for f in findings] == [invariant], findings
    return findings[0]


# -- the band and the notation -----------------------------------------------------------------------------


@pytest.mark.parametrize(("served", "reading"), [
    ("0.15", "per million tokens"),  # $0.15 per million, served per million
    ("2.5", "per million tokens"),
    ("0.0025", "per thousand tokens"),  # $2.5 per million, served per thousand
    ("5e-13", "normalised twice (divided by a million once more)"),  # the backend's own history
    ("5E-13", "normalised twice (divided by a million once more)"),
])
def test_likely_notation_names_the_unit(served: str, reading: str) -> None:
    assert likely_notation(Decimal(served), BAND) == reading


def test_a_price_no_notation_explains_has_none() -> None:
    assert likely_notation(Decimal("1e30"), BAND) is None
    assert out_of_band([_row(0, prompt="1e30")], BAND)[0].reading == "above the band"


def test_healthy_prices_are_in_band() -> None:
    assert check_price_band(_healthy(), BAND, request=REQUEST) == []


def test_per_million_prices_are_named_with_ids() -> None:
    rows = _healthy(5) + [_row(100 + i, prompt="0.15", completion="0.6") for i in range(3)]
    finding = _only(check_price_band(rows, BAND, request=REQUEST), "price-band")
    assert "3 model(s) with a per-token price above the band: likely per million tokens" in finding.message
    assert "$0.001 to $1000 per million tokens" in finding.message
    assert "org/model-100 pricing.prompt '0.15' is $150000 per million tokens" in finding.message
    assert finding.evidence == ("'org/model-100'", "'org/model-101'", "'org/model-102'")
    assert finding.request == REQUEST
    assert finding.code == "GC309"


def test_double_normalised_prices_are_below_the_band() -> None:
    finding = _only(check_price_band([_row(1, prompt="5e-13", completion="1.5e-12")], BAND), "price-band")
    assert "below the band: likely normalised twice" in finding.message


def test_free_null_and_non_token_fields_are_never_out_of_band() -> None:
    rows = [_row(0, prompt="0", completion="0"), _row(1, prompt=None, completion=None),
            _row(2, image="0.04", request="0.5", web_search="5"), {"id": "x", "pricing": None}, "not a row",
            _row(3, prompt="-1", completion="abc")]  # malformed: the pricing contract's, not this one's
    assert check_price_band(rows, BAND) == []


def test_the_band_is_the_contracts() -> None:
    rows = [_row(0, prompt="0.0006", completion="0.0006")]  # $600 per million
    assert check_price_band(rows, BAND) == []
    narrow = PriceBand(Decimal("0.01"), Decimal("100"))
    assert _only(check_price_band(rows, narrow), "price-band")


@given(per_million=st.decimals(min_value=Decimal("0.001"), max_value=Decimal("1000"), places=4))
@FAST
def test_any_price_in_band_passes_and_any_unit_slip_of_it_fails(per_million: Decimal) -> None:
    if per_million == 0:
        return
    per_token = per_million / Decimal(1_000_000)
    assert out_of_band([_row(0, prompt=str(per_token), completion=str(per_token))], BAND) == []
    slipped = [_row(0, prompt=str(per_million), completion=str(per_million))]  # served per million
    if per_million * Decimal(1_000_000) > BAND.high:
        assert {o.field for o in out_of_band(slipped, BAND)} == {"prompt", "completion"}
    twice = [_row(0, prompt=str(per_token / Decimal(1_000_000)), completion="0")]
    if per_million / Decimal(1_000_000) < BAND.low:
        assert next(o.reading for o in out_of_band(twice, BAND)).startswith("below the band")


# -- completion discount -----------------------------------------------------------------------------------


def test_completion_far_cheaper_than_prompt_is_reported() -> None:
    rows = [*_healthy(5), _row(50, prompt="0.00003", completion="0.000001")]
    finding = _only(check_completion_discount(rows, max_discount=DEFAULT_COMPLETION_DISCOUNT, request=REQUEST),
                    "completion-discount")
    assert "more than 10x below the prompt price" in finding.message
    assert "30x cheaper" in finding.message
    assert finding.evidence == ("'org/model-50'",)


def test_free_completion_and_small_discounts_pass() -> None:
    rows = [_row(0, prompt="0.0000001", completion="0"),  # an embedding model: no completion
            _row(1, prompt="0.00001", completion="0.000002")]  # 5x cheaper: within 10
    assert check_completion_discount(rows, max_discount=DEFAULT_COMPLETION_DISCOUNT) == []


# -- placeholders ------------------------------------------------------------------------------------------


def test_one_context_on_every_row_is_a_placeholder() -> None:
    rows = [_row(i, context=128000) for i in range(40)]
    finding = _only(check_placeholders(rows, max_context_share=0.5, max_price_share=1.0, request=REQUEST),
                    "placeholder-values")
    assert "40 of 40 models (100%) carry the same context length 128,000; at most 50% allowed" in finding.message
    assert finding.evidence[0] == "'org/model-0'"
    assert finding.evidence[-1] == "(+35 more)"


def test_one_price_pair_on_most_rows_is_a_placeholder() -> None:
    rows = _healthy(10) + [_row(100 + i) for i in range(30)]
    finding = _only(check_placeholders(rows, max_context_share=1.0, max_price_share=0.5), "placeholder-values")
    assert "30 of 40 models (75%) carry the same price (prompt, completion) ('0.0000025', '0.00001')" in \
        finding.message


def test_placeholders_unchecked_at_one_and_on_small_gateways() -> None:
    rows = [_row(i, context=128000) for i in range(40)]
    assert check_placeholders(rows, max_context_share=1.0, max_price_share=1.0) == []
    small = rows[:PLACEHOLDER_MIN_ROWS - 1]
    assert check_placeholders(small, max_context_share=0.1, max_price_share=0.1) == []


def test_unknown_contexts_and_free_prices_are_not_placeholders() -> None:
    rows = [_row(i, prompt="0", completion="0") for i in range(20)]
    for row in rows:
        row["context_length"] = 0
    assert context_placeholder(rows).count == 0
    assert price_placeholder(rows).count == 0
    assert check_placeholders(rows, max_context_share=0.1, max_price_share=0.1) == []


@given(st.lists(st.sampled_from([4096, 8192, 32768, 131072]), min_size=PLACEHOLDER_MIN_ROWS, max_size=60))
@FAST
def test_placeholder_share_is_the_commonest_values_share(contexts: list[int]) -> None:
    rows = [_row(i, context=c) for i, c in enumerate(contexts)]
    measured = context_placeholder(rows)
    assert measured.count == max(contexts.count(c) for c in set(contexts))
    over = check_placeholders(rows, max_context_share=measured.share - 0.001, max_price_share=1.0)
    within = check_placeholders(rows, max_context_share=measured.share, max_price_share=1.0)
    assert [f.invariant for f in over] == ["placeholder-values"]
    assert within == []


# -- the reference -----------------------------------------------------------------------------------------


def _reference_file(tmp_path: Path) -> Path:
    """A catalog in LiteLLM's model_prices_and_context_window format, made by the test."""
    document = {
        "sample_spec": {"input_cost_per_token": 0.0, "litellm_provider": "one of https://docs.litellm.ai"},
        "openrouter/org/model-0": {"input_cost_per_token": 2e-08, "output_cost_per_token": 3e-08,
                                   "max_input_tokens": 8192, "litellm_provider": "openrouter", "mode": "chat"},
        "openrouter/org/model-1": {"input_cost_per_token": 4e-08, "output_cost_per_token": 6e-08,
                                   "max_input_tokens": 16384, "litellm_provider": "openrouter", "mode": "chat"},
        "org/model-2": {"input_cost_per_token": 6e-08, "output_cost_per_token": 9e-08,
                        "max_input_tokens": 24576, "litellm_provider": "openrouter"},
        "org/model-3": {"input_cost_per_token": 1.0, "litellm_provider": "deepinfra"},  # another provider's
        "broken": "not an entry",
    }
    path = tmp_path / "prices.json"
    path.write_text(json.dumps(document))
    return path


def test_reference_entries_of_a_provider_by_key_and_bare_key(tmp_path: Path) -> None:
    entries = reference_entries(json.loads(_reference_file(tmp_path).read_text()), "openrouter")
    assert {"openrouter/org/model-0", "org/model-0", "org/model-2"} <= set(entries)
    assert "org/model-3" not in entries
    assert "sample_spec" not in entries
    assert entries["org/model-0"].prompt == Decimal("2e-08")
    assert entries["org/model-0"].context == 8192
    assert reference_key("@openrouter/org/model-0", "openrouter", entries) == "openrouter/org/model-0"
    assert reference_key("org/model-2", "openrouter", entries) == "org/model-2"
    assert reference_key("org/unknown", "openrouter", entries) is None
    assert reference_entries(["not", "an", "object"], "openrouter") == {}


def test_healthy_rows_agree_with_the_reference(tmp_path: Path) -> None:
    entries = reference_entries(json.loads(_reference_file(tmp_path).read_text()), "openrouter")
    comparison = reference_mismatches(_healthy(10), entries, gateway="openrouter")
    assert comparison.compared == 3
    assert comparison.mismatches == ()
    assert check_reference(comparison, max_mismatch_share=0.0, reference="prices.json") == []


def test_each_mismatch_is_labelled_and_the_share_bounded(tmp_path: Path) -> None:
    entries = reference_entries(json.loads(_reference_file(tmp_path).read_text()), "openrouter")
    rows = _healthy(10)
    rows[0]["pricing"] = {"prompt": "0.02", "completion": "0.03"}  # per million
    rows[1]["pricing"]["prompt"] = "8e-08"  # twice the reference's
    rows[2]["context_length"] = 24  # in thousands
    comparison = reference_mismatches(rows, entries, gateway="openrouter")
    labels = {(m.model_id, m.field): m.label for m in comparison.mismatches}
    assert labels == {("org/model-0", "prompt"): "a unit factor (x1,000,000)",
                      ("org/model-0", "completion"): "a unit factor (x1,000,000)",
                      ("org/model-1", "prompt"): "a different value (x2)",
                      ("org/model-2", "context_length"): "a unit factor (x1/1,000)"}
    finding = _only(check_reference(comparison, max_mismatch_share=0.5, reference="prices.json", request=REQUEST),
                    "reference-mismatch")
    assert "3 of 3 models the reference knows (100%) differ from prices.json; at most 50% allowed" in finding.message
    assert "3 field(s) a unit factor, 1 field(s) a different value" in finding.message
    assert "'org/model-0 prompt 0.02 vs 0.00000002: a unit factor (x1,000,000)'" in finding.evidence
    assert check_reference(comparison, max_mismatch_share=1.0, reference="prices.json") == []


@pytest.mark.parametrize(("served", "reference", "label"), [
    ("0.00000025", "0.00000025", None),
    ("0.000000255", "0.00000025", None),  # within 5 %
    ("0.25", "0.00000025", "a unit factor (x1,000,000)"),
    ("0.00025", "0.00000025", "a unit factor (x1,000)"),
    ("2.5e-13", "0.00000025", "a unit factor (x1/1,000,000)"),
    ("0.0000005", "0.00000025", "a different value (x2)"),
    ("0", "0.00000025", "a different value"),
])
def test_mismatch_labels(served: str, reference: str, label: str | None) -> None:
    assert mismatch_label(Decimal(served), Decimal(reference), Decimal("0.05")) == label


@given(st.decimals(min_value=Decimal("1e-9"), max_value=Decimal("1e-3"), places=12),
       st.sampled_from([Decimal(10) ** 6, Decimal(10) ** 3, Decimal(10) ** -6, Decimal(10) ** -3]))
@FAST
def test_any_unit_slip_against_the_reference_is_a_unit_factor(price: Decimal, factor: Decimal) -> None:
    if price == 0:
        return
    assert mismatch_label(price, price, Decimal("0.05")) is None
    assert (mismatch_label(price * factor, price, Decimal("0.05")) or "").startswith("a unit factor")


def test_no_known_model_no_finding() -> None:
    comparison = reference_mismatches(_healthy(5), {}, gateway="openrouter")
    assert comparison.compared == 0
    assert check_reference(comparison, max_mismatch_share=0.0, reference="r") == []


def test_one_reading_per_gateway_side_of_the_band() -> None:
    # $0.02 to $60 per million served per million: a single "0.02" alone would read as per thousand ($20), the
    # gateway's prices together read as per million.
    prices = ["0.02", "0.15", "2.5", "15", "60"]
    rows = [_row(i, prompt=p, completion=p) for i, p in enumerate(prices)]
    assert likely_notation(Decimal("0.02"), BAND) == "per thousand tokens"
    assert {o.reading for o in out_of_band(rows, BAND)} == {"above the band: likely per million tokens"}
    finding = _only(check_price_band(rows, BAND), "price-band")
    assert finding.message.startswith("5 model(s) with a per-token price above the band: likely per million tokens")
