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
                                            r"gatewayz, openai, toy\)"):
        parse_contract("version: 1\ndialect: toyz\n", Path("c.yaml"))
    with pytest.raises(ContractError, match=r"c\.yaml:3: toys: a key of the toy dialect, not of this gatewayz"):
        parse_contract("version: 1\ngateways: {g: {min_models: 1}}\ntoys: []\n", Path("c.yaml"))
