"""Unit tests of the fuzz layer: spec drift, safety, settings, profiles, the committed spec and the checks.

The checks are fed real answers of the reference gateway (healthy and faulty, in-process) so they are
tested against the bodies they will see, not hand-made approximations.
"""

from __future__ import annotations

import copy
import json
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jsonschema_rs
import pytest

with warnings.catch_warnings():  # starlette's TestClient warns about httpx on import
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from gateway_contracts.contract import load_contract
from gateway_contracts.data.exchange import Exchange
from gateway_contracts.fuzz import checks
from gateway_contracts.fuzz.__main__ import main as fuzz_cli
from gateway_contracts.fuzz.documents import labels
from gateway_contracts.fuzz.drift import Drift, compare_specs
from gateway_contracts.fuzz.profiles import GATE, NIGHTLY, config_dict, schemathesis_config
from gateway_contracts.fuzz.safety import (
    MethodPolicy,
    SafetyError,
    host_allowed,
    parse_methods,
    refusal,
)
from gateway_contracts.fuzz.settings import DEFAULT_SEED, resolve_settings
from gateway_contracts.fuzz.spec import COMMITTED_SPEC, load_schema, read_spec, reference_spec
from gateway_testbed.reference import create_app
from gateway_testbed.reference.generator import ALIASES, SPECS
from gateway_testbed.reference.openapi import GATEWAY_VALUES, case_insensitive_pattern

ROOT = Path(__file__).resolve().parents[4]
SPEC = read_spec(ROOT / COMMITTED_SPEC)
KEY = "unit-test-key"
FACTS = checks.CatalogFacts.from_contract(load_contract(ROOT / "contracts" / "gateways.yaml"))


# --- spec drift -----------------------------------------------------------------------------------


def _drifted(change: Any) -> list[Drift]:
    live = copy.deepcopy(SPEC)
    change(live)
    return compare_specs(SPEC, live)


def _param(spec: dict[str, Any], path: str, name: str) -> dict[str, Any]:
    return next(p for p in spec["paths"][path]["get"]["parameters"] if p["name"] == name)


def test_identical_specs_have_no_drift() -> None:
    assert compare_specs(SPEC, copy.deepcopy(SPEC)) == []


def test_removed_paths_and_operations_are_drift_added_ones_are_not() -> None:
    drifts = _drifted(lambda s: (s["paths"].pop("/v1/models/search"), s["paths"].update({"/v2/x": {"get": {}}})))
    assert [(d.kind, d.where, d.what) for d in drifts] == [("removed", "/v1/models/search", "path")]
    # A route or method the committed document does not describe (an admin route) is not drift of its API.
    assert _drifted(lambda s: s["paths"]["/v1/models"].update({"delete": {"responses": {"204": {}}}})) == []
    drifts = _drifted(lambda s: s["paths"]["/v1/chat/completions"].pop("post"))
    assert [(d.kind, d.where, d.what) for d in drifts] == [("removed", "POST /v1/chat/completions", "operation")]
    assert drifts[0].render() == (
        "POST /v1/chat/completions: operation removed (the committed spec has it, the live spec does not)"
    )


def test_drift_matches_operations_by_path_template() -> None:
    """The real backend calls the developer parameter `developer_name`: the same route, the same parameter."""
    def rename(spec: dict[str, Any]) -> None:
        item = spec["paths"].pop("/v1/models/{developer}")
        item["get"]["parameters"][0]["name"] = "developer_name"
        item["get"]["parameters"].append({"name": "limit", "in": "query", "schema": {"type": "integer"}})
        spec["paths"]["/v1/models/{developer_name}"] = item

    assert _drifted(rename) == [], "a renamed path parameter and an added optional one are not drift"


