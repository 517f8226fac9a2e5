"""Outside `dialects/`, no module of the product compares a dialect's name.

An AST scan of every module under src/ except the dialects package itself and the test double (the reference
gateway serves providers named `openai`, which are not dialects): no comparison, `match` case, dict key or
subscript with a dialect's name (as a string, a constant named after it such as `OPENAI`, or a value read from
`.dialect`). Code that needs to know what a dialect has asks the contract's dialect object (`dialects.of`).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest

from gateway_contracts import dialects
from gateway_contracts.contract import Contract, ContractError, RegistrySpec, parse_contract
from gateway_contracts.contract_model import Source
from gateway_contracts.data.pages import Page, Walk
from gateway_contracts.dialects.base import Loaded
from gateway_contracts.plan import PlannedRequest
from gateway_contracts.session.summary import selection

SRC = Path(__file__).resolve().parents[3] / "src"
# The seam itself, and the test double (it is not the product: its vocabulary names providers, e.g. `openai`).
EXEMPT = ("gateway_contracts/dialects/", "gateway_testbed/")


def _named(node: ast.AST, names: frozenset[str]) -> bool:
    """A dialect's name: the string, a constant spelled after it (`OPENAI`), or a value read from `.dialect`."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str) and node.value in names
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return any(_named(e, names) for e in node.elts)
    if isinstance(node, ast.Attribute):  # `contract.dialect` holds the name; `dialects.OPENAI` spells it
        return node.attr == "dialect" or node.attr.lower() in names
    return isinstance(node, ast.Name) and node.id.lower() in names


def _is_name(node: ast.AST, identifier: str) -> bool:
    return isinstance(node, ast.Name) and node.id == identifier


def _pattern_named(pattern: ast.pattern, names: frozenset[str]) -> bool:
    if isinstance(pattern, ast.MatchValue):
        return _named(pattern.value, names)
    if isinstance(pattern, ast.MatchOr):
        return any(_pattern_named(p, names) for p in pattern.patterns)
    return False


