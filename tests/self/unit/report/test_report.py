"""Unit tests of the sign-off report: JUnit reading, the view (verdict, gateway table, fuzz, trend), HTML and
Markdown output, Allure post-processing and the no-Node path of `make report`."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from gateway_contracts.report.allure import strip_analytics
from gateway_contracts.report.chart import Point, _ticks, panel
from gateway_contracts.report.html_page import render_html
from gateway_contracts.report.junit import Case, read_junit
from gateway_contracts.report.markdown_page import render_markdown
from gateway_contracts.report.runrecord import narrowing
from gateway_contracts.report.view import build_view, make_redactor

ROOT = Path(__file__).resolve().parents[4]
KEY = "sk-live-0123456789abcdef"

JUNIT = f"""<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest" tests="6">
<testcase classname="tests.contract.test_gateways" name="test_count_within_bounds[huggingface]" time="0.1">
 <properties><property name="gateway" value="huggingface"/><property name="invariant" value="count within bounds"/>
 </properties>
 <failure message="x">[count-floor] 101 distinct models, expected at least 1,000
    request: GET http://t/v1/models?gateway=huggingface&amp;limit=1000 -&gt; 200 in 0.10 s
[no-duplicate-ids] 1,200 rows hold 100 distinct ids
    evidence: 'a/b' x12, 'a/c' x12
    request: GET http://t/v1/models?gateway=huggingface (Authorization: Bearer {KEY}) -&gt; 200 in 0.10 s</failure>
</testcase>
<testcase classname="tests.contract.test_gateways" name="test_gateway_answers_200[openrouter]" time="0.1">
 <properties><property name="gateway" value="openrouter"/></properties></testcase>
<testcase classname="tests.contract.test_api_surface" name="test_chat_model_answers[m]" time="0.1">
 <properties><property name="gateway" value="api"/><property name="marks" value="gate keyed nightly signoff"/>
 </properties>
 <skipped type="pytest.skip" message="GATEWAY_API_KEY is not set">tests/contract/x.py:3: GATEWAY_API_KEY</skipped>
</testcase>
<testcase classname="tests.fuzz.test_fuzz" name="test_api[GET /v1/models]" time="1">
 <properties><property name="fuzz_cases" value="generated=37 passed=37 failed=0"/></properties></testcase>
<testcase classname="tests.fuzz.test_fuzz" name="test_api[GET /v1/gateways/status]" time="1">
 <properties><property name="fuzz_cases" value="generated=12 passed=11 failed=1"/></properties>
 <failure message="Server error: 500 Internal Server Error on GET /v1/gateways/status">tests/fuzz/test_fuzz.py:9: in
    test_api
E   Server error: 500 Internal Server Error on GET /v1/gateways/status</failure></testcase>
<testcase classname="tests.fuzz.test_fuzz" name="test_api[GET /v1/models]" time="1">
 <skipped message="no case"/></testcase>
