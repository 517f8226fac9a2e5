"""Transport failures classified by exception type at the boundary, never by the wording of a message.

httpx raises its own exception types and chains the one that caused them (`raise ConnectError from
httpcore.ConnectError from socket.gaierror`): a DNS failure is a `socket.gaierror` in that chain, a TLS failure
an `ssl.SSLError`, a refusal a `ConnectionRefusedError`. The client turns each into a `TransportError` (kept
as its `__cause__`) and that into the `Exchange` a finding cites.
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator

import httpx

from gateway_contracts.data.exchange import TransportFailure

# What the client catches at the transport boundary: InvalidURL is no HTTPError, but a bad target all the same.
HTTPX_ERRORS: tuple[type[Exception], ...] = (httpx.HTTPError, httpx.InvalidURL)
TIMEOUT_FAILURES = frozenset({TransportFailure.TIMEOUT, TransportFailure.CONNECT_TIMEOUT})


class AnswerDeadline(httpx.ReadTimeout):
    """The answer kept coming (slowly) past the attempt's deadline: a trickle is a timeout too."""


class TransportError(Exception):
    """A request that got no HTTP answer: the kind of failure and a reason a person can act on."""

    def __init__(self, failure: TransportFailure, reason: str) -> None:
        super().__init__(reason)
        self.failure = failure
        self.reason = reason

    @classmethod
    def from_httpx(cls, exc: Exception) -> TransportError:
        """Use as `raise TransportError.from_httpx(exc) from exc`."""
        return cls(failure_kind(exc), describe_transport_error(exc))


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """The exception and what caused it, outermost first (httpx -> httpcore -> the socket or ssl error).
    A suppressed context is followed too: httpcore re-raises its error `from None` after chaining it to the
    socket error, so the socket error is only its `__context__`."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _caused_by(exc: BaseException, *types: type[BaseException]) -> bool:
    return any(isinstance(link, types) for link in _chain(exc))


def failure_kind(exc: Exception) -> TransportFailure:
    """What kind of transport failure: decides whether a retry can help and whether the target is unreachable."""
    if isinstance(exc, httpx.ConnectTimeout):
        return TransportFailure.CONNECT_TIMEOUT
    if isinstance(exc, httpx.TimeoutException):
        return TransportFailure.TIMEOUT
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
        return TransportFailure.URL
    if _caused_by(exc, socket.gaierror):
        return TransportFailure.DNS
    if _caused_by(exc, ssl.SSLError, ssl.CertificateError):
        return TransportFailure.TLS
    if isinstance(exc, httpx.ConnectError):
        return TransportFailure.CONNECT
    if isinstance(exc, httpx.NetworkError | httpx.RemoteProtocolError):
        return TransportFailure.RESET
    return TransportFailure.OTHER


def describe_transport_error(exc: Exception) -> str:
    """A short reason a person can act on: refused, DNS, TLS, timeout, reset."""
    text = str(exc) or type(exc).__name__
    kind = failure_kind(exc)
    if isinstance(exc, AnswerDeadline):
        return f"timed out ({text})"
    if kind in TIMEOUT_FAILURES:
        return f"timed out ({type(exc).__name__})"
    if kind is TransportFailure.DNS:
        return f"DNS lookup failed ({text})"
    if kind is TransportFailure.TLS:
        return f"TLS error ({text})"
    if kind is TransportFailure.CONNECT and _caused_by(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, httpx.RemoteProtocolError):
        return f"connection closed mid-answer ({text})"
    return f"{type(exc).__name__}: {text}"
