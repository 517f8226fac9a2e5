"""The contract file: the default loads with defaults applied; every mistake is one line with file:line and key."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, cast

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from gateway_contracts import dialects
from gateway_contracts.contract import Contract, ContractError, load_contract, parse_contract
from gateway_contracts.data.exchange import Exchange, build_url
from gateway_contracts.net.client import GatewayClient
from gateway_contracts.plan import invalid_queries, probe_gateway
from gateway_contracts.session.target import preflight as _preflight
from gateway_contracts.store import CatalogStore
from tests.self.strategies import FAST

ROOT = Path(__file__).resolve().parents[3]
DEFAULT = ROOT / "contracts" / "gateways.yaml"
PATH = Path("contracts/test.yaml")

BASE = """\
version: 1
gateways:
  openrouter:
    min_models: 300
    max_models: 1000
  huggingface:
    aliases: [hug]
    min_models: 10
"""


def _error(text: str) -> str:
    with pytest.raises(ContractError) as caught:
        parse_contract(text, PATH)
    message = str(caught.value)
    assert "\n" not in message, "one line"
    return message


# -- the shipped contracts, as written ------------------------------------------------------------
# Expectations come from reading each YAML file, not from copies of its values: editing a floor or a pattern
# in contracts/ needs no test change, while a loader that drops, reorders or mis-inherits a value fails.

# The gatewayz-dialect ones (the openai dialect's: tests/self/unit/test_contract_dialect.py).
SHIPPED = sorted(p for p in (ROOT / "contracts").glob("*.yaml")
                 if yaml.safe_load(p.read_text(encoding="utf-8")).get("dialect", "gatewayz") == "gatewayz")
# The model's own defaults (what a file that sets nothing gets), taken from the loader itself.
BARE = parse_contract("version: 1\ngateways:\n  g:\n    min_models: 0\naggregate:\n  min_models: 0\n", PATH)


def _raw(path: Path) -> dict[str, Any]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(raw, dict), path
    return raw


def test_the_default_contract_is_among_the_shipped_ones() -> None:
    assert DEFAULT in SHIPPED


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_a_shipped_contract_loads_as_written(path: Path) -> None:
    raw = _raw(path)
    contract = load_contract(path)
    assert contract.path == path
    assert contract.version == raw["version"]
    assert [g.slug for g in contract.gateways] == list(raw["gateways"])  # file order
    for gateway in contract.gateways:
        spec = raw["gateways"][gateway.slug]
        assert gateway.aliases == tuple(spec.get("aliases", ()))
        assert gateway.names == (gateway.slug, *gateway.aliases)
        assert (gateway.min_models, gateway.max_models) == (spec["min_models"], spec.get("max_models"))
        assert gateway.required_models == tuple(spec.get("required_models", ()))
        assert gateway.id_pattern == spec.get("id_pattern")
    assert contract.covered_names() >= {name for g in contract.gateways for name in g.names}
    assert contract.chat_models == tuple(raw.get("chat", {}).get("models", ()))
    if "aggregate" not in raw:
        assert contract.aggregate is None
    else:
        assert contract.aggregate is not None
        assert BARE.aggregate is not None
        expected = raw["aggregate"]
        assert contract.aggregate.slug == expected.get("slug", BARE.aggregate.slug)
        assert (contract.aggregate.min_models, contract.aggregate.max_models) == (
            expected["min_models"], expected.get("max_models")
        )


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_a_shipped_contract_applies_its_defaults(path: Path) -> None:
    raw = _raw(path)
    contract = load_contract(path)
    defaults = raw.get("defaults", {})
    bare = BARE.gateways[0]

    def inherited(spec: dict[str, Any], key: str, model_default: float) -> float:
        return spec.get(key, defaults.get(key, model_default))

    for gateway in contract.gateways:
        spec = raw["gateways"][gateway.slug]
        assert gateway.latency_budget_s == inherited(spec, "latency_budget_s", bare.latency_budget_s)
        assert gateway.max_unpriced_share == inherited(spec, "max_unpriced_share", bare.max_unpriced_share)
        assert gateway.count_drop_tolerance == inherited(spec, "count_drop_tolerance", bare.count_drop_tolerance)
    assert contract.chat_latency_budget_s == inherited(raw.get("chat", {}), "latency_budget_s",
                                                       BARE.chat_latency_budget_s)
    if contract.aggregate is not None:
        assert contract.aggregate.latency_budget_s == inherited(raw["aggregate"], "latency_budget_s",
                                                                bare.latency_budget_s)
    assert contract.count_drop_tolerance == defaults.get("count_drop_tolerance", BARE.count_drop_tolerance)
    assert contract.latency_regression_factor == defaults.get("latency_regression_factor",
                                                              BARE.latency_regression_factor)
    pagination, registry = raw.get("pagination", {}), raw.get("registry", {})
    assert (contract.max_limit, contract.max_pages) == (
        pagination.get("max_limit", BARE.max_limit), pagination.get("max_pages", BARE.max_pages)
    )
    assert (contract.registry.path, contract.registry.strict, contract.registry.ignore) == (
        registry.get("path", BARE.registry.path), registry.get("strict", BARE.registry.strict),
        registry.get("ignore", BARE.registry.ignore),
    )


def test_model_defaults_apply_when_the_file_sets_none() -> None:
    contract = parse_contract(BASE, PATH)
    gateway = contract.gateway("openrouter")
    assert gateway.latency_budget_s == 70.0
    assert gateway.max_unpriced_share == 1.0
    assert gateway.count_drop_tolerance == 0.10
    assert gateway.aliases == ()
    assert gateway.required_models == ()
    assert gateway.id_pattern is None
    assert contract.aggregate is None
    assert contract.chat_models == ()
    assert contract.chat_latency_budget_s == 70.0


def test_per_gateway_values_override_defaults_even_when_zero() -> None:
    text = BASE + ("    max_unpriced_share: 0\n    count_drop_tolerance: 0\n    latency_budget_s: 2.5\n"
                   "    max_unknown_context_share: 0\n") + (
        "defaults:\n  max_unpriced_share: 0.5\n  count_drop_tolerance: 0.3\n  latency_budget_s: 9\n"
        "  max_unknown_context_share: 0.2\n"
    )
    contract = parse_contract(text, PATH)
    hf, orr = contract.gateway("huggingface"), contract.gateway("openrouter")
    assert (hf.max_unpriced_share, hf.count_drop_tolerance, hf.latency_budget_s) == (0.0, 0.0, 2.5)
    assert (orr.max_unpriced_share, orr.count_drop_tolerance, orr.latency_budget_s) == (0.5, 0.3, 9.0)
    assert (hf.max_unknown_context_share, orr.max_unknown_context_share) == (0.0, 0.2)
    assert parse_contract(BASE, PATH).gateway("openrouter").max_unknown_context_share == 1.0  # not checked


def test_gateway_lookup_of_an_unknown_slug() -> None:
    with pytest.raises(KeyError):
        parse_contract(BASE, PATH).gateway("hug")


# -- one line per mistake -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            BASE.replace("    min_models: 300", "    min_modles: 300"),
            "contracts/test.yaml:4: gateways.openrouter.min_modles: unknown key (and 1 more problem: "
            "contracts/test.yaml:3: gateways.openrouter.min_models: required key is missing)",
            id="unknown-key",
        ),
        pytest.param(
            BASE + "defaults:\n  latency_budget: 3\n",
            "contracts/test.yaml:10: defaults.latency_budget: unknown key",
            id="unknown-key-in-defaults",
        ),
        pytest.param(
            BASE.replace("min_models: 300", "min_models: '300'"),
            "contracts/test.yaml:4: gateways.openrouter.min_models: input should be a valid integer, got str '300'",
            id="wrong-type",
        ),
        pytest.param(
            BASE.replace("aliases: [hug]", "aliases: hug"),
            "contracts/test.yaml:7: gateways.huggingface.aliases: input should be a valid list, got str 'hug'",
            id="wrong-type-list",
        ),
        pytest.param(
            BASE + "    required_models: [a/b, 3]\n",
            "contracts/test.yaml:9: gateways.huggingface.required_models[1]: input should be a valid string, got int 3",
            id="wrong-type-in-list",
        ),
        pytest.param(
            BASE + "registry:\n  strict: 'yes'\n",
            "contracts/test.yaml:10: registry.strict: input should be a valid boolean, got str 'yes'",
            id="wrong-type-bool",
        ),
        pytest.param(
            BASE.replace("    min_models: 300\n", ""),
            "contracts/test.yaml:3: gateways.openrouter.min_models: required key is missing",
            id="missing-required",
        ),
        pytest.param(
            BASE.replace("version: 1\n", ""),
            "contracts/test.yaml:1: version: required key is missing",
            id="missing-version",
        ),
        pytest.param(
            BASE + "  openrouter:\n    min_models: 1\n",
            "contracts/test.yaml:9: gateways.openrouter: duplicate key",
            id="duplicate-key",
        ),
        pytest.param(
            BASE.replace("    max_models: 1000", "    max_models: 1000\n    max_models: 2000"),
            "contracts/test.yaml:6: gateways.openrouter.max_models: duplicate key",
            id="duplicate-nested-key",
        ),
        pytest.param(
            BASE.replace("min_models: 300", "min_models: [300"),
            "contracts/test.yaml:5: not valid YAML: expected ',' or ']', but got ':'",
            id="bad-yaml",
        ),
        pytest.param(
            "version: 1\ngateways:\n\topenrouter: 1\n",
            "contracts/test.yaml:3: not valid YAML: found character '\\t' that cannot start any token",
            id="bad-yaml-tab",
        ),
        pytest.param(
            BASE.replace("version: 1", "version: 2"),
            "contracts/test.yaml:1: version: unsupported version 2 (supported: 1)",
            id="unsupported-version",
        ),
        pytest.param(
            BASE + "    id_pattern: '^(hf/'\n",
            "contracts/test.yaml:9: gateways.huggingface.id_pattern: not a valid regular expression: "
            "missing ), unterminated subpattern at position 1",
            id="bad-regex",
        ),
        pytest.param(
            BASE.replace("max_models: 1000", "max_models: 10"),
            "contracts/test.yaml:3: gateways.openrouter: max_models (10) is below min_models (300)",
            id="max-below-min",
        ),
        pytest.param(
            BASE + "aggregate:\n  min_models: 9000\n  max_models: 900\n",
            "contracts/test.yaml:9: aggregate: max_models (900) is below min_models (9000)",
            id="aggregate-max-below-min",
        ),
        pytest.param(
            BASE + "  hf:\n    aliases: [HUG]\n    min_models: 1\n",
            "contracts/test.yaml:10: gateways.hf.aliases[0]: gateway name 'HUG' is used twice (huggingface and hf)",
            id="alias-reused",
        ),
        pytest.param(
            BASE + "  hug:\n    min_models: 1\n",
            "contracts/test.yaml:9: gateways.hug: gateway name 'hug' is used twice (huggingface and hug)",
            id="alias-reused-as-slug",
        ),
        pytest.param(
            BASE.replace("aliases: [hug]", "aliases: [hug, HuggingFace]"),
            "contracts/test.yaml:7: gateways.huggingface.aliases[1]: gateway name 'HuggingFace' is used twice "
            "(huggingface and huggingface)",
            id="alias-repeats-its-slug",
        ),
        pytest.param(
            BASE + "defaults:\n  latency_budget_s: -1\n",
            "contracts/test.yaml:10: defaults.latency_budget_s: Input should be greater than 0",
            id="out-of-range",
        ),
        pytest.param(
            "version: 1\ngateways: {}\n",
            "contracts/test.yaml:2: gateways: Dictionary should have at least 1 item after validation, not 0",
            id="no-gateways",
        ),
        pytest.param("", "contracts/test.yaml: contract file is empty", id="empty"),
        pytest.param("# only a comment\n", "contracts/test.yaml: contract file is empty", id="only-comments"),
        pytest.param(
            "- openrouter\n", "contracts/test.yaml:1: the contract must be a mapping with 'version' and 'gateways'",
            id="not-a-mapping",
        ),
    ],
)
def test_each_mistake_is_one_line_with_file_line_and_key(text: str, expected: str) -> None:
    assert _error(text) == expected


def test_an_unknown_key_is_reported_before_the_missing_key_it_explains() -> None:
    text = BASE.replace("    min_models: 300", "    min_modles: 300\n    max_unpriced_share: 2")
    message = _error(text)
    assert message.startswith(
        "contracts/test.yaml:4: gateways.openrouter.min_modles: unknown key (and 2 more problems: "
    )
    assert "contracts/test.yaml:3: gateways.openrouter.min_models: required key is missing" in message
    assert "contracts/test.yaml:5: gateways.openrouter.max_unpriced_share: Input should be less than or equal to 1" in (
        message
    )


def test_the_count_of_further_problems_is_capped_in_the_line() -> None:
    text = "version: 1\ngateways:\n" + "".join(f"  g{i}:\n    min_models: x\n" for i in range(6))
    message = _error(text)
    assert message.startswith("contracts/test.yaml:4: gateways.g0.min_models: input should be a valid integer")
    assert "(and 5 more problems: " in message
    assert message.count("contracts/test.yaml:") == 3  # the first, then two of the rest


def test_a_file_that_does_not_exist(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    with pytest.raises(ContractError, match=re.escape(f"{missing}: contract file not found")):
        load_contract(missing)


def test_a_directory_is_not_a_contract(tmp_path: Path) -> None:
    with pytest.raises(ContractError, match=re.escape(f"{tmp_path}: cannot read contract file: Is a directory")):
        load_contract(tmp_path)


def test_load_contract_reports_the_path_it_was_given(tmp_path: Path) -> None:
    path = tmp_path / "gateways.yaml"
    path.write_text(BASE.replace("version: 1", "version: 7"), encoding="utf-8")
    with pytest.raises(ContractError, match=re.escape(f"{path}:1: version: unsupported version 7")):
        load_contract(path)


# -- GATEWAYS=a,b (CI sharding) -------------------------------------------------------------------


@pytest.fixture
def contract() -> Contract:
    return parse_contract(BASE + "aggregate:\n  min_models: 5\n", PATH)


def test_only_restricts_to_the_named_gateways(contract: Contract) -> None:
    sub = contract.only({"huggingface"})
    assert [g.slug for g in sub.gateways] == ["huggingface"]
    assert sub.aggregate is None
    assert sub.max_limit == contract.max_limit
    with_all = contract.only({"openrouter", "all"})
    assert [g.slug for g in with_all.gateways] == ["openrouter"]
    assert with_all.aggregate == contract.aggregate


def test_only_the_aggregate_leaves_no_gateway_but_keeps_them_covered(contract: Contract) -> None:
    sub = contract.only({"all"})
    assert sub.gateways == ()
    assert sub.aggregate == contract.aggregate
    assert sub.covered_names() == contract.covered_names()  # the registry check must not call them uncovered
    assert probe_gateway(sub) == "all"  # the invalid-input probes and the preflight page still have a gateway


def test_an_alias_in_any_case_selects_its_gateway(contract: Contract) -> None:
    sub = contract.only({"HUG", " OpenRouter "})
    assert [g.slug for g in sub.gateways] == ["openrouter", "huggingface"]
    assert sub.aggregate is None
    assert [g.slug for g in sub.unselected] == []


def test_only_with_an_unknown_slug_names_it(contract: Contract) -> None:
    with pytest.raises(ContractError) as caught:
        contract.only({"openrouter", "featherles", "hugs"})
    assert str(caught.value) == (
        "contracts/test.yaml: GATEWAYS (--gateways) names featherles, hugs, not in the contract "
        "(contracted: openrouter, huggingface, all)"
    )


@pytest.mark.parametrize("selection", [set(), {"", " "}], ids=["empty", "blank"])
def test_a_selection_of_nothing_is_an_error(contract: Contract, selection: set[str]) -> None:
    with pytest.raises(ContractError, match=re.escape("GATEWAYS (--gateways) selects nothing")):
        contract.only(selection)


class AnswersNothing:
    """A client for `CatalogStore` that answers 404 to everything and records the gateway values it was sent."""

    base_url = "http://gateway.test"
    has_key = False

    def __init__(self) -> None:
        self.gateways: list[str] = []

    def get(self, path: str, params: dict[str, Any] | None = None, *, read: int = 0) -> Exchange:
        if params and "gateway" in params:
            self.gateways.append(str(params["gateway"]))
        return Exchange("GET", build_url(self.base_url, path, params), 404, "application/json", '{"detail": "no"}')


def _assert_probe_paths_work(sub: Contract, selected: set[str]) -> None:
    """What picks a gateway for a probe works on any selection, and picks a selected one."""
    assert probe_gateway(sub).lower() in selected | {n.lower() for g in sub.gateways for n in g.names}
    client = AnswersNothing()
    store = CatalogStore(cast(GatewayClient, client), sub)
    for query in invalid_queries(sub.max_limit):
        assert store.invalid(query).status == 404
    with pytest.raises(pytest.exit.Exception, match="no Gatewayz API at"):
        _preflight(store)  # everything 404: the preflight probes a catalog page too, with a selected gateway
    assert set(client.gateways) - {"", "no-such-gateway-zz"} == {probe_gateway(sub)}


@st.composite
def sharded_docs(draw: st.DrawFn) -> tuple[dict[str, Any], list[list[str]]]:
    """A contract with aliases and maybe an aggregate, and each gateway's names (slug first)."""
    pool = draw(st.lists(slugs, min_size=1, max_size=12, unique_by=str.lower))
    cut = sorted(draw(st.lists(st.integers(1, len(pool)), max_size=5, unique=True)))
    groups = [g for g in (pool[a:b] for a, b in zip([0, *cut], [*cut, len(pool)], strict=True)) if g]
    gateways = {names[0]: {"min_models": 1, **({"aliases": names[1:]} if names[1:] else {})} for names in groups}
    doc: dict[str, Any] = {"version": 1, "gateways": gateways}
    if draw(st.booleans()):
        doc["aggregate"] = {"slug": draw(st.sampled_from(["all", "ALL-catalog"])), "min_models": 1}
    return doc, groups