def test_parameter_changes() -> None:
    def change(spec: dict[str, Any]) -> None:
        _param(spec, "/v1/models", "limit")["schema"]["maximum"] = 500
        _param(spec, "/v1/models", "offset")["schema"].pop("minimum")
        _param(spec, "/v1/models", "gateway")["schema"] = {"type": "string"}
        params = spec["paths"]["/v1/models"]["get"]["parameters"]
        params.remove(_param(spec, "/v1/models", "provider"))
        params.append({"name": "page", "in": "query", "required": True, "schema": {"type": "integer"}})

    rendered = [d.render() for d in _drifted(change)]
    assert "GET /v1/models: parameter query 'limit' changed: maximum 1000 -> 500 (committed -> live)" in rendered
    assert "GET /v1/models: parameter query 'offset' changed: minimum 0 -> (none) (committed -> live)" in rendered
    assert any(r.startswith("GET /v1/models: parameter query 'gateway' changed: pattern '^(?:") for r in rendered)
    # Two long patterns are shown from their first difference, or both would read the same.
    one_letter = _drifted(lambda s: _param(s, "/v1/models", "gateway")["schema"].update(
        pattern=_param(SPEC, "/v1/models", "gateway")["schema"]["pattern"].replace("[xX]", "[x]")))
    assert "pattern '...[tT][eE][xX]|" in one_letter[0].detail
    assert "-> '...[tT][eE][x]|" in one_letter[0].detail
    assert any("parameter query 'gateway' changed: minLength 1 -> (none)" in r for r in rendered)
    assert "GET /v1/models: parameter query 'provider' removed (the committed spec has it, the live spec does " \
           "not)" in rendered
    assert "GET /v1/models: parameter query 'page' (required) added (the live spec has it, the committed spec " \
           "does not)" in rendered
    assert len(rendered) == 6
    optional = _drifted(lambda s: s["paths"]["/v1/models"]["get"]["parameters"].append(
        {"name": "is_private", "in": "query", "schema": {"type": "boolean"}}))
    assert optional == [], "an added optional parameter asks nothing of a client"


def test_type_required_and_nullable_parameters() -> None:
    def change(spec: dict[str, Any]) -> None:
        limit = _param(spec, "/v1/models", "limit")
        limit["schema"] = {"anyOf": [{"type": "string"}, {"type": "null"}]}
        limit["required"] = True

    rendered = {d.render() for d in _drifted(change)}
    assert "GET /v1/models: parameter query 'limit' changed: required False -> True (committed -> live)" in rendered
    assert "GET /v1/models: parameter query 'limit' changed: type 'integer' -> 'string' (committed -> live)" in rendered
    # A nullable wrapper around the same constraints is not a change.
    same = _drifted(lambda s: _param(s, "/v1/models", "provider").update(
        schema={"anyOf": [_param(SPEC, "/v1/models", "provider")["schema"], {"type": "null"}]}))
    assert same == []


def test_responses_security_body_and_refs() -> None:
    def change(spec: dict[str, Any]) -> None:
        operation = spec["paths"]["/v1/chat/completions"]["post"]
        operation["responses"].pop("401")
        operation["responses"]["418"] = {"description": "teapot"}
        operation.pop("security")
        operation["requestBody"]["required"] = False

    rendered = [d.render() for d in _drifted(change)]
    # A response the live spec no longer documents is not drift (FastAPI documents only 200 and 422); a new
    # one is (a status clients must handle).
    assert rendered == [
        "POST /v1/chat/completions: request body changed: required True -> False (committed -> live)",
        "POST /v1/chat/completions: response 418 added (the live spec has it, the committed spec does not)",
        "POST /v1/chat/completions: security changed: ['http bearer'] -> [] (committed -> live)",
    ]

    def renamed_scheme(spec: dict[str, Any]) -> None:  # FastAPI calls it HTTPBearer: the same requirement
        spec["components"]["securitySchemes"] = {"HTTPBearer": {"type": "http", "scheme": "bearer"}}
        spec["paths"]["/v1/chat/completions"]["post"]["security"] = [{"HTTPBearer": []}]

    assert _drifted(renamed_scheme) == []
    # A parameter moved behind a $ref is the same parameter.
    def by_ref(spec: dict[str, Any]) -> None:
        params = spec["paths"]["/v1/models"]["get"]["parameters"]
        index = params.index(_param(spec, "/v1/models", "limit"))
        spec["components"]["parameters"] = {"Limit": params[index]}
        params[index] = {"$ref": "#/components/parameters/Limit"}

    assert _drifted(by_ref) == []


def test_the_real_api_shape_drifts_as_expected() -> None:
    """The real backend declares bare strings and no bounds: drift says exactly what the contract adds."""
    live = copy.deepcopy(SPEC)
    _param(live, "/v1/models", "gateway")["schema"] = {"type": "string", "default": "all"}
    _param(live, "/v1/models", "offset")["schema"] = {"type": "integer", "default": 0}
    kinds = {(d.where, d.what, d.kind) for d in compare_specs(SPEC, live)}
    assert ("GET /v1/models", "parameter query 'offset'", "changed") in kinds
    assert ("GET /v1/models", "parameter query 'gateway'", "changed") in kinds


def test_drift_tolerates_malformed_documents() -> None:
    assert compare_specs({}, {"paths": []}) == []
    assert [d.what for d in compare_specs({"paths": {"/a": {"get": {"parameters": [{"$ref": "#/nope"}]}}}},
                                          {"paths": {"/a": {"get": {}}}})] == []