def name_comparisons(tree: ast.AST, names: frozenset[str]) -> Iterator[tuple[int, str]]:
    """(line, what) of each place the tree branches on a dialect's name."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare) and any(_named(op, names) for op in (node.left, *node.comparators)):
            yield node.lineno, "comparison"
        elif isinstance(node, ast.Dict) and any(k is not None and _named(k, names) for k in node.keys):
            yield node.lineno, "dict key"
        elif isinstance(node, ast.Subscript) and (_named(node.slice, names) or _is_name(node.slice, "dialect")):
            yield node.lineno, "lookup by dialect"
        elif isinstance(node, ast.match_case) and _pattern_named(node.pattern, names):
            yield node.pattern.lineno, "match case"


def offences(root: Path, names: frozenset[str]) -> list[str]:
    found = []
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root).as_posix()
        if relative.startswith(EXEMPT):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        found += [f"src/{relative}:{line}: {what}" for line, what in name_comparisons(tree, names)]
    return found


def test_no_module_outside_dialects_compares_a_dialect_name() -> None:
    names = frozenset(dialects.names())
    assert names, "the registry lists no dialect"
    assert offences(SRC, names) == [], "ask the contract's dialect object (dialects.of) instead"


def test_the_scan_sees_each_form_of_a_name_comparison() -> None:
    # The scan must not be blind: every form it claims to catch is caught, and plain code is not.
    names = frozenset({"gatewayz", "openai"})
    caught = ["if contract.dialect == OPENAI: pass", "x = 'gatewayz' if d != 'openai' else 1",
              "PAGES = {'openai': None}", "page = PAGES[contract.dialect]", "page = PAGES[dialect]",
              "ok = name in ('gatewayz', 'x')",
              "match d:\n    case 'openai':\n        pass", "match d:\n    case consts.GATEWAYZ | 'x':\n        pass"]
    for source in caught:
        assert list(name_comparisons(ast.parse(source), names)), source
    plain = ["import openai", "MODEL = 'openai/gpt-4o'", "if kind == 'prefix': pass", "d = dialects.of(contract)",
             "if other is not dialect: pass", "ok = dialects.ENVELOPE in dialects.capabilities(contract)"]
    for source in plain:
        assert not list(name_comparisons(ast.parse(source), names)), source


# -- a third dialect is one object in the registry ------------------------------------------------------------


class Toy(dialects.Dialect):
    """The least a dialect is: accepted by the loader, named in its errors, asked by the rest of the suite."""

    name: ClassVar[str] = "toy"
    about: ClassVar[str] = "a toy API"
    always: ClassVar[frozenset[str]] = frozenset({dialects.MODEL_LIST})
    own_keys: ClassVar[tuple[str, ...]] = ("toys",)
    unit: ClassVar[str] = "toy"
    init_document: ClassVar[str] = "toy.openapi.json"

    def load(self, raw: dict[str, Any], source: Source) -> Loaded:
        return Loaded(Contract(path=source.path, version=1, gateways=(), aggregate=None, chat_models=(),
                               chat_latency_budget_s=1.0, max_limit=1, max_pages=1, registry=RegistrySpec(),
                               latency_regression_factor=1.0, count_drop_tolerance=0.1, dialect=self.name))

    def walk(self, contract: Contract, name: str, send: Any, *, limit: int | None, keyed: bool) -> Walk:
        return Walk(limit=0, pages=(Page(0, 0, send(PlannedRequest("GET", "/toys"))),))

    def preflight_requests(self, contract: Contract, *, keyed: bool) -> list[PlannedRequest]:
        return [PlannedRequest("GET", "/toys")]

    def preflight(self, contract: Contract, send: Any, url: str, *, keyed: bool) -> str | None:
        return None

    def planned_requests(self, contract: Contract, totals: Any, *, keyed: bool) -> list[PlannedRequest]:
        return self.preflight_requests(contract, keyed=keyed)

    def observe_and_render(self, client: Any, url: str, when: str, document: str | None) -> tuple[str, list[str]]:
        return "version: 1\ndialect: toy\n", []


def test_a_registered_dialect_is_read_named_and_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    toy = Toy()
    monkeypatch.setattr(dialects, "REGISTERED", (*dialects.REGISTERED, toy))
    monkeypatch.setattr(dialects, "_BY_NAME", {**dialects._BY_NAME, toy.name: toy})
    contract = parse_contract("version: 1\ndialect: toy\n", Path("c.yaml"))
    assert dialects.of(contract) is toy
    assert dialects.capabilities(contract) == {dialects.MODEL_LIST}
    assert dialects.planned_requests(contract, {}, keyed=False) == [PlannedRequest("GET", "/toys")]
    assert selection(contract) == "nothing selected"
    with pytest.raises(ContractError, match=r"c\.yaml:2: dialect: unknown dialect 'toyz' \(expected one of: "
                                            r"gatewayz, openai, anthropic, toy\)"):
        parse_contract("version: 1\ndialect: toyz\n", Path("c.yaml"))
    with pytest.raises(ContractError, match=r"c\.yaml:3: toys: a key of the toy dialect, not of this gatewayz"):
        parse_contract("version: 1\ngateways: {g: {min_models: 1}}\ntoys: []\n", Path("c.yaml"))


# -- a dialect's own keys and capabilities are read in dialects/ only ------------------------------------------

PRODUCT = SRC / "gateway_contracts"
DIALECTS = PRODUCT / "dialects"
# What a dialect may have (dialects/base.py's capability constants: their names and their values). The FUZZ_*
# names are not capabilities: they name the fuzz checks a dialect's `fuzz_routes` picks, which fuzz/checks.py runs.
CAPABILITIES = {name: value for name, value in vars(dialects.base).items()
                if name.isupper() and not name.startswith("FUZZ_") and isinstance(value, str)
                and value in dialects.known_capabilities()}


SHARED = ("", "base", "starter_rules")  # the registry, the interface, init's rules: every dialect's


def _capabilities(node: ast.AST) -> bool:
    """`dialects.capabilities(contract)` or a `.capabilities` value: what a contract's API has, read to branch."""
    target = node.func if isinstance(node, ast.Call) else node
    return (isinstance(target, ast.Attribute) and target.attr == "capabilities") or (
        isinstance(target, ast.Name) and target.id == "capabilities")


