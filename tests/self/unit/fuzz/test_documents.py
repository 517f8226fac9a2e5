"""The contract owns its API description: the `openapi` key, the consumer document, and what the fuzzer
makes of a document (gateway values from the contract and the registry, the target's spec judged by the
contract, every distinct failure of an operation, typed invariant failures, case counts).
"""

from __future__ import annotations

import copy
import json
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
from hypothesis import given, settings

with warnings.catch_warnings():  # starlette's TestClient warns about httpx on import
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from gateway_contracts.contract import ContractError, load_contract
from gateway_contracts.data.exchange import Exchange
from gateway_contracts.data.findings import Finding
from gateway_contracts.fuzz import checks
from gateway_contracts.fuzz.documents import (
    GATEWAY_FORMAT,
    covered,
    generation_weight,
    mark_gateway_parameters,
    operations,
    read_document,
    resolve,
    restrict_to_contract,
    template_key,
)
from gateway_contracts.fuzz.drift import compare_specs
from gateway_contracts.fuzz.profiles import GATE
from gateway_contracts.fuzz.safety import MethodPolicy
from gateway_contracts.fuzz.settings import FuzzSettings
from gateway_contracts.fuzz.spec import load_schema, reference_spec, resolve_source
from gateway_testbed.reference import create_app

ROOT = Path(__file__).resolve().parents[4]
CONSUMER = ROOT / "contracts" / "gatewayz-api.openapi.json"
DOC = read_document(CONSUMER)
KEY = "unit-test-key"
MINIMAL = "version: 1\n{openapi}gateways:\n  a: {{min_models: 1}}\n"


# --- the contract's `openapi` key -------------------------------------------------------------------


def _contract(tmp_path: Path, line: str) -> Path:
    path = tmp_path / "c.yaml"
    path.write_text(MINIMAL.format(openapi=line), encoding="utf-8")
    return path


def test_openapi_key_is_relative_to_the_contract_file(tmp_path: Path) -> None:
    (tmp_path / "api").mkdir()
    (tmp_path / "api" / "doc.json").write_text('{"openapi": "3.1.0", "paths": {}}', encoding="utf-8")
    assert load_contract(_contract(tmp_path, "openapi: api/doc.json\n")).openapi == tmp_path / "api" / "doc.json"
    assert load_contract(_contract(tmp_path, "")).openapi is None


@pytest.mark.parametrize(("content", "problem"), [
    (None, "openapi: no such file"),
    ("paths: [\n", "not valid JSON or YAML"),
    ('{"openapi": "3.1.0"}', "is not an OpenAPI document (no 'paths')"),
])
def test_openapi_key_errors_name_file_line_and_key(tmp_path: Path, content: str | None, problem: str) -> None:
    if content is not None:
        (tmp_path / "doc.json").write_text(content, encoding="utf-8")
    path = _contract(tmp_path, "openapi: doc.json\n")
    with pytest.raises(ContractError) as error:
        load_contract(path)
    message = str(error.value)
    assert message.startswith(f"{path}:2: openapi: "), message
    assert problem in message
    assert "\n" not in message


def test_shipped_contracts_name_their_documents() -> None:
    assert load_contract(ROOT / "contracts" / "gateways.yaml").openapi == ROOT / "contracts" / "openapi.json"
    assert load_contract(ROOT / "contracts" / "gatewayz-staging.yaml").openapi == CONSUMER


def test_no_document_means_an_explicit_skip_not_a_pass(tmp_path: Path) -> None:
    contract = load_contract(_contract(tmp_path, ""))
    source = resolve_source(FuzzSettings(), contract, None)
    assert source.document is None
    assert source.problem is None
    assert "names no OpenAPI document (key `openapi`" in (source.skip or "")
    override = resolve_source(FuzzSettings(spec=CONSUMER), contract, None)  # FUZZ_SPEC stays an override
    assert override.document is not None
    assert override.contract_document == CONSUMER