</testsuite></testsuites>
"""


def record(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "run": "signoff", "started_at": "2026-11-26T05:00:00Z", "finished_at": "2026-11-26T05:01:00Z",
        "exit_status": 1,
        "target": {"name": "https://staging.example.com", "description": "https://staging.example.com",
                   "version": "2.4.0", "embedded": False, "faults": []},
        "suite_version": "0.1.0", "git_sha": "abc123", "spec_hash": "84d3167b3f4e", "contract": "c.yaml",
        "gateways_selected": None, "aggregate": "all", "junit": None, "broken": ["huggingface"],
        "baseline": {"path": "contracts/baselines/staging.json", "taken_at": "2026-11-20T00:00:00Z",
                     "target": "https://staging.example.com", "target_version": "2.3.9"},
        "gateways": [
            {"gateway": "openrouter", "status": 200, "complete": True, "total": 340, "envelope_total": 340,
             "unique": 340, "duplicates": 0, "floor": 300, "ceiling": 1000,
             "baseline": {"unique": 330, "delta": 10, "delta_pct": 3.03, "notes": ["openrouter: 330 -> 340"]}},
            {"gateway": "huggingface", "status": 200, "complete": True, "total": 1200, "envelope_total": 1200,
             "unique": 100, "duplicates": 1100, "floor": 1000, "ceiling": 5000,
             "baseline": {"unique": 1204, "delta": -1104, "delta_pct": -91.69, "notes": []}},
            {"gateway": "deepinfra", "status": 404, "complete": False, "total": 0, "envelope_total": None,
             "unique": 0, "duplicates": 0, "floor": 150, "ceiling": None, "baseline": None},
        ],
        "aliases": [{"gateway": "huggingface", "alias": "hug", "gateway_ids": 100, "alias_ids": 50, "equal": False,
                     "missing": ["a/x"], "missing_count": 50, "extra": [], "extra_count": 0, "status": 200}],
        "required": [{"model": "katanemo/Arch-Router-1.5B", "gateway": "huggingface", "in_gateway": False,
                      "in_aggregate": None}],
    }
    base.update(overrides)
    return base


HISTORY = [
    {"run": "nightly", "finished_at": f"2026-11-2{i}T03:00:00Z", "exit_status": 0,
     "target": "https://staging.example.com", "counts": {"openrouter": 330 + i, "huggingface": 1204}, "broken": []}
    for i in range(5)
] + [{"run": "x", "finished_at": "2026-11-25T03:00:00Z", "target": "other", "counts": {"openrouter": 1}}]


@pytest.fixture
def junit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("GATEWAY_API_KEY", KEY)
    path = tmp_path / "junit.xml"
    path.write_text(JUNIT)
    return path


def test_junit_cases_outcomes_properties_findings_and_operations(junit: Path) -> None:
    cases = read_junit(junit, make_redactor())
    assert [c.outcome for c in cases] == ["failed", "passed", "skipped", "passed", "failed", "skipped"]
    first = cases[0]
    assert first.prop("gateway") == "huggingface"
    assert first.test_id == "tests/contract/test_gateways.py::test_count_within_bounds[huggingface]"
    findings = first.findings()
    assert [f.invariant for f in findings] == ["count-floor", "no-duplicate-ids"]
    assert findings[1].evidence == "'a/b' x12, 'a/c' x12"
    assert KEY not in findings[1].request
    assert "Bearer ***" in findings[1].request
    assert [c.operation for c in cases if c.is_fuzz] == ["GET /v1/models", "GET /v1/gateways/status", "GET /v1/models"]
    assert cases[4].findings()[0].invariant == "failure"  # free text becomes one finding


def test_view_verdict_gateway_table_fuzz_trend(junit: Path) -> None:
    view = build_view(record(), read_junit(junit, make_redactor()), HISTORY, ["run.json"])
    assert (view.verdict, view.headline) == ("fail", "NOT READY TO SIGN")
    # One line per distinct failure (the huggingface test has two), named, no body.
    assert view.reasons == ["huggingface: 101 distinct models, expected at least 1,000",
                            "huggingface: 1,200 rows hold 100 distinct ids",
                            "fuzz GET /v1/gateways/status: Server error: 500 Internal Server Error on GET "
                            "/v1/gateways/status"]
    rows = {g.gateway: g for g in view.gateways}
    hf = rows["huggingface"]
    assert (hf.total, hf.unique, hf.duplicates, hf.status) == (1200, 100, 1100, "FAIL")
    assert hf.detail == "count-floor; no-duplicate-ids"
    assert (hf.floor_note, hf.floor_kind) == ("900 below", "bad")
    assert hf.baseline == "1,204 → 100 (-91.7 %)"
    assert (rows["openrouter"].status, rows["openrouter"].baseline_kind) == ("OK", "up")
    assert (rows["deepinfra"].status, rows["deepinfra"].detail, rows["deepinfra"].baseline) == (
        "ERROR", "HTTP 404", "not in baseline")
    fuzz = {f.operation: f for f in view.fuzz}
    assert (fuzz["GET /v1/models"].tests, fuzz["GET /v1/models"].skipped) == (2, 1)
    assert fuzz["GET /v1/gateways/status"].first_failure.startswith("Server error: 500")
    assert [slug for slug, _, _ in view.trend] == ["openrouter", "huggingface"]
    assert len(view.trend[0][1]) == 5  # only runs against the same target
    assert view.skipped == [("GATEWAY_API_KEY is not set", 1), ("no case", 1)]


# A run that checked everything a release needs: a contract and a fuzz operation that recorded its cases.
CONTRACT_OK = Case("tests.contract.t", "test_a[openrouter]", "passed",
                   properties=(("gateway", "openrouter"), ("marks", "gate nightly signoff")))
FUZZ_OK = Case("tests.fuzz.test_fuzz", "test_fuzz_nightly[GET /v1/models]", "passed",
               properties=(("fuzz_cases", "generated=40 passed=40 failed=0"),))
COMPLETE = [CONTRACT_OK, FUZZ_OK]


def skipped(name: str, reason: str, marks: str | None = "gate nightly signoff") -> Case:
    props = (("gateway", "api"),) + ((("marks", marks),) if marks is not None else ())
    return Case("tests.contract.t", name, "skipped", message=f"tests/contract/t.py:9: {reason}", properties=props)


def clean(**overrides: Any) -> dict[str, Any]:
    """A passing record against a real target with a baseline, every gateway selected."""
    return record(exit_status=0, broken=[], **overrides)


def test_verdicts() -> None:
    assert build_view(clean(), [], [], []).verdict == "incomplete"  # no results at all
    assert build_view(clean(), COMPLETE, [], []).headline == "READY TO SIGN"
    assert build_view(record(exit_status=2), COMPLETE, [], []).verdict == "incomplete"
    view = build_view(clean(baseline=None, target={**record()["target"], "faults": ["hang"], "embedded": True}),
                      [CONTRACT_OK], [], [])
    assert any("No baseline comparison" in c for c in view.cautions)
    assert any("Faults were injected" in c for c in view.cautions)


def test_real_target_without_baseline_is_incomplete_with_the_reason_first() -> None:
    view = build_view(clean(baseline=None), COMPLETE, [], [])
    assert view.verdict == "incomplete"
    assert view.headline == "INCOMPLETE: no baseline comparison"
    assert "hf-partial-load" in view.reasons[0]
    assert "above the floors" in view.reasons[0]
    md = render_markdown(view)
    assert md.startswith("## ⚠️ INCOMPLETE: no baseline comparison\n\nDo not sign yet")
    assert md.index("hf-partial-load") < md.index("### Gateways")  # in the verdict, not a footnote
    html = render_html(view)
    verdict_box = html[html.index('<div class="verdict incomplete">'):html.index('<dl class="facts">')]
    assert "hf-partial-load" in verdict_box


def test_embedded_gateway_without_baseline_can_be_ready() -> None:
    embedded = {**record()["target"], "embedded": True}
    assert build_view(clean(baseline=None, target=embedded), COMPLETE, [], []).headline == "READY TO SIGN"


@pytest.mark.parametrize("chat", [
    skipped("test_chat_model_answers[m]", "keyless run (KEYLESS=1): the target serves no chat", "gate keyed"),
    skipped("test_chat_model_answers[m]", "GATEWAY_API_KEY is not set: keyed chat checks need a key", None),
], ids=["keyless-opt-out-by-mark", "no-key-by-reason"])
def test_skipped_keyed_contract_is_incomplete(chat: Case) -> None:
    view = build_view(clean(), [*COMPLETE, chat], [], [])
    assert view.verdict == "incomplete"
    assert view.headline.startswith("INCOMPLETE: chat not checked with the API key (1 keyed contract skipped)")
    assert chat.message.split(": ", 1)[1] in view.reasons[0]


@pytest.mark.parametrize(("overrides", "extra", "title"), [
    ({"gateways_selected": "openrouter,all"}, [], "only some gateways checked"),
    ({}, [skipped("test_gateway_matches_baseline[new]", "new is not in the baseline of 2026-11-20")],
     "1 gateway not compared with the baseline"),
    ({}, [skipped("test_pagination_is_coherent[x]", "something new skipped this")], "1 contract skipped"),
    ({"narrowed": ["-k chat"]}, [], "the run was narrowed"),
    ({"changes": {"failing": 0, "reported": 0, "catalogs": [], "registry": None, "production": "p"}},
     [skipped("test_gateway_changes_with_deploy[x]", "x was not compared")],
     "1 catalog not compared with production"),
], ids=["gateways-subset", "gateway-not-in-baseline", "unknown-skip", "narrowed", "comparison-skipped"])
def test_each_release_rule_makes_the_run_incomplete(overrides: dict[str, Any], extra: list[Case],
                                                    title: str) -> None:
    view = build_view(clean(**overrides), [*COMPLETE, *extra], [], [])
    assert (view.verdict, view.headline) == ("incomplete", f"INCOMPLETE: {title}")


def test_no_fuzz_is_incomplete_and_reasons_are_all_listed() -> None:
    view = build_view(clean(baseline=None), [CONTRACT_OK], [], [])
    assert view.headline == "INCOMPLETE: no baseline comparison (and 1 more)"
    assert [r.split(":")[0] for r in view.reasons] == ["no baseline comparison", "no fuzz test ran"]


def test_skips_by_design_keep_ready() -> None:
    by_design = [skipped("test_registry_has_no_uncovered_gateways", "uncovered registry gateways are reported"),
                 skipped("test_aggregate_count_within_bounds", "no aggregate in this contract (or not selected)"),
                 Case("tests.fuzz.test_fuzz", "test_fuzz_nightly[POST /v1/chat/completions]", "skipped",
                      message="POST is not in FUZZ_ALLOW_METHODS"),
                 # no COMPARE_URL: the comparison with production is the deploy gate's, not a sign-off's
                 skipped("test_gateway_changes_with_deploy[openrouter]", "no COMPARE_URL: the candidate is not "
                         "compared with production (--compare-url URL)")]
    assert build_view(clean(), [*COMPLETE, *by_design], [], []).headline == "READY TO SIGN"


def test_failures_lead_and_missing_checks_stay_visible() -> None:
    broken = Case("tests.contract.t", "test_b[openrouter]", "failed", message="[count-floor] 3 models",
                  properties=(("gateway", "openrouter"),))
    view = build_view(record(exit_status=1, baseline=None), [*COMPLETE, broken], [], [])
    assert view.headline == "NOT READY TO SIGN"
    assert view.reasons == ["openrouter: 3 models"]
    assert view.cautions[0].startswith("Also not checked for a release: no baseline comparison")


def test_narrowing_names_what_replaced_the_session() -> None:
    assert narrowing(None, ["tests/contract", "tests/fuzz"]) == []
    assert narrowing("chat", ["tests/contract", "tests/contract/test_gateways.py", "tests/contract/t.py::test_a[x]"]) \
        == ["-k chat", "tests/contract/test_gateways.py", "tests/contract/t.py::test_a[x]"]


def test_fuzz_cases_per_operation_come_from_the_run_not_from_test_counts(junit: Path) -> None:
    view = build_view(record(), read_junit(junit, make_redactor()), HISTORY, ["run.json"])
    fuzz = {f.operation: f for f in view.fuzz}
    models, status = fuzz["GET /v1/models"], fuzz["GET /v1/gateways/status"]
    assert (models.generated, models.passed, models.failed, models.tests, models.skipped) == (37, 37, 0, 2, 1)
    assert (status.generated, status.passed, status.failed, status.failed_tests) == (12, 11, 1, 1)
    assert not any("unknown" in c for c in view.cautions)
    html = render_html(view)
    assert '<td class="num">37</td><td class="num">37</td><td class="num">0</td>' in html


@pytest.mark.parametrize("value", [None, "generated=5", "generated=x passed=1 failed=0"])
def test_fuzz_cases_unknown_when_not_recorded(value: str | None) -> None:
    props = (("fuzz_cases", value),) if value is not None else ()
    recorded = Case("tests.fuzz.test_fuzz", "test_fuzz_gate[GET /v1/models]", "passed",
                    properties=(("fuzz_cases", "generated=9 passed=9 failed=0"),))
    unrecorded = Case("tests.fuzz.test_fuzz", "test_fuzz_gate[GET /v1/gateways]", "passed", properties=props)
    view = build_view(clean(), [CONTRACT_OK, recorded, unrecorded], [], [])
    line = next(f for f in view.fuzz if f.operation == "GET /v1/gateways")
    assert (line.generated, line.passed, line.failed, line.tests) == (None, None, None, 1)
    md = render_markdown(view)
    assert "| `GET /v1/gateways` | unknown | unknown | unknown | 1 (0) |" in md
    assert "| `GET /v1/models` | 9 | 9 | 0 | 1 (0) |" in md
    assert any("Fuzz case counts are unknown" in c for c in view.cautions)


def test_html_is_self_contained_and_holds_no_key(junit: Path) -> None:
    view = build_view(record(), read_junit(junit, make_redactor()), HISTORY, ["run.json"])
    html = render_html(view)
    assert KEY not in html
    assert "<script" not in html.lower()
    assert not re.search(r"""(?:src|href)=["']?(?:https?:)?//""", html)  # nothing fetched from the network
    assert "@import" not in html
    assert "url(" not in html
    for text in ("NOT READY TO SIGN", "<th>Gateway</th>", ">Total<", ">Unique<", ">Duplicates<", ">Status<",
                 "1,204 → 100 (-91.7 %)", "katanemo/Arch-Router-1.5B", "GET /v1/gateways/status", "<svg"):
        assert text in html
    assert html.count('class="trend"') == 2


