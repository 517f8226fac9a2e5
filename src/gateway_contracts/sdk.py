"""The official OpenAI SDK as a consumer: what a user who points `OpenAI(base_url=...)` at the target sees.

`consumer_check` lists the models with the pinned `openai` package (following its pagination, if the
SDK ever pages) and asks each given model for one chat completion, with retries off so each call is one
request. Every call is recorded as an `SdkCall`: the request line, the status, the SDK's exception quoted,
and a short body excerpt, with the key filtered out of all of it. `sdk_findings` and `compare_ids` are
pure: they turn the records into `Finding`s.

Which ids the SDK should see depends on the API: an API without pagination (the openai dialect) gives the
whole list; Gatewayz answers a bare `GET /v1/models` with its documented default page (the dialect's
`sdk_page` and `sdk_scope`, gateway_contracts.dialects). The module imports `openai` only in the functions
that call it (about a second per process): the plan and the contract tests import this module without paying.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, TypeVar

from gateway_contracts.data.findings import Finding, sample
from gateway_contracts.net.deadline import DeadlinePassed, request_deadline
from gateway_contracts.net.limits import DEFAULT_MAX_BODY_BYTES, AnswerTooLarge, UndecodableBody, read_capped
from gateway_contracts.net.redaction import Redactor
from gateway_contracts.net.retry import RetryPolicy
from gateway_contracts.plan import sdk_chat_body as chat_body

if TYPE_CHECKING:  # `import openai` costs ~1 s per process: the functions that call the SDK import it
    import httpx2
    import openai

EXCERPT_CHARS = 200
MAX_PAGES = 50  # the SDK's models page never has a next page today; bounded in case a release adds one
T = TypeVar("T")


@dataclass(frozen=True)
class SdkCall:
    """One SDK call and what came back. Text fields never hold the key."""

    operation: str  # "models.list" or "chat.completions.create <model>"
    request: str  # "GET http://host/v1/models -> 200" (no query secrets, no headers)
    ok: bool
    status: int | None = None
    error: str | None = None  # the SDK's exception, quoted: "InternalServerError: Error code: 500 - ..."
    excerpt: str | None = None  # the start of the answer's body
    retry_after: str | None = None  # the answer's Retry-After header
    notes: tuple[str, ...] = ()  # transient answers retried before this one (FLAKY evidence)

    def describe(self) -> str:
        parts = [self.error or "ok"]
        if self.excerpt:
            parts.append(f"body: {self.excerpt}")
        return "; ".join(parts)


@dataclass(frozen=True)
class SdkListing:
    ids: tuple[Any, ...]  # in the order the SDK yielded them, duplicates kept
    pages: int
    calls: tuple[SdkCall, ...]  # one per page fetched; the last one failed if the listing did
    notes: tuple[str, ...] = ()  # transient answers retried before this listing (FLAKY evidence)

    @property
    def ok(self) -> bool:
        return bool(self.calls) and all(c.ok for c in self.calls)


@dataclass(frozen=True)
class SdkReport:
    listing: SdkListing
    chats: tuple[SdkCall, ...] = field(default=())


class NotSent(Exception):
    """The run refused the SDK's request (its breaker is open, or its deadline passed)."""


# What the recorder raises out of the SDK's call (the SDK lets its event hooks' exceptions through).
NO_ANSWER = (AnswerTooLarge, UndecodableBody, NotSent)


