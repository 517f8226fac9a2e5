"""The gate against a real LiteLLM proxy, in the openai dialect, with the committed example contract.

The healthy proxy passes the gate (and its baseline compares clean); the proxy with the four faults made by
configuration fails exactly the tests each fault is meant to fail, and nothing else. Both proxies are the
session's (tests/self/conftest.py): one start for this module and test_litellm_proxy.py together.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from gateway_contracts.contract import load_contract
from gateway_contracts.data.kinds import kind_of
from gateway_contracts.dialects import planned_requests
from gateway_contracts.plan import sdk_requests
from tests.self.killmatrix import Outcome, parse_junit
from tests.self.litellm_proxy import (
    BELOW_FLOOR,
    FAILING,
    HEALTHY,
    MASTER_KEY,
    REMOVED,
    TWICE,
    LiteLLMProxy,
    needs_litellm,
    proxy_config,
)
from tests.self.suite_run import run_suite

pytestmark = [pytest.mark.slow, needs_litellm]

ROOT = Path(__file__).resolve().parents[3]
CONTRACT = ROOT / "contracts" / "litellm-example.yaml"
CONFIG = ROOT / "contracts" / "litellm" / "config.yaml"
EXAMPLE_KEY = "sk-litellm-example-change-me"

# Each configured fault and the gate tests (JUnit names) it must fail; together, every failure of the run.
EXPECTED: dict[str, frozenset[str]] = {
    f"required model removed ({REMOVED})": frozenset({
        "test_required_model_present[house-house-writer]",
        "test_contracted_models_retrieve",  # GET /v1/models/house-writer -> 404
    }),
    f"group below its floor ({BELOW_FLOOR} removed: anthropic 1 < 2)": frozenset({
        "test_count_within_bounds[anthropic]",
    }),
    f"model listed twice ({TWICE})": frozenset({
        "test_no_duplicate_ids[openai]",
        "test_whole_list_has_no_duplicate_ids",
    }),
    f"model whose calls fail ({FAILING}: chat 500)": frozenset({
        f"test_chat_model_answers[{FAILING}]",
        f"test_openai_sdk_chat[{FAILING}]",  # the OpenAI SDK: InternalServerError: Error code: 500
    }),
}
# Contracts only the gatewayz dialect has: deselected for this contract, so in no JUnit bucket at all.
GATEWAYZ_ONLY = ("test_pagination_is_coherent[openai]", "test_envelope_is_coherent[house]",
                 "test_invalid_query_is_rejected[limit-zero]", "test_aggregate_rows_are_unique_per_gateway",
                 "test_gateway_status_agrees_with_catalogs", "test_registry_lists_gateway[anthropic]")


def gate(proxy: LiteLLMProxy, junit_dir: Path, *args: str) -> tuple[int, Outcome, str]:
    """One gate run of the contracts (the kill matrix's suite) against the proxy with the example contract."""
    # MAX_RPS=0: a local proxy needs no pacing (the default 4 rps against a TARGET_URL is for the real API's
    # limiter, tested in test_reliability.py); the requests and verdicts are the same, only sooner.
    run = run_suite(["tests/contract", "-m", "gate", *args], junit_dir, timeout=300,
                    env={"TARGET_URL": proxy.url, "GATEWAY_API_KEY": proxy.master_key, "CONTRACTS": str(CONTRACT),
                         "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", "MAX_RPS": "0"})
    assert run.junit is not None
    assert run.junit.exists(), f"no JUnit report (exit {run.status}):\n{run.output[-3000:]}"
    return run.status, parse_junit(run.junit.read_text()), run.output


def test_the_example_config_is_the_one_the_self_tests_start() -> None:
    committed = yaml.safe_load(CONFIG.read_text())
    assert committed == proxy_config(HEALTHY, EXAMPLE_KEY)


def test_healthy_litellm_passes_the_gate_and_its_baseline(
    litellm_healthy: LiteLLMProxy, tmp_path: Path, record_testsuite_property: Callable[[str, object], None]
) -> None:
    started = time.monotonic()
    baseline = tmp_path / "litellm-baseline.json"
    status, outcome, output = gate(litellm_healthy, tmp_path, "--update-baseline", str(baseline))
    assert (status, outcome.failed, outcome.errors) == (0, frozenset(), frozenset()), output[-3000:]
    assert {"test_model_list_is_well_formed", "test_contracted_models_retrieve",
            "test_unknown_model_in_chat_is_a_client_error", "test_chat_requires_a_key"} <= outcome.passed
    assert {f"test_chat_model_answers[{m}]" for m in ("openai/gpt-4o-mini", FAILING, "house-assistant")} \
        <= outcome.passed
    ran = outcome.passed | outcome.skipped
    assert not [t for t in GATEWAYZ_ONLY if t in ran]  # deselected, not skipped
    assert MASTER_KEY not in output
    # The run sends its plan and nothing more: the one list (the preflight too), the retrieves, the chat probes.
    contract = load_contract(CONTRACT)
    planned = planned_requests(contract, {}, keyed=True)
    sdk = sdk_requests(contract, keyed=True)  # the OpenAI SDK contract's own, counted apart
    total = len(planned) + len(sdk)
    assert f"gateway-contracts: {total} distinct requests, {total} sent (OpenAI SDK: {len(sdk)} sent)" in output
    # The baseline: every group and the whole list, by id (no source_gateway pairs in this dialect).
    snapshot = json.loads(baseline.read_text())
    assert set(snapshot["gateways"]) == {"openai", "anthropic", "house", "all"}
    assert snapshot["gateways"]["all"]["ids"] == sorted(m.id for m in HEALTHY)
    assert snapshot["gateways"]["house"]["required"] == {REMOVED: True}
    status, outcome, output = gate(litellm_healthy, tmp_path, "--baseline", str(baseline))
    assert (status, outcome.failed, outcome.errors) == (0, frozenset(), frozenset()), output[-3000:]
    assert {"test_gateway_matches_baseline[house]", "test_aggregate_matches_baseline"} <= outcome.passed
    record_testsuite_property("litellm_gate_seconds", round(time.monotonic() - started, 1))


def test_each_configured_fault_fails_exactly_its_tests(litellm_faulty: LiteLLMProxy, tmp_path: Path) -> None:
    status, outcome, output = gate(litellm_faulty, tmp_path)
    expected = frozenset().union(*EXPECTED.values())
    assert status == 1, output[-3000:]
    assert not outcome.errors, output[-3000:]
    missed = {fault: sorted(tests - outcome.failed) for fault, tests in EXPECTED.items() if tests - outcome.failed}
    assert missed == {}, f"faults not caught where expected: {missed}"
    assert sorted(outcome.failed - expected) == [], "failed without a fault meant to fail them"
    assert MASTER_KEY not in output


def test_the_expected_failures_are_attributable() -> None:
    # No test is expected of two faults: a failure names its fault.
    tests = [t for group in EXPECTED.values() for t in group]
    assert len(tests) == len(set(tests))


def test_the_whole_gate_finds_only_litellms_own_finding(litellm_healthy: LiteLLMProxy, tmp_path: Path) -> None:
    """`make gate` as a user runs it against their proxy: contracts and fuzzing (the contract's own document,
    contracts/openai-models.openapi.json). The healthy proxy breaks one contract, and it is LiteLLM's
    (docs/contract-file.md, "Other gateways"): a wrong key on GET /v1/models answers 400 `no_db_connection`,
    not 401 (schemathesis' ST401, invalid authentication). The chat operation may also fail, on LiteLLM's own
    findings only (test_fuzz_litellm.py): the same wrong-key 400, a `model` with a comma that fans out and
    answers 200 with an array of per-model errors (GC404, ST108), a `null` body answering 500 (ST101, ST103)."""
    # The gate's tests at the gate fuzz profile (what a user's `make gate` sends), serially and unpaced: the
    # verdicts are the same as with workers and pacing (test_xdist_parity.py; the generation is deterministic).
    run = run_suite(["tests/contract", "tests/fuzz", "-m", "gate"], tmp_path,
                    env={"TARGET_URL": litellm_healthy.url, "GATEWAY_API_KEY": litellm_healthy.master_key,
                         "CONTRACTS": str(CONTRACT), "MAX_RPS": "0"}, timeout=600)
    output = run.output
    assert run.status == 1, output[-3000:]
    assert set(run.failed) - {"test_fuzz_gate[POST /v1/chat/completions]"} == {"test_fuzz_gate[GET /v1/models]"}, \
        output[-3000:]
    chat = run.failed.get("test_fuzz_gate[POST /v1/chat/completions]")
    if chat is not None:  # only LiteLLM's own: its chat findings of test_fuzz_litellm.py, and the wrong-key 400
        litellms = {"ST401", "ST108", "ST101", "ST103", kind_of("chat").code}
        assert set(re.findall(r"^- ((?:ST|GC)\d+) ", chat, re.M)) <= litellms, chat[-3000:]
    text = run.failed["test_fuzz_gate[GET /v1/models]"]
    assert "1 distinct failure" in text
    assert "ST401 Unexpected response to invalid authentication" in text
    assert "got `400 Bad Request`" in text
    assert "test_fuzz_gate[GET /v1/models/{model}]" in run.passed
    assert MASTER_KEY not in output


def test_the_callable_probe_names_the_listed_model_whose_upstream_fails(
        litellm_healthy: LiteLLMProxy, litellm_faulty: LiteLLMProxy, tmp_path: Path) -> None:
    """Listed means callable, in the openai dialect: the nightly run's probe (`-m nightly`: not a gate test) calls
    every listed model of each group (the default budget covers them); on the healthy proxy each answers, on the
    faulty one the listed model whose upstream fails (`mock_response: litellm.InternalServerError`) is named."""
    probe = ["-m", "nightly", "-k", "test_listed_models"]
    groups = {f"test_listed_models_answer_chat[{g}]" for g in ("openai", "anthropic", "house")}
    status, outcome, output = gate(litellm_healthy, tmp_path, *probe)
    assert (status, outcome.passed, outcome.failed) == (0, groups, frozenset()), output[-3000:]
    status, outcome, output = gate(litellm_faulty, tmp_path, *probe)
    failing = "test_listed_models_answer_chat[openai]"
    assert (status, outcome.failed, outcome.passed) == (1, {failing}, groups - {failing}), output[-3000:]
    message = outcome.messages[failing]
    assert f"[listed-not-callable] openai lists '{FAILING}'; chat answers HTTP 500" in message
    assert "answered chat (67%), expected at least 100%" in message  # gpt-4o-mini and its twin-listed sibling answer
    assert f'reproduce: curl -X POST {litellm_faulty.url}/v1/chat/completions -H \'Authorization: Bearer ***\'' \
        in message
    assert MASTER_KEY not in output
