"""Known findings: the contract file's `known_findings:` entries, and matching them to a run's failures.

A team accepts a finding explicitly, for a while, with a ticket (pytest's strict xfail, Pact's pending pacts,
a baseline file with expiries): each entry names one code (`GC402`, `ST101`) at one place (a test id such as
`test_invalid_query_is_rejected[negative-offset]`, or a fuzzed operation such as `GET /v1/gateways/status`),
optionally one gateway. Matching is per distinct failure: a test whose failures are all known is accepted; one
with a known and a new failure still fails, naming only the new one. Pure: no pytest, no I/O, the date passed in.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

CODE = re.compile(r"^(GC|ST)\d{3}$")
OPERATION = re.compile(r"^(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS) (/\S*)$", re.I)
# What a run's entry outcome is (the run record, JUnit, the summary and the sign-off use these words).
SEEN, UNSEEN, NOT_RUN, EXPIRED = "seen", "no longer seen", "not checked", "expired"


class KnownFindingSpec(BaseModel):
    """One `known_findings:` entry as written; every key but `gateway` is required."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    code: str = Field(pattern=CODE.pattern)
    where: str = Field(min_length=1)
    gateway: str | None = Field(default=None, min_length=1)
    reason: str = Field(min_length=1)
    ticket: str = Field(min_length=1)
    expires: date

    @field_validator("expires", mode="before")
    @classmethod
    def _a_date(cls, value: Any) -> Any:
        # YAML reads 2026-12-31 as a date; a quoted one is a string: both mean the same day.
        if isinstance(value, str):
            try:
                return date.fromisoformat(value.strip())
            except ValueError:
                raise ValueError(f"expected a date YYYY-MM-DD, got {value!r}") from None
        return value

    @field_validator("where")
    @classmethod
    def _a_place(cls, value: str) -> str:
        value = value.strip()
        if not value.startswith("test_") and "::" not in value and not OPERATION.match(value):
            raise ValueError(f"expected a test id (test_name[params]) or an operation (GET /v1/path), got {value!r}")
        return value


@dataclass(frozen=True)
class KnownFinding:
    """One accepted finding: a code at a place, why, which ticket, until when (`line`: in the contract file)."""

    code: str
    where: str
    reason: str
    ticket: str
    expires: date
    gateway: str | None = None
    line: int = 0

    @property
    def operation(self) -> str | None:
        """`GET /v1/gateways/status` for an operation entry (method upper-cased); None for a test entry."""
        match = OPERATION.match(self.where)
        return f"{match[1].upper()} {match[2]}" if match else None

    @property
    def key(self) -> str:
        """The entry's identity in a run (reports, JUnit properties): code, place and gateway."""
        return f"{self.code} {self.where}" + (f" gateway={self.gateway}" if self.gateway else "")

    @property
    def label(self) -> str:
        return f"{self.key} (ticket {self.ticket}, expires {self.expires.isoformat()})"

    def expired(self, today: date) -> bool:
        return self.expires < today

    def at(self, place: Place) -> bool:
        """Whether this entry's place is `place` (the gateway is judged per failure, see `matches`)."""
        if self.operation is not None:
            return place.operation is not None and place.operation.upper() == self.operation.upper()
        if "::" in self.where:
            return place.nodeid == self.where or place.nodeid.endswith("/" + self.where)
        return place.name == self.where

    def matches(self, place: Place, failure: DistinctFailure) -> bool:
        if failure.code != self.code or not self.at(place):
            return False
        if self.gateway is None:
            return True
        gateways = failure.gateways or ((place.gateway,) if place.gateway else ())
        return self.gateway.lower() in {g.lower() for g in gateways}


def from_specs(specs: Sequence[tuple[KnownFindingSpec, int]]) -> tuple[KnownFinding, ...]:
    return tuple(KnownFinding(code=s.code, where=s.where, reason=s.reason, ticket=s.ticket, expires=s.expires,
                              gateway=s.gateway, line=line) for s, line in specs)


def duplicate(entries: Sequence[KnownFinding]) -> tuple[int, KnownFinding] | None:
    """The first entry (index) that repeats an earlier one's code, place and gateway."""
    seen: set[str] = set()
    for index, entry in enumerate(entries):
        if entry.key in seen:
            return index, entry
        seen.add(entry.key)
    return None


@dataclass(frozen=True)
class Place:
    """Where a test ran: its name (`test_x[param]`), node id, fuzzed operation and gateway (when it has one)."""

    name: str
    nodeid: str = ""
    operation: str | None = None
    gateway: str | None = None


@dataclass(frozen=True)
class DistinctFailure:
    """One distinct failure of a test: its finding code and title, a one-line message, the request, and for
    fuzzing the `gateway` values its cases sent."""

    code: str
    title: str
    message: str = ""
    request: str = ""
    gateways: tuple[str, ...] = ()


