"""The sign-off report: one view of a run (run record + JUnit + history), rendered as HTML and Markdown.

`build_view` does the reading and judging once; `render_html` and `render_markdown` only lay it out, so
the two can never disagree. The HTML is self-contained (inline CSS and SVG, system fonts, no script):
it opens from file:// with no network.
"""

from __future__ import annotations

import os
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any

from gateway_contracts.data.kinds import kind_of
from gateway_contracts.known import EXPIRED, SEEN, UNSEEN, one_line, short_request
from gateway_contracts.net.redaction import Redactor
from gateway_contracts.report.chart import Point, panel
from gateway_contracts.report.completeness import missing_for_release, skip_reason
from gateway_contracts.report.junit import Case, read_junit

HISTORY_RUNS = 30  # runs shown in the trend
VERDICT_LINES = 5  # broken checks named under the verdict
NONE = "\u2013"  # an en dash: no value
SAMPLE = 5
_BEARER = re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]{6,}")
# The JUnit property each fuzz operation's test carries: the cases it generated, and how they ended.
FUZZ_CASES = re.compile(r"generated=(\d+) passed=(\d+) failed=(\d+)")
UNKNOWN = "unknown"


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
    aliases: list[dict[str, Any]]
    required: list[dict[str, Any]]
    changes: list[str]
    fuzz: list[FuzzLine]
    fuzz_present: bool
    skipped: list[tuple[str, int]]  # (reason, count)
    trend: list[Series]
    counts: Mapping[str, int] = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)
    known: list[KnownLine] = field(default_factory=list)


def _when(iso: str) -> str:
    """`2026-11-26T05:34:54Z` -> `2026-11-26 05:34:54 UTC`."""
    return iso.replace("T", " ").replace("Z", " UTC") if iso else "unknown"


def _n(value: int | None) -> str:
    return NONE if value is None else f"{value:,}"


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


def _count(value: int | None) -> str:
    return UNKNOWN if value is None else f"{value:,}"


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
            code, title, one_line(finding.message, 240), short_request(finding.request), evidence=finding.evidence))
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
    lines = [KnownLine(e["code"], e["where"] + (f" (gateway {e['gateway']})" if e.get("gateway") else ""),
                       e["ticket"], e["expires"], e["reason"], e["status"], seen_as.get(_entry_key(e), ""),
                       e["status"] == EXPIRED or (strict and e["status"] == UNSEEN))
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
        known=known,
        aliases=list(record.get("aliases", [])), required=list(record.get("required", [])), changes=changes,
        fuzz=fuzz, fuzz_present=bool(fuzz), skipped=reasons.most_common(), trend=_trend(record, history),
        counts=counts, sources=list(sources),
    )


# -- HTML ------------------------------------------------------------------------------------------