def _any_case(data: st.DataObject, name: str) -> str:
    return "".join(c.upper() if data.draw(st.booleans()) else c for c in name)


@FAST
@given(sharded_docs(), st.data())
def test_any_selection_is_exactly_the_selected_gateways(drawn: tuple[dict[str, Any], list[list[str]]],
                                                        data: st.DataObject) -> None:
    doc, groups = drawn
    contract = parse_contract(yaml.safe_dump(doc, sort_keys=False), PATH)
    names = [n for group in groups for n in group] + ([doc["aggregate"]["slug"]] if "aggregate" in doc else [])
    picked = data.draw(st.lists(st.sampled_from(names), min_size=1, unique=True))
    sub = contract.only({_any_case(data, n) for n in picked})
    wanted = {n.lower() for n in picked}
    assert [g.slug for g in sub.gateways] == [group[0] for group in groups if wanted & {n.lower() for n in group}]
    assert (sub.aggregate is not None) == ("aggregate" in doc and doc["aggregate"]["slug"].lower() in wanted)
    assert {g.slug for g in (*sub.gateways, *sub.unselected)} == {g.slug for g in contract.gateways}
    assert sub.covered_names() == contract.covered_names()
    assert sub.gateways or sub.aggregate  # never nothing to check
    _assert_probe_paths_work(sub, wanted)


