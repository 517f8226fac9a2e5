"""Known findings: the contract key's validation, matching per distinct failure (pure), the entries' outcomes,
the adoption command and the sign-off verdict. The end-to-end runs are in test_known_findings_gate.py."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from gateway_contracts.contract import ContractError, load_contract, parse_contract
from gateway_contracts.known_findings import (
    EXPIRED,
    NOT_RUN,
    SEEN,
    UNSEEN,
    DistinctFailure,
    KnownFinding,
    Place,
    Tally,
    judge,
    one_line,
    outcomes,
    short_request,
)
from gateway_contracts.report.adopt import AdoptError, adopt, append_to, candidates
from gateway_contracts.report.html_page import render_html
from gateway_contracts.report.junit import read_junit
from gateway_contracts.report.markdown_page import render_markdown
from gateway_contracts.report.view import build_view

PATH = Path("contracts/test.yaml")
TODAY = date(2026, 12, 2)
BASE = "version: 1\ngateways:\n  openrouter:\n    min_models: 1\n"
ENTRY = """\
known_findings:
  - code: GC402
    where: test_invalid_query_is_rejected[negative-offset]
    reason: B6, offset=-5 answers 200
    ticket: GW-6
    expires: 2027-01-31
"""


def _error(text: str) -> str:
    with pytest.raises(ContractError) as caught:
        parse_contract(text, PATH)
    message = str(caught.value)
    assert "\n" not in message
    return message


# -- the contract key ------------------------------------------------------------------------------


def test_entries_load_with_their_line() -> None:
    contract = parse_contract(BASE + ENTRY + "  - {code: ST101, where: get /v1/gateways/status, reason: B7, "
                              "ticket: GW-7, expires: '2027-01-31', gateway: x}\n", PATH)
    first, second = contract.known_findings
    assert (first.code, first.where, first.ticket, first.expires, first.line) == (
        "GC402", "test_invalid_query_is_rejected[negative-offset]", "GW-6", date(2027, 1, 31), 6)
    assert (second.operation, second.gateway, second.key) == (
        "GET /v1/gateways/status", "x", "ST101 get /v1/gateways/status gateway=x")


def test_openai_dialect_takes_them_too() -> None:
    text = "version: 1\ndialect: openai\ngroups:\n  g: {prefix: a/, min_models: 1}\n" + ENTRY
    assert len(parse_contract(text, PATH).known_findings) == 1


@pytest.mark.parametrize(("change", "expected"), [
    (("- code: GC402\n    where:", "- where:"),
     "contracts/test.yaml:6: known_findings[0].code: required key is missing"),
    (("    where: test_invalid_query_is_rejected[negative-offset]\n", ""),
     "contracts/test.yaml:6: known_findings[0].where: required key is missing"),
    (("    expires: 2027-01-31\n", ""), "contracts/test.yaml:6: known_findings[0].expires: required key is missing"),
    (("    ticket: GW-6\n", ""), "known_findings[0].ticket: required key is missing"),
    (("GC402", "GC42"), "contracts/test.yaml:6: known_findings[0].code: String should match pattern"),
    (("2027-01-31", "2027-02-30"), "contracts/test.yaml:10: known_findings[0].expires: expected a date YYYY-MM-DD, "
                                   "got '2027-02-30'"),
    (("2027-01-31", "soon"), "known_findings[0].expires: expected a date YYYY-MM-DD, got 'soon'"),
    (("test_invalid_query_is_rejected[negative-offset]", "everything"),
     "contracts/test.yaml:7: known_findings[0].where: expected a test id"),
    (("    ticket: GW-6\n", "    ticket: GW-6\n    owner: me\n"), "known_findings[0].owner: unknown key"),
])
def test_an_entry_without_code_place_ticket_or_date_is_refused(change: tuple[str, str], expected: str) -> None:
    assert expected in _error(BASE + ENTRY.replace(*change))


def test_a_repeated_entry_is_refused() -> None:
    twice = ENTRY + ENTRY.split("\n", 1)[1]
    assert _error(BASE + twice) == ("contracts/test.yaml:11: known_findings[1]: GC402 "
                                   "test_invalid_query_is_rejected[negative-offset] is listed twice")


def test_an_invalid_date_is_an_error_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(BASE + ENTRY.replace("2027-01-31", "2027-13-01"), encoding="utf-8")
    with pytest.raises(ContractError, match=r"c.yaml:10: known_findings\[0\].expires: expected a date"):
        load_contract(path)


def test_the_shipped_contracts_still_load() -> None:
    for path in sorted(Path("contracts").glob("*.yaml")):
        load_contract(path)


# -- matching per distinct failure ----------------------------------------------------------------


def entry(code: str = "GC402", where: str = "test_invalid_query_is_rejected[negative-offset]",
          expires: date = date(2027, 1, 31), gateway: str | None = None) -> KnownFinding:
    return KnownFinding(code, where, "why", "GW-1", expires, gateway)


NEG = Place("test_invalid_query_is_rejected[negative-offset]", "tests/contract/test_api_surface.py::"
            "test_invalid_query_is_rejected[negative-offset]", gateway="api")
STATUS_FUZZ = Place("test_fuzz_gate[GET /v1/gateways/status]", operation="GET /v1/gateways/status")


def test_all_known_is_accepted() -> None:
    judgement = judge([entry()], NEG, [DistinctFailure("GC402", "Invalid input")], TODAY)
    assert judgement.accepted
    assert not judgement.new


def test_known_and_new_fails_naming_only_the_new() -> None:
    ops = [entry("ST101", "GET /v1/gateways/status")]
    failures = [DistinctFailure("ST101", "Server error"), DistinctFailure("ST103", "Undocumented")]
    judgement = judge(ops, STATUS_FUZZ, failures, TODAY)
    assert not judgement.accepted
    assert [f.code for f in judgement.new] == ["ST103"]
    assert [f.code for f, _ in judgement.known] == ["ST101"]


def test_a_code_accepted_elsewhere_is_not_accepted_here() -> None:
    other_test = Place("test_invalid_query_is_rejected[limit-zero]")
    assert not judge([entry()], other_test, [DistinctFailure("GC402", "")], TODAY).accepted
    other_code = judge([entry()], NEG, [DistinctFailure("GC401", "")], TODAY)
    assert [f.code for f in other_code.new] == ["GC401"]
    # A test entry never accepts a fuzz operation's failure, nor the other way round.
    assert not judge([entry("ST101", "GET /v1/gateways/status")], NEG, [DistinctFailure("ST101", "")], TODAY).accepted
    # The function name alone is not a place: nothing accepts a whole class of tests.
    whole_function = entry(where="test_invalid_query_is_rejected")
    assert not judge([whole_function], NEG, [DistinctFailure("GC402", "")], TODAY).accepted


def test_operation_matches_any_profile_and_method_case() -> None:
    nightly = Place("test_fuzz_nightly[GET /v1/gateways/status]", operation="GET /v1/gateways/status")
    assert judge([entry("ST101", "get /v1/gateways/status")], nightly, [DistinctFailure("ST101", "")], TODAY).accepted


def test_a_node_id_entry_matches_its_test() -> None:
    by_id = entry(where="tests/contract/test_api_surface.py::test_invalid_query_is_rejected[negative-offset]")
    assert judge([by_id], NEG, [DistinctFailure("GC402", "")], TODAY).accepted


def test_gateway_narrows_the_entry() -> None:
    search = Place("test_fuzz_gate[GET /v1/models/search]", operation="GET /v1/models/search")
    known = entry("ST101", "GET /v1/models/search", gateway="nosuchgw")
    assert judge([known], search, [DistinctFailure("ST101", "", gateways=("NoSuchGW",))], TODAY).accepted
    assert not judge([known], search, [DistinctFailure("ST101", "", gateways=("openrouter",))], TODAY).accepted
    test_entry = entry(gateway="openrouter")
    assert not judge([test_entry], NEG, [DistinctFailure("GC402", "")], TODAY).accepted  # NEG's gateway is api


def test_an_expired_entry_accepts_nothing() -> None:
    judgement = judge([entry(expires=date(2026, 12, 1))], NEG, [DistinctFailure("GC402", "")], TODAY)
    assert not judgement.accepted
    assert [e.code for _, e in judgement.expired] == ["GC402"]
    # The last day still counts.
    assert judge([entry(expires=TODAY)], NEG, [DistinctFailure("GC402", "")], TODAY).accepted


def test_no_failure_is_not_accepted() -> None:
    assert not judge([entry()], NEG, [], TODAY).accepted


# -- the entries' outcomes at the end of a run ----------------------------------------------------


def test_outcomes_seen_unseen_not_checked_expired() -> None:
    seen, gone, elsewhere, old = (entry(), entry("GC401", "test_gateway_status_agrees_with_catalogs"),
                                  entry("ST101", "GET /v1/gateways/status"), entry("GC999", expires=date(2026, 1, 1)))
    tally = Tally(ran=[NEG, Place("test_gateway_status_agrees_with_catalogs")])
    tally.saw(seen.key, NEG.name)
    result = {o.entry.code: o for o in outcomes([seen, gone, elsewhere, old], tally, TODAY)}
    assert [result[c].status for c in ("GC402", "GC401", "ST101", "GC999")] == [SEEN, UNSEEN, NOT_RUN, EXPIRED]
    assert [c for c, o in result.items() if o.fails(strict=False)] == ["GC999"]
    assert sorted(c for c, o in result.items() if o.fails(strict=True)) == ["GC401", "GC999"]
    assert "no longer seen: remove the entry GC401 test_gateway_status_agrees_with_catalogs" in result["GC401"].line
    assert "EXPIRED on 2026-01-01" in result["GC999"].line
    assert "GC999" in result["GC999"].line
    assert result["GC402"].as_record()["status"] == "seen"


def test_one_line_cuts_bodies_and_short_request_the_origin() -> None:
    assert one_line('a negative offset: expected a 4xx rejection, got HTTP 200 application/json: {"object": "list"}') \
        == "a negative offset: expected a 4xx rejection, got HTTP 200 application/json"
    request = "GET http://127.0.0.1:9/v1/models?offset=-5 -> 200 in 0.01 s"
    assert short_request(request) == "GET /v1/models?offset=-5 -> 200"


# -- adoption: entries for a run's failures -------------------------------------------------------

JUNIT = """<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest">
<testcase classname="tests.contract.test_api_surface" name="test_invalid_query_is_rejected[negative-offset]">
 <properties><property name="finding" value="GC402 Invalid input rejected with a 4xx"/></properties>
 <failure message="x">[invalid-input] a negative offset: expected a 4xx rejection, got HTTP 200</failure></testcase>
