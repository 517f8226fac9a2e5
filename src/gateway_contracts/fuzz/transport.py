"""The fuzzer's side of the session: where requests go, with which key, at what rate.

Every request schemathesis sends (generated cases, its auth probes, the stateful walk) goes through one
`requests` session per process whose `send` waits on the suite's throttle: the session's share of the
run's request budget (`MAX_RPS` already divided across xdist workers), spaced evenly. schemathesis' own
`rate-limit` is per process too but counts in whole requests per interval, which allows bursts.

The session holds its requests to the suite's bounds: the body cap on decoded bytes (net/limits.py), the
request's wall-clock deadline (net/deadline.py), and the run's breaker (net/breaker.py), which hears every
answer and refuses to send once it is open. A request with no usable answer raises a `requests` exception
that names the request and what went wrong; `call_and_validate` records it as the case's failure.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from http.cookiejar import DefaultCookiePolicy
from pathlib import Path
from typing import Any

import hypothesis
import requests
from schemathesis import Case, Response
from schemathesis.core import SCHEMATHESIS_TEST_CASE_HEADER
from schemathesis.core.failures import Failure, FailureGroup, format_failures
from schemathesis.generation.stateful.state_machine import APIStateMachine, StepInput, StepOutput
from schemathesis.schemas import APIOperation, BaseSchema

from gateway_contracts.data.exchange import Exchange
from gateway_contracts.fuzz import checks
from gateway_contracts.known_findings import DistinctFailure
from gateway_contracts.net import USER_AGENT
from gateway_contracts.net.breaker import Breaker
from gateway_contracts.net.counts import write_counts
from gateway_contracts.net.deadline import DeadlinePassed, request_deadline
from gateway_contracts.net.limits import (
    ACCEPT_ENCODING,
    DECODE_STEP,
    DEFAULT_MAX_BODY_BYTES,
    AnswerTooLarge,
    UndecodableBody,
    read_capped,
)
from gateway_contracts.net.redaction import Redactor
from gateway_contracts.net.retry import RetryPolicy
from gateway_contracts.net.throttle import Throttle

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CASE_ID_HEADER = SCHEMATHESIS_TEST_CASE_HEADER.lower()


class NoUsableAnswer(requests.RequestException):
    """A request that got no usable answer (not sent, over the cap, past its deadline, broken): says which."""


class ThrottledSession(requests.Session):
    """A requests session that spaces its requests by the throttle, counts them, and sends each distinct
    safe request once: generated cases repeat (the same `limit=0` many times), and a repeat of an identical
    GET tells nothing new while it spends the shared staging's request budget. The checks still run on
    every case, against the answer the one request got."""

    def __init__(self, throttle: Throttle, *, retries: int = 2, max_retry_after_s: float = 60.0,
                 backoff_s: float = 0.5, sleep: Any = time.sleep, timeout_s: float = 60.0,
                 max_body_bytes: int = DEFAULT_MAX_BODY_BYTES, breaker: Breaker | None = None,
                 origin: str | None = None) -> None:
        super().__init__()
        if origin is not None:
            # requests reads the environment for every request: the proxy variables twice, the CA bundle, ~/.netrc
            # (~0.2 ms a request, more in a larger environment). The target is one origin: its proxies and CA
            # bundle are read once, here. No netrc credentials, as the suite's own client sends none: the key
            # comes from GATEWAY_API_KEY alone. Read as requests itself reads them for a request to the origin.
            environment = self.merge_environment_settings(origin, {}, None, None, None)
            self.trust_env = False
            self.proxies.update(environment["proxies"])
            self.verify = environment["verify"]
        self._throttle = throttle
        self._timeout_s, self._max_body_bytes, self._breaker = timeout_s, max_body_bytes, breaker
        self.headers["Accept-Encoding"] = ACCEPT_ENCODING  # what limits.py decodes, within the cap
        # A 429 is the shared limiter's answer to the whole run (or to another client on the same address),
        # not the API's answer to this case: wait as the suite's client does (Retry-After up to a minute,
        # else a doubling backoff) and send again, so no check ever judges a rate-limit answer.
        # Only a 429 is retried here: a 5xx, even with Retry-After, is the answer the checks judge.
        self._policy = RetryPolicy(retries=retries, backoff_s=backoff_s, max_retry_after_s=max_retry_after_s)
        self._sleep = sleep
        self.rate_limited = 0
        self._answers: dict[tuple[Any, ...], requests.Response] = {}
        self.sent = 0
        self.reused = 0
        self.distinct = 0  # distinct requests sent: each safe request once, every unsafe one
        # No cookies carried from one generated case to the next: each case stands alone.
        self.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        key = None
        if request.method in SAFE_METHODS:
            # schemathesis tags each case with its own id header: not part of what the API is asked.
            headers = tuple(sorted((k, v) for k, v in request.headers.items() if k.lower() != CASE_ID_HEADER))
            key = (request.method, request.url, headers, request.body)
            if key in self._answers:
                self.reused += 1
                return self._answers[key]
        self.distinct += 1
        response = self._policy.retry_answers(lambda: self._send_once(request, **kwargs), _rate_limited,
                                              self._sleep, self._before_retry)
        if key is not None:
            response.content  # noqa: B018 - read the body now, so the stored answer can be handed out again
            self._answers[key] = response
        return response


    def _before_retry(self, response: requests.Response, attempt: int, wait: float) -> None:
        self.rate_limited += 1
        response.close()

    def _send_once(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        line = f"{request.method} {request.url}"
        refusal = self._breaker.refusal() if self._breaker is not None else None
        if refusal is not None:
            raise NoUsableAnswer(f"{line}: not sent: {refusal}")
        self._throttle.wait()
        self.sent += 1
        why = f"no complete answer within {self._timeout_s:g} s (REQUEST_TIMEOUT)"
        try:
            with request_deadline(self._timeout_s, why):
                response = super().send(request, **{**kwargs, "stream": True})
                self._read_body(response)
        except DeadlinePassed as passed:
            self._heard(f"{line}: timed out ({passed.reason})")
            raise NoUsableAnswer(f"{line}: timed out ({passed.reason})") from None
        except (AnswerTooLarge, UndecodableBody) as exc:
            self._heard(f"{line}: {exc}")
            raise NoUsableAnswer(f"{line}: {exc}") from None
        except requests.RequestException as exc:
            self._heard(f"{line}: {type(exc).__name__}: {exc}")
            raise
        self._heard(None)
        return response

    def _read_body(self, response: requests.Response) -> None:
        """The body, decoded and capped here (urllib3 would inflate a whole raw chunk at once), kept as the
        response's content; the connection is closed when the body is refused."""
        if response._content is not False or response.raw is None:  # built in memory (a test adapter)
            response._content_consumed = True
            return
        try:
            raw = response.raw.stream(DECODE_STEP, decode_content=False)
            body = read_capped(raw, response.headers.get("content-encoding", ""), self._max_body_bytes)
        except BaseException:
            response.close()
            raise
        response._content = body  # what `.content`, `.text` and `.json()` read: no second pass over the wire
        response._content_consumed = True

    def _heard(self, failure: str | None) -> None:
        if self._breaker is not None:
            self._breaker.record(failure)


