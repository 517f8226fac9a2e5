"""A real LiteLLM proxy (offline, mock_response models) seen through the OpenAI SDK and the openai-dialect
invariants: the healthy config passes, each configured fault is caught by the invariant meant for it, and
the behaviours docs/litellm-notes.md records hold for the pinned version.
"""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway_contracts.invariants.openai_models import (
    Bounds,
    GroupRule,
    check_groups,
    check_ids,
    check_list_body,
    check_model_body,
    list_ids,
    list_rows,
)
from gateway_contracts.invariants.responses import answered_json, chat_answered, rejected_as_client_error, requires_key
from gateway_contracts.net.client import GatewayClient
from gateway_contracts.sdk import compare_ids, consumer_check, sdk_findings
from tests.self import litellm_proxy
from tests.self.litellm_proxy import (
    BELOW_FLOOR,
    FAILING,
    HEALTHY,
    MASTER_KEY,
    REMOVED,
    TWICE,
    LiteLLMProxy,
    ProxyStartError,
    faulty_models,
    needs_litellm,
)

pytestmark = needs_litellm

AUTH = {"Authorization": f"Bearer {MASTER_KEY}"}
IDS = [m.id for m in HEALTHY]
RULES = {
    "openai": GroupRule("prefix", prefix="openai/"),
    "anthropic": GroupRule("prefix", prefix="anthropic/"),
    "house": GroupRule("list", ids=("house-assistant", "house-writer", "house-summarizer")),
}
BOUNDS = {
    "openai": Bounds(min_models=3, max_models=10, required=("openai/gpt-4o-mini",)),
    "anthropic": Bounds(min_models=2, max_models=10, required=("anthropic/claude-3-haiku-20240307",)),
    "house": Bounds(min_models=2, max_models=3, required=(REMOVED,)),
}
WHOLE = Bounds(min_models=len(IDS), max_models=len(IDS), required=("house-assistant",))


def get(proxy: LiteLLMProxy, path: str, headers: dict[str, str] | None = None, **params: Any) -> httpx.Response:
    return httpx.get(f"{proxy.base_url}{path}", headers=AUTH if headers is None else headers, params=params)


def chat(proxy: LiteLLMProxy, model: str, headers: dict[str, str] | None = None) -> httpx.Response:
    body = {"model": model, "messages": [{"role": "user", "content": "Say hi"}]}
    return httpx.post(f"{proxy.base_url}/chat/completions", json=body, headers=AUTH if headers is None else headers)


# -- healthy: what the SDK and the invariants see ------------------------------------------------------


def test_sdk_lists_every_model_and_chats_with_each(
    litellm_healthy: LiteLLMProxy, record_testsuite_property: Callable[[str, object], None]
) -> None:
    # Start-up time lands in the JUnit report (a suite property: xunit2 has no per-test ones): it is most
    # of what a LiteLLM proxy costs `make test`.
    record_testsuite_property("litellm_startup_seconds", round(litellm_healthy.startup_seconds or 0.0, 1))
    report = consumer_check(litellm_healthy.base_url, MASTER_KEY, IDS)
    assert sdk_findings(report) == []
    assert sorted(report.listing.ids) == sorted(IDS)
    walked = list_ids(get(litellm_healthy, "/models").json())
    assert compare_ids(report.listing.ids, walked, scope="the whole list") == []


def test_healthy_list_passes_the_openai_dialect(litellm_healthy: LiteLLMProxy) -> None:
    body = get(litellm_healthy, "/models").json()
    assert check_list_body(body) == []
    assert check_ids(list_ids(body), WHOLE, where="the list") == []
    assert check_groups(list_rows(body), RULES, BOUNDS) == {"openai": [], "anthropic": [], "house": []}


# -- faults made by configuration, each caught where it should be --------------------------------------


def test_faults_are_caught(litellm_faulty: LiteLLMProxy) -> None:
    body = get(litellm_faulty, "/models").json()
    assert check_list_body(body) == []  # every row is still well formed
    groups = check_groups(list_rows(body), RULES, BOUNDS)
    assert [f.invariant for f in groups["anthropic"]] == ["count-floor"]  # BELOW_FLOOR removed
    assert [f.invariant for f in groups["house"]] == ["required-models"]  # REMOVED
    assert BELOW_FLOOR not in list_ids(body)
    [twice] = groups["openai"]
    assert (twice.invariant, twice.evidence) == ("no-duplicate-ids", (f"{TWICE!r} x2",))
    report = consumer_check(litellm_faulty.base_url, MASTER_KEY, [m.id for m in faulty_models()])
    [failed] = sdk_findings(report)
    assert failed.request.endswith("/v1/chat/completions (with key) -> 500")
    assert "InternalServerError: Error code: 500" in failed.message
    assert FAILING in failed.message
    # The SDK shows the duplicate too: what it sees still agrees with the raw list.
    assert report.listing.ids.count(TWICE) == 2
    assert compare_ids(report.listing.ids, list_ids(body), scope="the whole list") == []


def test_failing_model_answers_500_json(litellm_faulty: LiteLLMProxy) -> None:
    response = chat(litellm_faulty, FAILING)
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["error"]["type"] == "internal_server_error"


# -- the Gatewayz dialect's single-response invariants carry over unchanged --------------------------


def chat_body(model: str) -> dict[str, Any]:
    return {"model": model, "messages": [{"role": "user", "content": "Say hi"}], "max_tokens": 16}


