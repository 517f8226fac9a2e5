"""The fuzz layer for the openai dialect: our checks judge an OpenAI list body (not the Gatewayz envelope),
a model object and chat; the key goes where the contract's document says; the target's spec is read within
the run's timeout.

The bodies are LiteLLM 1.108.7's as docs/litellm-notes.md records them (a real proxy's answers).
"""

from __future__ import annotations

import http.server
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from gateway_contracts import dialects
from gateway_contracts.data.exchange import Exchange
from gateway_contracts.fuzz import checks
from gateway_contracts.fuzz.documents import read_document, restrict_to_contract
from gateway_contracts.fuzz.settings import FuzzSettings
from gateway_contracts.fuzz.spec import resolve_source

ROOT = Path(__file__).resolve().parents[4]
OPENAI_DOCUMENT = ROOT / "contracts" / "openai-models.openapi.json"
OPENAI = checks.CatalogFacts(chat_models=frozenset({"gpt-4o-mini"}), routes=dict(dialects.OPENAI.fuzz_routes))
GATEWAYZ = replace(OPENAI, routes=dict(dialects.GATEWAYZ.fuzz_routes))
URL = "http://127.0.0.1:4000/v1/models"
ROW = {"id": "gpt-4o-mini", "object": "model", "created": 1677610602, "owned_by": "openai", "mode": "chat"}
LITELLM_LIST = {"data": [ROW, {**ROW, "id": "claude-3-haiku"}], "object": "list"}


def answer(reply: Any, *, method: str = "GET", path: str = "/v1/models", url: str = URL, status: int = 200,
           **kwargs: Any) -> checks.Answer:
    """One fuzzed call answered with the JSON `reply` (kwargs: the request's body, path parameters...)."""
    exchange = Exchange(method=method, url=url, status=status, content_type="application/json",
                        text=json.dumps(reply), elapsed_s=0.01)
    return checks.Answer(method=method, path=path, exchange=exchange, **kwargs)


def test_litellm_list_passes_the_openai_checks_and_not_the_gatewayz_envelope() -> None:
    assert checks.findings_for(answer(LITELLM_LIST), OPENAI) == []
    # The same body judged as a Gatewayz page is all envelope findings: what the dialect must not apply.
    assert {f.invariant for f in checks.findings_for(answer(LITELLM_LIST), GATEWAYZ)} >= {"envelope"}


@pytest.mark.parametrize(
    ("body", "invariant", "words"),
    [
        ({"data": [ROW, ROW], "object": "list"}, "no-duplicate-ids", "gpt-4o-mini"),
        ({"data": [{**ROW, "created": "2024-01-01"}], "object": "list"}, "openai-model-object", "created"),
        ({"data": [{**ROW, "object": "list"}], "object": "list"}, "openai-model-object", "object"),
        ({"models": [{"slug": "gpt-4o-mini"}]}, "openai-list", "'data'"),  # LiteLLM's ?client_version=1 shape
        ([ROW], "openai-list", "JSON object"),
    ],
)
def test_openai_list_findings(body: Any, invariant: str, words: str) -> None:
    findings = checks.findings_for(answer(body), OPENAI)
    assert invariant in {f.invariant for f in findings}
    assert words in " ".join(f.render() for f in findings)
    assert all(f.request and f.request.startswith("GET http://127.0.0.1:4000/v1/models") for f in findings)


def test_model_object_is_the_one_asked_for() -> None:
    one = answer(ROW, path="/v1/models/{model_id}", url=f"{URL}/gpt-4o-mini",
                 path_parameters={"model_id": "gpt-4o-mini"})
    assert checks.findings_for(one, OPENAI) == []
    other = answer(ROW, path="/v1/models/{model_id}", url=f"{URL}/house", path_parameters={"model_id": "house"})
    [finding] = checks.findings_for(other, OPENAI)
    assert "expected the requested 'house'" in finding.message
    # In the Gatewayz dialect the same route is the developer page, not a model object.
    assert checks.findings_for(one, GATEWAYZ) != []