# --- the consumer document ------------------------------------------------------------------------


def _parameter(path: str, name: str, method: str = "get") -> dict[str, Any]:
    operation = DOC["paths"][path][method]
    return next(p for p in resolve(DOC, operation["parameters"]) if p["name"] == name)


def _schema(name: str) -> dict[str, Any]:
    return resolve(DOC, DOC["components"]["schemas"][name])


def test_consumer_document_covers_the_api_consumers_use() -> None:
    assert {(m, p) for m, p, _ in operations(DOC)} == {
        ("GET", "/health"), ("GET", "/v1/gateways"), ("GET", "/v1/gateways/status"), ("GET", "/v1/models"),
        ("GET", "/models"), ("GET", "/v1/models/search"), ("GET", "/v1/models/{developer}"),
        ("POST", "/v1/chat/completions"),
    }
    assert DOC["paths"]["/v1/chat/completions"]["post"]["security"] == [{"bearerAuth": []}]
    schema = load_schema(mark_gateway_parameters(DOC), GATE, seed=1, methods=MethodPolicy())
    assert len(list(schema.get_all_operations())) == 8  # schemathesis loads it


@pytest.mark.parametrize("path", [CONSUMER, ROOT / "contracts" / "openapi.json"])
def test_fuzz_operations_are_weighed_body_then_path_parameter_then_query(path: Path) -> None:
    # The order the xdist controller deals them in: chat (~1.4 s serial), then the developer route (~0.9 s, its
    # path parameter), then the query routes (~0.75 s), then those with one case. Dealt in collection order,
    # the developer route started last on one worker while the other sat idle.
    document = read_document(path)
    labels = [f"{m} {p}" for m, p, _ in operations(document)]
    ordered = sorted(labels, key=lambda label: -generation_weight(document, label))
    assert ordered[:2] == ["POST /v1/chat/completions", "GET /v1/models/{developer}"]
    assert set(ordered[2:5]) == {"GET /v1/models", "GET /models", "GET /v1/models/search"}
    assert {generation_weight(document, label) for label in ordered[5:]} == {0}
    assert generation_weight(document, "GET /nowhere") == 0


def test_gateway_is_a_plain_string_and_bounds_are_the_promised_ones() -> None:
    for path in ("/v1/models", "/models", "/v1/models/search"):
        assert _parameter(path, "gateway")["schema"] == {"type": "string", "default": "all"}, path
        assert _parameter(path, "offset")["schema"]["minimum"] == 0
    for path in ("/v1/models", "/models"):
        limit = _parameter(path, "limit")["schema"]
        assert (limit["minimum"], limit["maximum"]) == (1, 1000)
    limit = _parameter("/v1/models/search", "limit")["schema"]
    assert (limit["minimum"], limit["maximum"]) == (1, 100)
    assert "hug" not in json.dumps(DOC)
    assert "chutes" not in json.dumps(DOC)


def test_responses_require_only_what_consumers_read() -> None:
    assert set(_schema("Model")["required"]) == {"id", "name", "source_gateway"}
    # `object` is typed but optional: the envelope's arithmetic is what consumers read (the sparse shape omits it)
    assert set(_schema("ModelList")["required"]) == {"data", "total", "returned", "offset", "limit", "has_more",
                                                    "next_offset", "gateway"}
    assert _schema("GatewayEntry")["required"] == ["id"]
    assert set(_schema("GatewayStatusList")["properties"]["data"]["items"]["required"]) == {"id", "model_count"}
    # Extra fields are allowed everywhere (no `additionalProperties: false`) and a sparse row is valid.
    assert '"additionalProperties": false' not in json.dumps(DOC)
    sparse_row = {"id": "a/b", "name": "B", "source_gateway": "x"}
    assert jsonschema_rs.validator_for(_schema("Model")).is_valid(sparse_row)
    assert not jsonschema_rs.validator_for(_schema("Model")).is_valid({**sparse_row, "pricing": {"prompt": 1}})


