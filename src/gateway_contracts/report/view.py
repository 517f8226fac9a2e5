"""The sign-off report's one view model: a run (run record + JUnit cases + history) read and judged once.

`build_view` does the reading and judging; the formats that render a page from it (`html_page.py`,
`markdown_page.py`, any `ReportFormat` with a `filename`) only lay the View out, so two pages can never
disagree. Each registered section (`report/sections/`) adds its own view of its facts.
"""

from __future__ import annotations

import os
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gateway_contracts.data.kinds import kind_of
from gateway_contracts.known_findings import EXPIRED, SEEN, UNSEEN, one_line, short_request
from gateway_contracts.net.redaction import Redactor
from gateway_contracts.report.chart import Point
from gateway_contracts.report.completeness import missing_for_release, skip_reason
from gateway_contracts.report.interface import HISTORY_RUNS, ReportInput, Section
from gateway_contracts.report.junit import Case, read_junit
from gateway_contracts.report.sections import SECTIONS

VERDICT_LINES = 5  # broken checks named under the verdict
_BEARER = re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]{6,}")
# The JUnit property each fuzz operation's test carries: the cases it generated, and how they ended.
FUZZ_CASES = re.compile(r"generated=(\d+) passed=(\d+) failed=(\d+)")


def make_redactor() -> Callable[[str], str]:
    """The key from the environment (when this process has it) and anything shaped like a Bearer token."""
    known = Redactor(os.environ.get("GATEWAY_API_KEY"))
    return lambda text: _BEARER.sub(r"\1***", known(text))


Series = tuple[str, list[Point], int | None]  # (gateway, one point per run, floor)


@dataclass(frozen=True)
class GatewayLine:
    gateway: str
    label: str
    total: int | None
    unique: int | None
    duplicates: int | None
    envelope_total: int | None
    status: str  # OK, KNOWN (every failure a known finding), FAIL, ERROR, NOT RUN
    detail: str  # what failed, or why it is an error
    passed: int
    checked: int
    floor: int | None
    floor_note: str
    floor_kind: str  # ok, bad, none
    baseline: str
    baseline_kind: str  # same, up, down, bad, none


@dataclass(frozen=True)
class Distinct:
    """One distinct failure as a release manager reads it: code and title, one line, the request (and how to
    send it again); `text` is the whole failure text (response bodies), folded away in the HTML."""

    code: str
    title: str
    message: str
    request: str = ""
    curl: str = ""
    evidence: str = ""


@dataclass(frozen=True)
class Failure:
    gateway: str
    contract: str
    test_id: str
    findings: list[Any]
    distinct: list[Distinct] = field(default_factory=list)
    text: str = ""


@dataclass(frozen=True)
class KnownLine:
    """One `known_findings` entry and what the run made of it."""

    code: str
    where: str
    ticket: str
    expires: str
    reason: str
    status: str  # seen, no longer seen, not checked, expired
    seen_as: str  # the failure it accepted (one line), when seen
    fails: bool  # it failed the run (expired; no longer seen under strict)


@dataclass(frozen=True)
class FuzzLine:
    """One fuzz operation. generated/passed/failed count the cases the run generated (None: not recorded);
    tests/failed_tests/skipped count pytest tests, which are not cases."""

    operation: str
    tests: int
    generated: int | None
    passed: int | None
    failed: int | None
    failed_tests: int
    skipped: int
    first_failure: str
    known_tests: int = 0  # tests whose every failure is a known finding

    @property
    def bad(self) -> bool:
        # Failed cases of an operation whose failures are all known are not a red number.
        return bool(self.failed_tests or (self.failed and not self.known_tests))


@dataclass
class View:
    verdict: str  # pass, fail, incomplete
    headline: str
    summary: str
    reasons: list[str]  # the first broken checks, in one line each
    facts: list[tuple[str, str]]
    cautions: list[str]
    gateways: list[GatewayLine]
    failures: list[Failure]
    changes: list[str]
    fuzz: list[FuzzLine]
    fuzz_present: bool
    skipped: list[tuple[str, int]]  # (reason, count)
    trend: list[Series]
    counts: Mapping[str, int] = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)
    known: list[KnownLine] = field(default_factory=list)
    # Each registered section shown, with its view (`Section.view`), in registry order.
    sections: list[tuple[Section, Any]] = field(default_factory=list)

    def sections_at(self, place: str) -> list[tuple[Section, Any]]:
        return [(section, view) for section, view in self.sections if section.place == place]


def _when(iso: str) -> str:
    """`2026-11-26T05:34:54Z` -> `2026-11-26 05:34:54 UTC`."""
    return iso.replace("T", " ").replace("Z", " UTC") if iso else "unknown"