# --- the committed spec ---------------------------------------------------------------------------


def test_committed_spec_is_the_reference_gateways() -> None:
    assert reference_spec() == SPEC, "regenerate: python -m gateway_contracts.fuzz write-spec"


def test_fuzz_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "spec.json"
    assert fuzz_cli(["write-spec", "--output", str(out)]) == 0
    assert fuzz_cli(["check-spec", "--spec", str(out)]) == 0
    live = tmp_path / "live.json"
    spec = read_spec(out)
    spec["paths"].pop("/models")
    live.write_text(json.dumps(spec))
    assert fuzz_cli(["drift", str(live), "--spec", str(out)]) == 1
    assert "/models: path removed" in capsys.readouterr().out
    assert fuzz_cli(["check-spec", "--spec", str(live)]) == 1


def test_gateway_parameter_is_the_closed_set_in_any_case() -> None:
    assert set(GATEWAY_VALUES) == {"all", *SPECS, *ALIASES}
    pattern = case_insensitive_pattern(GATEWAY_VALUES)
    # JSON Schema's reading (ECMA-262, `$` is the end of the string), as schemathesis validates it.
    schema = jsonschema_rs.validator_for({"type": "string", "pattern": pattern})
    for value in (*GATEWAY_VALUES, "ALL", "HuGgInGfAcE", "Google-Vertex", "hUG"):
        assert schema.is_valid(value), value
    for value in ("", "al", "alll", "open router", "hug\n", "huggingface2", "aimo"):
        assert not schema.is_valid(value), value
    with TestClient(create_app()) as client:  # the pattern states what the server accepts, and only that
        for value in ("ALL", "Google-Vertex", "hUG"):
            assert client.get("/v1/models", params={"gateway": value, "limit": 1}).status_code == 200
        assert client.get("/v1/models", params={"gateway": "aimo"}).status_code == 400
    for path in ("/v1/models", "/models", "/v1/models/search"):
        assert _param(SPEC, path, "gateway")["schema"]["pattern"] == pattern


def test_every_operation_documents_its_statuses_with_schemas() -> None:
    for path, item in SPEC["paths"].items():
        for method, operation in item.items():
            for status, response in operation["responses"].items():
                schema = response["content"]["application/json"]["schema"]
                assert schema, f"{method.upper()} {path} {status} has no schema"
    links = SPEC["paths"]["/v1/models"]["get"]["responses"]["200"]["links"]["nextPage"]
    assert links["parameters"]["offset"] == "$response.body#/next_offset"
    assert links["operationId"] == "list_models"


def test_chat_accepts_integral_float_max_tokens() -> None:
    body = {"model": "openai/gpt-4o", "messages": [{"role": "user", "content": "hi"}]}
    with TestClient(create_app(api_keys={KEY})) as client:
        auth = {"Authorization": f"Bearer {KEY}"}
        assert client.post("/v1/chat/completions", json={**body, "max_tokens": 3.0}, headers=auth).status_code == 200
        for bad in (3.5, True, "3", 0):
            response = client.post("/v1/chat/completions", json={**body, "max_tokens": bad}, headers=auth)
            assert response.status_code == 422, bad


# --- safety and settings --------------------------------------------------------------------------


def test_host_allow_list() -> None:
    allowed = ("127.0.0.1", "localhost", "*.staging.example.com")
    assert host_allowed("http://127.0.0.1:8080", allowed)
    assert host_allowed("https://api.staging.example.com/v1", allowed)
    assert host_allowed("https://API.Staging.Example.com", allowed)
    assert not host_allowed("https://staging.example.com", allowed)
    assert not host_allowed("https://api.gatewayz.ai", allowed)
    assert not host_allowed("not a url", allowed)
    line = refusal("https://api.gatewayz.ai/", ("127.0.0.1", "localhost"))
    assert line is not None
    assert "\n" not in line
    assert line.startswith("refusing to fuzz api.gatewayz.ai: it is not in the fuzz allow-list (127.0.0.1, localhost)")
    assert "FUZZ_ALLOWED_HOSTS=127.0.0.1,localhost,api.gatewayz.ai" in line
    assert refusal("http://localhost:9", ("localhost",)) is None


