"""One way to run the suite in a child process, for the kill matrix and the self-tests, and a fork server that
makes each such run cheap.

The child never inherits the caller's target, key, selection or pacing: `scrubbed_env` removes every variable
the suite reads (gateway_contracts.environment.SUITE_ENV) and PYTEST_ADDOPTS, then applies the run's own.
`run_pytest` runs `python -m pytest ARGS`; `run_command` any other command, always as a plain subprocess. Both
write the child's output to files (a chatty child never blocks on a pipe), put the child in its own process
group and kill that whole group on a timeout (status None) or when the caller is interrupted.

The fork server (a "zygote"): starting an interpreter and importing pytest, openai, schemathesis, hypothesis,
fastapi and the suite costs ~1.8 s of a ~3.2 CPU-s kill-matrix run. A zygote imports them once, then forks a
child per run that takes the run's cwd, environment and argv, redirects its output and runs pytest's
`__main__` as `python -m pytest` would. What keeps a forked run the same as a plain one:
- pytest's assertion rewriting: the zygote imports through pytest's own rewrite hook, with the names an
  autoloading run marks (every pytest11 distribution), so pytest finds those modules already rewritten and
  does not warn; conftests, test modules and the suite's plugins (conftest's `pytest_plugins` and theirs,
  `plugin_modules`) are never imported by the zygote. (In a run with PYTEST_DISABLE_PLUGIN_AUTOLOAD those
  libraries' own asserts are rewritten although a plain run would not rewrite them: only their failure messages
  differ.)
- the environment: the zygote records every variable a module reads while it is imported; a run that
  changes one of those, or one the interpreter reads at start (PYTHON*, locale, LD_*, TZ, HOME), runs plain.
- warnings: imports happen under `catch_warnings`, so import-time filter changes are undone as pytest undoes
  them; a preload that warns at all (a plain run would show the warning) disables forking.
- no threads in the zygote (checked before each fork); `random` reseeds itself in each child.
- a zygote serves one run at a time: one per thread of the caller, interpreter and cwd (an xdist worker has one,
  each `--jobs` thread of the kill matrix its own). It lives in its own session, so a terminal's Ctrl-C does
  not reach it, and stops when its caller goes away (end of file on its stdin), killing a run in progress.
SUITE_FORK=0 in the caller's environment, or a platform without fork: plain subprocesses. `Finished.forked` and
`.plain_because` say which way a run went. The two ways are compared by tests/self/testbed/test_suite_process.py.
"""

from __future__ import annotations

import ast
import contextlib
import functools
import importlib
import importlib.metadata
import importlib.util
import json
import os
import pkgutil
import runpy
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import warnings
import weakref
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from gateway_contracts.environment import SUITE_ENV

SCRUBBED_ENV = (*SUITE_ENV, "PYTEST_ADDOPTS")
# The zygote is this module run as `python -m` from the checkout (it lives in tests/self/, not in the wheel), so
# its sys.path is the checkout's, as `python -m pytest` from there has it; from another folder runs go plain.
CHECKOUT = Path(__file__).resolve().parents[2]
SERVER_MODULE = "tests.self.suite_process"
FORK_ENV = "SUITE_FORK"  # 0: every run a plain subprocess
FORK_PLATFORMS = ("linux",)  # fork is safe here with these libraries; elsewhere plain (SUITE_FORK=1 forces it)
# Read by the interpreter or the loader before any import (not through os.environ): a run that changes one
# needs a fresh interpreter.
STARTUP_ENV_PREFIXES = ("PYTHON", "LC_", "LANG", "LANGUAGE", "LD_", "TZ", "HOME", "MALLOC_")
PRELOADED_PACKAGES = ("gateway_contracts", "gateway_testbed")
# Never imported by the zygote, nor by what it imports: the suite's pytest plugins (`plugin_modules`, which pytest
# marks for rewriting) and the shipped tests.
PYTEST_IMPORTS = ("gateway_contracts._suite",)
# Imported inside functions, yet by nearly every run: the SDK contract's openai (and what its client loads on first
# use), the HTTP transport's httpcore, the embedded gateway's uvicorn protocol, loop and lifespan, xdist's controller.
LAZY_IMPORTS = ("openai", "openai.resources.models", "openai.resources.chat", "openai.pagination", "httpcore2",
                "jiter", "truststore", "pydantic.v1", "httpcore", "uvicorn.protocols.http.auto",
                "uvicorn.protocols.http.h11_impl", "uvicorn.lifespan.off", "uvicorn.lifespan.on", "uvicorn.loops.auto",
                "uvicorn.loops.asyncio", "xdist.dsession", "xdist.workermanage", "xdist.scheduler")
