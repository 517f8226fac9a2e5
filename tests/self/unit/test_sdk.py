"""The OpenAI SDK consumer check: the real `openai` package against canned answers (httpx2.MockTransport),
against the embedded reference gateway, and the pure id comparison.

Oracles: what the canned answer was (its status, its body), not what the module happens to print.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import httpx2
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway_contracts import dialects
from gateway_contracts.sdk import chat_once, compare_ids, consumer_check, list_models, sdk_findings
from gateway_testbed.reference import EmbeddedGateway
from tests.self.strategies import FAST

KEY = "sk-consumer-test-key-0123"
BASE = "http://gateway.test/v1"
MODELS = {"object": "list", "data": [{"id": "a", "object": "model", "created": 1, "owned_by": "x"}, {"id": "b"}]}
CHAT = {"id": "c1", "object": "chat.completion", "choices": [{"index": 0, "message": {"role": "assistant",
        "content": "hi"}, "finish_reason": "stop"}]}


def canned(status: int, body: Any, content_type: str = "application/json") -> httpx2.MockTransport:
    text = body if isinstance(body, str) else json.dumps(body)

    def handler(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(status, content=text.encode(), headers={"content-type": content_type})

    return httpx2.MockTransport(handler)


def recording(seen: list[httpx2.Request], status: int = 200, body: Any = MODELS) -> httpx2.MockTransport:
    def handler(request: httpx2.Request) -> httpx2.Response:
        seen.append(request)
        return httpx2.Response(status, json=body)

    return httpx2.MockTransport(handler)


# -- listing ------------------------------------------------------------------------------------------


def test_list_reads_every_id_in_one_request_with_the_key_as_bearer() -> None:
    seen: list[httpx2.Request] = []
    listing = list_models(BASE, KEY, transport=recording(seen))
    assert listing.ok
    assert listing.ids == ("a", "b")
    assert listing.pages == 1
    assert len(seen) == 1
    assert seen[0].url == "http://gateway.test/v1/models"  # a bare GET: whatever the API's default is
    assert seen[0].headers["authorization"] == f"Bearer {KEY}"
    assert listing.calls[0].request == "GET http://gateway.test/v1/models (with key) -> 200"


@pytest.mark.parametrize(
    ("status", "body", "content_type", "error"),
    [
        (200, "<html>maintenance</html>", "text/html", "AttributeError"),
        (200, {"object": "list", "data": None}, "application/json", "TypeError"),
        (200, {"object": "list", "data": [{"name": "no id"}]}, "application/json", "with id None"),
        (502, "<html>Bad gateway</html>", "text/html", "InternalServerError: Error code: 502"),
        (401, {"error": {"message": "bad key"}}, "application/json", "AuthenticationError: Error code: 401"),
    ],
)
def test_list_failures_quote_the_sdk_and_the_body(status: int, body: Any, content_type: str, error: str) -> None:
    listing = list_models(BASE, KEY, transport=canned(status, body, content_type))
    assert not listing.ok
    assert listing.pages == 0
    failed = listing.calls[-1]
    assert failed.status == status
    assert error in (failed.error or "")
    assert failed.request == f"GET http://gateway.test/v1/models (with key) -> {status}"
    text = body if isinstance(body, str) else json.dumps(body)
    assert failed.excerpt == " ".join(text.split())[:200]
    [finding] = sdk_findings(consumer_check(BASE, KEY, [], transport=canned(status, body, content_type)))
    assert finding.invariant == "openai-sdk"
    assert error in finding.message


def test_key_echoed_by_the_target_is_filtered_everywhere() -> None:
    body = {"error": {"message": f"key {KEY} is revoked"}}
    report = consumer_check(BASE, KEY, ["m"], transport=canned(401, body))
    rendered = " ".join(f.render() for f in sdk_findings(report))
    assert "is revoked" in rendered
    assert KEY not in rendered
    assert "***" in rendered


def test_unreachable_target_is_a_connection_error_with_no_answer() -> None:
    def refuse(request: httpx2.Request) -> httpx2.Response:
        raise httpx2.ConnectError("refused", request=request)

    listing = list_models(BASE, KEY, transport=httpx2.MockTransport(refuse))
    assert listing.calls[0].request == "GET http://gateway.test/v1/models (with key) -> no answer"
    assert (listing.calls[0].error or "").startswith("APIConnectionError")


def test_openai_account_ids_in_the_environment_are_not_sent(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_ORG_ID", "org-of-the-user")
    monkeypatch.setenv("OPENAI_PROJECT_ID", "proj-of-the-user")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://elsewhere.test/v1")
    seen: list[httpx2.Request] = []
    assert list_models(BASE, KEY, transport=recording(seen)).ok
    assert seen[0].url.host == "gateway.test"
    assert not [v for v in seen[0].headers.values() if "of-the-user" in v]


def test_retries_are_off_one_request_per_call() -> None:
    seen: list[httpx2.Request] = []
    assert not list_models(BASE, KEY, transport=recording(seen, 503, {"error": "busy"})).ok
    assert len(seen) == 1


def sequence(*answers: tuple[int, dict[str, str]]) -> tuple[httpx2.MockTransport, list[int]]:
    """Answers in turn (status, headers), the models list on a 200; the statuses sent are recorded."""
    sent: list[int] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        status, headers = answers[min(len(sent), len(answers) - 1)]
        sent.append(status)
        return httpx2.Response(status, json=MODELS if status == 200 else {"error": {"message": "busy"}},
                               headers=headers)

    return httpx2.MockTransport(handler), sent


@pytest.mark.parametrize(
    ("first", "waited"),
    [((503, {"retry-after": "1"}), [1.0]), ((429, {"retry-after": "2"}), [2.0]), ((429, {}), [0.5])],
    ids=["503-retry-after", "429-retry-after", "429-backoff"],
)
def test_a_transient_answer_is_retried_as_the_suite_does_and_noted(first: Any, waited: list[float]) -> None:
    transport, sent = sequence(first, (200, {}))
    waits: list[float] = []
    listing = list_models(BASE, KEY, transport=transport, retries=2, sleep=waits.append)
    assert listing.ok
    assert listing.ids == ("a", "b")
    assert sent == [first[0], 200]
    assert waits == waited
    assert listing.notes == (f"attempt 1: HTTP {first[0]}, retried after {waited[0]:g} s",)


@pytest.mark.parametrize(
    ("answer", "retries", "requests"),
    [((502, {}), 2, 1), ((503, {"retry-after": "1"}), 0, 1), ((503, {"retry-after": "1"}), 2, 3),
     ((503, {"retry-after": "120"}), 2, 1), ((500, {"retry-after": "1"}), 2, 1)],
    ids=["5xx-without-retry-after-is-the-answer", "no-retries", "retries-exhausted", "retry-after-too-long",
         "500-is-never-transient"],
)
def test_a_final_answer_is_not_retried(answer: Any, retries: int, requests: int) -> None:
    transport, sent = sequence(answer)
    call = chat_once(BASE, KEY, "a", transport=transport, retries=retries, sleep=lambda s: None)
    assert not call.ok
    assert len(sent) == requests
    assert call.status == answer[0]


# -- chat ---------------------------------------------------------------------------------------------


def test_chat_ok() -> None:
    call = chat_once(BASE, KEY, "a", transport=canned(200, CHAT))
    assert call.ok
    assert call.request == "POST http://gateway.test/v1/chat/completions (with key) -> 200"


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (500, {"error": {"message": "boom"}}, "InternalServerError: Error code: 500 - boom"),
        (200, {"id": "c", "choices": []}, "IndexError"),
        (200, {"id": "c"}, "TypeError"),
        (200, "<html>", "AttributeError"),
    ],
)
def test_chat_failures(status: int, body: Any, error: str) -> None:
    content_type = "text/html" if body == "<html>" else "application/json"
    call = chat_once(BASE, KEY, "a", transport=canned(status, body, content_type))
    assert not call.ok
    assert error in (call.error or "")
    assert call.status == status


def test_null_content_is_valid_openai() -> None:
    body = {**CHAT, "choices": [{"index": 0, "message": {"role": "assistant", "content": None}}]}
    assert chat_once(BASE, KEY, "a", transport=canned(200, body)).ok


def test_consumer_check_chats_each_model_in_order() -> None:
    seen: list[str] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        if request.url.path.endswith("/models"):
            return httpx2.Response(200, json=MODELS)
        seen.append(json.loads(request.content)["model"])
        return httpx2.Response(200, json=CHAT)

    report = consumer_check(BASE, KEY, ["b", "a"], transport=httpx2.MockTransport(handler))
    assert seen == ["b", "a"]
    assert [c.operation for c in report.chats] == ["chat.completions.create b", "chat.completions.create a"]
    assert sdk_findings(report) == []


# -- ids the SDK saw vs ids the contracts walked ------------------------------------------------------

ids = st.lists(st.text("abcdef/-", min_size=1, max_size=6), max_size=15)


@FAST
@given(ids, st.randoms(use_true_random=False))
def test_same_ids_in_any_order_agree(walked: list[str], rnd: Any) -> None:
    seen = list(walked)
    rnd.shuffle(seen)
    assert compare_ids(seen, walked, scope="the whole list") == []


@FAST
@given(ids, st.text("xyz", min_size=1, max_size=3))
def test_one_id_more_or_less_is_one_finding(walked: list[str], other: str) -> None:
    [missing] = compare_ids(walked, [*walked, other], scope="the whole list")
    assert "1 not seen by the SDK" in missing.message
    assert f"missing {other!r}" in missing.evidence
    [extra] = compare_ids([*walked, other], walked, scope="the whole list")
    assert "1 only the SDK saw" in extra.message


def test_a_duplicate_only_one_side_has_is_a_difference() -> None:
    [finding] = compare_ids(["a", "a", "b"], ["a", "b"], scope="the whole list")
    assert finding.message.startswith("the SDK saw 3 rows, the contracts walked 2 for the whole list")


# -- against the embedded reference gateway (Gatewayz dialect: a bare GET is the default page) ---------


@pytest.fixture(scope="module")
def reference() -> Iterator[EmbeddedGateway]:
    with EmbeddedGateway(api_keys={KEY}) as gateway:
        yield gateway


def _default_page(url: str) -> list[str]:
    params = dict(dialects.GATEWAYZ.sdk_page or {})
    body = httpx.get(f"{url}/v1/models", params=params, headers={"Authorization": f"Bearer {KEY}"}).json()
    return [row["id"] for row in body["data"]]


def test_reference_gateway_sdk_sees_the_documented_default_page(reference: EmbeddedGateway) -> None:
    report = consumer_check(f"{reference.url}/v1", KEY, ["openai/gpt-4o", "anthropic/claude-3.5-sonnet"])
    assert sdk_findings(report) == []
    walked = _default_page(reference.url)
    assert len(walked) == 100
    assert compare_ids(report.listing.ids, walked, scope="the default page (gateway=all, limit=100, offset=0)") == []


def test_reference_gateway_unknown_model_is_quoted(reference: EmbeddedGateway) -> None:
    call = chat_once(f"{reference.url}/v1", KEY, "nope/not-a-model")
    assert not call.ok
    assert call.status == 400
    assert (call.error or "").startswith("BadRequestError: Error code: 400")


def test_every_request_the_sdk_sends_is_announced_to_the_run() -> None:
    """The run paces and counts the SDK's requests (its rate budget, its summary): one call per request."""
    seen: list[httpx2.Request] = []
    announced: list[int] = []
    listing = list_models("http://gw.test/v1", "k", transport=recording(seen),
                          before_request=lambda: announced.append(len(seen)))
    assert listing.ok
    assert len(seen) == 1
    assert announced == [0], "announced once, before the request reached the transport"