def dialect_reads(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """(line, what) of each place code reads what only a dialect may: its own contract keys (`dialect_keys`), a
    capability flag (a base.py constant, or its value compared), a dialect module's own names."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr == "dialect_keys":
            yield node.lineno, "reads contract.dialect_keys"
        elif isinstance(node, (ast.Attribute, ast.Name)) and (node.attr if isinstance(node, ast.Attribute)
                                                               else node.id) in CAPABILITIES:
            yield node.lineno, "reads a capability flag"
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("gateway_contracts.dialects"):
            module = node.module.removeprefix("gateway_contracts.dialects").lstrip(".")
            if module not in SHARED:
                yield node.lineno, f"imports the dialect module {module}"
            yield from ((node.lineno, f"imports the capability flag {a.name}") for a in node.names
                        if a.name in CAPABILITIES)
        elif isinstance(node, ast.Import) and any(
                a.name.removeprefix("gateway_contracts.dialects").lstrip(".") not in SHARED
                for a in node.names if a.name.startswith("gateway_contracts.dialects")):
            yield node.lineno, "imports a dialect module"
        elif isinstance(node, ast.Compare) and any(_capabilities(op) for op in (node.left, *node.comparators)):
            yield node.lineno, "tests what the API has (capabilities)"


def test_no_module_outside_dialects_reads_a_dialect_key_or_capability() -> None:
    """Outside dialects/, the product asks the contract's dialect object (`walk`, `fuzz_routes`, `after_last`...);
    which contract tests apply is the `needs` markers' (session/dialect.py, by the markers' own strings)."""
    assert CAPABILITIES, "the scan knows no capability"
    found = [f"src/{path.relative_to(SRC).as_posix()}:{line}: {what}"
             for path in sorted(PRODUCT.rglob("*.py")) if DIALECTS not in path.parents
             for line, what in dialect_reads(ast.parse(path.read_text(encoding="utf-8")))]
    assert found == [], "ask the contract's dialect object (dialects.of) instead"


def test_the_key_and_capability_scan_is_not_blind() -> None:
    caught = ["x = contract.dialect_keys", "if dialects.ENVELOPE in caps: pass", "from gateway_contracts.dialects "
              "import ENVELOPE", "from gateway_contracts.dialects.openai import keys_of",
              "import gateway_contracts.dialects.gatewayz", "ok = 'retrieve' in dialects.capabilities(c)",
              "ok = 'registry' in facts.capabilities"]
    for source in caught:
        assert list(dialect_reads(ast.parse(source))), source
    plain = ["from gateway_contracts.dialects.base import Dialect", "d = dialects.of(contract).walk(c, n, s)",
             "Finding('envelope', 'x')", "from gateway_contracts import dialects", "ok = 'aggregate' in fixtures",
             "from gateway_contracts.dialects.starter_rules import Refused"]
    for source in plain:
        assert not list(dialect_reads(ast.parse(source))), source


# -- the third dialect: one module and its registry line --------------------------------------------------------


def _code_words(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """(line, text) of every identifier, attribute, imported name and string in code (docstrings left out)."""
    docstrings = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            yield node.lineno, node.id
        elif isinstance(node, ast.Attribute):
            yield node.lineno, node.attr
        elif isinstance(node, ast.alias):
            yield node.lineno, node.name
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.lineno, node.module
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            yield node.lineno, node.value


def test_the_anthropic_dialect_is_one_module_and_its_registry_line() -> None:
    """docs/recipes.md "Add a dialect", followed for the anthropic dialect: nothing of the product names it but its
    own module and the registry (its import and its entry in `REGISTERED`); the shipped contract tests and the
    benchmarks do not either. So what it needed of the rest (a cursor pager, the key header, `after_last`...)
    is generic seam, not a change for it. The reference gateway and the self-tests are the test bed's."""
    own = DIALECTS / "anthropic.py"
    root = SRC.parent
    places = [path for folder in (PRODUCT, root / "tests" / "contract", root / "tests" / "fuzz", root / "bench")
              for path in sorted(folder.rglob("*.py")) if path != own]
    named = [f"{path.relative_to(root).as_posix()}:{line}" for path in places
             for line, word in _code_words(ast.parse(path.read_text(encoding="utf-8")))
             if "anthropic" in word.lower()]
    registry = (DIALECTS / "__init__.py").relative_to(root).as_posix()
    assert {place.rsplit(":", 1)[0] for place in named} == {registry}, named
    assert len({place for place in named}) == 2, f"expected its import and its REGISTERED entry: {named}"
    anthropic = dialects.named("anthropic")
    assert anthropic is not None
    assert type(anthropic).__module__ == "gateway_contracts.dialects.anthropic"
    assert anthropic in dialects.REGISTERED