def _rate_limited(response: requests.Response) -> tuple[int | None, str | None]:
    """Only a 429 is retried here: any other answer, a 5xx with Retry-After too, is what the checks judge."""
    return (429 if response.status_code == 429 else None), response.headers.get("Retry-After")


@dataclass
class FuzzTarget:
    base_url: str
    api_key: str | None = field(default=None, repr=False)
    max_rps: float = 0.0  # this process's share of the budget; 0 = unthrottled
    timeout_s: float = 60.0
    retries: int = 2  # for a 429 (RETRIES)
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    breaker: Breaker | None = field(default=None, repr=False)  # the run's (shared with the suite's client)
    session: ThrottledSession = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.base_url = self.base_url.rstrip("/")
        self.session = ThrottledSession(Throttle(self.max_rps), retries=self.retries, timeout_s=self.timeout_s,
                                        max_body_bytes=self.max_body_bytes, breaker=self.breaker,
                                        origin=self.base_url)
        self.redact = Redactor(self.api_key)
        self._log = FailureLog(self.redact)

    @property
    def has_key(self) -> bool:
        return bool(self.api_key)

    def headers_for(self, operation: APIOperation) -> dict[str, str]:
        """The key goes only to operations whose spec requires it (never to the public catalog routes)."""
        headers = {"User-Agent": f"{USER_AGENT} (fuzz)"}
        security = operation.definition.raw.get("security", operation.schema.raw_schema.get("security"))
        if self.api_key and security:
            headers["Authorization"] = f"Bearer {self.api_key}"
        return headers

    def call_kwargs(self, case: Case) -> dict[str, Any]:
        return {
            "base_url": self.base_url,
            "session": self.session,
            "headers": self.headers_for(case.operation),
            "timeout": self.timeout_s,
        }

    def call_and_validate(self, case: Case) -> Response | None:
        """Send the case and run every enabled check (schemathesis' defaults and ours) on the answer. A failure
        is recorded, not raised: Hypothesis keeps generating, so one finding does not hide the others of the
        operation's budget; the test item fails once at its end with every distinct failure
        (`FailureLog.verdict`, called by the fuzz plugin)."""
        __tracebackhide__ = True
        kwargs = self.call_kwargs(case)
        try:
            response = case.call(kwargs["base_url"], kwargs["session"], kwargs["headers"], timeout=kwargs["timeout"])
        except requests.RequestException as exc:
            # No answer to judge (reset, refused, over the cap, past the deadline, the breaker open): the case's
            # failure, named by the request; Hypothesis goes on, and the open breaker makes the rest quick.
            self.log.no_answer(f"{type(exc).__name__}: {exc}")
            return None
        try:
            case.validate_response(response, headers=kwargs["headers"], transport_kwargs=kwargs)
        except (Failure, FailureGroup) as exc:
            failures = list(exc.exceptions) if isinstance(exc, FailureGroup) else [exc]
            self.log.failed(case, response, failures)
        else:
            self.log.passed()
        return response

    def pagination_machine(self, schema: BaseSchema) -> type[APIStateMachine]:
        """A state machine over the model-list operations only (found by method and path, whatever the
        document calls them), following their `nextPage` links."""
        base = pagination_operations(schema).as_state_machine()
        target = self

        class PaginationWalk(base):  # type: ignore[misc, valid-type]
            """Failures are recorded in the target's log, not raised, as for the per-operation items: the walk
            goes on, and its test fails once with every distinct failure in the same form (code, title,
            curl), never as a Hypothesis exception group."""

            def setup(self) -> None:
                super().setup()
                self.pages: dict[str, Exchange] = {}  # case id -> its answer, for the pages linked from it

            def get_call_kwargs(self, case: Case) -> dict[str, Any]:
                return target.call_kwargs(case)

            def validate_response(self, response: Response, case: Case, additional_checks: Any = None,
                                  **kwargs: Any) -> None:
                try:
                    super().validate_response(response, case, additional_checks, **kwargs)
                except (Failure, FailureGroup) as exc:
                    target.log.failed(case, response, list(exc.exceptions) if isinstance(exc, FailureGroup) else [exc])
                else:
                    target.log.passed()

            def step(self, input: StepInput) -> StepOutput:
                output = super().step(input)  # every check on the page itself
                answer = checks.answer_of(output.response, output.case).exchange
                self.pages[output.case.id] = answer
                parent = self.pages.get(input.transition.parent_id) if input.transition else None
                # The link may apply only some parameters (the others are generated): continuity needs offset.
                if parent is not None and any(name == "offset" for _, name in input.applied_parameters):
                    broken = checks.failures_of(checks.next_page(parent, answer), output.case)
                    if broken:
                        target.log.record(output.case, output.response, list(broken))
                return output

        return PaginationWalk

    def close(self) -> None:
        self.session.close()

    def write_counts(self, cache_dir: Path | None, extra_sent: int = 0) -> None:
        """This process's fuzz traffic, for the run summary: the controller adds every process's file to the
        gate's own exchanges (`read_counts`)."""
        if cache_dir is not None:
            write_counts(cache_dir, distinct=self.session.distinct + extra_sent, sent=self.session.sent + extra_sent)

    @property
    def log(self) -> FailureLog:
        return self._log

    def start_item(self) -> FailureLog:
        self._log = FailureLog(self.redact)
        return self._log


