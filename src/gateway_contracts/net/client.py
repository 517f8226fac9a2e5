"""The suite's only door to the network: a session client that records every exchange once.

- Each distinct request (method, URL, body, with/without key) goes over the wire once per run; the
  answer is cached in memory and, when a cache directory is given, on disk under a file lock, so
  xdist workers share one fetch instead of multiplying it.
- Transient failures (connection reset or refused, timeout, 429, 502/503/504 with Retry-After) are retried
  a bounded number of times, honouring Retry-After; the exchange records the attempts, so a contract that
  passed only after a retry is reported as flaky. Contract assertions are never retried: only transport is.
  DNS and TLS failures are not retried (they do not heal in a second), nor is a connect timeout (the
  kernel already re-sent the SYN within it); a read timeout is retried once, and not at all once a
  request has timed out twice (the target hangs: one timeout per URL is enough).
- A throttle caps the request rate (divided across workers by the caller).
- Bodies are read with a size cap and every attempt has a deadline (connect, each read, and the whole
  answer): a huge, trickling or hung answer becomes evidence, never a hang or a crash. Only the head of
  an over-limit body is kept, so a 60 MB answer costs the limit once, not copies of it.
- The API key goes into the Authorization header and nowhere else; `Redactor` scrubs it from any text.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx

from gateway_contracts.data.exchange import NO_RETRY_AFTER, TRANSIENT_STATUSES, Exchange, build_url

USER_AGENT = "gateway-contracts/0.1"
TIMEOUT_FAILURES = frozenset({"timeout", "connect-timeout"})
RETRIED_FAILURES = frozenset({"connect", "reset", "timeout"})
TRUNCATED_HEAD_BYTES = 64 * 1024  # what is kept of an over-limit body: enough for any excerpt
HANG_MARK = "target-hangs"  # in the shared cache dir: one worker's hung request spares the others a retry


class Redactor:
    """Replaces every known secret in a text by a fixed marker."""

    MARK = "***"

    def __init__(self, *secrets: str | None) -> None:
        self._secrets = sorted({s for s in secrets if s}, key=len, reverse=True)

    def __repr__(self) -> str:  # tracebacks with locals print reprs
        return f"Redactor({len(self._secrets)} secrets)"

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, self.MARK)
        return text


@dataclass(frozen=True)
class ClientSettings:
    timeout_s: float = 60.0  # each read, and the whole answer of one attempt
    connect_timeout_s: float = 5.0  # a black-holed host fails within seconds, whatever the read budget
    retries: int = 2  # extra attempts after the first, for transient failures only
    backoff_s: float = 0.5  # first backoff; doubles per attempt
    max_retry_after_s: float = 60.0  # honour Retry-After up to this; longer waits count as failure
    max_rps: float = 0.0  # 0 = unthrottled
    # A 1000-row page is well under 2 MB; 16 MB leaves room and bounds what one answer can cost.
    max_body_bytes: int = 16 * 1024 * 1024


class AnswerDeadline(httpx.ReadTimeout):
    """The answer kept coming (slowly) past the attempt's deadline: a trickle is a timeout too."""