class _Recorder:
    """httpx2 event hooks: the last request line and response (status, body excerpt), key filtered. The body is
    read here, decoded and capped (net/limits.py), before the SDK reads it; `problem` says why there was no
    usable answer (the SDK itself only says "Connection error.")."""

    def __init__(self, secret: str, before_request: Callable[[], None] | None = None,
                 max_body_bytes: int = DEFAULT_MAX_BODY_BYTES, heard: Callable[[str | None], None] | None = None
                 ) -> None:
        self.before_request = before_request  # pacing and counting by the run (its rate budget, its summary)
        self.max_body_bytes = max_body_bytes
        self.heard = heard  # the run's breaker hears each answer, or what went wrong
        self.problem: str | None = None
        self.filter = Redactor(secret)  # its repr hides the key (tracebacks with locals)
        self.with_key = " (with key)" if secret else ""
        self.request: str | None = None
        self.status: int | None = None
        self.excerpt: str | None = None
        self.retry_after: str | None = None

    def on_request(self, request: httpx2.Request) -> None:
        self.request, self.status, self.excerpt = f"{request.method} {request.url}", None, None
        self.retry_after, self.problem = None, None
        if self.before_request is not None:
            try:
                self.before_request()
            except Exception as exc:  # the run's breaker is open, or its deadline passed
                self.problem = f"not sent: {exc}"
                raise NotSent(self.problem) from exc

    def on_response(self, response: httpx2.Response) -> None:
        # Buffered once here, within the cap; the SDK reads the same bytes afterwards.
        if response.is_stream_consumed:  # built in memory (a test transport)
            body = response.content
        else:
            try:
                body = read_capped(response.iter_raw(), response.headers.get("content-encoding", ""),
                                   self.max_body_bytes)
            except (AnswerTooLarge, UndecodableBody) as exc:
                self.status, self.problem = response.status_code, str(exc)
                self.excerpt = self.filter(" ".join(getattr(exc, "head", b"")[:EXCERPT_CHARS].decode(
                    "utf-8", "replace").split())) or None
                self.hear(f"{self.line('?')}: {exc}")
                response.close()
                raise
            response._content = body
        self.hear(None)
        self.status = response.status_code
        self.retry_after = response.headers.get("retry-after")
        self.excerpt = self.filter(" ".join(response.text[:EXCERPT_CHARS].split())) or None

    def hear(self, failure: str | None) -> None:
        if self.heard is not None:
            self.heard(failure)

    def timed_out(self, passed: DeadlinePassed, fallback: str) -> None:
        self.problem = f"timed out ({passed.reason})"
        self.hear(f"{self.line(fallback)}: {self.problem}")

    def line(self, fallback: str) -> str:
        """`GET http://host/v1/models (with key) -> 200`, in the style of Exchange.describe()."""
        line = self.filter(self.request or fallback) + self.with_key
        return f"{line} -> {self.status}" if self.status is not None else f"{line} -> no answer"


def make_client(
    base_url: str,
    api_key: str,
    recorder: _Recorder,
    *,
    timeout: float = 30.0,
    transport: httpx2.BaseTransport | None = None,
) -> openai.OpenAI:
    import openai

    hooks = {"request": [recorder.on_request], "response": [recorder.on_response]}
    http_client = openai.DefaultHttpxClient(event_hooks=hooks, transport=transport, timeout=timeout)
    # max_retries=0: one request per call, the first answer is what the contract judges.
    # The SDK fills organization/project from OPENAI_ORG_ID / OPENAI_PROJECT_ID when given None: omit the
    # headers so a user's OpenAI account ids never reach the target.
    return openai.OpenAI(
        base_url=base_url,
        api_key=api_key,
        timeout=timeout,
        max_retries=0,
        http_client=http_client,
        default_headers={"OpenAI-Organization": openai.Omit(), "OpenAI-Project": openai.Omit()},
    )


def _quote(exc: BaseException, recorder: _Recorder) -> str:
    what = recorder.problem or " ".join(str(exc).split())  # the SDK's "Connection error." says less than we know
    return recorder.filter(f"{type(exc).__name__}: {what}")[:400]


