"""A real LiteLLM proxy for the self-tests: fully offline, on a free 127.0.0.1 port, stopped without orphans.

Every model answers from `mock_response` (no upstream call). Faults are made by configuration only:
a model removed, a model whose calls fail (500), a model listed twice (an explicit model plus a wildcard
route over the same id: LiteLLM appends the wildcard's expansion without de-duplicating). What LiteLLM
does with each is recorded in docs/litellm-notes.md.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

MASTER_KEY = "sk-litellm-selftest-not-a-secret"
HOST = "127.0.0.1"
START_TIMEOUT = 90.0  # measured 7-12 s on 2 shared cores; generous for a loaded CI machine
STOP_TIMEOUT = 10.0
PORT_ATTEMPTS = 3
# Offline and quiet: the local model-cost map (else it fetches one from the internet at start, with three
# retries), no telemetry, no feedback banner, errors only in the log.
OFFLINE_ENV = {
    "LITELLM_LOCAL_MODEL_COST_MAP": "True",
    "LITELLM_TELEMETRY_DISABLED": "true",
    "LITELLM_DONT_SHOW_FEEDBACK_BOX": "true",
    "LITELLM_LOG": "ERROR",
    "NO_PROXY": "127.0.0.1,localhost",
}
# Nothing from the caller's environment may turn the proxy into a real one (a DB, a cache, real keys).
_DROPPED_ENV = ("DATABASE_URL", "DIRECT_URL", "REDIS_URL", "REDIS_HOST", "GATEWAY_API_KEY", "OPENAI_API_KEY")


@dataclass(frozen=True)
class ProxyModel:
    id: str  # the model_name clients see in /v1/models and send in chat
    upstream: str | None = None  # litellm_params.model (`provider/name`); default: the id itself
    reply: str = "Hello from the LiteLLM mock"
    fails: bool = False  # every chat call ends in LiteLLM's 500 internal_server_error
    listed_twice: bool = False  # add a wildcard route `<id>*` whose expansion repeats the id

    def entries(self) -> list[dict[str, Any]]:
        # `litellm.InternalServerError` is a mock_response LiteLLM turns into its InternalServerError (500).
        reply = "litellm.InternalServerError" if self.fails else self.reply
        params = {"model": self.upstream or self.id, "api_key": "mock-upstream-key", "mock_response": reply}
        entries = [{"model_name": self.id, "litellm_params": params}]
        if self.listed_twice:
            twin = f"{self.id}*"
            entries.append({"model_name": twin, "litellm_params": {**params, "model": twin}})
        return entries


# The models of contracts/litellm/config.yaml (tests/self/e2e/test_litellm_gate.py keeps the two equal) and
# so of contracts/litellm-example.yaml: two prefix groups of ids LiteLLM's bundled cost map knows (a wildcard
# twin expands from that map), and a group of house names without a slash, listed explicitly (LiteLLM's
# GET /v1/models/{id} only serves ids without one).
HEALTHY: tuple[ProxyModel, ...] = (
    ProxyModel("openai/gpt-4o-mini"),
    ProxyModel("openai/gpt-4o-2024-08-06"),
    ProxyModel("openai/gpt-4.1-nano"),
    ProxyModel("anthropic/claude-3-5-haiku-20241022"),
    ProxyModel("anthropic/claude-3-haiku-20240307"),
    ProxyModel("house-assistant", upstream="openai/house-assistant"),
    ProxyModel("house-writer", upstream="openai/house-writer"),
    ProxyModel("house-summarizer", upstream="openai/house-summarizer"),
)

# The four faults made by configuration, on distinct models and groups of one proxy so that each fails its
# own contracts (tests/self/e2e/test_litellm_gate.py holds each to exactly those).
REMOVED = "house-writer"  # required in the house group; the group stays above its floor
BELOW_FLOOR = "anthropic/claude-3-5-haiku-20241022"  # not required: the anthropic group drops to 1 (floor 2)
TWICE = "openai/gpt-4o-2024-08-06"  # listed twice (a wildcard twin)
FAILING = "openai/gpt-4.1-nano"  # a chat model whose every call answers 500


def without(models: Iterable[ProxyModel], *ids: str) -> tuple[ProxyModel, ...]:
    return tuple(m for m in models if m.id not in ids)


def with_fault(models: Iterable[ProxyModel], model_id: str, **fault: bool) -> tuple[ProxyModel, ...]:
    models = tuple(models)
    if model_id not in {m.id for m in models}:
        raise ValueError(f"no model {model_id!r} in the proxy config")
    return tuple(replace(m, **fault) if m.id == model_id else m for m in models)


def faulty_models() -> tuple[ProxyModel, ...]:
    """HEALTHY with the four faults at once."""
    models = with_fault(without(HEALTHY, REMOVED, BELOW_FLOOR), TWICE, listed_twice=True)
    return with_fault(models, FAILING, fails=True)


def start_all(*proxies: LiteLLMProxy) -> None:
    """Start several proxies at once (most of a start is litellm's imports: they overlap); all or none."""
    errors: list[BaseException] = []

    def start(proxy: LiteLLMProxy) -> None:
        try:
            proxy.start()
        except BaseException as exc:  # re-raised below, in the caller's thread
            errors.append(exc)

    threads = [threading.Thread(target=start, args=(proxy,)) for proxy in proxies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        for proxy in proxies:
            proxy.stop()
        raise errors[0]


def proxy_config(models: Sequence[ProxyModel], master_key: str = MASTER_KEY) -> dict[str, Any]:
    return {
        "model_list": [entry for model in models for entry in model.entries()],
        "general_settings": {"master_key": master_key},
        # One answer per request: a failing model fails at once instead of after retries and backoff.
        "router_settings": {"num_retries": 0},
        "litellm_settings": {"num_retries": 0, "request_timeout": 10},
    }


def litellm_executable() -> str | None:
    """The `litellm` console script of this interpreter's environment (the `litellm` extra), or None."""
    beside = Path(sys.executable).with_name("litellm")
    return str(beside) if beside.exists() else shutil.which("litellm")


# Tests that start a proxy: `make test` installs the extra, so there they always run; a bare `pytest` without
# the extra says why it skipped them (-ra).
needs_litellm = pytest.mark.skipif(litellm_executable() is None,
                                   reason="the litellm extra is not installed (make test installs it)")


def free_port(host: str = HOST) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


class ProxyStartError(RuntimeError):
    pass


class LiteLLMProxy:
    """`with LiteLLMProxy(models) as proxy:` -> proxy.url (`http://127.0.0.1:N`), proxy.base_url (`.../v1`).

    The proxy runs in its own process group; stop() ends the group (SIGTERM, then SIGKILL), and an atexit
    hook does the same if a test run is interrupted before the fixture's teardown.
    """

    def __init__(
        self,
        models: Sequence[ProxyModel] = HEALTHY,
        *,
        master_key: str = MASTER_KEY,
        start_timeout: float = START_TIMEOUT,
    ) -> None:
        self.config = proxy_config(models, master_key)
        self.master_key = master_key
        self.start_timeout = start_timeout
        self.port = 0
        self.startup_seconds: float | None = None
        self.pid: int | None = None  # also the process group id (start_new_session)
        self._process: subprocess.Popen[bytes] | None = None
        self._dir: tempfile.TemporaryDirectory[str] | None = None

    @property
    def url(self) -> str:
        if self._process is None:
            raise RuntimeError("LiteLLMProxy is not started")
        return f"http://{HOST}:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.url}/v1"

    @property
    def log_path(self) -> Path:
        if self._dir is None:
            raise RuntimeError("LiteLLMProxy is not started")
        return Path(self._dir.name) / "litellm.log"

    def log_tail(self, lines: int = 25) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except (OSError, RuntimeError):
            return ""
        return "\n".join(text.splitlines()[-lines:]).replace(self.master_key, "***")

    def start(self) -> LiteLLMProxy:
        if self._process is not None:
            return self
        executable = litellm_executable()
        if executable is None:
            raise ProxyStartError("no `litellm` executable: install the extra, pip install -e '.[litellm]'")
        self._dir = tempfile.TemporaryDirectory(prefix="litellm-proxy-")
        config_path = Path(self._dir.name) / "config.yaml"
        config_path.write_text(yaml.safe_dump(self.config, sort_keys=False))
        env = {k: v for k, v in os.environ.items() if k not in _DROPPED_ENV and not k.startswith("LITELLM_")}
        env.update(OFFLINE_ENV)
        started = time.monotonic()
        try:
            # The port is free when picked but litellm binds it ~10 s later (imports): another process may
            # take it meanwhile. Then litellm exits with "address already in use": pick another port.
            for attempt in range(1, PORT_ATTEMPTS + 1):
                self._launch(executable, config_path, env)
                if self._wait_ready(started) or attempt == PORT_ATTEMPTS:
                    break
                self._end_process()
        except BaseException:
            self.stop()
            raise
        return self

    def _launch(self, executable: str, config_path: Path, env: dict[str, str]) -> None:
        self.port = free_port()
        with self.log_path.open("wb") as log:
            self._process = subprocess.Popen(
                [executable, "--config", str(config_path), "--host", HOST, "--port", str(self.port)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=str(config_path.parent),
                start_new_session=True,  # its own process group: stop() ends every child with it
            )
        self.pid = self._process.pid
        atexit.register(self.stop)

    def _wait_ready(self, started: float) -> bool:
        """True once this process serves; False if it lost its port to another one (retry)."""
        assert self._process is not None
        deadline = started + self.start_timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                if "address already in use" in self.log_tail().lower():
                    return False
                raise ProxyStartError(
                    f"litellm exited with status {self._process.returncode} before serving:\n{self.log_tail()}"
                )
            with contextlib.suppress(httpx.TransportError):
                answer = httpx.get(f"{self.url}/health/liveliness", timeout=2.0)
                # Its own answer, not another server's that took the port first.
                if answer.status_code == 200 and "alive" in answer.text and self._process.poll() is None:
                    self.startup_seconds = time.monotonic() - started
                    return True
            time.sleep(0.2)
        raise ProxyStartError(f"litellm not ready on {self.url} after {self.start_timeout:.0f} s:\n{self.log_tail()}")

    def stop(self) -> None:
        self._end_process()
        if self._dir is not None:
            self._dir.cleanup()
            self._dir = None

    def _end_process(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        atexit.unregister(self.stop)
        # The group even if the leader has exited: a child it left would still hold resources.
        self._signal_group(process, signal.SIGTERM)
        try:
            process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self._signal_group(process, signal.SIGKILL)
            process.wait(STOP_TIMEOUT)

    @staticmethod
    def _signal_group(process: subprocess.Popen[bytes], sig: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)  # start_new_session: the group id is the child's pid

    def __enter__(self) -> LiteLLMProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
