"""The OpenAI SDK consumer contract (tests/contract/test_openai_sdk.py) in real suite runs against the
embedded reference gateway: it passes on both shapes and says how many models an SDK user sees (summary
line, JUnit property `sdk_models`), and a chat model answering 502 HTML fails it with the SDK's exception,
the request and a body excerpt, the key filtered. Against a real LiteLLM proxy (openai dialect) the SDK sees
the whole list.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.self.litellm_proxy import HEALTHY, LiteLLMProxy, needs_litellm
from tests.self.suite_run import run_gate, run_python

SDK = "test_openai_sdk"
KEY = "gwc-sdk-contract-test-key-7f3a"
DEFAULT_PAGE = "gatewayz: the default page (gateway=all, limit=100, offset=0)"


@pytest.mark.slow
def test_sparse_shape_passes_and_the_summary_says_what_an_sdk_user_sees(tmp_path: Path) -> None:
    run = run_gate(tmp_path, "-k", SDK, env={"REFERENCE_SHAPE": "sparse",
                                              "CONTRACTS": "contracts/gatewayz-staging.yaml"})
    assert run.status == 0, run.output[-3000:]
    outcomes = run.outcomes()
    listed = outcomes["test_openai_sdk_lists_the_models"]
    assert listed[0] == "passed"
    assert listed[2]["sdk_models"] == ["100"]  # `all` has 7,273 rows: a bare GET is its first 100
    assert listed[2]["sdk_scope"] == [DEFAULT_PAGE]
    chats = [name for name in outcomes if name.startswith("test_openai_sdk_chat[")]
    assert chats
    assert all(outcomes[name][0] == "passed" for name in chats)
    assert f"gateway-contracts: an OpenAI SDK user sees 100 models ({DEFAULT_PAGE})" in run.stdout


@pytest.mark.slow
def test_a_chat_model_answering_html_502_fails_with_the_sdks_exception(tmp_path: Path) -> None:
    run = run_gate(tmp_path, "-k", SDK, "--reference-fault=chat-502-html", env={"GATEWAY_API_KEY": KEY})
    assert run.status == 1, run.output[-3000:]
    outcomes = run.outcomes()
    failed = {name for name, (outcome, _, _) in outcomes.items() if outcome == "failed"}
    assert failed == {"test_openai_sdk_chat[katanemo/Arch-Router-1.5B]"}
    text = failure_text(run.junit, "test_openai_sdk_chat[katanemo/Arch-Router-1.5B]")
    assert "[openai-sdk] the OpenAI SDK's chat.completions.create katanemo/Arch-Router-1.5B failed: " in text
    assert "InternalServerError: Error code: 502" in text
    assert "body: <!DOCTYPE html>" in text or "body: <html" in text
    assert "request: POST http://127.0.0.1:" in text
    assert "/v1/chat/completions (with key) -> 502" in text
    assert KEY not in run.output
    assert KEY not in run.junit.read_text()
    assert outcomes["test_openai_sdk_lists_the_models"][0] == "passed"  # the list is untouched by the fault


def failure_text(junit: Path, name: str) -> str:
    import xml.etree.ElementTree as ET

    case = next(c for c in ET.parse(junit).iter("testcase") if c.get("name") == name)
    failure = case.find("failure")
    return (failure.text or "") if failure is not None else ""


def test_importing_the_sdk_module_does_not_import_openai() -> None:
    """The plan and the contract module import gateway_contracts.sdk at collection: `openai` must wait."""
    code = "import sys, gateway_contracts.sdk, gateway_contracts.plan; print('openai' in sys.modules)"
    out = run_python(["-c", code])
    assert out.stdout.strip() == "False"


@pytest.mark.slow
@needs_litellm
def test_against_litellm_the_sdk_sees_the_whole_list(litellm_healthy: LiteLLMProxy, tmp_path: Path) -> None:
    """The openai dialect has no pagination: the SDK's bare list is the whole list the contracts walked."""
    env = {"TARGET_URL": litellm_healthy.url, "GATEWAY_API_KEY": litellm_healthy.master_key,
           "CONTRACTS": "contracts/litellm-example.yaml"}
    run = run_gate(tmp_path, "-k", SDK, env=env)
    assert run.status == 0, run.output[-3000:]
    listed = run.outcomes()["test_openai_sdk_lists_the_models"]
    assert listed[0] == "passed"
    assert listed[2]["sdk_models"] == [str(len(HEALTHY))]
    assert listed[2]["sdk_scope"] == ["openai: the whole list"]
    assert f"gateway-contracts: an OpenAI SDK user sees {len(HEALTHY)} models (openai: the whole list)" in run.stdout
    assert litellm_healthy.master_key not in run.output
