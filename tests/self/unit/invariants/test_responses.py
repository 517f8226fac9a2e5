"""Single-response invariants (status, JSON, errors, chat, routes, latency) and the gateway registry."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway_contracts.data.exchange import Exchange
from gateway_contracts.data.findings import Finding
from gateway_contracts.data.pages import Page, Walk
from gateway_contracts.invariants.registry import listed_in_registry, registry_names, uncovered_gateways
from gateway_contracts.invariants.responses import (
    answered_json,
    chat_answered,
    rejected_as_client_error,
    requires_key,
    route_exists,
    same_gateway_selected,
    spec_lists_paths,
    within_budget,
)
from tests.self.strategies import FAST

URL = "http://gateway.test/v1/models?gateway=huggingface"
CLOUDFLARE = "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body>cloudflare</body></html>"
COMPLETION = {"object": "chat.completion", "choices": [{"index": 0, "message": {"role": "assistant", "content": "ok"}}]}


def ex(
    status: int | None, body: Any = None, *, content_type: str = "application/json", **kwargs: Any
) -> Exchange:
    text = body if isinstance(body, str) else ("" if body is None else json.dumps(body))
    return Exchange("GET", URL, status, content_type if status is not None else "", text=text, **kwargs)


def _single(findings: list[Finding], invariant: str) -> Finding:
    assert len(findings) == 1, [f.render() for f in findings]
    assert findings[0].invariant == invariant
    return findings[0]


# -- answered_json (R04, R06, R08) ----------------------------------------------------------------


def test_a_json_200_passes() -> None:
    assert answered_json(ex(200, {"data": []})) == []
    assert answered_json(ex(401, {"error": {}}), status=401) == []


@pytest.mark.parametrize(
    ("exchange", "got"),
    [
        (
            ex(404, {"detail": "Not Found"}),
            'expected HTTP 200 with JSON, got HTTP 404 application/json: {"detail": "Not Found"}',
        ),
        (ex(503, {"detail": "Models data unavailable"}), "got HTTP 503 application/json: "),
        (ex(502, CLOUDFLARE, content_type="text/html"), "got HTTP 502 text/html: <!DOCTYPE html>"),
        (ex(500, "", content_type=""), "got HTTP 500 no content-type: (empty body)"),
        (ex(None, error="connection refused"), "expected HTTP 200 with JSON, got no answer (connection refused)"),
    ],
)
def test_a_wrong_status_names_status_type_and_body(exchange: Exchange, got: str) -> None:
    finding = _single(answered_json(exchange, invariant="gateway-status"), "gateway-status")
    assert got in finding.message
    assert finding.request == exchange.describe()
    assert URL in finding.request


def test_a_200_html_page_is_not_json() -> None:
    finding = _single(answered_json(ex(200, "<html>maintenance</html>", content_type="text/html")), "status")
    assert finding.message.startswith("expected a JSON body, got not JSON (Expecting value at character 0)")
    assert "<html>maintenance</html>" in finding.message


def test_a_truncated_body_is_not_json() -> None:
    exchange = ex(200, '{"data": [', body_truncated=True)
    finding = _single(answered_json(exchange), "status")
    assert "body larger than the client's limit, cut at 10 characters" in finding.message


# -- invalid input (B6, R09) ----------------------------------------------------------------------


@pytest.mark.parametrize("status", [400, 404, 422])
def test_a_json_4xx_rejection_passes(status: int) -> None:
    assert rejected_as_client_error(ex(status, {"detail": [{"msg": "bad"}]}), why="limit=0") == []


def test_a_200_with_data_for_invalid_input_is_two_findings() -> None:
    # B6: offset=-5 -> 200 with tail rows.
    exchange = ex(200, {"data": [{"id": "a/1"}, {"id": "a/2"}], "next_offset": -2})
    findings = rejected_as_client_error(exchange, why="a negative offset")
    assert [f.invariant for f in findings] == ["invalid-input", "invalid-input"]
    assert findings[0].message.startswith("a negative offset: expected a 4xx rejection, got HTTP 200 application/json")
    assert findings[1].message == "a negative offset: the answer carries 2 catalog rows"


def test_a_5xx_for_invalid_input_is_reported() -> None:
    # B8: a 400 wrapped into a 500.
    finding = _single(rejected_as_client_error(ex(500, {"error": {}}), why="an unknown gateway"), "invalid-input")
    assert finding.message.startswith("an unknown gateway: expected a 4xx rejection, got HTTP 500")


def test_a_non_json_4xx_is_reported() -> None:
    finding = _single(
        rejected_as_client_error(ex(400, "Bad Request", content_type="text/plain"), why="limit=0"), "invalid-input"
    )
    assert finding.message.startswith("limit=0: the 400 body is not JSON")


def test_no_answer_to_invalid_input_is_reported() -> None:
    finding = _single(rejected_as_client_error(ex(None, error="timed out (ReadTimeout)"), why="x"), "invalid-input")
    assert "no answer (timed out (ReadTimeout))" in finding.message


# -- chat (R13, R14) ------------------------------------------------------------------------------


def test_chat_requires_a_key() -> None:
    assert requires_key(ex(401, {"error": {"code": "missing_api_key"}})) == []
    finding = _single(requires_key(ex(200, COMPLETION)), "chat-auth")
    assert finding.message.startswith("without a key: expected HTTP 401 with a JSON error, got HTTP 200")
    assert _single(requires_key(ex(401, "Unauthorized", content_type="text/plain")), "chat-auth")


def test_a_completion_passes() -> None:
    assert chat_answered(ex(200, COMPLETION), model="openai/gpt-4o") == []


@pytest.mark.parametrize(
    ("exchange", "part"),
    [
        (ex(404, {"error": {"code": "model_not_found"}}), "expected a 2xx completion, got HTTP 404"),
        (ex(502, CLOUDFLARE, content_type="text/html"), "expected a 2xx completion, got HTTP 502 text/html: <!DOCTYPE"),
        (ex(200, CLOUDFLARE, content_type="text/html"), "expected a JSON completion, got not JSON (Expecting value"),
        (ex(200, ["not", "an", "object"]), "expected a JSON completion, got ['not', 'an', 'object']"),
        (ex(200, {"object": "list", "choices": []}), "object is 'list', expected 'chat.completion'; no choices"),
        (ex(200, {"object": "chat.completion", "choices": [{"text": "ok"}]}), "choices[0] has no message"),
        (ex(None, error="connection refused"), "got no answer (connection refused)"),
    ],
)
def test_a_broken_completion_names_the_model_and_the_problem(exchange: Exchange, part: str) -> None:
    finding = _single(chat_answered(exchange, model="katanemo/Arch-Router-1.5B"), "chat")
    assert finding.message.startswith("chat with 'katanemo/Arch-Router-1.5B': ")
    assert part in finding.message
    assert finding.request == exchange.describe()


# -- routes (R04, R07) ----------------------------------------------------------------------------


def test_the_spec_lists_the_consumer_paths() -> None:
    spec = {"openapi": "3.1.0", "paths": {"/v1/models": {}, "/v1/chat/completions": {}}}
    assert spec_lists_paths(spec, ["/v1/models", "/v1/chat/completions"]) == []
    finding = _single(spec_lists_paths(spec, ["/v1/models", "/catalog/models", "/gateways"]), "routes")
    assert finding.message == "the OpenAPI document does not list /catalog/models, /gateways"


@pytest.mark.parametrize("spec", [None, {}, {"paths": []}, "openapi"])
def test_a_spec_without_paths(spec: Any) -> None:
    assert _single(spec_lists_paths(spec, ["/v1/models"]), "routes").message == (
        "the OpenAPI document has no 'paths' object"
    )


@pytest.mark.parametrize(("status", "exists"), [(200, True), (401, True), (422, True), (500, True), (404, False),
                                                (405, False), (None, False)])
def test_a_route_exists_unless_404_405_or_no_answer(status: int | None, exists: bool) -> None:
    findings = route_exists(ex(status, {"detail": "Not Found"}, error=None if status else "connection refused"))
    assert (findings == []) is exists
    if findings:
        assert _single(findings, "routes").message.startswith("expected the route to exist, got ")


# -- latency (R18) --------------------------------------------------------------------------------


@FAST
@given(st.lists(st.floats(0, 200, allow_nan=False), min_size=1, max_size=20), st.floats(0.1, 100))
def test_latency_budget(times: list[float], budget: float) -> None:
    exchanges = [Exchange("GET", f"{URL}&offset={i}", 200, elapsed_s=t) for i, t in enumerate(times)]
    findings = within_budget(exchanges, budget_s=budget)
    slow = [t for t in times if t > budget]
    if not slow:
        assert findings == []
        return
    finding = _single(findings, "latency")
    worst = times.index(max(slow))
    assert finding.message.startswith(f"{len(slow)} of {len(times)} requests took longer than {budget:g} s")
    assert finding.message.endswith(f"(slowest {max(slow):.2f} s)")
    assert finding.request == exchanges[worst].describe()


# -- registry -------------------------------------------------------------------------------------

REGISTRY = {
    "data": [
        {"id": "huggingface", "name": "Hugging Face", "aliases": ["hug"]},
        {"id": "google-vertex", "aliases": ["Google"]},
        {"id": "openrouter", "aliases": None},
        {"id": 3},
        "junk",
    ],
    "total": 5,
}


def test_registry_names_maps_ids_and_aliases_lower_cased() -> None:
    assert registry_names(REGISTRY) == {
        "huggingface": "huggingface",
        "hug": "huggingface",
        "google-vertex": "google-vertex",
        "google": "google-vertex",
        "openrouter": "openrouter",
    }


@pytest.mark.parametrize("body", [None, [], {"gateways": []}, {"data": "x"}])
def test_a_body_that_is_not_a_registry(body: Any) -> None:
    assert registry_names(body) is None
    finding = _single(listed_in_registry(None, gateway="openrouter", aliases=(), request="GET r"), "registry")
    assert finding.message == "the registry answer has no 'data' list of gateways"
    assert finding.request == "GET r"


def test_listed_in_registry() -> None:
    names = registry_names(REGISTRY)
    assert listed_in_registry(names, gateway="HuggingFace", aliases=("HUG",)) == []
    finding = _single(listed_in_registry(names, gateway="featherless", aliases=("feather", "hug")), "registry")
    assert finding.message == "the registry does not list 'featherless', 'feather'"


def test_uncovered_gateways_are_listed_sorted() -> None:
    names = registry_names(REGISTRY)
    assert uncovered_gateways(names, covered={"huggingface", "hug"}) == ["google", "google-vertex", "openrouter"]
    covered = {"HuggingFace", "hug", "openrouter"}
    assert uncovered_gateways(names, covered=covered, ignore=["Google-Vertex", "google"]) == []
    assert uncovered_gateways(None, covered=set()) == []


@FAST
@given(st.lists(st.text("abcdefgh-", min_size=1, max_size=8), min_size=1, max_size=10, unique=True), st.data())
def test_every_registry_gateway_is_covered_or_reported(slugs: list[str], data: st.DataObject) -> None:
    covered = data.draw(st.lists(st.sampled_from(slugs), unique=True))
    names = registry_names({"data": [{"id": s, "aliases": []} for s in slugs]})
    assert uncovered_gateways(names, covered=covered) == sorted(set(slugs) - set(covered))


def _variant(gateway: str, total: int, *ids: str) -> Exchange:
    body = {"data": [{"id": i} for i in ids], "total": total, "gateway": gateway}
    return Exchange("GET", "http://t/v1/models?gateway=HuggingFace&limit=1", 200, "application/json",
                    json.dumps(body))


def test_a_case_variant_selects_the_same_gateway() -> None:
    listing = Exchange("GET", "http://t/v1/models?gateway=huggingface", 200, "application/json", json.dumps(
        {"data": [{"id": "a/b"}, {"id": "c/d"}], "total": 2, "returned": 2, "offset": 0, "limit": 1000,
         "has_more": False, "next_offset": None, "gateway": "huggingface"}))
    canonical = Walk(limit=1000, pages=(Page(0, 1000, listing),))
    # The echo may be an alias (the backend's fetch slug), the first row any of the gateway's, in any order.
    assert same_gateway_selected(_variant("hug", 2, "c/d"), canonical, "huggingface", ("hug",)) == []
    [found] = same_gateway_selected(_variant("openrouter", 340, "x/y"), canonical, "huggingface", ("hug",))
    assert found.invariant == "case-insensitive"
    assert found.message == ("gateway echoes 'openrouter', expected a name of 'huggingface'; total is 340, "
                             "'huggingface' counts 2; first id is 'x/y', not one of the 2 ids 'huggingface' lists")
    assert same_gateway_selected(_variant("hug", 2), canonical, "huggingface", ("hug",))  # rows vanished


def test_error_bodies_are_json_error_objects() -> None:
    from gateway_contracts.invariants.responses import error_body

    def answer(status: int, text: str, content_type: str = "application/json") -> Exchange:
        return Exchange("GET", "http://t/v1/models", status, content_type, text)

    assert error_body(answer(400, '{"error": {"message": "m", "code": "c", "type": "t"}}')) == []
    assert error_body(answer(422, '{"detail": [{"msg": "x"}]}')) == []
    assert error_body(answer(404, '{"type": "error", "error": {"type": "not_found_error", "message": "m"}}')) == []
    assert "not JSON" in error_body(answer(502, "<html>", "text/html"))[0].message
    assert "not an error object" in error_body(answer(404, '{"data": []}'))[0].message
    assert "'error' is not an object" in error_body(answer(500, '{"error": "boom"}'))[0].message