CSS = """
:root { --ok:#1a7f37; --ok-bg:#dafbe1; --bad:#c62828; --bad-bg:#ffebe9; --warn:#9a6700; --warn-bg:#fff8c5;
  --ink:#1f2328; --muted:#59636e; --line:#d1d9e0; --head:#f6f8fa; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", "Liberation Sans", sans-serif;
  color: var(--ink); margin: 0 auto; max-width: 1240px; padding: 24px 32px 48px; }
h1 { font-size: 20px; margin: 0 0 4px; color: var(--muted); font-weight: 600; }
h2 { font-size: 18px; margin: 34px 0 6px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
p.help { margin: 2px 0 10px; color: var(--muted); font-size: 13.5px; }
.verdict { border-radius: 8px; padding: 16px 20px; margin: 8px 0 18px; border: 2px solid; }
.verdict.pass { background: var(--ok-bg); border-color: var(--ok); }
.verdict.fail { background: var(--bad-bg); border-color: var(--bad); }
.verdict.incomplete { background: var(--warn-bg); border-color: var(--warn); }
.verdict.known { background: var(--ok-bg); border-color: var(--warn); } .verdict.known .big { color: var(--ok); }
details { margin: 4px 0 2px; font-size: 13px; } details summary { cursor: pointer; color: var(--muted); }
details pre { white-space: pre-wrap; overflow-wrap: anywhere; background: var(--head); padding: 8px; max-height: 420px;
  overflow: auto; font-size: 12px; }
.verdict .big { font-size: 30px; font-weight: 800; letter-spacing: .5px; }
.verdict.pass .big { color: var(--ok); } .verdict.fail .big { color: var(--bad); }
.verdict.incomplete .big { color: var(--warn); }
.verdict .why { font-size: 16px; margin-top: 4px; }
.verdict ul.reasons { margin: 6px 0 0; padding-left: 22px; font-size: 14.5px; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 3px 18px; margin: 0; font-size: 14px; }
dl.facts dt { color: var(--muted); } dl.facts dd { margin: 0; overflow-wrap: anywhere; }
ul.cautions { background: var(--warn-bg); border: 1px solid #d4a72c; border-radius: 6px; padding: 10px 14px 10px 32px;
  margin: 14px 0 0; font-size: 14px; }
table { border-collapse: collapse; width: 100%; font-size: 14px; }
th, td { border-bottom: 1px solid var(--line); padding: 5px 9px; text-align: left; vertical-align: top; }
th { background: var(--head); font-weight: 600; white-space: nowrap; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.agg td { border-top: 2px solid var(--line); font-weight: 600; }
.badge { display: inline-block; min-width: 52px; text-align: center; border-radius: 10px; padding: 0 8px;
  font-weight: 700; font-size: 12.5px; }
.b-OK { background: var(--ok-bg); color: var(--ok); }
.b-FAIL, .b-ERROR { background: var(--bad-bg); color: var(--bad); }
.b-NOT-RUN { background: var(--head); color: var(--muted); }
.b-KNOWN { background: var(--warn-bg); color: var(--warn); } td.where { min-width: 260px; }
.k-bad, .k-down.k-bad { color: var(--bad); font-weight: 600; } .k-ok { color: var(--muted); }
.k-down { color: var(--warn); } .k-up { color: var(--ok); } .k-same, .k-none { color: var(--muted); }
.detail { color: var(--bad); font-size: 13px; } .muted { color: var(--muted); }
.finding { border: 1px solid var(--line); border-left: 4px solid var(--bad); border-radius: 4px; margin: 10px 0;
  padding: 8px 12px; }
.finding h3 { margin: 0 0 6px; font-size: 15px; } .finding h3 code { font-size: 12.5px; color: var(--muted); }
.finding table td { border: 0; padding: 2px 8px 2px 0; } .finding table td:first-child { color: var(--muted);
  width: 130px; white-space: nowrap; }
code, .mono { font-family: ui-monospace, "DejaVu Sans Mono", "Liberation Mono", monospace; font-size: 12.5px;
  overflow-wrap: anywhere; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(300px, 1fr)); gap: 8px 14px; }
svg.trend { width: 100%; height: auto; display: block; background: #fff; border: 1px solid var(--line);
  border-radius: 4px; }
.t-title { font-weight: 700; font-size: 13px; fill: var(--ink); } .t-sub { font-size: 11px; fill: var(--muted); }
.t-axis { font-size: 10px; fill: var(--muted); } .t-grid { stroke: #eef1f4; stroke-width: 1; }
.t-floor { stroke: var(--bad); stroke-dasharray: 4 3; stroke-width: 1.2; }
.t-line { fill: none; stroke: #0969da; stroke-width: 2; } .t-dot { fill: #0969da; } .t-dot.t-bad { fill: var(--bad); }
.legend { font-size: 13px; color: var(--muted); margin: 4px 0 8px; }
.legend .sw { display: inline-block; width: 10px; height: 10px; border-radius: 50%; vertical-align: -1px; }
footer { margin-top: 36px; font-size: 12.5px; color: var(--muted); }
@media print { body { max-width: none; } .finding, tr, svg { break-inside: avoid; } }
"""