def test_statuses_the_api_uses_are_documented() -> None:
    def codes(path: str, method: str = "get") -> set[str]:
        return set(DOC["paths"][path][method]["responses"])

    assert {"200", "400", "422", "429"} <= codes("/v1/models")
    assert {"200", "400", "422", "429"} <= codes("/models")
    assert {"200", "400", "422", "429"} <= codes("/v1/models/search")
    assert {"200", "404", "503"} <= codes("/v1/models/{developer}")
    assert {"200", "400", "401", "404", "422", "429"} <= codes("/v1/chat/completions", "post")
    limited = resolve(DOC, DOC["paths"]["/v1/models"]["get"]["responses"]["429"])
    assert limited["headers"]["Retry-After"]["required"] is True


def test_a_tool_message_with_empty_content_is_not_promised_valid() -> None:
    request = jsonschema_rs.validator_for(_schema("ChatRequest"))
    assert request.is_valid({"model": "openai/gpt-4o", "messages": [{"role": "user", "content": "hi"}]})
    # The real backend answers 422 for blank content of a system/user message: the document does not promise it.
    assert not request.is_valid({"model": "openai/gpt-4o", "messages": [{"role": "system", "content": " \n"}]})
    assert not request.is_valid({"model": "openai/gpt-4o", "messages": [{"role": "tool", "content": ""}]})
    assert not request.is_valid({"model": "", "messages": [{"role": "user", "content": "hi"}]})
    assert not request.is_valid({"model": "m", "messages": []})


# --- the reference gateway conforms to the consumer document ----------------------------------------

# Each reference shape the suite can start (docs/reference-gateway.md): both must serve what the consumer
# document promises, the sparse one with nothing more.
# Each with the contract written for it (the sparse shape serves the 2026-08 registry of the staging contract).
SHAPES = [
    pytest.param({"REFERENCE_SHAPE": "full", "CONTRACTS": "contracts/gateways.yaml"}, id="full"),
    pytest.param({"REFERENCE_SHAPE": "sparse", "CONTRACTS": "contracts/gatewayz-staging.yaml"}, id="sparse"),
]

# (method, path template, concrete path, query, body, with key) -> one documented answer each
REQUESTS = [
    ("GET", "/health", "/health", {}, None, False),
    ("GET", "/v1/gateways", "/v1/gateways", {}, None, False),
    ("GET", "/v1/gateways/status", "/v1/gateways/status", {}, None, False),
    ("GET", "/v1/models", "/v1/models", {"gateway": "OpenRouter", "limit": 5}, None, False),
    ("GET", "/v1/models", "/v1/models", {"gateway": "all", "limit": 3, "offset": 2}, None, False),
    ("GET", "/v1/models", "/v1/models", {"gateway": "nosuchgw"}, None, False),
    ("GET", "/v1/models", "/v1/models", {"offset": -5}, None, False),
    ("GET", "/models", "/models", {"gateway": "groq", "limit": 1000}, None, False),
    ("GET", "/v1/models/search", "/v1/models/search", {"q": "gpt", "limit": 3}, None, False),
    ("GET", "/v1/models/search", "/v1/models/search", {"gateway": "nosuchgw"}, None, False),
    ("GET", "/v1/models/search", "/v1/models/search", {"limit": 101}, None, False),
    ("GET", "/v1/models/{developer}", "/v1/models/openai", {}, None, False),
    ("GET", "/v1/models/{developer}", "/v1/models/no-such-developer", {}, None, False),
    ("POST", "/v1/chat/completions", "/v1/chat/completions", {},
     {"model": "openai/gpt-4o", "messages": [{"role": "user", "content": "hi"}]}, True),
    ("POST", "/v1/chat/completions", "/v1/chat/completions", {},
     {"model": "openai/gpt-4o", "messages": [{"role": "user", "content": "hi"}]}, False),
    ("POST", "/v1/chat/completions", "/v1/chat/completions", {},
     {"model": "no/such-model", "messages": [{"role": "user", "content": "hi"}]}, True),
    ("POST", "/v1/chat/completions", "/v1/chat/completions", {}, {"model": "x"}, True),
]