<testcase classname="tests.contract.test_registry_status_and_search" name="test_gateway_status_agrees_with_catalogs">
 <failure message="x">[status] expected HTTP 200 with JSON, got HTTP 500
    kind: GC401 Status and JSON body</failure></testcase>
<testcase classname="tests.fuzz.test_fuzz" name="test_fuzz_gate[GET /v1/gateways/status]">
 <properties><property name="finding" value="ST101 Server error"/>
 <property name="finding" value="ST103 Undocumented status code"/></properties>
 <failure message="x">2 distinct failures</failure></testcase>
<testcase classname="tests.contract.test_api_surface" name="test_crash"><error message="boom">Traceback</error>
</testcase>
<testcase classname="tests.contract.test_api_surface" name="test_fine"/>
</testsuite></testsuites>
"""


def _run(tmp_path: Path) -> Path:
    reports = tmp_path / "reports"
    reports.mkdir()
    (reports / "junit-gate.xml").write_text(JUNIT, encoding="utf-8")
    return reports


def test_candidates_one_per_distinct_failure(tmp_path: Path) -> None:
    found, unadoptable = candidates(read_junit(_run(tmp_path) / "junit-gate.xml"))
    assert [(c.code, c.where) for c in found] == [
        ("GC402", "test_invalid_query_is_rejected[negative-offset]"),
        ("GC401", "test_gateway_status_agrees_with_catalogs"),
        ("ST101", "GET /v1/gateways/status"), ("ST103", "GET /v1/gateways/status")]
    assert unadoptable == ["test_crash"]  # a crash has no code to accept


def test_adopt_prints_then_writes_keeping_comments_and_loads(tmp_path: Path) -> None:
    reports = _run(tmp_path)
    contract = tmp_path / "c.yaml"
    contract.write_text("# my contract\n" + BASE + "  # openrouter's floor, see INC-1\n", encoding="utf-8")
    text, note = adopt(reports, "gate", contract, days=30, today=TODAY)
    assert text.startswith("known_findings:\n  - code: GC402  # Invalid input rejected with a 4xx\n")
    assert "expires: 2027-01-01" in text
    assert "ticket: TODO" in text
    assert "4 entries" in note
    assert "test_crash" in note
    adopt(reports, "gate", contract, days=30, write=True, today=TODAY)
    written = contract.read_text(encoding="utf-8")
    assert written.startswith("# my contract\n")
    assert "# openrouter's floor, see INC-1" in written
    assert len(load_contract(contract).known_findings) == 4
    again, note = adopt(reports, "gate", contract, write=True, today=TODAY)
    assert again == ""
    assert "4 already listed" in note
    with pytest.raises(AdoptError, match="no run 'nightly'"):
        adopt(reports, "nightly", contract)


def test_append_extends_an_existing_list_in_the_middle(tmp_path: Path) -> None:
    contract = tmp_path / "c.yaml"
    contract.write_text(BASE + ENTRY + "\n# trailing section\nchat:\n  models: []\n", encoding="utf-8")
    append_to(contract, "known_findings:\n  - code: ST101\n    where: 'GET /v1/gateways/status'\n    reason: TODO\n"
                        "    ticket: TODO\n    expires: 2027-01-01\n")
    loaded = load_contract(contract)
    assert [e.code for e in loaded.known_findings] == ["GC402", "ST101"]
    assert "# trailing section\nchat:" in contract.read_text(encoding="utf-8")


# -- the sign-off verdict -------------------------------------------------------------------------

KNOWN_JUNIT = """<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest">
<testcase classname="tests.contract.test_api_surface" name="test_invalid_query_is_rejected[negative-offset]">
 <properties><property name="gateway" value="api"/>
 <property name="known_finding" value="GC402 test_invalid_query_is_rejected[negative-offset] (ticket GW-6, expires
 2027-01-31) :: a negative offset: expected a 4xx rejection, got HTTP 200: GET /v1/models?offset=-5 -&gt; 200"/>
 </properties><skipped type="pytest.xfail" message="known finding: GC402 ..."/></testcase>
