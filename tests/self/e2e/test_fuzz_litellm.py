"""The fuzz gate against a real LiteLLM proxy, in the openai dialect: LiteLLM's own 717-path document
(FUZZ_SPEC=target), restricted to the operations of contracts/openai-models.openapi.json and judged by its
responses, keyed where that document's `security` says (every operation: LiteLLM wants the key on
GET /v1/models too), with the openai list-body checks instead of the Gatewayz envelope.

The healthy proxy fails only on LiteLLM's own behaviour, each failure a real finding (docs/fuzzing.md):
- `GET /v1/models?client_version=...` answers 200 with another shape, `{"models": [{"slug": ...}]}` (the
  Codex CLI catalog): not the model list (ST108, GC701 openai-list);
- `GET /v1/models?scope=<not expand>` answers 400 although its spec types `scope` as any string (ST202);
- a chat `model` with a comma fans out to several models and answers 200 with a JSON array of per-model
  errors, neither a completion nor a 4xx (ST108, chat);
- a chat body of JSON `null` answers 500 `internal_server_error` instead of a 4xx (ST101, ST103).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from gateway_contracts.data.kinds import kind_of
from tests.self.litellm_proxy import LiteLLMProxy, needs_litellm
from tests.self.suite_run import run_suite

pytestmark = [pytest.mark.slow, needs_litellm]

ROOT = Path(__file__).resolve().parents[3]
CONTRACT = ROOT / "contracts" / "litellm-example.yaml"
# Every failure the healthy proxy may show, per operation: LiteLLM's findings above, nothing of ours.
LIST_SHAPE, CHAT = kind_of("openai-list").code, kind_of("chat").code
LITELLM_FINDINGS = {
    "test_fuzz_gate[GET /v1/models]": {"ST108", LIST_SHAPE, "ST202"},
    "test_fuzz_gate[GET /v1/models/{model_id}]": set(),
    "test_fuzz_gate[POST /v1/chat/completions]": {"ST108", CHAT, "ST101", "ST103"},
}
CODE = re.compile(r"^- ((?:ST|GC)\d+) ", re.M)
CASES = re.compile(r"generated=(\d+) passed=(\d+) failed=(\d+)")


def test_fuzzing_litellms_own_spec_finds_only_litellms_findings(litellm_healthy: LiteLLMProxy,
                                                                tmp_path: Path) -> None:
    healthy = litellm_healthy
    run = run_suite(["tests/fuzz", "-m", "gate"], tmp_path, timeout=600,
                    env={"TARGET_URL": healthy.url, "GATEWAY_API_KEY": healthy.master_key, "CONTRACTS": str(CONTRACT),
                         "FUZZ_SPEC": "target", "MAX_RPS": "0"})
    output, junit = run.output, run.junit
    assert junit is not None, output[-3000:]
    assert junit.exists(), output[-3000:]
    found: dict[str, set[str]] = {}
    for case in ET.parse(junit).iter("testcase"):
        failure = case.find("failure")
        assert case.find("error") is None, output[-3000:]
        found[case.get("name", "")] = set(CODE.findall(failure.text or "")) if failure is not None else set()
        cases = next((p.get("value", "") for p in case.iter("property") if p.get("name") == "fuzz_cases"), "")
        match = CASES.search(cases)
        assert match, f"{case.get('name')}: {cases!r}"
        assert int(match[1]) > 0, f"{case.get('name')}: {cases!r}"  # fuzzed, not skipped
    assert set(found) == set(LITELLM_FINDINGS), output[-3000:]
    unexpected = {name: codes - LITELLM_FINDINGS[name] for name, codes in found.items()
                  if codes - LITELLM_FINDINGS[name]}
    assert unexpected == {}, output[-6000:]
    # The dialect's own list check judged the list (the client_version shape), never the Gatewayz envelope.
    assert LIST_SHAPE in found["test_fuzz_gate[GET /v1/models]"]
    assert kind_of("envelope").code not in output
    assert "[envelope]" not in output
    # Keyed where the document says: an unkeyed LiteLLM answers 401 to everything, retrieve would fail.
    assert found["test_fuzz_gate[GET /v1/models/{model_id}]"] == set()
    assert healthy.master_key not in output
    assert healthy.master_key not in junit.read_text()