@pytest.fixture(scope="module", params=SHAPES)
def reference(request: pytest.FixtureRequest) -> Iterator[TestClient]:
    with TestClient(create_app(api_keys={KEY}, shape=request.param["REFERENCE_SHAPE"])) as client:
        yield client


@pytest.mark.parametrize(("method", "template", "path", "query", "body", "keyed"), REQUESTS,
                         ids=[f"{r[0]} {r[2]}?{'&'.join(f'{k}={v}' for k, v in r[3].items())}"
                              f"{' key' if r[5] else ''} {json.dumps(r[4]) if r[4] else ''}".strip()
                              for r in REQUESTS])
def test_reference_gateway_conforms_to_the_consumer_document(
        reference: TestClient, method: str, template: str, path: str, query: dict[str, Any], body: Any,
        keyed: bool) -> None:
    headers = {"Authorization": f"Bearer {KEY}"} if keyed else {}
    answer = reference.request(method, path, params=query, json=body, headers=headers)
    responses = DOC["paths"][template][method.lower()]["responses"]
    assert str(answer.status_code) in responses, f"{answer.status_code} is not documented: {answer.text[:200]}"
    documented = resolve(DOC, responses[str(answer.status_code)])
    schema = documented["content"]["application/json"]["schema"]
    errors = [str(e) for e in jsonschema_rs.validator_for(schema).iter_errors(answer.json())]
    assert errors == [], f"{method} {path} -> {answer.status_code}: {errors[:3]}"


# --- gateway values come from the contract and the live registry --------------------------------------


FACTS = checks.CatalogFacts.from_contract(load_contract(ROOT / "contracts" / "gatewayz-staging.yaml"))


def test_gateway_names_are_the_contracts_and_the_registrys() -> None:
    names = FACTS.gateway_names()
    assert {"all", "google", "google-vertex", "openrouter"} <= set(names)
    assert "hug" not in names
    live = FACTS.with_registry({"newgw": "newgw", "ng": "newgw", "google": "google-vertex"})
    assert {"newgw", "ng"} <= set(live.gateway_names())
    assert live.slugs["ng"] == "newgw"
    assert live.slugs["google"] == "google-vertex"
    assert live.gateway_names() == sorted(live.gateway_names()), "sorted: derandomized runs draw the same"


def test_gateway_parameters_get_the_format_in_memory_only() -> None:
    marked = mark_gateway_parameters(DOC)
    assert marked["components"]["parameters"]["Gateway"]["schema"]["format"] == GATEWAY_FORMAT
    assert "format" not in DOC["components"]["parameters"]["Gateway"]["schema"], "the document itself is unchanged"
    nullable = {"paths": {"/x": {"get": {"parameters": [
        {"name": "gateway", "in": "query", "schema": {"anyOf": [{"type": "string"}, {"type": "null"}]}}]}}}}
    branches = mark_gateway_parameters(nullable)["paths"]["/x"]["get"]["parameters"][0]["schema"]["anyOf"]
    assert branches == [{"type": "string", "format": GATEWAY_FORMAT}, {"type": "null"}]


def test_generated_gateway_values_are_valid_names_in_any_case() -> None:
    from gateway_contracts.fuzz import spec

    checks.configure(FACTS.with_registry({"newgw": "newgw"}))
    seen: set[str] = set()

    @settings(max_examples=300, database=None, derandomize=True)
    @given(spec._gateway_values())
    def draw(value: str) -> None:
        assert value.lower() in FACTS.with_registry({"newgw": "newgw"}).gateway_names()
        seen.add(value)

    try:
        draw()
    finally:
        checks.configure(checks.CatalogFacts())
    assert any(v != v.lower() for v in seen), "some values are drawn in another letter case"
    assert "newgw" in {v.lower() for v in seen}, "registry names are drawn too"