# Data every run rebuilds, built once in the zygote instead (module:function, called after the imports): the
# reference gateway's catalogs of both shapes, which each embedded gateway serves (~0.18 CPU-s per run). Pure and
# immutable, so a forked child shares them.
WARM_UPS = ("gateway_testbed.reference.generator:warm_default_catalogs",)
START_TIMEOUT_S = 120.0  # the zygote's imports on a busy machine
REPLY_TIMEOUT_S = 60.0


def scrubbed_env(overrides: Mapping[str, str] | None = None) -> dict[str, str]:
    """This process' environment without the suite's variables, plus `overrides`."""
    env = {k: v for k, v in os.environ.items() if k not in SCRUBBED_ENV}
    env.update(overrides or {})
    return env


@dataclass(frozen=True)
class Finished:
    status: int | None  # the exit status (negative: killed by that signal); None: timed out, its group killed
    stdout: str
    stderr: str
    seconds: float
    forked: bool = False
    plain_because: str = ""  # why a pytest run did not go through the fork server ("" when it did)

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def run_pytest(args: Sequence[str], overrides: Mapping[str, str] | None = None, *, cwd: Path, timeout: float,
               python: str = sys.executable) -> Finished:
    """`python -m pytest ARGS` from `cwd` in a scrubbed environment with `overrides`: forked from this thread's
    zygote when it can be, else a plain subprocess."""
    env = scrubbed_env(overrides)
    why = _why_not_fork(Path(cwd))
    if not why:
        server = _fork_server(python, Path(cwd))
        why = server.refusal(env)
        if not why:
            try:
                return server.run(args, env, timeout)
            except ForkServerLost as exc:
                why = f"the fork server stopped ({exc})"
    finished = run_command([python, "-m", "pytest", *args], env, cwd=cwd, timeout=timeout)
    return replace(finished, plain_because=why)


