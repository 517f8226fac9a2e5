"""The sign-off report's "Listed means callable" section (report/sections/callable_share.py): the callable share
per gateway from the probe's facts, failing gateways first with each failing model, the earlier runs' shares."""

from __future__ import annotations

from typing import Any

from gateway_contracts.data.exchange import Exchange
from gateway_contracts.invariants.callable import Share, classify
from gateway_contracts.plan import probe_chat_body
from gateway_contracts.report import runrecord
from gateway_contracts.report.html_page import render_html
from gateway_contracts.report.interface import ReportInput
from gateway_contracts.report.markdown_page import render_markdown
from gateway_contracts.report.sections import SECTIONS
from gateway_contracts.report.sections.callable_share import SECTION
from gateway_contracts.report.view import build_view, section_views
from tests.self.unit.report.test_report import COMPLETE, HISTORY, clean

OK = '{"object": "chat.completion", "choices": [{"message": {"role": "assistant", "content": "o"}}]}'


def facts(gateway: str, *statuses: int, bound: float = 1.0) -> dict[str, Any]:
    calls = tuple(classify(f"{gateway}/m{i}", Exchange("POST", "http://t/v1/chat/completions", s,
                                                        "application/json", OK if s == 200 else
                                                        '{"error": {"code": "upstream_error"}}', authenticated=True),
                           probe_chat_body(f"{gateway}/m{i}")) for i, s in enumerate(statuses))
    return Share(gateway, calls, bound, "2026-12-07", cover_days=len(statuses) // 2 or None).summary()


RECORD = {**clean(), "callable": {"openai": facts("openai", 200, 200), "groq": facts("groq", 200, 502, 502, 429)}}


def test_the_section_is_registered_and_its_trend_point_is_the_share_per_gateway() -> None:
    assert SECTION in SECTIONS
    assert SECTION.trend_point(RECORD["callable"]) == {"openai": 1.0, "groq": 0.3333}
    assert runrecord.history_entry({**RECORD, "run": "nightly"})["callable"] == {"openai": 1.0, "groq": 0.3333}


def test_failing_gateways_come_first_with_each_failing_model_in_both_pages() -> None:
    history = [{**h, "callable": {"groq": 1.0}} for h in HISTORY]
    shown = section_views(ReportInput(RECORD, COMPLETE, history), SECTIONS)
    rows = dict(shown)[SECTION]
    assert [(r["gateway"], r["holds"]) for r in rows] == [("groq", False), ("openai", True)]
    assert rows[0]["failing"] == ["groq/m1 (502 upstream_error)", "groq/m2 (502 upstream_error)"]
    assert rows[0]["uncounted"] == 1
    assert rows[0]["before"] == [1.0] * 5  # the same target's earlier runs
    again = section_views(ReportInput(RECORD, COMPLETE, [*history, {**history[-1], "finished_at": RECORD["finished_at"],
                                                                      "callable": {"groq": 0.3333}}]), SECTIONS)
    assert dict(again)[SECTION][0]["before"] == [1.0] * 5  # this run's own history line is not an earlier run
    view = build_view(RECORD, COMPLETE, history, [])
    view.sections = shown
    html, md = render_html(view), render_markdown(view)
    assert html.index("<h2>Gateways") < html.index("<h2>Listed means callable") < html.index("<h2>Failing contracts")
    assert '<span class="k-bad">33%</span>' in html
    assert "groq/m1 (502 upstream_error), groq/m2 (502 upstream_error)" in html
    assert "1 of 3 (1 not counted)" in html
    assert "<td>2 nights</td>" in html  # groq: the rotation covers its catalog in 2 nights, openai every night
    assert "| groq | **33%** | 100% | 1 of 3 | groq/m1 (502 upstream_error), groq/m2 (502 upstream_error) |" in md
    assert "| openai | 100% | 100% | 2 of 2 | none |" in md


def test_without_the_probe_there_is_no_section() -> None:
    assert SECTION not in dict(section_views(ReportInput(clean(), COMPLETE, HISTORY), SECTIONS))


def test_a_probe_failure_is_labelled_by_its_gateway_and_reproduced_by_its_curl_line() -> None:
    from types import SimpleNamespace

    from gateway_contracts.contract import Gateway
    from gateway_contracts.data.findings import render_all
    from gateway_contracts.invariants.callable import callable_findings
    from gateway_contracts.report.junit import Case
    from gateway_contracts.report.labels import labels_of
    from gateway_contracts.report.view import _distinct

    groq = Gateway("groq", (), 1, None, (), 70.0, None, 1.0, 0.1)
    item = SimpleNamespace(originalname="test_listed_models_answer_chat", name="test_listed_models_answer_chat[groq]",
                           callspec=SimpleNamespace(params={"probed_gateway": groq}), fixturenames=("catalogs",),
                           keywords={}, iter_markers=lambda: [], get_closest_marker=lambda name: None)
    assert labels_of(item, "all").feature == "groq"  # type: ignore[arg-type]
    calls = (classify("groq/m", Exchange("POST", "http://t/v1/chat/completions", 502, "application/json",
                                         '{"error": {"code": "upstream_error"}}', authenticated=True),
                      probe_chat_body("groq/m")),)
    text = render_all(callable_findings(Share("groq", calls, 1.0, "2026-12-07")))
    distinct = _distinct(Case("tests.contract.test_listed_models", "t[groq]", "failed", message=text))
    assert [d.code for d in distinct] == ["GC409", "GC410"]
    assert distinct[1].curl.startswith("curl -X POST http://t/v1/chat/completions -H 'Authorization: Bearer ***'")