# --- the target's own spec, judged by the contract's document -------------------------------------------


def _fastapi_like() -> dict[str, Any]:
    """The shape of the real backend's spec: other names, bare 200/422, nullable strings, admin routes."""
    ok = {"200": {"description": "Successful Response", "content": {"application/json": {"schema": {}}}},
          "422": {"description": "Validation Error"}}
    query = [{"name": "gateway", "in": "query", "schema": {"anyOf": [{"type": "string"}, {"type": "null"}]}},
             {"name": "offset", "in": "query", "schema": {"anyOf": [{"type": "integer"}, {"type": "null"}]}}]
    return {"openapi": "3.1.0", "info": {"title": "x", "version": "2"}, "paths": {
        "/v1/models": {"get": {"operationId": "get_all_models", "parameters": query, "responses": ok}},
        "/v1/models/{developer_name}": {"get": {"operationId": "dev", "parameters": [
            {"name": "developer_name", "in": "path", "required": True, "schema": {"type": "string"}}],
            "responses": ok}},
        "/admin/cache/refresh/{gateway}": {"post": {"operationId": "admin", "responses": ok}},
        "/v1/chat/completions": {"post": {"operationId": "chat", "security": [{"HTTPBearer": []}],
                                          "requestBody": {"content": {"application/json": {"schema": {}}}},
                                          "responses": ok}},
    }, "components": {"securitySchemes": {"HTTPBearer": {"type": "http", "scheme": "bearer"}}}}


def test_target_spec_is_restricted_and_judged_by_the_contract() -> None:
    restricted = restrict_to_contract(_fastapi_like(), DOC)
    assert covered(restricted) == {("GET", "/v1/models"), ("GET", "/v1/models/{}"), ("POST", "/v1/chat/completions")}
    models = restricted["paths"]["/v1/models"]["get"]
    assert set(models["responses"]) == {"200", "400", "422", "429"}, "the contract's statuses, not FastAPI's"
    assert models["parameters"][1]["schema"] == {"anyOf": [{"type": "integer"}, {"type": "null"}]}, \
        "the target's own parameters are fuzzed"
    assert models["responses"]["200"]["links"]["nextPage"]["operationId"] == "get_all_models"
    developer = restricted["paths"]["/v1/models/{developer_name}"]["get"]
    assert "503" in developer["responses"]
    chat = restricted["paths"]["/v1/chat/completions"]["post"]
    assert chat["security"] == [{"HTTPBearer": []}]
    assert chat["requestBody"]["content"]["application/json"]["schema"]["required"] == ["model", "messages"]
    assert "$ref" not in json.dumps(restricted["paths"]), "inlined: the target's components need not know ours"
    load_schema(mark_gateway_parameters(restricted), GATE, seed=1, methods=MethodPolicy())  # schemathesis loads it


def test_target_spec_of_the_embedded_gateway_and_of_a_down_target(tmp_path: Path) -> None:
    contract = load_contract(ROOT / "contracts" / "gatewayz-staging.yaml")
    embedded = resolve_source(FuzzSettings(target_spec=True), contract, None)
    assert embedded.document is not None
    # The reference's own document, restricted to the consumer document's operations: all of them are served.
    assert covered(embedded.document) == covered(DOC)
    refused = resolve_source(FuzzSettings(target_spec=True), contract, "https://api.gatewayz.ai")
    assert refused.requests_sent == 0, "nothing is fetched from a host outside the allow-list"
    assert "refusing to fuzz api.gatewayz.ai" in (refused.problem or "")
    down = resolve_source(FuzzSettings(target_spec=True), contract, "http://127.0.0.1:9")
    assert down.document is None
    assert down.requests_sent == 1
    assert (down.problem or "").startswith("FUZZ_SPEC=target: cannot fetch http://127.0.0.1:9/openapi.json")