def _where(case: Case) -> str:
    """What a case is about: its gateway, else the fuzzed operation."""
    if case.prop("gateway"):
        return case.prop("gateway") or ""
    if case.is_fuzz:
        return f"fuzz {case.operation}" if case.operation else "fuzz"
    return "api"


def _story(case: Case) -> str:
    return case.prop("invariant") or case.function.removeprefix("test_").replace("_", " ")


def _gateway_lines(record: Mapping[str, Any], cases: Sequence[Case]) -> list[GatewayLine]:
    by_gateway: dict[str, list[Case]] = defaultdict(list)
    for case in cases:
        if case.prop("gateway"):
            by_gateway[case.prop("gateway") or ""].append(case)
    lines = []
    aggregate = record.get("aggregate")
    for row in record.get("gateways", []):
        slug = row["gateway"]
        mine = [c for c in by_gateway.get(slug, []) if c.outcome != "skipped"]
        broken = [c for c in mine if c.outcome in ("failed", "error")]
        # The findings' invariant names say what broke ("baseline-count-drop"); the test name says where.
        stories = sorted({f.invariant for c in broken for f in c.findings()} or {_story(c) for c in broken})
        if row["status"] != 200:
            status, detail = "ERROR", f"HTTP {row['status']}" if row["status"] else "no answer"
        elif broken:
            status, detail = "FAIL", "; ".join(stories)
        elif not mine:
            status, detail = "NOT RUN", "no contract of this gateway ran"
        elif any(c.outcome == "known" for c in mine):
            codes = sorted({v.split(" ", 1)[0] for c in mine for v in c.props("known_finding")})
            status, detail = "KNOWN", f"known findings only: {', '.join(codes)}"
        else:
            status, detail = "OK", ""
        floor = row.get("floor")
        if floor is None:
            floor_note, floor_kind = "", "none"
        elif row["unique"] >= floor:
            floor_note, floor_kind = f"{row['unique'] - floor:,} above", "ok"
        else:
            floor_note, floor_kind = f"{floor - row['unique']:,} below", "bad"
        base = row.get("baseline")
        baseline_failed = any(c.function.endswith("matches_baseline") for c in broken)
        if not base:
            baseline, kind = ("not in baseline" if record.get("baseline") else "no baseline"), "none"
        elif base["delta"] == 0:
            baseline, kind = f"{base['unique']:,} (no change)", "same"
        else:
            baseline = f"{base['unique']:,} → {row['unique']:,} ({base['delta_pct']:+.1f} %)"
            kind = "bad" if baseline_failed else ("up" if base["delta"] > 0 else "down")
        lines.append(GatewayLine(
            gateway=slug, label=f"{slug} (aggregate)" if slug == aggregate else slug,
            total=row["total"], unique=row["unique"], duplicates=row["duplicates"],
            envelope_total=row.get("envelope_total"), status=status, detail=detail,
            passed=len(mine) - len(broken), checked=len(mine), floor=floor, floor_note=floor_note,
            floor_kind=floor_kind, baseline=baseline, baseline_kind=kind,
        ))
    return lines


def fuzz_cases(case: Case) -> tuple[int, int, int] | None:
    """(generated, passed, failed) from the test's `fuzz_cases` property; None when absent or malformed.
    A skipped test generated nothing."""
    if case.outcome == "skipped":
        return (0, 0, 0)
    match = FUZZ_CASES.fullmatch((case.prop("fuzz_cases") or "").strip())
    return (int(match[1]), int(match[2]), int(match[3])) if match else None


def _fuzz_lines(cases: Sequence[Case]) -> list[FuzzLine]:
    groups: dict[str, list[Case]] = defaultdict(list)
    for case in cases:
        if case.is_fuzz:
            groups[case.operation or case.function].append(case)
    lines = []
    for operation, mine in sorted(groups.items()):
        outcomes = Counter(c.outcome for c in mine)
        bad = next((c for c in mine if c.outcome in ("failed", "error")), None)
        first = ""
        if bad:
            distinct = _distinct(bad) if bad.props("fuzz_failure") else []
            findings = bad.findings()
            first = ("; ".join(f"{d.code} {d.title}" for d in distinct) if distinct
                     else findings[0].message if findings else bad.message.splitlines()[0])
        elif any(c.outcome == "known" for c in mine):
            codes = dict.fromkeys(v.split(" ", 1)[0] for c in mine for v in c.props("known_finding"))
            first = "known: " + ", ".join(codes)
        counts = [fuzz_cases(c) for c in mine]
        # One test without the property makes the operation's count unknown: a partial sum would pass for a total.
        known = None if any(n is None for n in counts) else tuple(map(sum, zip(*counts, strict=True)))
        generated, passed, failed = known if known else (None, None, None)
        lines.append(FuzzLine(operation, len(mine), generated, passed, failed,
                              outcomes["failed"] + outcomes["error"], outcomes["skipped"], first[:300],
                              outcomes["known"]))
    return lines