@dataclass
class FailureLog:
    """One fuzz test item's cases: how many were generated, passed and failed, and each distinct failure
    (check code + title) once, with the first case that showed it and its curl line."""

    redact: Any = None
    generated: int = 0
    passed_cases: int = 0
    failed_cases: int = 0
    reports: dict[tuple[str, str], str] = field(default_factory=dict)
    # Per distinct failure: a one-line message, the request as curl, and the `gateway` values its cases sent
    # (what a known finding with a gateway matches).
    distinct: dict[tuple[str, str], tuple[str, str, str]] = field(default_factory=dict)  # message, request, curl
    gateways: dict[tuple[str, str], set[str]] = field(default_factory=dict)
    # Per distinct failure, the operation of the first case that showed it (a walk spans several operations).
    operations: dict[tuple[str, str], str] = field(default_factory=dict)

    def passed(self) -> None:
        self.generated += 1
        self.passed_cases += 1

    def no_answer(self, reason: str) -> None:
        """A case whose request got no usable answer: one report per kind of failure (the first request)."""
        self.generated += 1
        self.failed_cases += 1
        key = ("no-answer", "not sent" if ": not sent: " in reason else reason.split(":", 1)[0])
        if key not in self.reports:
            text = f"no usable answer: {reason}"
            self.reports[key] = self.redact(text) if self.redact is not None else text

    def failed(self, case: Case, response: Response, failures: list[Failure]) -> None:
        self.generated += 1
        self.failed_cases += 1
        self.record(case, response, failures)

    def record(self, case: Case, response: Response, failures: list[Failure]) -> None:
        """Each failure not seen before, formatted as schemathesis reports it (code, title, body, curl)."""
        gateway = (case.query or {}).get("gateway") if isinstance(case.query, dict) else None
        for failure in failures:
            key = (failure.code, failure.title)
            if isinstance(gateway, str):
                self.gateways.setdefault(key, set()).add(gateway)
            if key in self.reports:
                continue
            self.operations[key] = case.operation.label
            curl = case.as_curl_command(headers=dict(response.request.headers), verify=response.verify)
            text = format_failures(case_id=None, response=response, failures=[failure], curl=curl,
                                   config=case.operation.schema.config.output)
            redact = self.redact if self.redact is not None else (lambda t: t)
            self.reports[key] = redact(text)
            # One line: our checks' message is a rendered finding (its first line says it); schemathesis' are
            # short lines (expected, invalid component).
            lines = [line.strip() for line in (failure.message or "").splitlines() if line.strip()]
            ours = bool(lines) and lines[0].startswith("[")
            message = lines[0] if ours else "; ".join(lines)
            request = f"{response.request.method} {response.request.url} -> {response.status_code}"
            self.distinct[key] = (redact(message[:300]), redact(request), redact(curl))

    @property
    def counts(self) -> str:
        """The JUnit property `fuzz_cases` (the sign-off report reads this exact format)."""
        return f"generated={self.generated} passed={self.passed_cases} failed={self.failed_cases}"

    def failures(self) -> list[Failure]:
        """Every distinct failure, as known findings are matched against them."""
        return [DistinctFailure(code, title, *self.distinct.get((code, title), ("", ""))[:2],
                             gateways=tuple(sorted(self.gateways.get((code, title), ()))))
                for code, title in self.reports]

    def curl(self, code: str, title: str) -> str:
        return self.distinct.get((code, title), ("", "", ""))[2]

    def verdict(self, only: set[tuple[str, str]] | None = None) -> str | None:
        """The item's failure text, every distinct failure (or those of `only`); None when every case passed."""
        reports = {k: v for k, v in self.reports.items() if only is None or k in only}
        if not reports:
            return None
        head = (f"{len(reports)} distinct failure{'s' * (len(reports) > 1)} in {self.failed_cases} of "
                f"{self.generated} generated cases:")
        if len(reports) < len(self.reports):
            head += f" ({len(self.reports) - len(reports)} more known, see the JUnit property known_finding)"
        return "\n".join([head, *(text.rstrip() for text in reports.values())])


def pagination_operations(schema: BaseSchema) -> BaseSchema:
    """The model-list operations, by method and path (`GET /v1/models`, `GET /models`), whatever their ids.
    An `exclude`, not an `include`: schemathesis ORs includes with the configuration's own per-operation
    filter, which matches every operation, so an include would keep them all."""
    def elsewhere(ctx: Any) -> bool:
        operation = ctx.operation
        return not (operation.method.upper() == "GET" and operation.path in checks.LIST_PATHS)

    return schema.exclude(func=elsewhere)


def walk_settings(*, examples: int, steps: int) -> hypothesis.settings:
    """Derandomized: the nightly's walks are the same every run, so a failure replays."""
    return hypothesis.settings(
        max_examples=examples,
        stateful_step_count=steps,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[hypothesis.HealthCheck.too_slow, hypothesis.HealthCheck.filter_too_much],
    )