def run_command(command: Sequence[str], env: Mapping[str, str], *, cwd: Path, timeout: float) -> Finished:
    """`command` as a plain subprocess with exactly `env`, in its own process group (killed whole on timeout)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.monotonic()
        group = {"process_group": 0} if os.name == "posix" else {}
        child = subprocess.Popen(list(command), cwd=cwd, env=dict(env), stdin=subprocess.DEVNULL, stdout=out,
                                 stderr=err, **group)
        status: int | None = None
        try:
            status = child.wait(timeout)
        except subprocess.TimeoutExpired:
            pass
        finally:
            if status is None:  # timed out, or the caller was interrupted: nothing of the run outlives it
                _kill_group(child.pid)
                child.wait()
        return Finished(status, _read(out), _read(err), time.monotonic() - started)


def _read(file: Any) -> str:
    file.seek(0)
    return file.read().decode(errors="replace")


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError, AttributeError):
        os.killpg(pgid, signal.SIGKILL)


def _why_not_fork(cwd: Path) -> str:
    if cwd.resolve() != CHECKOUT:
        return f"the fork server runs from the checkout ({CHECKOUT}), not {cwd}"
    wanted = os.environ.get(FORK_ENV, "").strip()
    if wanted == "0":
        return f"{FORK_ENV}=0"
    if not hasattr(os, "fork"):
        return "no fork on this platform"
    if sys.platform not in FORK_PLATFORMS and wanted != "1":
        return f"fork not used on {sys.platform} (SUITE_FORK=1 forces it)"
    return ""


# -- the client side -------------------------------------------------------------------------------


class ForkServerLost(RuntimeError):
    """The zygote stopped or stopped answering; the run goes plain."""


class ForkServer:
    """One zygote, serving one run at a time for the thread that owns it."""

    def __init__(self, python: str, cwd: Path) -> None:
        self.python, self.cwd = python, cwd
        self.env = scrubbed_env()  # the environment the zygote imports under; a run's differences are checked
        self.workdir = Path(tempfile.mkdtemp(prefix="suite-fork-"))
        self.lost = ""
        self.hello: dict[str, Any] | None = None
        self._buffer = b""
        self._runs = 0
        with open(self.workdir / "zygote.log", "wb") as log:
            self.proc = subprocess.Popen([python, "-m", SERVER_MODULE, "--serve"], cwd=cwd,
                                         env=self.env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log,
                                         start_new_session=True)
        self._finalizer = weakref.finalize(self, _stop, self.proc, self.workdir)

    def close(self) -> None:
        self._finalizer()

    def ready(self) -> dict[str, Any]:
        """What the zygote reported once its imports were done (waits for them): `refuse` (why it will not fork),
        `read_env` (the variables read meanwhile), `iterated_env`, `modules`, `not_imported`."""
        if self.hello is None and not self.lost:
            try:
                self.hello = self._receive(time.monotonic() + START_TIMEOUT_S)
            except (ForkServerLost, TimeoutError) as exc:
                self._lose(f"the fork server did not start ({exc or 'timed out'})")
        return self.hello or {"refuse": self.lost}

    def refusal(self, env: Mapping[str, str]) -> str:
        """Why a run with `env` cannot be forked from this zygote ("" if it can)."""
        self.ready()
        if self.lost:
            return self.lost
        assert self.hello is not None
        if self.hello.get("refuse"):
            return str(self.hello["refuse"])
        changed = {k for k in set(env) | set(self.env) if env.get(k) != self.env.get(k)}
        if changed and self.hello.get("iterated_env"):
            return f"a preloaded module read the whole environment at import ({self.hello['iterated_env']})"
        read = set(self.hello.get("read_env", ()))
        clash = sorted(k for k in changed if k in read or k.startswith(STARTUP_ENV_PREFIXES))
        return f"the run changes {', '.join(clash)}, read at interpreter start or import" if clash else ""

    def run(self, args: Sequence[str], env: Mapping[str, str], timeout: float) -> Finished:
        self._runs += 1
        out, err = self.workdir / f"{self._runs}.out", self.workdir / f"{self._runs}.err"
        started = time.monotonic()
        try:
            self._send({"argv": list(args), "cwd": str(self.cwd), "env": dict(env), "stdout": str(out),
                        "stderr": str(err)})
            started_reply = self._receive(time.monotonic() + REPLY_TIMEOUT_S)
            if "pid" not in started_reply:
                raise ForkServerLost(started_reply.get("error", "no pid"))
            try:
                status: int | None = int(self._receive(started + timeout)["status"])
            except TimeoutError:
                self._send({"kill": True})  # the zygote kills the run's process group and reaps it
                self._receive(time.monotonic() + REPLY_TIMEOUT_S)
                status = None
        except TimeoutError as exc:  # no answer to a request: stopping the zygote kills the run
            self._lose("it did not answer")
            raise ForkServerLost(self.lost) from exc
        except BaseException as exc:  # lost, or the caller interrupted: stopping the zygote kills the run
            self._lose(str(exc) or type(exc).__name__)
            raise
        finished = Finished(status, _text(out), _text(err), time.monotonic() - started, forked=True)
        out.unlink(missing_ok=True)
        err.unlink(missing_ok=True)
        return finished

    def _lose(self, why: str) -> None:
        log = (self.workdir / "zygote.log").read_text(errors="replace").strip().splitlines()[-1:] \
            if (self.workdir / "zygote.log").exists() else []
        self.lost = why + (f"; its log: {log[0]}" if log else "")
        self.close()

    def _send(self, message: Mapping[str, Any]) -> None:
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.write(json.dumps(message).encode() + b"\n")
            self.proc.stdin.flush()
        except (BrokenPipeError, ValueError) as exc:
            raise ForkServerLost("its input is closed") from exc

    def _receive(self, deadline: float) -> dict[str, Any]:
        """The zygote's next message; TimeoutError at `deadline`, ForkServerLost at its end of file."""
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise TimeoutError
            chunk = os.read(fd, 65536)
            if not chunk:
                raise ForkServerLost(f"it exited with status {self.proc.wait()}")
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return dict(json.loads(line))


def _text(path: Path) -> str:
    return path.read_bytes().decode(errors="replace") if path.exists() else ""


