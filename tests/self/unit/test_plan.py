"""The plan of requests (gateway_contracts.plan): what it covers, and that a gate run sends exactly it."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import httpx
import pytest

from gateway_contracts.contract import load_contract
from gateway_contracts.dialects import planned_requests
from gateway_contracts.plan import MODELS_PATH, PlannedRequest, first_pages, sdk_requests
from gateway_testbed.reference.server import EmbeddedGateway
from tests.self.suite_run import run_suite

ROOT = Path(__file__).resolve().parents[3]
CONTRACT = load_contract(ROOT / "contracts" / "gateways.yaml")
KEY = "gwc-plan-test-key"


def pages_of(plan: list[PlannedRequest], name: str, limit: int) -> list[int]:
    return sorted(r.query["offset"] for r in plan
                  if r.path == MODELS_PATH and r.query.get("gateway") == name and r.query.get("limit") == limit)


@pytest.mark.parametrize("total", [0, 1, 2, 999, 1000, 1001, 4321])
def test_each_catalog_is_covered_row_by_row_at_the_largest_page(total: int) -> None:
    names = [name for gateway in CONTRACT.gateways for name in gateway.names]
    plan = planned_requests(CONTRACT, dict.fromkeys(names, total), keyed=False)
    limit = CONTRACT.max_limit
    for name in names:
        offsets = pages_of(plan, name, limit)
        # Every row index of the catalog lies in exactly one planned page; no page starts past the rows.
        covering = [sum(o <= row < o + limit for o in offsets) for row in range(total)]
        assert covering == [1] * total, name
        assert offsets[0] == 0
        assert all(o < max(total, 1) for o in offsets)


def test_the_plan_is_distinct_and_starts_from_the_first_pages() -> None:
    plan = planned_requests(CONTRACT, {}, keyed=True)
    assert len(plan) == len(set(plan))
    assert set(first_pages(CONTRACT)) <= set(plan)
    # Without totals nothing past a first page can be planned: no second walk and no past-the-end page.
    offsets = [r.query.get("offset", 0) for r in plan if r.path == MODELS_PATH]
    assert all(o == 0 for o in offsets if isinstance(o, int) and o >= 0)  # invalid queries aside
    assert sum(r.authenticated for r in plan) == len(CONTRACT.chat_models)
    assert not any(r.authenticated for r in planned_requests(CONTRACT, {}, keyed=False))


@pytest.mark.slow
def test_a_gate_run_sends_exactly_the_planned_requests(tmp_path: Path) -> None:
    with EmbeddedGateway(api_keys={KEY}) as gateway:
        before = gateway.stats()
        result = run_suite(["tests/contract", "-m", "gate", "-n", "2", f"--target-url={gateway.url}", "--max-rps=0"],
                           tmp_path, env={"GATEWAY_API_KEY": KEY}, timeout=600)
        after = gateway.stats()
        with httpx.Client(base_url=gateway.url) as http:  # the totals, read after the run was counted
            totals = {r.query["gateway"]: http.get(r.path, params=r.query).json()["total"]
                      for r in first_pages(CONTRACT)}
    assert result.status == 0, result.stdout[-3000:]
    plan = planned_requests(CONTRACT, totals, keyed=True)
    # The OpenAI SDK contract's requests reach the server too, through the SDK's own HTTP stack, paced and
    # counted by the suite's client (the summary counts every request the run sent).
    sdk = sdk_requests(CONTRACT, keyed=True)
    by_path = Counter({path: n - before["by_path"].get(path, 0) for path, n in after["by_path"].items()})
    assert +by_path == Counter(r.path for r in [*plan, *sdk])
    assert after["requests_total"] - before["requests_total"] == len(plan) + len(sdk)
    everything = len(plan) + len(sdk)
    assert f"{everything} distinct requests, {everything} sent (OpenAI SDK: {len(sdk)} sent)" in result.stdout
