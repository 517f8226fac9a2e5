"""The one runner of suite runs (tests.self.suite_process): a run forked from the fork server is as
isolated as a fresh interpreter and gives the same outcomes; timeouts kill the run's whole process group; the
fork server stops when its caller goes away; a run it cannot serve faithfully goes plain, and says why."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gateway_contracts.environment import SUITE_ENV
from tests.self.killmatrix import MATRIX_FILE, compare, fault_incidents, load_matrix, run_scenario
from tests.self.suite_process import FORK_ENV, STARTUP_ENV_PREFIXES, _fork_server, plugin_modules, run_pytest

ROOT = Path(__file__).resolve().parents[3]
pytestmark = pytest.mark.slow

def test_the_fork_server_leaves_the_suites_pytest_plugins_to_pytest() -> None:
    """Found from the conftest's `pytest_plugins` by name, whatever their module is called: pytest must import
    them itself to rewrite their asserts. The options module opts out of rewriting, so it may be preloaded."""
    plugins = plugin_modules()
    assert {"gateway_contracts.plugin", "gateway_contracts.fuzz.hooks"} <= plugins
    assert "gateway_contracts.options" not in plugins


# A test module that reports what it sees, then changes the process' environment and a preloaded module's state:
# a later run forked from the same server must see neither change.
PROBE = '''
import json, os
import gateway_contracts.contract as preloaded

def test_probe():
    seen = {"pid": os.getpid(), "own": os.environ.get("PROBE_OWN"), "leaked_env": os.environ.get("PROBE_LEAK"),
            "leaked_state": getattr(preloaded, "probe_leak", None)}
    with open(os.environ["PROBE_OUT"], "w") as out:
        json.dump(seen, out)
    os.environ["PROBE_LEAK"] = "set by an earlier run"
    preloaded.probe_leak = os.getpid()
'''

# Starts a grandchild that outlives nothing, records both pids, then waits far past the run's timeout.
SLEEPER = '''
import os, subprocess, sys, time

def test_sleeps():
    grandchild = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
    with open(os.environ["PROBE_OUT"], "w") as out:
        out.write(f"{os.getpid()} {grandchild.pid}")
    time.sleep(300)
'''


def _probe_file(tmp_path: Path, source: str) -> Path:
    folder = tmp_path / "probe"
    folder.mkdir(exist_ok=True)
    (folder / "test_probe.py").write_text(source)
    return folder / "test_probe.py"


def _alive(pid: int) -> bool:
    """Running (not gone, not a zombie waiting for its parent)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _gone(*pids: int, within: float = 20.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if not any(_alive(pid) for pid in pids):
            return True
        time.sleep(0.1)
    return False


def test_two_forked_runs_are_isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each run gets its own environment and a fresh copy of the preloaded modules: what one run sets (a variable,
    a module's attribute) the next does not see."""
    monkeypatch.delenv(FORK_ENV, raising=False)
    probe = _probe_file(tmp_path, PROBE)
    seen = []
    for own in ("first", "second"):
        out = tmp_path / f"{own}.json"
        done = run_pytest([str(probe), "-q", "-p", "no:cacheprovider"], {"PROBE_OWN": own, "PROBE_OUT": str(out)},
                          cwd=ROOT, timeout=120)
        assert done.status == 0, done.output[-2000:]
        assert done.forked, done.plain_because
        seen.append(json.loads(out.read_text()))
    assert [s["own"] for s in seen] == ["first", "second"]
    assert seen[1]["leaked_env"] is None
    assert seen[1]["leaked_state"] is None
    assert seen[0]["pid"] != seen[1]["pid"]


def test_the_same_scenario_gives_the_same_junit_forked_and_plain(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """A fault scenario (failures to compare, not only passes) run both ways: the same exit status and the same
    test ids passed, failed, errored and skipped, and the matrix's verdict holds both ways."""
    matrix = load_matrix(ROOT / MATRIX_FILE, fault_incidents())
    scenario = next(s for s in matrix.scenarios if s.key == "gateway-503@sparse")
    runs = {}
    for fork in ("1", "0"):
        monkeypatch.setenv(FORK_ENV, fork)
        workdir = tmp_path / f"fork-{fork}"
        workdir.mkdir()
        runs[fork] = run_scenario(scenario, root=ROOT, workdir=workdir)
        assert compare(runs[fork]).ok, runs[fork].output[-3000:]
    forked, plain = runs["1"], runs["0"]
    assert forked.forked
    assert not plain.forked
    assert forked.status == plain.status == 1
    assert forked.outcome is not None
    assert plain.outcome is not None
    for result in ("passed", "failed", "errors", "skipped"):
        assert getattr(forked.outcome, result) == getattr(plain.outcome, result), result
    assert forked.outcome.failed  # the comparison covers failures, not only passes


def test_no_preloaded_module_reads_a_suite_variable_at_import() -> None:
    """The fork server records every variable read while it imports; none of the suite's (which the kill matrix
    and the self-tests set per run) may be among them, else those runs could not be forked."""
    hello = _fork_server(sys.executable, ROOT).ready()
    assert not hello["refuse"], hello["refuse"]
    assert not hello["not_imported"], hello["not_imported"]
    assert hello["read_env"], "nothing recorded: is the recorder still in place?"
    assert not set(hello["read_env"]) & {*SUITE_ENV, "PYTEST_DISABLE_PLUGIN_AUTOLOAD", "PYTEST_ADDOPTS"}
    assert not hello["iterated_env"], hello["iterated_env"]


@pytest.mark.parametrize("variable", ["read at import", "PYTHONHASHSEED"])
def test_a_run_that_changes_what_was_read_at_start_goes_plain(variable: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A variable the server recorded while importing (today CI, which hypothesis reads, among others), and one
    the interpreter reads at start: a run that sets either is not forked, and says which."""
    monkeypatch.delenv(FORK_ENV, raising=False)
    if variable == "read at import":
        recorded = _fork_server(sys.executable, ROOT).ready()["read_env"]
        variable = next(v for v in recorded if not v.startswith(STARTUP_ENV_PREFIXES))
    monkeypatch.delenv(variable, raising=False)
    done = run_pytest(["--version"], {variable: "12345"}, cwd=ROOT, timeout=120)
    assert done.status == 0, done.output
    assert not done.forked
    assert variable in done.plain_because


def test_suite_fork_0_runs_plain(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(FORK_ENV, "0")
    done = run_pytest(["--version"], cwd=ROOT, timeout=120)
    assert (done.status, done.forked, done.plain_because) == (0, False, f"{FORK_ENV}=0")


@pytest.mark.parametrize("fork", ["1", "0"])
def test_a_timeout_kills_the_runs_process_group(fork: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(FORK_ENV, fork)
    sleeper = _probe_file(tmp_path, SLEEPER)
    pids = tmp_path / "pids"
    done = run_pytest([str(sleeper), "-q", "-p", "no:cacheprovider"], {"PROBE_OUT": str(pids)}, cwd=ROOT,
                      timeout=15)
    assert done.status is None, done.output[-2000:]
    assert done.forked == (fork == "1")
    run, grandchild = map(int, pids.read_text().split())
    assert _gone(run, grandchild)


def test_the_fork_server_stops_with_its_caller(tmp_path: Path) -> None:
    """A caller killed mid-run (no cleanup of its own): its fork server stops and takes the run with it."""
    sleeper = _probe_file(tmp_path, SLEEPER)
    pids = tmp_path / "pids"
    caller_code = (
        "import sys\nfrom pathlib import Path\n"
        "from tests.self.suite_process import _fork_server, run_pytest\n"
        f"server = _fork_server(sys.executable, Path({str(ROOT)!r}))\n"
        "print(server.proc.pid, flush=True)\n"
        f"run_pytest([{str(sleeper)!r}, '-q', '-p', 'no:cacheprovider'], {{'PROBE_OUT': {str(pids)!r}}}, "
        f"cwd=Path({str(ROOT)!r}), timeout=300)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != FORK_ENV}
    caller = subprocess.Popen([sys.executable, "-c", caller_code], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                              text=True)
    try:
        assert caller.stdout is not None
        zygote = int(caller.stdout.readline())
        deadline = time.monotonic() + 120
        while not (pids.exists() and len(pids.read_text().split()) == 2) and time.monotonic() < deadline:
            time.sleep(0.1)
        run, grandchild = map(int, pids.read_text().split())
        assert _alive(zygote)
        assert _alive(run)
    finally:
        caller.send_signal(signal.SIGKILL)
        caller.wait()
    assert _gone(zygote, run, grandchild)