def _stop(proc: subprocess.Popen[bytes], workdir: Path) -> None:
    """End of file on the zygote's input stops it (and kills a run in progress)."""
    for stream in (proc.stdin, proc.stdout):
        if stream is not None:
            with contextlib.suppress(OSError):
                stream.close()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    shutil.rmtree(workdir, ignore_errors=True)


_local = threading.local()


def _fork_server(python: str, cwd: Path) -> ForkServer:
    """This thread's zygote for `python` in `cwd`, started on first use (stopped when the thread ends)."""
    servers: dict[tuple[str, str], ForkServer] = _local.__dict__.setdefault("servers", {})
    key = (python, str(cwd.resolve()))
    server = servers.get(key)
    if server is None:
        server = servers[key] = ForkServer(python, cwd)
    return server


# -- the zygote ------------------------------------------------------------------------------------

_input = b""


def _pump() -> bool:
    """Read what stdin has; False at end of file."""
    global _input
    chunk = os.read(0, 65536)
    _input += chunk
    return bool(chunk)


def _next_message() -> dict[str, Any] | None:
    global _input
    if b"\n" not in _input:
        return None
    line, _input = _input.split(b"\n", 1)
    return dict(json.loads(line))


def _reply(message: Mapping[str, Any]) -> None:
    data = json.dumps(message).encode() + b"\n"
    while data:
        data = data[os.write(1, data):]


def _serve() -> dict[str, Any]:
    """Preload, then fork a child per request; returns only in a child, with its request."""
    hello = _preload()
    _reply(hello)
    if hello["refuse"]:
        sys.exit(0)
    while True:
        request = _next_message()
        if request is None:
            if not _pump():
                sys.exit(0)  # the caller went away
            continue
        if threading.active_count() != 1:
            _reply({"error": f"{threading.active_count()} threads in the fork server"})
            continue
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            return request
        with contextlib.suppress(OSError):  # also done in the child: either way the group exists before the reply
            os.setpgid(pid, pid)
        _reply({"pid": pid})
        _reply({"pid": pid, "status": _wait(pid)})


def _wait(pid: int) -> int:
    """The child's exit status, meanwhile obeying `kill` and stopping (child killed) at end of file."""
    try:
        pidfd: int | None = os.pidfd_open(pid)
    except (AttributeError, OSError):
        pidfd = None  # older kernels: poll
    try:
        while True:
            watched = [0] if pidfd is None else [0, pidfd]
            ready = select.select(watched, [], [], 0.05 if pidfd is None else None)[0]
            if 0 in ready:
                if not _pump():
                    _kill_group(pid)
                    os.waitpid(pid, 0)
                    sys.exit(0)
                while (message := _next_message()) is not None:
                    if message.get("kill"):
                        _kill_group(pid)
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                return os.waitstatus_to_exitcode(status)
    finally:
        if pidfd is not None:
            os.close(pidfd)


def _preload() -> dict[str, Any]:
    """Import what a suite run needs, recording the environment variables read meanwhile."""
    read: set[str] = set()
    iterated: list[str] = []
    environ_class = type(os.environ)
    get_item, iterate = environ_class.__getitem__, environ_class.__iter__

    def recording_get_item(self: Any, key: str) -> str:  # os.getenv, .get and `in` all come here
        read.add(key)
        return get_item(self, key)

    def recording_iter(self: Any) -> Iterator[str]:
        if not iterated:
            frame = traceback.extract_stack(limit=4)[0]
            iterated.append(f"{frame.filename}:{frame.lineno}")
        return iterate(self)

    environ_class.__getitem__ = recording_get_item  # type: ignore[method-assign]
    environ_class.__iter__ = recording_iter  # type: ignore[method-assign]
    failed: list[str] = []
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            hook = _rewrite_hook()
            try:
                for name in _preload_names():
                    try:
                        importlib.import_module(name)
                    except Exception as exc:  # a plain run meets the same error where it imports the module
                        failed.append(f"{name}: {type(exc).__name__}")
                for warm_up in WARM_UPS:
                    module, function = warm_up.split(":")
                    try:
                        getattr(importlib.import_module(module), function)()
                    except Exception as exc:  # only slower: the run builds it itself
                        failed.append(f"{warm_up}: {type(exc).__name__}")
            finally:
                sys.meta_path.remove(hook)
    finally:
        environ_class.__getitem__ = get_item  # type: ignore[method-assign]
        environ_class.__iter__ = iterate  # type: ignore[method-assign]
    refuse = ""
    imported = sorted(name for name in sys.modules if name.startswith(PRELOADED_PACKAGES) and _pytest_imports(name))
    if imported:  # pulled in by a preloaded module: pytest could not rewrite it
        refuse = f"importing the suite imported {', '.join(imported)}, which pytest must import itself"
    elif caught:
        first = caught[0]
        refuse = f"importing warned ({first.category.__name__} at {first.filename}:{first.lineno}: {first.message})"
    elif threading.active_count() != 1:
        refuse = f"importing started {threading.active_count() - 1} thread(s)"
    return {"refuse": refuse, "read_env": sorted(read), "iterated_env": iterated[0] if iterated else "",
            "modules": len(sys.modules), "not_imported": failed}


