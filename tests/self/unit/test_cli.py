"""The `gateway-contracts` command: each session's pytest arguments (pure), the Makefile calling it, its
usage errors, the installed entry point, and real sessions in subprocesses."""

from __future__ import annotations

import json
import shutil
import signal
import socket
import subprocess
import sys
import time
from importlib.metadata import distribution
from pathlib import Path

import httpx
import pytest

from gateway_contracts import cli
from tests.self.suite_process import scrubbed_env

ROOT = Path(__file__).resolve().parents[3]
RUN_GATE = ["--junitxml=reports/junit-gate.xml", "--run-name", "gate", "--reports-dir", "reports",
            "--alluredir=reports/allure-results", "--clean-alluredir", "--allure-no-capture"]
SCRIPT = Path(sys.executable).parent / "gateway-contracts"


# -- the sessions, pure ----------------------------------------------------------------------------


def test_gate_session_arguments() -> None:
    assert cli.suite_args("gate", workers="auto", extra=["-k", "a and b"]) == [
        "-p", "xdist", "-n", "auto", "tests/contract", "tests/fuzz", "-m", "gate", *RUN_GATE,
        "-p", "no:schemathesis", "-k", "a and b"]
    # Serial: the one process collects, so schemathesis' plugin loads as usual.
    assert "no:schemathesis" not in cli.suite_args("gate", workers="0")


@pytest.mark.parametrize(("command", "tests"), [
    ("fuzz", ["tests/fuzz", "-m", "nightly"]),
    ("nightly", ["tests/contract", "tests/fuzz", "-m", "not fuzz or nightly"]),
    ("signoff", ["tests/contract", "tests/fuzz", "-m", "not fuzz or nightly"]),
])
def test_suite_sessions_select_their_tests_and_name_their_run(command: str, tests: list[str]) -> None:
    args = cli.suite_args(command, workers="2")
    assert args[:4] == ["-p", "xdist", "-n", "2"]
    assert args[4:4 + len(tests)] == tests
    assert args[4 + len(tests):] == [*cli.run_args(command), "-p", "no:schemathesis"]
    assert f"--junitxml=reports/junit-{command}.xml" in args


@pytest.mark.parametrize(("out", "written"), [(None, "auto"), ("b/x.json", "b/x.json")])
def test_baseline_session_writes_the_named_file_and_compares_with_nothing(out: str | None, written: str) -> None:
    args = cli.suite_args("baseline", workers="2", baseline_out=out, extra=["-x"])
    assert args[4] == "tests/contract"
    assert args[-3:] == ["--update-baseline", written, "-x"]
    env = cli.suite_env("baseline", {"BASELINE": "old.json", "PYTHONDONTWRITEBYTECODE": "1", "TARGET_URL": "u"})
    assert env == {"BASELINE": "", "TARGET_URL": "u"}
    assert cli.suite_env("gate", {"BASELINE": "b.json"}) == {"BASELINE": "b.json"}


def test_project_root_is_the_checkout(tmp_path: Path) -> None:
    assert cli.project_root(ROOT, source=tmp_path) == ROOT
    assert cli.project_root(tmp_path, source=ROOT) == ROOT  # editable install: its source checkout
    assert cli.project_root(tmp_path, source=tmp_path) is None


# -- the Makefile runs the same sessions --------------------------------------------------------------


@pytest.mark.parametrize("target", ["gate", "nightly", "fuzz", "signoff", "baseline"])
def test_make_targets_call_the_cli(target: str) -> None:
    out = subprocess.run(["make", "-n", "-o", ".venv/.installed-stamp", target, "N=3", "PYTEST_ARGS=-k x -x"],
                         cwd=ROOT, capture_output=True, text=True, timeout=30, check=True).stdout
    assert f".venv/bin/python -m gateway_contracts.cli {target} -n 3 -- -k x -x" in out.splitlines()


def test_make_report_and_serve_pass_run_port_and_faults() -> None:
    def dry(*args: str) -> str:
        return subprocess.run(["make", "-n", "-o", ".venv/.installed-stamp", *args], cwd=ROOT, capture_output=True,
                              text=True, timeout=30, check=True).stdout

    assert ".venv/bin/python -m gateway_contracts.cli report --run nightly" in dry("report", "RUN=nightly")
    assert 'FAULTS="hang" .venv/bin/python -m gateway_contracts.cli serve --port 9001' in dry(
        "serve", "PORT=9001", "FAULTS=hang")