def test_response_invariants_carry_over_to_litellm(litellm_healthy: LiteLLMProxy) -> None:
    client = GatewayClient(litellm_healthy.url, api_key=MASTER_KEY)
    try:
        # The OpenAI models API wants the key on the list too (GatewayClient.get sends none: Gatewayz's is public).
        assert answered_json(client.request("GET", "/v1/models", authenticated=True)) == []
        assert client.get("/v1/models").status == 401
        assert chat_answered(client.post_json("/v1/chat/completions", chat_body(IDS[0]), authenticated=True),
                             model=IDS[0]) == []
        assert requires_key(client.post_json("/v1/chat/completions", chat_body(IDS[0]), authenticated=False)) == []
        unknown = client.post_json("/v1/chat/completions", chat_body("nope/not-configured"), authenticated=True)
        assert rejected_as_client_error(unknown, why="unknown model") == []
    finally:
        client.close()


def test_failing_model_is_a_chat_finding(litellm_faulty: LiteLLMProxy) -> None:
    client = GatewayClient(litellm_faulty.url, api_key=MASTER_KEY)
    try:
        exchange = client.post_json("/v1/chat/completions", chat_body(FAILING), authenticated=True)
    finally:
        client.close()
    [finding] = chat_answered(exchange, model=FAILING)
    assert finding.invariant == "chat"
    assert "expected a 2xx completion, got HTTP 500" in finding.message
    assert MASTER_KEY not in finding.render()


# -- behaviours recorded in docs/litellm-notes.md (pinned litellm) ------------------------------------


def test_no_key_is_a_json_401(litellm_healthy: LiteLLMProxy) -> None:
    for response in (get(litellm_healthy, "/models", headers={}), chat(litellm_healthy, IDS[0], headers={})):
        assert response.status_code == 401
        assert response.json()["error"]["type"] == "auth_error"


def test_wrong_key_is_a_json_400_without_a_database(litellm_healthy: LiteLLMProxy) -> None:
    # Not 401: without a DB LiteLLM cannot look a virtual key up and says so.
    response = get(litellm_healthy, "/models", headers={"Authorization": "Bearer sk-wrong"})
    assert response.status_code == 400
    assert response.json()["error"]["type"] == "no_db_connection"


def test_unknown_model_in_chat_is_a_json_400(litellm_healthy: LiteLLMProxy) -> None:
    response = chat(litellm_healthy, "nope/not-configured")
    assert response.status_code == 400
    assert response.json()["error"]["type"] == "invalid_request_error"


def test_pagination_parameters_are_ignored(litellm_healthy: LiteLLMProxy) -> None:
    assert len(get(litellm_healthy, "/models", limit=1, offset=1).json()["data"]) == len(IDS)


def test_every_row_says_owned_by_openai(litellm_healthy: LiteLLMProxy) -> None:
    # LiteLLM hard-codes the owner, so an owned_by group rule cannot tell providers apart.
    assert {row["owned_by"] for row in get(litellm_healthy, "/models").json()["data"]} == {"openai"}


def test_model_by_id_only_without_a_slash(litellm_healthy: LiteLLMProxy) -> None:
    assert check_model_body(get(litellm_healthy, "/models/house-assistant").json(), model_id="house-assistant") == []
    assert get(litellm_healthy, "/models/openai/gpt-4o-mini").status_code == 404
    assert get(litellm_healthy, "/models/no-such-model").json() == {
        "detail": "The model `no-such-model` does not exist or is not accessible"
    }


# -- the harness itself -------------------------------------------------------------------------------


def test_a_proxy_that_is_not_ready_in_time_is_stopped_with_its_group() -> None:
    proxy = LiteLLMProxy(HEALTHY, start_timeout=0.5)
    with pytest.raises(ProxyStartError, match="not ready"):
        proxy.start()
    assert proxy.pid is not None
    with pytest.raises(ProcessLookupError):
        os.killpg(proxy.pid, 0)  # no process left in its group


FAKE_LITELLM = """#!{python}
import http.server, sys
port = int(sys.argv[sys.argv.index("--port") + 1])

class Alive(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b'"alive"')

try:
    server = http.server.HTTPServer(("127.0.0.1", port), Alive)
except OSError as exc:
    print(f"ERROR: [Errno 98] error while attempting to bind on address: address already in use ({{exc}})")
    sys.exit(1)
server.serve_forever()
"""


def test_a_port_taken_before_litellm_binds_it_is_retried(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Another process takes the picked port during litellm's ~10 s of imports: it exits on the bind and the
    # harness picks another port. A stand-in executable with litellm's CLI and bind error keeps this fast.
    fake = tmp_path / "litellm"
    fake.write_text(FAKE_LITELLM.format(python=sys.executable))
    fake.chmod(0o755)
    monkeypatch.setattr(litellm_proxy, "litellm_executable", lambda: str(fake))
    squatter = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    squatter.bind(("127.0.0.1", 0))
    squatter.listen()
    taken = squatter.getsockname()[1]
    ports, real_free_port = iter([taken]), litellm_proxy.free_port
    monkeypatch.setattr(litellm_proxy, "free_port", lambda: next(ports, None) or real_free_port())
    try:
        with LiteLLMProxy(HEALTHY) as proxy:
            assert proxy.port != taken
            assert httpx.get(f"{proxy.url}/health/liveliness").status_code == 200
            pid = proxy.pid
    finally:
        squatter.close()
    assert pid is not None
    with pytest.raises(ProcessLookupError):
        os.killpg(pid, 0)