def list_models(
    base_url: str,
    api_key: str,
    *,
    timeout: float = 30.0,
    transport: httpx2.BaseTransport | None = None,
    retries: int = 0,
    sleep: Callable[[float], None] = time.sleep,
    before_request: Callable[[], None] | None = None,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    heard: Callable[[str | None], None] | None = None,
) -> SdkListing:
    """`client.models.list()` and every page after it, as a user iterating the paginator would; a transient
    answer is retried as the suite's own client does (`_retrying`), the notes say so. Each request is held to
    `timeout` of wall clock and `max_body_bytes` of decoded body; `heard` is the run's breaker."""
    listing, notes = _retrying(
        lambda: _list_once(base_url, api_key, timeout, transport, _Recorder(api_key, before_request, max_body_bytes,
                                                                            heard)),
        lambda listing: listing.calls[-1], retries, sleep)
    return replace(listing, notes=notes)


def _list_once(base_url: str, api_key: str, timeout: float, transport: httpx2.BaseTransport | None,
               recorder: _Recorder) -> SdkListing:
    import openai

    fallback = f"GET {base_url.rstrip('/')}/models"
    ids: list[Any] = []
    calls: list[SdkCall] = []
    with make_client(base_url, api_key, recorder, timeout=timeout, transport=transport) as client:
        try:
            with request_deadline(timeout, f"no complete answer within {timeout:g} s (REQUEST_TIMEOUT)"):
                page: Any = client.models.list()
            while True:
                # What user code does first: read each model's id (a page is recorded once that worked).
                page_ids = [model.id for model in page.data]
                ids.extend(page_ids)
                no_id = [i for i in page_ids if not isinstance(i, str) or not i]
                if no_id:
                    raise TypeError(f"{len(no_id)} model(s) with id {no_id[0]!r}, expected a non-empty string")
                calls.append(SdkCall("models.list", recorder.line(fallback), True, recorder.status))
                if len(calls) >= MAX_PAGES or not page.has_next_page():
                    break
                with request_deadline(timeout, f"no complete answer within {timeout:g} s (REQUEST_TIMEOUT)"):
                    page = page.get_next_page()
        except DeadlinePassed as passed:
            recorder.timed_out(passed, fallback)
            calls.append(SdkCall("models.list", recorder.line(fallback), False, recorder.status,
                                 _quote(passed, recorder), recorder.excerpt))
        except (openai.OpenAIError, AttributeError, TypeError, *NO_ANSWER) as exc:
            calls.append(
                SdkCall(
                    "models.list",
                    recorder.line(fallback),
                    False,
                    recorder.status,
                    _quote(exc, recorder),
                    recorder.excerpt,
                    recorder.retry_after,
                )
            )
    return SdkListing(tuple(ids), sum(1 for c in calls if c.ok), tuple(calls))


def chat_once(
    base_url: str,
    api_key: str,
    model: str,
    *,
    timeout: float = 30.0,
    transport: httpx2.BaseTransport | None = None,
    retries: int = 0,
    sleep: Callable[[float], None] = time.sleep,
    before_request: Callable[[], None] | None = None,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    heard: Callable[[str | None], None] | None = None,
) -> SdkCall:
    """One `client.chat.completions.create`, and the first thing user code reads: the first choice's text.
    A transient answer is retried as the suite's own client does (`_retrying`). Bounds as `list_models`."""
    call, notes = _retrying(
        lambda: _chat_once(base_url, api_key, model, timeout, transport,
                           _Recorder(api_key, before_request, max_body_bytes, heard)),
        lambda c: c, retries, sleep)
    return replace(call, notes=notes)