SDK_LIST_TEST = "test_openai_sdk_lists_the_models"  # tests/contract/test_openai_sdk.py


def sdk_fact(cases: Sequence[Case]) -> str | None:
    """What a user of the official OpenAI SDK sees: the `sdk_models` and `sdk_scope` properties of the SDK's
    listing test ("gatewayz: the default page (...)" or "openai: the whole list"); None when it did not run."""
    case = next((c for c in cases if c.function == SDK_LIST_TEST), None)
    if case is None:
        return None
    models, scope = case.prop("sdk_models"), case.prop("sdk_scope")
    if case.outcome == "skipped":
        return f"not checked: {skip_reason(case)}"
    if models is None or not models.isdigit():
        return "the SDK could not list the models (see Failing contracts)"
    seen = f"an SDK user sees {int(models):,} models" + (f" ({scope})" if scope else "")
    if case.outcome == "passed":
        return seen
    return f"{seen}; they differ from what the contracts read (see Failing contracts)"


def _trend(record: Mapping[str, Any], history: Sequence[Mapping[str, Any]]) -> list[Series]:
    target = record["target"]["name"]
    runs = [h for h in history if h.get("target") == target][-HISTORY_RUNS:]
    if not runs:
        return []
    floors = {row["gateway"]: row.get("floor") for row in record.get("gateways", [])}
    order = [row["gateway"] for row in record.get("gateways", [])]
    order += sorted({g for h in runs for g in h["counts"]} - set(order))
    series = []
    for slug in order:
        points = [Point(label=str(h.get("finished_at", ""))[:16].replace("T", " "), value=h["counts"].get(slug),
                        failed=slug in h.get("broken", ())) for h in runs]
        if any(p.value is not None for p in points):
            series.append((slug, points, floors.get(slug)))
    return series


def _subject(message: str) -> str:
    """What a finding is about, from its message's head (`a negative offset: expected ...`), when it has one."""
    head = message.split(":", 1)[0].strip()
    return head if ":" in message and 0 < len(head) <= 60 and not head.startswith(("expected", "got")) else ""


def _distinct(case: Case) -> list[Distinct]:
    """Every distinct failure of a failed test, one entry each: a fuzz test's from its `fuzz_failure`
    properties (only those not known), a contract's from its findings (one per code)."""
    if case.is_fuzz and case.props("fuzz_failure"):
        known = {v.split(" (ticket ", 1)[0].split(" ", 1)[0] for v in case.props("known_finding")}
        return [Distinct(f.get("code", ""), f.get("title", ""), one_line(f.get("message", ""), 240),
                         short_request(f.get("request", "")), f.get("curl", ""))
                for f in case.fuzz_failures() if f.get("code") not in known]
    found: dict[str, Distinct] = {}
    for finding in case.findings():
        kind = kind_of(finding.invariant)
        code = kind.code if kind.registered else ""
        title = kind.title if kind.registered else finding.invariant
        found.setdefault(f"{code} {finding.invariant}", Distinct(
            code, title, one_line(finding.message, 240), short_request(finding.request), finding.curl,
            evidence=finding.evidence))
    return list(found.values())


def _bullet(case: Case, item: Distinct) -> str:
    """The verdict's line for one distinct failure, named, no body: a rejected answer by what was sent and what
    came back (`Invalid input rejected with a 4xx (a negative offset): GET /v1/models?offset=-5 -> 200`), a fuzz
    failure by its code and request, anything else by its one-line message."""
    where = _where(case)
    if case.is_fuzz and item.code and item.request:
        return f"{item.code} {item.title}: {item.request}"[:240]
    subject = _subject(item.message)
    if subject and item.request and " got " in item.message:
        what = f"{item.title} ({subject}): {item.request}"
    else:
        what = item.message.removeprefix(where + ": ")
    return f"{where}: {what}"[:240]


def _entry_key(entry: Mapping[str, Any]) -> str:
    return f"{entry['code']} {entry['where']}" + (f" gateway={entry['gateway']}" if entry.get("gateway") else "")