@dataclass(frozen=True)
class Judgement:
    """A failing test's failures split: accepted by an entry, new, and known only by an expired entry."""

    known: tuple[tuple[DistinctFailure, KnownFinding], ...] = ()
    new: tuple[DistinctFailure, ...] = ()
    expired: tuple[tuple[DistinctFailure, KnownFinding], ...] = ()

    @property
    def accepted(self) -> bool:
        """Every failure known (and at least one failure): the test is not a failure of this run."""
        return bool(self.known) and not self.new and not self.expired


def judge(entries: Iterable[KnownFinding], place: Place, failures: Sequence[DistinctFailure], today: date) -> Judgement:
    """Split a test's distinct failures by the entries that accept them. An expired entry accepts nothing."""
    entries = tuple(entries)
    known, new, expired = [], [], []
    for failure in failures:
        match = next((e for e in entries if e.matches(place, failure) and not e.expired(today)), None)
        stale = next((e for e in entries if e.matches(place, failure) and e.expired(today)), None)
        if match is not None:
            known.append((failure, match))
        elif stale is not None:
            expired.append((failure, stale))
        else:
            new.append(failure)
    return Judgement(tuple(known), tuple(new), tuple(expired))


@dataclass(frozen=True)
class EntryOutcome:
    entry: KnownFinding
    status: str  # SEEN, UNSEEN, NOT_RUN, EXPIRED
    tests: tuple[str, ...] = ()  # where it was seen

    def fails(self, strict: bool) -> bool:
        return self.status == EXPIRED or (strict and self.status == UNSEEN)

    @property
    def line(self) -> str:
        """The summary's line for this entry."""
        e = self.entry
        if self.status == SEEN:
            return f"known: {e.label}: {e.reason} (seen in {', '.join(self.tests)})"
        if self.status == EXPIRED:
            return (f"known finding EXPIRED on {e.expires.isoformat()}: {e.key} (ticket {e.ticket}, contract line "
                    f"{e.line}): fix it, or renew the entry with a new date")
        if self.status == UNSEEN:
            return f"known finding no longer seen: remove the entry {e.key} (ticket {e.ticket}, contract line {e.line})"
        return f"known finding not checked by this run: {e.key} (its test did not run)"

    def as_record(self) -> dict[str, Any]:
        e = self.entry
        return {"code": e.code, "where": e.where, "gateway": e.gateway, "reason": e.reason, "ticket": e.ticket,
                "expires": e.expires.isoformat(), "status": self.status, "tests": list(self.tests)}


@dataclass
class Tally:
    """What a run saw, for the entry outcomes at its end: entries that accepted a failure, and places that ran."""

    seen: dict[str, list[str]] = field(default_factory=dict)  # entry key -> test names
    ran: list[Place] = field(default_factory=list)

    def saw(self, key: str, test: str) -> None:
        tests = self.seen.setdefault(key, [])
        if test not in tests:
            tests.append(test)


def outcomes(entries: Iterable[KnownFinding], tally: Tally, today: date) -> list[EntryOutcome]:
    """Each entry's outcome: expired (whatever ran), seen, no longer seen (its place ran without it), or not
    checked (its place did not run: a narrowed run says nothing about it)."""
    result = []
    for entry in entries:
        if entry.expired(today):
            result.append(EntryOutcome(entry, EXPIRED, tuple(tally.seen.get(entry.key, ()))))
        elif entry.key in tally.seen:
            result.append(EntryOutcome(entry, SEEN, tuple(tally.seen[entry.key])))
        elif any(entry.at(place) for place in tally.ran):
            result.append(EntryOutcome(entry, UNSEEN))
        else:
            result.append(EntryOutcome(entry, NOT_RUN))
    return result


_BODY = re.compile(r": [\[{<'\"`]")
_ORIGIN = re.compile(r"\b(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS) https?://[^/\s]+")
_TIMING = re.compile(r" in \d+(\.\d+)? s\b")


def one_line(message: str, limit: int = 200) -> str:
    """A finding's message as one short line: the response body it quotes is cut (reports fold bodies away)."""
    text = " ".join(message.split())
    body = _BODY.search(text)
    if body:
        text = text[: body.start()]
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def short_request(request: str) -> str:
    """`GET http://host:1/v1/models?offset=-5 -> 200 in 0.01 s` -> `GET /v1/models?offset=-5 -> 200`."""
    return _TIMING.sub("", _ORIGIN.sub(r"\1 ", request)).replace("  ", " ").strip()


def entry_yaml(code: str, where: str, expires: date, *, gateway: str | None = None, title: str = "",
               note: str = "") -> str:
    """One `known_findings:` list item as YAML text (for the adoption command): reason and ticket to fill."""
    def quote(value: str) -> str:
        return "'" + value.replace("'", "''") + "'"

    lines = [f"  - code: {code}" + (f"  # {title}" if title else ""), f"    where: {quote(where)}"]
    if gateway:
        lines.append(f"    gateway: {quote(gateway)}")
    lines += [f"    reason: {quote('TODO' + (': ' + note if note else ''))}", "    ticket: TODO",
              f"    expires: {expires.isoformat()}"]
    return "\n".join(lines)
