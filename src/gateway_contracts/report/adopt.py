"""`gateway-contracts known --from-run NAME`: the `known_findings` entries for a run's failures, in one step.

Reads the run's JUnit file (through its run record, else `reports/junit-NAME.xml`): each failed test's distinct
failures (the JUnit property `finding`, `GC402 Invalid input ...`; older files: the codes in its failure text)
become one entry each, at the test (contract tests) or the operation (fuzz tests), reason and ticket `TODO`, a
short expiry. Printed as YAML to paste, or appended to the contract file keeping its comments (`--write`).
A failure without a finding code (a crash) is not adoptable: it is named, not written.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from gateway_contracts.contract import ContractError, load_contract
from gateway_contracts.data.kinds import UNREGISTERED_CODE, kind_of
from gateway_contracts.known_findings import CODE, entry_yaml
from gateway_contracts.report.junit import Case, read_junit

DEFAULT_DAYS = 30
FINDING_PROPERTY = "finding"
_CODE_IN_TEXT = re.compile(r"^- ((?:GC|ST)\d{3}) (.+?)(?: \(\d+ violations\))?$", re.M)
KEY_LINE = re.compile(r"^known_findings\s*:")


class AdoptError(Exception):
    """The run or the contract file cannot be read; one line."""


@dataclass(frozen=True)
class Candidate:
    code: str
    title: str
    where: str

    @property
    def key(self) -> str:
        return f"{self.code} {self.where}"


def junit_of(reports: Path, run: str) -> Path:
    record = reports / f"run-{run}.json"
    if record.is_file():
        try:
            named = json.loads(record.read_text(encoding="utf-8")).get("junit")
        except ValueError:
            named = None
        for path in (Path(named), reports.parent / named) if named else ():
            if path.is_file():
                return path
    path = reports / f"junit-{run}.xml"
    if not path.is_file():
        runs = ", ".join(sorted(p.stem.removeprefix("run-") for p in reports.glob("run-*.json"))) or "none recorded"
        raise AdoptError(f"no run {run!r}: neither {record} nor {path} (run `make {run}` first; recorded: {runs})")
    return path


def candidates(cases: list[Case]) -> tuple[list[Candidate], list[str]]:
    """One entry per distinct failure of each failed test; and the failed tests with no code to accept."""
    found: list[Candidate] = []
    unadoptable: list[str] = []
    for case in cases:
        if case.outcome not in ("failed", "error"):
            continue
        where = case.operation if case.is_fuzz and case.operation else case.name
        codes = [tuple(v.split(" ", 1)) for v in case.props(FINDING_PROPERTY)]
        if not codes and case.is_fuzz:
            codes = [(m[1], m[2]) for m in _CODE_IN_TEXT.finditer(case.message)]
        if not codes:
            codes = [(kind_of(f.invariant).code, kind_of(f.invariant).title) for f in case.findings()]
        codes = [c for c in codes if CODE.match(c[0]) and c[0] not in (UNREGISTERED_CODE, "GC901")]
        if not codes:
            unadoptable.append(case.name)
        for code, *title in dict.fromkeys(codes):
            candidate = Candidate(code, title[0] if title else "", where)
            if candidate not in found:
                found.append(candidate)
    return found, unadoptable


def render(found: list[Candidate], expires: date, *, header: bool) -> str:
    items = [entry_yaml(c.code, c.where, expires, title=c.title) for c in found]
    return ("known_findings:\n" if header else "") + "\n".join(items) + "\n"


def append_to(contract_path: Path, block: str) -> None:
    """Add the entries to the file's `known_findings:` list (created at the end when absent), keeping every
    other line and comment; the result must load, or nothing is written."""
    text = contract_path.read_text(encoding="utf-8")
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if KEY_LINE.match(line)), None)
    if start is None:
        new = text.rstrip("\n") + "\n\n" + block
    else:
        if lines[start].split(":", 1)[1].strip() not in ("", "[]"):
            raise AdoptError(f"{contract_path}:{start + 1}: known_findings: written inline; make it a block list to "
                             "append to it")
        lines[start] = "known_findings:"
        end = start + 1
        # The list's block: indented or `-` lines (and blanks); a comment at column 0 belongs to what follows.
        while end < len(lines) and (not lines[end].strip() or lines[end][:1] in (" ", "-")):
            end += 1
        while end > start + 1 and not lines[end - 1].strip():
            end -= 1
        items = block.split("\n", 1)[1] if block.startswith("known_findings:") else block
        new = "\n".join([*lines[:end], items.rstrip("\n"), *lines[end:]]) + "\n"
    tmp = contract_path.with_name(f".{contract_path.name}.known-tmp")
    tmp.write_text(new, encoding="utf-8")
    try:
        load_contract(tmp)
    except ContractError as exc:
        tmp.unlink()
        raise AdoptError(f"not written, the result would not load: {exc}") from None
    tmp.replace(contract_path)


def adopt(reports: Path, run: str, contract_path: Path, *, days: int = DEFAULT_DAYS, write: bool = False,
          today: date | None = None) -> tuple[str, str]:
    """(YAML text, a note for stderr). With `write`, the entries are appended to the contract file too."""
    cases = read_junit(junit_of(reports, run))
    found, unadoptable = candidates(cases)
    try:
        contract = load_contract(contract_path)
    except ContractError as exc:
        raise AdoptError(str(exc)) from None
    have = {e.key for e in contract.known_findings}
    fresh = [c for c in found if c.key not in have]
    notes = []
    if len(fresh) < len(found):
        notes.append(f"{len(found) - len(fresh)} already listed in {contract_path}")
    if unadoptable:
        notes.append(f"not adoptable (no finding code: a crash or an infrastructure error): {', '.join(unadoptable)}")
    if not fresh:
        return "", "; ".join(["no new failure to adopt in run " + repr(run), *notes])
    expires = (today or date.today()) + timedelta(days=days)
    text = render(fresh, expires, header=not _has_key(contract_path))
    if write:
        append_to(contract_path, render(fresh, expires, header=True))
        notes.insert(0, f"{len(fresh)} entries appended to {contract_path}: fill in reason and ticket")
    else:
        notes.insert(0, f"{len(fresh)} entries for run {run!r}: paste under known_findings in {contract_path} "
                     "(or --write), then fill in reason and ticket")
    return text, "; ".join(notes)


def _has_key(path: Path) -> bool:
    return any(KEY_LINE.match(line) for line in path.read_text(encoding="utf-8").splitlines())
