"""Wall-clock deadlines for blocking network calls: each request's, and the run's (RUN_DEADLINE).

httpx, urllib3 and the OpenAI SDK time each socket read, not an answer: a trickle of one byte a second, or
header lines that never end, passes every per-read timeout. A real deadline here is an interval timer
(SIGALRM) whose handler raises `DeadlinePassed` wherever the main thread is blocked. It is a BaseException on
purpose: no library's `except Exception` (the SDK wraps everything in APIConnectionError) may turn it into
something else; each client catches it at its own boundary. Outside the main thread, where Python runs no
signal handler, only the per-read timeouts and the clients' own checks between chunks apply.

The run deadline shares the timer: once it passes, a request in flight is interrupted and none starts
(`run_deadline_reason`, asked by the breaker); pytest's side skips the tests not yet run.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Iterator
from typing import Any


class DeadlinePassed(BaseException):
    """A request's (or the run's) wall-clock deadline passed while it was blocked."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


_pending: list[tuple[float, str]] = []  # requests in flight in this thread: (monotonic deadline, reason)
_run: tuple[float, str] | None = None  # (wall-clock time the run's deadline passes, what to say then)
_installed = False


def _signals_usable() -> bool:
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


def _install() -> bool:
    global _installed
    if not _installed and _signals_usable():
        signal.signal(signal.SIGALRM, _on_alarm)
        _installed = True
    return _installed


def _next_in() -> float | None:
    """Seconds until the earliest deadline still ahead (a passed run deadline no longer counts)."""
    now = time.monotonic()
    delays = [at - now for at, _ in _pending]
    if _run is not None and time.time() < _run[0]:
        delays.append(_run[0] - time.time())
    return min(delays) if delays else None


def _arm() -> None:
    if not _installed or not _signals_usable():
        return
    delay = _next_in()
    signal.setitimer(signal.ITIMER_REAL, max(delay, 0.001) if delay is not None else 0.0)


def _passed() -> str | None:
    now = time.monotonic()
    for at, reason in _pending:
        if now >= at:
            return reason
    return run_deadline_reason()


def _on_alarm(signum: int, frame: Any) -> None:
    reason = _passed()
    if reason is not None and _pending:
        raise DeadlinePassed(reason)
    _arm()  # nothing in flight (the run deadline passed between requests): the next one will not start


@contextlib.contextmanager
def request_deadline(seconds: float, reason: str) -> Iterator[None]:
    """Raise `DeadlinePassed(reason)` in the block once `seconds` of wall time have passed (main thread)."""
    if not _install():
        yield
        return
    entry = (time.monotonic() + seconds, reason)
    _pending.append(entry)
    _arm()
    try:
        yield
    finally:
        try:
            signal.setitimer(signal.ITIMER_REAL, 0.0)  # the alarm may still fire before this: the caller catches it
        finally:
            _pending.remove(entry)
            _arm()


def set_run_deadline(at: float | None, reason: str = "") -> None:
    """The run's deadline as a wall-clock time (shared with xdist workers as such), or None for none."""
    global _run
    _run = (at, reason) if at is not None else None
    if _install():
        _arm()


def run_deadline_reason() -> str | None:
    """What to say once the run's deadline has passed; None before it, or when the run has none."""
    if _run is not None and time.time() >= _run[0]:
        return _run[1]
    return None