def _chat_once(
    base_url: str, api_key: str, model: str, timeout: float, transport: httpx2.BaseTransport | None,
    recorder: _Recorder,
) -> SdkCall:
    import openai

    operation = f"chat.completions.create {model}"
    fallback = f"POST {base_url.rstrip('/')}/chat/completions"
    with make_client(base_url, api_key, recorder, timeout=timeout, transport=transport) as client:
        try:
            with request_deadline(timeout, f"no complete answer within {timeout:g} s (REQUEST_TIMEOUT)"):
                completion = client.chat.completions.create(**chat_body(model))
            # content may be null in the OpenAI API (a refusal, tool calls): only its absence breaks user code.
            _ = completion.choices[0].message.content
        except DeadlinePassed as passed:
            recorder.timed_out(passed, fallback)
            return SdkCall(operation, recorder.line(fallback), False, recorder.status, _quote(passed, recorder),
                           recorder.excerpt)
        except (openai.OpenAIError, AttributeError, IndexError, TypeError, *NO_ANSWER) as exc:
            return SdkCall(operation, recorder.line(fallback), False, recorder.status, _quote(exc, recorder),
                           recorder.excerpt, recorder.retry_after)
    return SdkCall(operation, recorder.line(fallback), True, recorder.status)


def consumer_check(
    base_url: str,
    api_key: str,
    chat_models: Sequence[str],
    *,
    timeout: float = 30.0,
    transport: httpx2.BaseTransport | None = None,
    retries: int = 0,
) -> SdkReport:
    """List the models, then chat once with each contracted chat model (in the order given)."""
    listing = list_models(base_url, api_key, timeout=timeout, transport=transport, retries=retries)
    chats = tuple(chat_once(base_url, api_key, m, timeout=timeout, transport=transport, retries=retries)
                  for m in chat_models)
    return SdkReport(listing, chats)


def _retrying(once: Callable[[], T], last: Callable[[T], SdkCall], retries: int,
              sleep: Callable[[float], None]) -> tuple[T, tuple[str, ...]]:
    """`once` until its last call's answer is final, with a note per retry: the suite's policy for answers
    (net/retry.py). A 429 is retried (after Retry-After, else a backoff), a 502/503/504 only with Retry-After
    (without it, it is the API's answer); nothing else. The SDK's own retries are off: they would retry every
    5xx, hiding a 502 the contracts must see."""
    notes: list[str] = []

    def answer_of(result: T) -> tuple[int | None, str | None]:
        call = last(result)
        return (None if call.ok else call.status), call.retry_after

    def note(result: T, attempt: int, wait: float) -> None:
        notes.append(f"attempt {attempt}: HTTP {last(result).status}, retried after {wait:g} s")

    result = RetryPolicy(retries=retries).retry_answers(once, answer_of, sleep, note)
    return result, tuple(notes)


# -- pure judgements ---------------------------------------------------------------------------------


def call_findings(calls: Sequence[SdkCall]) -> list[Finding]:
    """One finding per SDK call that raised or returned something user code cannot read."""
    return [
        Finding("openai-sdk", f"the OpenAI SDK's {c.operation} failed: {c.describe()}", c.request)
        for c in calls
        if not c.ok
    ]


def sdk_findings(report: SdkReport) -> list[Finding]:
    return call_findings((*report.listing.calls, *report.chats))


def compare_ids(
    sdk_ids: Sequence[Any], walked_ids: Sequence[Any], *, scope: str, request: str | None = None
) -> list[Finding]:
    """The ids the SDK saw agree with the ids the contracts walked for the same scope (the whole list, or
    the API's default page): same ids, each as many times. Order is not compared (the API promises none)."""
    got, expected = Counter(sdk_ids), Counter(walked_ids)
    if got == expected:
        return []
    missing = sorted(map(str, (expected - got).elements()))
    extra = sorted(map(str, (got - expected).elements()))
    parts = [f"the SDK saw {len(sdk_ids):,} rows, the contracts walked {len(walked_ids):,} for {scope}"]
    if missing:
        parts.append(f"{len(missing):,} not seen by the SDK")
    if extra:
        parts.append(f"{len(extra):,} only the SDK saw")
    evidence = tuple(f"missing {m}" for m in sample(missing, 3)) + tuple(f"extra {e}" for e in sample(extra, 3))
    return [Finding("openai-sdk-ids", "; ".join(parts), request, evidence)]
