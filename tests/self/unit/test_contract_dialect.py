"""The contract file's openai dialect: groups by rule, the whole list, retrieve; a key of the other dialect
is one clear line with file:line:key; the store's views of the one list; the plan; selection by capability."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, cast

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from gateway_contracts import dialects
from gateway_contracts.contract import WHOLE_LIST, ContractError, load_contract, parse_contract
from gateway_contracts.data.exchange import Exchange
from gateway_contracts.dialects import capabilities, planned_requests
from gateway_contracts.dialects.openai import group_rule, keys_of
from gateway_contracts.invariants.openai_models import GroupRule
from gateway_contracts.net.client import GatewayClient
from gateway_contracts.plan import UNKNOWN_MODEL, PlannedRequest, chat_body, retrievable_ids
from gateway_contracts.session.dialect import needed, select
from gateway_contracts.store import CatalogStore
from tests.self.strategies import FAST

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "contracts" / "litellm-example.yaml"
PATH = Path("contracts/test.yaml")

BASE = """\
version: 1
dialect: openai
groups:
  openai:
    prefix: openai/
    min_models: 2
    max_models: 5
    required_models: [openai/gpt-4o-mini]
  acme:
    owned_by: acme
    min_models: 0
  house:
    models: [house-a, house-b]
    min_models: 1
models:
  min_models: 3
  required_models: [house-a]
  retrieve: true
chat:
  models: [house-a]
