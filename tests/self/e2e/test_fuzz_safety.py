"""Fuzzing a shared target safely, and reporting it usefully: tested on real suite runs.

- node ids (so JUnit names) carry the operation: `test_fuzz_gate[GET /v1/models]` (pytest 9.2 broke this)
- a host outside the allow-list is refused with one line and exit 6, before any fuzz request
- keyless by choice (KEYLESS=1), chat is skipped (no POST is sent); unsafe methods stay unsent
- the request budget holds across two workers
Only the runs about workers (the allow-list's refusal, the budget) start xdist workers; the others run serially.
- the key never reaches console, JUnit or Allure results, and the curl line shows it filtered
- each operation keeps its own Allure history id
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway_contracts import exitcodes
from gateway_testbed.reference import EmbeddedGateway
from tests.self.suite_run import SMOKE_FUZZ, run_suite

pytestmark = pytest.mark.slow
# A TARGET_URL run needs GATEWAY_API_KEY or an explicit opt-out: these runs are keyless by choice. They test
# plumbing, so they fuzz with the smoke profile (a few cases per operation).
KEYLESS = {"KEYLESS": "1", **SMOKE_FUZZ}

OPERATIONS = ("GET /health", "GET /v1/gateways", "GET /v1/gateways/status", "GET /v1/models", "GET /models",
              "GET /v1/models/search", "GET /v1/models/{developer}", "POST /v1/chat/completions")


class StampedGateway:
    """An embedded reference gateway that records when each request arrived, by path."""

    def __init__(self, **options: object) -> None:
        self.gateway = EmbeddedGateway(**options)  # type: ignore[arg-type]
        self.arrivals: list[tuple[float, str, str]] = []
        self._lock = threading.Lock()

        @self.gateway.app.middleware("http")
        async def stamp(request, call_next):  # type: ignore[no-untyped-def]
            with self._lock:
                self.arrivals.append((time.monotonic(), request.method, request.url.path))
            return await call_next(request)

    def paths(self) -> set[str]:
        return {path for _, _, path in self.arrivals}


@pytest.fixture
def external() -> Iterator[StampedGateway]:
    """A gateway the suite treats as an external target (TARGET_URL), not one it started itself."""
    stamped = StampedGateway()
    stamped.gateway.start()
    try:
        yield stamped
    finally:
        stamped.gateway.stop()


def test_node_ids_name_each_operation(tmp_path: Path) -> None:
    run = run_suite(("tests/fuzz", "--collect-only"), tmp_path)
    assert run.status == 0, run.output[-2000:]
    for profile in ("gate", "nightly"):
        for operation in OPERATIONS:
            assert f"tests/fuzz/test_fuzz.py::test_fuzz_{profile}[{operation}]" in run.output
    assert "tests/fuzz/test_fuzz.py::test_fuzz_gate[GET /v1/models]" in run.output


@pytest.mark.parametrize("workers", [(), ("-p", "xdist", "-n", "2")], ids=["serial", "xdist"])
def test_host_outside_the_allow_list_is_refused(external: StampedGateway, tmp_path: Path,
                                                workers: tuple[str, ...]) -> None:
    run = run_suite(("tests/fuzz", "-m", "gate", *workers), tmp_path,
                    env={"TARGET_URL": external.gateway.url, **KEYLESS,
                         "FUZZ_ALLOWED_HOSTS": "localhost,*.staging.example"})
    assert run.status == exitcodes.INVALID_CONTRACT, run.output[-2000:]
    lines = [line for line in run.output.splitlines() if "refusing to fuzz 127.0.0.1" in line]
    assert len(lines) == 1, run.output[-2000:]
    assert "FUZZ_ALLOWED_HOSTS=localhost,*.staging.example,127.0.0.1" in lines[0]
    # Serial: nothing was sent. xdist: only the controller's preflight (the contracts' own three GETs).
    assert external.paths() <= {"/health", "/openapi.json", "/v1/gateways"}
    assert not run.passed
    assert not run.failed


def test_without_a_key_chat_is_skipped_and_only_safe_methods_are_sent(external: StampedGateway,
                                                                       tmp_path: Path) -> None:
    run = run_suite(("tests/fuzz", "-m", "gate", "-rs"), tmp_path,
                    env={"TARGET_URL": external.gateway.url, **KEYLESS, "MAX_RPS": "0"})  # unthrottled: local
    assert run.status == 0, run.output[-3000:]
    assert run.skipped == {"test_fuzz_gate[POST /v1/chat/completions]"}
    assert "POST /v1/chat/completions: keyed checks skipped by choice: KEYLESS=1 (--keyless)" in run.output
    methods = {method for _, method, _ in external.arrivals}
    assert methods <= {"GET", "HEAD", "OPTIONS"}, methods
    assert "/v1/chat/completions" not in external.paths()


def test_request_budget_holds_across_workers(external: StampedGateway, tmp_path: Path) -> None:
    budget = 4  # the smoke profile sends 17 requests to these two operations: enough to measure 2/s per worker
    run = run_suite(("tests/fuzz", "-m", "gate", "-p", "xdist", "-n", "2", "-k", "search or developer"), tmp_path,
                    env={"TARGET_URL": external.gateway.url, **KEYLESS, "MAX_RPS": str(budget)})
    assert run.status == 0, run.output[-3000:]
    fuzzed = sorted(t for t, _, path in external.arrivals if path.startswith("/v1/models/"))
    assert len(fuzzed) > 3 * budget, "enough requests to measure a rate"
    busiest = max(sum(1 for t in fuzzed[i:] if t - start < 1.0) for i, start in enumerate(fuzzed))
    # Each worker spaces its own requests 1/(budget/2) s apart: any one-second window sees at most
    # budget/2 + 1 from each.
    assert busiest <= budget + 2, f"{busiest} requests in one second, budget {budget}/s"


def test_the_key_stays_out_of_every_report(tmp_path: Path) -> None:
    canary = f"gwc-fuzz-canary-{secrets.token_hex(12)}"
    allure = tmp_path / "allure"
    run = run_suite(("tests/fuzz", "-m", "gate", "-k", "chat", "--reference-fault", "chat-502-html",
                     "--tb=long", "--showlocals", f"--alluredir={allure}"), tmp_path,
                    env={"GATEWAY_API_KEY": canary, **SMOKE_FUZZ})
    assert run.status == 1, run.output[-3000:]
    failure = run.failed["test_fuzz_gate[POST /v1/chat/completions]"]
    assert "curl -X POST -H 'Authorization: ***'" in failure
    assert "Server error" in failure
    assert canary not in run.output
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert canary not in path.read_text(encoding="utf-8", errors="replace"), path


def test_each_operation_has_its_own_allure_history(tmp_path: Path) -> None:
    allure = tmp_path / "allure"
    run = run_suite(("tests/fuzz", "-m", "gate", "-k", "gateways or health or search",
                     f"--alluredir={allure}"), tmp_path, env=SMOKE_FUZZ)
    assert run.status == 0, run.output[-3000:]
    results = [json.loads(p.read_text()) for p in allure.glob("*-result.json")]
    operations = {r["name"]: {p["name"]: p["value"] for p in r.get("parameters", [])} for r in results}
    assert set(operations) == {"test_fuzz_gate[GET /v1/gateways]", "test_fuzz_gate[GET /v1/gateways/status]",
                               "test_fuzz_gate[GET /health]", "test_fuzz_gate[GET /v1/models/search]"}
    assert all("operation" in params for params in operations.values())
    assert len({r["historyId"] for r in results}) == len(results)


def test_a_gateway_shard_without_the_aggregate_fuzzes_nothing(external: StampedGateway, tmp_path: Path) -> None:
    """Fuzzing covers the whole API: a sharded gate fuzzes once, in the shard listing `all`; the other shards
    skip it, and are not refused for a host they do not fuzz."""
    run = run_suite(("tests/fuzz", "-m", "gate"), tmp_path,
                    env={"TARGET_URL": external.gateway.url, **KEYLESS, "GATEWAYS": "groq",
                         "FUZZ_ALLOWED_HOSTS": "localhost"})
    assert run.status == 0, run.output[-2000:]
    assert len(run.skipped) == len(OPERATIONS)
    assert not run.passed
    assert external.paths() <= {"/health", "/openapi.json", "/v1/gateways"}
