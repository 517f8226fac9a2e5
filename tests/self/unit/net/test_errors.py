"""Transport failures are classified by the exception's type (what really broke), not by its wording.

These go through httpx's real transport to sockets on 127.0.0.1, so the exceptions are chained the way
httpx chains them (httpx -> httpcore -> socket/ssl error); nothing leaves the machine.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import httpx
import pytest

from gateway_contracts.data.exchange import Exchange, TransportFailure
from gateway_contracts.net.client import ClientSettings, GatewayClient
from gateway_contracts.net.errors import TransportError, describe_transport_error, failure_kind

FAST = ClientSettings(timeout_s=5, connect_timeout_s=2, retries=0)


@pytest.fixture
def plain_http_port() -> Iterator[int]:
    """A server that answers plain HTTP to anything, so a TLS handshake with it fails."""
    server = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            with conn:
                conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    server.close()


def closed_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        return probe.getsockname()[1]


def test_a_tls_handshake_failure_is_tls(plain_http_port: int) -> None:
    exchange = GatewayClient(f"https://127.0.0.1:{plain_http_port}", settings=FAST).get("/health")
    assert exchange.failure is TransportFailure.TLS
    assert str(exchange.error).startswith("TLS error")
    assert exchange.unreachable
    assert exchange.attempts == 1


def test_a_refused_connection_is_connect() -> None:
    exchange = GatewayClient(f"http://127.0.0.1:{closed_port()}", settings=FAST).get("/health")
    assert exchange.failure is TransportFailure.CONNECT
    assert exchange.error == "connection refused"
    assert exchange.unreachable


def test_a_failed_name_lookup_is_dns(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_such_host(*args: object, **kwargs: object) -> None:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_such_host)
    exchange = GatewayClient("http://gateway.invalid", settings=FAST).get("/health")
    assert exchange.failure is TransportFailure.DNS
    assert str(exchange.error).startswith("DNS lookup failed")


def test_the_wording_of_a_message_does_not_decide_the_kind() -> None:
    # Before, any message mentioning "certificate" or "ssl" was a TLS failure, whatever had happened.
    assert failure_kind(httpx.ConnectError("no route to host: ssl.example.com certificate mirror")) == "connect"
    assert failure_kind(httpx.ReadError("proxy said: ssl certificate name lookup")) == "reset"
    assert describe_transport_error(httpx.ConnectError("refused by policy")) == "ConnectError: refused by policy"


def test_the_transport_boundary_raises_a_typed_error_that_keeps_its_cause() -> None:
    original = httpx.ConnectError("boom")

    def fail(request: httpx.Request) -> httpx.Response:
        raise original

    client = GatewayClient("http://gateway.test", settings=FAST, transport=httpx.MockTransport(fail))
    with pytest.raises(TransportError) as raised:
        client._exchange("GET", "http://gateway.test/health", None, None, False, 0.0)
    assert raised.value.__cause__ is original
    assert raised.value.failure is TransportFailure.CONNECT


def test_the_failure_survives_the_shared_cache_as_its_type() -> None:
    exchange = GatewayClient(f"http://127.0.0.1:{closed_port()}", settings=FAST).get("/health")
    again = Exchange.from_dict(exchange.to_dict())
    assert again.failure is TransportFailure.CONNECT
    assert again == exchange