def test_template_key() -> None:
    assert template_key("/v1/models/{developer_name}") == template_key("/v1/models/{developer}") == "/v1/models/{}"
    assert template_key("/v1/models/search") != template_key("/v1/models/{developer}")


def test_drift_of_a_fastapi_like_live_spec_is_only_what_it_loosens() -> None:
    """The real backend's shape: renamed path parameter without the implied bounds, nullable strings, bare
    200/422, admin routes. Only the missing `offset >= 0` (B6 in the spec itself) and the missing routes are
    drift."""
    rendered = {d.render() for d in compare_specs(DOC, _fastapi_like())}
    assert "GET /v1/models: parameter query 'offset' changed: minimum 0 -> (none) (committed -> live)" in rendered
    assert not any("{developer}" in r for r in rendered), rendered
    assert not any("admin" in r or "security" in r or "gateway'" in r for r in rendered), rendered


def test_drift_against_the_consumer_document_ignores_uncovered_routes() -> None:
    live = copy.deepcopy(reference_spec())
    live["paths"]["/admin/cache/refresh/{gateway}"] = {"post": {"responses": {"200": {"description": "ok"}}}}
    del live["paths"]["/v1/gateways/status"]
    where = {d.where for d in compare_specs(DOC, live)}
    assert not any("/admin" in w for w in where)
    assert "/v1/gateways/status" in where, "a covered route the live spec lacks is drift"


@pytest.mark.slow
def test_drift_reports_routes_missing_from_the_live_spec(tmp_path: Path) -> None:
    """The nightly drift test on a real run: a `catalog-routes-missing` gateway drops its catalog and chat routes
    from its live spec, and the report names each (moved from test_fuzz_faults.py, now in the kill matrix)."""
    from tests.self.suite_run import run_suite

    run = run_suite(("tests/fuzz", "-m", "nightly", "-k", "live_spec", "--reference-fault", "catalog-routes-missing"),
                    tmp_path)
    assert run.status == 1, run.output[-3000:]
    report = run.failed["test_live_spec_matches_committed"]
    for path in ("/v1/models", "/models", "/v1/models/search", "/v1/models/{developer}", "/v1/chat/completions"):
        assert f"{path}: path removed (the committed spec has it, the live spec does not)" in report
    assert "/health" not in report


# --- every distinct failure, typed invariant failures, case counts --------------------------------------


def test_invariant_findings_are_typed_schemathesis_failures() -> None:
    from schemathesis.core.failures import Failure

    class Operation:
        label = "GET /v1/models"

    class Case:
        operation = Operation()
        id = "case-1"

    findings = [Finding("envelope", "total is -1"), Finding("envelope", "returned is 3"),
                Finding("error-body", "HTML"), Finding("brand-new", "x")]
    failures = checks.failures_of(findings, Case())  # type: ignore[arg-type]
    assert all(isinstance(f, Failure) for f in failures)
    # Codes and titles are the finding kinds' (data/kinds.py), stated here as the registry spells them.
    assert [(f.code, f.title) for f in failures] == [
        ("GC101", "Envelope arithmetic (`envelope`)"), ("GC501", "Error body shape (`error-body`)"),
        ("GC000", "unregistered finding kind (`brand-new`)")]
    assert "total is -1" in failures[0].message
    assert "returned is 3" in failures[0].message
    assert type(failures[0]) is checks.failure_class("envelope"), "one class per invariant: stable identity"