def _known_lines(record: Mapping[str, Any], cases: Sequence[Case]) -> list[KnownLine]:
    seen_as: dict[str, str] = {}
    for case in cases:
        for value in case.props("known_finding"):
            label, _, message = value.partition(" :: ")
            seen_as.setdefault(label.split(" (ticket ", 1)[0], f"{case.name}: {message}")
    strict = bool(record.get("strict_known"))
    # A seen entry whose failure shows something else than it accepted says what changed (and fails under strict).
    lines = [KnownLine(e["code"], e["where"] + (f" (gateway {e['gateway']})" if e.get("gateway") else ""),
                       e["ticket"], e["expires"], e["reason"],
                       e["status"] + (f", changed: {e['changed']}" if e.get("changed") else ""),
                       seen_as.get(_entry_key(e), ""),
                       e["status"] == EXPIRED or (strict and (e["status"] == UNSEEN or bool(e.get("changed")))))
             for e in record.get("known_findings") or []]
    if not lines:  # a run record from before known findings: what JUnit says
        for key, seen in seen_as.items():
            code, _, where = key.partition(" ")
            lines.append(KnownLine(code, where, "", "", "", SEEN, seen, False))
    return lines


def untracked(line: KnownLine) -> bool:
    """An accepted entry nobody has ticketed or explained yet: `known --from-run` writes TODO for both."""
    return any(str(value).strip().upper() in ("", "TODO") for value in (line.ticket, line.reason))


def _tickets(known: Sequence[KnownLine]) -> str:
    """How the verdict speaks of the accepted entries' tickets: all of them ticketed, or how many are not."""
    missing = sum(1 for k in known if untracked(k))
    if not missing:
        return "each with a ticket and an expiry"
    if missing == len(known):
        return f"{'none' if missing > 1 else 'it'} with a ticket yet (ticket or reason TODO)"
    return f"{missing} of them without a ticket (ticket or reason TODO)"