@FAST
@given(sharded_docs(), st.data())
def test_a_name_outside_the_contract_is_a_one_line_error(drawn: tuple[dict[str, Any], list[list[str]]],
                                                         data: st.DataObject) -> None:
    doc, groups = drawn
    contract = parse_contract(yaml.safe_dump(doc, sort_keys=False), PATH)
    known = {n.lower() for group in groups for n in group} | ({doc["aggregate"]["slug"].lower()} if "aggregate" in doc
                                                             else set())
    stranger = data.draw(slugs.filter(lambda s: s.lower() not in known).map(lambda s: s + "-x"))
    with pytest.raises(ContractError) as caught:
        contract.only({*data.draw(st.lists(st.sampled_from(sorted(known)), max_size=2)), stranger})
    assert f"names {stranger.lower()}, not in the contract" in str(caught.value)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("path", sorted((ROOT / "contracts").glob("*.yaml")), ids=lambda p: p.name)
def test_every_shipped_contract_shards_into_single_gateways_and_the_aggregate(path: Path) -> None:
    contract = load_contract(path)
    shards = [{g.slug} for g in contract.gateways] + ([{contract.aggregate.slug}] if contract.aggregate else [])
    for shard in shards:
        sub = contract.only(shard)
        assert len(sub.gateways) + (sub.aggregate is not None) == 1
        if dialects.ENVELOPE in dialects.capabilities(sub):
            _assert_probe_paths_work(sub, shard)
        else:  # the other dialects' preflight is their one list, whatever the selection
            with pytest.raises(pytest.exit.Exception, match=r"no (OpenAI|Anthropic) models API at"):
                _preflight(CatalogStore(cast(GatewayClient, AnswersNothing()), sub))


