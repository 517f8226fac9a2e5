"""Known findings in a pytest run: a failing test whose every distinct failure the contract's `known_findings`
accept becomes an xfail (reported as known, with ticket and expiry); one with a new failure fails naming only
the new ones. At the end of the session each entry is seen, no longer seen, not checked or expired, and an
expired entry (or, under --strict-known, one no longer seen) fails the run.

Why an xfail: pytest, JUnit (`<skipped type="pytest.xfail">`) and Allure all already show "failed, and expected
to": the exit status stays 0 without hiding the test, and the JUnit property `known_finding` says which entry.
Matching is pure (gateway_contracts/known_findings.py); this module only reads tests and reports.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

import pytest

from gateway_contracts.data.findings import Finding
from gateway_contracts.known_findings import (
    DistinctFailure,
    EntryOutcome,
    Judgement,
    KnownFinding,
    Place,
    Tally,
    judge,
    one_line,
    outcomes,
    short_request,
)
from gateway_contracts.session.state import STATE, is_worker
from gateway_contracts.verdict import FindingsFailed

STRICT_ENV = "STRICT_KNOWN"
OUTCOMES = pytest.StashKey[list[EntryOutcome]]()
# JUnit properties: every distinct failure's code and title (the adoption command reads them), the entry that
# accepted one (`<entry label>: <message>`), and an expired entry that would have.
FINDING, KNOWN, KNOWN_EXPIRED = "finding", "known_finding", "known_expired"
SEP = " :: "  # between the entry's label and the failure's message in `known_finding`


def today() -> date:
    return datetime.now(UTC).date()


def entries_of(config: pytest.Config) -> tuple[KnownFinding, ...]:
    state = config.stash.get(STATE, None)
    return tuple(getattr(getattr(state, "contract", None), "known_findings", ()) or ())


def place_of(item: pytest.Item) -> Place:
    gateway = next((str(v) for k, v in item.user_properties if k == "gateway"), None)
    return Place(name=item.name, nodeid=item.nodeid, operation=getattr(item, "operation_label", None),
                 gateway=gateway)


def finding_failures(findings: Sequence[Finding]) -> list[DistinctFailure]:
    """A contract's findings as distinct failures: one per code (the first finding of each says it)."""
    firsts: dict[str, Finding] = {}
    for finding in findings:
        firsts.setdefault(finding.code, finding)
    return [DistinctFailure(code, f.kind.title, f.message, f.request or "") for code, f in firsts.items()]


def settle(item: pytest.Item, failures: Sequence[DistinctFailure], operations: Sequence[str | None] = ()) -> Judgement:
    """Judge a failing test's distinct failures against the contract's entries and record the JUnit
    properties. The caller fails with `judgement.new`, or calls `accept` when every failure is known.
    `operations`: per failure, the operation it happened on, for a test of several (the pagination walk)."""
    if operations:
        parts = [judge(entries_of(item.config), replace(place_of(item), operation=op), [failure], today())
                 for failure, op in zip(failures, operations, strict=True)]
        judgement = Judgement(tuple(k for p in parts for k in p.known), tuple(n for p in parts for n in p.new),
                              tuple(e for p in parts for e in p.expired))
    else:
        judgement = judge(entries_of(item.config), place_of(item), failures, today())
    for failure in failures:
        item.user_properties.append((FINDING, f"{failure.code} {failure.title}"))
    for failure, entry in judgement.known:
        message = ": ".join(filter(None, [one_line(failure.message), short_request(failure.request)]))
        item.user_properties.append((KNOWN, f"{entry.label}{SEP}{message}"))
    for _, entry in judgement.expired:
        item.user_properties.append((KNOWN_EXPIRED, entry.label))
    _allure_links(item, judgement)
    return judgement


def accept(judgement: Judgement) -> None:
    """End the test as an xfail naming the entries (pytest, JUnit and Allure read it as expected to fail)."""
    __tracebackhide__ = True
    pytest.xfail("known finding: " + "; ".join(
        f"{entry.label}: {entry.reason}" for entry in dict.fromkeys(e for _, e in judgement.known)))


def _allure_links(item: pytest.Item, judgement: Judgement) -> None:
    # The ticket as an Allure issue link, so the report links the accepted finding to its ticket.
    if not judgement.known or not item.config.pluginmanager.get_plugin("allure_listener"):
        return
    import allure

    for entry in dict.fromkeys(e for _, e in judgement.known):
        allure.dynamic.issue(entry.ticket, f"{entry.code} {entry.ticket} (expires {entry.expires.isoformat()})")


class KnownFindings:
    """Registered on every process: contract tests are judged where they run (worker or single process); the
    entries' outcomes are tallied where the reports arrive (controller or single process)."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.tally = Tally()

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Any:
        try:
            return (yield)
        except FindingsFailed as failed:
            judgement = settle(item, finding_failures(failed.findings))
            if judgement.accepted:
                accept(judgement)
            if judgement.known:
                # Only the new failures (and the expired entries' ones) fail the test; the known ones are
                # properties of it.
                codes = {f.code for f in judgement.new} | {f.code for f, _ in judgement.expired}
                raise FindingsFailed([f for f in failed.findings if f.code in codes]) from None
            raise

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if is_worker(self.config):
            return
        name = report.nodeid.rsplit("::", 1)[-1]
        for key, value in report.user_properties:
            if key == KNOWN:
                self.tally.saw(str(value).split(" (ticket ", 1)[0], name)
        if report.when == "call":
            props = dict(report.user_properties)
            operation = name.split("[", 1)[1].rstrip("]") if report.nodeid.startswith("tests/fuzz/") and "[" in name \
                else None
            self.tally.ran.append(Place(name=name, nodeid=report.nodeid, operation=operation,
                                        gateway=str(props["gateway"]) if "gateway" in props else None))

    @pytest.hookimpl(tryfirst=True)  # before the JUnit file and the run record are written
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        config = session.config
        entries = entries_of(config)
        if is_worker(config) or not entries:
            return
        results = outcomes(entries, self.tally, today())
        config.stash[OUTCOMES] = results
        strict = bool(config.getoption("strict_known", False))
        if session.exitstatus == 0 and any(r.fails(strict) for r in results):
            session.exitstatus = 1
        xml = config.stash.get(_junit_key(), None)
        if xml is not None:
            for result in results:
                xml.add_global_property(f"known_{result.status.replace(' ', '_')}", result.entry.label)

    def pytest_terminal_summary(self, terminalreporter: Any, config: pytest.Config) -> None:
        results = config.stash.get(OUTCOMES, [])
        strict = bool(config.getoption("strict_known", False))
        for result in results:
            if result.fails(strict):
                note = " [fails the run]"
            elif result.fails(True):
                note = " [fails under --strict-known / STRICT_KNOWN=1]"
            else:
                note = ""
            terminalreporter.write_line(f"gateway-contracts: {result.line}{note}")


def _junit_key() -> Any:
    from _pytest.junitxml import xml_key

    return xml_key
