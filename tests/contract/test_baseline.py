"""Regression against a baseline (BASELINE=FILE): count drops, vanished gateways and ids, latency (B9, R12, R18).

Skipped when no baseline is given. What moved without failing (growth, churn within tolerance) is
attached to the result as a `baseline` property, so JUnit and the sign-off report show it.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from gateway_contracts import dialects
from gateway_contracts.baseline import Policy, Snapshot, changes, compare, snapshot_gateway
from gateway_contracts.contract import Aggregate, Contract, Gateway
from gateway_contracts.store import CatalogStore
from gateway_contracts.verdict import holds

pytestmark = [pytest.mark.gate, pytest.mark.nightly, pytest.mark.signoff]


def _check(request: pytest.FixtureRequest, catalogs: CatalogStore, baseline: Snapshot, slug: str,
           required: tuple[str, ...], policy: Policy, *, pairs: bool) -> None:
    if slug not in baseline.gateways:
        pytest.skip(f"{slug} is not in the baseline of {baseline.taken_at} (new, or not selected then)")
    walk = catalogs.walk(slug)
    # Gatewayz's aggregate is keyed by (id, source_gateway); the openai whole list by id, like its groups.
    current = snapshot_gateway(slug, walk, required, pairs=slug == baseline.aggregate and pairs)
    for note in changes(baseline, current):
        request.node.user_properties.append(("baseline", note))
    holds(compare(baseline, current, now=datetime.now(UTC), policy=policy,
                  request=walk.first.describe() if walk.first else None))


@pytest.mark.severity("critical")
def test_gateway_matches_baseline(request: pytest.FixtureRequest, catalogs: CatalogStore, contract: Contract,
                                  baseline: Snapshot, gateway: Gateway) -> None:
    _check(request, catalogs, baseline, gateway.slug, gateway.required_models,
           Policy(count_drop_tolerance=gateway.count_drop_tolerance,
                  latency_regression_factor=contract.latency_regression_factor, ceiling=gateway.max_models),
           pairs=dialects.AGGREGATE in dialects.capabilities(contract))


@pytest.mark.severity("critical")
def test_aggregate_matches_baseline(request: pytest.FixtureRequest, catalogs: CatalogStore, contract: Contract,
                                    baseline: Snapshot, aggregate: Aggregate) -> None:
    _check(request, catalogs, baseline, aggregate.slug, aggregate.required_models,
           Policy(count_drop_tolerance=contract.count_drop_tolerance,
                  latency_regression_factor=contract.latency_regression_factor, ceiling=aggregate.max_models),
           pairs=dialects.AGGREGATE in dialects.capabilities(contract))
