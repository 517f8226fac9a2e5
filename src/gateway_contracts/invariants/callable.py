"""Listed means callable: each sampled model's chat answer classified per the API, and a gateway's callable
share against the contract's bound (pure; the probe's requests are the store's, the sample chat_sample.py's).

What a failure is, per the API (docs/contract-file.md, `callable:`): a model the catalog lists that chat refuses
as unknown or unpriced (a 404, or a 4xx whose error names an unknown, unavailable or unpriced model), a 5xx, a
timeout or a broken connection, a 2xx without a choice. A 429 is retried by the client as every request is; one
still rate limited after its retries is not counted, nor is an answer about something other than the model (a
refused key, 402 credits, another 4xx the minimal request met: the chat contract and the summary report those),
nor a request the run's breaker kept from being sent. The share is callable / (callable + failed).
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from gateway_contracts.data.exchange import Exchange, TransportFailure
from gateway_contracts.data.findings import Finding

# An error that says the model is unknown or unpriced: Gatewayz's codes (400 model_not_priced, 404
# model_not_found), the OpenAI API's (404 model_not_found) and LiteLLM's ("Invalid model name passed in model=").
REFUSED_CODES = frozenset({"model_not_priced", "model_not_found", "model_not_available", "invalid_model",
                           "unknown_model", "model_not_supported"})
REFUSED_WORDS = re.compile(
    r"invalid model|unknown model|model[^.]{0,80}?\b(not found|not available|unavailable|not priced|no pricing|"
    r"does not exist|not supported|is not a valid)", re.IGNORECASE)
FAILED_TRANSPORT = frozenset({TransportFailure.TIMEOUT, TransportFailure.RESET})


class Outcome(StrEnum):
    CALLABLE = "callable"
    FAILED = "failed"
    UNCOUNTED = "uncounted"  # rate limited after retries, or an answer about something other than the model


@dataclass(frozen=True)
class ProbeCall:
    """One sampled model's chat answer, classified."""

    model: str
    exchange: Exchange
    body: Mapping[str, Any]  # the request's JSON body (for the curl line; the key is never in it)
    outcome: Outcome
    reason: str  # why, in a few words: "HTTP 502 upstream_error", "no choice in the 200 answer", ...
    error_code: str | None = None  # the error body's code (or type), when it has one

    @property
    def status(self) -> int | None:
        return self.exchange.status


def error_code(body: Any) -> str | None:
    """`error.code` (else `error.type`, else a string `detail`/`code`) of an error body, when it has one."""
    if not isinstance(body, dict):
        return None
    error = body.get("error")
    if isinstance(error, dict):
        for key in ("code", "type"):
            if isinstance(error.get(key), str | int) and str(error[key]).strip():
                return str(error[key])
    code = body.get("code")
    return str(code) if isinstance(code, str) and code.strip() else None


def _error_text(body: Any) -> str:
    if not isinstance(body, dict):
        return ""
    error = body.get("error")
    parts = [error.get("message"), error.get("code"), error.get("type")] if isinstance(error, dict) else [error]
    parts += [body.get("detail"), body.get("message")]
    return " ".join(str(p) for p in parts if isinstance(p, str | int))


def refused_as_unknown(exchange: Exchange) -> bool:
    """A 4xx that says the model is unknown, unavailable or unpriced (any 404 is: the route answers other
    models)."""
    status = exchange.status
    if status is None or not 400 <= status < 500 or status == 429:
        return False
    if status == 404:
        return True
    body = exchange.json if exchange.is_json else None
    code = error_code(body)
    if code is not None and code.lower() in REFUSED_CODES:
        return True
    return bool(REFUSED_WORDS.search(_error_text(body) or exchange.text[:500]))


def has_choice(body: Any) -> bool:
    choices = body.get("choices") if isinstance(body, dict) else None
    return isinstance(choices, list) and bool(choices) and isinstance(choices[0], dict) \
        and isinstance(choices[0].get("message"), dict)


