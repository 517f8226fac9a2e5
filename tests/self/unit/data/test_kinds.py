"""Every finding kind has a stable code: each invariant name the source uses is registered in data/kinds.py.

Nothing here pins the list of names: they are read from the source (product, contract tests, fuzz tests)
wherever a name is given to a finding: `Finding("name", ...)`, a keyword `invariant="name"` in any call,
or a parameter `invariant` defaulting to a name.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from gateway_contracts.data.findings import Finding, render_all
from gateway_contracts.data.kinds import KINDS, UNREGISTERED_CODE, kind_of

ROOT = Path(__file__).resolve().parents[4]
SCANNED = (ROOT / "src" / "gateway_contracts", ROOT / "tests" / "contract", ROOT / "tests" / "fuzz", ROOT / "bench")


def _literal(node: ast.AST | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def invariant_names(source: str) -> set[str]:
    """The invariant names a module gives to findings."""
    names: set[str] = set()
    tree = ast.parse(source)
    # Module-level string constants (`INVARIANT = "gateway-status"`), for a name given by reference.
    constants = {t.id: _literal(n.value) for n in tree.body if isinstance(n, ast.Assign)
                 for t in n.targets if isinstance(t, ast.Name) and _literal(n.value)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            callee = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
            if callee == "Finding" and node.args:
                first = node.args[0]
                names.add(_literal(first) or (constants.get(first.id) if isinstance(first, ast.Name) else "") or "")
            names |= {_literal(k.value) or "" for k in node.keywords if k.arg == "invariant"}
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            positional = node.args.posonlyargs + node.args.args
            defaults = zip(positional[len(positional) - len(node.args.defaults):], node.args.defaults, strict=True)
            keyword = zip(node.args.kwonlyargs, node.args.kw_defaults, strict=True)
            names |= {_literal(d) or "" for a, d in [*defaults, *keyword] if a.arg == "invariant"}
    return names - {""}


def _used_names() -> dict[str, list[str]]:
    """name -> the files that use it."""
    used: dict[str, list[str]] = {}
    for folder in SCANNED:
        for path in sorted(folder.rglob("*.py")):
            for name in invariant_names(path.read_text(encoding="utf-8")):
                used.setdefault(name, []).append(str(path.relative_to(ROOT)))
    return used


def test_the_scanner_finds_names_in_each_form() -> None:
    source = '''
Finding("direct", "m")
Finding(invariant="by-keyword", message="m")
answered_json(exchange, invariant="passed-on")
_Problem(invariant="row-problem", problem="p")
def answered(exchange, *, invariant="kw-default"): ...
def other(exchange, invariant="positional-default"): ...
Finding(name, "not a literal")
BY_CONSTANT = "by-constant"
Finding(BY_CONSTANT, "m")
'''
    assert invariant_names(source) == {
        "direct", "by-keyword", "passed-on", "row-problem", "kw-default", "positional-default", "by-constant",
    }


def test_every_invariant_name_in_the_source_has_a_registered_kind() -> None:
    used = _used_names()
    assert "envelope" in used, "the scan found none of the invariants: is SCANNED still right?"
    missing = {name: files for name, files in used.items() if not kind_of(name).registered}
    assert not missing, f"register these finding kinds in src/gateway_contracts/data/kinds.py: {missing}"


def test_codes_and_names_are_unique_and_well_formed() -> None:
    codes = [k.code for k in KINDS]
    names = [k.name for k in KINDS]
    assert len(set(codes)) == len(codes), sorted(c for c in codes if codes.count(c) > 1)
    assert len(set(names)) == len(names), sorted(n for n in names if names.count(n) > 1)
    assert all(re.fullmatch(r"GC[1-9]\d\d", code) for code in codes), codes
    assert all(re.fullmatch(r"[a-z0-9-]+", name) for name in names), names  # what report/junit.py parses
    assert all(k.title for k in KINDS)


def test_the_rendered_failure_shows_the_code_and_title() -> None:
    text = Finding("envelope", "total is 10 but 11 rows", "GET /v1/models -> 200", ("offset=0",)).render()
    kind = kind_of("envelope")
    assert text.splitlines()[0] == "[envelope] total is 10 but 11 rows"
    assert f"kind: {kind.code} {kind.title}" in text
    assert Finding("envelope", "m").code == kind.code


def test_an_unregistered_name_renders_instead_of_crashing() -> None:
    finding = Finding("not-a-registered-kind", "something is off")
    assert finding.code == UNREGISTERED_CODE
    assert not finding.kind.registered
    assert "[not-a-registered-kind] something is off" in render_all([finding])
