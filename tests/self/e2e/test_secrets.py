"""GATEWAY_API_KEY never leaves the Authorization header: proven with a canary key against failing faults.

The suite runs (serially, and with -n 2 plus the gate fuzz profile as `make gate` does) with a random canary
key and faults that make keyed and unkeyed contracts fail, with every output a CI job keeps: console (with
--tb=long and --showlocals), JUnit, Allure results (with and without --allure-no-capture), a DEBUG log file,
the run record and history, and the sign-off report rendered from them. Then every byte produced (output
streams, each file, and the runs' temporary directories) is searched for the canary. A run that cannot reach
its target is searched too. The canary is a fresh random value per session, never a test parameter: it
would land in the test id.
"""

from __future__ import annotations

import secrets
import socket
from dataclasses import dataclass
from pathlib import Path

import pytest

from gateway_contracts import exitcodes
from tests.self.suite_run import run_python

ROOT = Path(__file__).resolve().parents[3]
# Keyed chat answers 502 HTML (R13) or 404, chat works without a key, a gateway 404s, a catalog is an HTML page.
FAULTS = ("chat-502-html", "chat-auth-off", "hf-rename-404", "html-error-page")
# One worker runs this module: its canary runs are a module fixture, which every xdist worker holding one of its
# tests would otherwise run again (`--dist loadgroup`, as make test runs).
pytestmark = pytest.mark.xdist_group("secrets")


@dataclass
class Produced:
    """Everything the canary runs wrote: output streams by name, and the folder holding every file."""

    streams: dict[str, str]
    root: Path
    statuses: dict[str, int]


def _run(name: str, args: list[str], env: dict[str, str], produced: Produced, *, module: str = "pytest") -> None:
    result = run_python(["-m", module, *args], env)
    produced.streams[f"{name} stdout"] = result.stdout
    produced.streams[f"{name} stderr"] = result.stderr
    produced.statuses[name] = result.status


@pytest.fixture(scope="module")
def canary() -> str:
    return f"gwc-canary-{secrets.token_hex(16)}"


@pytest.fixture(scope="module")
def produced(canary: str, tmp_path_factory: pytest.TempPathFactory) -> Produced:
    out = tmp_path_factory.mktemp("canary")
    tmp = out / "tmp"  # the runs' temporary files (exchange cache, pytest's basetemp) land here, and are searched
    tmp.mkdir()
    env = {"GATEWAY_API_KEY": canary, "TMPDIR": str(tmp)}  # on top of the scrubbed environment (suite_run)
    faults = [arg for fault in FAULTS for arg in ("--reference-fault", fault)]
    gate = ["tests/contract", "-m", "gate", "-p", "no:cacheprovider", *faults]
    produced = Produced({}, out, {})
    _run("serial", [*gate, "-p", "no:xdist", "--tb=long", "--showlocals", "-rA", "-v",
                    "--log-level=DEBUG", f"--log-file={out / 'suite.log'}", "--log-file-level=DEBUG",
                    f"--junitxml={out / 'junit-serial.xml'}", f"--alluredir={out / 'allure-serial'}",
                    "--run-name", "canary", "--reports-dir", str(out / "reports")], env, produced)
    # As `make gate` runs: the contracts and the gate fuzz profile (schemathesis sends the key too).
    _run("parallel", [*gate, "tests/fuzz", "-n", "2", "--tb=long", "-rA", f"--junitxml={out / 'junit-parallel.xml'}",
                      f"--alluredir={out / 'allure-parallel'}", "--allure-no-capture"], env, produced)
    _run("signoff", ["--reports-dir", str(out / "reports"), "--run", "canary"], env, produced,
         module="gateway_contracts.report")
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    _run("unreachable", [*gate[:5], "--target-url", f"http://127.0.0.1:{port}", "--tb=long",
                         f"--junitxml={out / 'junit-unreachable.xml'}"], env, produced)
    return produced


@pytest.mark.slow
def test_the_canary_runs_failed_as_intended_and_used_the_key(produced: Produced) -> None:
    assert produced.statuses == {"serial": exitcodes.CONTRACT_BROKEN, "parallel": exitcodes.CONTRACT_BROKEN,
                                 "signoff": 0, "unreachable": exitcodes.TARGET_UNREACHABLE}, produced.streams
    for run in ("serial", "parallel"):
        out = produced.streams[f"{run} stdout"]
        assert "key: environment" in out  # the canary was the key the suite sent
        assert "FAILED tests/contract/test_api_surface.py::test_chat_model_answers" in out  # keyed
        assert "FAILED tests/contract/test_api_surface.py::test_chat_requires_a_key" in out  # unkeyed
    assert "tests/fuzz/test_fuzz.py::" in produced.streams["parallel stdout"]  # the fuzzer sent the key too
    files = {p.relative_to(produced.root).as_posix() for p in produced.root.rglob("*") if p.is_file()}
    assert {"junit-serial.xml", "junit-parallel.xml", "suite.log", "reports/signoff.html", "reports/signoff.md",
            "reports/run-canary.json"} <= files, sorted(files)
    assert any(f.startswith("allure-serial/") and f.endswith("-result.json") for f in files)
    assert any(f.startswith("allure-parallel/") and f.endswith("-result.json") for f in files)


@pytest.mark.slow
def test_the_canary_key_appears_nowhere(produced: Produced, canary: str) -> None:
    leaks = [name for name, text in produced.streams.items() if canary in text]
    searched = 0
    for path in produced.root.rglob("*"):
        if path.is_file():
            searched += 1
            if canary.encode() in path.read_bytes():
                leaks.append(str(path.relative_to(produced.root)))
    assert searched >= 10
    assert not leaks, f"the API key leaked into: {leaks}"