# -- properties: the line always points at the mistake --------------------------------------------

# A `gw` prefix keeps YAML from reading a slug as a bool or null (`no`, `on`, `null`).
slugs = st.text("abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=10).map(lambda s: f"gw{s}")


@st.composite
def contract_docs(draw: st.DrawFn) -> dict[str, Any]:
    names = draw(st.lists(slugs, min_size=1, max_size=6, unique_by=str.lower))
    gateways: dict[str, Any] = {}
    for name in names:
        floor = draw(st.integers(0, 10_000))
        spec: dict[str, Any] = {"min_models": floor}
        if draw(st.booleans()):
            spec["max_models"] = draw(st.integers(max(1, floor), 30_000))
        if draw(st.booleans()):
            spec["latency_budget_s"] = draw(st.floats(0.5, 200))
        gateways[name] = spec
    return {"version": 1, "gateways": gateways}


@FAST
@given(contract_docs())
def test_any_valid_contract_loads(doc: dict[str, Any]) -> None:
    contract = parse_contract(yaml.safe_dump(doc, sort_keys=False), PATH)
    assert [g.slug for g in contract.gateways] == list(doc["gateways"])
    for gateway in contract.gateways:
        spec = doc["gateways"][gateway.slug]
        assert gateway.min_models == spec["min_models"]
        assert gateway.max_models == spec.get("max_models")
        assert gateway.latency_budget_s == spec.get("latency_budget_s", 70.0)


@FAST
@given(contract_docs(), st.data())
def test_a_typo_anywhere_is_reported_at_its_own_line(doc: dict[str, Any], data: st.DataObject) -> None:
    victim = data.draw(st.sampled_from(sorted(doc["gateways"])))
    doc["gateways"][victim]["min_modles"] = 1
    text = yaml.safe_dump(doc, sort_keys=False)
    line = next(i for i, row in enumerate(text.splitlines(), 1) if row.strip().startswith("min_modles:")
                and _owner(text, i) == victim)
    assert _error(text).startswith(f"contracts/test.yaml:{line}: gateways.{victim}.min_modles: unknown key")


@FAST
@given(contract_docs(), st.data())
def test_a_ceiling_under_the_floor_points_at_the_gateway(doc: dict[str, Any], data: st.DataObject) -> None:
    victim = data.draw(st.sampled_from(sorted(doc["gateways"])))
    spec = doc["gateways"][victim]
    spec["min_models"] = max(spec["min_models"], 2)
    spec["max_models"] = data.draw(st.integers(1, spec["min_models"] - 1))
    text = yaml.safe_dump(doc, sort_keys=False)
    line = text.splitlines().index(f"  {victim}:") + 1
    assert _error(text) == (
        f"contracts/test.yaml:{line}: gateways.{victim}: "
        f"max_models ({spec['max_models']}) is below min_models ({spec['min_models']})"
    )


def _owner(text: str, line: int) -> str:
    """The gateway block a 1-based line belongs to (the nearest `  slug:` above it)."""
    for row in reversed(text.splitlines()[: line - 1]):
        if row.startswith("  ") and not row.startswith("    "):
            return row.strip().rstrip(":")
    raise AssertionError(line)


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_every_shipped_contract_has_gateways_with_a_floor(path: Path) -> None:
    contract = load_contract(path)
    assert contract.gateways
    assert all(g.min_models >= 1 for g in contract.gateways)


# -- the values keys -------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [
    pytest.param(BASE + "defaults:\n  price_band_per_million: [10, 1]\n",
                 "contracts/test.yaml:10: defaults.price_band_per_million: expected [low, high] dollars per million "
                 "tokens with 0 <= low <= high, got [10.0, 1.0]", id="band-upside-down"),
    pytest.param(BASE.replace("    min_models: 10", "    min_models: 10\n    price_band_per_million: [1]"),
                 "contracts/test.yaml:9: gateways.huggingface.price_band_per_million: expected [low, high] dollars "
                 "per million tokens with 0 <= low <= high, got [1.0]", id="band-one-number"),
    pytest.param(BASE + "defaults:\n  max_completion_discount: 0.5\n",
                 "contracts/test.yaml:10: defaults.max_completion_discount: Input should be greater than or equal "
                 "to 1", id="discount-below-one"),
    pytest.param(BASE.replace("    min_models: 300", "    min_models: 300\n    max_placeholder_price_share: 2"),
                 "contracts/test.yaml:5: gateways.openrouter.max_placeholder_price_share: Input should be less than "
                 "or equal to 1", id="share-over-one"),
    pytest.param(BASE + "reference:\n  max_mismatch_share: 0.2\n",
                 "contracts/test.yaml:9: reference: name exactly one of file or url", id="reference-no-source"),
    pytest.param(BASE + "reference:\n  file: a.json\n  url: https://x.test/a.json\n",
                 "contracts/test.yaml:9: reference: name exactly one of file or url", id="reference-two-sources"),
    pytest.param(BASE + "reference:\n  url: ftp://x.test/a.json\n",
                 "contracts/test.yaml:10: reference.url: String should match pattern '^https?://[^\\s/]+'",
                 id="reference-not-http"),
    pytest.param(BASE + "reference:\n  file: nope.json\n",
                 "contracts/test.yaml:10: reference.file: no such file contracts/nope.json", id="reference-missing"),
    pytest.param(BASE + "reference:\n  url: https://x.test/a.json\n  providers: {groq: groq}\n",
                 "contracts/test.yaml:11: reference.providers.groq: 'groq' is not a contracted gateway",
                 id="reference-provider-of-another-gateway"),
    pytest.param(BASE + "reference:\n  url: https://x.test/a.json\n  gateways: [openrouter, groq]\n",
                 "contracts/test.yaml:11: reference.gateways[1]: 'groq' is not a contracted gateway",
                 id="reference-gateway-not-contracted"),
])
def test_a_values_mistake_is_one_line(text: str, expected: str) -> None:
    assert _error(text) == expected


