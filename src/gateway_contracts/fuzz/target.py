"""The fuzzer's side of the session: where requests go, with which key, at what rate.

Every request schemathesis sends (generated cases, its auth probes, the stateful walk) goes through one
`requests` session per process whose `send` waits on the suite's throttle: the session's share of the
run's request budget (`MAX_RPS` already divided across xdist workers), spaced evenly. schemathesis' own
`rate-limit` is per process too but counts in whole requests per interval, which allows bursts.
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
from gateway_contracts.net import USER_AGENT
from gateway_contracts.net.counts import write_counts
from gateway_contracts.net.redaction import Redactor
from gateway_contracts.net.throttle import Throttle

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CASE_ID_HEADER = SCHEMATHESIS_TEST_CASE_HEADER.lower()


class ThrottledSession(requests.Session):
    """A requests session that spaces its requests by the throttle, counts them, and sends each distinct
    safe request once: generated cases repeat (the same `limit=0` many times), and a repeat of an identical
    GET tells nothing new while it spends the shared staging's request budget. The checks still run on
    every case, against the answer the one request got."""

    def __init__(self, throttle: Throttle, *, retries: int = 2, max_retry_after_s: float = 60.0,
                 backoff_s: float = 0.5, sleep: Any = time.sleep) -> None:
        super().__init__()
        self._throttle = throttle
        # A 429 is the shared limiter's answer to the whole run (or to another client on the same address),
        # not the API's answer to this case: wait as the suite's client does (Retry-After up to a minute,
        # else a doubling backoff) and send again, so no check ever judges a rate-limit answer.
        self._retries, self._max_retry_after_s, self._backoff_s, self._sleep = (
            retries, max_retry_after_s, backoff_s, sleep)
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
        response = self._send_once(request, **kwargs)
        for attempt in range(1, self._retries + 1):
            if response.status_code != 429:
                break
            wait = _retry_after(response.headers.get("Retry-After"))
            if wait is not None and wait > self._max_retry_after_s:
                break
            self.rate_limited += 1
            response.close()
            self._sleep(wait if wait is not None else self._backoff_s * 2 ** (attempt - 1))
            response = self._send_once(request, **kwargs)
        if key is not None:
            response.content  # noqa: B018 - read the body now, so the stored answer can be handed out again
            self._answers[key] = response
        return response


    def _send_once(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        self._throttle.wait()
        self.sent += 1
        return super().send(request, **kwargs)


def _retry_after(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None  # the HTTP-date form: treated as absent (the API sends seconds)


@dataclass
class FuzzTarget:
    base_url: str
    api_key: str | None = field(default=None, repr=False)
    max_rps: float = 0.0  # this process's share of the budget; 0 = unthrottled
    timeout_s: float = 60.0
    retries: int = 2  # for a 429 (RETRIES)
    session: ThrottledSession = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.base_url = self.base_url.rstrip("/")
        self.session = ThrottledSession(Throttle(self.max_rps), retries=self.retries)
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

    def call_and_validate(self, case: Case) -> Response:
        """Send the case and run every enabled check (schemathesis' defaults and ours) on the answer. A failure
        is recorded, not raised: Hypothesis keeps generating, so one finding does not hide the others of the
        operation's budget; the test item fails once at its end with every distinct failure
        (`FailureLog.verdict`, called by the fuzz plugin)."""
        __tracebackhide__ = True
        kwargs = self.call_kwargs(case)
        response = case.call(kwargs["base_url"], kwargs["session"], kwargs["headers"], timeout=kwargs["timeout"])
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

    def passed(self) -> None:
        self.generated += 1
        self.passed_cases += 1

    def failed(self, case: Case, response: Response, failures: list[Failure]) -> None:
        self.generated += 1
        self.failed_cases += 1
        self.record(case, response, failures)

    def record(self, case: Case, response: Response, failures: list[Failure]) -> None:
        """Each failure not seen before, formatted as schemathesis reports it (code, title, body, curl)."""
        for failure in failures:
            key = (failure.code, failure.title)
            if key in self.reports:
                continue
            curl = case.as_curl_command(headers=dict(response.request.headers), verify=response.verify)
            text = format_failures(case_id=None, response=response, failures=[failure], curl=curl,
                                   config=case.operation.schema.config.output)
            self.reports[key] = self.redact(text) if self.redact is not None else text

    @property
    def counts(self) -> str:
        """The JUnit property `fuzz_cases` (the sign-off report reads this exact format)."""
        return f"generated={self.generated} passed={self.passed_cases} failed={self.failed_cases}"

    def verdict(self) -> str | None:
        """The item's failure text, every distinct failure; None when every case passed."""
        if not self.reports:
            return None
        head = (f"{len(self.reports)} distinct failure{'s' * (len(self.reports) > 1)} in {self.failed_cases} of "
                f"{self.generated} generated cases:")
        return "\n".join([head, *(text.rstrip() for text in self.reports.values())])


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
