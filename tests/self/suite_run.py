"""The self-tests' side of running the suite in a subprocess: the runner is tests.self.suite_process
(scrubbed environment, output to files, process group killed on timeout, the fork server); this adds the
self-tests' result type (`SuiteRun`, its JUnit read back), a timeout that raises, and memory sampling.
`run_suite` runs pytest from the repository root with the repository's Python and parses its JUnit file.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from gateway_contracts.report.junit import Case, read_junit
from tests.self.suite_process import Finished, run_command, run_pytest, scrubbed_env

ROOT = Path(__file__).resolve().parents[2]
REFERENCE_CONTRACT = ROOT / "contracts" / "gateways.yaml"


def reference_contract_text(path: Path = REFERENCE_CONTRACT) -> str:
    """A contract file's text with the files it names beside it (its `openapi` document, its `reference`
    catalog) as absolute paths, so the text can be written anywhere a self-test needs a variant of it."""
    text = path.read_text(encoding="utf-8")
    return re.sub(r"(?m)^(\s*(?:openapi|file): )(?!/)(\S+\.json)\s*$",
                  lambda m: f"{m.group(1)}{path.parent / m.group(2)}", text)
# For runs that test the suite's plumbing (reports, counts, pacing, refusals), not what the gate profile finds:
# a few fuzz cases per operation instead of a hundred (gateway_contracts.fuzz.profiles.SMOKE).
SMOKE_FUZZ = {"FUZZ_GATE_PROFILE": "smoke"}



@dataclass
class SuiteRun:
    status: int
    stdout: str
    stderr: str
    seconds: float
    junit: Path | None = None
    peak_rss: int = 0  # bytes: the most the child and all its descendants held at once (run_sampled only)
    forked: bool = False  # run by the fork server, not a fresh interpreter (tests.self.suite_process)

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def lines(self, containing: str) -> list[str]:
        return [line for line in self.output.splitlines() if containing in line]

    def outcomes(self) -> dict[str, tuple[str, str, dict[str, list[str]]]]:
        """JUnit test name -> (outcome, failure message and text, properties); empty without a JUnit file."""
        cases: dict[str, tuple[str, str, dict[str, list[str]]]] = {}
        for case in self._cases():
            props: dict[str, list[str]] = {}
            for name, value in case.properties:
                props.setdefault(name, []).append(value)
            # An errored test counts as failed here, a known finding's xfail as skipped (as JUnit writes it).
            outcome = {"error": "failed", "known": "skipped"}.get(case.outcome, case.outcome)
            cases[case.name] = (outcome, case.summary if outcome == "failed" else "", props)
        return cases

    def with_outcome(self, outcome: str) -> set[str]:
        return {name for name, (got, _, _) in self.outcomes().items() if got == outcome}

    @property
    def failed(self) -> dict[str, str]:
        """JUnit name -> failure message and text, for failed and errored tests."""
        failed = {}
        for case in self._cases():
            # The failure's text, else the error's (a teardown error after a failure is not the finding).
            problem = next((text for tag in ("failure", "error") for got, text in case.results if got == tag), None)
            if problem is not None:
                failed[case.name] = problem
        return failed

    def _cases(self) -> list[Case]:
        """The run's JUnit file read back by the suite's own reader; none without a file."""
        if self.junit is None or not self.junit.exists():
            return []
        return read_junit(self.junit)

    @property
    def passed(self) -> set[str]:
        return self.with_outcome("passed")

    @property
    def skipped(self) -> set[str]:
        return self.with_outcome("skipped")


def _suite_run(command: Sequence[str], done: Finished, timeout: float) -> SuiteRun:
    if done.status is None:  # the runner killed its process group; a self-test errors on it, as it always did
        raise subprocess.TimeoutExpired(list(command), timeout, output=done.stdout, stderr=done.stderr)
    return SuiteRun(done.status, done.stdout, done.stderr, done.seconds, forked=done.forked)


def run_python(args: Sequence[str], env: Mapping[str, str] | None = None, *, timeout: float = 600,
               cwd: Path = ROOT) -> SuiteRun:
    """`python ARGS` in a scrubbed environment (`env` on top), from the repository root: a fresh interpreter."""
    command = [sys.executable, *args]
    return _suite_run(command, run_command(command, scrubbed_env(env), cwd=cwd, timeout=timeout), timeout)


def run_suite(args: Sequence[str], junit_dir: Path | None = None, *, env: Mapping[str, str] | None = None,
              timeout: float = 900, cwd: Path = ROOT) -> SuiteRun:
    """`python -m pytest ARGS -q -p no:cacheprovider` in a scrubbed environment (`env` on top), forked from the
    fork server when it can be; with `junit_dir`, its JUnit file is written there (a fresh name per run) and
    parsed by the result."""
    junit = junit_dir / f"junit-{time.monotonic_ns()}.xml" if junit_dir is not None else None
    extra = [f"--junitxml={junit}"] if junit is not None else []
    pytest_args = [*args, "-q", "-p", "no:cacheprovider", *extra]
    done = run_pytest(pytest_args, env, cwd=cwd, timeout=timeout)
    run = _suite_run([sys.executable, "-m", "pytest", *pytest_args], done, timeout)
    run.junit = junit
    return run


def run_gate(tmp_path: Path, *args: str, env: Mapping[str, str] | None = None, timeout: float = 240) -> SuiteRun:
    """The gate contracts (tests/contract -m gate) with `args`, JUnit in `tmp_path`."""
    return run_suite(["tests/contract", "-m", "gate", *args], tmp_path, env=env, timeout=timeout)


def assert_one_line_exit(run: SuiteRun, status: int, *needles: str) -> str:
    """The run ended with `status` and one line (per stream) that says why; no traceback, no test ran."""
    assert run.status == status, run.output[-3000:]
    stated = run.lines("gateway-contracts: ")
    assert stated, run.output[-3000:]
    line = stated[-1]
    for needle in needles:
        assert needle in line, line
    assert len({s.split("gateway-contracts: ", 1)[1].rstrip(" !") for s in stated}) == 1, stated  # one message
    assert "Traceback" not in run.output
    assert not re.search(r"\d+ (passed|failed)", run.stdout)  # no test ran
    return line


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        tree.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    return tree


def tree_rss(root: int) -> int:
    """Resident bytes of `root` and every process below it now (from /proc: Linux only)."""
    tree, todo, total = _children(), [root], 0
    while todo:
        pid = todo.pop()
        todo += tree.get(pid, [])
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
        except OSError:
            pass
    return total


def run_sampled(command: Sequence[str], env: Mapping[str, str] | None = None, *, timeout: float = 600,
                cwd: Path = ROOT, every: float = 0.1) -> SuiteRun:
    """`command` in a scrubbed environment, its whole process tree's resident memory sampled while it runs
    (`peak_rss`); output to files, so a chatty child never blocks on a full pipe."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.monotonic()
        child = subprocess.Popen(list(command), cwd=cwd, env=scrubbed_env(env), stdout=out, stderr=err)
        peak, done = 0, threading.Event()

        def sample() -> None:
            nonlocal peak
            while not done.is_set():
                peak = max(peak, tree_rss(child.pid))
                done.wait(every)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        try:
            status = child.wait(timeout)
        except subprocess.TimeoutExpired:
            child.kill()
            status = child.wait()
        finally:
            done.set()
            sampler.join()
        out.seek(0)
        err.seek(0)
        return SuiteRun(status, out.read().decode(errors="replace"), err.read().decode(errors="replace"),
                        time.monotonic() - started, peak_rss=peak)