def _rewrite_hook() -> Any:
    """pytest's assertion rewriting hook, installed and marked as an autoloading run installs and marks it."""
    from _pytest.assertion import install_importhook
    from _pytest.config import get_config

    config = get_config()  # also imports pytest's builtin plugins, as every run does first
    hook = install_importhook(config)
    config._mark_plugins_for_rewrite(hook, disable_autoload=False)
    return hook


def _preload_names() -> list[str]:
    """pytest, the pytest11 plugins in the order an autoloading run imports them, the suite's modules, and what
    they import lazily."""
    names = ["pytest"]
    for dist in importlib.metadata.distributions():
        names += [ep.value.split(":")[0] for ep in dist.entry_points if ep.group == "pytest11"]
    for package in PRELOADED_PACKAGES:
        names += _modules_of(package)
    return [*names, *LAZY_IMPORTS]


def _modules_of(package: str) -> list[str]:
    if _pytest_imports(package):
        return []
    module = importlib.import_module(package)
    names = [package]
    for info in pkgutil.iter_modules(getattr(module, "__path__", []), package + "."):
        if _pytest_imports(info.name) or info.name.endswith(".__main__"):
            continue
        names += _modules_of(info.name) if info.ispkg else [info.name]
    return names


def _pytest_imports(name: str) -> bool:
    return name.startswith(PYTEST_IMPORTS) or name in plugin_modules()


@functools.cache
def plugin_modules() -> frozenset[str]:
    """The suite's pytest plugins: the checkout conftest's `pytest_plugins` and, recursively, theirs, read from
    the source (found, not imported: pytest imports them itself, to rewrite their asserts). A module that opts
    out of rewriting (PYTEST_DONT_REWRITE in its docstring) is left out: preloading it makes pytest no warning."""
    plugins: set[str] = set()
    seen: set[str] = set()
    pending = _declared_plugins(CHECKOUT / "conftest.py")
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            continue  # pytest will say so; nothing to keep out of the preload
        if "PYTEST_DONT_REWRITE" not in (ast.get_docstring(ast.parse(Path(spec.origin).read_text())) or ""):
            plugins.add(name)
        pending += _declared_plugins(Path(spec.origin))
    return frozenset(plugins)


def _declared_plugins(module: Path) -> list[str]:
    """The names a module's top-level `pytest_plugins = [...]` lists."""
    for node in ast.parse(module.read_text()).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "pytest_plugins" for t in node.targets):
            value = ast.literal_eval(node.value)
            return [value] if isinstance(value, str) else list(value)
    return []


def _become(request: Mapping[str, Any]) -> None:
    """In the forked child: take the run's group, cwd, environment, output and argv; run pytest as `-m` does."""
    with contextlib.suppress(OSError):
        os.setpgid(0, 0)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    null = os.open(os.devnull, os.O_RDONLY)
    out = os.open(request["stdout"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    err = os.open(request["stderr"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    for fd, target in ((null, 0), (out, 1), (err, 2)):
        os.dup2(fd, target)
        os.close(fd)
    sys.argv = ["-m", *request["argv"]]  # runpy puts pytest/__main__.py first, as `python -m pytest` does
    sys.orig_argv = [sys.executable, "-m", "pytest", *request["argv"]]
    runpy.run_module("pytest", run_name="__main__", alter_sys=True)  # raises SystemExit with pytest's status


if __name__ == "__main__":
    if sys.argv[1:] != ["--serve"]:
        sys.exit(f"usage: python -m {SERVER_MODULE} --serve (started by run_pytest, not by hand)")
    _become(_serve())
    sys.exit(0)
