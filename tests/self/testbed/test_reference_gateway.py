"""Unit tests of the embedded reference gateway: catalog, endpoints, OpenAPI document, faults, runner."""

from __future__ import annotations

import hashlib
import json
import re
import socket
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

with warnings.catch_warnings():  # starlette's TestClient warns about httpx on import; not our concern
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from gateway_testbed.reference import FAULTS, EmbeddedGateway, build_catalog, create_app, validate_faults
from gateway_testbed.reference import rows as reference_rows
from gateway_testbed.reference.__main__ import main as cli_main
from gateway_testbed.reference.generator import GATEWAYS, build_gateway
from tests.self.suite_run import run_python, run_suite

ROOT = Path(__file__).resolve().parents[3]
CONTRACT = yaml.safe_load((ROOT / "contracts" / "gateways.yaml").read_text())
KEY = "test-key-not-a-secret"
AUTH = {"Authorization": f"Bearer {KEY}"}
ARCH = "katanemo/Arch-Router-1.5B"
SIZES = {
    "openrouter": 340,
    "featherless": 6400,
    "huggingface": 1204,
    "deepinfra": 215,
    "chutes": 104,
    "together": 97,
    "google-vertex": 71,
    "fireworks": 38,
    "xai": 23,
    "nebius": 21,
    "groq": 19,
    "cerebras": 7,
    "novita": 5,
}
BAD_ID = re.compile(r"[\s'\"()]")
DECIMAL = re.compile(r"^[0-9]+(\.[0-9]+)?$")


def client_for(*faults: str, **options: Any) -> TestClient:
    options.setdefault("api_keys", {KEY})
    return TestClient(create_app(faults=faults, **options))


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with client_for() as c:
        yield c


def page(c: TestClient, gateway: str = "all", **params: Any) -> httpx.Response:
    return c.get("/v1/models", params={"gateway": gateway, **params})


def chat(c: TestClient, model: str, headers: dict[str, str] | None = None) -> httpx.Response:
    body = {"model": model, "messages": [{"role": "user", "content": "Say hi"}]}
    return c.post("/v1/chat/completions", json=body, headers=AUTH if headers is None else headers)


def all_rows(c: TestClient, gateway: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    offset = 0
    while True:
        body = page(c, gateway, limit=1000, offset=offset).json()
        rows.extend(body["data"])
        if not body["has_more"]:
            return rows
        offset = body["next_offset"]


# --- catalog -------------------------------------------------------------------------------------


def test_catalog_sizes_and_order() -> None:
    catalog = build_catalog()
    assert catalog.sizes() == SIZES
    assert list(catalog.gateways) == list(SIZES)
    assert len(catalog.aggregate()) == sum(SIZES.values()) == 8544


def test_catalog_meets_the_default_contract() -> None:
    catalog = build_catalog()
    for slug, rules in CONTRACT["gateways"].items():
        rows = list(catalog.gateways[slug].iter_rows())
        ids = [row["id"] for row in rows]
        assert rules["min_models"] <= len(rows) <= rules["max_models"], slug
        assert set(rules.get("required_models", [])) <= set(ids), slug
        if "id_pattern" in rules:
            assert all(re.search(rules["id_pattern"], i) for i in ids), slug
    assert set(CONTRACT["chat"]["models"]) <= {row["id"] for row in catalog.aggregate().iter_rows()}


@pytest.mark.parametrize("slug", list(SIZES))
def test_rows_are_well_formed(slug: str) -> None:
    rows = list(build_catalog().gateways[slug].iter_rows())
    ids = [row["id"] for row in rows]
    assert len(set(ids)) == len(ids), "ids are unique within a gateway"
    assert not [i for i in ids if BAD_ID.search(i) or not i]
    for row in rows:
        assert row["source_gateway"] == ("hug" if slug == "huggingface" else slug)
        assert isinstance(row["name"], str)
        assert row["name"]
        assert isinstance(row["provider_slug"], str)
        assert row["provider_slug"]
        assert row["context_length"] is None or (
            isinstance(row["context_length"], int) and row["context_length"] >= 0
        )
        assert row["description"] is None or len(row["description"]) <= 500
        assert isinstance(row["created"], int)
        assert row["is_active"] is True
        pricing = row["pricing"]
        if pricing is not None:
            assert set(pricing) == {"prompt", "completion", "request", "image"}
            assert all(isinstance(v, str) and DECIMAL.match(v) for v in pricing.values())
    priced = sum(row["pricing"] is not None for row in rows)
    if slug == "huggingface":
        assert priced == 0
    elif slug == "featherless":
        assert 0 < priced < len(rows) // 20
    else:
        assert priced == len(rows)


def test_popular_ids_overlap_across_gateways() -> None:
    catalog = build_catalog()
    serving: dict[str, set[str]] = {}
    for slug, rows in catalog.gateways.items():
        for row in rows.iter_rows():
            serving.setdefault(row["id"], set()).add(slug)
    assert len(serving["deepseek-ai/DeepSeek-R1"]) >= 4
    assert "openrouter" in serving["openai/gpt-oss-120b"]
    assert len(serving["openai/gpt-oss-120b"]) >= 3


FINGERPRINT = (
    "import hashlib; from gateway_testbed.reference import build_catalog; "
    "print(hashlib.sha256(b''.join(build_catalog().aggregate().json_slice(0, 8544))).hexdigest())"
)


def test_generation_is_deterministic_within_and_across_processes() -> None:
    spec = GATEWAYS[1]
    first, second = build_gateway(spec), build_gateway(spec)  # uncached: generated twice
    assert first.json_slice(0, len(first)) == second.json_slice(0, len(second))
    here = hashlib.sha256(b"".join(build_catalog().aggregate().json_slice(0, 8544))).hexdigest()
    other = run_python(["-c", FINGERPRINT], {"PYTHONHASHSEED": "12345", "PYTHONPATH": str(ROOT / "src")}, timeout=60)
    assert other.status == 0, other.stderr[-2000:]
    assert other.stdout.strip() == here


@pytest.fixture
def work(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Counts of the reference gateway's per-row work: rows generated (lazy views) and rows JSON-encoded."""
    counts = {"generated": 0, "encoded": 0}
    dumps, generate = reference_rows.dumps, reference_rows.LazyRows.row

    def counted_dumps(value: Any) -> bytes:
        counts["encoded"] += 1
        return dumps(value)

    def counted_row(self: reference_rows.LazyRows, i: int) -> dict[str, Any]:
        counts["generated"] += 1
        return generate(self, i)

    monkeypatch.setattr(reference_rows, "dumps", counted_dumps)
    monkeypatch.setattr(reference_rows.LazyRows, "row", counted_row)
    return counts


def test_scaled_catalog_is_lazy_and_unique(work: dict[str, int]) -> None:
    catalog = build_catalog({"featherless": 1_000_000})
    # Lazy: building a million-row gateway generates none of its rows, and encodes only the other gateways'.
    assert work["generated"] == 0
    assert work["encoded"] <= 8544 - 6400
    rows = catalog.gateways["featherless"]
    assert len(rows) == 1_000_000
    assert len(catalog.aggregate()) == 8544 - 6400 + 1_000_000
    assert work["generated"] == 0
    tail = [json.loads(b) for b in rows.json_slice(999_000, 1_000_000)]
    assert len(tail) == 1000
    assert work["generated"] == 1000  # a slice generates its rows, and only those
    assert all(r["source_gateway"] == "featherless" for r in tail)
    ids = {rows.row(i)["id"] for i in range(0, 1_000_000, 7)}
    assert len(ids) == len(range(0, 1_000_000, 7))
    mid = build_catalog({"featherless": 30_000}).gateways["featherless"]
    assert len({row["id"] for row in mid.iter_rows()}) == 30_000


def test_scale_rejects_unknown_gateways() -> None:
    with pytest.raises(ValueError, match="nope"):
        build_catalog({"nope": 3})


# --- /v1/models ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("gateway", "limit", "offset", "returned", "next_offset"),
    [
        ("all", 100, 0, 100, 100),
        ("openrouter", 1000, 0, 340, None),
        ("openrouter", 100, 300, 40, None),
        ("openrouter", 40, 300, 40, None),
        ("openrouter", 39, 300, 39, 339),
        ("featherless", 1000, 6000, 400, None),
        ("huggingface", 1, 1203, 1, None),
        ("cerebras", 5, 5, 2, None),
        ("cerebras", 5, 7, 0, None),
        ("cerebras", 5, 100, 0, None),
    ],
)
def test_envelope_arithmetic(
    client: TestClient, gateway: str, limit: int, offset: int, returned: int, next_offset: int | None
) -> None:
    response = page(client, gateway, limit=limit, offset=offset)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    total = 8544 if gateway == "all" else SIZES[gateway]
    assert body["object"] == "list"
    assert body["total"] == total
    assert body["gateway"] == gateway
    assert body["returned"] == len(body["data"]) == returned
    assert (body["offset"], body["limit"]) == (offset, limit)
    # has_more, stated from the rows themselves: a row exists right after the ones this page returned.
    after = page(client, gateway, limit=1, offset=offset + len(body["data"])).json()["data"]
    assert body["has_more"] is bool(after)
    assert body["next_offset"] == next_offset
    assert isinstance(body["timestamp"], str)
    assert "note" in body


def test_defaults_and_legacy_path(client: TestClient) -> None:
    v1 = client.get("/v1/models").json()
    legacy = client.get("/models").json()
    assert (v1["gateway"], v1["limit"], v1["offset"], v1["returned"]) == ("all", 100, 0, 100)
    assert v1["data"] == legacy["data"]


def test_pages_cover_the_catalog_exactly(client: TestClient) -> None:
    rows = all_rows(client, "all")
    assert len(rows) == 8544
    assert len({(r["id"], r["source_gateway"]) for r in rows}) == 8544


def test_aliases_and_case(client: TestClient) -> None:
    hug = page(client, "hug", limit=1000).json()
    hf = page(client, "HuggingFace", limit=1000).json()
    assert hug["gateway"] == hf["gateway"] == "huggingface"
    assert hug["data"] == hf["data"]
    assert hug["total"] == 1204
    google = page(client, "GOOGLE", limit=5).json()
    assert google["gateway"] == "google-vertex"
    assert google["total"] == 71


@pytest.mark.parametrize("gateway", ["nope", "", "all ", "hug-face"])
def test_unknown_gateway_is_400_without_data(client: TestClient, gateway: str) -> None:
    response = page(client, gateway)
    assert response.status_code == 400
    body = response.json()
    assert "data" not in body
    error = body["error"]
    assert (error["type"], error["code"], error["status"]) == (
        "invalid_request_error",
        "unknown_gateway",
        400,
    )
    assert error["message"] == f"Unknown gateway '{gateway}'"
    assert error["context"] == {"gateway": gateway}
    assert error["request_id"]


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 0},
        {"limit": 1001},
        {"limit": "abc"},
        {"offset": -1},
        {"offset": "1.5"},
        {"unique_models": "maybe"},
    ],
)
def test_bad_parameters_are_422(client: TestClient, params: dict[str, Any]) -> None:
    response = client.get("/v1/models", params=params)
    assert response.status_code == 422
    assert isinstance(response.json()["detail"], list)