def test_make_check_is_the_fast_lane_and_make_test_the_whole_suite() -> None:
    def dry(*args: str) -> list[str]:
        out = subprocess.run(["make", "-n", "-o", ".venv/.installed-stamp", "-o", ".venv/.litellm-stamp", *args],
                             cwd=ROOT, capture_output=True, text=True, timeout=30, check=True).stdout
        return out.replace("\\\n", "").splitlines()  # a recipe line continued with a backslash is one command

    check = dry("check", "N=3")
    assert '.venv/bin/python -m pytest tests/self -m "not slow and not litellm" -p xdist -n 3 -q ' in check
    smoke = next(line for line in check if "tests/contract tests/fuzz -m gate" in line)
    assert "FUZZ_GATE_PROFILE=smoke" in smoke
    assert "TARGET_URL= " in smoke  # the embedded reference gateway, whatever the caller's TARGET_URL
    test = next(line for line in dry("test") if "pytest tests/self" in line)
    assert "slow" not in test  # every self-test, the slow ones included
    assert "--dist loadgroup" in test


# -- main ------------------------------------------------------------------------------------------


def test_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        cli.main(["--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    for command in [*cli.SUITES, *cli.OTHERS]:
        assert f"    {command} " in out


def test_init_help_names_the_dialects(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(["init", "--help"])
    assert "--dialect {gatewayz,openai,anthropic}" in capsys.readouterr().out


def test_a_session_starts_pytest_without_importing_what_only_init_needs() -> None:
    # The command's own process is on the critical path of every `make gate`: before it started pytest it spent
    # ~0.25 s importing the dialect registry, the contract model and httpx for `init`'s --dialect choices.
    code = ("import sys\nfrom gateway_contracts import cli\ntry:\n    cli.main(['gate', '--help'])\n"
            "except SystemExit:\n    pass\nprint(sorted(m for m in sys.modules if m.startswith(('httpx', 'pydantic', "
            "'gateway_contracts.dialects'))), file=sys.stderr)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=scrubbed_env(),
                          timeout=60, check=True)
    assert "usage: gateway-contracts gate" in done.stdout
    assert done.stderr.strip() == "[]", done.stderr[:500]


@pytest.mark.parametrize("argv", [["frobnicate"], []])
def test_usage_errors_name_the_problem(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        cli.main(argv)
    assert exit_.value.code == cli.USAGE_ERROR
    err = capsys.readouterr().err
    assert ("invalid choice: 'frobnicate'" if argv else "arguments are required: COMMAND") in err


def test_main_runs_the_session_and_returns_its_status(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[list[str], Path, dict[str, str]]] = []

    def fake(args: list[str], root: Path, env: dict[str, str]) -> int:
        calls.append((list(args), root, dict(env)))
        return 7

    monkeypatch.setattr(cli, "_pytest", fake)
    monkeypatch.chdir(ROOT)
    assert cli.main(["gate", "-n", "3", "-k", "a and b", "--", "-x", "-n", "4"]) == 7
    args, root, _ = calls[0]
    assert root == ROOT
    assert args == cli.suite_args("gate", workers="3", extra=["-k", "a and b", "-x", "-n", "4"])


@pytest.mark.parametrize(("suite", "report", "status"), [(0, 0, 0), (1, 0, 1), (0, 2, 1), (7, 2, 7)])
def test_signoff_renders_the_report_and_keeps_the_suite_status(
        monkeypatch: pytest.MonkeyPatch, suite: int, report: int, status: int) -> None:
    rendered: list[str | None] = []
    monkeypatch.setattr(cli, "_pytest", lambda args, root, env: suite)
    monkeypatch.setattr(cli, "_report", lambda root, run, allure, reports="reports": rendered.append(run) or report)
    monkeypatch.chdir(ROOT)
    assert cli.main(["signoff"]) == status
    assert rendered == ["signoff"]


def test_outside_a_checkout_one_line_and_exit_6(monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(cli, "project_root", lambda cwd: None)
    assert cli.main(["gate"]) == 6
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "run it from the repository's root" in err


# -- the installed command, for real ---------------------------------------------------------------


def test_every_declared_entry_point_loads() -> None:
    points = list(distribution("gateway-contracts").entry_points)
    assert ("console_scripts", "gateway-contracts") in {(ep.group, ep.name) for ep in points}
    for point in points:  # every group: none may name a module or function that is not there
        assert callable(point.load()), point


def test_installed_command_help() -> None:
    result = subprocess.run([str(SCRIPT), "--help"], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert "gate" in result.stdout
    assert "signoff" in result.stdout


def test_installed_command_exits_with_the_suite_status(tmp_path: Path) -> None:
    env = scrubbed_env({"CONTRACTS": str(tmp_path / "missing.yaml")})
    result = subprocess.run([str(SCRIPT), "gate", "-n", "0"], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=120, check=False)
    assert result.returncode == 6, result.stdout + result.stderr
    assert "missing.yaml" in result.stdout + result.stderr


def _checkout(tmp_path: Path) -> Path:
    """The parts of the repository a session needs, so the run's reports land in tmp_path."""
    for name in ("conftest.py", "pyproject.toml"):
        shutil.copy(ROOT / name, tmp_path / name)
    for folder in ("contracts", "tests/contract", "tests/fuzz"):
        shutil.copytree(ROOT / folder, tmp_path / folder, ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "tests" / "__init__.py").touch()
    return tmp_path


@pytest.mark.slow
def test_installed_command_runs_a_narrowed_gate(tmp_path: Path) -> None:
    checkout = _checkout(tmp_path)
    result = subprocess.run([str(SCRIPT), "gate", "-n", "0", "-k", "test_chat_requires_a_key"], cwd=checkout,
                            env=scrubbed_env(), capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "1 passed" in result.stdout
    assert (checkout / "reports" / "junit-gate.xml").is_file()
    record = json.loads((checkout / "reports" / "run-gate.json").read_text())
    assert record["narrowed"] == ["-k test_chat_requires_a_key"]  # so its report cannot say READY TO SIGN


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_installed_command_serves_and_stops() -> None:
    port = _free_port()
    server = subprocess.Popen([str(SCRIPT), "serve", "--port", str(port)], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, env=scrubbed_env())
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None, server.stdout.read() if server.stdout else ""
            assert time.monotonic() < deadline, "the reference gateway did not answer /health within 60 s"
            time.sleep(0.2)
        server.send_signal(signal.SIGINT)
        assert server.wait(timeout=30) == 0
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()


@pytest.mark.parametrize(("argv", "written"), [(["baseline"], "mine.json"),
                                              (["baseline", "--out", "o.json"], "o.json")])
def test_baseline_writes_the_file_baseline_names(monkeypatch: pytest.MonkeyPatch, argv: list[str],
                                                 written: str) -> None:
    # `make baseline BASELINE=mine.json` exports BASELINE: the file to write, not one to compare with.
    calls: list[tuple[list[str], dict[str, str]]] = []
    monkeypatch.setattr(cli, "_pytest", lambda args, root, env: calls.append((list(args), dict(env))) or 0)
    monkeypatch.setenv("BASELINE", "mine.json")
    monkeypatch.chdir(ROOT)
    assert cli.main(argv) == 0
    args, env = calls[0]
    assert args[args.index("--update-baseline") + 1] == written
    assert env["BASELINE"] == ""


@pytest.mark.parametrize(("command", "environ", "expected"), [
    ("gate", {}, []),
    ("nightly", {}, ["--strict-known"]),
    ("signoff", {}, ["--strict-known"]),
    ("signoff", {"STRICT_KNOWN": "0"}, []),  # the variable decides: the suite parses it
    ("gate", {"STRICT_KNOWN": "1"}, []),  # ... and applies it to any session itself
])
def test_strict_known_is_the_nightly_and_signoff_default(command: str, environ: dict[str, str],
                                                         expected: list[str]) -> None:
    assert cli.strict_known_args(command, environ) == expected