def test_markdown_pastes_into_a_ticket(junit: Path) -> None:
    md = render_markdown(build_view(record(), read_junit(junit, make_redactor()), HISTORY, ["run.json"]))
    assert md.startswith("## ❌ NOT READY TO SIGN")
    assert "| Gateway | Total | Unique | Duplicates | Status | Floor | Baseline → now |" in md
    assert "| huggingface | 1,200 | 100 | 1,100 | FAIL: count-floor; no-duplicate-ids | 1,000 (900 below) |" in md
    assert "| huggingface | hug | 100 | 50 | **NO** |" in md
    assert "| `GET /v1/gateways/status` | 12 | 11 | 1 | 1 (0) |" in md
    assert KEY not in md


def test_chart_axis_and_points() -> None:
    assert _ticks(101) == [0, 60, 120]
    assert _ticks(9232) == [0, 5000, 10000]
    svg = panel("huggingface", [Point("a", 1204), Point("b", None), Point("c", 1050, failed=True)], floor=1000)
    assert svg.count("<circle") == 2
    assert svg.count("t-bad") == 1
    assert "floor 1,000" in svg
    assert "-12.8 % over 3 runs" in svg


def test_strip_analytics_removes_loader_and_config_only() -> None:
    page = ('<head><script src="data:x"></script>\n<script async src="https://www.googletagmanager.com/gtag/js?id=G"></script>'
            "\n<script>\n window.dataLayer = [];\n function gtag(){dataLayer.push(arguments);}\n gtag('js', 1);\n"
            "</script>\n<script async>window.allureReportData = {};</script></head>")
    html, removed = strip_analytics(page)
    assert removed == 2
    assert "googletagmanager" not in html
    assert "gtag(" not in html
    assert '<script src="data:x"></script>' in html
    assert "window.allureReportData" in html