def test_provider_filter_and_unique_models(client: TestClient) -> None:
    openai = page(client, "openrouter", provider="openai", limit=1000).json()
    assert openai["total"] == len(openai["data"]) > 10
    assert {r["provider_slug"] for r in openai["data"]} == {"openai"}
    unique = page(client, "all", unique_models="true", limit=1000).json()
    assert unique["total"] < 8544
    rows = all_rows(client, "all")
    assert unique["total"] == len({r["id"] for r in rows})
    assert page(client, "openrouter", provider="nobody").json()["total"] == 0


def test_a_1000_row_page_reuses_the_rows_encoded_at_start(client: TestClient, work: dict[str, int]) -> None:
    # A page is a slice of rows encoded once when the app starts: serving one encodes or generates no row
    # (re-encoding the catalog per request is what made large pages slow), whatever the machine's speed.
    for offset in (0, 1000, 5000):
        assert page(client, "all", limit=1000, offset=offset).json()["returned"] == 1000
    assert work == {"generated": 0, "encoded": 0}


# --- other endpoints -----------------------------------------------------------------------------


def test_search(client: TestClient) -> None:
    body = client.get("/v1/models/search", params={"q": "GPT-4O", "limit": 100}).json()
    assert body["success"] is True
    assert "openai/gpt-4o" in [r["id"] for r in body["data"]]
    assert body["meta"]["returned"] == len(body["data"])
    assert body["meta"]["limit"] == 100
    scoped = client.get("/v1/models/search", params={"q": "arch-router", "gateway": "hug"}).json()
    assert [r["id"] for r in scoped["data"]] == [ARCH]
    assert client.get("/v1/models/search", params={"gateway": "bogus"}).status_code == 400
    assert client.get("/v1/models/search", params={"limit": 101}).status_code == 422


def test_developer_route(client: TestClient) -> None:
    body = client.get("/v1/models/katanemo").json()
    assert body["developer"] == "katanemo"
    assert body["total"] == len(body["models"])
    assert ARCH in [r["id"] for r in body["models"]]
    missing = client.get("/v1/models/nobody-at-all")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "developer_not_found"