def test_method_policy() -> None:
    safe = MethodPolicy()
    assert safe.skip_reason("GET", "/v1/models", has_key=False) is None
    assert safe.skip_reason("OPTIONS", "/v1/models", has_key=False) is None
    assert safe.skip_reason("POST", "/v1/chat/completions", has_key=True) is None
    assert "only with a key" in (safe.skip_reason("POST", "/v1/chat/completions", has_key=False) or "")
    assert "FUZZ_ALLOW_METHODS=DELETE" in (safe.skip_reason("DELETE", "/v1/models", has_key=True) or "")
    assert safe.unexpected_methods() == ["get", "options"]  # no unsafe method is sent as a 405 probe either
    loose = MethodPolicy(parse_methods("post, delete"))
    assert loose.skip_reason("DELETE", "/v1/models", has_key=False) is None
    assert loose.skip_reason("POST", "/v1/chat/completions", has_key=False) is None
    assert loose.unexpected_methods() == ["delete", "get", "options", "post"]
    with pytest.raises(SafetyError, match="unknown HTTP method"):
        parse_methods("GET,FETCH")


def test_settings_resolution(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("FUZZ_ALLOWED_HOSTS", "FUZZ_ALLOW_METHODS", "FUZZ_SEED", "FUZZ_SPEC"):
        monkeypatch.delenv(name, raising=False)
    default = resolve_settings(root=tmp_path)
    assert (default.allowed_hosts, default.methods.allowed, default.seed) == (
        ("127.0.0.1", "localhost"), frozenset(), DEFAULT_SEED)
    assert (default.spec, default.target_spec) == (None, False), "no override: the contract's `openapi` document"
    assert resolve_settings(spec="contracts/x.yaml", root=tmp_path).spec == tmp_path / "contracts" / "x.yaml"
    target = resolve_settings(spec="target", root=tmp_path)
    assert (target.spec, target.target_spec) == (None, True)
    monkeypatch.setenv("FUZZ_ALLOWED_HOSTS", "staging.example.com, localhost")
    monkeypatch.setenv("FUZZ_ALLOW_METHODS", "put")
    monkeypatch.setenv("FUZZ_SEED", "7")
    env = resolve_settings(root=tmp_path)
    assert (env.allowed_hosts, env.methods.allowed, env.seed) == (
        ("staging.example.com", "localhost"), frozenset({"PUT"}), 7)
    assert resolve_settings(hosts="a", seed=9).allowed_hosts == ("a",)  # options win over the environment
    monkeypatch.setenv("FUZZ_SEED", "tomorrow")
    with pytest.raises(SafetyError, match="FUZZ_SEED"):
        resolve_settings()


def test_fuzzed_operations_are_method_and_path_labels(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FUZZ_OPERATIONS", raising=False)
    assert resolve_settings().operations == ()  # all of them
    chosen = resolve_settings(operations="get /v1/models/search, POST /v1/chat/completions,GET /v1/models/search")
    assert chosen.operations == ("GET /v1/models/search", "POST /v1/chat/completions")
    monkeypatch.setenv("FUZZ_OPERATIONS", "GET /health")
    assert resolve_settings().operations == ("GET /health",)
    for bad in ("/v1/models", "GET v1/models", "GET"):
        with pytest.raises(SafetyError, match="is not 'METHOD /path'"):
            resolve_settings(operations=bad)


def test_a_schema_of_some_operations_generates_for_those_only() -> None:
    document = reference_spec()
    only = ("GET /v1/models/search", "POST /v1/chat/completions")
    schema = load_schema(document, GATE, seed=1, methods=MethodPolicy(), only=only)
    assert sorted(result.ok().label for result in schema.get_all_operations()) == sorted(only)
    everything = load_schema(document, GATE, seed=1, methods=MethodPolicy())
    assert {result.ok().label for result in everything.get_all_operations()} == set(labels(document))


def test_profiles() -> None:
    policy = MethodPolicy()
    gate, nightly = (config_dict(p, seed=5, methods=policy) for p in (GATE, NIGHTLY))
    assert gate["generation"]["deterministic"] is True
    assert gate["phases"]["coverage"]["enabled"] is False
    assert gate["phases"]["stateful"]["enabled"] is False
    assert nightly["phases"]["coverage"]["enabled"] is True
    assert nightly["phases"]["stateful"]["enabled"] is True
    assert nightly["generation"]["max-examples"] > gate["generation"]["max-examples"]
    assert gate["generation"]["database"] == "none"
    for profile in (GATE, NIGHTLY):
        config = schemathesis_config(profile, seed=5, methods=policy)  # valid for schemathesis itself
        assert config.seed == 5
        project = config.projects.get({})
        assert project.phases.coverage.unexpected_methods == {"get", "options"}


# --- the checks -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def healthy() -> Iterator[TestClient]:
    with TestClient(create_app(api_keys={KEY})) as client:
        yield client


def _answer(client: TestClient, path: str, template: str | None = None, method: str = "GET", body: Any = None,
            positive: bool = True, **params: Any) -> checks.Answer:
    if method == "POST":
        response = client.post(path, json=body, headers={"Authorization": f"Bearer {KEY}"})
    else:
        response = client.get(path, params=params)
    exchange = _exchange(response)
    parameters = {"developer": path.rsplit("/", 1)[-1]} if template == checks.DEVELOPER_PATH else {}
    return checks.Answer(method, template or path, exchange, parameters, body, positive)


def _exchange(response: httpx.Response) -> Exchange:
    return Exchange(method=response.request.method, url=str(response.request.url), status=response.status_code,
                    content_type=response.headers.get("content-type", ""), text=response.text)


@pytest.mark.parametrize(
    ("path", "template", "params"),
    [
        ("/v1/models", None, {"gateway": "HUG", "limit": 50, "offset": 1180}),
        ("/v1/models", None, {"gateway": "all", "limit": 1000, "offset": 3000}),
        ("/models", None, {"gateway": "all", "unique_models": "true", "limit": 200}),
        ("/v1/models", None, {"gateway": "openrouter", "provider": "openai"}),
        ("/v1/models/search", None, {"q": "GPT", "gateway": "openrouter", "limit": 7, "offset": 3}),
        ("/v1/models/search", None, {"q": "", "offset": 50000}),
        ("/v1/models/openai", checks.DEVELOPER_PATH, {}),
        ("/v1/gateways", None, {}),
        ("/v1/models", None, {"gateway": "nope"}),
        ("/v1/models", None, {"limit": "x"}),
        ("/v1/models/nobody", checks.DEVELOPER_PATH, {}),
    ],
)
def test_healthy_answers_have_no_findings(healthy: TestClient, path: str, template: str | None,
                                          params: dict[str, Any]) -> None:
    assert checks.findings_for(_answer(healthy, path, template, **params), FACTS) == []


def _faulty(fault: str, path: str, template: str | None = None, **params: Any) -> list[str]:
    with TestClient(create_app(faults=[fault], api_keys={KEY})) as client:
        findings = checks.findings_for(_answer(client, path, template, **params), FACTS)
    return [f"[{f.invariant}] {f.message}" for f in findings]


@pytest.mark.parametrize(
    ("fault", "params", "expected"),
    [
        ("total-mismatch", {"gateway": "groq"}, "[page-size] offset=0 limit=100: 19 rows, expected 26"),
        ("silent-page-cap", {"gateway": "featherless", "limit": 1000}, "[page-size] offset=0 limit=1000: 500 rows"),
        ("has-more-lies", {"gateway": "all", "limit": 10}, "[envelope] has_more is False"),
        ("next-offset-stalls", {"gateway": "all", "limit": 10, "offset": 30}, "[envelope] next_offset is 30"),
        ("envelope-models-key", {"gateway": "groq"}, "[envelope] expected the model list under 'data'"),
        ("source-gateway-leak", {"gateway": "together"}, "[source-gateway] 5 row(s): source_gateway 'openrouter'"),
        ("python-repr-ids", {"gateway": "cerebras"}, "[model-id-format] 2 row(s)"),
        ("negative-prices", {"gateway": "openrouter", "limit": 1000}, "[pricing] 3 row(s): pricing.prompt is negative"),
        ("field-type-drift", {"gateway": "openrouter"}, "[pricing] 100 row(s): pricing.prompt is a JSON float"),
        ("hf-duplicate-block", {"gateway": "huggingface", "limit": 1000}, "[no-duplicate-ids]"),
        ("all-duplicate-rows", {"gateway": "all", "limit": 1000, "offset": 8260}, "[aggregate-unique-pairs]"),
        ("limit-ignored", {"gateway": "openrouter", "limit": 10}, "[envelope] 340 rows for limit=10"),
    ],
)
def test_catalog_faults_are_findings(fault: str, params: dict[str, Any], expected: str) -> None:
    found = _faulty(fault, "/v1/models", **params)
    assert any(f.startswith(expected) for f in found), found


def test_error_bodies(healthy: TestClient) -> None:
    # The invariant itself: tests/self/unit/invariants/test_responses.py; here a fuzzed answer reaches it.
    with TestClient(create_app(faults=["html-error-page"])) as client:
        html = _answer(client, "/v1/models", gateway="chutes")
    assert [f.invariant for f in checks.findings_for(html, FACTS)] == ["error-body"]


def test_search_and_developer_and_registry_findings() -> None:
    def search(body: dict[str, Any], url: str = "http://t/v1/models/search?q=gpt&limit=2&offset=0") -> list[str]:
        answer = checks.Answer("GET", checks.SEARCH_PATH, Exchange("GET", url, 200, "application/json",
                                                                   json.dumps(body)))
        return [f.message for f in checks.findings_for(answer, FACTS)]

    row = {"id": "openai/gpt-4o", "name": "GPT", "source_gateway": "openrouter", "provider_slug": "openai",
           "context_length": 1, "pricing": None}
    good = {"success": True, "data": [row], "meta": {"total": 1, "limit": 2, "offset": 0, "returned": 1}}
    assert search(good) == []
    assert any("meta.returned is 2" in m for m in search({**good, "meta": {**good["meta"], "returned": 2}}))
    described = {**row, "description": "A model by OpenAI"}
    described_good = {**good, "data": [described]}
    assert any("in none of id, name, description" in m
               for m in search(described_good, "http://t/v1/models/search?q=claude&limit=2&offset=0"))
    # The API searches the description too: a row that does not serve one cannot be judged ...
    assert search(good, "http://t/v1/models/search?q=claude&limit=2&offset=0") == []
    # ... and a hit by description, by provider or in another letter case is a hit.
    assert search(described_good, "http://t/v1/models/search?q=BY%20OPENAI&limit=2&offset=0") == []
    by_provider = {**good, "data": [{**described, "provider": "Anthropic"}]}
    assert search(by_provider, "http://t/v1/models/search?q=anthrop&limit=2&offset=0") == []
    assert any("expected 0" in m for m in search(good, "http://t/v1/models/search?q=gpt&limit=2&offset=5"))

    def developer(body: dict[str, Any], path: str = "openai") -> list[str]:
        answer = checks.Answer("GET", checks.DEVELOPER_PATH, Exchange("GET", f"http://t/v1/models/{path}", 200,
                                                                      "application/json", json.dumps(body)),
                               {"developer": path})
        return [f.message for f in checks.findings_for(answer, FACTS)]

    assert developer({"developer": "openai", "models": [row], "total": 1}) == []
    # `total` counts the whole listing; the page is cut after (limit 100 by default).
    assert developer({"developer": "openai", "models": [row], "total": 240, "count": 1}) == []
    assert any("total is 0" in m for m in developer({"developer": "openai", "models": [row], "total": 0}))
    assert any("count is 2" in m for m in developer({"developer": "openai", "models": [row], "count": 2}))
    assert any("limit is ignored" in m for m in developer({"models": [row, {**row, "source_gateway": "openai"}]},
                                                         "openai?limit=1"))
    assert any("neither under 'openai/'" in m for m in developer(
        {"developer": "openai", "models": [{**row, "id": "x/gpt", "provider_slug": "x"}], "total": 1}))
    # Matching is an id prefix OR the provider_slug, case-insensitively.
    assert developer({"developer": "OpenAI", "models": [{**row, "provider_slug": "azure"}]}, "OpenAI") == []
    # The router decodes the segment and the API strips blanks and a leading @: the echo may be either form.
    assert developer({"developer": "openai", "models": [row]}, "%20%40openai%20") == []
    assert developer({"developer": "\xad", "models": []}, "%C2%AD") == []
    assert any("developer echoes 'anthropic'" in m for m in developer({"developer": "anthropic", "models": [row]}))
    # provider_slug is optional in the API: a sparse row (id, name, source_gateway) cannot be judged by it.
    sparse = {"id": "meta/llama", "name": "Llama", "source_gateway": "openrouter"}
    assert developer({"developer": "openai", "models": [sparse], "total": 1}) == []

    def registry(body: dict[str, Any]) -> list[str]:
        answer = checks.Answer("GET", checks.REGISTRY_PATH, Exchange("GET", "http://t/v1/gateways", 200,
                                                                     "application/json", json.dumps(body)))
        return [f.message for f in checks.findings_for(answer, FACTS)]

    entry = {"id": "huggingface", "aliases": ["hug"]}
    assert registry({"data": [entry], "total": 1}) == []
    assert any("names more than one" in m for m in registry({"data": [entry, {"id": "hug"}], "total": 2}))
    assert any("total is '1'" in m for m in registry({"data": [entry], "total": "1"}))


def _list_page(url: str, rows: list[dict[str, Any]], gateway: str, total: int | None = None) -> list[str]:
    """The catalog checks over one hand-made 200 page of `url` (offset 0, the limit of the URL or 100)."""
    query = checks.sent_query(url)
    limit = int(query.get("limit", ["100"])[-1])
    total = len(rows) if total is None else total
    body = {"data": rows, "total": total, "returned": len(rows), "offset": 0, "limit": limit,
            "has_more": len(rows) < total, "next_offset": len(rows) if len(rows) < total else None,
            "gateway": gateway}
    answer = checks.Answer("GET", "/v1/models", Exchange("GET", url, 200, "application/json", json.dumps(body)))
    return [f"[{f.invariant}] {f.message}" for f in checks.findings_for(answer, FACTS)]


ROW = {"id": "openai/gpt-4o", "name": "GPT-4o", "source_gateway": "openrouter", "provider_slug": "openai"}


def test_provider_filter_is_judged_as_the_api_matches() -> None:
    other = {**ROW, "id": "meta-llama/llama-3", "provider_slug": "meta-llama"}
    # An empty (or blank, or bare @) provider is no filter: every developer's rows are right.
    for value in ("", "%20", "%40"):
        assert _list_page(f"http://t/v1/models?gateway=openrouter&provider={value}", [ROW, other], "openrouter") == []
    # Case-insensitive, a leading @ dropped, an id prefix OR the provider_slug.
    assert _list_page("http://t/v1/models?gateway=openrouter&provider=%40OpenAI", [ROW], "openrouter") == []
    azure_hosted = {**ROW, "provider_slug": "azure"}  # the id prefix selects it
    assert _list_page("http://t/v1/models?gateway=openrouter&provider=openai", [azure_hosted], "openrouter") == []
    by_slug = {**ROW, "id": "gpt-4o"}  # no prefix, the slug selects it
    assert _list_page("http://t/v1/models?gateway=openrouter&provider=openai", [by_slug], "openrouter") == []
    found = _list_page("http://t/v1/models?gateway=openrouter&provider=openai", [ROW, other], "openrouter")
    assert found == ["[provider-filter] 1 rows are neither under 'openai/' nor from provider_slug 'openai'"]
    # A row that names no slug (or a null one) and lacks the prefix cannot be judged.
    unnamed = {k: v for k, v in other.items() if k != "provider_slug"}
    null_slug = {**other, "id": "meta-llama/llama-3.1", "provider_slug": None}
    assert _list_page("http://t/v1/models?gateway=openrouter&provider=openai", [unnamed, null_slug], "openrouter") == []


def test_unique_rows_have_their_own_shape_only_for_the_aggregate() -> None:
    unique = {"id": "openai/gpt-4o", "name": "GPT-4o", "providers": [{"slug": "openrouter"}], "provider_slug": None}
    assert _list_page("http://t/v1/models?gateway=all&unique_models=true", [unique], "all") == []
    assert any("providers is not a list" in m for m in _list_page(
        "http://t/v1/models?gateway=all&unique_models=1", [{**unique, "providers": "openrouter"}], "all"))
    assert any("[no-duplicate-ids]" in m for m in _list_page(
        "http://t/v1/models?gateway=all&unique_models=true", [unique, unique], "all"))
    # Outside unique mode an aggregate row names its gateway; a single gateway ignores unique_models.
    assert any("name no source_gateway" in m for m in _list_page("http://t/v1/models?gateway=all", [unique], "all"))
    assert any("[source-gateway]" in m for m in _list_page(
        "http://t/v1/models?gateway=openrouter&unique_models=true", [unique], "openrouter"))


def test_the_envelope_may_echo_any_name_of_the_gateway() -> None:
    hf = {**ROW, "source_gateway": "hug"}
    for echo in ("hug", "huggingface"):
        assert _list_page("http://t/v1/models?gateway=hUGgInGfAce", [hf], echo) == []
    assert any("gateway echoes 'openrouter'" in m
               for m in _list_page("http://t/v1/models?gateway=huggingface", [hf], "openrouter"))


def test_chat_checks(healthy: TestClient) -> None:
    base = {"messages": [{"role": "user", "content": "hi"}]}
    ok = _answer(healthy, "/v1/chat/completions", method="POST", body={**base, "model": "openai/gpt-4o"})
    assert checks.findings_for(ok, FACTS) == []
    assert checks.chat_rejection(ok, FACTS) == []
    unknown = _answer(healthy, "/v1/chat/completions", method="POST", body={**base, "model": "no/such"})
    assert unknown.exchange.status == 400
    assert checks.chat_rejection(unknown, FACTS) == []
    contracted = checks.Answer(ok.method, ok.path, unknown.exchange, body={**base, "model": "openai/gpt-4o"})
    assert "contracted chat model" in checks.chat_rejection(contracted, FACTS)[0].message
    other = Exchange("POST", "http://t/v1/chat/completions", 400, "application/json",
                     '{"detail": "There was an error parsing the body"}')
    assert "not model_not_priced" in checks.chat_rejection(checks.Answer("POST", checks.CHAT_PATH, other,
                                                                         body={**base, "model": "x"}), FACTS)[0].message
    negative = checks.Answer("POST", checks.CHAT_PATH, other, body={"model": 5}, positive=False)
    assert checks.chat_rejection(negative, FACTS) == []
    with TestClient(create_app(faults=["chat-502-html"], api_keys={KEY})) as client:
        arch = _answer(client, "/v1/chat/completions", method="POST",
                       body={**base, "model": "katanemo/Arch-Router-1.5B"})
    assert [f.invariant for f in checks.findings_for(arch, FACTS)] == ["error-body"]


def test_next_page_continuity(healthy: TestClient) -> None:
    first = _exchange(healthy.get("/v1/models", params={"gateway": "groq", "limit": 8}))
    second = _exchange(healthy.get("/v1/models", params={"gateway": "groq", "limit": 8, "offset": 8}))
    assert checks.next_page(first, second) == []
    again = _exchange(healthy.get("/v1/models", params={"gateway": "groq", "limit": 8, "offset": 0}))
    assert "starts at offset 0" in checks.next_page(first, again)[0].message
    with TestClient(create_app(faults=["next-offset-stalls"])) as client:
        stalled = _exchange(client.get("/v1/models", params={"gateway": "groq", "limit": 8}))
        repeat = _exchange(client.get("/v1/models", params={"gateway": "groq", "limit": 8, "offset": 0}))
    assert "served again" in checks.next_page(stalled, repeat)[0].message
    other_query = _exchange(healthy.get("/v1/models", params={"gateway": "xai", "limit": 3, "offset": 8}))
    assert checks.next_page(first, other_query) == []  # another query's page: only its offset is checked


def test_the_fuzz_session_reads_the_environment_once_for_its_origin(monkeypatch: pytest.MonkeyPatch) -> None:
    from gateway_contracts.fuzz.transport import ThrottledSession
    from gateway_contracts.net.throttle import Throttle

    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.corp:3128")
    monkeypatch.setenv("NO_PROXY", "localhost")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/corp-ca.pem")
    monkeypatch.setenv("NETRC", "/nonexistent")
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)  # requests' other CA variable, set on some machines
    session = ThrottledSession(Throttle(0), origin="https://staging.example")
    assert session.proxies["https"] == "http://proxy.corp:3128", "the proxy the environment names for it"
    assert session.verify == "/etc/corp-ca.pem"
    assert not session.trust_env, "requests would read the environment again for every request"
    bypassed = ThrottledSession(Throttle(0), origin="https://localhost:8443")
    assert "https" not in bypassed.proxies  # NO_PROXY names it
    assert bypassed.verify == "/etc/corp-ca.pem"
    monkeypatch.delenv("REQUESTS_CA_BUNDLE")
    assert ThrottledSession(Throttle(0), origin="http://127.0.0.1:1").verify is True


def test_throttled_session_waits_before_every_request_sends_repeats_once_and_keeps_no_cookies() -> None:
    from fastapi.responses import PlainTextResponse

    from gateway_contracts.fuzz.transport import FuzzTarget, ThrottledSession
    from gateway_contracts.net.throttle import Throttle
    from gateway_testbed.reference import EmbeddedGateway

    waits: list[float] = []
    throttle = Throttle(4.0, clock=lambda: float(len(waits)) * 0.0, sleep=waits.append)
    session = ThrottledSession(throttle)
    gateway = EmbeddedGateway()

    @gateway.app.get("/cookie")
    async def cookie() -> PlainTextResponse:
        response = PlainTextResponse("set")
        response.set_cookie("sid", "x")
        return response

    with gateway:
        for case_id in ("case-1", "case-2"):  # schemathesis tags every case; the request is the same
            response = session.get(f"{gateway.url}/health", headers={"X-Schemathesis-TestCaseId": case_id})
            assert response.status_code == 200
        assert session.get(f"{gateway.url}/v1/gateways").status_code == 200
        assert session.get(f"{gateway.url}/cookie").headers["set-cookie"].startswith("sid=x")
        assert len(session.cookies) == 0
        served = gateway.request_count()
    assert (session.sent, session.reused) == (3, 1), "an identical GET is sent once and its answer reused"
    assert served == 3
    assert waits == [0.25, 0.5], "spaced 1/4 s apart on a frozen clock"
    target = FuzzTarget("http://127.0.0.1:9/", api_key=KEY)
    assert target.base_url == "http://127.0.0.1:9"
    assert KEY not in repr(target)
