"""The sparse shape behaves as the public backend does on each data-dependent point (the provider filter,
search, the developer route, status counts), and each data-dependent fault changes what it names in both shapes.

The backend's behaviour was read from gatewayz-backend d4e0b0c6, src/routes/catalog.py: the provider filter, the
developer route, unique rows, the envelope's fetch-slug echo, search over the description, status counts taken
before health gating, and a stable order for identical requests.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

with warnings.catch_warnings():  # starlette's TestClient warns about httpx on import; not our concern
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from gateway_testbed.reference import create_app
from gateway_testbed.reference.served import ServedCatalog

KEY = "test-key-not-a-secret"
SHAPES = ("full", "sparse")


def client_for(*faults: str, shape: str = "sparse") -> TestClient:
    return TestClient(create_app(faults=faults, api_keys={KEY}, shape=shape))


@pytest.fixture(scope="module")
def sparse() -> Iterator[TestClient]:
    with client_for() as c:
        yield c


@pytest.fixture(scope="module")
def full() -> Iterator[TestClient]:
    with client_for(shape="full") as c:
        yield c


def served_of(c: TestClient) -> ServedCatalog:
    return c.app.state.reference.served  # type: ignore[attr-defined]


def page(c: TestClient, gateway: str = "all", path: str = "/v1/models", **params: Any) -> httpx.Response:
    return c.get(path, params={"gateway": gateway, **params})


def ids(response: httpx.Response, key: str = "data") -> list[str]:
    return [row["id"] for row in response.json()[key]]


def walk(c: TestClient, gateway: str, **params: Any) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    offset = 0
    while True:
        body = page(c, gateway, limit=1000, offset=offset, **params).json()
        rows.extend(body["data"])
        if not body["has_more"]:
            return rows
        offset = body["next_offset"]


def is_developers(row: dict[str, Any], developer: str) -> bool:
    """The backend's rule, written out independently of the double's: id prefix or provider slug, any case."""
    slug = (row.get("provider_slug") or "").lower().lstrip("@")
    return row["id"].lower().startswith(developer.lower() + "/") or slug == developer.lower()


# --- 1. the provider filter -------------------------------------------------------------------------


@pytest.mark.parametrize("blank", ["", "   ", "@", " @@ "])
@pytest.mark.parametrize("path", ["/v1/models", "/models"])
def test_a_blank_provider_is_no_filter(sparse: TestClient, blank: str, path: str) -> None:
    unfiltered = page(sparse, "openrouter", path, limit=5).json()
    body = page(sparse, "openrouter", path, limit=5, provider=blank).json()
    assert body["total"] == unfiltered["total"] > 300
    assert body["data"] == unfiltered["data"]


@pytest.mark.parametrize("path", ["/v1/models", "/models"])
@pytest.mark.parametrize(("gateway", "provider", "by"), [
    ("deepinfra", "meta-llama", "slug"),  # ids `@deepinfra/meta-llama/...`: only the provider slug matches
    ("groq", "groq", "prefix"),  # ids `groq/org/model`, provider slug the org: only the id prefix matches
])
def test_provider_matches_an_id_prefix_or_the_slug_in_any_case(sparse: TestClient, path: str, gateway: str,
                                                               provider: str, by: str) -> None:
    internal = list(served_of(sparse).gateways[gateway].iter_rows())
    if by == "slug":
        expected = [r["id"] for r in internal if r["provider_slug"] == provider]
        assert not any(i.startswith(provider + "/") for i in expected)
    else:
        expected = [r["id"] for r in internal if r["id"].startswith(provider + "/")]
        assert provider not in {r["provider_slug"] for r in internal}
    assert expected
    for spelled in (provider, provider.upper(), f"  @{provider}  "):
        body = page(sparse, gateway, path, limit=1000, provider=spelled).json()
        assert ids_of(body) == expected, spelled
        assert body["total"] == len(expected)  # filtered before counting and paging


def ids_of(body: dict[str, Any]) -> list[str]:
    return [row["id"] for row in body["data"]]


def test_provider_filter_pages_over_the_filtered_set(sparse: TestClient) -> None:
    rows = walk(sparse, "all", provider="OpenAI")
    internal = [r for r in served_of(sparse).aggregate.iter_rows() if is_developers(r, "openai")]
    assert [r["id"] for r in rows] == [r["id"] for r in internal]
    assert len(rows) == page(sparse, "all", limit=1, provider="openai").json()["total"] > 50
    assert page(sparse, "all", provider="nobody-at-all").json()["total"] == 0


def test_full_shape_keeps_its_exact_provider_filter(full: TestClient) -> None:
    assert page(full, "openrouter", provider="").json()["total"] == 0
    assert page(full, "openrouter", provider="OpenAI").json()["total"] == 0
    assert page(full, "openrouter", provider="openai").json()["total"] > 10


# --- 2. the developer route -------------------------------------------------------------------------


@pytest.mark.parametrize(("sent", "echo"), [
    ("openai", "openai"), ("OpenAI", "OpenAI"), ("%20@openai%20", "openai"), ("@@Meta-Llama", "Meta-Llama"),
])
def test_developer_is_decoded_normalised_and_matched_in_any_case(sparse: TestClient, sent: str, echo: str) -> None:
    body = sparse.get(f"/v1/models/{sent}", params={"limit": 1000}).json()
    assert body["developer"] == echo
    expected = [r["id"] for r in served_of(sparse).aggregate.iter_rows() if is_developers(r, echo)]
    assert expected
    assert ids(sparse.get(f"/v1/models/{sent}", params={"limit": 1000}), "models") == expected
    assert body["total"] == body["count"] == len(expected)


def test_developer_segment_that_normalises_to_nothing_is_used_as_sent(sparse: TestClient) -> None:
    for sent, echo in (("%C2%AD", "\xad"), ("@", "@"), ("%20", " ")):
        body = sparse.get(f"/v1/models/{sent}").json()
        assert body == {"developer": echo, "models": [], "total": 0, "count": 0, "offset": 0, "limit": 100,
                        "gateway": "all"}


def test_developer_pages_and_total_counts_the_whole_set(sparse: TestClient) -> None:
    first = sparse.get("/v1/models/meta-llama").json()
    assert (first["count"], first["limit"], first["offset"], first["gateway"]) == (100, 100, 0, "all")
    assert first["total"] > 100  # a default page holds less than the developer's rows
    seen = []
    for offset in range(0, first["total"] + 50, 50):
        body = sparse.get("/v1/models/meta-llama", params={"limit": 50, "offset": offset}).json()
        assert body["total"] == first["total"]
        assert body["count"] == len(body["models"]) == max(0, min(50, first["total"] - offset))
        seen += [(r["id"], r["source_gateway"]) for r in body["models"]]
    assert len(seen) == len(set(seen)) == first["total"]
    for bad in ({"limit": 0}, {"limit": 1001}, {"offset": -1}):
        assert sparse.get("/v1/models/openai", params=bad).status_code == 422, bad


def test_full_developer_route_normalises_but_keeps_its_404_and_all_rows(full: TestClient) -> None:
    body = full.get("/v1/models/%20@OpenAI").json()
    assert body["developer"] == "OpenAI"
    assert body["total"] == len(body["models"]) > 10
    assert ids(full.get("/v1/models/openai"), "models") == [r["id"] for r in body["models"]]
    missing = full.get("/v1/models/%C2%AD")
    assert missing.status_code == 404
    assert missing.json()["error"]["context"] == {"developer": "\xad"}


# --- 3. unique rows -----------------------------------------------------------------------------------


def test_unique_rows_of_all_have_their_own_shape(sparse: TestClient) -> None:
    rows = walk(sparse, "all", unique_models="true")
    assert {frozenset(r) for r in rows} == {frozenset({"id", "name", "providers"})}
    assert len(rows) == len({r["id"] for r in rows}) == page(sparse, unique_models="true").json()["total"]
    every = walk(sparse, "all")
    assert {r["id"] for r in rows} == {r["id"] for r in every}
    assert len(rows) < len(every)
    served_by: dict[str, list[str]] = {}
    for row in every:
        served_by.setdefault(row["id"], []).append(row["source_gateway"])
    assert all([p["slug"] for p in r["providers"]] == served_by[r["id"]] for r in rows)
    assert max(len(r["providers"]) for r in rows) > 1


def test_unique_models_is_ignored_for_a_single_gateway(sparse: TestClient) -> None:
    for gateway in ("openrouter", "featherless"):
        assert page(sparse, gateway, unique_models="true").json() == page(sparse, gateway).json()


def test_unique_rows_take_the_provider_filter(sparse: TestClient) -> None:
    rows = walk(sparse, "all", unique_models="true", provider="openai")
    per_gateway = walk(sparse, "all", provider="openai")
    assert [r["id"] for r in rows] == list(dict.fromkeys(r["id"] for r in per_gateway))


# --- 4. the envelope echoes the fetch slug ----------------------------------------------------------


@pytest.mark.parametrize("gateway", ["huggingface", "hUGgInGfAce", "hug", "HUG"])
def test_huggingface_echoes_its_fetch_slug(sparse: TestClient, gateway: str) -> None:
    body = page(sparse, gateway, limit=1000).json()
    assert body["gateway"] == "hug"
    assert body["total"] == len(body["data"]) == 30
    assert "katanemo/Arch-Router-1.5B" in ids_of(body)
    assert {r["source_gateway"] for r in body["data"]} == {"hug"}


def test_other_gateways_echo_their_slug_and_full_echoes_huggingface(sparse: TestClient, full: TestClient) -> None:
    assert page(sparse, "GOOGLE", limit=1).json()["gateway"] == "google-vertex"
    assert page(sparse, "openrouter", limit=1).json()["gateway"] == "openrouter"
    assert page(full, "hug", limit=1).json()["gateway"] == "huggingface"


# --- 5. search matches the description too ------------------------------------------------------------


def test_search_matches_the_description(sparse: TestClient, full: TestClient) -> None:
    body = sparse.get("/v1/models/search", params={"q": "HOSTED", "limit": 100}).json()
    assert body["meta"]["total"] > 100
    only_description = [r for r in body["data"] if "hosted" not in (r["id"] + r["name"]).lower()]
    assert only_description
    assert all("hosted" in r["description"].lower() for r in only_description)
    assert full.get("/v1/models/search", params={"q": "hosted"}).json()["meta"]["total"] == 0  # id, name only
    everything = sparse.get("/v1/models/search", params={"q": "", "gateway": "groq"}).json()["meta"]["total"]
    assert everything == page(sparse, "groq").json()["total"]


# --- 6. status counts before health gating --------------------------------------------------------------


def test_gated_rows_are_counted_in_the_status_and_served_nowhere(sparse: TestClient) -> None:
    base = served_of(sparse).base.gateways["openrouter"]
    gated = [base.row(i)["id"] for i in (150, 250, 330)]
    served = {r["id"] for r in walk(sparse, "openrouter")}
    assert not set(gated) & served
    counts = {e["id"]: e["model_count"] for e in sparse.get("/v1/gateways/status").json()["data"]}
    assert counts["openrouter"] == len(base) == len(served) + 3
    assert counts["fireworks"] == page(sparse, "fireworks").json()["total"] + 2
    for model_id in gated:
        hits = sparse.get("/v1/models/search", params={"q": model_id, "gateway": "openrouter"}).json()
        assert hits["meta"]["total"] == 0, model_id
        developer = sparse.get(f"/v1/models/{model_id.split('/')[0]}", params={"limit": 1000}).json()
        assert (model_id, "openrouter") not in {(r["id"], r["source_gateway"]) for r in developer["models"]}


# --- 8. identical requests, identical pages -------------------------------------------------------------


@pytest.mark.parametrize("shape", SHAPES)
def test_the_same_request_gets_the_same_page(shape: str) -> None:
    with client_for(shape=shape) as c:
        for params in ({"limit": 100, "offset": 900}, {"limit": 7, "unique_models": "true"}):
            assert page(c, **params).json()["data"] == page(c, **params).json()["data"]


# --- the data-dependent faults, in both shapes -------------------------------------------------------------


def test_provider_filter_ignored_is_refused_by_the_sparse_shape() -> None:
    # Its rows serve no provider_slug: a row returned for another developer cannot be told from one selected by
    # the slug it does not serve, so the fault would have no effect a consumer or a check can see.
    with pytest.raises(ValueError, match="provider-filter-ignored"):
        client_for("provider-filter-ignored", shape="sparse")


def test_provider_filter_ignored() -> None:
    with client_for("provider-filter-ignored", shape="full") as c:
        body = page(c, "all", limit=1000, provider="openai").json()
        assert body["total"] == page(c, "all", limit=1).json()["total"]
        internal = served_of(c).aggregate
        assert any(not is_developers(internal.row(i), "openai") for i in range(len(body["data"])))


@pytest.mark.parametrize("shape", SHAPES)
def test_developer_total_short(shape: str) -> None:
    with client_for("developer-total-short", shape=shape) as c:
        body = c.get("/v1/models/katanemo").json()
        assert body["models"]
        assert body["total"] == len(body["models"]) - 1


@pytest.mark.parametrize("shape", SHAPES)
def test_developer_other_rows(shape: str) -> None:
    with client_for(shape=shape) as c:
        healthy = c.get("/v1/models/openai").json()["models"]
    with client_for("developer-other-rows", shape=shape) as c:
        rows = c.get("/v1/models/openai").json()["models"]
        foreign = rows[len(healthy):]
        assert rows[:len(healthy)] == healthy
        assert len(foreign) == 3
        # Each carries its provider slug (sparse rows otherwise do not), so a consumer can tell it is not openai's.
        assert all(r.get("provider_slug") and not is_developers(r, "openai") for r in foreign)
        assert len(c.get("/v1/models/nobody-at-all").json()["models"]) == 3


@pytest.mark.parametrize("shape", SHAPES)
def test_search_unmatched_rows(shape: str) -> None:
    with client_for("search-unmatched-rows", shape=shape) as c:
        rows = c.get("/v1/models/search", params={"q": "gpt-4o", "limit": 100}).json()["data"]
        unmatched = [r for r in rows if not any("gpt-4o" in str(r.get(f) or "").lower()
                                                for f in ("id", "name", "description", "provider_slug"))]
        assert len(unmatched) == 3
        assert all(r["description"] for r in unmatched)
        assert c.get("/v1/models/search", params={"q": ""}).json() == client_for(shape=shape).get(
            "/v1/models/search", params={"q": ""}).json()


@pytest.mark.parametrize("shape", SHAPES)
def test_unique_duplicate_ids(shape: str) -> None:
    with client_for("unique-duplicate-ids", shape=shape) as c:
        got = ids(page(c, unique_models="true", limit=20))
        assert len(got) == 20 > len(set(got))
        assert len(set(ids(page(c, limit=20)))) == 20  # without unique_models: untouched


@pytest.mark.parametrize("shape", SHAPES)
def test_gateway_echo_other(shape: str) -> None:
    with client_for("gateway-echo-other", shape=shape) as c:
        assert page(c, "openrouter", limit=1).json()["gateway"] == "deepinfra"
        assert page(c, "together", limit=1).json()["gateway"] == "together"


@pytest.mark.parametrize("shape", SHAPES)
def test_status_undercount(shape: str) -> None:
    with client_for("status-undercount", shape=shape) as c:
        counts = {e["id"]: e["model_count"] for e in c.get("/v1/gateways/status").json()["data"]}
        assert counts["groq"] == page(c, "groq").json()["total"] - 3


@pytest.mark.parametrize("shape", SHAPES)
def test_context_unknown(shape: str) -> None:
    with client_for("context-unknown", shape=shape) as c:
        rows = walk(c, "deepinfra")
        assert rows
        assert {r["context_length"] for r in rows} == {0}
        assert all(r["context_length"] > 0 for r in page(c, "together", limit=1000).json()["data"])
    with client_for(shape=shape) as c:
        healthy = [r["context_length"] for r in walk(c, "deepinfra")]
        # The full shape's deepinfra serves some 0s (within its contract's share); the sparse shape's none.
        assert min(healthy) > 0 if shape == "sparse" else sum(1 for x in healthy if not x) < len(healthy) / 4


@pytest.mark.parametrize("shape", SHAPES)
def test_unstable_order(shape: str) -> None:
    with client_for("unstable-order", shape=shape) as c:
        first, second = ids(page(c, limit=50)), ids(page(c, limit=50))
        assert first != second
        assert first[1:] == second[:-1]
        assert ids(page(c, "groq")) == ids(page(c, "groq"))  # single gateways keep their order


@pytest.mark.parametrize("shape", SHAPES)
def test_search_500_on_null_description(shape: str) -> None:
    with client_for("search-500-on-null-description", shape=shape) as c:
        failed = c.get("/v1/models/search", params={"q": "llama"})  # `all` holds featherless rows without one
        assert (failed.status_code, failed.json()["error"]["code"]) == (500, "internal_error")
        assert c.get("/v1/models/search", params={"q": "llama", "gateway": "groq"}).status_code == 200
        assert c.get("/v1/models/search", params={"q": ""}).status_code == 200  # no text filter, no crash
        assert c.get("/v1/models/search", params={"gateway": "nope", "q": "x"}).status_code == 400