def test_failure_log_keeps_every_distinct_failure_once() -> None:
    from schemathesis.checks import not_a_server_error  # noqa: F401  (schemathesis' own failures load)
    from schemathesis.core.failures import ServerError

    from gateway_contracts.fuzz.transport import FailureLog

    schema = load_schema(mark_gateway_parameters(DOC), GATE, seed=1, methods=MethodPolicy())
    operation = schema["/v1/models"]["GET"]
    case = operation.Case(query={"offset": -1})
    with TestClient(create_app()) as client:
        raw = client.get("/v1/models", params={"offset": 0, "limit": 1})
    from schemathesis.core.transport import Response

    response = Response.from_any(raw)
    log = FailureLog(redact=lambda text: text.replace("SECRET", "***"))
    server = ServerError(operation="GET /v1/models", status_code=500)
    envelope = checks.failure_class("envelope")(operation="GET /v1/models", message="SECRET total")
    log.failed(case, response, [server])
    log.failed(case, response, [server, envelope])  # the same server error again, and a new failure
    log.passed()
    assert log.counts == "generated=3 passed=1 failed=2"
    verdict = log.verdict() or ""
    assert verdict.startswith("2 distinct failures in 2 of 3 generated cases:")
    assert verdict.count("ST101") == 1
    assert verdict.count("GC101") == 1
    assert verdict.count("Reproduce with:") == 2
    assert "curl -X GET" in verdict
    assert "SECRET" not in verdict
    assert FailureLog().verdict() is None


def test_findings_are_matched_by_path_template() -> None:
    row = {"id": "openai/x", "name": "X", "source_gateway": "openrouter", "provider_slug": "openai"}
    exchange = Exchange("GET", "http://t/v1/models/openai", 200, "application/json",
                        json.dumps({"developer": "openai",
                                    "models": [row, {**row, "id": "meta/y", "provider_slug": "meta"}]}))
    answer = checks.Answer("GET", "/v1/models/{developer_name}", exchange, {"developer_name": "openai"})
    assert [f.invariant for f in checks.findings_for(answer, FACTS)] == ["provider-filter"]


def test_pagination_walk_finds_its_operations_by_method_and_path() -> None:
    """Not by the reference's operation ids: a target spec names them as it likes."""
    from gateway_contracts.fuzz.profiles import NIGHTLY
    from gateway_contracts.fuzz.transport import FuzzTarget, pagination_operations

    def labels(document: dict[str, Any]) -> set[str]:
        schema = load_schema(mark_gateway_parameters(document), NIGHTLY, seed=1, methods=MethodPolicy())
        FuzzTarget("http://127.0.0.1:9").pagination_machine(schema)  # its links are valid
        walked = pagination_operations(schema)
        return {op.ok().label for op in walked.get_all_operations() if walked.filter_set.applies_to(op.ok())}

    renamed = restrict_to_contract(_fastapi_like(), DOC)  # operationId get_all_models, no /models at all
    assert labels(renamed) == {"GET /v1/models"}
    assert labels(DOC) == {"GET /v1/models", "GET /models"}


def test_fuzz_session_waits_out_a_rate_limit_instead_of_judging_it() -> None:
    """A 429 from a shared limiter is not the API's answer to a case (it once failed chat's auth check)."""
    import requests
    from requests.adapters import BaseAdapter

    from gateway_contracts.fuzz.transport import ThrottledSession
    from gateway_contracts.net.throttle import Throttle

    class Limited(BaseAdapter):
        def __init__(self, statuses: list[tuple[int, dict[str, str]]]) -> None:
            super().__init__()
            self.statuses = statuses

        def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
            status, headers = self.statuses.pop(0)
            response = requests.Response()
            response.status_code, response.request, response._content = status, request, b"{}"
            response.headers.update(headers)
            return response

        def close(self) -> None:
            pass

    waits: list[float] = []
    session = ThrottledSession(Throttle(0), retries=2, sleep=waits.append)
    session.mount("http://t/", Limited([(429, {"Retry-After": "3"}), (429, {}), (200, {})]))
    assert session.get("http://t/v1/models").status_code == 200
    assert (waits, session.sent, session.distinct, session.rate_limited) == ([3.0, 1.0], 3, 1, 2)
    stubborn = ThrottledSession(Throttle(0), retries=1, sleep=waits.append)
    stubborn.mount("http://t/", Limited([(429, {"Retry-After": "600"})]))
    assert stubborn.get("http://t/x").status_code == 429, "a wait over a minute is the answer"