def test_registry(client: TestClient) -> None:
    body = client.get("/v1/gateways").json()
    assert body["total"] == 13 == len(body["data"])
    entries = {e["id"]: e for e in body["data"]}
    assert list(entries) == list(SIZES)
    assert entries["huggingface"]["aliases"] == ["hug"]
    assert entries["google-vertex"]["aliases"] == ["google"]
    assert {k: e["model_count"] for k, e in entries.items()} == SIZES
    assert all(e["name"] and e["id_format"] for e in entries.values())


def test_health(client: TestClient) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "healthy", "version": "reference-1.0.0", "database": "ok"}


def test_chat(client: TestClient) -> None:
    invalid_body = client.post("/v1/chat/completions", json={"model": "openai/gpt-4o", "messages": []})
    assert invalid_body.status_code == 422, "body validation comes before auth"
    missing = chat(client, "openai/gpt-4o", headers={})
    assert missing.status_code == 401
    assert missing.json()["error"]["type"] == "authentication_error"
    assert missing.json()["error"]["code"] == "missing_api_key"
    wrong = chat(client, "openai/gpt-4o", headers={"Authorization": "Bearer wrong"})
    assert (wrong.status_code, wrong.json()["error"]["code"]) == (401, "invalid_api_key")
    assert KEY not in wrong.text
    cased = chat(client, "katanemo/arch-router-1.5b")
    assert (cased.status_code, cased.json()["error"]["code"]) == (400, "model_not_priced")
    for model in CONTRACT["chat"]["models"]:
        ok = chat(client, model)
        assert ok.status_code == 200
        body = ok.json()
        assert body["object"] == "chat.completion"
        assert body["model"] == model
        assert body["choices"][0]["message"]["role"] == "assistant"
        assert body["choices"][0]["finish_reason"] == "stop"
        assert (
            body["usage"]["total_tokens"]
            == body["usage"]["prompt_tokens"] + body["usage"]["completion_tokens"]
        )
        assert chat(client, model).json()["choices"] == body["choices"], "replies are deterministic"


