"""The values scorecard: per gateway, each measure against its bound, the record round trip, the trend from the
history and the offline picture."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from gateway_contracts.contract import load_contract
from gateway_contracts.contract_model import ValueBounds
from gateway_contracts.invariants import values
from gateway_contracts.report.value_scores import (
    MEASURES,
    from_record,
    heatmap_svg,
    scorecard,
    to_record,
    trend,
    trend_point,
    with_reference,
)

ROOT = Path(__file__).resolve().parents[4]


def _published(contract: Any, slug: str, rows: list[dict[str, Any]]) -> dict[str, Any] | None:
    """What test_values_match_reference publishes for a gateway (the one comparison a run makes)."""
    spec = contract.reference
    if spec is None or not spec.compares(slug):
        return None
    entries = values.reference_entries(spec.document, spec.provider(slug))
    comparison = values.reference_mismatches(rows, entries, gateway=slug, tolerance=Decimal(str(spec.tolerance)))
    return {"compared": comparison.compared, "mismatched": len(comparison.models), "bound": spec.max_mismatch_share}


def _rows(n: int, **change: Any) -> list[dict[str, Any]]:
    return [{"id": f"org/m{i}", "context_length": 4096 * (1 + i % 5),
             "pricing": {"prompt": f"{i % 7 + 1}e-7", "completion": f"{i % 7 + 2}e-7"}, **change} for i in range(n)]


def _contract(tmp_path: Path, reference: bool = False) -> Any:
    text = """version: 1
defaults: {max_unknown_context_share: 0.25, max_placeholder_context_share: 0.5}
gateways:
  good: {min_models: 10, max_models: 100}
  bad: {min_models: 10, max_unpriced_share: 0.1}
"""
    if reference:
        (tmp_path / "ref.json").write_text(json.dumps({f"good/org/m{i}": {
            "input_cost_per_token": (i % 7 + 1) * 1e-7, "litellm_provider": "good"} for i in range(4)}))
        text += "reference: {file: ref.json, max_mismatch_share: 0.2}\n"
    (tmp_path / "c.yaml").write_text(text)
    return load_contract(tmp_path / "c.yaml")


def test_each_measure_against_its_bound(tmp_path: Path) -> None:
    contract = _contract(tmp_path)
    bad_rows = [*_rows(20, context_length=131072), *_rows(2)]  # 20 of 22 at one context, 2 ids twice
    bad_rows[0] = {**bad_rows[0], "pricing": {"prompt": "0.5", "completion": "0.5"}}  # per million
    bad_rows[1] = {**bad_rows[1], "pricing": None}
    bad_rows[2] = {**bad_rows[2], "context_length": 0}
    good, bad = scorecard(contract, {"good": _rows(30), "bad": bad_rows})
    assert good.broken == []
    assert {m.key: m.holds for m in good.measures} == {
        "rows": True, "duplicates": True, "unknown_context": True, "unpriced": None, "placeholder_context": True,
        "placeholder_price": None, "out_of_band": True, "reference_mismatch": None}
    assert bad.broken == ["duplicates", "placeholder_context", "out_of_band"]
    assert bad.measure("duplicates").value == 2
    assert bad.measure("unpriced").text() == "5%"
    assert bad.measure("unpriced").bound_text() == "<= 10%"
    assert bad.measure("rows").bound_text() == ">= 10"
    assert good.measure("rows").bound_text() == "10..100"
    assert bad.measure("placeholder_context").value == 19 / 22  # the zero is unknown, not a placeholder


def test_a_gateway_below_its_floor_or_unwalked(tmp_path: Path) -> None:
    contract = _contract(tmp_path)
    card = scorecard(contract, {"good": _rows(3), "bad": None})
    assert [s.gateway for s in card] == ["good"]
    assert card[0].broken == ["rows"]
    assert card[0].measure("placeholder_context").holds is None  # 3 rows are too few to judge


def test_reference_mismatches_are_a_measure_when_the_contract_names_one(tmp_path: Path) -> None:
    contract = _contract(tmp_path, reference=True)
    rows = _rows(30)
    rows[0] = {**rows[0], "pricing": {"prompt": "2e-7", "completion": "2e-7"}}  # twice the reference's
    good, bad = [with_reference(score, _published(contract, score.gateway, walked))
                 for score, walked in zip(scorecard(contract, {"good": rows, "bad": _rows(12)}),
                                          (rows, _rows(12)), strict=True)]
    assert good.measure("reference_mismatch").value == 0.25  # 1 of the 4 models it knows
    assert good.measure("reference_mismatch").holds is False
    assert bad.measure("reference_mismatch").value is None  # the reference knows none of bad's models


def test_the_record_round_trip_and_the_trend(tmp_path: Path) -> None:
    contract = _contract(tmp_path)
    card = scorecard(contract, {"good": _rows(30), "bad": _rows(12)})
    kept = json.loads(json.dumps(to_record(card)))
    assert from_record(kept) == card
    assert from_record([{"gateway": "x"}, "junk", {"gateway": "y", "measures": {"nope": {}}}]) == [
        type(card[0])("y", ())]
    earlier = [trend_point(scorecard(contract, {"good": _rows(40), "bad": _rows(12)})), {"unrelated": 1}]
    moved = trend(card, earlier)
    assert moved[("good", "rows")] == -10
    assert moved[("bad", "rows")] == 0
    assert ("good", "reference_mismatch") not in moved


def test_the_picture_is_offline_svg_with_a_cell_per_measure(tmp_path: Path) -> None:
    contract = _contract(tmp_path)
    bad_rows = _rows(20, context_length=131072)
    card = scorecard(contract, {"good": _rows(30), "bad": bad_rows})
    svg = heatmap_svg(card, {("good", "rows"): -10.0})
    assert svg.startswith("<svg")
    assert svg.endswith("</svg>")
    assert "<script" not in svg
    assert "href" not in svg
    assert "http://" not in svg.replace(
        'xmlns="http://www.w3.org/2000/svg"', "")
    assert len(re.findall("<rect ", svg)) == len(MEASURES) * 2
    assert "bad placeholder context: 100% (bound &lt;= 50%)" in svg
    assert "#d9534f" in svg  # red: over its bound
    assert "30 \u2193" in svg  # good's rows went down since the earlier run


def test_the_default_contract_scores_the_healthy_reference_gateway_clean() -> None:
    from gateway_testbed.reference.generator import build_catalog

    contract = load_contract(ROOT / "contracts" / "gateways.yaml")
    catalog = build_catalog()
    walked = {slug: list(rows.iter_rows()) for slug, rows in catalog.gateways.items()}
    card = [with_reference(score, _published(contract, score.gateway, walked[score.gateway]))
            for score in scorecard(contract, walked)]
    assert len(card) == len(contract.gateways)
    assert {s.gateway: s.broken for s in card if s.broken} == {}
    assert card[0].measure("reference_mismatch").value == 0.0
    loose = replace(contract.gateways[0], values=ValueBounds(max_placeholder_context_share=0.01))
    assert scorecard(replace(contract, gateways=(loose,)), walked)[0].broken == ["placeholder_context"]