class Throttle:
    """Spaces requests at least 1/rate seconds apart (thread-safe; per process)."""

    def __init__(
        self,
        rate_per_s: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._interval = 1.0 / rate_per_s if rate_per_s > 0 else 0.0
        self._next = 0.0
        self._lock = threading.Lock()
        self._clock, self._sleep = clock, sleep

    def wait(self) -> None:
        if not self._interval:
            return
        with self._lock:
            now = self._clock()
            start = max(now, self._next)
            self._next = start + self._interval
        if start > now:
            self._sleep(start - now)


class _Bearer(httpx.Auth):
    """Sets the Authorization header at send time. No frame ever holds the header as a plain string,
    and the repr hides the key: a traceback printed with locals (--showlocals) cannot show it."""

    def __init__(self, key: str) -> None:
        self._key = key

    def auth_flow(self, request: httpx.Request) -> Iterator[httpx.Request]:
        request.headers["Authorization"] = f"Bearer {self._key}"
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
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._api_key = api_key
        self.settings = settings
        self.redact = Redactor(api_key)
        self._cache_dir = cache_dir
        self._memory: dict[str, Exchange] = {}
        # One clock and one sleep for throttle, backoff and deadlines, so a test can replace time as a whole.
        self._sleep, self._clock = sleep, clock
        self._throttle = Throttle(settings.max_rps, clock=clock, sleep=sleep)
        self._hung = False  # a request timed out on its retry too: later timeouts are final at once
        self._http = httpx.Client(
            transport=transport,
            timeout=httpx.Timeout(settings.timeout_s, connect=min(settings.timeout_s, settings.connect_timeout_s)),
            headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
            follow_redirects=False,
        )
        self.sent = 0  # requests this process put on the wire (attempts included)
        # Exchanges handed out since the last reset: lets the plugin tell which test read a retried answer.
        self.touched: list[Exchange] = []

    @property
    def has_key(self) -> bool:
        return bool(self._api_key)

    def close(self) -> None:
        self._http.close()

    def get(self, path: str, params: dict[str, Any] | None = None) -> Exchange:
        return self.request("GET", path, params=params)

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
    ) -> Exchange:
        url = build_url(self.base_url, path, params)
        if authenticated and not self._api_key:
            raise ValueError("an authenticated request needs GATEWAY_API_KEY")
        key = _cache_key(method, url, json_body, authenticated)
        if key in self._memory:
            self.touched.append(self._memory[key])
            return self._memory[key]
        with self._disk_slot(key) as cached:
            exchange = cached or self._send(method, url, json_body, authenticated)
            if cached is None and self._cache_dir is not None:
                self._write(key, exchange)
        self._memory[key] = exchange
        self.touched.append(exchange)
        return exchange

    def cached_exchanges(self) -> list[Exchange]:
        """Every exchange this run recorded (all workers, when the cache is on disk)."""
        if self._cache_dir is None:
            return list(self._memory.values())
        return read_cache_dir(self._cache_dir)

    # -- the wire ---------------------------------------------------------------------------------

    def _send(self, method: str, url: str, json_body: Any, authenticated: bool) -> Exchange:
        auth = _Bearer(self._api_key) if authenticated and self._api_key else None
        notes: list[str] = []
        started = self._clock()
        attempt = 0
        while True:
            attempt += 1
            self._throttle.wait()
            self.sent += 1
            attempt_started = self._clock()
            exchange = self._attempt(method, url, json_body, auth, authenticated)
            elapsed = self._clock() - attempt_started
            wait = self._retry_wait(exchange, attempt, notes)
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

    def _attempt(self, method: str, url: str, json_body: Any, auth: httpx.Auth | None, authenticated: bool) -> Exchange:
        started = self._clock()
        try:
            with self._http.stream(method, url, json=json_body, auth=auth) as response:
                text, truncated = self._read_capped(response, deadline=started + self.settings.timeout_s)
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
        except (httpx.HTTPError, httpx.InvalidURL) as exc:  # InvalidURL is no HTTPError, but a bad target all the same
            return Exchange(
                method=method,
                url=url,
                status=None,
                elapsed_s=self._clock() - started,
                error=self.redact(describe_transport_error(exc)),
                authenticated=authenticated,
                failure=failure_kind(exc),
            )

    def _read_capped(self, response: httpx.Response, *, deadline: float) -> tuple[str, bool]:
        """The body, or its head when it exceeds the limit (reading stops there: the rest is never held)."""
        limit = self.settings.max_body_bytes
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > limit:
                head = b"".join([*chunks, chunk])[: min(limit, TRUNCATED_HEAD_BYTES)]
                return head.decode(response.encoding or "utf-8", "replace"), True
            chunks.append(chunk)
            if self._clock() > deadline:
                raise AnswerDeadline(f"the answer was still arriving after {self.settings.timeout_s:g} s")
        return b"".join(chunks).decode(response.encoding or "utf-8", "replace"), False

    def _retry_wait(self, exchange: Exchange, attempt: int, notes: list[str]) -> float | None:
        """Seconds to wait before retrying, or None when this answer is final (with a note saying why,
        whenever a transient failure is left unretried)."""
        if exchange.status is not None and exchange.status not in TRANSIENT_STATUSES:
            return None
        retry_after = _parse_retry_after(exchange.retry_after)
        what = exchange.error or f"HTTP {exchange.status}"
        if exchange.status == 429 and retry_after is None:
            what += f" ({NO_RETRY_AFTER})"  # R19: reported in the run summary, then backed off on our own
        if exchange.status in (502, 503, 504) and retry_after is None:
            # A 5xx without Retry-After is the API's answer, not a hint to come back: report it as is.
            return None
        if exchange.status is None and exchange.failure not in RETRIED_FAILURES:
            return None  # DNS, TLS, an unusable URL, a black-holed host: they do not heal in a second
        if exchange.failure == "timeout":
            if self._target_hangs():
                notes.append(f"attempt {attempt}: {what}, not retried (an earlier request timed out twice)")
                return None
            if attempt > 1:
                # One more try for a timeout, once: a hung target must not cost retries x timeout per URL.
                self._mark_hung()
                notes.append(f"attempt {attempt}: {what} again, not retried")
                return None
        if attempt > self.settings.retries:
            notes.append(f"attempt {attempt}: {what}, no retries left")
            return None
        if retry_after is not None and retry_after > self.settings.max_retry_after_s:
            notes.append(f"attempt {attempt}: {what}, Retry-After {retry_after:g} s is over the limit")
            return None
        wait = retry_after if retry_after is not None else self.settings.backoff_s * 2 ** (attempt - 1)
        notes.append(f"attempt {attempt}: {what}, retried after {wait:g} s")
        return wait

    def _target_hangs(self) -> bool:
        if not self._hung and self._cache_dir is not None:
            self._hung = (self._cache_dir / HANG_MARK).exists()
        return self._hung

    def _mark_hung(self) -> None:
        self._hung = True
        if self._cache_dir is not None:
            (self._cache_dir / HANG_MARK).touch()

    # -- the shared cache -------------------------------------------------------------------------

    @contextlib.contextmanager
    def _disk_slot(self, key: str) -> Iterator[Exchange | None]:
        """Hold the per-request lock; yield the cached exchange if another worker already fetched it."""
        if self._cache_dir is None:
            yield None
            return
        lock_path = self._cache_dir / f"{key}.lock"
        with open(lock_path, "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield _read_entry(self._cache_dir / f"{key}.json")
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _write(self, key: str, exchange: Exchange) -> None:
        assert self._cache_dir is not None
        tmp = self._cache_dir / f"{key}.tmp{os.getpid()}"
        tmp.write_text(json.dumps(exchange.to_dict()), encoding="utf-8")
        tmp.replace(self._cache_dir / f"{key}.json")


def read_cache_dir(cache_dir: Path) -> list[Exchange]:
    entries = (_read_entry(path) for path in sorted(cache_dir.glob("*.json")))
    return [e for e in entries if e is not None]


def _read_entry(path: Path) -> Exchange | None:
    try:
        return Exchange.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        return None


def _cache_key(method: str, url: str, body: Any, authenticated: bool) -> str:
    raw = json.dumps([method, url, body, authenticated], sort_keys=True)
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


def _parse_retry_after(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # HTTP-date form: treated as absent (the real backend sends seconds)


_DNS_MARKERS = ("name or service not known", "nodename nor servname", "getaddrinfo", "temporary failure in name")
_TLS_MARKERS = ("certificate", "ssl", "tls")


def failure_kind(exc: httpx.HTTPError | httpx.InvalidURL) -> str:
    """What kind of transport failure: decides whether a retry can help and whether the target is unreachable."""
    lowered = (str(exc) or "").lower()
    if isinstance(exc, httpx.ConnectTimeout):
        return "connect-timeout"
    if isinstance(exc, httpx.TimeoutException):
        return "timeout"
    if any(marker in lowered for marker in _DNS_MARKERS):
        return "dns"
    if any(marker in lowered for marker in _TLS_MARKERS):
        return "tls"
    if isinstance(exc, httpx.ConnectError):
        return "connect"
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
        return "url"
    if isinstance(exc, httpx.NetworkError | httpx.RemoteProtocolError):
        return "reset"  # the connection broke mid-exchange
    return "other"


def describe_transport_error(exc: httpx.HTTPError | httpx.InvalidURL) -> str:
    """A short reason a person can act on: refused, DNS, TLS, timeout, reset."""
    text = str(exc) or type(exc).__name__
    kind = failure_kind(exc)
    if isinstance(exc, AnswerDeadline):
        return f"timed out ({text})"
    if kind in TIMEOUT_FAILURES:
        return f"timed out ({type(exc).__name__})"
    if kind == "dns":
        return f"DNS lookup failed ({text})"
    if kind == "tls":
        return f"TLS error ({text})"
    if kind == "connect" and "refused" in text.lower():
        return "connection refused"
    if isinstance(exc, httpx.RemoteProtocolError):
        return f"connection closed mid-answer ({text})"
    return f"{type(exc).__name__}: {text}"
