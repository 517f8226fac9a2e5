"""The plan of requests (gateway_contracts.plan): what it covers, and that a gate run sends exactly it."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway_contracts import plan as p
from gateway_contracts.contract import load_contract
from gateway_contracts.dialects import planned_requests
from gateway_contracts.plan import MODELS_PATH, SEARCH_PATH, PlannedRequest, first_pages, sdk_requests
from gateway_testbed.reference.server import EmbeddedGateway
from tests.self.strategies import FAST
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


def test_samples_are_deterministic_bounded_and_start_with_the_required_models() -> None:
    ids = [f"org{i % 7}/model-{i}" for i in range(500)]
    shuffled = list(reversed(ids))
    sample = p.search_sample(ids, ["org3/model-10", "not/listed"])
    assert sample == p.search_sample(shuffled, ["org3/model-10", "not/listed"])  # served order does not matter
    assert sample[0] == "org3/model-10"
    assert "not/listed" not in sample
    assert len(p.search_sample(ids, ids[:10])) == p.SEARCH_CAP["gate"]
    assert len(p.search_sample(ids, [], suite="nightly")) == p.SEARCH_EXTRA["nightly"]
    assert p.search_sample([], ["a/b"]) == []
    assert p.developer_sample(ids) == p.developer_sample(shuffled) == ["org0", "org3"]
    assert p.developer_sample(["search/x", "@at/x", "bare", "a b/x"]) == []


def test_the_gate_samples_cost_a_bounded_number_of_requests() -> None:
    """Per contracted gateway at most SEARCH_CAP searches within it plus one over all; with the aggregate, every
    unique page, each sampled developer's pages and two route aliases."""
    rows = {g.slug: [{"id": f"org{i % 5}/m{i}", "source_gateway": g.slug} for i in range(40)]
            for g in CONTRACT.gateways}
    slug = CONTRACT.aggregate.slug
    rows[slug] = [r for g in CONTRACT.gateways for r in rows[g.slug]]
    totals = {slug: len(rows[slug]), p.unique_name(slug): 2500}
    base = planned_requests(CONTRACT, totals, keyed=False)
    full = planned_requests(CONTRACT, totals, keyed=False, rows=rows)
    added = [r for r in full if r not in set(base)]
    searches = [r for r in added if r.path == SEARCH_PATH]
    assert len(searches) <= len(CONTRACT.gateways) * (p.SEARCH_CAP["gate"] + 1)
    assert {r.query["gateway"] for r in searches} == {g.slug for g in CONTRACT.gateways} | {slug}
    unique = [r for r in full if r.query.get("unique_models") == "true"]
    assert sorted(r.query["offset"] for r in unique) == [0, 1000, 2000]
    developers = [r for r in added if r.path.startswith(MODELS_PATH + "/") and r.path != SEARCH_PATH]
    assert {r.path for r in developers} == {f"{MODELS_PATH}/org0", f"{MODELS_PATH}/org2"}
    assert len(added) == len(searches) + 2 + len(developers) + 2  # unique pages past the first, two aliases


@pytest.mark.slow
def test_a_gate_run_sends_exactly_the_planned_requests(tmp_path: Path) -> None:
    with EmbeddedGateway(api_keys={KEY}) as gateway:
        before = gateway.stats()
        result = run_suite(["tests/contract", "-m", "gate", "-n", "2", f"--target-url={gateway.url}", "--max-rps=0"],
                           tmp_path, env={"GATEWAY_API_KEY": KEY}, timeout=600)
        after = gateway.stats()
        with httpx.Client(base_url=gateway.url) as http:  # the totals and rows, read after the run was counted
            totals = {r.query["gateway"]: http.get(r.path, params=r.query).json()["total"]
                      for r in first_pages(CONTRACT)}
            rows = {name: [row for offset in range(0, max(total, 1), CONTRACT.max_limit)
                           for row in http.get(MODELS_PATH, params=p.models_page(name, offset, CONTRACT.max_limit)
                                               .query).json()["data"]]
                    for name, total in totals.items()}
            slug = CONTRACT.aggregate.slug
            unique = p.unique_page(slug, CONTRACT.max_limit)
            totals[p.unique_name(slug)] = http.get(unique.path, params=unique.query).json()["total"]
    assert result.status == 0, result.stdout[-3000:]
    plan = planned_requests(CONTRACT, totals, keyed=True, rows=rows)
    # The OpenAI SDK contract's requests reach the server too, through the SDK's own HTTP stack, paced and
    # counted by the suite's client (the summary counts every request the run sent).
    sdk = sdk_requests(CONTRACT, keyed=True)
    by_path = Counter({path: n - before["by_path"].get(path, 0) for path, n in after["by_path"].items()})
    assert +by_path == Counter(r.path for r in [*plan, *sdk])
    assert after["requests_total"] - before["requests_total"] == len(plan) + len(sdk)
    everything = len(plan) + len(sdk)
    assert f"{everything} distinct requests, {everything} sent (OpenAI SDK: {len(sdk)} sent)" in result.stdout


@FAST
@given(st.lists(st.text("abc/xyz-", min_size=1, max_size=8), max_size=60), st.randoms(use_true_random=False),
       st.integers(0, 6))
def test_spread_is_bounded_distinct_and_ignores_the_served_order(values: list[str], rnd: Any, count: int) -> None:
    shuffled = list(values)
    rnd.shuffle(shuffled)
    picked = p.spread(values, count)
    assert picked == p.spread(shuffled, count)
    assert len(picked) == min(count, len(set(values)))
    assert len(set(picked)) == len(picked)
    assert set(picked) <= set(values)
