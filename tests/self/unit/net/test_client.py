"""The session client over httpx.MockTransport: sent once, shared cache, bounded retries, capped bodies, no key leak."""

from __future__ import annotations

import itertools
import json
import socket
import ssl
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway_contracts.data.exchange import Exchange, build_url
from gateway_contracts.net.cache import read_cache_dir
from gateway_contracts.net.client import TRUNCATED_HEAD_BYTES, ClientSettings, GatewayClient, _Bearer
from gateway_contracts.net.errors import describe_transport_error, failure_kind
from gateway_contracts.net.redaction import Redactor, too_short_to_redact
from gateway_contracts.net.throttle import Throttle

BASE = "http://gateway.test"
KEY = "test-only-S3cr3tK3y-0123456789abcdef"
ENVELOPE = {"object": "list", "data": [{"id": "openai/gpt-4o"}], "total": 1}

Handler = Callable[[httpx.Request], httpx.Response]


class Recorder:
    """A MockTransport handler that answers from a script and records every request it receives."""

    def __init__(self, *answers: httpx.Response | Exception | Handler) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers[min(len(self.requests), len(self.answers)) - 1]  # the last one repeats
        if isinstance(answer, Exception):
            raise answer
        if callable(answer):
            return answer(request)
        return answer

    @property
    def calls(self) -> int:
        return len(self.requests)


def caused_by(exc: httpx.HTTPError, cause: OSError) -> httpx.HTTPError:
    """What httpx raises: its own type, chained to the socket or ssl error (classified by that type)."""
    exc.__cause__ = cause
    return exc


def refused() -> httpx.HTTPError:
    return caused_by(httpx.ConnectError("[Errno 111] Connection refused"), ConnectionRefusedError(111, "refused"))


def dns_failure(message: str) -> httpx.HTTPError:
    return caused_by(httpx.ConnectError(message), socket.gaierror(-2, message))


def tls_failure(message: str) -> httpx.HTTPError:
    return caused_by(httpx.ConnectError(message), ssl.SSLCertVerificationError(1, message))


def ok(body: Any = ENVELOPE, **headers: str) -> httpx.Response:
    return httpx.Response(200, json=body, headers=headers)


def status(code: int, body: Any = None, **headers: str) -> httpx.Response:
    return httpx.Response(code, json=body if body is not None else {"error": {"code": code}}, headers=headers)


def make_client(
    recorder: Recorder,
    *,
    sleeps: list[float] | None = None,
    api_key: str | None = None,
    cache_dir: Path | None = None,
    clock: FakeClock | None = None,
    **settings: Any,
) -> GatewayClient:
    record = sleeps if sleeps is not None else []
    clock = clock or FakeClock()

    def sleep(seconds: float) -> None:
        record.append(seconds)
        clock.sleep(seconds)

    return GatewayClient(
        BASE,
        api_key=api_key,
        settings=ClientSettings(**settings),
        cache_dir=cache_dir,
        transport=httpx.MockTransport(recorder),
        sleep=sleep,
        clock=clock,
    )