"""


def _error(text: str) -> str:
    with pytest.raises(ContractError) as caught:
        parse_contract(text, PATH)
    message = str(caught.value)
    assert "\n" not in message, "one line"
    return message


# -- the model --------------------------------------------------------------------------------------


def test_groups_become_gateways_without_aliases_and_the_whole_list_the_aggregate() -> None:
    contract = parse_contract(BASE, PATH)
    assert dialects.of(contract) is dialects.OPENAI
    assert dialects.ENVELOPE not in capabilities(contract)
    assert keys_of(contract).retrieve
    assert [(g.slug, g.aliases, g.min_models, g.max_models) for g in contract.gateways] == [
        ("openai", (), 2, 5), ("acme", (), 0, None), ("house", (), 1, None)]
    assert contract.gateway("openai").required_models == ("openai/gpt-4o-mini",)
    assert group_rule(keys_of(contract).rule("openai")) == GroupRule("prefix", prefix="openai/")
    assert group_rule(keys_of(contract).rule("acme")) == GroupRule("owned_by", owned_by="acme")
    assert group_rule(keys_of(contract).rule("house")) == GroupRule("list", ids=("house-a", "house-b"))
    assert contract.aggregate is not None
    assert (contract.aggregate.slug, contract.aggregate.min_models, contract.aggregate.required_models) == (
        WHOLE_LIST, 3, ("house-a",))
    assert contract.chat_models == ("house-a",)


def test_the_whole_list_defaults_to_a_floor_of_one_and_retrieve_off() -> None:
    contract = parse_contract("version: 1\ndialect: openai\ngroups:\n  g:\n    prefix: x\n    min_models: 0\n", PATH)
    assert contract.aggregate is not None
    assert contract.aggregate.min_models == 1
    assert not keys_of(contract).retrieve
    assert "retrieve" not in capabilities(contract)


def test_the_default_dialect_is_gatewayz_and_unchanged() -> None:
    contract = load_contract(ROOT / "contracts" / "gateways.yaml")
    assert dialects.of(contract) is dialects.GATEWAYZ
    assert contract.dialect_keys is None
    assert capabilities(contract) == dialects.GATEWAYZ.always
    assert {dialects.ENVELOPE, dialects.ALIASES, dialects.AGGREGATE, dialects.REGISTRY} <= capabilities(contract)


def test_the_example_contract_loads_as_written() -> None:
    raw = yaml.safe_load(EXAMPLE.read_text())
    contract = load_contract(EXAMPLE)
    assert [g.slug for g in contract.gateways] == list(raw["groups"])
    for gateway in contract.gateways:
        spec = raw["groups"][gateway.slug]
        assert (gateway.min_models, gateway.max_models) == (spec["min_models"], spec.get("max_models"))
        assert gateway.required_models == tuple(spec.get("required_models", ()))
        assert gateway.latency_budget_s == spec.get("latency_budget_s", raw["defaults"]["latency_budget_s"])
    assert contract.aggregate is not None
    assert contract.aggregate.required_models == tuple(raw["models"]["required_models"])
    assert contract.chat_models == tuple(raw["chat"]["models"])
    assert contract.openapi == EXAMPLE.parent / raw["openapi"]
    document = json.loads(contract.openapi.read_text())
    assert {"/v1/models", "/v1/models/{model}", "/v1/chat/completions"} <= set(document["paths"])


def test_groups_and_the_whole_list_select_like_gateways() -> None:
    contract = parse_contract(BASE, PATH)
    house = contract.only({"HOUSE"})
    assert [g.slug for g in house.gateways] == ["house"]
    assert house.aggregate is None
    assert [g.slug for g in house.unselected] == ["openai", "acme"]
    whole = contract.only({"all"})
    assert whole.gateways == ()
    assert whole.aggregate == contract.aggregate


@pytest.mark.parametrize(("case", "text", "where"), [
    ("gatewayz-key-in-openai", BASE + "gateways:\n  x:\n    min_models: 1\n",
     "contracts/test.yaml:21: gateways: a key of the gatewayz dialect, not of this openai contract"),
    ("pagination-in-openai", BASE + "pagination:\n  max_limit: 10\n",
     "contracts/test.yaml:21: pagination: a key of the gatewayz dialect"),
    ("openai-key-in-gatewayz", "version: 1\ngateways:\n  g:\n    min_models: 1\ngroups:\n  x:\n    prefix: a\n",
     "contracts/test.yaml:5: groups: a key of the openai dialect, not of this gatewayz contract"),
    ("alias-in-a-group", BASE.replace("    min_models: 1\n", "    min_models: 1\n    aliases: [h]\n"),
     "contracts/test.yaml:15: groups.house.aliases: a key of the gatewayz dialect's gateways"),
    ("two-rules", BASE.replace("    owned_by: acme\n", "    owned_by: acme\n    prefix: acme/\n"),
     "contracts/test.yaml:9: groups.acme: a group needs exactly one rule: prefix, owned_by or models "
     "(got prefix, owned_by)"),
    ("no-rule", BASE.replace("    owned_by: acme\n", ""),
     "contracts/test.yaml:9: groups.acme: a group needs exactly one rule"),
    ("ceiling-below-floor", BASE.replace("max_models: 5", "max_models: 1"),
     "contracts/test.yaml:4: groups.openai: max_models (1) is below min_models (2)"),
    ("unknown-dialect", BASE.replace("dialect: openai", "dialect: cohere"),
     "contracts/test.yaml:2: dialect: unknown dialect 'cohere' (expected one of: gatewayz, openai, anthropic)"),
    ("unknown-key-in-models", BASE.replace("  retrieve: true", "  retreive: true"),
     "contracts/test.yaml:18: models.retreive: unknown key"),
    ("group-named-all", BASE.replace("  acme:", "  all:"),
     "contracts/test.yaml:9: groups.all: the name 'all' is the whole list's"),
    ("empty-prefix", BASE.replace("prefix: openai/", "prefix: ''"),
     "contracts/test.yaml:5: groups.openai.prefix:"),
    ("no-groups", "version: 1\ndialect: openai\nmodels:\n  min_models: 1\n",
     "contracts/test.yaml:1: groups: required key is missing"),
], ids=lambda v: v if isinstance(v, str) and "\n" not in v and not v.startswith("contracts/") else "")
def test_each_mistake_is_one_line_with_file_line_and_key(case: str, text: str, where: str) -> None:
    assert _error(text).startswith(where), case


# -- the store's views of the one list --------------------------------------------------------------


class ListClient:
    """Answers GET /v1/models with a fixed body and records the requests (the store's only client calls here)."""

    base_url = "http://127.0.0.1:9"
    has_key = True

    def __init__(self, rows: list[Any]) -> None:
        self.rows, self.requests = rows, []

    def request(self, method: str, path: str, *, params: Any = None, json_body: Any = None,
                authenticated: bool = False) -> Exchange:
        self.requests.append((method, path, authenticated))
        body = {"object": "list", "data": self.rows}
        return Exchange(method, f"{self.base_url}{path}", 200, "application/json", json.dumps(body),
                        authenticated=authenticated)


def _store(rows: list[Any], text: str = BASE) -> tuple[CatalogStore, ListClient]:
    client = ListClient(rows)
    return CatalogStore(cast(GatewayClient, client), parse_contract(text, PATH)), client


def test_groups_are_views_of_one_keyed_list() -> None:
    rows = [{"id": "openai/gpt-4o-mini", "owned_by": "openai"}, {"id": "house-a", "owned_by": "acme"},
            {"id": "openai/gpt-4o-mini", "owned_by": "openai"}, {"id": "other", "owned_by": "x"}]
    store, client = _store(rows)
    assert store.catalog_ids("openai") == ["openai/gpt-4o-mini", "openai/gpt-4o-mini"]  # duplicates kept
    assert store.catalog_ids("acme") == ["house-a"]
    assert store.catalog_ids("house") == ["house-a"]
    assert store.catalog_ids(WHOLE_LIST) == [r["id"] for r in rows]
    assert set(client.requests) == {("GET", "/v1/models", True)}  # one request, keyed
    walk = store.walk("house")
    assert walk.complete
    assert walk.first is not None
    assert walk.first.url.endswith("/v1/models")


def test_a_list_that_is_not_200_json_is_an_incomplete_empty_view() -> None:
    store, _ = _store([])
    store.client.request = lambda *a, **k: Exchange("GET", "http://x/v1/models", 401, "application/json", "{}")  # type: ignore[method-assign]
    walk = store.walk("openai")
    assert walk.ids == []
    assert not walk.complete


@FAST
@given(st.lists(st.sampled_from(["openai/a", "openai/b", "anthropic/c", "house-a", "house-b", "z"]), max_size=12))
def test_every_view_is_the_list_filtered_by_its_rule(ids: list[str]) -> None:
    store, _ = _store([{"id": i, "owned_by": "acme" if i.startswith("house") else "openai"} for i in ids])
    assert store.catalog_ids(WHOLE_LIST) == ids
    assert store.catalog_ids("openai") == [i for i in ids if i.startswith("openai/")]
    assert store.catalog_ids("acme") == [i for i in ids if i.startswith("house")]
    assert store.catalog_ids("house") == [i for i in ids if i in ("house-a", "house-b")]


def test_retrieve_covers_contracted_ids_without_a_slash_and_encodes() -> None:
    contract = parse_contract(BASE, PATH)
    assert retrievable_ids(contract) == ["house-a"]  # openai/gpt-4o-mini has a '/': LiteLLM 404s it
    store, client = _store([])
    store.retrieve("a b")
    assert client.requests == [("GET", "/v1/models/a%20b", True)]


# -- the plan -----------------------------------------------------------------------------------------


def test_the_openai_plan_is_the_list_the_retrieves_and_the_chat_probes() -> None:
    contract = parse_contract(BASE, PATH)
    plan = planned_requests(contract, {}, keyed=True)
    assert plan == [
        PlannedRequest("GET", "/v1/models", authenticated=True),
        PlannedRequest("GET", "/v1/models/house-a", authenticated=True),
        PlannedRequest("GET", f"/v1/models/{UNKNOWN_MODEL}", authenticated=True),
        PlannedRequest("POST", "/v1/chat/completions", body=chat_body("house-a")),
        PlannedRequest("POST", "/v1/chat/completions", body=chat_body(UNKNOWN_MODEL), authenticated=True),
        PlannedRequest("POST", "/v1/chat/completions", body=chat_body("house-a"), authenticated=True),
    ]
    keyless = planned_requests(contract, {}, keyed=False)
    assert keyless[0] == PlannedRequest("GET", "/v1/models")
    assert not any(p.authenticated for p in keyless)


# -- selection by capability -------------------------------------------------------------------------------


class Item:
    def __init__(self, name: str, *marks: tuple[str, ...]) -> None:
        self.name, self.marks = name, [pytest.mark.needs(*m).mark for m in marks]

    def iter_markers(self, name: str) -> list[pytest.Mark]:
        return [m for m in self.marks if m.name == name]


class Config:
    def __init__(self) -> None:
        self.deselected: list[Any] = []
        self.hook = self

    def pytest_deselected(self, items: list[Any]) -> None:
        self.deselected += items


@pytest.mark.parametrize(("text", "kept"), [
    (BASE, ["shared", "openai", "retrieve"]),
    (BASE.replace("  retrieve: true\n", ""), ["shared", "openai"]),
    ("version: 1\ngateways:\n  g:\n    min_models: 1\n", ["shared", "gatewayz"]),
])
def test_tests_of_another_dialect_are_deselected_not_skipped(text: str, kept: list[str]) -> None:
    items = [Item("shared"), Item("gatewayz", ("envelope", "registry")), Item("openai", ("model-list",)),
             Item("retrieve", ("model-list",), ("retrieve",))]
    config = Config()
    selected = list(items)
    select(cast(Any, selected), cast(Any, config), parse_contract(text, PATH))
    assert [i.name for i in selected] == kept
    assert [i.name for i in config.deselected] == [i.name for i in items if i.name not in kept]


def test_an_unknown_capability_in_a_marker_is_a_usage_error() -> None:
    with pytest.raises(pytest.UsageError, match="envelop;"):
        needed([pytest.mark.needs("envelop").mark])
    with pytest.raises(pytest.UsageError, match="gatewayz"):  # a test names what it needs, not a dialect
        needed([pytest.mark.needs("gatewayz").mark])
