"""Listed means callable (gateway_contracts.invariants.callable): each chat answer classified per the API, the
callable share against the bound, and findings naming each failing model with its status, code and curl line."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway_contracts.data.exchange import Exchange, TransportFailure
from gateway_contracts.invariants.callable import (
    Outcome,
    Share,
    callable_findings,
    classify,
    curl_line,
    error_code,
)
from gateway_contracts.plan import probe_chat_body
from tests.self.strategies import FAST

URL = "http://gateway.test/v1/chat/completions"
COMPLETION = {"object": "chat.completion", "choices": [{"index": 0, "message": {"role": "assistant", "content": "o"}}]}


def answer(status: int | None, body: Any = None, *, failure: TransportFailure | None = None,
           attempts: int = 1) -> Exchange:
    text = body if isinstance(body, str) else ("" if body is None else json.dumps(body))
    return Exchange("POST", URL, status, "application/json" if status else "", text=text, authenticated=True,
                    failure=failure, error=None if status else f"{failure}", attempts=attempts)


def outcome(exchange: Exchange) -> Outcome:
    return classify("org/m", exchange, probe_chat_body("org/m")).outcome


@pytest.mark.parametrize(("exchange", "expected"), [
    (answer(200, COMPLETION), Outcome.CALLABLE),
    (answer(200, {**COMPLETION, "choices": [{"message": {"role": "assistant", "content": ""}}]}), Outcome.CALLABLE),
    # what a failure is, per the API
    (answer(200, {"object": "chat.completion", "choices": []}), Outcome.FAILED),
    (answer(200, {"id": "x"}), Outcome.FAILED),
    (answer(200, "<html>ok</html>"), Outcome.FAILED),
    (answer(502, {"error": {"code": "upstream_error"}}), Outcome.FAILED),
    (answer(500, "Internal Server Error"), Outcome.FAILED),
    (answer(503, {"detail": "down"}, attempts=3), Outcome.FAILED),
    (answer(None, failure=TransportFailure.TIMEOUT), Outcome.FAILED),
    (answer(None, failure=TransportFailure.RESET), Outcome.FAILED),
    (answer(400, {"error": {"code": "model_not_priced", "message": "Model 'x' is not available"}}), Outcome.FAILED),
    (answer(404, {"error": {"code": "model_not_found"}}), Outcome.FAILED),
    (answer(404, {"detail": "Not Found"}), Outcome.FAILED),
    (answer(400, {"error": {"message": "Invalid model name passed in model=org/m", "type": "None"}}), Outcome.FAILED),
    (answer(400, {"error": {"message": "The model `org/m` does not exist", "code": None}}), Outcome.FAILED),
    # not a failure of the model: not counted
    (answer(429, {"error": {"type": "rate_limit"}}, attempts=3), Outcome.UNCOUNTED),
    (answer(401, {"error": {"code": "invalid_api_key"}}), Outcome.UNCOUNTED),
    (answer(402, {"error": {"code": "insufficient_credits"}}), Outcome.UNCOUNTED),
    (answer(400, {"error": {"message": "max_tokens must be at least 16"}}), Outcome.UNCOUNTED),
    (answer(None, failure=TransportFailure.NOT_SENT), Outcome.UNCOUNTED),
    (answer(None, failure=TransportFailure.CONNECT), Outcome.UNCOUNTED),
])
def test_each_answer_is_classified_per_the_api(exchange: Exchange, expected: Outcome) -> None:
    assert outcome(exchange) is expected


def test_the_error_code_is_read_from_the_error_body() -> None:
    assert error_code({"error": {"code": "model_not_priced", "type": "invalid_request_error"}}) == "model_not_priced"
    assert error_code({"error": {"code": None, "type": "api_error"}}) == "api_error"
    assert error_code({"detail": "Not Found"}) is None
    assert error_code(["x"]) is None


def probe(*exchanges: Exchange, bound: float = 1.0) -> Share:
    return Share("groq", tuple(classify(f"groq/m{i}", e, probe_chat_body(f"groq/m{i}")) for i, e in
                               enumerate(exchanges)), bound, "2026-12-07")


def test_the_share_counts_callable_over_counted_and_holds_at_the_bound() -> None:
    ok, bad, limited = answer(200, COMPLETION), answer(502, {"error": {"code": "upstream_error"}}), answer(429)
    share = probe(ok, ok, bad, limited, bound=0.6)
    assert (share.counted, share.share, share.holds) == (3, 2 / 3, True)
    assert callable_findings(share) == []
    assert probe(limited, bound=1.0).share is None  # nothing counted: nothing to judge
    assert probe(limited).holds
    assert probe().share is None


def test_under_the_bound_the_findings_name_every_failing_model_status_code_and_curl() -> None:
    share = probe(answer(200, COMPLETION), answer(502, {"error": {"code": "upstream_error"}}),
                  answer(400, {"error": {"code": "model_not_priced"}}), answer(429))
    findings = callable_findings(share)
    assert [f.invariant for f in findings] == ["callable-share", "listed-not-callable", "listed-not-callable"]
    assert [f.code for f in findings] == ["GC409", "GC410", "GC410"]
    assert "1 of 3 listed models sampled on 2026-12-07 answered chat (33%), expected at least 100%" in \
        findings[0].message
    assert "(1 more not counted)" in findings[0].message
    assert findings[0].evidence == ("groq/m1", "groq/m2")
    assert "'groq/m1'; chat answers HTTP 502 upstream_error" in findings[1].message
    assert "HTTP 400 model_not_priced: refused as unknown or unpriced" in findings[2].message
    assert findings[1].request == f"POST {URL} (with key) -> 502 in 0.00 s"
    rendered = findings[1].render()
    assert "reproduce: curl -X POST http://gateway.test/v1/chat/completions -H 'Authorization: Bearer ***'" in rendered
    assert '"max_tokens": 1' in rendered
    assert '"model": "groq/m1"' in rendered
    summary = share.summary()
    assert (summary["share"], summary["sampled"], summary["callable"]) == (0.3333, 4, 1)
    assert summary["failed"][0] == {"model": "groq/m1", "status": 502, "code": "upstream_error",
                                    "reason": "HTTP 502 upstream_error"}


def test_the_curl_line_never_holds_a_key_and_quotes_the_body() -> None:
    line = curl_line(answer(200, COMPLETION), {"model": "it's/m", "max_tokens": 1})
    assert "Bearer ***" in line
    assert "'\"'\"'" in line  # a shell-quoted apostrophe
    unkeyed = Exchange("POST", URL, 401, authenticated=False)
    assert "Authorization" not in curl_line(unkeyed, {"model": "m"})


@FAST
@given(st.lists(st.sampled_from([200, 429, 500, 502, 404]), max_size=20), st.floats(0, 1))
def test_the_share_and_the_findings_agree(statuses: list[int], bound: float) -> None:
    bodies = {200: COMPLETION, 429: {}, 500: {}, 502: {}, 404: {}}
    share = probe(*(answer(s, bodies[s]) for s in statuses), bound=bound)
    counted = [s for s in statuses if s != 429]
    assert share.counted == len(counted)
    findings = callable_findings(share)
    if not counted or counted.count(200) / len(counted) >= bound:
        assert findings == []
    else:
        assert len(findings) == 1 + len(counted) - counted.count(200)
