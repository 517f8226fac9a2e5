"""The JUnit format: the properties the suite writes on each contract test, and JUnit XML read back (each test
case with its outcome, message, properties and parsed findings: the one reader, the report's and the test bed's).

pytest writes the XML itself (`--junitxml`); this format adds the `gateway`, `invariant` and `marks` properties
the sign-off report groups results by (and knows a skipped keyed contract by, whatever its skip reason says).
Other properties are written where they are known: `fuzz_cases` and `fuzz_failure` (fuzz plugin),
`known_finding` (session/known_outcomes.py), `flaky` (session/flaky.py), `baseline` (the baseline contract).
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from gateway_contracts.report.interface import Labels, ReportFormat
from gateway_contracts.report.labels import FUZZ

if TYPE_CHECKING:
    import pytest

# `[GET /v1/models]` in a schemathesis test id: the operation a fuzz case exercised.
OPERATION = re.compile(r"\[((?:GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS) /[^\]\s]*)\]")
FINDING_HEAD = re.compile(r"^\[([a-z0-9-]+)\] (.*)$")
KNOWN_PROPERTY = "known_finding"  # session/known_outcomes.py: the entry that accepted a failure of the test


@dataclass(frozen=True)
class ParsedFinding:
    """A finding read back from a failure text, as `data.findings.Finding.render()` wrote it there."""

    invariant: str
    message: str
    evidence: str = ""
    request: str = ""
    curl: str = ""


@dataclass(frozen=True)
class Case:
    classname: str
    name: str
    outcome: str  # passed, failed, error, skipped, known (failed with known findings only: an xfail)
    time_s: float = 0.0
    message: str = ""  # the failure text, or the skip reason
    properties: tuple[tuple[str, str], ...] = field(default=())
    summary: str = ""  # the failure's `message` attribute: pytest's one-paragraph summary
    # Every result element as written, in order: (failure|error|skipped, its `message` attribute, newline, its
    # text). A test can have two (a failure in the call and an error in teardown); `outcome` names the first.
    results: tuple[tuple[str, str], ...] = field(default=())

    def result_text(self, *tags: str) -> str:
        """The text of the result elements with these tags, joined by newlines ('' when none)."""
        return "\n".join(text for tag, text in self.results if tag in tags)

    @property
    def test_id(self) -> str:
        return f"{self.classname.replace('.', '/')}.py::{self.name}"

    @property
    def function(self) -> str:
        return self.name.split("[", 1)[0]

    def prop(self, name: str) -> str | None:
        return next((v for k, v in self.properties if k == name), None)

    def props(self, name: str) -> list[str]:
        return [v for k, v in self.properties if k == name]

    @property
    def is_fuzz(self) -> bool:
        return self.classname.startswith("tests.fuzz")

    @property
    def operation(self) -> str | None:
        match = OPERATION.search(self.name)
        return match.group(1) if match else None

    def fuzz_failures(self) -> list[dict[str, str]]:
        """A fuzz test's distinct failures (JUnit property `fuzz_failure`: code, title, message, request, curl)."""
        found = []
        for value in self.props("fuzz_failure"):
            try:
                item = json.loads(value)
            except ValueError:
                continue
            if isinstance(item, dict):
                found.append({k: str(v) for k, v in item.items()})
        return found

    def findings(self) -> list[ParsedFinding]:
        """The failure text split into findings; a text that is not findings becomes one 'failure'."""
        found: list[ParsedFinding] = []
        for line in self.message.splitlines():
            head = FINDING_HEAD.match(line)
            if head:
                found.append(ParsedFinding(head.group(1), head.group(2)))
            elif found and line.strip().startswith("kind:"):
                continue  # the finding's code and title: derived from its invariant name, not read back
            elif found and line.strip().startswith("evidence:"):
                found[-1] = ParsedFinding(found[-1].invariant, found[-1].message, line.split(":", 1)[1].strip(),
                                    found[-1].request)
            elif found and line.strip().startswith("request:"):
                found[-1] = ParsedFinding(found[-1].invariant, found[-1].message, found[-1].evidence,
                                          line.split(":", 1)[1].strip(), found[-1].curl)
            elif found and line.strip().startswith("reproduce:"):
                last = found[-1]
                found[-1] = ParsedFinding(last.invariant, last.message, last.evidence, last.request,
                                          line.split(":", 1)[1].strip())
            elif found and line.strip():
                last = found[-1]
                found[-1] = ParsedFinding(last.invariant, f"{last.message} {line.strip()}", last.evidence, last.request)
        if not found and (self.summary or self.message).strip():
            # Not a findings render (a crash, a schemathesis failure): the summary, not the traceback.
            first, _, rest = (self.summary or self.message).strip().partition("\n")
            found.append(ParsedFinding("failure", first.removeprefix("Failed: "), " ".join(rest.split())[:500]))
        return found


def read_junit(path: Path, redact: Callable[[str], str] = lambda s: s) -> list[Case]:
    """Every test case of the file (all suites), messages passed through `redact`."""
    return _cases(ET.parse(path).getroot(), redact)


def parse_junit_text(xml_text: str, redact: Callable[[str], str] = lambda s: s) -> list[Case]:
    """`read_junit` of a JUnit document already read."""
    return _cases(ET.fromstring(xml_text), redact)


def _cases(root: ET.Element, redact: Callable[[str], str]) -> list[Case]:
    cases = []
    for case in root.iter("testcase"):
        outcome, message, summary = "passed", "", ""
        for tag in ("failure", "error", "skipped"):
            node = case.find(tag)
            if node is not None:
                outcome = {"failure": "failed", "error": "error", "skipped": "skipped"}[tag]
                text = (node.text or "").strip()
                message = text if tag != "skipped" else (node.get("message") or text)
                summary = node.get("message") or ""
                message = message or summary
                break
        properties = tuple((p.get("name", ""), redact(p.get("value", ""))) for p in case.iter("property"))
        results = tuple((node.tag, redact(f"{node.get('message', '')}\n{node.text or ''}")) for node in case
                        if node.tag in ("failure", "error", "skipped"))
        if outcome == "skipped" and any(name == KNOWN_PROPERTY for name, _ in properties):
            outcome = "known"  # an xfail of session/known_outcomes.py: it ran and failed, with known findings only
        cases.append(Case(
            classname=case.get("classname", ""), name=case.get("name", ""), outcome=outcome,
            time_s=float(case.get("time") or 0), message=redact(message), properties=properties,
            summary=redact(summary), results=results,
        ))
    return cases


class JunitProperties(ReportFormat):
    name = "junit"

    def label(self, item: pytest.Item, labels: Labels) -> None:
        if labels.feature != FUZZ:  # fuzz tests are grouped by operation, from their test id
            item.user_properties += [("gateway", labels.feature), ("invariant", labels.story), ("marks", labels.marks)]


FORMAT = JunitProperties()
