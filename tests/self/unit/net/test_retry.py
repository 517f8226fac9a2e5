"""The retry policy on its own (net/retry.py): a decision over a recorded exchange, no client, no clock."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway_contracts.data.exchange import Exchange, TransportFailure
from gateway_contracts.net.retry import RetryPolicy, parse_retry_after


class Hangs:
    def __init__(self, hung: bool = False) -> None:
        self.hung = hung
        self.marked = 0

    def target_hangs(self) -> bool:
        return self.hung

    def mark_hung(self) -> None:
        self.marked += 1


def answer(status: int | None, retry_after: str | None = None, failure: TransportFailure | None = None) -> Exchange:
    return Exchange("GET", "http://gateway.test/v1/models", status, retry_after=retry_after, failure=failure,
                    error=None if status else "no answer")


@pytest.mark.parametrize(
    ("value", "seconds"), [("3", 3.0), ("0.5", 0.5), ("-4", 0.0), ("Wed, 21 Oct 2026 07:28:00 GMT", None), (None, None)]
)
def test_retry_after_in_seconds(value: str | None, seconds: float | None) -> None:
    assert parse_retry_after(value) == seconds


def test_a_final_answer_is_not_retried_and_leaves_no_note() -> None:
    notes: list[str] = []
    assert RetryPolicy().wait(answer(200), 1, notes, Hangs()) is None
    assert RetryPolicy().wait(answer(503), 1, notes, Hangs()) is None  # a 5xx without Retry-After is an answer
    assert notes == []


def test_retry_after_is_honoured_up_to_the_limit() -> None:
    notes: list[str] = []
    policy = RetryPolicy(retries=2, max_retry_after_s=10)
    assert policy.wait(answer(429, "4"), 1, notes, Hangs()) == 4.0
    assert policy.wait(answer(503, "30"), 1, notes, Hangs()) is None
    assert notes[-1].endswith("Retry-After 30 s is over the limit")


def test_backoff_doubles_until_the_retries_are_spent() -> None:
    notes: list[str] = []
    policy = RetryPolicy(retries=2, backoff_s=0.5)
    waits = [policy.wait(answer(None, failure=TransportFailure.RESET), n, notes, Hangs()) for n in (1, 2, 3)]
    assert waits == [0.5, 1.0, None]
    assert notes[-1].endswith("no retries left")


def test_a_timeout_is_retried_once_then_marks_the_target_as_hanging() -> None:
    hangs = Hangs()
    policy = RetryPolicy(retries=5)
    timeout = answer(None, failure=TransportFailure.TIMEOUT)
    assert policy.wait(timeout, 1, [], hangs) is not None
    assert policy.wait(timeout, 2, [], hangs) is None
    assert hangs.marked == 1
    assert policy.wait(timeout, 1, [], Hangs(hung=True)) is None


@pytest.mark.parametrize("failure", [TransportFailure.DNS, TransportFailure.TLS, TransportFailure.URL,
                                     TransportFailure.CONNECT_TIMEOUT, TransportFailure.OTHER])
def test_failures_that_do_not_heal_are_final(failure: TransportFailure) -> None:
    assert RetryPolicy(retries=5).wait(answer(None, failure=failure), 1, [], Hangs()) is None


@given(st.sampled_from([200, 400, 404, 429, 500, 502, 503, 504]),
       st.one_of(st.none(), st.sampled_from(["0", "2", "61", "-1", "soon"])), st.integers(1, 4), st.integers(0, 3))
def test_the_answer_only_decision_is_the_full_policys(status: int, retry_after: str | None, attempt: int,
                                                      retries: int) -> None:
    # The OpenAI SDK's and the fuzzer's clients decide by answer_wait: the same wait as the suite's client
    # for the same answer, so the three clients share one policy.
    policy = RetryPolicy(retries=retries)
    assert policy.answer_wait(status, retry_after, attempt) == policy.wait(
        answer(status, retry_after), attempt, [], Hangs())


def test_the_answer_loop_retries_until_the_policy_says_final() -> None:
    """`retry_answers`, the loop the SDK and the fuzzer share: each retry announced and waited, the last answer
    returned; an answer the caller calls final (status None) is not retried whatever it says."""
    answers = iter([(429, None), (503, "2"), (503, None), (200, None)])
    sent: list[tuple[int | None, str | None]] = []
    retried: list[tuple[int, float]] = []
    slept: list[float] = []

    def send() -> tuple[int | None, str | None]:
        sent.append(next(answers))
        return sent[-1]

    result = RetryPolicy(retries=3).retry_answers(send, lambda a: a, slept.append,
                                                  lambda a, attempt, wait: retried.append((attempt, wait)))
    assert result == (503, None)  # a 503 without Retry-After is the API's answer
    assert retried == [(1, 0.5), (2, 2.0)]
    assert slept == [0.5, 2.0]
    final = RetryPolicy().retry_answers(lambda: (None, "1"), lambda a: a, slept.append, lambda *_: None)
    assert final == (None, "1")
    assert slept == [0.5, 2.0]
    spent = iter([(429, "1")] * 5)
    assert RetryPolicy(retries=2).retry_answers(lambda: next(spent), lambda a: a, slept.append, lambda *_: None)
    assert slept == [0.5, 2.0, 1.0, 1.0]  # two retries, then the third 429 stands
