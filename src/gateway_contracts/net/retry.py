"""Retry policy: which transport failures and answers are retried, how long to wait, and why not.

Only transport is retried, never a contract assertion. DNS and TLS failures are not retried (they do not heal
in a second), nor is a connect timeout (the kernel already re-sent the SYN within it); a read timeout is
retried once, and not at all once a request has timed out twice (the target hangs: one timeout per URL is
enough). A 429 is retried after Retry-After, or our own backoff without it (R19: noted); a 502/503/504 only
with Retry-After (without it, it is the API's answer).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, TypeVar

from gateway_contracts.data.exchange import NO_RETRY_AFTER, TRANSIENT_STATUSES, Exchange, TransportFailure

RETRIED_FAILURES = frozenset({TransportFailure.CONNECT, TransportFailure.RESET, TransportFailure.TIMEOUT})
T = TypeVar("T")


class HangRecord(Protocol):
    """Whether the target has been seen to hang (shared across workers by the exchange cache)."""

    def target_hangs(self) -> bool: ...

    def mark_hung(self) -> None: ...


@dataclass(frozen=True)
class RetryPolicy:
    retries: int = 2  # extra attempts after the first, for transient failures only
    backoff_s: float = 0.5  # first backoff; doubles per attempt
    max_retry_after_s: float = 60.0  # honour Retry-After up to this; longer waits count as failure

    def wait(self, exchange: Exchange, attempt: int, notes: list[str], hangs: HangRecord) -> float | None:
        """Seconds to wait before retrying, or None when this answer is final (with a note saying why,
        whenever a transient failure is left unretried)."""
        if exchange.status is not None and exchange.status not in TRANSIENT_STATUSES:
            return None
        retry_after = parse_retry_after(exchange.retry_after)
        what = exchange.error or f"HTTP {exchange.status}"
        if exchange.status == 429 and retry_after is None:
            what += f" ({NO_RETRY_AFTER})"  # R19: reported in the run summary, then backed off on our own
        if exchange.status in (502, 503, 504) and retry_after is None:
            # A 5xx without Retry-After is the API's answer, not a hint to come back: report it as is.
            return None
        if exchange.status is None and exchange.failure not in RETRIED_FAILURES:
            return None  # DNS, TLS, an unusable URL, a black-holed host: they do not heal in a second
        if exchange.failure == TransportFailure.TIMEOUT:
            if hangs.target_hangs():
                notes.append(f"attempt {attempt}: {what}, not retried (an earlier request timed out twice)")
                return None
            if attempt > 1:
                # One more try for a timeout, once: a hung target must not cost retries x timeout per URL.
                hangs.mark_hung()
                notes.append(f"attempt {attempt}: {what} again, not retried")
                return None
        if attempt > self.retries:
            notes.append(f"attempt {attempt}: {what}, no retries left")
            return None
        if retry_after is not None and retry_after > self.max_retry_after_s:
            notes.append(f"attempt {attempt}: {what}, Retry-After {retry_after:g} s is over the limit")
            return None
        wait = retry_after if retry_after is not None else self.backoff(attempt)
        notes.append(f"attempt {attempt}: {what}, retried after {wait:g} s")
        return wait

    def answer_wait(self, status: int | None, retry_after: str | None, attempt: int) -> float | None:
        """`wait`'s rules for an answer alone (no transport failure, no notes, no hang record): for the
        clients that keep their own notes, the OpenAI SDK's and the fuzzer's."""
        if status not in TRANSIENT_STATUSES:
            return None
        seconds = parse_retry_after(retry_after)
        if status != 429 and seconds is None:
            return None  # a 502/503/504 without Retry-After is the API's answer
        if attempt > self.retries or (seconds is not None and seconds > self.max_retry_after_s):
            return None
        return seconds if seconds is not None else self.backoff(attempt)

    def retry_answers(self, send: Callable[[], T], answer_of: Callable[[T], tuple[int | None, str | None]],
                      sleep: Callable[[float], None], on_retry: Callable[[T, int, float], None]) -> T:
        """Send, and send again while `answer_wait` says to: the one loop of the clients that retry answers only
        (the OpenAI SDK's, the fuzzer's). `answer_of` gives a result's (status, Retry-After), status None for one
        that is final whatever it says; `on_retry(result, attempt, wait)` runs before each wait (notes, counts,
        closing the result)."""
        attempt = 1
        while True:
            result = send()
            wait = self.answer_wait(*answer_of(result), attempt)
            if wait is None:
                return result
            on_retry(result, attempt, wait)
            sleep(wait)
            attempt += 1

    def backoff(self, attempt: int) -> float:
        """Our own wait before retry `attempt` (1-based) when the answer names none: doubling."""
        return self.backoff_s * 2 ** (attempt - 1)


def parse_retry_after(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # HTTP-date form: treated as absent (the real backend sends seconds)