def _e(value: Any) -> str:
    return escape(str(value))


def _yes(value: bool | None, yes: str = "yes", no: str = "NO") -> str:
    if value is None:
        return '<span class="muted">not checked</span>'
    return f'<span class="k-ok">{yes}</span>' if value else f'<span class="k-bad">{no}</span>'


def render_html(view: View) -> str:
    out = ['<!doctype html><html lang="en"><head><meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           f"<title>Sign-off: {_e(view.headline)}</title><style>{CSS}</style></head><body>",
           "<h1>gateway-contracts · release sign-off report</h1>",
           f'<div class="verdict {view.verdict}"><div class="big">{_e(view.headline)}</div>'
           f'<div class="why">{_e(view.summary)}</div>'
           + ('<ul class="reasons">' + "".join(f"<li>{_e(r)}</li>" for r in view.reasons) + "</ul>"
              if view.reasons else "") + "</div>",
           '<dl class="facts">' + "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in view.facts) + "</dl>"]
    if view.cautions:
        out.append('<ul class="cautions">' + "".join(f"<li>{_e(c)}</li>" for c in view.cautions) + "</ul>")

    out.append("<h2>Gateways</h2><p class=\"help\">Total: rows served over the whole catalog walk; Unique: "
               "distinct ids; Duplicates: Total minus Unique. Status: whether every contract of the gateway holds. "
               "Floor: the contract's minimum of distinct models. Baseline → now: distinct ids in the baseline and in "
               "this run; red: beyond the tolerance (a failure), amber: a drop within it.</p>")
    out.append('<table><thead><tr><th>Gateway</th><th class="num">Total</th><th class="num">Unique</th>'
               '<th class="num">Duplicates</th><th>Status</th><th class="num">Floor</th><th>vs floor</th>'
               "<th>Baseline → now</th></tr></thead><tbody>")
    for g in view.gateways:
        agg = ' class="agg"' if g.label.endswith("(aggregate)") else ""
        total = _n(g.total) + (f' <span class="muted">(envelope says {g.envelope_total:,})</span>'
                               if g.envelope_total is not None and g.envelope_total != g.total else "")
        dup_cls = "num k-bad" if g.duplicates else "num"
        detail = (f'<div class="{"muted" if g.status == "KNOWN" else "detail"}">{_e(g.detail)}</div>'
                  if g.detail else "")
        checks = f' <span class="muted">{g.passed}/{g.checked} contracts</span>' if g.checked else ""
        out.append(f"<tr{agg}><td>{_e(g.label)}</td><td class=\"num\">{total}</td><td class=\"num\">{_n(g.unique)}"
                   f"</td><td class=\"{dup_cls}\">{_n(g.duplicates)}</td>"
                   f'<td><span class="badge b-{g.status.replace(" ", "-")}">{_e(g.status)}</span>{checks}{detail}</td>'
                   f'<td class="num">{_n(g.floor)}</td><td class="k-{g.floor_kind}">{_e(g.floor_note)}</td>'
                   f'<td class="k-{g.baseline_kind}">{_e(g.baseline)}</td></tr>')
    out.append("</tbody></table>")

    out.append(f"<h2>Failing contracts ({len(view.failures)})</h2>")
    if not view.failures:
        out.append('<p class="muted">None: every contract that ran holds.</p>')
    for failure in view.failures:
        out.append(f'<div class="finding"><h3>{_e(failure.gateway)} · {_e(failure.contract)} '
                   f"<code>{_e(failure.test_id)}</code></h3>")
        # Every distinct failure one entry: code and title, one line, the request; the bodies folded away.
        for item in failure.distinct:
            rows = [("Found", f"<b>{_e(item.code)} {_e(item.title)}</b>"), ("What", _e(item.message))]
            if item.evidence:
                rows.append(("Evidence", f'<span class="mono">{_e(item.evidence)}</span>'))
            if item.request:
                rows.append(("Request", f'<span class="mono">{_e(item.request)}</span>'))
            if item.curl:
                rows.append(("Reproduce", f'<span class="mono">{_e(item.curl)}</span>'))
            out.append("<table>" + "".join(f"<tr><td>{k}</td><td>{v}</td></tr>" for k, v in rows) + "</table>")
        if failure.text:
            out.append(f"<details><summary>Full failure text (response bodies)</summary><pre>{_e(failure.text)}"
                       "</pre></details>")
        out.append("</div>")

    out.append(f"<h2>Known findings ({len(view.known)})</h2>")
    if view.known:
        out.append('<p class="help">Accepted in the contract file (<code>known_findings</code>), each with a ticket '
                   "and an expiry: seen, they do not fail the run; no longer seen, remove the entry (it fails under "
                   "--strict-known, the nightly and sign-off default); expired, they fail the run.</p>")
        out.append("<table><thead><tr><th>Code</th><th>Where</th><th>Ticket</th><th>Expires</th><th>Reason</th>"
                   "<th>This run</th></tr></thead><tbody>")
        for k in view.known:
            status = _e(k.status) + (" (fails the run)" if k.fails else "")
            cls = "k-bad" if k.fails else ("k-down" if k.status != SEEN else "")
            seen = f'<div class="mono muted">{_e(k.seen_as)}</div>' if k.seen_as else ""
            out.append(f"<tr><td><b>{_e(k.code)}</b></td><td class=\"mono where\">{_e(k.where)}</td>"
                       f"<td>{_e(k.ticket)}</td><td>{_e(k.expires)}</td><td>{_e(k.reason)}</td>"
                       f"<td class=\"{cls}\">{status}{seen}</td></tr>")
        out.append("</tbody></table>")
    else:
        out.append('<p class="muted">None accepted: the contract file lists no known findings.</p>')

    if view.changes:
        out.append("<h2>Changes since the baseline (within tolerance: reported, not failed)</h2><ul>"
                   + "".join(f"<li>{_e(c)}</li>" for c in view.changes) + "</ul>")

    out.append("<h2>Aliases</h2><p class=\"help\">Every alias must serve exactly its gateway's catalog.</p>")
    if view.aliases:
        out.append('<table><thead><tr><th>Gateway</th><th>Alias</th><th class="num">Gateway ids</th>'
                   '<th class="num">Alias ids</th><th>Same catalog</th><th>Difference</th></tr></thead><tbody>')
        for a in view.aliases:
            diff = "; ".join(filter(None, [
                f"{a['missing_count']:,} missing: {', '.join(a['missing'])}" if a["missing_count"] else "",
                f"{a['extra_count']:,} extra: {', '.join(a['extra'])}" if a["extra_count"] else ""]))
            out.append(f"<tr><td>{_e(a['gateway'])}</td><td>{_e(a['alias'])}</td><td class=\"num\">"
                       f"{a['gateway_ids']:,}</td><td class=\"num\">{a['alias_ids']:,}</td>"
                       f"<td>{_yes(a['equal'])}</td><td class=\"mono\">{_e(diff)}</td></tr>")
        out.append("</tbody></table>")
    else:
        out.append('<p class="muted">No aliases in the contract (or none checked).</p>')

    out.append("<h2>Required models</h2><p class=\"help\">Models the business depends on, by exact id.</p>")
    if view.required:
        out.append("<table><thead><tr><th>Model</th><th>Gateway</th><th>Listed by the gateway</th>"
                   "<th>Listed in the aggregate</th></tr></thead><tbody>")
        for r in view.required:
            out.append(f"<tr><td class=\"mono\">{_e(r['model'])}</td><td>{_e(r['gateway'])}</td>"
                       f"<td>{_yes(r['in_gateway'])}</td><td>{_yes(r['in_aggregate'])}</td></tr>")
        out.append("</tbody></table>")
    else:
        out.append('<p class="muted">No required models in the contract.</p>')

    out.append("<h2>Fuzzing per operation</h2>")
    if view.fuzz:
        out.append('<p class="help">Cases: the requests each operation generated and how they ended, as the run '
                   "recorded them; unknown when it did not. Tests: pytest tests of the operation (skipped: not run)."
                   "</p>")
        out.append('<table><thead><tr><th>Operation</th><th class="num">Cases generated</th>'
                   '<th class="num">Passed</th><th class="num">Failed</th><th class="num">Tests (skipped)</th>'
                   "<th>First failure</th></tr></thead><tbody>")
        for f in view.fuzz:
            bad = ' class="num k-bad"' if f.bad else ' class="num"'
            out.append(f"<tr><td class=\"mono\">{_e(f.operation)}</td><td class=\"num\">{_count(f.generated)}</td>"
                       f"<td class=\"num\">{_count(f.passed)}</td><td{bad}>{_count(f.failed)}</td>"
                       f"<td class=\"num\">{f.tests} ({f.skipped})</td><td>{_e(f.first_failure)}</td></tr>")
        out.append("</tbody></table>")
    else:
        out.append('<p class="muted">No fuzz results in this run.</p>')

    out.append("<h2>Trend: distinct models per gateway over past runs</h2>")
    if view.trend:
        runs = len(view.trend[0][1])
        out.append(f'<p class="legend">The last {runs} run{"s" * (runs != 1)} against this target '
                   '(reports/history.jsonl). <span class="sw" style="background:#0969da"></span> every contract of '
                   'the gateway held &nbsp; <span class="sw" style="background:#c62828"></span> a contract of the '
                   'gateway broke in that run &nbsp; '
                   '<span style="color:#c62828">- - -</span> floor. Each panel has its own scale, from zero.</p>')
        out.append('<div class="grid">' + "".join(panel(slug, points, floor) for slug, points, floor in view.trend)
                   + "</div>")
    else:
        out.append('<p class="muted">No run history yet for this target.</p>')

    if view.skipped:
        out.append("<h2>Not checked</h2><table><thead><tr><th class=\"num\">Tests</th><th>Reason</th></tr></thead>"
                   "<tbody>" + "".join(f'<tr><td class="num">{n}</td><td>{_e(r)}</td></tr>' for r, n in view.skipped)
                   + "</tbody></table>")
    out.append(f"<footer>Generated by gateway-contracts from {_e(', '.join(view.sources))}. "
               "Evidence never contains the API key: it is filtered when recorded and again here.</footer>")
    out.append("</body></html>\n")
    return "".join(out)


# -- Markdown --------------------------------------------------------------------------------------


def _md(value: Any) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def render_markdown(view: View) -> str:
    mark = {"pass": "✅", "known": "✅", "fail": "❌", "incomplete": "⚠️"}[view.verdict]
    out = [f"## {mark} {view.headline}", "", view.summary, ""] + [f"- {_md(r)}" for r in view.reasons]
    out += [""] if view.reasons else []
    out += ["| | |", "|---|---|"] + [f"| {_md(k)} | {_md(v)} |" for k, v in view.facts] + [""]
    out += [f"> ⚠️ {_md(c)}" for c in view.cautions] + ([""] if view.cautions else [])
    out += ["### Gateways", "", "| Gateway | Total | Unique | Duplicates | Status | Floor | Baseline → now |",
            "|---|--:|--:|--:|---|--:|---|"]
    for g in view.gateways:
        status = g.status + (f": {g.detail}" if g.detail else "")
        floor = f"{_n(g.floor)} ({g.floor_note})" if g.floor is not None else NONE
        out.append(f"| {_md(g.label)} | {_n(g.total)} | {_n(g.unique)} | {_n(g.duplicates)} | {_md(status)} | "
                   f"{_md(floor)} | {_md(g.baseline)} |")
    out += ["", f"### Failing contracts ({len(view.failures)})", ""]
    if not view.failures:
        out.append("None: every contract that ran holds.")
    for failure in view.failures:
        out += [f"**{_md(failure.gateway)} · {_md(failure.contract)}** (`{failure.test_id}`)", ""]
        for item in failure.distinct:
            out.append(f"- **{_md(item.code)} {_md(item.title)}**: {_md(item.message)}"
                       + (f" `{item.request}`" if item.request else ""))
        out.append("")
    out += [f"### Known findings ({len(view.known)})", ""]
    if view.known:
        out += ["| Code | Where | Ticket | Expires | Reason | This run |", "|---|---|---|---|---|---|"]
        out += [f"| {k.code} | `{_md(k.where)}` | {_md(k.ticket)} | {k.expires} | {_md(k.reason)} | "
                f"{_md(k.status)}{' (fails the run)' if k.fails else ''} |" for k in view.known]
    else:
        out.append("None accepted.")
    out.append("")
    if view.changes:
        out += ["", "### Changes since the baseline (reported, not failed)", ""]
        out += [f"- {_md(c)}" for c in view.changes]
    out += ["", "### Aliases", ""]
    if view.aliases:
        out += ["| Gateway | Alias | Gateway ids | Alias ids | Same catalog |", "|---|---|--:|--:|---|"]
        out += [f"| {a['gateway']} | {a['alias']} | {a['gateway_ids']:,} | {a['alias_ids']:,} | "
                f"{'yes' if a['equal'] else '**NO**'} |" for a in view.aliases]
    else:
        out.append("No aliases checked.")
    out += ["", "### Required models", ""]
    if view.required:
        def yn(v: bool | None) -> str:
            return "not checked" if v is None else ("yes" if v else "**NO**")

        out += ["| Model | Gateway | In gateway | In aggregate |", "|---|---|---|---|"]
        out += [f"| `{r['model']}` | {r['gateway']} | {yn(r['in_gateway'])} | {yn(r['in_aggregate'])} |"
                for r in view.required]
    else:
        out.append("No required models in the contract.")
    out += ["", "### Fuzzing per operation", ""]
    if view.fuzz:
        out += ["| Operation | Cases generated | Passed | Failed | Tests (skipped) | First failure |",
                "|---|--:|--:|--:|--:|---|"]
        out += [f"| `{f.operation}` | {_count(f.generated)} | {_count(f.passed)} | {_count(f.failed)} | "
                f"{f.tests} ({f.skipped}) | {_md(f.first_failure)} |" for f in view.fuzz]
    else:
        out.append("No fuzz results in this run.")
    out += ["", "### Trend (distinct models, last runs)", ""]
    if view.trend:
        last = min(6, len(view.trend[0][1]))
        labels = [p.label for p in view.trend[0][1][-last:]]
        out += ["| Gateway | " + " | ".join(labels) + " |", "|---|" + "--:|" * last]
        for slug, points, _ in view.trend:
            out.append(f"| {slug} | " + " | ".join(_n(p.value) + (" ✗" if p.failed else "") for p in points[-last:])
                       + " |")
        out.append("")
        out.append("✗: a contract of that gateway broke in that run. signoff.html draws the full trend.")
    else:
        out.append("No run history yet for this target.")
    if view.skipped:
        out += ["", "### Not checked", ""] + [f"- {n} x {_md(r)}" for r, n in view.skipped]
    out += ["", f"<sub>Generated by gateway-contracts from {', '.join(view.sources)}.</sub>", ""]
    return "\n".join(out)


def load_cases(junit: Path | None, redact: Callable[[str], str]) -> list[Case]:
    return read_junit(junit, redact) if junit and junit.exists() else []