def test_an_unusable_fuzz_spec_is_one_line_and_exit_6(tmp_path: Path) -> None:
    from tests.self.suite_run import SMOKE_FUZZ, run_suite

    bad = tmp_path / "bad.yaml"
    bad.write_text("paths: [\n", encoding="utf-8")
    # Serially: the verdicts are the same with workers (test_xdist_parity.py), which would only add their startup.
    run = run_suite(("tests/fuzz", "-m", "gate"), tmp_path,
                    env={"FUZZ_SPEC": str(bad), **SMOKE_FUZZ})
    assert run.status == 6, run.output[-2000:]
    assert f"gateway-contracts: invalid fuzz setting: FUZZ_SPEC {bad}: not valid YAML" in run.output
    assert "Traceback" not in run.output


@pytest.mark.slow
def test_gate_fuzzing_of_the_consumer_document_passes_against_the_reference(tmp_path: Path) -> None:
    """The full-shape reference gateway as the suite starts it, fuzzed with the gate profile against the consumer
    document: every operation passes (all of schemathesis' checks and ours). The sparse shape with its staging
    contract (which names this document) is the kill matrix's `healthy-with-fuzzing@sparse`."""
    from tests.self.suite_run import run_suite

    # Serially: the verdicts are the same with workers (test_xdist_parity.py), which would only add their startup.
    run = run_suite(("tests/fuzz", "-m", "gate"), tmp_path,
                    env={"FUZZ_SPEC": str(CONSUMER), "REFERENCE_SHAPE": "full", "CONTRACTS": "contracts/gateways.yaml"})
    fuzzed = {f"test_fuzz_gate[{m} {p}]" for m, p, _ in operations(DOC)}
    assert not run.failed, {k: v[:600] for k, v in run.failed.items()}
    assert run.passed | set(run.failed) == fuzzed, run.output[-2000:]


def test_generation_keeps_negative_bounds_and_valid_gateways() -> None:
    """Positive cases carry only valid gateways and in-bounds numbers; negative ones still cross the bounds."""
    from hypothesis import HealthCheck
    from schemathesis.generation import GenerationMode

    facts = FACTS.with_registry({"newgw": "newgw"})
    checks.configure(facts)
    schema = load_schema(mark_gateway_parameters(DOC), GATE, seed=1, methods=MethodPolicy())
    operation = schema["/v1/models"]["GET"]
    drawn: dict[GenerationMode, list[dict[str, Any]]] = {GenerationMode.POSITIVE: [], GenerationMode.NEGATIVE: []}
    try:
        for mode in drawn:
            @settings(max_examples=150, database=None, derandomize=True, suppress_health_check=list(HealthCheck))
            @given(operation.as_strategy(generation_mode=mode))
            def draw(case: Any) -> None:
                drawn[case.meta.generation.mode].append(dict(case.query or {}))

            draw()
    finally:
        checks.configure(checks.CatalogFacts())
    names = set(facts.gateway_names())
    for query in drawn[GenerationMode.POSITIVE]:
        assert str(query.get("gateway", "all")).lower() in names, query
        assert 1 <= query.get("limit", 100) <= 1000, query
        assert query.get("offset", 0) >= 0, query
    negative = drawn[GenerationMode.NEGATIVE]
    assert any(isinstance(q.get("offset"), int) and q["offset"] < 0 for q in negative)
    assert any(isinstance(q.get("limit"), int) and not 1 <= q["limit"] <= 1000 for q in negative)
