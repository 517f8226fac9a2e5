"""The values scorecard section: collected from the run's recorded walks (no request) and the reference facts the
reference contract published, kept in the run record and the history, shown with a trend in both pages."""

from __future__ import annotations

import json
from pathlib import Path

from gateway_contracts.contract import parse_contract
from gateway_contracts.data.exchange import Exchange
from gateway_contracts.report import evidence, runrecord
from gateway_contracts.report.html_page import render_html
from gateway_contracts.report.interface import SessionEnd
from gateway_contracts.report.markdown_page import render_markdown
from gateway_contracts.report.sections.scorecard import SECTION
from gateway_contracts.report.view import build_view
from tests.self.unit.report.test_report import COMPLETE, clean

ROWS = [{"id": f"o/m{i}", "source_gateway": "a", "context_length": 128000,
         "pricing": {"prompt": "0.15" if i < 2 else "1e-7", "completion": "2e-7"}} for i in range(12)]


def _end(tmp_path: Path, published: dict | None = None) -> SessionEnd:
    contract = parse_contract("version: 1\ndefaults: {max_placeholder_context_share: 0.5}\ngateways:\n"
                              "  a: {min_models: 1}\n  b: {min_models: 1}\n", tmp_path / "c.yaml")
    body = {"data": ROWS, "total": 12, "offset": 0, "limit": 1000, "returned": 12, "has_more": False,
            "next_offset": None, "gateway": "a"}
    exchange = Exchange("GET", "http://t/v1/models?gateway=a&limit=1000&offset=0", 200, "application/json",
                        json.dumps(body), 0.1)
    (tmp_path / "0.json").write_text(json.dumps(exchange.to_dict()))
    store = evidence.offline_store("http://t", tmp_path, contract)
    return SessionEnd(contract, store, evidence.snapshot(store, contract, target="http://t", suite_version="0"),
                      published or {})


def test_collected_from_the_recorded_walks_with_the_published_reference_share(tmp_path: Path) -> None:
    facts = SECTION.collect(_end(tmp_path, {"a": {"compared": 4, "mismatched": 1, "bound": 0.1}}))
    assert [g["gateway"] for g in facts] == ["a"]  # b was never requested: not scored, not fetched
    measures = facts[0]["measures"]
    assert measures["rows"] == {"value": 12, "bound": None, "low": 1}
    assert measures["placeholder_context"]["value"] == 1.0
    assert measures["out_of_band"]["value"] == 2
    assert measures["reference_mismatch"] == {"value": 0.25, "bound": 0.1, "low": None}
    assert SECTION.collect(_end(tmp_path))[0]["measures"]["reference_mismatch"]["value"] is None


def test_kept_in_the_record_and_history_shown_with_a_trend_in_both_pages(tmp_path: Path) -> None:
    facts = SECTION.collect(_end(tmp_path))
    earlier = {**clean(), "run": "nightly", "finished_at": "2026-11-25T03:00:00Z",
               "scorecard": [{**facts[0], "measures": {**facts[0]["measures"],
                                                       "out_of_band": {"value": 0, "bound": 0, "low": None}}}]}
    later = {**earlier, "finished_at": "2026-11-27T03:00:00Z",
             "scorecard": [{**facts[0], "measures": {**facts[0]["measures"],
                                                     "out_of_band": {"value": 5, "bound": 0, "low": None}}}]}
    history = [runrecord.history_entry(earlier), runrecord.history_entry(later)]  # a re-render sees later runs
    assert history[0]["scorecard"] == {"a": {**SECTION.trend_point(facts)["a"], "out_of_band": 0}}
    view = build_view(clean(scorecard=facts), COMPLETE, history)
    html, md = render_html(view), render_markdown(view)
    assert html.count("<h2>Values scorecard</h2>") == 1
    assert "<script" not in html
    assert html.index("Values scorecard") < html.index("Fuzz")
    assert "change since the run of 2026-11-25T03:00:00Z" in html
    assert "a prices out of band: 2 \u2191 (bound &lt;= 0)" not in html  # the tooltip holds the bound ...
    assert "a prices out of band: 2 (bound &lt;= 0)" in html  # ... and the cell the arrow
    assert ">2 \u2191</text>" in html
    assert "### Values scorecard" in md
    assert "| a | 12 (>= 1) | 0 (<= 0) |" in md
    assert "**100%** (<= 50%)" in md
    assert "**2 \u2191** (<= 0)" in md
    assert "scorecard" not in {s.name for s, _ in build_view(clean(), COMPLETE, []).sections}


def test_the_callable_share_of_a_probed_run_is_a_measure_against_the_gateways_least_share(tmp_path: Path) -> None:
    facts = SECTION.collect(_end(tmp_path))
    probed = {"a": {"share": 0.6, "bound": 0.9, "sampled": 10, "failed": [], "day": "2026-12-07"}}
    md = render_markdown(build_view(clean(scorecard=facts, callable=probed), COMPLETE, []))
    card = md.split("### Values scorecard", 1)[1]
    assert "callable share" in card.split("| Gateway |", 1)[1].splitlines()[0]
    assert "**60%** (>= 90%)" in md  # under the gateway's least share: bold, as any measure over its bound
    held = {"a": {**probed["a"], "share": 1.0}}
    assert "| 100% (>= 90%) |" in render_markdown(build_view(clean(scorecard=facts, callable=held), COMPLETE, []))
    unprobed = render_markdown(build_view(clean(scorecard=facts), COMPLETE, [])).split("### Values scorecard", 1)[1]
    assert unprobed.split("| a |", 1)[1].splitlines()[0].rstrip().endswith("- (not checked) |")  # the gate: none
