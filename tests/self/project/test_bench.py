"""Smoke tests of the benchmarks at a tiny size: they run, and their minimum is what the suite really sends.

The benchmarks themselves are measured, not asserted (`make bench`, bench/RESULTS.md); these only keep
the scripts working and the request-economy minimum honest.
"""

from __future__ import annotations

import json
import sys
from base64 import b64decode
from collections import Counter
from pathlib import Path

import pytest

from tests.self.suite_run import run_python, run_suite

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "bench"))

import gate_cost  # noqa: E402  (bench/ is scripts, not a package)
from gateway_contracts.contract import load_contract  # noqa: E402
from gateway_contracts.plan import SDK_PROMPT  # noqa: E402

CONTRACT = ROOT / "contracts" / "gateways.yaml"
KEY = "gwc-bench-smoke-key"
CONTRACT_CHAT_MODELS = load_contract(CONTRACT).chat_models


@pytest.mark.slow
def test_the_contract_minimum_is_exactly_what_the_contract_gate_sends(tmp_path: Path) -> None:
    with gate_cost.recording_gateway(KEY) as url:
        gate_cost.recorded(url)  # forget the start-up /health poll
        count = gate_cost.crawl(url, CONTRACT, KEY)
        plan = [gate_cost.request_key(r) for r in gate_cost.recorded(url)]
        result = run_suite(["tests/contract", "-m", "gate", "-n", "2", f"--target-url={url}", "--max-rps=0"],
                           tmp_path, env={"GATEWAY_API_KEY": KEY}, timeout=300)
        assert result.status == 0, result.stdout[-3000:]
        sent = [gate_cost.request_key(r) for r in gate_cost.recorded(url)]
    # The OpenAI SDK contract's own requests (a bare keyed GET /v1/models, its chats) go through the SDK, not
    # the suite's client: outside the plan, counted apart in the summary (plan.sdk_requests; test_plan).
    own = [k for k in sent
           if (k[0], k[1], k[2]) == ("GET", "/v1/models", "") or SDK_PROMPT.encode() in b64decode(k[3])]
    assert len(own) == 1 + len(CONTRACT_CHAT_MODELS), own
    sent = [k for k in sent if k not in own]
    assert len(plan) == count  # the crawl sends each planned request once
    # ... and one on purpose twice: the aggregate's first page, read again (test_same_request_same_page)
    assert [k[2] for k, n in Counter(plan).items() if n > 1] == ["gateway=all&limit=1000&offset=0"]
    assert sorted(sent) == sorted(plan)  # the gate sends exactly the minimum: nothing twice, nothing missing
    total = len(plan) + len(own)
    assert f"{total} distinct requests, {total} sent (OpenAI SDK: {len(own)} sent)" in result.stdout


@pytest.mark.slow
def test_the_scale_bench_runs_at_a_tiny_size(tmp_path: Path) -> None:
    out = tmp_path / "scale.json"
    result = run_python(["bench/scale.py", "--sizes", "1500,3000", "--runs", "1", "--json", str(out)])
    assert result.status == 0, result.stderr[-3000:]
    figures = json.loads(out.read_text())
    assert [row["models"] for row in figures["sizes"]] == [1500, 3000]
    assert all(row["tests"] >= 7 and not row["runs"][0]["failed"] for row in figures["sizes"])
    assert figures["machine"]["cores"] >= 1
    assert set(figures["fit"]) == {"checks_wall_s", "checks_cpu_s", "peak_rss_mib"}


@pytest.mark.slow
def test_the_latency_bench_runs_with_a_few_requests(tmp_path: Path) -> None:
    out = tmp_path / "latency.json"
    result = run_python(["bench/latency.py", "--requests", "5", "--json", str(out)])
    assert result.status == 0, result.stderr[-3000:]
    figures = json.loads(out.read_text())
    for server in ("embedded", "standalone"):
        assert figures[server]["requests"] == 15
        assert set(figures[server]["by_path_median_ms"]) == {"/health", "/v1/models", "/v1/gateways"}


def test_the_compare_bench_reads_only_the_contracts_catalogs_of_production() -> None:
    """The differential bench's figure of the contract's catalog reads is the plan's, from a live gateway."""
    import compare_cost
    from gateway_contracts.contract import load_contract
    from gateway_testbed.reference import EmbeddedGateway

    with EmbeddedGateway() as gateway:
        reads = compare_cost.catalog_reads(gateway.url, load_contract(ROOT / "contracts" / "gateways.yaml"))
    assert reads > 60  # every page of 13 gateways, their aliases, the aggregate, small walks, probes, the registry
    assert "| production's requests |" in "\n".join(compare_cost.render({
        "runs": [{"run": 1, "gate s": 10.0, "differential s": 11.0, "differential / gate wall": 1.1,
                  "differential production requests": 59, "contract catalog reads": 102,
                  "gate candidate requests": 542, "differential candidate requests": 542, "gate exit": 0,
                  "differential exit": 0}],
        "median": {"differential production requests": 59, "contract catalog reads": 102,
                   "production / catalog reads": 0.58, "differential s": 11.0, "gate s": 10.0,
                   "differential / gate wall": 1.1, "differential candidate requests": 542,
                   "gate candidate requests": 542, "differential / gate cpu": 1.0, "differential cpu s": 5.0,
                   "gate cpu s": 5.0},
        "targets": {"request_ratio": 2.0, "wall_ratio": 1.5}, "workers": 2,
        "verdicts": {"production / catalog reads": True, "differential / gate wall": True},
        "machine": {"load_avg_1m": 1.0, "cores": 2}}))
