"""Run the reference gateway with uvicorn: in a background thread (tests, the default target) or in
the foreground (`python -m gateway_testbed.reference`)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Collection, Mapping, Sequence
from types import TracebackType
from typing import Any

import uvicorn

from .app import DEFAULT_SLOW_SECONDS, ReferenceState, create_app

LOCALHOST = "127.0.0.1"


def bind_tcp(host: str, port: int) -> socket.socket:
    """Bind ourselves so port 0 yields a known free port before uvicorn starts.

    The protocol must be IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY on accepted sockets only when the
    listening socket says it is TCP, and without it Nagle's algorithm meets the client's delayed ACK
    (~40 ms on every answer of a kept-alive connection)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


def _config(app: Any) -> uvicorn.Config:
    # log_config=None: leave the host process's logging (pytest's capture) alone. loop="asyncio": the same
    # event loop whether or not uvloop happens to be installed (the LiteLLM extra brings it).
    return uvicorn.Config(
        app,
        loop="asyncio",
        log_config=None,
        log_level="warning",
        access_log=False,
        lifespan="off",
        ws="none",
        timeout_graceful_shutdown=1,
        timeout_keep_alive=5,
    )


class EmbeddedGateway:
    """The reference gateway on a local port, in a daemon thread. Use as a context manager.

    The app is built in the constructor, so an unknown fault name raises ValueError before any
    socket is opened.
    """

    def __init__(
        self,
        faults: Sequence[str] = (),
        api_keys: Collection[str] = (),
        scale: Mapping[str, int] | None = None,
        slow_seconds: float = DEFAULT_SLOW_SECONDS,
        rate_limit_per_minute: int | None = None,
        shape: str = "full",
        host: str = LOCALHOST,
        port: int = 0,
        start_timeout: float = 10.0,
        stop_timeout: float = 5.0,
    ) -> None:
        self.app = create_app(
            faults=faults,
            api_keys=api_keys,
            scale=scale,
            slow_seconds=slow_seconds,
            rate_limit_per_minute=rate_limit_per_minute,
            shape=shape,
        )
        self.host = host
        self.requested_port = port
        self.port = port  # the bound port once started
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None

    @property
    def _state(self) -> ReferenceState:
        return self.app.state.reference

    @property
    def faults(self) -> tuple[str, ...]:
        return self._state.plan.names

    @property
    def url(self) -> str:
        if self._socket is None:
            raise RuntimeError("EmbeddedGateway is not started")
        return f"http://{self.host}:{self.port}"

    def request_count(self) -> int:
        """Requests served so far (every path, errors included)."""
        return self._state.stats.total

    def stats(self) -> dict[str, Any]:
        """`{"requests_total": N, "by_path": {path: N}}`, the same as GET /_reference/stats."""
        return self._state.stats.snapshot()

    def connection_sockets(self) -> list[Any]:
        """The sockets of the connections the server holds open now (to read their options in tests)."""
        if self._server is None:
            return []
        return [conn.transport.get_extra_info("socket") for conn in list(self._server.server_state.connections)]

    def start(self) -> EmbeddedGateway:
        if self._thread is not None:
            return self
        self._socket = bind_tcp(self.host, self.requested_port)
        self.port = self._socket.getsockname()[1]
        self._server = uvicorn.Server(_config(self.app))
        self._thread = threading.Thread(
            target=self._server.run,
            kwargs={"sockets": [self._socket]},
            name=f"reference-gateway-{self.port}",
            daemon=True,
        )
        self._thread.start()
        deadline = time.monotonic() + self.start_timeout
        while not self._server.started:
            if not self._thread.is_alive():
                self._cleanup()
                raise RuntimeError(f"reference gateway on {self.host}:{self.port} exited during startup")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(
                    f"reference gateway on {self.host}:{self.port} did not start within "
                    f"{self.start_timeout:g} s"
                )
            time.sleep(0.005)
        return self

    def stop(self) -> None:
        """Ask uvicorn to exit; force it (cancelling in-flight requests) if it does not in time."""
        if self._server is None or self._thread is None:
            return
        self._server.should_exit = True
        self._thread.join(self.stop_timeout)
        if self._thread.is_alive():
            self._server.force_exit = True
            self._thread.join(self.stop_timeout)
        self._cleanup()

    def _cleanup(self) -> None:
        if self._socket is not None:
            self._socket.close()
        self._server = None
        self._thread = None
        self._socket = None

    def __enter__(self) -> EmbeddedGateway:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def serve(
    host: str = LOCALHOST,
    port: int = 8080,
    faults: Sequence[str] = (),
    api_keys: Collection[str] = (),
    scale: Mapping[str, int] | None = None,
    slow_seconds: float = DEFAULT_SLOW_SECONDS,
    rate_limit_per_minute: int | None = None,
    shape: str = "full",
) -> None:
    """Serve in the foreground until interrupted; prints one line with the URL, shape and active faults."""
    app = create_app(
        faults=faults,
        api_keys=api_keys,
        scale=scale,
        slow_seconds=slow_seconds,
        rate_limit_per_minute=rate_limit_per_minute,
        shape=shape,
    )
    sock = bind_tcp(host, port)
    bound_port = sock.getsockname()[1]
    active = ", ".join(app.state.reference.plan.names) or "none"
    print(f"reference gateway serving http://{host}:{bound_port} (shape: {shape}; faults: {active})", flush=True)
    try:
        uvicorn.Server(_config(app)).run(sockets=[sock])
    finally:
        sock.close()
