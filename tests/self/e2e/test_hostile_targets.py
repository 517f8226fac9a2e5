"""Whatever a target sends: bounded memory, bounded time, one clear verdict (docs/hostile-targets.md).

Each hostile target (tests/self/hostile.py: /health answers, every other route misbehaves) is met three ways:
the fuzzer's session and the OpenAI SDK directly (their requests stop at the cap or the deadline, naming the
request), and the whole gate (and once the nightly) as a subprocess, as `make gate` runs it, with the resident
memory of its whole process tree sampled while it runs. No test asserts on wall time: the runs are bounded by
their small REQUEST_TIMEOUT, the breaker and a RUN_DEADLINE backstop, and the subprocess by a timeout.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from gateway_contracts import exitcodes, sdk
from gateway_contracts.cli import suite_args
from gateway_contracts.contract import load_contract
from gateway_contracts.fuzz.settings import FuzzSettings
from gateway_contracts.fuzz.spec import resolve_source
from gateway_contracts.fuzz.transport import NoUsableAnswer, ThrottledSession
from gateway_contracts.net.breaker import Breaker
from gateway_contracts.net.client import ClientSettings, GatewayClient
from gateway_contracts.net.throttle import Throttle
from tests.self.hostile import HOSTILE, serving
from tests.self.suite_run import SuiteRun, assert_one_line_exit, run_gate, run_sampled

CAP = 1024 * 1024  # a small cap for the direct tests: what is read stays under it
GIB = 1024 ** 3
OVER_CAP = ("endless-body", "huge-length", "gzip-bomb")
TOO_SLOW = ("trickle", "endless-headers")
# What the one line says of each target.
PROBLEM = {
    **dict.fromkeys(OVER_CAP, "exceeded the cap"),
    **dict.fromkeys(TOO_SLOW, "timed out"),
    "reset-mid-body": "reset by peer",
    "invalid-json": "not JSON",
    "html": "not JSON",
}


def test_every_hostile_target_has_a_scenario() -> None:
    assert set(PROBLEM) == set(HOSTILE)


# -- each client's requests, directly ----------------------------------------------------------------


@pytest.mark.parametrize("name", [*OVER_CAP, *TOO_SLOW])
def test_the_suite_client_stops_at_the_cap_or_the_deadline(name: str) -> None:
    with serving(name) as server:
        client = GatewayClient(server.url, settings=ClientSettings(timeout_s=1, retries=2, max_body_bytes=CAP))
        assert client.get("/health").status == 200
        page = client.get("/v1/models", {"gateway": "openai"})
    if name in OVER_CAP:
        assert page.status == 200
        assert page.body_truncated
        assert page.body_limit == CAP
        assert len(page.text.encode()) <= CAP
    else:
        assert page.status is None
        assert "timed out" in str(page.error), page.describe()


def test_the_breaker_opens_after_three_failed_requests_and_then_nothing_is_sent() -> None:
    with serving("reset-mid-body") as server:
        client = GatewayClient(server.url, settings=ClientSettings(timeout_s=2, retries=0))
        for offset in range(3):
            assert client.get("/v1/models", {"offset": offset}).failure == "reset"
        sent = client.sent
        refused = client.get("/v1/models", {"offset": 9})
    assert client.sent == sent  # nothing more went out
    assert refused.failure == "not-sent"
    assert f"stopped sending to {server.url} after 3 failed requests in a row" in str(refused.error)


def test_a_complete_answer_resets_the_count(tmp_path: Path) -> None:
    breaker = Breaker("http://t", tmp_path)
    for _ in range(5):
        breaker.record("GET http://t/x: reset")
        breaker.record("GET http://t/y: reset")
        breaker.record(None)
    assert breaker.opened() is None
    breaker.record("a")
    breaker.record("b")
    breaker.record("c")
    assert Breaker("http://t", tmp_path).opened() is not None  # another worker sees it through the cache dir


@pytest.mark.parametrize("name", [*OVER_CAP, *TOO_SLOW])
def test_the_fuzzer_session_stops_at_the_cap_or_the_deadline(name: str) -> None:
    with serving(name) as server:
        session = ThrottledSession(Throttle(0), timeout_s=1, max_body_bytes=CAP)
        assert session.get(f"{server.url}/health").json() == {"status": "healthy"}
        with pytest.raises(NoUsableAnswer) as raised:
            session.get(f"{server.url}/v1/models?gateway=openai")
    assert f"GET {server.url}/v1/models?gateway=openai" in str(raised.value)
    assert ("exceeded the cap of 1,048,576 bytes" if name in OVER_CAP else "timed out") in str(raised.value)


@pytest.mark.parametrize("name", [*OVER_CAP, *TOO_SLOW])
def test_the_sdk_stops_at_the_cap_or_the_deadline(name: str) -> None:
    with serving(name) as server:
        listing = sdk.list_models(f"{server.url}/v1", "sk-test", timeout=1, max_body_bytes=CAP)
    assert not listing.ok
    call = listing.calls[-1]
    assert f"GET {server.url}/v1/models" in call.request
    assert ("exceeded the cap of 1,048,576 bytes" if name in OVER_CAP else "timed out") in str(call.error), call


@pytest.mark.parametrize("name", [*OVER_CAP, *TOO_SLOW])
def test_reading_the_targets_own_spec_stops_at_the_cap_or_the_deadline(name: str) -> None:
    contract = load_contract(Path(__file__).resolve().parents[3] / "contracts" / "gatewayz-staging.yaml")
    with serving(name) as server:
        source = resolve_source(FuzzSettings(target_spec=True), contract, server.url, timeout_s=1,
                                max_body_bytes=CAP)
    assert source.document is None
    assert f"cannot fetch {server.url}/openapi.json" in str(source.problem)
    assert ("exceeded the cap of 1,048,576 bytes" if name in OVER_CAP else "timed out") in str(source.problem)


# -- the whole gate and the nightly, as make runs them -------------------------------------------------


def run_session(command: str, url: str, tmp_path: Path, workers: str = "2", **env: str) -> SuiteRun:
    """`gateway-contracts COMMAND` as `make` runs it (xdist, two workers; "0": xdist loaded, the tests in the
    controller), reports in `tmp_path`."""
    reports = ["--junitxml", str(tmp_path / "junit.xml"), "--reports-dir", str(tmp_path),
               f"--alluredir={tmp_path / 'allure'}", "-p", "no:cacheprovider"]
    args = suite_args(command, workers=workers, extra=reports)
    return run_sampled([sys.executable, "-m", "pytest", *args], {
        "TARGET_URL": url, "CONTRACTS": "contracts/gatewayz-staging.yaml", "REQUEST_TIMEOUT": "2",
        "RUN_DEADLINE": "240", **env}, timeout=600)


def assert_one_clear_verdict(run: SuiteRun, url: str, problem: str) -> None:
    assert run.status == exitcodes.TARGET_UNREACHABLE, run.output[-3000:]
    verdict = run.lines("gateway-contracts: target unusable: ")
    assert len(verdict) == 1, run.output[-3000:]
    assert url in verdict[0], verdict[0]
    assert problem in verdict[0], verdict[0]
    assert "crashed" not in run.output, run.output[-3000:]
    assert "INTERNALERROR" not in run.output, run.output[-3000:]
    assert run.peak_rss < GIB, f"{run.peak_rss / 2 ** 20:.0f} MiB"


# The gate against each target in one process (the verdict is the controller's either way), the slowest first;
# the nightly and the run deadline below run with two workers, as make runs them, their memory and deadline
# shared by the whole process tree.
@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(HOSTILE, key=lambda name: (name not in (*TOO_SLOW, "reset-mid-body"), name)))
def test_the_gate_against_a_hostile_target(name: str, tmp_path: Path) -> None:
    with serving(name) as server:
        run = run_session("gate", server.url, tmp_path, workers="0", KEYLESS="1")
    assert_one_clear_verdict(run, server.url, PROBLEM[name])


@pytest.mark.slow
def test_the_nightly_and_the_sdk_against_a_gzip_bomb(tmp_path: Path) -> None:
    # With a key: the SDK's own requests run too (and the keyed fuzz operations), all under the same bounds.
    with serving("gzip-bomb") as server:
        run = run_session("nightly", server.url, tmp_path, GATEWAY_API_KEY="gwc-hostile-test-key")
    assert_one_clear_verdict(run, server.url, PROBLEM["gzip-bomb"])


@pytest.mark.slow
def test_the_run_deadline_stops_the_run_and_keeps_its_reports(tmp_path: Path) -> None:
    # Each request may take a minute; the run may take 10 s: it stops, says so, and still writes its reports.
    with serving("trickle") as server:
        run = run_session("gate", server.url, tmp_path, KEYLESS="1", REQUEST_TIMEOUT="60", RUN_DEADLINE="10")
    assert run.status == exitcodes.RUN_DEADLINE, run.output[-3000:]
    assert run.lines("gateway-contracts: the run deadline of 10 s (RUN_DEADLINE) passed"), run.output[-3000:]
    assert "crashed" not in run.output
    assert (tmp_path / "junit.xml").exists()
    assert json.loads((tmp_path / "run-gate.json").read_text())["exit_status"] == exitcodes.RUN_DEADLINE


@pytest.mark.slow
@pytest.mark.parametrize(("variable", "value", "option"), [
    ("MAX_BODY_BYTES", "0", "--max-body-bytes"), ("MAX_BODY_BYTES", "16MB", "--max-body-bytes"),
    ("RUN_DEADLINE", "-5", "--run-deadline"),
])
def test_a_bad_bound_is_one_line_and_exit_6(tmp_path: Path, variable: str, value: str, option: str) -> None:
    run = run_gate(tmp_path, env={variable: value})
    assert_one_line_exit(run, exitcodes.INVALID_CONTRACT, f"{option} / {variable} = {value!r}")
