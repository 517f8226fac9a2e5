"""The suite's only door to the network: a session client that records every exchange once.

- Each distinct request (method, URL, body, with/without key) goes over the wire once per run; the
  answer is kept in the exchange cache (cache.py: memory, and on disk under a file lock when a cache
  directory is given, so xdist workers share one fetch instead of multiplying it).
- Transient failures are retried a bounded number of times (retry.py: which, how long, Retry-After); the
  exchange records the attempts, so a contract that passed only after a retry is reported as flaky.
- A throttle caps the request rate (throttle.py; divided across workers by the caller).
- Bodies are read with a size cap on their decoded bytes (limits.py: a gzip bomb stops at the cap while
  inflating), and each attempt has a wall-clock deadline (deadline.py: connect, headers, every read, however
  slowly they trickle), a request's attempts together twice that: a huge, trickling or hung answer becomes
  evidence, never a hang or a crash. Only the head of an over-cap body is kept, so a 60 MB answer costs the
  cap once.
- The run's breaker (breaker.py) hears every request: after a few failures in a row nothing more is sent.
- httpx exceptions are classified by type where they are caught (errors.py), into the exchange's failure.
- The API key goes into the Authorization header and nowhere else; `Redactor` scrubs it from any text.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx

from gateway_contracts.data.exchange import Exchange, TransportFailure, build_url
from gateway_contracts.net import USER_AGENT
from gateway_contracts.net.breaker import Breaker
from gateway_contracts.net.cache import ExchangeCache, cache_key
from gateway_contracts.net.counts import SDK, write_counts
from gateway_contracts.net.deadline import DeadlinePassed, request_deadline
from gateway_contracts.net.errors import HTTPX_ERRORS, AnswerDeadline, TransportError
from gateway_contracts.net.limits import (
    ACCEPT_ENCODING,
    DEFAULT_MAX_BODY_BYTES,
    HEAD_BYTES,
    AnswerTooLarge,
    UndecodableBody,
    read_capped,
)
from gateway_contracts.net.redaction import Redactor
from gateway_contracts.net.retry import RetryPolicy
from gateway_contracts.net.throttle import Throttle

TRUNCATED_HEAD_BYTES = HEAD_BYTES  # what is kept of an over-cap body: enough for any excerpt


@dataclass(frozen=True)
class ClientSettings:
    timeout_s: float = 60.0  # wall clock of one attempt (connect, headers, every read); a request's: twice that
    connect_timeout_s: float = 5.0  # a black-holed host fails within seconds, whatever the read budget
    retries: int = 2  # extra attempts after the first, for transient failures only
    backoff_s: float = 0.5  # first backoff; doubles per attempt
    max_retry_after_s: float = 60.0  # honour Retry-After up to this; longer waits count as failure
    max_rps: float = 0.0  # 0 = unthrottled
    # A 1000-row page is well under 2 MB; 16 MiB leaves room and bounds what one answer can cost (decoded).
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES

    @property
    def retry(self) -> RetryPolicy:
        return RetryPolicy(self.retries, self.backoff_s, self.max_retry_after_s)


BEARER = ("Authorization", "Bearer ")  # the key's header and the text before the key, unless a dialect says


class _Bearer(httpx.Auth):
    """Sets the key's header (Authorization: Bearer, or the dialect's, e.g. x-api-key) at send time. No frame ever
    holds the header as a plain string, and the repr hides the key: a traceback printed with locals
    (--showlocals) cannot show it."""

    def __init__(self, key: str, header: tuple[str, str] = BEARER) -> None:
        self._key = key
        self._header = header

    def auth_flow(self, request: httpx.Request) -> Iterator[httpx.Request]:
        name, prefix = self._header
        request.headers[name] = f"{prefix}{self._key}"
        yield request

    def __repr__(self) -> str:
        return "<Bearer ***>"


class GatewayClient:
    """Session-scoped client for one target. All methods return an `Exchange`; none raise on HTTP."""

    def __init__(
        self,
        base_url: str,
        *,
        api_key: str | None = None,
        settings: ClientSettings = ClientSettings(),
        cache_dir: Path | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        key_header: tuple[str, str] = BEARER,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._api_key = api_key
        self._key_header = key_header  # how the contract's dialect sends the key (dialects.base.Dialect)
        self.settings = settings
        self.redact = Redactor(api_key)
        self._cache = ExchangeCache(cache_dir)
        self._retry = settings.retry
        # One clock and one sleep for throttle, backoff and deadlines, so a test can replace time as a whole.
        self._sleep, self._clock = sleep, clock
        self._throttle = Throttle(settings.max_rps, clock=clock, sleep=sleep)
        self._http = httpx.Client(
            transport=transport,
            timeout=httpx.Timeout(settings.timeout_s, connect=min(settings.timeout_s, settings.connect_timeout_s)),
            headers={"User-Agent": USER_AGENT, "Accept": "application/json", "Accept-Encoding": ACCEPT_ENCODING,
                     **(headers or {})},
            follow_redirects=False,
        )
        self.sent = 0  # requests this process put on the wire (attempts included)
        self.outside_sent = 0  # requests another client of this process sent under the same budget (the SDK)
        # Exchanges handed out since the last reset: lets the plugin tell which test read a retried answer.
        self.touched: list[Exchange] = []
        # One breaker per run (shared with the other workers through the cache dir, and with the fuzzer and SDK).
        self.breaker = Breaker(self.base_url, cache_dir)

    def outside_request(self) -> None:
        """A request another client in this process is about to send (the OpenAI SDK, which has its own HTTP
        stack on purpose): it waits its turn under the run's rate budget and counts in the run summary.
        Raises `OutsideRequestRefused` when the run's breaker is open or its deadline has passed."""
        refusal = self.breaker.refusal()
        if refusal is not None:
            raise OutsideRequestRefused(refusal)
        self._throttle.wait()
        self.outside_sent += 1
        if self._cache.cache_dir is not None:
            write_counts(self._cache.cache_dir, distinct=self.outside_sent, sent=self.outside_sent, source=SDK)

    @property
    def has_key(self) -> bool:
        return bool(self._api_key)

    @property
    def cache_dir(self) -> Path | None:
        """The run's shared exchange cache (None: memory only), for another client of the same run."""
        return self._cache.cache_dir

    def close(self) -> None:
        self._http.close()

    def get(self, path: str, params: dict[str, Any] | None = None, *, read: int = 0) -> Exchange:
        return self.request("GET", path, params=params, read=read)

    def post_json(self, path: str, body: Any, *, authenticated: bool) -> Exchange:
        return self.request("POST", path, json_body=body, authenticated=authenticated)

    def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json_body: Any = None,
        authenticated: bool = False,
        read: int = 0,
    ) -> Exchange:
        url = build_url(self.base_url, path, params)
        if authenticated and not self._api_key:
            raise ValueError("an authenticated request needs GATEWAY_API_KEY")
        key = cache_key(method, url, json_body, authenticated, read)
        if key in self._cache.memory:
            self.touched.append(self._cache.memory[key])
            return self._cache.memory[key]
        with self._cache.slot(key) as cached:
            exchange = cached or self._send(method, url, json_body, authenticated)
            if cached is None:
                self._cache.write(key, exchange)
        self._cache.memory[key] = exchange
        self.touched.append(exchange)
        return exchange

    def cached_exchanges(self) -> list[Exchange]:
        """Every exchange this run recorded (all workers, when the cache is on disk)."""
        return self._cache.exchanges()

    # -- the wire ---------------------------------------------------------------------------------

    def _send(self, method: str, url: str, json_body: Any, authenticated: bool) -> Exchange:
        exchange = self._attempts(method, url, json_body, authenticated)
        if exchange.failure is not TransportFailure.NOT_SENT:
            self.breaker.record(_failure_of(exchange))  # one request, one outcome (its retries are its own)
        return exchange

    def _attempts(self, method: str, url: str, json_body: Any, authenticated: bool) -> Exchange:
        auth = _Bearer(self._api_key, self._key_header) if authenticated and self._api_key else None
        notes: list[str] = []
        started = self._clock()
        # Each attempt has REQUEST_TIMEOUT of wall clock; all of them together, twice that (a timeout is retried
        # once: retry.py), whatever RETRIES says. Waits between attempts are not time on the wire.
        budget = 2 * self.settings.timeout_s
        on_wire = 0.0
        attempt = 0
        exchange: Exchange | None = None
        while True:
            attempt += 1
            refusal = self.breaker.refusal()
            if refusal is not None and exchange is not None:  # the answer so far stands: it was not retried
                notes.append(f"attempt {attempt - 1}: not retried: {refusal}")
                return replace(exchange, attempts=attempt - 1, notes=tuple(notes))
            if refusal is not None:  # nothing went out: no attempt
                return Exchange(method=method, url=url, status=None, error=f"not sent: {refusal}",
                                authenticated=authenticated, failure=TransportFailure.NOT_SENT, attempts=0)
            self._throttle.wait()
            self.sent += 1
            attempt_started = self._clock()
            exchange = self._attempt(method, url, json_body, auth, authenticated,
                                     min(self.settings.timeout_s, budget - on_wire))
            elapsed = self._clock() - attempt_started
            on_wire += elapsed
            wait = self._retry.wait(exchange, attempt, notes, self._cache)
            if wait is not None and on_wire >= budget:
                notes.append(f"attempt {attempt}: {exchange.error or f'HTTP {exchange.status}'}, not retried: "
                             f"the request spent twice REQUEST_TIMEOUT ({budget:g} s) on the wire")
                wait = None
            if wait is None:
                total = self._clock() - started
                return replace(
                    exchange,
                    attempts=attempt,
                    notes=tuple(notes),
                    # Latency is the answering attempt's own time: backoff sleeps are ours, not the API's.
                    elapsed_s=elapsed if attempt > 1 else total,
                )
            self._sleep(wait)

    def _attempt(self, method: str, url: str, json_body: Any, auth: httpx.Auth | None, authenticated: bool,
                 budget: float) -> Exchange:
        started = self._clock()
        try:
            return self._exchange(method, url, json_body, auth, authenticated, started, budget)
        except TransportError as error:
            return Exchange(
                method=method,
                url=url,
                status=None,
                elapsed_s=self._clock() - started,
                error=self.redact(error.reason),
                authenticated=authenticated,
                failure=error.failure,
            )

    def _exchange(
        self, method: str, url: str, json_body: Any, auth: httpx.Auth | None, authenticated: bool, started: float,
        budget: float | None = None,
    ) -> Exchange:
        """One attempt on the wire. The transport boundary: an httpx exception leaves as a `TransportError`."""
        budget = self.settings.timeout_s if budget is None else max(budget, 0.001)
        per_read = httpx.Timeout(budget, connect=min(budget, self.settings.connect_timeout_s))
        try:
            with request_deadline(budget, f"no complete answer within {budget:g} s (REQUEST_TIMEOUT)"), \
                    self._http.stream(method, url, json=json_body, auth=auth, timeout=per_read) as response:
                text, truncated = self._read_capped(response, deadline=started + budget)
                text = self.redact(text)  # an error body may echo the key: evidence never holds it
                return Exchange(
                    method=method,
                    url=url,
                    status=response.status_code,
                    content_type=response.headers.get("content-type", ""),
                    text=text,
                    elapsed_s=self._clock() - started,
                    body_truncated=truncated,
                    retry_after=response.headers.get("retry-after"),
                    authenticated=authenticated,
                    body_limit=self.settings.max_body_bytes if truncated else None,
                )
        except DeadlinePassed as passed:
            raise TransportError(TransportFailure.TIMEOUT, f"timed out ({passed.reason})") from None
        except UndecodableBody as exc:
            raise TransportError(TransportFailure.OTHER, str(exc)) from exc
        except HTTPX_ERRORS as exc:
            raise TransportError.from_httpx(exc) from exc

    def _read_capped(self, response: httpx.Response, *, deadline: float) -> tuple[str, bool]:
        """The body, decoded here (limits.py), or its head when it exceeds the cap (reading stops there)."""
        def in_time() -> None:  # the deadline between chunks, for a caller off the main thread (no SIGALRM)
            if self._clock() > deadline:
                raise AnswerDeadline(f"the answer was still arriving after {self.settings.timeout_s:g} s")

        charset = response.encoding or "utf-8"
        if response.is_stream_consumed:  # built in memory (a test transport): already decoded by httpx
            raw, coding = iter([response.content]), ""
        else:
            raw, coding = response.iter_raw(), response.headers.get("content-encoding", "")
        try:
            body = read_capped(raw, coding, self.settings.max_body_bytes, in_time)
        except AnswerTooLarge as over:
            return over.head.decode(charset, "replace"), True
        return body.decode(charset, "replace"), False


def _failure_of(exchange: Exchange) -> str | None:
    """What the breaker hears of a request: None for a complete JSON answer (any status), else the request and what
    went wrong. The parse is the exchange's own, cached: the contracts read the same one."""
    if exchange.status is None:
        return f"{exchange.request_line}: {exchange.error}"
    if exchange.body_truncated:
        return (f"{exchange.request_line}: the answer's body exceeded the cap of {exchange.body_limit or 0:,} bytes "
                "(MAX_BODY_BYTES)")
    if not exchange.is_json:  # every answer of the API is JSON, errors too: an HTML page is a proxy's, not the API's
        kind = f" {exchange.content_type}" if exchange.content_type else ""
        return f"{exchange.request_line} -> {exchange.status}{kind}: {exchange.json_error}"
    return None


class OutsideRequestRefused(Exception):
    """A request another client was about to send while the run's breaker is open or its deadline passed."""
