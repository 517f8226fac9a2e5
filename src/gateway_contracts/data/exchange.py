"""One recorded HTTP request and its answer: the evidence every finding points at.

An `Exchange` is plain data (no connection, no I/O), so invariants and reports can read it and it can be
written to disk and shared between xdist workers. The API key is never stored in it.

Memory: a gate holds every page of every catalog, so a gateway of 1,000,000 models is 1,000 pages held for
the whole run. Two things keep that within bounds (bench/RESULTS.md): a large body is held compressed
(once parsed, its text is only read again for an excerpt or the shared cache), and parsing shares equal
strings within a page (`source_gateway`, `modality`, an id repeated as `hugging_face_id`, ...).
"""

from __future__ import annotations

import json
import zlib
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from functools import cached_property
from typing import Any
from urllib.parse import urlencode

EXCERPT_CHARS = 200
# Answers worth a retry (with Retry-After for the 5xx): a 429 rate limit, a gateway between deploys.
TRANSIENT_STATUSES = frozenset({429, 502, 503, 504})
# What a note says when a 429 came without Retry-After (R19): the run summary and reports count these.
NO_RETRY_AFTER = "429 without Retry-After"


class TransportFailure(StrEnum):
    """Why a request got no HTTP answer. Decided from the exception's type (net/errors.py); a str, so it is
    stored as its value in the shared cache and compares equal to it."""

    DNS = "dns"
    TLS = "tls"
    CONNECT = "connect"  # refused, unreachable network
    CONNECT_TIMEOUT = "connect-timeout"
    TIMEOUT = "timeout"  # a read, or the whole answer, past its deadline
    RESET = "reset"  # the connection broke mid-exchange
    URL = "url"  # the URL cannot be requested at all
    NOT_SENT = "not-sent"  # the run's breaker was open, or its deadline had passed: nothing went out
    OTHER = "other"


# Transport failures where no connection was made: nothing at that address speaks HTTP (preflight: exit 7).
UNREACHABLE_FAILURES = frozenset(
    {
        TransportFailure.DNS,
        TransportFailure.TLS,
        TransportFailure.CONNECT,
        TransportFailure.CONNECT_TIMEOUT,
        TransportFailure.URL,
    }
)
COMPRESS_OVER = 64 * 1024  # bodies longer than this (characters) are held compressed


class _Body:
    """The `text` field's storage: a str, or zlib-compressed UTF-8 for a long body. Reading gives the str."""

    def __set_name__(self, owner: type, name: str) -> None:
        self._slot = f"_{name}_stored"

    def __get__(self, obj: Any, objtype: type | None = None) -> str:
        if obj is None:
            return ""  # the dataclass field's default
        stored = obj.__dict__[self._slot]
        return zlib.decompress(stored).decode("utf-8") if isinstance(stored, bytes) else stored

    def __set__(self, obj: Any, value: str) -> None:
        # Level 1: JSON shrinks about 8x at a few hundred MB/s; the body is decompressed rarely (parse, excerpt).
        stored = zlib.compress(value.encode("utf-8"), 1) if len(value) > COMPRESS_OVER else value
        obj.__dict__[self._slot] = stored


def _share_strings(text: str) -> Any:
    """json.loads, with equal string values within the document made one object (a page repeats many)."""
    seen: dict[str, str] = {}

    def share(obj: dict[str, Any]) -> dict[str, Any]:
        for key, value in obj.items():
            if value.__class__ is str:
                obj[key] = seen.setdefault(value, value)
        return obj

    return json.loads(text, object_hook=share)


@dataclass(frozen=True)
class Exchange:
    method: str
    url: str
    status: int | None  # None: no HTTP answer (connection refused, timeout, TLS, DNS)
    content_type: str = ""
    text: str = _Body()  # type: ignore[assignment]  # a str to every reader; held compressed when long
    elapsed_s: float = 0.0
    attempts: int = 1
    error: str | None = None  # the transport error, when status is None
    body_truncated: bool = False  # the body exceeded the client's size limit and was cut
    retry_after: str | None = None
    authenticated: bool = False
    notes: tuple[str, ...] = field(default=())  # what the client noticed (retries, 429 without Retry-After)
    failure: TransportFailure | None = None  # why there is no answer, when status is None
    body_limit: int | None = None  # the client's body limit, when the body exceeded it (only a head is kept)

    @property
    def request_line(self) -> str:
        auth = " (with key)" if self.authenticated else ""
        return f"{self.method} {self.url}{auth}"

    @property
    def unreachable(self) -> bool:
        """No connection was made (refused, DNS, TLS, connect timeout, unusable URL): a target problem."""
        return self.failure in UNREACHABLE_FAILURES

    @property
    def recovered(self) -> bool:
        """A transient failure, then a real answer on a retry: what makes a passing contract FLAKY."""
        return self.attempts > 1 and self.status is not None and self.status not in TRANSIENT_STATUSES

    @property
    def rate_limited_without_retry_after(self) -> bool:
        return any(NO_RETRY_AFTER in note for note in self.notes)

    def describe(self) -> str:
        """`GET http://.../v1/models?gateway=x -> 404 in 0.12 s`: the line a finding cites."""
        outcome = str(self.status) if self.status is not None else f"no answer ({self.error})"
        retried = f", {self.attempts} attempts" if self.attempts > 1 else ""
        return f"{self.request_line} -> {outcome} in {self.elapsed_s:.2f} s{retried}"

    @cached_property
    def _parsed(self) -> tuple[Any, str | None]:
        if self.status is None:
            return None, "no response"
        if self.body_truncated:
            if self.body_limit is None:
                return None, f"body larger than the client's limit, cut at {len(self.text):,} characters"
            return None, (f"body larger than the client's limit of {self.body_limit:,} bytes (MAX_BODY_BYTES), "
                          "not read further")
        try:
            return _share_strings(self.text), None
        except ValueError as exc:
            return None, f"not JSON ({exc.msg} at character {exc.pos})"

    @property
    def json(self) -> Any:
        """The parsed body, or None when it is not JSON (see `json_error`)."""
        return self._parsed[0]

    @property
    def json_error(self) -> str | None:
        return self._parsed[1]

    @property
    def is_json(self) -> bool:
        return self._parsed[1] is None

    def excerpt(self, limit: int = EXCERPT_CHARS) -> str:
        text = " ".join(self.text.split())
        text = text if len(text) <= limit else text[: limit - 1] + "…"
        # Control bytes (a gzip bomb's zeros, binary garbage) would reach consoles and XML reports as they are.
        return "".join(c if c.isprintable() else "\N{REPLACEMENT CHARACTER}" for c in text)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["notes"] = list(self.notes)
        data["failure"] = str(self.failure) if self.failure is not None else None
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Exchange:
        failure = data.get("failure")
        return cls(
            **{
                **data,
                "notes": tuple(data.get("notes", ())),
                "failure": TransportFailure(failure) if failure is not None else None,
            }
        )


def build_url(base_url: str, path: str, params: dict[str, Any] | None = None) -> str:
    url = base_url.rstrip("/") + "/" + path.lstrip("/")
    if params:
        url += "?" + urlencode([(k, _query_value(v)) for k, v in params.items() if v is not None])
    return url


def _query_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