def test_values_defaults_and_overrides() -> None:
    text = BASE.replace("    min_models: 10", "    min_models: 10\n    max_placeholder_context_share: 0.9\n"
                        "    price_band_per_million: [0, 5000]") + (
        "defaults:\n  max_placeholder_context_share: 0.5\n  max_completion_discount: 20\n")
    openrouter, huggingface = parse_contract(text, PATH).gateways
    assert openrouter.values.max_placeholder_context_share == 0.5
    assert openrouter.values.max_completion_discount == 20
    assert openrouter.values.price_band_per_million == BARE.gateways[0].values.price_band_per_million == (0.001, 1000)
    assert BARE.gateways[0].values.max_placeholder_price_share == 1.0  # placeholders: not checked by default
    assert huggingface.values.max_placeholder_context_share == 0.9
    assert huggingface.values.price_band_per_million == (0, 5000)


def test_a_reference_file_is_read_at_load_and_a_url_is_not(tmp_path: Path) -> None:
    (tmp_path / "prices.json").write_text('{"openrouter/a/b": {"input_cost_per_token": 1e-7}}')
    (tmp_path / "broken.json").write_text('{"a": ')
    (tmp_path / "list.json").write_text('[1, 2]')
    contract = parse_contract(BASE + "reference:\n  file: prices.json\n  providers: {huggingface: hf}\n",
                              tmp_path / "c.yaml")
    assert contract.reference is not None
    assert contract.reference.document == {"openrouter/a/b": {"input_cost_per_token": 1e-7}}
    assert (contract.reference.provider("huggingface"), contract.reference.provider("openrouter")) == (
        "hf", "openrouter")
    assert contract.reference.compares("openrouter")
    assert not contract.reference.is_url
    with pytest.raises(ContractError, match=r"c.yaml:10: reference.file: .*broken.json:1: not valid JSON"):
        parse_contract(BASE + "reference:\n  file: broken.json\n", tmp_path / "c.yaml")
    with pytest.raises(ContractError, match=r"c.yaml:10: reference.file: .*list.json is not a JSON object"):
        parse_contract(BASE + "reference:\n  file: list.json\n", tmp_path / "c.yaml")
    remote = parse_contract(BASE + "reference:\n  url: https://x.test/p.json\n  gateways: [openrouter]\n", PATH)
    assert remote.reference is not None
    assert remote.reference.is_url
    assert remote.reference.document is None
    assert not remote.reference.compares("huggingface")