def test_allure_step_without_node_says_how_to_get_it_and_exits_0(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("dirname", "bash"):
        (bin_dir / tool).symlink_to(shutil.which(tool))  # type: ignore[arg-type]
    result = subprocess.run([str(bin_dir / "bash"), str(ROOT / "scripts" / "allure-report.sh")],
                            env={"PATH": str(bin_dir)}, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert "Node.js/npm not found" in result.stdout
    assert "install Node.js 20 or later" in result.stdout


def test_rendered_findings_read_back_without_their_kind_line() -> None:
    """The sign-off report parses failure texts back into findings: the `kind:` line (code and title) must not
    be glued onto the message."""
    from gateway_contracts.data.findings import Finding as Rendered
    from gateway_contracts.data.findings import render_all

    text = render_all([Rendered("no-duplicate-ids", "3 ids repeated", "GET /v1/models?gateway=x -> 200", ("a", "b"))])
    case = Case(classname="tests.contract.test_gateways", name="test_no_duplicate_ids[x]", outcome="failed",
                message=text)
    [finding] = case.findings()
    assert (finding.invariant, finding.message) == ("no-duplicate-ids", "3 ids repeated")
    assert finding.evidence == "a, b"
    assert finding.request == "GET /v1/models?gateway=x -> 200"


TWO_RESULTS = """<testsuites><testsuite name="pytest">
<testcase classname="tests.contract.t" name="test_a[x]"><failure message="count 3">[count-floor] 3</failure>
<error message="teardown">boom</error></testcase>
<testcase classname="tests.contract.t" name="test_b[x]"><error message="setup">no fixture</error></testcase>
<testcase classname="tests.contract.t" name="test_c[x]"><skipped type="pytest.xfail" message="known">k</skipped>
<properties><property name="known_finding" value="GC201 at test_c[x]"/></properties></testcase>
<testcase classname="tests.contract.t" name="test_d[x]"/>
</testsuite></testsuites>"""


def test_one_junit_reader_serves_the_report_the_kill_matrix_and_the_self_tests(tmp_path: Path) -> None:
    # A failure then a teardown error on one test: the report's outcome is the failure, the kill matrix counts
    # both and keeps both texts, the self-tests' SuiteRun reads the failure's text; all from read_junit.
    from tests.self.killmatrix import parse_junit
    from tests.self.suite_run import SuiteRun

    path = tmp_path / "junit.xml"
    path.write_text(TWO_RESULTS)
    cases = {c.name: c for c in read_junit(path)}
    assert [cases[n].outcome for n in ("test_a[x]", "test_b[x]", "test_c[x]", "test_d[x]")] == [
        "failed", "error", "known", "passed"]
    outcome = parse_junit(TWO_RESULTS)
    assert outcome.failed == {"test_a[x]"}
    assert outcome.errors == {"test_a[x]", "test_b[x]"}
    assert outcome.skipped == {"test_c[x]"}
    assert outcome.passed == {"test_d[x]"}
    assert outcome.messages["test_a[x]"] == "count 3\n[count-floor] 3\nteardown\nboom"
    run = SuiteRun(1, "", "", 0.0, junit=path)
    assert run.failed == {"test_a[x]": "count 3\n[count-floor] 3", "test_b[x]": "setup\nno fixture"}
    assert {n: o for n, (o, _, _) in run.outcomes().items()} == {
        "test_a[x]": "failed", "test_b[x]": "failed", "test_c[x]": "skipped", "test_d[x]": "passed"}
    assert run.outcomes()["test_c[x]"][2] == {"known_finding": ["GC201 at test_c[x]"]}


KNOWN_JUNIT = """<testsuites><testsuite name="pytest">""" + "".join(
    f"""<testcase classname="tests.contract.t" name="test_{n}[x]"><skipped type="pytest.xfail" message="known">k
</skipped><properties><property name="known_finding" value="GC20{n} test_{n}[x] (ticket T) :: m"/></properties>
</testcase>""" for n in (1, 2, 3)) + """<testcase classname="tests.contract.t" name="test_ok[x]"/>
<testcase classname="tests.fuzz.test_fuzz" name="test_api[GET /v1/models]"/>
</testsuite></testsuites>"""


@pytest.mark.parametrize(("tickets", "said"), [
    (["GW-1", "GW-2", "GW-3"], "3 accepted entries, each with a ticket and an expiry"),
    (["GW-1", "TODO", "TODO"], "3 accepted entries, 2 of them without a ticket (ticket or reason TODO)"),
    (["TODO", "TODO", "TODO"], "3 accepted entries, none with a ticket yet (ticket or reason TODO)"),
])
def test_the_verdict_tells_untracked_known_findings_apart(tmp_path: Path, tickets: list[str], said: str) -> None:
    path = tmp_path / "junit.xml"
    path.write_text(KNOWN_JUNIT)
    entries = [{"code": f"GC20{n}", "where": f"test_{n}[x]", "ticket": t, "expires": "2027-01-31",
                "reason": "B6" if t != "TODO" else "TODO", "status": "seen"} for n, t in enumerate(tickets, 1)]
    view = build_view(record(exit_status=0, broken=[], known_findings=entries), read_junit(path), [])
    assert view.headline == "READY WITH 3 KNOWN FINDINGS"
    assert said in view.summary
    assert ("each with a ticket" in view.summary) == (tickets == ["GW-1", "GW-2", "GW-3"])
