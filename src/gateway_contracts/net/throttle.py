"""The request-rate cap shared by the client and the fuzz session (per process; the caller divides the
budget across xdist workers)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


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