def classify(model: str, exchange: Exchange, body: Mapping[str, Any]) -> ProbeCall:
    """One chat answer as callable, failed or uncounted (module docstring: what a failure is)."""
    status = exchange.status
    code = error_code(exchange.json) if exchange.is_json else None

    def call(outcome: Outcome, reason: str) -> ProbeCall:
        return ProbeCall(model, exchange, body, outcome, reason, code)

    if status is None:
        if exchange.failure in FAILED_TRANSPORT:
            return call(Outcome.FAILED, f"no answer: {exchange.error}")
        return call(Outcome.UNCOUNTED, f"not answered: {exchange.error}")
    label = f"HTTP {status}" + (f" {code}" if code else "")
    if 200 <= status < 300:
        if not exchange.is_json:
            return call(Outcome.FAILED, f"{label}: not a JSON completion ({exchange.json_error})")
        if not has_choice(exchange.json):
            return call(Outcome.FAILED, f"{label}: an answer without a choice")
        return call(Outcome.CALLABLE, label)
    if status == 429:
        return call(Outcome.UNCOUNTED, f"{label}: still rate limited after {exchange.attempts} attempts")
    if status >= 500:
        return call(Outcome.FAILED, label)
    if refused_as_unknown(exchange):
        return call(Outcome.FAILED, f"{label}: refused as unknown or unpriced")
    return call(Outcome.UNCOUNTED, f"{label}: not about the model ({exchange.excerpt(80)})")


@dataclass(frozen=True)
class Share:
    """A gateway's probe: every sampled model's call, and the callable share of those counted."""

    gateway: str
    calls: tuple[ProbeCall, ...]
    bound: float  # the contract's least callable share
    day: str = ""  # the sample's date (ISO)
    cover_days: int | None = None  # nights the rotation takes to call every listed model (None: never)

    def of(self, outcome: Outcome) -> list[ProbeCall]:
        return [c for c in self.calls if c.outcome is outcome]

    @property
    def counted(self) -> int:
        return len(self.of(Outcome.CALLABLE)) + len(self.of(Outcome.FAILED))

    @property
    def share(self) -> float | None:
        """callable / counted; None when no call was counted (nothing listed, or every call uncounted)."""
        return len(self.of(Outcome.CALLABLE)) / self.counted if self.counted else None

    @property
    def holds(self) -> bool:
        return self.share is None or self.share >= self.bound

    def summary(self) -> dict[str, Any]:
        """What the JUnit property `callable` carries (the sign-off report reads it)."""
        return {"gateway": self.gateway, "day": self.day, "bound": self.bound, "cover_days": self.cover_days,
                "share": None if self.share is None else round(self.share, 4),
                "sampled": len(self.calls), "callable": len(self.of(Outcome.CALLABLE)),
                "failed": [{"model": c.model, "status": c.status, "code": c.error_code, "reason": c.reason}
                           for c in self.of(Outcome.FAILED)],
                "uncounted": [{"model": c.model, "reason": c.reason} for c in self.of(Outcome.UNCOUNTED)]}


def curl_line(exchange: Exchange, body: Mapping[str, Any]) -> str:
    """The request as a curl command; the key as `***` (an exchange never holds it), the body as sent."""
    parts = ["curl", "-X", exchange.method, shlex.quote(exchange.url)]
    if exchange.authenticated:
        parts += ["-H", shlex.quote("Authorization: Bearer ***")]
    parts += ["-H", shlex.quote("Content-Type: application/json"), "-d", shlex.quote(json.dumps(body))]
    return " ".join(parts)


def callable_findings(probe: Share) -> list[Finding]:
    """Nothing when the share is within the bound; else the share, then each failing model with its status,
    error code and a curl line."""
    if probe.holds:
        return []
    failed = probe.of(Outcome.FAILED)
    share = probe.share or 0.0
    uncounted = len(probe.of(Outcome.UNCOUNTED))
    findings = [Finding(
        "callable-share",
        f"{probe.gateway}: {len(probe.of(Outcome.CALLABLE))} of {probe.counted} listed models sampled on {probe.day} "
        f"answered chat ({share:.0%}), expected at least {probe.bound:.0%}"
        + (f" ({uncounted} more not counted)" if uncounted else ""),
        evidence=tuple(c.model for c in failed))]
    findings += [Finding("listed-not-callable", f"{probe.gateway} lists {c.model!r}; chat answers {c.reason}",
                         c.exchange.describe(), curl=curl_line(c.exchange, c.body)) for c in failed]
    return findings