def build_view(record: Mapping[str, Any], cases: Sequence[Case], history: Sequence[Mapping[str, Any]],
               sources: Sequence[str] = ()) -> View:
    counts = Counter(c.outcome for c in cases)
    broken = [c for c in cases if c.outcome in ("failed", "error")]
    known = _known_lines(record, cases)
    known_seen = [k for k in known if k.status == SEEN]
    known_failing = [k for k in known if k.fails]
    status = record.get("exit_status")
    contracts = [c for c in cases if not c.is_fuzz]
    missing = missing_for_release(record, cases)
    if not cases:
        verdict, headline = "incomplete", "INCOMPLETE: no test results"
    elif status not in (0, 1) or (status == 0 and broken):
        verdict, headline = "incomplete", f"INCOMPLETE RUN (exit status {status}): do not sign"
    elif broken or status == 1:
        verdict, headline = "fail", "NOT READY TO SIGN"
    elif missing:
        # The reason leads the verdict: what a release needs and this run did not check.
        more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
        verdict, headline = "incomplete", f"INCOMPLETE: {missing[0].title}{more}"
    elif known_seen:
        # Never a plain READY: the release ships with bugs someone accepted, and says how many.
        n = len(known_seen)
        verdict, headline = "known", f"READY WITH {n} KNOWN FINDING{'S' * (n != 1)}"
    else:
        verdict, headline = "pass", "READY TO SIGN"
    ran = len(cases) - counts["skipped"]
    summary = f"{len(broken)} of {ran} checks broken." if broken else f"All {ran} checks hold."
    if counts["known"]:
        summary = (f"{len(broken)} of {ran} checks broken; " if broken else f"{ran - counts['known']} of {ran} checks "
                   "hold; ") + (f"{counts['known']} fail with known findings only ({len(known_seen)} accepted "
                                f"entries, {_tickets(known_seen)}: see Known findings).")
    if verdict == "incomplete" and missing and cases and not broken:
        summary = "Do not sign yet: every check that ran holds, but the run did not check everything a release needs:"
    elif counts["skipped"]:
        summary += f" {counts['skipped']} not checked (see the end of the report)."
    # Not every release contract ran: that is the verdict's reason, first. With failures, they lead instead.
    missing_is_reason = verdict == "incomplete" and not broken
    reasons_top: list[str] = [gap.line for gap in missing] if missing_is_reason else []
    reasons_top += [f"known finding {k.status}: {k.code} {k.where} (ticket {k.ticket}, expires {k.expires})"
                    + (": fix it or renew the entry" if k.status == EXPIRED else ": remove the entry")
                    for k in known_failing]
    # One line per distinct failure, naming it and its request (bodies are under Failing contracts, folded).
    bullets = [_bullet(case, item) for case in broken for item in (_distinct(case) or [
        Distinct("", _story(case), one_line(case.findings()[0].message if case.findings() else _story(case)))])]
    reasons_top += bullets[:VERDICT_LINES]
    if len(bullets) > VERDICT_LINES:
        reasons_top.append(f"… and {len(bullets) - VERDICT_LINES} more (all under Failing contracts)")
    if verdict == "known":
        reasons_top += [f"known: {k.code} {k.where}: ticket {k.ticket}, expires {k.expires}" for k in known_seen]
    elif known_seen:
        reasons_top.append(f"and {len(known_seen)} known finding{'s' * (len(known_seen) != 1)} accepted, apart "
                           "(see Known findings)")
    target = record["target"]
    baseline = record.get("baseline")
    facts = [
        ("Target", target["description"] or target["name"]),
        ("Target version", target.get("version") or "unknown (no version in /health or the spec)"),
        ("Run", f"{record['run']}: {_when(record['started_at'])} to {_when(record['finished_at'])[11:]}, "
                f"exit status {status}"),
        ("Suite", f"gateway-contracts {record['suite_version']}, commit {record.get('git_sha') or 'unknown'}"),
        ("Contract", record["contract"] + (f" (GATEWAYS={record['gateways_selected']})"
                                           if record.get("gateways_selected") else "")),
        ("Baseline", f"{baseline['path']}, taken {baseline['taken_at']} (target version "
                     f"{baseline.get('target_version') or 'unknown'})" if baseline else "none"),
        ("OpenAPI spec", f"sha256 {record['spec_hash']}…" if record.get("spec_hash") else "not fetched"),
        ("Checks", f"{ran} run: {counts['passed']} passed, {counts['failed'] + counts['error']} broken, "
                   f"{counts['known']} known; "
                   f"{counts['skipped']} skipped" + (f" ({len(contracts)} contracts, {len(cases) - len(contracts)} "
                                                      "fuzz tests)" if len(contracts) != len(cases) else "")),
    ]
    sdk_view = sdk_fact(cases)
    if sdk_view:
        facts.append(("OpenAI SDK", sdk_view))
    cautions = []
    if target.get("faults"):
        cautions.append(f"Faults were injected into the embedded reference gateway ({', '.join(target['faults'])}): "
                        "this run demonstrates the suite, it says nothing about a real deployment.")
    elif target.get("embedded"):
        cautions.append("The target is the embedded reference gateway, not a deployment: this report shows the "
                        "suite's own behaviour.")
    if not baseline and target.get("embedded"):  # against a real target it is a release requirement, above
        cautions.append("No baseline comparison: drops that stay above the floors go unnoticed. "
                        "Run with BASELINE=contracts/baselines/<target>.json.")
    fuzz = _fuzz_lines(cases)
    if any(f.generated is None for f in fuzz):
        cautions.append("Fuzz case counts are unknown for some operations: their tests did not record the JUnit "
                        "property fuzz_cases (the table says unknown rather than count tests as cases).")
    if not missing_is_reason:
        # Failures lead the verdict; what the run also left out stays visible just below it.
        cautions[:0] = [f"Also not checked for a release: {gap.line}." for gap in missing]
    reasons = Counter(skip_reason(c) for c in cases if c.outcome == "skipped")
    failed_baseline = {c.prop("gateway") for c in broken if c.function.endswith("matches_baseline")}
    changes = [note for row in record.get("gateways", []) if row["gateway"] not in failed_baseline
               for note in (row.get("baseline") or {}).get("notes", [])]
    return View(
        verdict=verdict, headline=headline, summary=summary, reasons=reasons_top, facts=facts, cautions=cautions,
        gateways=_gateway_lines(record, cases),
        failures=[Failure(_where(c), _story(c), c.test_id, c.findings(), _distinct(c), c.message) for c in broken],
        known=known, changes=changes, fuzz=fuzz, fuzz_present=bool(fuzz), skipped=reasons.most_common(),
        trend=_trend(record, history),
        counts=counts, sources=list(sources), sections=section_views(ReportInput(record, cases, history)),
    )


def section_views(report: ReportInput, sections: tuple[Section, ...] = SECTIONS) -> list[tuple[Section, Any]]:
    """Each section with its view of the record's facts under its name; a section whose view is None is left out."""
    shown = []
    for section in sections:
        view = section.view(report.record.get(section.name), report)
        if view is not None:
            shown.append((section, view))
    return shown


def load_cases(junit: Path | None, redact: Callable[[str], str]) -> list[Case]:
    return read_junit(junit, redact) if junit and junit.exists() else []