<testcase classname="tests.contract.test_api_surface" name="test_ok"><properties><property name="gateway"
 value="api"/></properties></testcase>
<testcase classname="tests.fuzz.test_fuzz" name="test_fuzz_gate[GET /v1/models]"><properties>
 <property name="fuzz_cases" value="generated=3 passed=3 failed=0"/></properties></testcase>
</testsuite></testsuites>
"""


def _record(status: int = 0, entry_status: str = SEEN, strict: bool = False) -> dict[str, object]:
    return {"run": "signoff", "started_at": "2026-12-02T00:00:00Z", "finished_at": "2026-12-02T00:01:00Z",
            "exit_status": status, "target": {"name": "ref", "description": "ref", "version": "1", "embedded": True,
                                             "faults": []},
            "suite_version": "0", "git_sha": None, "spec_hash": None, "contract": "c.yaml", "gateways": [],
            "strict_known": strict,
            "known_findings": [{"code": "GC402", "where": "test_invalid_query_is_rejected[negative-offset]",
                                "gateway": None, "reason": "B6", "ticket": "GW-6", "expires": "2027-01-31",
                                "status": entry_status, "tests": []}]}


def test_signoff_says_ready_with_known_findings(tmp_path: Path) -> None:
    junit = tmp_path / "j.xml"
    junit.write_text(KNOWN_JUNIT, encoding="utf-8")
    cases = read_junit(junit)
    assert cases[0].outcome == "known"
    view = build_view(_record(), cases, [])
    assert (view.verdict, view.headline) == ("known", "READY WITH 1 KNOWN FINDING")
    html = render_html(view)
    assert "READY WITH 1 KNOWN FINDING" in html
    assert "Known findings (1)" in html
    assert "GW-6" in html
    assert "READY TO SIGN" not in html
    assert "| GC402 | `test_invalid_query_is_rejected[negative-offset]` | GW-6 |" in render_markdown(view)
    # An expired entry, or one no longer seen under strict, fails the run: never READY.
    expired = build_view(_record(1, EXPIRED), cases, [])
    assert expired.headline == "NOT READY TO SIGN"
    assert expired.reasons[0].startswith("known finding expired: GC402 test_invalid_query_is_rejected")
    unseen = build_view(_record(1, UNSEEN, strict=True), cases, [])
    assert unseen.reasons[0].endswith("remove the entry")