def test_openai_errors_are_json_objects_and_unknown_models_may_be_refused() -> None:
    invalid = {"error": {"message": "Invalid model name passed in model=nope", "type": "invalid_request_error",
                         "param": None, "code": "400"}}
    chat = {"method": "POST", "path": "/v1/chat/completions", "url": "http://127.0.0.1:4000/v1/chat/completions",
            "status": 400}
    assert checks.findings_for(answer(invalid, **chat), OPENAI) == []
    assert checks.chat_rejection(answer(invalid, body={"model": "nope"}, **chat), OPENAI) == []
    # A contracted model refused is a finding in both dialects; Gatewayz allows only `model_not_priced`.
    [refused] = checks.chat_rejection(answer(invalid, body={"model": "gpt-4o-mini"}, **chat), OPENAI)
    assert "contracted chat model 'gpt-4o-mini' rejected" in refused.message
    assert checks.chat_rejection(answer(invalid, body={"model": "nope"}, **chat), GATEWAYZ) != []
    html = Exchange(method="GET", url=URL, status=500, content_type="text/plain", text="Internal Server Error")
    assert [f.invariant for f in checks.findings_for(checks.Answer("GET", "/v1/models", html), OPENAI)] == [
        "error-body"]


def test_openai_codes_are_the_finding_kinds_codes() -> None:
    from gateway_contracts.data.kinds import kind_of

    for invariant in ("openai-list", "openai-model-object"):
        assert checks.failure_class(invariant).code == kind_of(invariant).code


# -- the key where the document says, and the document read within the run's timeout ----------------


def _litellm_like_spec() -> dict[str, Any]:
    """LiteLLM's document in miniature: its own parameters, `{}` responses, security only at the top."""
    return {
        "openapi": "3.1.0", "info": {"title": "LiteLLM", "version": "1"},
        "security": [{"APIKeyHeader": []}],
        "components": {"securitySchemes": {"APIKeyHeader": {"type": "http", "scheme": "bearer"}}},
        "paths": {
            "/v1/models": {"get": {"operationId": "model_list_v1_models_get", "parameters": [
                {"name": "return_wildcard_routes", "in": "query", "schema": {"type": "boolean"}}],
                "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {}}}}}}},
            "/key/generate": {"post": {"responses": {"200": {"description": "ok"}}}},
        },
    }


def test_restricted_target_spec_keeps_its_parameters_and_the_contracts_security() -> None:
    restricted = restrict_to_contract(_litellm_like_spec(), read_document(OPENAI_DOCUMENT))
    operation = restricted["paths"]["/v1/models"]["get"]
    assert list(restricted["paths"]) == ["/v1/models"]
    assert [p["name"] for p in operation["parameters"]] == ["return_wildcard_routes"]
    assert operation["security"] == [{"APIKeyHeader": []}]  # the contract's bearer, in the target's name
    assert "owned_by" in json.dumps(operation["responses"]["200"])  # judged by the contract's model list, not `{}`


def test_without_a_requirement_in_the_contract_none_is_added() -> None:
    """The key goes only where the contract's document asks for it (operation or global `security`): a
    contract with neither (a public catalog, as Gatewayz's) adds no requirement to the target's operation."""
    contract = read_document(OPENAI_DOCUMENT)
    contract.pop("security", None)
    for item in contract["paths"].values():
        for operation in item.values():
            operation.pop("security", None)
    restricted = restrict_to_contract(_litellm_like_spec(), contract)
    assert "security" not in restricted["paths"]["/v1/models"]["get"]


class _SlowSpec(http.server.BaseHTTPRequestHandler):
    delay = 0.0

    def do_GET(self) -> None:
        time.sleep(self.delay)
        body = json.dumps(_litellm_like_spec()).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def slow_spec() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _SlowSpec)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_the_target_spec_is_read_within_the_given_timeout(slow_spec: str, tmp_path: Path) -> None:
    _SlowSpec.delay = 1.0  # LiteLLM generates its 2 MB document on the first request (~7 s)
    contract = type("C", (), {"openapi": OPENAI_DOCUMENT, "path": tmp_path / "c.yaml"})()
    settings = FuzzSettings(target_spec=True)
    slow = resolve_source(settings, contract, slow_spec, timeout_s=0.3)
    assert slow.problem
    # The wall-clock deadline, or httpx's read timeout when it happens to fire first (both 0.3 s).
    assert "timed out" in slow.problem or "ReadTimeout" in slow.problem
    patient = resolve_source(settings, contract, slow_spec, timeout_s=5.0)
    assert patient.problem is None
    assert patient.document is not None
    assert list(patient.document["paths"]) == ["/v1/models"]