def test_openapi_document(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert spec["openapi"].startswith("3.1")
    assert set(spec["paths"]) == {
        "/health",
        "/v1/gateways",
        "/v1/gateways/status",
        "/v1/models",
        "/models",
        "/v1/models/search",
        "/v1/models/{developer}",
        "/v1/chat/completions",
    }
    schemas = spec["components"]["schemas"]
    for name in (
        "ModelList",
        "Model",
        "Pricing",
        "ErrorResponse",
        "HTTPValidationError",
        "ValidationError",
        "GatewayList",
        "GatewayStatusList",
        "ChatCompletionRequest",
        "ChatCompletionResponse",
        "SearchResponse",
        "Health",
    ):
        assert name in schemas
    listing = spec["paths"]["/v1/models"]["get"]
    assert set(listing["responses"]) == {"200", "400", "422"}
    params = {p["name"]: p["schema"] for p in listing["parameters"]}
    assert (params["limit"]["minimum"], params["limit"]["maximum"]) == (1, 1000)
    assert params["offset"]["minimum"] == 0
    assert params["gateway"]["type"] == "string"
    assert params["provider"] == {**params["provider"], "type": "string"}
    assert set(spec["paths"]["/v1/models/{developer}"]["get"]["responses"]) == {"200", "404"}
    chat_op = spec["paths"]["/v1/chat/completions"]["post"]
    assert set(chat_op["responses"]) == {"200", "400", "401", "422"}
    assert chat_op["security"] == [{"bearerAuth": []}]
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


def test_request_counting(client: TestClient) -> None:
    before = client.get("/_reference/stats").json()
    client.get("/health")
    client.get("/v1/models", params={"limit": 1})
    after = client.get("/_reference/stats").json()
    assert after["requests_total"] == before["requests_total"] + 2, "the stats probe itself is not counted"
    assert after["by_path"]["/health"] == before["by_path"].get("/health", 0) + 1
    assert "/_reference/stats" not in client.get("/openapi.json").json()["paths"]


def test_rate_limiter() -> None:
    with client_for(rate_limit_per_minute=3) as c:
        assert [c.get("/v1/gateways").status_code for _ in range(3)] == [200, 200, 200]
        limited = c.get("/v1/models")
        assert limited.status_code == 429
        assert limited.headers["retry-after"] == "60"
        assert limited.json()["error"]["type"] == "security_limit"
        assert c.get("/health").status_code == 200
        responses = c.app.openapi()["paths"]["/v1/models"]["get"]["responses"]  # type: ignore[attr-defined]
        assert responses["429"]["headers"]["Retry-After"]["required"] is True


# --- faults --------------------------------------------------------------------------------------


def test_unknown_fault_names_are_rejected() -> None:
    with pytest.raises(ValueError, match=r"unknown fault 'no-such-fault'.*hf-rename-404"):
        create_app(faults=["no-such-fault"])
    assert validate_faults(["hang", "flaky-503", "hang"]) == ("flaky-503", "hang")
    assert all(f.incident and f.description for f in FAULTS.values())


# Probes: what a fault must leave alone unless it names it. Each returns a comparable snapshot.
PROBES: dict[str, tuple[str, str, dict[str, Any]]] = {
    **{slug: ("GET", "/v1/models", {"gateway": slug, "limit": 1000}) for slug in SIZES},
    "hug": ("GET", "/v1/models", {"gateway": "hug", "limit": 1000}),
    "all": ("GET", "/v1/models", {"gateway": "all", "limit": 1000}),
    "unknown": ("GET", "/v1/models", {"gateway": "nope"}),
    "search": ("GET", "/v1/models/search", {"q": "gpt-4o"}),
    "developer": ("GET", "/v1/models/openai", {}),
    "registry": ("GET", "/v1/gateways", {}),
    "status": ("GET", "/v1/gateways/status", {}),
    "search-unknown": ("GET", "/v1/models/search", {"gateway": "nope"}),
    "health": ("GET", "/health", {}),
    "chat-arch": ("POST", ARCH, {}),
    "chat-gpt": ("POST", "openai/gpt-4o", {}),
    "chat-nokey": ("POST", "openai/gpt-4o", {}),
}
LISTS = {*SIZES, "hug", "all"}
CATALOG = LISTS | {"unknown", "search", "search-unknown", "developer", "chat-arch", "chat-gpt", "chat-nokey"}
HF = {"huggingface", "hug", "all", "search", "developer", "registry", "status"}  # size changes show in both lists
BIG = {"featherless", "huggingface", "hug", "all"}  # more than 500 rows

# fault -> probes it may change (anything else must answer exactly as the healthy gateway does)
TOUCHES: dict[str, set[str]] = {
    "search-stale-subset": set(),  # q=gpt-4o over `all` hits legacy-cache rows only (test_search_stale_subset)
    "developer-missing-rows": {"developer"},
    "unique-fallback": set(),  # unique mode only, which no probe reads
    "unique-page-cap": set(),
    "hf-rename-404": {"huggingface", "hug", "chat-arch"},
    "catalog-routes-missing": CATALOG,
    "alias-broken": {"hug"},
    "alias-diverges": {"hug"},
    "hf-cap-101": HF,
    "hf-cap-100": HF,
    "hf-duplicate-block": HF,
    "hf-partial-load": HF,
    "featherless-blowup": {"featherless", "all", "registry", "status", "developer"},
    "gateway-ignored": LISTS - {"openrouter"} | {"unknown"},
    "unknown-gateway-data": {"unknown"},
    "all-missing-gateway": {"all", "developer"},
    "python-repr-ids": {"cerebras", "all", "registry", "status"},
    "required-model-missing": HF,
    "chat-502-html": {"chat-arch"},
    "source-gateway-leak": {"together", "all", "developer"},
    "silent-page-cap": BIG,
    "limit-ignored": {"featherless", "huggingface", "hug"},
    "has-more-lies": BIG,
    "next-offset-stalls": BIG,
    "negative-offset-accepted": set(),
    "limit-out-of-range-500": set(),
    "gateway-503": {"deepinfra"},
    "gateway-empty": {"deepinfra", "all", "registry", "status", "developer"},
    "envelope-models-key": LISTS,
    "total-mismatch": LISTS - {"all"},
    "field-type-drift": {"openrouter", "all", "search", "developer"},
    "negative-prices": {"openrouter", "all", "search", "developer"},
    "all-duplicate-rows": {"all", "developer"},
    "slow-gateway": set(),
    "chat-auth-off": {"chat-nokey"},
    "registry-missing-gateway": {"registry", "status"},
    "registry-extra-gateway": {"registry", "status", "all"},
    "html-error-page": {"chutes"},
    "truncated-json": {"nebius"},
    "huge-body": {"xai"},
    # Fuzz-only faults: no probe here sends their inputs or reads their field (their kill-matrix scenarios fuzz).
    "search-500-on-combo": set(),
    "undocumented-status": set(),
    "schema-break": {"registry"},
    # Live bugs of the 2026-08 backend (B7, B8) and a status count that disagrees with the catalog.
    "gateway-status-500": {"status"},
    "search-unknown-gateway-500": {"search-unknown"},
    "search-bounds-unchecked": set(),
    "gateway-status-stale-count": {"status"},
    # Data-dependent faults; test_reference_sparse.py shows what each changes in both shapes.
    "provider-filter-ignored": set(),  # no probe sends `provider`
    "developer-total-short": {"developer"},
    "developer-other-rows": {"developer"},
    "search-unmatched-rows": {"search"},
    "unique-duplicate-ids": set(),  # no probe sends `unique_models`
    "search-500-on-null-description": {"search"},  # q=gpt-4o over `all`, which holds featherless rows
    "gateway-echo-other": {"openrouter"},
    "status-undercount": {"status"},
    "context-unknown": {"deepinfra", "all", "search", "developer"},
    "unstable-order": set(),  # each probe reads its URL once; only a repeat differs
    # Values: one gateway's rows, and wherever they show (`all`, a search or a developer's listing).
    "prices-normalised-twice": {"fireworks", "all", "search", "developer"},
    "context-placeholder": {"google-vertex", "all", "search", "developer"},
    "reference-mismatch": {"openrouter", "all", "search", "developer"},
    # The differential gate's faults (COMPARE_URL): tests/self/e2e/test_deploy_changes.py compares them with production.
    "prices-per-million": {"deepinfra", "all", "search", "developer"},
    "health-gated-flap": set(),  # as unstable-order: only a repeat differs
    "gateway-renamed": {"huggingface", "hug", "registry", "status"},
    "chat-listed-502": set(),  # groq's models only: no probe chats one (its own test below)
}
OWN_TESTS = {"flaky-503", "flaky-429", "rate-limit-no-retry-after", "hang"}  # per-URL state or never answer


def snapshot(c: TestClient, probe: str) -> tuple[int, str, Any]:
    method, target, params = PROBES[probe]
    if method == "POST":
        response = chat(c, target, headers={} if probe == "chat-nokey" else None)
    else:
        response = c.get(target, params=params)
    try:
        body: Any = response.json()
    except ValueError:
        return response.status_code, response.headers.get("content-type", ""), response.content
    if isinstance(body, dict):
        body.pop("timestamp", None)
        body.pop("created", None)
        if isinstance(body.get("error"), dict):
            body["error"].pop("request_id", None)
    return response.status_code, response.headers.get("content-type", ""), body


@pytest.fixture(scope="module")
def healthy_snapshots(client: TestClient) -> dict[str, tuple[int, str, Any]]:
    return {probe: snapshot(client, probe) for probe in PROBES}


def test_every_fault_is_covered_here() -> None:
    assert set(TOUCHES) | OWN_TESTS == set(FAULTS)


@pytest.mark.parametrize("fault", sorted(TOUCHES))
def test_fault_changes_only_what_it_names(fault: str, healthy_snapshots: dict[str, Any]) -> None:
    with client_for(fault, slow_seconds=0.01) as c:
        changed = {p for p in PROBES if snapshot(c, p) != healthy_snapshots[p]}
    assert changed <= TOUCHES[fault], f"{fault} also changed {sorted(changed - TOUCHES[fault])}"
    assert changed or fault in {"negative-offset-accepted", "limit-out-of-range-500", "slow-gateway",
                                "search-500-on-combo", "undocumented-status", "search-bounds-unchecked",
                                "provider-filter-ignored", "unique-duplicate-ids", "unstable-order",
                                "health-gated-flap", "chat-listed-502",
                                "unique-fallback", "unique-page-cap", "search-stale-subset"}


def test_chat_listed_502_fails_a_part_of_groqs_listed_models_only() -> None:
    with client_for("chat-listed-502") as c:
        ids = [row["id"] for row in page(c, "groq").json()["data"]]
        statuses = {model: chat(c, model).status_code for model in ids}
        assert chat(c, "openai/gpt-4o").status_code == 200  # another gateway's model answers
    failing = [model for model, status in statuses.items() if status == 502]
    assert 0 < len(failing) < len(ids), statuses  # a part: listed, not callable; the rest answers
    assert set(statuses.values()) == {200, 502}


def test_health_gated_flap_leaves_out_another_hundredth_on_each_repeat() -> None:
    with client_for("health-gated-flap") as c:
        reads = [[r["id"] for r in c.get("/v1/models", params={"gateway": "openrouter", "limit": 1000}).json()["data"]]
                 for _ in range(3)]
    whole, second, third = reads
    assert len(second) == len(third) < len(whole)
    assert set(second) < set(whole)
    assert set(third) < set(whole)
    assert set(second) != set(third)


def test_hf_rename_404() -> None:
    with client_for("hf-rename-404") as c:
        for gateway in ("huggingface", "hug", "HUG"):
            for path in ("/v1/models", "/models"):
                response = c.get(path, params={"gateway": gateway})
                assert (response.status_code, response.json()) == (404, {"detail": "Not Found"})
        assert (chat(c, ARCH).status_code, chat(c, ARCH).json()) == (404, {"detail": "Not Found"})
        assert "huggingface" in [e["id"] for e in c.get("/v1/gateways").json()["data"]]


def test_catalog_routes_missing() -> None:
    with client_for("catalog-routes-missing") as c:
        for path in ("/v1/models", "/models", "/v1/models/search", "/v1/models/openai"):
            assert c.get(path).json() == {"detail": "Not Found"}
        assert chat(c, "openai/gpt-4o").status_code == 404
        assert c.get("/health").status_code == 200
        assert c.get("/v1/gateways").status_code == 200
        assert set(c.get("/openapi.json").json()["paths"]) == {"/health", "/v1/gateways", "/v1/gateways/status"}


def test_alias_faults() -> None:
    with client_for("alias-broken") as c:
        assert page(c, "hug").status_code == 400
        assert page(c, "huggingface").status_code == 200
    with client_for("alias-diverges") as c:
        hug = page(c, "hug", limit=1000, offset=1000).json()
        assert hug["total"] == 1154
        assert hug["returned"] == 154
        assert page(c, "huggingface").json()["total"] == 1204


def test_hf_cap_101() -> None:
    with client_for("hf-cap-101") as c:
        first = page(c, "huggingface", limit=20).json()
        assert (first["total"], first["returned"], first["next_offset"]) == (101, 100, 100)
        assert ARCH in [r["id"] for r in first["data"]]
        second = page(c, "hug", limit=100, offset=100).json()
        assert (second["returned"], second["has_more"], second["next_offset"]) == (1, False, None)
        assert page(c, "huggingface", offset=101).json()["data"] == []


def test_hf_size_faults() -> None:
    with client_for("hf-cap-100") as c:
        assert [len(all_rows(c, g)) for g in ("huggingface", "hug")] == [100, 100]
    with client_for("hf-duplicate-block") as c:
        rows = all_rows(c, "huggingface")
        assert len(rows) == 1200
        assert len({r["id"] for r in rows}) == 100
    with client_for("featherless-blowup") as c:
        assert page(c, "featherless").json()["total"] == 25600
        assert len(all_rows(c, "featherless")) == 25600


def test_gateway_resolution_faults() -> None:
    with client_for("gateway-ignored") as c:
        for gateway in ("all", "hug", "groq", "bogus"):
            body = page(c, gateway, limit=1000).json()
            assert body["gateway"] == gateway
            assert body["total"] == 340
            assert {r["source_gateway"] for r in body["data"]} == {"openrouter"}
    with client_for("unknown-gateway-data") as c:
        assert page(c, "bogus").json()["total"] == 340
        assert page(c, "groq").json()["total"] == 19


def test_row_faults() -> None:
    with client_for("all-missing-gateway") as c:
        assert not [r for r in all_rows(c, "all") if r["source_gateway"] == "hug"]
    with client_for("python-repr-ids") as c:
        rows = all_rows(c, "cerebras")
        assert len(rows) == 9
        assert sum(bool(BAD_ID.search(r["id"])) for r in rows) == 2
    with client_for("required-model-missing") as c:
        for gateway in ("huggingface", "hug", "all"):
            assert ARCH not in [r["id"] for r in all_rows(c, gateway)]
        assert chat(c, ARCH).status_code == 200
    with client_for("source-gateway-leak") as c:
        sources = [r["source_gateway"] for r in all_rows(c, "together")]
        assert sources.count("openrouter") == 5
        assert len(sources) == 97
    with client_for("field-type-drift") as c:
        row = page(c, "openrouter", limit=1).json()["data"][0]
        assert isinstance(row["context_length"], str)
        assert isinstance(row["created"], str)
        assert all(isinstance(v, float) for v in row["pricing"].values())
    with client_for("negative-prices") as c:
        prompts = [r["pricing"]["prompt"] for r in all_rows(c, "openrouter")]
        assert prompts.count("-0.000001") == 3
    with client_for("all-duplicate-rows") as c:
        rows = all_rows(c, "all")
        groq = [(r["id"], r["source_gateway"]) for r in rows if r["source_gateway"] == "groq"]
        assert len(groq) == 38
        assert len(set(groq)) == 19


def test_paging_faults() -> None:
    with client_for("silent-page-cap") as c:
        body = page(c, "featherless", limit=1000).json()
        assert (body["returned"], body["limit"], body["next_offset"]) == (500, 1000, 500)
    with client_for("limit-ignored") as c:
        body = page(c, "openrouter", limit=10, offset=40).json()
        assert (body["returned"], body["has_more"], body["next_offset"]) == (300, False, None)
        assert page(c, "all", limit=10).json()["returned"] == 10
    with client_for("has-more-lies") as c:
        body = page(c, "all", limit=10).json()
        assert (body["has_more"], body["next_offset"], body["returned"]) == (False, None, 10)
    with client_for("next-offset-stalls") as c:
        assert page(c, "all", limit=10, offset=30).json()["next_offset"] == 30
        assert page(c, "groq", limit=100).json()["next_offset"] is None
    with client_for("negative-offset-accepted") as c:
        body = page(c, "openrouter", limit=3, offset=-5).json()
        assert (body["returned"], body["has_more"], body["next_offset"]) == (3, True, -2)
        params = c.get("/openapi.json").json()["paths"]["/v1/models"]["get"]["parameters"]
        assert next(p for p in params if p["name"] == "offset")["schema"]["minimum"] == 0
    with client_for("limit-out-of-range-500") as c:
        for limit in (0, 1001):
            response = page(c, limit=limit)
            assert response.status_code == 500
            assert response.json()["error"]["type"] == "internal_error"
        assert page(c, limit="x").status_code == 422
        assert page(c, limit=1000).status_code == 200
    with client_for("total-mismatch") as c:
        body = page(c, "groq", limit=100).json()
        assert (body["total"], body["returned"], body["has_more"], body["next_offset"]) == (26, 19, True, 19)


def test_response_faults() -> None:
    with client_for("gateway-503") as c:
        assert (page(c, "deepinfra").status_code, page(c, "deepinfra").json()) == (
            503,
            {"detail": "Models data unavailable"},
        )
    with client_for("gateway-empty") as c:
        body = page(c, "deepinfra").json()
        assert (body["data"], body["total"], body["has_more"]) == ([], 0, False)
    with client_for("envelope-models-key") as c:
        body = page(c, "groq").json()
        assert "data" not in body
        assert len(body["models"]) == 19
    with client_for("chat-502-html") as c:
        response = chat(c, ARCH)
        assert response.status_code == 502
        assert response.headers["content-type"].startswith("text/html")
        assert chat(c, ARCH, headers={}).status_code == 401
        assert chat(c, "openai/gpt-4o").status_code == 200
    with client_for("chat-auth-off") as c:
        assert chat(c, "openai/gpt-4o", headers={}).status_code == 200
        assert chat(c, "openai/gpt-4o", headers={"Authorization": "Bearer anything"}).status_code == 200
    with client_for("html-error-page") as c:
        response = page(c, "chutes")
        assert response.status_code == 502
        assert response.headers["content-type"].startswith("text/html")
    with client_for("truncated-json") as c:
        response = page(c, "nebius")
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/json"
        with pytest.raises(ValueError):
            json.loads(response.content)
    with client_for("huge-body") as c:
        response = page(c, "xai")
        assert len(response.content) > 60_000_000
        assert response.json()["returned"] == 23


def test_registry_faults() -> None:
    with client_for("registry-missing-gateway") as c:
        assert "novita" not in [e["id"] for e in c.get("/v1/gateways").json()["data"]]
        assert page(c, "novita").json()["total"] == 5
    with client_for("registry-extra-gateway") as c:
        entry = c.get("/v1/gateways").json()["data"][-1]
        assert (entry["id"], entry["aliases"], entry["model_count"]) == ("aimo", ["aimo-network"], 12)
        assert page(c, "aimo-network").json()["total"] == 12
        assert page(c, "all").json()["total"] == 8544 + 12


@pytest.mark.parametrize(
    ("fault", "status", "retry_after"),
    [("flaky-503", 503, "1"), ("flaky-429", 429, "1"), ("rate-limit-no-retry-after", 429, None)],
)
def test_first_request_per_url_fails(fault: str, status: int, retry_after: str | None) -> None:
    with client_for(fault) as c:
        for url in ("/v1/models?gateway=groq", "/v1/models?gateway=groq&limit=5", "/v1/models/search?q=x"):
            first = c.get(url)
            assert first.status_code == status
            assert first.headers.get("retry-after") == retry_after
            assert c.get(url).status_code == 200
        assert c.get("/health").status_code == 200
        assert c.get("/v1/gateways").status_code == 200


def test_several_faults_compose() -> None:
    with client_for("hf-cap-100", "alias-diverges", "has-more-lies", "envelope-models-key") as c:
        hug = page(c, "hug", limit=10).json()
        assert (hug["total"], hug["has_more"], len(hug["models"])) == (50, False, 10)


# --- the runner and the CLI ----------------------------------------------------------------------


def test_embedded_gateway_serves_and_counts() -> None:
    with EmbeddedGateway(api_keys={KEY}) as gateway:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", gateway.url)
        with httpx.Client(base_url=gateway.url, timeout=10) as http:
            assert http.get("/health").status_code == 200
            assert http.get("/v1/models", params={"limit": 1000}).json()["returned"] == 1000
            assert http.get("/_reference/stats").json()["requests_total"] == 2
        assert gateway.request_count() == 2
        assert gateway.stats()["by_path"]["/v1/models"] == 1
    with pytest.raises(RuntimeError):
        _ = gateway.url
    with gateway:  # restartable
        assert httpx.get(f"{gateway.url}/health", timeout=10).status_code == 200


def test_accepted_connections_send_without_nagle_delay() -> None:
    """Without TCP_NODELAY every answer on a kept-alive connection waits ~40 ms for the client's delayed
    ACK; read the option off the accepted socket rather than timing anything."""
    with EmbeddedGateway() as gateway, httpx.Client(base_url=gateway.url, timeout=10) as http:
        assert http.get("/health").status_code == 200  # the connection stays open (keep-alive)
        sockets = gateway.connection_sockets()
        assert sockets, "the kept-alive connection should still be open"
        for sock in sockets:
            assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY), f"{sock} lacks TCP_NODELAY"