def test_a_reference_url_is_fetched_once_by_the_store(tmp_path: Path) -> None:
    import functools
    import threading
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    (tmp_path / "prices.json").write_text('{"openrouter/a/b": {"input_cost_per_token": 1e-7}}')
    seen: list[str] = []

    class Handler(SimpleHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            seen.append(self.path)

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(tmp_path)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    origin = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        for path, document, problem in [("/prices.json", {"openrouter/a/b": {"input_cost_per_token": 1e-7}}, None),
                                        ("/missing.json", None, "did not answer a JSON object: GET")]:
            contract = parse_contract(BASE + f"reference:\n  url: {origin}{path}\n", PATH)
            store = CatalogStore(GatewayClient("http://127.0.0.1:9"), contract)  # the target is never asked
            got, why = store.reference()
            assert got == document
            assert (why is None) if problem is None else (problem in (why or ""))
            assert store.reference() == (got, why)
    finally:
        server.shutdown()
    assert seen.count("/prices.json") == 1  # fetched once, then the store's memory
# -- the `compare:` block (the differential gate's tolerances; every dialect's) ----------------------------


def test_the_compare_block_defaults_and_overrides() -> None:
    from gateway_contracts.tolerances import DEFAULTS, Tolerances

    assert parse_contract(BASE, PATH).compare == DEFAULTS
    text = BASE + "compare:\n  max_removed_share: 0.1\n  price_fail_factor: 100\n"
    assert parse_contract(text, PATH).compare == Tolerances(max_removed_share=0.1, price_fail_factor=100.0)
    openai = ("version: 1\ndialect: openai\ngroups:\n  o:\n    prefix: gpt-\n    min_models: 1\n"
              "compare:\n  max_changed_share: 0\n")
    assert parse_contract(openai, PATH).compare.max_changed_share == 0.0


@pytest.mark.parametrize(("block", "expected"), [
    ("  max_removed_share: 1.5\n", "test.yaml:10: compare.max_removed_share: Input should be less than or equal to 1"),
    ("  price_fail_factor: 1\n", "test.yaml:10: compare.price_fail_factor: Input should be greater than 1"),
    ("  max_count_change_share: -0.1\n", "compare.max_count_change_share: Input should be greater than or equal to 0"),
    ("  max_changed_share: yes\n", "compare.max_changed_share: input should be a valid number, got bool True"),
    ("  max_removed_shares: 0.1\n", "test.yaml:10: compare.max_removed_shares: unknown key"),
])
def test_invalid_tolerances_are_one_line(block: str, expected: str) -> None:
    assert expected in _error(BASE + "compare:\n" + block)
