"""The suite's only door to the network: a session client that records every exchange once.

- Each distinct request (method, URL, body, with/without key) goes over the wire once per run; the
  answer is cached in memory and, when a cache directory is given, on disk under a file lock, so
  xdist workers share one fetch instead of multiplying it.
- Transient failures (connection reset, timeout, 429, 502/503 with Retry-After) are retried a bounded
  number of times, honouring Retry-After; the exchange records the attempts, so a contract that passed
  only after a retry is reported as flaky. Contract assertions are never retried: only transport is.
- A throttle caps the request rate (divided across workers by the caller).
- Bodies are read with a size cap and every request has a timeout: a huge or hung answer becomes
  evidence, never a hang or a crash.
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

from gateway_contracts.exchange import Exchange, build_url

USER_AGENT = "gateway-contracts/0.1"
TRANSIENT_STATUSES = frozenset({429, 502, 503, 504})


class Redactor:
    """Replaces every known secret in a text by a fixed marker."""

    MARK = "***"

    def __init__(self, *secrets: str | None) -> None:
        self._secrets = sorted({s for s in secrets if s}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, self.MARK)
        return text


@dataclass(frozen=True)
class ClientSettings:
    timeout_s: float = 60.0
    retries: int = 2  # extra attempts after the first, for transient failures only
    backoff_s: float = 0.5  # first backoff; doubles per attempt
    max_retry_after_s: float = 60.0  # honour Retry-After up to this; longer waits count as failure
    max_rps: float = 0.0  # 0 = unthrottled
    max_body_bytes: int = 32 * 1024 * 1024


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
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._api_key = api_key
        self.settings = settings
        self.redact = Redactor(api_key)
        self._cache_dir = cache_dir
        self._memory: dict[str, Exchange] = {}
        self._sleep = sleep
        self._throttle = Throttle(settings.max_rps, sleep=sleep)
        self._http = httpx.Client(
            transport=transport,
            # A black-holed host must fail within seconds, whatever the read budget.
            timeout=httpx.Timeout(settings.timeout_s, connect=min(settings.timeout_s, 10.0)),
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
        headers = {"Authorization": f"Bearer {self._api_key}"} if authenticated else {}
        notes: list[str] = []
        started = time.monotonic()
        attempt = 0
        while True:
            attempt += 1
            self._throttle.wait()
            self.sent += 1
            attempt_started = time.monotonic()
            exchange = self._attempt(method, url, json_body, headers, authenticated)
            elapsed = time.monotonic() - attempt_started
            wait = self._retry_wait(exchange, attempt, notes)
            if wait is None:
                total = time.monotonic() - started
                return replace(
                    exchange,
                    attempts=attempt,
                    notes=tuple(notes),
                    # Latency is the answering attempt's own time: backoff sleeps are ours, not the API's.
                    elapsed_s=elapsed if attempt > 1 else total,
                )
            self._sleep(wait)

    def _attempt(self, method: str, url: str, json_body: Any, headers: dict[str, str], authenticated: bool) -> Exchange:
        started = time.monotonic()
        try:
            with self._http.stream(method, url, json=json_body, headers=headers) as response:
                text, truncated = self._read_capped(response)
                text = self.redact(text)  # an error body may echo the key: evidence never holds it
                return Exchange(
                    method=method,
                    url=url,
                    status=response.status_code,
                    content_type=response.headers.get("content-type", ""),
                    text=text,
                    elapsed_s=time.monotonic() - started,
                    body_truncated=truncated,
                    retry_after=response.headers.get("retry-after"),
                    authenticated=authenticated,
                )
        except httpx.HTTPError as exc:
            return Exchange(
                method=method,
                url=url,
                status=None,
                elapsed_s=time.monotonic() - started,
                error=self.redact(describe_transport_error(exc)),
                authenticated=authenticated,
            )

    def _read_capped(self, response: httpx.Response) -> tuple[str, bool]:
        limit = self.settings.max_body_bytes
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes():
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:
                return b"".join(chunks)[:limit].decode("utf-8", "replace"), True
        return b"".join(chunks).decode(response.encoding or "utf-8", "replace"), False

    def _retry_wait(self, exchange: Exchange, attempt: int, notes: list[str]) -> float | None:
        """Seconds to wait before retrying, or None when this answer is final."""
        transient = exchange.status is None or exchange.status in TRANSIENT_STATUSES
        if not transient:
            return None
        what = exchange.error or f"HTTP {exchange.status}"
        retry_after = _parse_retry_after(exchange.retry_after)
        if exchange.status == 429 and retry_after is None:
            notes.append(f"attempt {attempt}: 429 without Retry-After")
        if exchange.status in (502, 503, 504) and retry_after is None:
            # A 5xx without Retry-After is the API's answer, not a hint to come back: report it as is.
            return None
        if attempt > self.settings.retries:
            return None
        if exchange.error and exchange.error.startswith("timed out") and attempt > 1:
            return None  # one more try for a timeout; a hung target must not cost retries x timeout
        if retry_after is not None and retry_after > self.settings.max_retry_after_s:
            notes.append(f"attempt {attempt}: {what}, Retry-After {retry_after:g} s is over the limit")
            return None
        wait = retry_after if retry_after is not None else self.settings.backoff_s * 2 ** (attempt - 1)
        notes.append(f"attempt {attempt}: {what}, retried after {wait:g} s")
        return wait

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


def describe_transport_error(exc: httpx.HTTPError) -> str:
    """A short reason a person can act on: refused, DNS, TLS, timeout, reset."""
    text = str(exc) or type(exc).__name__
    lowered = text.lower()
    if isinstance(exc, httpx.TimeoutException):
        return f"timed out ({type(exc).__name__})"
    if "name or service not known" in lowered or "nodename nor servname" in lowered or "getaddrinfo" in lowered:
        return f"DNS lookup failed ({text})"
    if "certificate" in lowered or "ssl" in lowered or "tls" in lowered:
        return f"TLS error ({text})"
    if isinstance(exc, httpx.ConnectError) and "refused" in lowered:
        return "connection refused"
    if isinstance(exc, httpx.RemoteProtocolError):
        return f"connection closed mid-answer ({text})"
    return f"{type(exc).__name__}: {text}"
