"""The contract's `callable:` key (both dialects): its defaults, its validation as one `file:line: key:` line, the
gate's opt-in, and the probe's part of the plan (plan.probe_requests, dialects.planned_requests)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway_contracts.contract import ContractError, parse_contract
from gateway_contracts.contract_model import DEFAULT_CALLABLE_BUDGET
from gateway_contracts.dialects import planned_requests
from gateway_contracts.plan import CHAT_PATH, probe_chat_body, probe_requests
from tests.self.strategies import FAST

PATH = Path("contracts/test.yaml")
GATEWAYZ = "version: 1\ngateways:\n  groq:\n    min_models: 1\n    required_models: [groq/a]\n  novita:\n" \
           "    min_models: 1\n"
OPENAI = "version: 1\ndialect: openai\ngroups:\n  groq:\n    prefix: groq/\n    min_models: 1\n"
DAY = date(2026, 12, 7)


@pytest.mark.parametrize("base", [GATEWAYZ, OPENAI], ids=["gatewayz", "openai"])
def test_the_defaults_and_the_keys_as_written(base: str) -> None:
    spec = parse_contract(base, PATH).callable_probe
    assert (spec.budget, spec.min_share, spec.gate) == (DEFAULT_CALLABLE_BUDGET, 1.0, False)
    spec = parse_contract(base + "callable:\n  budget: 4\n  min_share: 0.8\n  gate: true\n", PATH).callable_probe
    assert (spec.budget, spec.min_share, spec.gate) == (4, 0.8, True)


@pytest.mark.parametrize(("extra", "expected"), [
    ("callable:\n  budget: -1\n", "callable.budget: Input should be greater than or equal to 0"),
    ("callable:\n  min_share: 1.5\n", "callable.min_share: Input should be less than or equal to 1"),
    ("callable:\n  budgett: 3\n", "callable.budgett: unknown key"),
    ("callable:\n  gate: 'yes'\n", "callable.gate: input should be a valid boolean, got str 'yes'"),
])
@pytest.mark.parametrize("base", [GATEWAYZ, OPENAI], ids=["gatewayz", "openai"])
def test_a_mistake_is_one_line_naming_file_line_and_key(base: str, extra: str, expected: str) -> None:
    with pytest.raises(ContractError) as caught:
        parse_contract(base + extra, PATH)
    line = len(base.splitlines()) + 2
    assert str(caught.value) == f"{PATH}:{line}: {expected}"


def test_the_probe_is_the_smallest_chat_request() -> None:
    assert probe_chat_body("m") == {"model": "m", "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 1}


@FAST
@given(st.integers(0, 6), st.lists(st.sampled_from([f"groq/{c}" for c in "abcdefghij"]), max_size=10))
def test_the_probe_plan_is_the_budget_per_gateway_and_the_nightly_plan_holds_it(budget: int, ids: list[str]) -> None:
    contract = parse_contract(GATEWAYZ + f"callable:\n  budget: {budget}\n", PATH)
    listed = {"groq": ids, "novita": ["novita/x", "groq/a"]}
    probes = probe_requests(contract, listed, DAY)
    assert all(r.path == CHAT_PATH and r.authenticated and r.body["max_tokens"] == 1 for r in probes)
    assert len(probes) <= 2 * budget
    if budget and "groq/a" in ids:  # the required model, always
        assert probe_requests(contract, listed, DAY)[0].body["model"] == "groq/a"
    gate = planned_requests(contract, {}, keyed=True, listed=listed, day=DAY)
    nightly = planned_requests(contract, {}, keyed=True, listed=listed, day=DAY, nightly=True)
    assert set(probes).isdisjoint(gate)  # the gate does not probe unless the contract asks
    assert nightly == [*gate, *probes]
    assert planned_requests(contract, {}, keyed=False, listed=listed, day=DAY, nightly=True) == \
        planned_requests(contract, {}, keyed=False)  # no key: no probe


def test_the_gate_probes_when_the_contract_asks() -> None:
    contract = parse_contract(GATEWAYZ + "callable:\n  gate: true\n  budget: 2\n", PATH)
    listed = {"groq": ["groq/a", "groq/b", "groq/c"], "novita": ["novita/x"]}
    gate = planned_requests(contract, {}, keyed=True, listed=listed, day=DAY)
    assert [r.body["model"] for r in gate if r.body and r.body.get("max_tokens") == 1][:1] == ["groq/a"]
    assert len([r for r in gate if r.body and r.body.get("max_tokens") == 1]) == 3  # 2 of groq, novita's one


def test_an_api_without_chat_completions_is_never_probed() -> None:
    from gateway_contracts import dialects

    anthropic = parse_contract("version: 1\ndialect: anthropic\nmodels:\n  min_models: 1\n", PATH)
    assert not dialects.of(anthropic).chats(anthropic)
    listed = {g.slug: ["claude-x"] for g in anthropic.gateways}
    assert planned_requests(anthropic, {}, keyed=True, listed=listed, day=DAY, nightly=True) == \
        planned_requests(anthropic, {}, keyed=True)
    with pytest.raises(ContractError, match="callable: unknown key"):  # its contract has no such key
        parse_contract("version: 1\ndialect: anthropic\nmodels:\n  min_models: 1\ncallable:\n  budget: 2\n", PATH)
