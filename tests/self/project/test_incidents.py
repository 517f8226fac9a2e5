"""docs/incidents.md defines every incident code the repository uses and accounts for every reference fault.

The codes (R01..R28, B6..B9) are cited in docstrings, comments, contracts and the reference gateway's fault
list; a reader who meets one must be able to look it up in the repository. Nothing here pins the list:
the codes are collected from the files, the faults from the reference gateway's own listing.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from tests.self.suite_run import run_python

ROOT = Path(__file__).resolve().parents[3]
INCIDENTS = ROOT / "docs" / "incidents.md"
KILL_MATRIX = ROOT / "tests" / "self" / "kill_matrix.yaml"
# Where codes are cited: the product, its tests, its contracts, its front page and its manual (docs/).
SCANNED = ("src", "tests", "contracts", "bench", "README.md", "docs", "Makefile", "pyproject.toml")
TEXT_SUFFIXES = {".py", ".md", ".yaml", ".yml", ".json", ".toml", ".txt", ".cfg", ".ini", ".sh", ""}
CODE = re.compile(r"\b(?:R\d{2}|B\d|D\d)\b")  # B plus one digit: ruff's B018 and the like are not incidents
ENTRY = re.compile(r"^#{2,4} (R\d{2}|B\d|D\d)\b", re.MULTILINE)
HEADING = re.compile(r"^#+ ", re.MULTILINE)


def _scanned_files() -> list[Path]:
    files: list[Path] = []
    for name in SCANNED:
        path = ROOT / name
        candidates = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
        files += [p for p in candidates if p.suffix in TEXT_SUFFIXES and not _ignored(p)]
    return files


def _ignored(path: Path) -> bool:
    parts = path.relative_to(ROOT).parts
    return any(part == "__pycache__" or part.endswith(".egg-info") or part.startswith(".") for part in parts)


def codes_used() -> dict[str, str]:
    """Every incident code cited in the scanned files -> the first place it appears (file:line)."""
    used: dict[str, str] = {}
    for path in _scanned_files():
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        for number, line in enumerate(text.splitlines(), 1):
            for code in CODE.findall(line):
                used.setdefault(code, f"{path.relative_to(ROOT)}:{number}")
    return used


def entries(text: str) -> dict[str, str]:
    """docs/incidents.md's entries: code -> the text of its section (up to the next heading of any level)."""
    starts = [m.start() for m in HEADING.finditer(text)] + [len(text)]
    sections: dict[str, str] = {}
    for match in ENTRY.finditer(text):
        end = next(start for start in starts if start > match.start())
        sections[match.group(1)] = text[match.start() : end]
    return sections


def listed_faults() -> dict[str, str]:
    """`python -m gateway_testbed.reference --list-faults`: fault name -> incident column."""
    result = run_python(["-m", "gateway_testbed.reference", "--list-faults"], timeout=120)
    assert result.status == 0, result.stderr[-2000:]
    faults = {}
    for line in result.stdout.splitlines():
        name, incident, *_ = line.split()
        faults[name] = incident
    assert faults, result.stdout
    return faults


@pytest.fixture(scope="module")
def doc() -> str:
    return INCIDENTS.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def faults() -> dict[str, str]:
    return listed_faults()


def test_the_scan_finds_the_codes_where_they_are_cited() -> None:
    # Guards the scan itself: a regex or a path list that finds nothing would make the next test vacuous.
    used = codes_used()
    assert len(used) >= 10, used
    assert all(CODE.fullmatch(code) for code in used)


def test_every_incident_code_in_the_repository_has_an_entry(doc: str) -> None:
    defined = entries(doc)
    missing = {code: where for code, where in codes_used().items() if code not in defined}
    assert not missing, f"incident codes without an entry in docs/incidents.md (first use): {missing}"


def test_every_entry_says_what_happened_and_what_catches_it(doc: str) -> None:
    for code, section in entries(doc).items():
        for field in ("**What happened**", "**Invariant:**", "**Contract tests:**", "**Fault"):
            assert field in section, f"docs/incidents.md: {code} has no {field}"


def test_every_reference_fault_is_in_the_incidents_page_or_the_kill_matrix(doc: str, faults: dict[str, str]) -> None:
    matrix = yaml.safe_load(KILL_MATRIX.read_text(encoding="utf-8"))
    in_matrix = set(matrix.get("out_of_scope") or {})
    for name, spec in (matrix.get("scenarios") or {}).items():
        in_matrix |= {name, *((spec or {}).get("faults") or ())}
    missing = [name for name in faults if f"`{name}`" not in doc and name not in in_matrix]
    assert not missing, f"faults in neither docs/incidents.md nor {KILL_MATRIX.name}: {missing}"


def test_a_fault_is_documented_under_each_incident_it_replays(doc: str, faults: dict[str, str]) -> None:
    # The listing's incident column (`R04/R15`) and the page must agree: each code's entry names the fault.
    defined = entries(doc)
    wrong = [(name, code) for name, incident in faults.items() for code in CODE.findall(incident)
             if f"`{name}`" not in defined.get(code, "")]
    assert not wrong, f"(fault, incident) pairs the incident's entry in docs/incidents.md does not name: {wrong}"
