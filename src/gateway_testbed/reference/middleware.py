"""ASGI middleware: request counting (how many requests a suite run costs) and the optional IP limiter.

Pure ASGI rather than BaseHTTPMiddleware: no per-request task, and streamed bodies pass untouched.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from .http_responses import render

STATS_PATH = "/_reference/stats"
_MAX_PATHS = 10_000  # fuzzers invent paths; past this many distinct ones they share one bucket
_OTHER = "(other paths)"


class RequestStats:
    """Thread-safe counters: the event loop writes, the test thread reads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._total = 0
        self._by_path: dict[str, int] = {}

    def record(self, path: str) -> None:
        with self._lock:
            self._total += 1
            key = path if path in self._by_path or len(self._by_path) < _MAX_PATHS else _OTHER
            self._by_path[key] = self._by_path.get(key, 0) + 1

    @property
    def total(self) -> int:
        with self._lock:
            return self._total

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {"requests_total": self._total, "by_path": dict(sorted(self._by_path.items()))}


class RateLimiter:
    """Sliding one-minute window per client IP, like the backend's security limiter."""

    def __init__(self, per_minute: int, clock: Any = time.monotonic) -> None:
        self.per_minute = per_minute
        self._clock = clock
        self._hits: dict[str, deque[float]] = {}

    def allow(self, client: str) -> bool:
        now = self._clock()
        hits = self._hits.setdefault(client, deque())
        while hits and now - hits[0] >= 60:
            hits.popleft()
        if len(hits) >= self.per_minute:
            return False
        hits.append(now)
        return True


class GatewayMiddleware:
    """Counts every request (except the stats probe) and applies the limiter (except on /health)."""

    def __init__(self, app: ASGIApp, stats: RequestStats, limiter: RateLimiter | None = None) -> None:
        self.app = app
        self.stats = stats
        self.limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if path != STATS_PATH:
            self.stats.record(path)
        if self.limiter and path not in (STATS_PATH, "/health"):
            client = (scope.get("client") or ("unknown", 0))[0]
            if not self.limiter.allow(client):
                await _too_many(send, self.limiter.per_minute)
                return
        await self.app(scope, receive, send)


async def _too_many(send: Send, per_minute: int) -> None:
    body = render(
        {
            "error": {
                "type": "security_limit",
                "message": f"Rate limit exceeded: {per_minute} requests per minute per IP",
                "code": "rate_limit_exceeded",
                "status": 429,
            }
        }
    )
    await send(
        {
            "type": "http.response.start",
            "status": 429,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"retry-after", b"60"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