def test_embedded_gateway_slow_and_hanging_requests() -> None:
    with EmbeddedGateway(faults=["slow-gateway", "hang"], slow_seconds=0.3, stop_timeout=3) as gateway:
        with httpx.Client(base_url=gateway.url, timeout=5) as http:
            started = time.perf_counter()
            assert http.get("/v1/models", params={"gateway": "hug", "limit": 1}).status_code == 200
            assert time.perf_counter() - started >= 0.3
            with pytest.raises(httpx.ReadTimeout):
                http.get("/v1/models", params={"gateway": "groq"}, timeout=0.3)
            assert http.get("/v1/models", params={"gateway": "cerebras"}).status_code == 200
        server = gateway._thread
        assert server is not None
        assert server.is_alive()
    # stop() returned (it waits at most twice stop_timeout) and the server really ended: a hung request does
    # not keep it running (without the forced exit, the thread outlives stop()).
    assert not server.is_alive(), "stop ends the server even with a hung request"


def test_embedded_gateway_rejects_unknown_faults_before_binding() -> None:
    with pytest.raises(ValueError, match="bogus"):
        EmbeddedGateway(faults=["bogus"])


def test_cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    assert cli_main(["--list-faults"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert len(listed) == len(FAULTS)
    assert listed[0].startswith("hf-rename-404")
    assert cli_main(["--fault", "nonexistent-fault"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "'nonexistent-fault'" in err
    monkeypatch.setenv("FAULTS", "hang,also-bogus")
    assert cli_main([]) == 2
    assert "'also-bogus'" in capsys.readouterr().err
    monkeypatch.delenv("FAULTS")
    assert cli_main(["--scale", "featherless"]) == 2


# --- /v1/gateways/status, B7, B8 ------------------------------------------------------------------


@pytest.mark.parametrize(("shape", "gated"), [("full", {}), ("sparse", {"openrouter": 3, "fireworks": 2})])
def test_gateway_status_counts_each_catalog(shape: str, gated: dict[str, int]) -> None:
    """The status counts each gateway's cached models: its catalog's total plus the rows health gating keeps out of
    it (the sparse shape gates a few, as the backend does with HEALTH_GATING_ENABLED on)."""
    with client_for(shape=shape) as c:
        body = c.get("/v1/gateways/status").json()
        registry = [e["id"] for e in c.get("/v1/gateways").json()["data"]]
        assert [e["id"] for e in body["data"]] == registry
        for entry in body["data"]:
            total = page(c, entry["id"], limit=1).json()["total"]
            assert entry["model_count"] == total + gated.get(entry["id"], 0), entry["id"]
            assert entry["in_error_state"] is False
        assert body["summary"] == {
            "total_gateways": len(registry),
            "healthy_gateways": len(registry),
            "gateways_in_error": 0,
            "total_models": page(c, "all", limit=1).json()["total"] + sum(gated.values()),
        }


def test_live_backend_bugs() -> None:
    with client_for("gateway-status-500", "search-unknown-gateway-500") as c:
        status = c.get("/v1/gateways/status")
        assert (status.status_code, status.json()["error"]["code"]) == (500, "internal_error")
        assert c.get("/v1/models/search", params={"gateway": "nope"}).status_code == 500
        # Only the rejection turns into a 500: known gateways and the bounds (422) answer as before.
        assert c.get("/v1/models/search", params={"gateway": "groq", "q": "llama"}).status_code == 200
        assert c.get("/v1/models/search", params={"limit": 0}).status_code == 422
    with client_for("search-bounds-unchecked") as c:
        search = "/v1/models/search"
        assert c.get(search, params={"limit": 0}).json()["data"] == []
        assert len(c.get(search, params={"limit": 150}).json()["data"]) == 150
        tail = c.get(search, params={"gateway": "groq", "offset": -5}).json()
        assert (tail["meta"]["offset"], tail["meta"]["returned"]) == (-5, 5)
        spec = c.get("/openapi.json").json()["paths"][search]["get"]["parameters"]
        assert {p["name"]: p["schema"].get("minimum") for p in spec}["offset"] == 0  # the spec keeps the contract
    with client_for("gateway-status-stale-count") as c:
        counts = {e["id"]: e["model_count"] for e in c.get("/v1/gateways/status").json()["data"]}
        assert counts["featherless"] == 994
        assert page(c, "featherless", limit=1).json()["total"] == 6400
        assert counts["groq"] == 19


# --- the sparse shape ------------------------------------------------------------------------------

STAGING = yaml.safe_load((ROOT / "contracts" / "gatewayz-staging.yaml").read_text())
REGISTRY_2026_08 = ["anthropic", "fireworks", "google-vertex", "groq", "openai", "openrouter", "together", "alibaba",
                    "cerebras", "deepinfra", "featherless", "novita", "zai", "xai"]
SPARSE_REGISTRY = [*REGISTRY_2026_08, "huggingface"]  # and huggingface, outside the staging contract


@pytest.fixture(scope="module")
def sparse() -> Iterator[TestClient]:
    with client_for(shape="sparse") as c:
        yield c


def test_sparse_catalog_meets_the_staging_contract() -> None:
    catalog = build_catalog(shape="sparse")
    assert list(catalog.gateways) == SPARSE_REGISTRY
    assert set(catalog.gateways) == set(STAGING["gateways"]) | {"huggingface"}
    served = create_app(shape="sparse").state.reference.served  # after health gating
    for slug, rules in STAGING["gateways"].items():
        ids = [row["id"] for row in served.gateways[slug].iter_rows()]
        assert len(set(ids)) == len(ids), slug
        assert rules["min_models"] <= len(ids) <= rules.get("max_models", len(ids)), slug
        assert set(rules.get("required_models", [])) <= set(ids), slug
    total = len(served.aggregate)
    assert STAGING["aggregate"]["min_models"] <= total <= STAGING["aggregate"]["max_models"]
    assert set(STAGING["chat"]["models"]) <= {row["id"] for row in catalog.aggregate().iter_rows()}


PROMISED = {"id", "name", "source_gateway"}
OPTIONAL = {"description", "context_length"}


def test_sparse_rows_carry_only_the_promised_fields(sparse: TestClient) -> None:
    """The promised fields, plus a positive context length and a description where the row has one (featherless
    rows mostly have none)."""
    described, plain = frozenset(PROMISED | OPTIONAL), frozenset(PROMISED | {"context_length"})
    for gateway in ("openrouter", "featherless", "google", "all"):
        body = page(sparse, gateway, limit=1000).json()
        assert body["data"]
        assert {frozenset(row) for row in body["data"]} <= {described, plain}, gateway
        assert all(row.get("description", "x") and row["context_length"] > 0 for row in body["data"]), gateway
        assert not {"object", "note", "timestamp"} & set(body)
    featherless = page(sparse, "featherless", limit=1000).json()["data"]
    assert {frozenset(row) for row in featherless} == {described, plain}
    hits = sparse.get("/v1/models/search", params={"q": "gpt-4o"}).json()["data"]
    assert hits
    assert all(set(row) - OPTIONAL == PROMISED for row in hits)
    developer = sparse.get("/v1/models/openai").json()["models"]
    assert developer
    assert all(set(row) - OPTIONAL == PROMISED for row in developer)


def test_sparse_registry(sparse: TestClient) -> None:
    body = sparse.get("/v1/gateways").json()
    assert [e["id"] for e in body["data"]] == SPARSE_REGISTRY
    assert [e for e in body["data"] if set(e) != {"id"}] == [{"id": "google-vertex", "aliases": ["google"]},
                                                             {"id": "huggingface", "aliases": ["hug"]}]
    assert page(sparse, "GOOGLE", limit=1).json()["gateway"] == "google-vertex"


@pytest.mark.parametrize("gateway", ["chutes", "nebius"])
def test_sparse_shape_has_no_2025_gateways(sparse: TestClient, gateway: str) -> None:
    for path in ("/v1/models", "/models", "/v1/models/search"):
        response = sparse.get(path, params={"gateway": gateway})
        assert response.status_code == 400, path
        assert response.json()["error"]["code"] == "unknown_gateway"


def test_sparse_chat(sparse: TestClient) -> None:
    assert chat(sparse, "openai/gpt-4o").status_code == 200
    assert chat(sparse, ARCH).status_code == 200  # the sparse huggingface serves it
    refused = chat(sparse, "chutes/not-served")
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "model_not_priced"
    assert chat(sparse, "openai/gpt-4o", headers={}).status_code == 401


def test_sparse_spec_is_fastapi_style_and_the_server_still_validates(sparse: TestClient) -> None:
    spec = sparse.get("/openapi.json").json()
    assert {"/v1/models", "/models", "/v1/models/search", "/v1/models/{developer}", "/v1/gateways",
            "/v1/gateways/status", "/v1/chat/completions", "/health"} <= set(spec["paths"])
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            assert set(responses) <= {"200", "422"}, (path, method)
            assert responses["200"]["content"]["application/json"]["schema"] == {}, (path, method)
    offset = next(p for p in spec["paths"]["/v1/models"]["get"]["parameters"] if p["name"] == "offset")
    assert "minimum" not in offset["schema"]
    gateway = next(p for p in spec["paths"]["/v1/models"]["get"]["parameters"] if p["name"] == "gateway")
    assert "pattern" not in gateway["schema"]
    assert "enum" not in gateway["schema"]
    assert "Model" not in spec.get("components", {}).get("schemas", {})
    # The document has no bound; the server still rejects a negative offset (B6 is a fault, not the shape).
    assert page(sparse, "groq", offset=-5).status_code == 422
    assert page(sparse, "groq", limit=0).status_code == 422


def test_sparse_shape_refuses_faults_it_cannot_show() -> None:
    with pytest.raises(ValueError, match="needs gateway chutes, which the sparse shape does not serve"):
        create_app(faults=["html-error-page"], shape="sparse")
    with pytest.raises(ValueError, match="needs gateway huggingface, which the sparse shape serves only outside "
                                         "the contract it is held to"):
        create_app(faults=["hf-cap-100"], shape="sparse")
    with pytest.raises(ValueError, match="changes fields the sparse shape does not serve"):
        create_app(faults=["negative-prices"], shape="sparse")
    with pytest.raises(ValueError, match="unknown shape 'dense'"):
        create_app(shape="dense")
    with client_for("python-repr-ids", "registry-extra-gateway", shape="sparse") as c:
        ids = [row["id"] for row in page(c, "cerebras").json()["data"]]
        assert any("(" in i for i in ids)
        assert c.get("/v1/gateways").json()["data"][-1] == {"id": "aimo", "aliases": ["aimo-network"]}


def test_full_shape_is_unchanged_by_default(client: TestClient) -> None:
    row = page(client, "openrouter", limit=1).json()["data"][0]
    assert {"pricing", "context_length", "created", "provider_slug"} <= set(row)


def test_cli_shape(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli_main(["--shape", "dense"])
    assert "invalid choice" in capsys.readouterr().err
    monkeypatch.setenv("REFERENCE_SHAPE", "dense")
    assert cli_main(["--port", "0"]) == 2
    assert "unknown shape 'dense'" in capsys.readouterr().err
    monkeypatch.setenv("REFERENCE_SHAPE", "sparse")
    assert cli_main(["--fault", "truncated-json", "--port", "0"]) == 2
    assert "sparse shape does not serve" in capsys.readouterr().err


@pytest.mark.parametrize(("shape", "fault", "message"), [
    ("sparse", "hf-cap-100", "fault 'hf-cap-100' needs gateway huggingface, which the sparse shape serves only "
                             "outside the contract it is held to"),
    ("dense", "", "unknown shape 'dense'; valid shapes: full, sparse"),
])
def test_suite_refuses_a_shape_or_fault_in_one_line(shape: str, fault: str, message: str) -> None:
    env = {"REFERENCE_SHAPE": shape, "REFERENCE_FAULTS": fault, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    proc = run_suite(["tests/contract", "--contracts", "contracts/gatewayz-staging.yaml"], env=env, timeout=120)
    assert proc.status == 6, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert message in proc.stdout + proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr


# -- routes that disagree with the catalog (R29, R30) --------------------------------------------------------


def test_search_stale_subset_finds_no_row_of_a_newer_gateway() -> None:
    with client_for() as healthy, client_for("search-stale-subset") as c:
        groq_id = page(healthy, "groq", limit=1).json()["data"][0]["id"]
        search = {"q": groq_id, "gateway": "groq", "limit": 100}
        assert groq_id in [r["id"] for r in healthy.get("/v1/models/search", params=search).json()["data"]]
        assert c.get("/v1/models/search", params=search).json()["data"] == []
        legacy = {"q": page(healthy, "openrouter", limit=1).json()["data"][0]["id"], "gateway": "openrouter"}
        assert c.get("/v1/models/search", params=legacy).json()["data"] == healthy.get(
            "/v1/models/search", params=legacy).json()["data"]  # a legacy gateway's rows are still found


def test_unique_fallback_serves_only_openrouters_ids() -> None:
    with client_for() as healthy, client_for("unique-fallback") as c:
        unique = page(c, limit=1000, unique_models="true").json()
        assert unique["total"] < page(healthy, limit=1, unique_models="true").json()["total"]
        assert {r["source_gateway"] for r in unique["data"]} == {"openrouter"}
        assert page(c, limit=5).json()["total"] == page(healthy, limit=5).json()["total"]  # the flat `all` intact


def test_unique_page_cap_pages_100_rows_and_repeats_only_past_them() -> None:
    with client_for("unique-page-cap") as c:
        first = page(c, limit=1000, unique_models="true").json()
        assert (first["returned"], first["has_more"], first["next_offset"]) == (100, True, 100)
        assert len({r["id"] for r in first["data"]}) == 100
        second = page(c, limit=1000, offset=100, unique_models="true").json()["data"]
        assert len({r["id"] for r in second}) < len(second)


def test_developer_missing_rows_lists_one_row_less() -> None:
    with client_for() as healthy, client_for("developer-missing-rows") as c:
        full = healthy.get("/v1/models/openai").json()
        short = c.get("/v1/models/openai").json()
        assert [r["id"] for r in short["models"]] == [r["id"] for r in full["models"]][:-1]
        assert short["total"] == full["total"] - 1


def test_value_faults_serve_the_slip_they_name(client: TestClient) -> None:
    import math
    from decimal import Decimal

    def rows(c: TestClient, slug: str) -> list[dict[str, Any]]:
        return page(c, slug, limit=1000).json()["data"]

    healthy = {slug: rows(client, slug) for slug in ("deepinfra", "fireworks", "google-vertex", "openrouter")}
    with client_for("prices-per-million", "prices-normalised-twice", "context-placeholder", "reference-mismatch") as c:
        faulty = {slug: rows(c, slug) for slug in healthy}
    for slug, factor in (("deepinfra", 1e6), ("fireworks", 1e-6)):
        for before, after in zip(healthy[slug], faulty[slug], strict=True):
            for field in ("prompt", "completion"):
                assert math.isclose(float(after["pricing"][field]), float(before["pricing"][field]) * factor)
    assert [r["pricing"]["request"] for r in faulty["fireworks"]] == [r["pricing"]["request"]
                                                                      for r in healthy["fireworks"]]
    assert "E-" in faulty["fireworks"][0]["pricing"]["prompt"]  # written as the backend wrote 5E-13
    assert "e" not in faulty["deepinfra"][0]["pricing"]["prompt"].lower()  # "0.5", as a per-million list reads
    assert {r["context_length"] for r in faulty["google-vertex"]} == {128000}
    doubled = [Decimal(a["pricing"]["prompt"]) / Decimal(b["pricing"]["prompt"])
               for b, a in zip(healthy["openrouter"], faulty["openrouter"], strict=True)
               if Decimal(b["pricing"]["prompt"])]
    assert doubled[:10] == [2] * 10  # the first ten rows are priced (contracts/reference-prices.json knows them)
    assert set(doubled[10:]) == {1}