class FakeClock:
    """Time as the client sees it: moves only when the client sleeps (or a test moves it)."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


# -- sent once ------------------------------------------------------------------------------------


def test_a_request_is_sent_once_and_cached() -> None:
    recorder = Recorder(ok())
    client = make_client(recorder)
    first = client.get("/v1/models", {"gateway": "openrouter", "limit": 5})
    again = client.get("/v1/models", {"gateway": "openrouter", "limit": 5})
    assert recorder.calls == 1
    assert client.sent == 1
    assert again is first
    assert first.status == 200
    assert first.json == ENVELOPE
    assert first.attempts == 1
    assert first.notes == ()
    assert first.url == "http://gateway.test/v1/models?gateway=openrouter&limit=5"
    assert str(recorder.requests[0].url) == first.url


def test_different_requests_are_each_sent() -> None:
    recorder = Recorder(ok())
    client = make_client(recorder, api_key=KEY)
    client.get("/v1/models", {"gateway": "openrouter"})
    client.get("/v1/models", {"gateway": "featherless"})
    client.post_json("/v1/chat/completions", {"model": "a"}, authenticated=False)
    client.post_json("/v1/chat/completions", {"model": "a"}, authenticated=True)
    client.post_json("/v1/chat/completions", {"model": "b"}, authenticated=True)
    client.post_json("/v1/chat/completions", {"model": "b"}, authenticated=True)
    assert recorder.calls == 5
    assert [json.loads(r.content)["model"] for r in recorder.requests[2:]] == ["a", "a", "b"]
    assert len(client.cached_exchanges()) == 5


def test_the_disk_cache_is_shared_between_client_instances(tmp_path: Path) -> None:
    # Two xdist workers: the second reads the first one's answer instead of sending again.
    first_recorder, second_recorder = Recorder(ok()), Recorder(ok({"data": "other"}))
    first = make_client(first_recorder, cache_dir=tmp_path).get("/v1/models", {"gateway": "openrouter"})
    second_client = make_client(second_recorder, cache_dir=tmp_path)
    second = second_client.get("/v1/models", {"gateway": "openrouter"})
    assert first_recorder.calls == 1
    assert second_recorder.calls == 0
    assert second_client.sent == 0
    assert second == first
    assert second.json == ENVELOPE
    assert read_cache_dir(tmp_path) == [first]
    assert second_client.cached_exchanges() == [first]
    assert not list(tmp_path.glob("*.tmp*"))


def test_the_disk_cache_keeps_retry_evidence(tmp_path: Path) -> None:
    recorder = Recorder(status(503, **{"Retry-After": "1"}), ok())
    make_client(recorder, cache_dir=tmp_path).get("/v1/models")
    (cached,) = read_cache_dir(tmp_path)
    assert cached.attempts == 2
    assert cached.notes == ("attempt 1: HTTP 503, retried after 1 s",)


# -- retries --------------------------------------------------------------------------------------


def test_a_503_with_retry_after_is_retried_then_succeeds() -> None:
    recorder = Recorder(status(503, **{"Retry-After": "3"}), ok())
    sleeps: list[float] = []
    exchange = make_client(recorder, sleeps=sleeps).get("/v1/models")
    assert recorder.calls == 2
    assert sleeps == [3.0]
    assert exchange.status == 200
    assert exchange.attempts == 2
    assert exchange.notes == ("attempt 1: HTTP 503, retried after 3 s",)
    assert exchange.describe().endswith(", 2 attempts")


def test_a_429_without_retry_after_is_noted_and_retried_with_backoff() -> None:
    # R19: the suite reports a 429 without Retry-After and backs off on its own.
    recorder = Recorder(status(429), status(429), ok())
    sleeps: list[float] = []
    exchange = make_client(recorder, sleeps=sleeps, backoff_s=0.25, retries=3).get("/v1/models")
    assert recorder.calls == 3
    assert sleeps == [0.25, 0.5]
    assert exchange.status == 200
    assert exchange.attempts == 3
    assert exchange.notes == (
        "attempt 1: HTTP 429 (429 without Retry-After), retried after 0.25 s",
        "attempt 2: HTTP 429 (429 without Retry-After), retried after 0.5 s",
    )
    assert exchange.rate_limited_without_retry_after


def test_a_429_without_retry_after_that_persists_is_the_answer_and_still_noted() -> None:
    recorder = Recorder(status(429))
    exchange = make_client(recorder, retries=1).get("/v1/models")
    assert recorder.calls == 2
    assert exchange.status == 429
    assert exchange.notes[-1] == "attempt 2: HTTP 429 (429 without Retry-After), no retries left"
    assert exchange.rate_limited_without_retry_after


def test_a_429_with_retry_after_waits_that_long() -> None:
    recorder = Recorder(status(429, **{"Retry-After": "60"}), ok())
    sleeps: list[float] = []
    exchange = make_client(recorder, sleeps=sleeps).get("/v1/models")
    assert sleeps == [60.0]
    assert exchange.notes == ("attempt 1: HTTP 429, retried after 60 s",)


@pytest.mark.parametrize("code", [502, 503, 504])
def test_a_5xx_without_retry_after_is_the_answer_not_retried(code: int) -> None:
    # R06: every gateway 502 must be reported as a 502, not papered over by retries.
    recorder = Recorder(status(code), ok())
    sleeps: list[float] = []
    exchange = make_client(recorder, sleeps=sleeps).get("/v1/models")
    assert recorder.calls == 1
    assert sleeps == []
    assert exchange.status == code
    assert exchange.attempts == 1
    assert exchange.notes == ()


def test_a_retry_after_http_date_counts_as_absent() -> None:
    recorder = Recorder(status(503, **{"Retry-After": "Wed, 21 Oct 2026 07:28:00 GMT"}), ok())
    exchange = make_client(recorder).get("/v1/models")
    assert recorder.calls == 1
    assert exchange.status == 503
    assert exchange.retry_after == "Wed, 21 Oct 2026 07:28:00 GMT"


@pytest.mark.parametrize("code", [200, 400, 401, 404, 422, 500])
def test_final_statuses_are_not_retried(code: int) -> None:
    recorder = Recorder(status(code, **{"Retry-After": "1"}), ok())
    exchange = make_client(recorder).get("/v1/models")
    assert recorder.calls == 1
    assert exchange.status == code


@pytest.mark.parametrize("retries", [0, 1, 2, 4])
def test_retries_are_bounded(retries: int) -> None:
    recorder = Recorder(status(503, **{"Retry-After": "0"}))
    sleeps: list[float] = []
    client = make_client(recorder, sleeps=sleeps, retries=retries)
    exchange = client.get("/v1/models")
    assert recorder.calls == retries + 1
    assert client.sent == retries + 1
    assert sleeps == [0.0] * retries
    assert exchange.status == 503
    assert exchange.attempts == retries + 1
    assert len(exchange.notes) == retries + 1
    assert exchange.notes[-1] == f"attempt {retries + 1}: HTTP 503, no retries left"
    assert not exchange.rate_limited_without_retry_after


def test_a_retry_after_over_the_cap_is_not_waited() -> None:
    recorder = Recorder(status(503, **{"Retry-After": "600"}), ok())
    sleeps: list[float] = []
    exchange = make_client(recorder, sleeps=sleeps, max_retry_after_s=60).get("/v1/models")
    assert recorder.calls == 1
    assert sleeps == []
    assert exchange.status == 503
    assert exchange.retry_after == "600"
    assert exchange.notes == ("attempt 1: HTTP 503, Retry-After 600 s is over the limit",)


# -- transport failures ---------------------------------------------------------------------------


def test_a_connection_error_is_evidence_not_an_exception() -> None:
    recorder = Recorder(refused())
    sleeps: list[float] = []
    exchange = make_client(recorder, sleeps=sleeps, retries=2, backoff_s=0.5).get("/v1/models")
    assert exchange.status is None
    assert exchange.error == "connection refused"
    assert exchange.json is None
    assert exchange.json_error == "no response"
    assert recorder.calls == 3  # a reset or refused connection is transient: bounded retries
    assert sleeps == [0.5, 1.0]
    assert exchange.describe() == (
        "GET http://gateway.test/v1/models -> no answer (connection refused) in "
        f"{exchange.elapsed_s:.2f} s, 3 attempts"
    )
    assert exchange.notes[0] == "attempt 1: connection refused, retried after 0.5 s"


def test_a_connection_error_then_success() -> None:
    recorder = Recorder(httpx.RemoteProtocolError("Server disconnected without sending a response."), ok())
    exchange = make_client(recorder).get("/v1/models")
    assert exchange.status == 200
    assert exchange.attempts == 2
    assert exchange.notes == (
        "attempt 1: connection closed mid-answer (Server disconnected without sending a response.), "
        "retried after 0.5 s",
    )


def test_a_read_timeout_is_retried_at_most_once() -> None:
    # A hung target must not cost retries x timeout.
    recorder = Recorder(httpx.ReadTimeout("timed out"))
    exchange = make_client(recorder, retries=5).get("/v1/models")
    assert recorder.calls == 2
    assert exchange.status is None
    assert exchange.error == "timed out (ReadTimeout)"
    assert exchange.attempts == 2
    assert exchange.notes[-1] == "attempt 2: timed out (ReadTimeout) again, not retried"


def test_a_connect_timeout_is_not_retried() -> None:
    # A black-holed host: the kernel re-sent the SYN within the connect timeout already; the run fails in seconds.
    recorder = Recorder(httpx.ConnectTimeout("timed out"), ok())
    exchange = make_client(recorder, retries=5).get("/health")
    assert recorder.calls == 1
    assert exchange.error == "timed out (ConnectTimeout)"
    assert exchange.unreachable


def test_after_a_request_timed_out_twice_later_timeouts_are_not_retried() -> None:
    # A hung gateway costs one timeout per URL (plus one), not two.
    recorder = Recorder(httpx.ReadTimeout("timed out"))
    client = make_client(recorder, retries=5)
    client.get("/v1/models", {"gateway": "groq"})
    assert recorder.calls == 2
    later = client.get("/v1/models", {"gateway": "GROQ"})
    assert recorder.calls == 3
    assert later.attempts == 1
    assert later.notes == ("attempt 1: timed out (ReadTimeout), not retried (an earlier request timed out twice)",)


def test_a_hang_seen_by_one_worker_spares_the_others_a_retry(tmp_path: Path) -> None:
    first, second = Recorder(httpx.ReadTimeout("t")), Recorder(httpx.ReadTimeout("t"))
    make_client(first, cache_dir=tmp_path).get("/v1/models", {"gateway": "groq"})
    later = make_client(second, cache_dir=tmp_path).get("/v1/models", {"gateway": "GROQ"})
    assert (first.calls, second.calls) == (2, 1)
    assert later.attempts == 1
    assert len(read_cache_dir(tmp_path)) == 2  # the marker is not an exchange


def test_only_a_real_answer_after_a_retry_counts_as_recovered() -> None:
    assert make_client(Recorder(status(503, **{"Retry-After": "0"}), ok())).get("/a").recovered
    assert make_client(Recorder(status(429), status(400))).get("/a").recovered
    assert not make_client(Recorder(status(503, **{"Retry-After": "0"}))).get("/a").recovered
    assert not make_client(Recorder(httpx.ReadTimeout("t"))).get("/a").recovered
    assert not make_client(Recorder(ok())).get("/a").recovered


def test_other_failures_are_still_retried_after_a_hang() -> None:
    recorder = Recorder(httpx.ReadTimeout("t"), httpx.ReadTimeout("t"), status(503, **{"Retry-After": "0"}), ok())
    client = make_client(recorder)
    client.get("/hung")
    assert client.get("/flaky").status == 200
    assert recorder.calls == 4


@pytest.mark.parametrize(
    "exc",
    [
        dns_failure("[Errno -2] Name or service not known"),
        tls_failure("[SSL: WRONG_VERSION_NUMBER] wrong version number (_ssl.c:1006)"),
        httpx.UnsupportedProtocol("Request URL is missing an 'http://' or 'https://' protocol."),
    ],
)
def test_dns_tls_and_url_failures_are_not_retried(exc: httpx.HTTPError) -> None:
    recorder = Recorder(exc, ok())
    sleeps: list[float] = []
    exchange = make_client(recorder, sleeps=sleeps).get("/health")
    assert recorder.calls == 1
    assert sleeps == []
    assert exchange.unreachable
    assert exchange.notes == ()


def test_an_invalid_url_is_evidence_not_an_exception() -> None:
    # httpx.InvalidURL is not an httpx.HTTPError: it must not escape as a crash either.
    exchange = make_client(Recorder(httpx.InvalidURL("Invalid port: '99999'"))).get("/health")
    assert exchange.status is None
    assert exchange.failure == "url"
    assert exchange.unreachable


@pytest.mark.parametrize(
    ("exc", "kind", "unreachable"),
    [
        (refused(), "connect", True),
        (httpx.ConnectError("[Errno 101] Network is unreachable"), "connect", True),
        (dns_failure("[Errno -3] Temporary failure in name resolution"), "dns", True),
        (tls_failure("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed"), "tls", True),
        (httpx.ConnectTimeout("timed out"), "connect-timeout", True),
        (httpx.ReadTimeout("timed out"), "timeout", False),
        (httpx.ReadError("[Errno 104] Connection reset by peer"), "reset", False),
        (httpx.RemoteProtocolError("peer closed connection"), "reset", False),
        (httpx.DecodingError("bad gzip"), "other", False),
    ],
)
def test_failure_kinds(exc: httpx.HTTPError, kind: str, unreachable: bool) -> None:
    assert failure_kind(exc) == kind
    exchange = make_client(Recorder(exc), retries=0).get("/health")
    assert exchange.failure == kind
    assert exchange.unreachable is unreachable


def test_a_trickling_answer_hits_the_deadline() -> None:
    # Each read arrives in time, but the whole answer never does: that is a timeout too, not a hang.
    clock = FakeClock()

    def trickle() -> Any:
        for _ in range(1000):
            clock.now += 1.0  # a byte a second
            yield b" "

    recorder = Recorder(lambda request: httpx.Response(200, content=trickle()))
    exchange = make_client(recorder, clock=clock, timeout_s=10, retries=0).get("/v1/models")
    assert exchange.status is None
    assert exchange.failure == "timeout"
    assert exchange.error == "timed out (the answer was still arriving after 10 s)"
    assert 10 <= clock.now - 1000 <= 12


def test_a_timeout_then_an_answer() -> None:
    recorder = Recorder(httpx.ReadTimeout("timed out"), ok())
    exchange = make_client(recorder).get("/v1/models")
    assert exchange.status == 200
    assert exchange.attempts == 2


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (dns_failure("[Errno -2] Name or service not known"), "DNS lookup failed ([Errno -2] Name or service"),
        (tls_failure("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed"), "TLS error ([SSL: "),
        (refused(), "connection refused"),
        (httpx.ReadTimeout(""), "timed out (ReadTimeout)"),
        (httpx.RemoteProtocolError("peer closed"), "connection closed mid-answer (peer closed)"),
        (httpx.ReadError(""), "ReadError: ReadError"),
    ],
)
def test_transport_errors_read_as_a_reason(exc: httpx.HTTPError, expected: str) -> None:
    assert describe_transport_error(exc).startswith(expected)


# -- capped bodies --------------------------------------------------------------------------------


def test_a_body_over_the_limit_is_cut_and_flagged_without_crashing() -> None:
    big = json.dumps({"data": [{"id": f"org/model-{i}"} for i in range(2000)]}).encode()
    recorder = Recorder(lambda request: httpx.Response(200, content=big, headers={"content-type": "application/json"}))
    exchange = make_client(recorder, max_body_bytes=1000).get("/v1/models")
    assert exchange.status == 200
    assert exchange.body_truncated is True
    assert len(exchange.text) == 1000
    assert exchange.json is None
    assert exchange.json_error == ("body larger than the client's limit of 1,000 bytes (MAX_BODY_BYTES), not read "
                                   "further")
    assert not exchange.is_json


def test_only_the_head_of_an_over_limit_body_is_kept() -> None:
    # huge-body: a 60 MB answer must not be held (or written to the shared cache) whole.
    big = b'{"object":"list","note":"' + b"pad " * 1_000_000 + b'"}'
    recorder = Recorder(lambda request: httpx.Response(200, content=big))
    exchange = make_client(recorder, max_body_bytes=2_000_000).get("/v1/models")
    assert exchange.body_truncated is True
    assert exchange.body_limit == 2_000_000
    assert len(exchange.text) == TRUNCATED_HEAD_BYTES
    assert exchange.text.startswith('{"object":"list"')
    assert len(exchange.excerpt()) <= 200


def test_a_body_at_the_limit_is_whole() -> None:
    body = json.dumps(ENVELOPE).encode()
    recorder = Recorder(lambda request: httpx.Response(200, content=body))
    exchange = make_client(recorder, max_body_bytes=len(body)).get("/v1/models")
    assert exchange.body_truncated is False
    assert exchange.json == ENVELOPE


def test_a_streamed_body_over_the_limit_stops_reading() -> None:
    chunks_read: list[int] = []

    def endless() -> Any:
        for i in range(10_000):
            chunks_read.append(i)
            yield b"x" * 100

    recorder = Recorder(lambda request: httpx.Response(200, content=endless()))
    exchange = make_client(recorder, max_body_bytes=550).get("/v1/models")
    assert exchange.body_truncated is True
    assert exchange.text == "x" * 550
    assert len(chunks_read) < 10


# -- the API key ----------------------------------------------------------------------------------


def _echo(request: httpx.Request) -> httpx.Response:
    auth = request.headers.get("authorization", "")
    return httpx.Response(
        401, json={"error": {"message": f"invalid key: {auth}", "seen": auth.removeprefix("Bearer ")}},
        headers={"x-echo": auth},
    )


def test_the_key_is_sent_only_for_authenticated_requests() -> None:
    recorder = Recorder(ok())
    client = make_client(recorder, api_key=KEY)
    client.get("/v1/models")
    client.post_json("/v1/chat/completions", {"model": "a"}, authenticated=False)
    chat = client.post_json("/v1/chat/completions", {"model": "a"}, authenticated=True)
    assert [r.headers.get("authorization") for r in recorder.requests] == [None, None, f"Bearer {KEY}"]
    assert chat.authenticated is True
    assert chat.request_line == "POST http://gateway.test/v1/chat/completions (with key)"
    assert all(r.headers["user-agent"].startswith("gateway-contracts/") for r in recorder.requests)


def test_an_authenticated_request_without_a_key_is_refused_before_sending() -> None:
    recorder = Recorder(ok())
    client = make_client(recorder)
    assert client.has_key is False
    with pytest.raises(ValueError, match="GATEWAY_API_KEY"):
        client.post_json("/v1/chat/completions", {"model": "a"}, authenticated=True)
    assert recorder.calls == 0


def test_the_key_never_appears_in_the_evidence(tmp_path: Path) -> None:
    recorder = Recorder(_echo)
    client = make_client(recorder, api_key=KEY, cache_dir=tmp_path)
    exchange = client.post_json("/v1/chat/completions", {"model": "a"}, authenticated=True)
    assert recorder.requests[0].headers["authorization"] == f"Bearer {KEY}"  # it was sent...
    assert exchange.status == 401
    assert KEY not in exchange.text  # ...but the echoing body is redacted
    assert exchange.json["error"]["seen"] == Redactor.MARK
    assert KEY not in json.dumps(exchange.to_dict())
    assert KEY not in exchange.describe()
    assert KEY not in repr(exchange)
    for path in tmp_path.iterdir():
        assert KEY not in path.read_text(encoding="utf-8")


def test_the_key_is_redacted_from_transport_errors() -> None:
    recorder = Recorder(httpx.ConnectError(f"proxy rejected Authorization: Bearer {KEY}"))
    exchange = make_client(recorder, api_key=KEY, retries=1).post_json("/x", {}, authenticated=True)
    assert exchange.error is not None
    assert KEY not in exchange.error
    assert Redactor.MARK in exchange.error
    assert all(KEY not in note for note in exchange.notes)
    assert KEY not in exchange.describe()


def test_no_repr_on_the_way_shows_the_key() -> None:
    # pytest --showlocals prints the repr of every local of a failing frame: none may carry the key.
    seen: list[httpx.Request] = []
    recorder = Recorder(lambda request: seen.append(request) or ok())
    client = make_client(recorder, api_key=KEY)
    client.post_json("/v1/chat/completions", {"model": "a"}, authenticated=True)
    assert seen[0].headers["authorization"] == f"Bearer {KEY}"
    for shown in (repr(client), repr(client.redact), repr(seen[0]), repr(seen[0].headers), repr(client.settings)):
        assert KEY not in shown
    assert KEY not in repr(_Bearer(KEY))


def test_redactor_replaces_longest_secrets_first_and_ignores_empty_ones() -> None:
    redact = Redactor("abc", "abcdef", None, "")
    assert redact("key=abcdef, prefix=abc") == "key=***, prefix=***"
    assert Redactor(None)("nothing to hide") == "nothing to hide"


@pytest.mark.parametrize("secret", ["x", "test", "dummy"])
def test_a_secret_shorter_than_six_characters_cannot_be_redacted(secret: str) -> None:
    why = too_short_to_redact(secret)
    assert why is not None
    assert f"it is {len(secret)} character" in why
    assert f"'{secret}'" not in why  # the reason never quotes it
    assert f'"{secret}"' not in why


@pytest.mark.parametrize("secret", ["sk-1234", "secret", KEY])
def test_a_secret_of_six_characters_or_more_can(secret: str) -> None:
    assert too_short_to_redact(secret) is None


# -- throttle -------------------------------------------------------------------------------------


def test_the_throttle_spaces_requests() -> None:
    clock = FakeClock()
    throttle = Throttle(4.0, clock=clock, sleep=clock.sleep)
    starts = []
    for _ in range(5):
        throttle.wait()
        starts.append(clock.now)
    assert clock.sleeps == pytest.approx([0.25] * 4)
    assert [b - a for a, b in itertools.pairwise(starts)] == pytest.approx([0.25] * 4)


def test_the_throttle_does_not_wait_after_idle_time() -> None:
    clock = FakeClock()
    throttle = Throttle(2.0, clock=clock, sleep=clock.sleep)
    throttle.wait()
    clock.now += 0.2
    throttle.wait()
    assert clock.sleeps == pytest.approx([0.3])
    clock.now += 10
    throttle.wait()
    assert clock.sleeps == pytest.approx([0.3])


def test_an_unlimited_throttle_never_waits() -> None:
    clock = FakeClock()
    throttle = Throttle(0.0, clock=clock, sleep=clock.sleep)
    for _ in range(10):
        throttle.wait()
    assert clock.sleeps == []


def test_the_client_throttles_every_attempt() -> None:
    recorder = Recorder(ok())
    sleeps: list[float] = []
    clock = FakeClock()
    client = make_client(recorder, sleeps=sleeps, clock=clock, max_rps=0.5)  # one request every 2 s
    client.get("/a")
    client.get("/b")
    client.get("/c")
    assert recorder.calls == 3
    # The throttle reads the client's clock, which the client's sleep moves: exactly one interval each.
    assert sleeps == pytest.approx([2.0, 2.0])
    assert clock.now == pytest.approx(1004.0)


def test_the_throttle_spaces_retries_too() -> None:
    recorder = Recorder(status(503, **{"Retry-After": "0"}), ok())
    sleeps: list[float] = []
    client = make_client(recorder, sleeps=sleeps, max_rps=1.0)
    client.get("/a")
    assert recorder.calls == 2
    assert sum(sleeps) == pytest.approx(1.0)  # the 0 s Retry-After, then the throttle's 1 s slot


# -- exchange plumbing ----------------------------------------------------------------------------


def test_build_url_drops_none_and_spells_booleans() -> None:
    url = build_url("http://g.test/", "/v1/models", {"gateway": "all", "offset": None, "unique_models": True, "x": 0})
    assert url == "http://g.test/v1/models?gateway=all&unique_models=true&x=0"
    assert build_url("http://g.test", "health") == "http://g.test/health"


def test_an_exchange_round_trips_through_a_dict() -> None:
    exchange = Exchange("GET", "http://g.test/x", 429, "application/json", '{"a": 1}', 0.5, 2, None, False, "60",
                        True, ("attempt 1: 429 without Retry-After",), None, 1000)
    data = json.loads(json.dumps(exchange.to_dict()))
    assert Exchange.from_dict(data) == exchange
    assert exchange.excerpt(5) == '{"a"…'


def test_a_long_body_is_held_compressed_and_reads_back_whole() -> None:
    # A gateway of 1,000,000 models is 1,000 pages held for the whole run: their text must not cost its size.
    body = json.dumps({"object": "list", "data": [{"id": f"org/model-{i}", "source_gateway": "featherless"}
                                                  for i in range(5000)]})
    exchange = Exchange("GET", "http://g.test/v1/models", 200, "application/json", body)
    assert len(body) > 64 * 1024
    assert exchange.text == body
    assert sum(len(v) for v in vars(exchange).values() if isinstance(v, bytes | str)) < len(body) / 4
    assert Exchange.from_dict(json.loads(json.dumps(exchange.to_dict()))) == exchange
    assert exchange.json["data"][4999]["id"] == "org/model-4999"
    short = Exchange("GET", "http://g.test/health", 200, text='{"status": "ok"}')
    assert short.text == '{"status": "ok"}'


def test_parsing_shares_equal_strings_within_a_page() -> None:
    rows = [{"id": f"org/m-{i}", "hugging_face_id": f"org/m-{i}", "source_gateway": "featherless"} for i in range(3)]
    parsed = Exchange("GET", "http://g.test/v1/models", 200, text=json.dumps({"data": rows})).json["data"]
    assert parsed == rows
    assert parsed[0]["id"] is parsed[0]["hugging_face_id"]
    assert parsed[0]["source_gateway"] is parsed[2]["source_gateway"]
