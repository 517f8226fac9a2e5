"""The report's two seams: sections (facts published by tests -> run record -> history -> view -> HTML and
Markdown) and formats (one registry, distinct names and files). The transport of published facts across xdist
workers is proven by tests/self/e2e/test_report_facts.py."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from gateway_contracts.data.exchange import Exchange
from gateway_contracts.report import facts, runrecord
from gateway_contracts.report.formats import FORMATS
from gateway_contracts.report.html_page import render_html
from gateway_contracts.report.interface import PLACES, ReportInput, Section, SessionEnd
from gateway_contracts.report.markdown_page import render_markdown
from gateway_contracts.report.recording import _redacted
from gateway_contracts.report.sections import SECTIONS
from gateway_contracts.report.sections.required_models import SECTION as REQUIRED
from gateway_contracts.report.view import build_view, section_views
from tests.self.unit.report.test_report import COMPLETE, HISTORY, clean


class Share(Section):
    """A section as a feature would write one: per-gateway facts from tests, a trend point, both pages."""

    name = "share_for_test"
    place = "after-gateways"
    css = ".share-low { color: #c62828; }"

    def trend_point(self, facts: Any) -> Any:
        return {slug: fact["share"] for slug, fact in facts.items()}

    def view(self, facts: Any, report: ReportInput) -> Any:
        if facts is None:
            return None  # nothing published: no section
        return {"now": facts, "trend": report.history_of(self.name)}

    def html(self, view: Any) -> str:
        rows = "".join(f"<li>{slug}: {fact['share']}</li>" for slug, fact in sorted(view["now"].items()))
        return f"<h2>Share</h2><ul>{rows}</ul><p>{len(view['trend'])} past runs</p>"

    def markdown(self, view: Any) -> list[str]:
        return ["", "### Share", ""] + [f"- {slug}: {fact['share']}" for slug, fact in sorted(view["now"].items())]


def _config() -> Any:
    return SimpleNamespace(stash=pytest.Stash())


def test_published_facts_are_kept_per_section_and_key_the_last_value_winning() -> None:
    config = _config()
    facts.publish(config, "share", "openrouter", {"share": 0.9})
    facts.publish(config, "share", "groq", {"share": 0.5})
    facts.publish(config, "share", "groq", {"share": 0.6})
    facts.publish(config, "other", "x", [1, "two", None])
    assert facts.published(config) == {"share": {"openrouter": {"share": 0.9}, "groq": {"share": 0.6}},
                                        "other": {"x": [1, "two", None]}}


@pytest.mark.parametrize("value", [object(), {"x": float("nan")}, {1: {2}}])
def test_a_fact_json_cannot_carry_is_refused_naming_it(value: Any) -> None:
    with pytest.raises(TypeError, match=r"^report fact share/groq: not JSON"):
        facts.publish(_config(), "share", "groq", value)


def test_a_workers_facts_merge_into_the_controllers_and_garbage_is_ignored() -> None:
    mine: dict[str, dict[str, Any]] = {"share": {"a": 1}}
    facts.merge(mine, {"share": {"b": 2}, "other": {"c": 3}, "bad": "not a dict"})
    facts.merge(mine, None)
    facts.merge(mine, ["not", "a", "dict"])
    assert mine == {"share": {"a": 1, "b": 2}, "other": {"c": 3}}


def test_a_sections_facts_go_into_the_run_record_and_its_trend_point_into_the_history(
        monkeypatch: pytest.MonkeyPatch) -> None:
    record = {**clean(), "run": "r", "share_for_test": {"groq": {"share": 0.6}}, "absent": None}
    monkeypatch.setattr(runrecord, "SECTIONS", (*SECTIONS, Share()))
    line = runrecord.history_entry(record)
    assert line["share_for_test"] == {"groq": 0.6}
    assert "aliases" not in line
    assert "required" not in line


def test_a_section_renders_at_its_place_in_both_pages_and_not_at_all_without_facts() -> None:
    history = [{**h, "share_for_test": {"groq": 0.5}} for h in HISTORY]
    record = {**clean(), "share_for_test": {"groq": {"share": 0.6}}}
    report = ReportInput(record, COMPLETE, history)
    shown = section_views(report, (*SECTIONS, Share()))
    assert [s.name for s, _ in shown] == ["aliases", "required", "share_for_test"]
    assert shown[-1][1]["trend"] == [(h["finished_at"], {"groq": 0.5}) for h in HISTORY[:5]]  # same target only
    view = build_view(record, COMPLETE, history, [])
    view.sections = shown
    html, md = render_html(view), render_markdown(view)
    # after-gateways: between the gateway table and the failing contracts; the others after the changes.
    assert html.index("<h2>Gateways") < html.index("<h2>Share") < html.index("<h2>Failing contracts")
    assert "<li>groq: 0.6</li>" in html
    assert html.count(".share-low { color: #c62828; }</style>") == 1  # its own style, once, in the page's head
    assert "<p>5 past runs</p>" in html
    assert md.index("### Gateways") < md.index("### Share") < md.index("### Failing contracts")
    assert md.index("### Known findings") < md.index("### Aliases") < md.index("### Required models")
    assert "- groq: 0.6" in md
    without = section_views(ReportInput(clean(), COMPLETE, history), (*SECTIONS, Share()))
    assert [s.name for s, _ in without] == ["aliases", "required"]


def test_a_sections_facts_are_redacted_before_they_reach_the_record() -> None:
    facts_in = {"groq": {"body": "Bearer sk-secret-123 was sent"}}
    assert _redacted(facts_in, lambda s: s.replace("sk-secret-123", "***")) == {"groq": {"body": "Bearer *** was sent"}}
    assert _redacted(None, str) is None


def test_the_registries_hold_distinct_names_files_and_places() -> None:
    names = [s.name for s in SECTIONS]
    assert len(set(names)) == len(names)
    assert all(names)
    assert all(s.place in PLACES for s in SECTIONS)
    # A section's name is its key in the run record and the history line: never one of their own keys.
    record = {k: v for k, v in clean().items() if k not in names}
    assert not set(names) & (set(record) | set(runrecord.history_entry(record)))
    assert [f.name for f in FORMATS] == list(dict.fromkeys(f.name for f in FORMATS))
    files = [f.filename for f in FORMATS if f.filename]
    assert files == ["signoff.html", "signoff.md"]


def test_required_models_are_collected_from_the_runs_recorded_walks_only(tmp_path: Path) -> None:
    from gateway_contracts.contract import parse_contract
    from gateway_contracts.report import evidence

    contract = parse_contract("version: 1\ngateways:\n  a: {min_models: 1, required_models: [m/1, m/9]}\n"
                              "  b: {min_models: 1, required_models: [m/2]}\n", tmp_path / "c.yaml")
    body = {"data": [{"id": "m/1", "source_gateway": "a"}], "total": 1, "offset": 0, "limit": 1000, "returned": 1,
            "has_more": False, "next_offset": None, "gateway": "a"}
    exchange = Exchange("GET", "http://t/v1/models?gateway=a&limit=1000&offset=0", 200, "application/json",
                        json.dumps(body), 0.1)
    (tmp_path / "0.json").write_text(json.dumps(exchange.to_dict()))
    store = evidence.offline_store("http://t", tmp_path, contract)
    snapshot = evidence.snapshot(store, contract, target="http://t", suite_version="0")
    end = SessionEnd(contract, store, snapshot)
    assert end.walked("b") is None  # never requested in this run: not fetched now either
    assert REQUIRED.collect(end) == [
        {"model": "m/1", "gateway": "a", "in_gateway": True, "in_aggregate": None},
        {"model": "m/9", "gateway": "a", "in_gateway": False, "in_aggregate": None},
    ]


def test_every_section_and_format_module_is_registered() -> None:
    import importlib
    import pkgutil

    from gateway_contracts import report
    from gateway_contracts.report import sections
    from gateway_contracts.report.interface import ReportFormat

    modules = [importlib.import_module(f"gateway_contracts.report.sections.{m.name}")
               for m in pkgutil.iter_modules(sections.__path__)]
    assert sorted(type(m.SECTION).__module__ for m in modules) == sorted(type(s).__module__ for s in SECTIONS)
    defining = {m.name for m in pkgutil.iter_modules(report.__path__) if not m.ispkg and m.name != "__main__"
                and isinstance(getattr(importlib.import_module(f"gateway_contracts.report.{m.name}"), "FORMAT", None),
                               ReportFormat)}
    assert defining == {type(f).__module__.rsplit(".", 1)[1] for f in FORMATS}
