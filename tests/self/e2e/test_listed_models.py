"""End to end: the callable probe in a nightly run holds its budget, passes on the healthy reference gateway, and
skips, saying so, without a key.

The nightly run's contract tests (`tests/contract`, no `-m`: what `gateway-contracts nightly` runs besides the
fuzzer), sharded to three small gateways to stay cheap, against the embedded reference gateway, with a contract
whose `callable.budget` is 3: the server counts every chat call, and the run must send exactly the nightly plan
(the gate's plan plus the probe's sample of each gateway's listed models, `dialects.planned_requests(...,
nightly=True)`), whose probe calls are at most the budget per gateway. The fault that makes listed models
fail is the kill matrix's (`chat-listed-502`).
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway_contracts.contract import load_contract
from gateway_contracts.dialects import planned_requests
from gateway_contracts.plan import CHAT_PATH, MODELS_PATH, first_pages, probe_requests, sdk_requests
from gateway_contracts.session.state import KEYLESS_REASON
from gateway_testbed.reference.server import EmbeddedGateway
from tests.self.suite_run import reference_contract_text, run_suite

ROOT = Path(__file__).resolve().parents[3]
KEY = "gwc-listed-models-key"
BUDGET = 3
DAY = date(2026, 12, 7)
SHARD = ("groq", "cerebras", "novita")  # a nightly shard (GATEWAYS): small catalogs, a cheap run
pytestmark = pytest.mark.slow


def budget_contract(tmp_path: Path) -> Path:
    """The reference contract with `callable.budget: 3` (its OpenAPI document named absolutely)."""
    text = reference_contract_text()
    path = tmp_path / "gateways-budget.yaml"
    path.write_text(text + f"\ncallable:\n  budget: {BUDGET}\n")
    return path


def listed(http: httpx.Client, gateway: str) -> list[Any]:
    """A gateway's rows as the run's walk read them (every page at the contract's page size)."""
    ids: list[Any] = []
    offset = 0
    while True:
        body = http.get(MODELS_PATH, params={"gateway": gateway, "limit": 1000, "offset": offset}).json()
        ids += body["data"]
        if not body.get("has_more"):
            return ids
        offset = body["next_offset"]


def test_a_nightly_run_calls_at_most_the_budget_and_the_healthy_gateway_passes(tmp_path: Path) -> None:
    path = budget_contract(tmp_path)
    contract = load_contract(path).only(set(SHARD))
    with EmbeddedGateway(api_keys={KEY}) as gateway:
        before = gateway.stats()
        run = run_suite(["tests/contract", f"--target-url={gateway.url}", "--max-rps=0", f"--contracts={path}",
                         f"--gateways={','.join(SHARD)}", f"--probe-date={DAY.isoformat()}", "--run-name", "nightly",
                         "--reports-dir", str(tmp_path)], tmp_path,
                        env={"GATEWAY_API_KEY": KEY}, timeout=600)
        after = gateway.stats()
        with httpx.Client(base_url=gateway.url) as http:  # read after the run was counted
            totals = {r.query["gateway"]: http.get(r.path, params=r.query).json()["total"]
                      for r in first_pages(contract)}
            ids = {g.slug: listed(http, g.slug) for g in contract.gateways}
    assert run.status == 0, run.output[-3000:]
    outcomes = run.outcomes()
    probed = {name: outcome for name, (outcome, _, _) in outcomes.items() if name.startswith("test_listed_models")}
    assert probed == {f"test_listed_models_answer_chat[{g.slug}]": "passed" for g in contract.gateways}
    # Each gateway's probe in the run record (what the sign-off report's section reads): a share of 1.0 over at
    # most the budget.
    record = json.loads((tmp_path / "run-nightly.json").read_text())
    assert set(record["callable"]) == set(SHARD)
    for summary in record["callable"].values():
        assert (summary["share"], summary["failed"], summary["day"]) == (1.0, [], DAY.isoformat()), summary
        assert 1 <= summary["sampled"] <= BUDGET
        assert summary["cover_days"] >= 1  # the rotation calls the whole catalog within that many nights
    by_path = Counter({p: n - before["by_path"].get(p, 0) for p, n in after["by_path"].items()})
    plan = planned_requests(contract, totals, keyed=True, rows=ids, listed=ids, day=DAY, nightly=True)
    sdk = sdk_requests(contract, keyed=True)
    probe = probe_requests(contract, ids, DAY)
    # The chat calls: the gate's (unkeyed, contracted models, the SDK's) plus the probe's, each sent once.
    assert by_path[CHAT_PATH] == sum(r.path == CHAT_PATH for r in [*plan, *sdk])
    assert 0 < len(probe) <= BUDGET * len(contract.gateways)
    gate_chats = sum(r.path == CHAT_PATH for r in [*planned_requests(contract, totals, keyed=True), *sdk])
    assert by_path[CHAT_PATH] - gate_chats == len(probe)
    # And nothing else: the run sends exactly the nightly plan.
    assert +by_path == Counter(r.path for r in [*plan, *sdk])
    assert after["requests_total"] - before["requests_total"] == len(plan) + len(sdk)


def test_without_a_key_the_probe_is_skipped_and_the_run_says_so(tmp_path: Path) -> None:
    run = run_suite(["tests/contract", "-k", "test_listed_models", "--gateways", "novita"], tmp_path,
                    env={"KEYLESS": "1"}, timeout=300)
    assert run.status == 0, run.output[-3000:]
    assert {name: outcome for name, (outcome, _, _) in run.outcomes().items()} == {
        "test_listed_models_answer_chat[novita]": "skipped"}
    assert f"gateway-contracts: {KEYLESS_REASON}" in run.stdout


def test_the_gate_collects_the_probe_only_when_the_contract_asks(tmp_path: Path) -> None:
    asked = budget_contract(tmp_path)
    asked.write_text(asked.read_text() + "  gate: true\n")
    default = ["tests/contract", "-m", "gate", "--collect-only", "-k", "test_listed_models", "--gateways", "groq"]
    assert "test_listed_models_answer_chat[groq]" not in run_suite(default, timeout=120).stdout
    run = run_suite([*default, f"--contracts={asked}"], timeout=120)
    assert "test_listed_models_answer_chat[groq]" in run.stdout, run.output[-2000:]


def test_each_gateway_is_held_to_its_own_bound(tmp_path: Path) -> None:
    """`chat-listed-502` makes a part of groq's listed models answer 502; the contract-wide `callable.min_share`
    (0.3) would let groq's share pass, but groq's own `min_callable_share` (0.95) is above it: groq fails, naming
    its own bound, and cerebras (no bound of its own) is held to the default. (The kill matrix's chat-listed-502
    shows groq failing under the default 1.0; the unit tests, a lower own bound passing.)"""
    text = reference_contract_text()
    marker = "\n  groq:\n"
    assert marker in text  # the reference contract's groq entry, which gets a bound of its own
    text = text.replace(marker, f"{marker}    min_callable_share: 0.95\n", 1)
    path = tmp_path / "gateways-own-bound.yaml"
    path.write_text(text + "\ncallable:\n  min_share: 0.3\n")
    with EmbeddedGateway(faults=["chat-listed-502"], api_keys={KEY}) as gateway:
        run = run_suite(["tests/contract", "-m", "nightly", "-k", "test_listed_models", f"--target-url={gateway.url}",
                         "--max-rps=0", f"--contracts={path}", "--gateways=groq,cerebras",
                         f"--probe-date={DAY.isoformat()}", "--run-name", "nightly", "--reports-dir", str(tmp_path)],
                        tmp_path, env={"GATEWAY_API_KEY": KEY}, timeout=300)
    outcomes = {name: outcome for name, (outcome, _, _) in run.outcomes().items()}
    assert outcomes == {"test_listed_models_answer_chat[groq]": "failed",
                        "test_listed_models_answer_chat[cerebras]": "passed"}, run.output[-3000:]
    record = json.loads((tmp_path / "run-nightly.json").read_text())["callable"]
    assert (record["groq"]["bound"], record["cerebras"]["bound"]) == (0.95, 0.3)
    assert 0.3 <= record["groq"]["share"] < 0.95, record["groq"]  # the default would have let it pass
    assert "expected at least 95%" in run.failed["test_listed_models_answer_chat[groq]"]
