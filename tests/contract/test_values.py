"""Catalog values people can trust: plausible per-token prices, no placeholder values, agreement with an outside
reference catalog (opt-in). Each reads every row of the gateway's walk, the one the other contracts read: no new
request (a reference URL is fetched once per run)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest

from gateway_contracts.contract import Gateway
from gateway_contracts.invariants import values
from gateway_contracts.store import CatalogStore
from gateway_contracts.verdict import holds

pytestmark = [pytest.mark.gate, pytest.mark.nightly, pytest.mark.signoff, pytest.mark.needs("catalog-rows")]


def _band(gateway: Gateway) -> values.PriceBand:
    low, high = gateway.values.price_band_per_million
    return values.PriceBand(Decimal(str(low)), Decimal(str(high)))


@pytest.mark.severity("critical")
def test_prices_are_plausible(catalogs: CatalogStore, gateway: Gateway) -> None:
    walk = catalogs.walk(gateway.slug)
    request = walk.first.describe() if walk.first else None
    discount = Decimal(str(gateway.values.max_completion_discount))
    holds(values.check_price_band(walk.rows, _band(gateway), request=request)
          + values.check_completion_discount(walk.rows, max_discount=discount, request=request))


@pytest.mark.severity("minor")
def test_no_placeholder_values(catalogs: CatalogStore, gateway: Gateway) -> None:
    walk = catalogs.walk(gateway.slug)
    holds(values.check_placeholders(walk.rows, max_context_share=gateway.values.max_placeholder_context_share,
                                    max_price_share=gateway.values.max_placeholder_price_share,
                                    request=walk.first.describe() if walk.first else None))


@pytest.mark.severity("minor")
def test_values_match_reference(catalogs: CatalogStore, gateway: Gateway, report_fact: Callable[..., None]) -> None:
    reference = catalogs.contract.reference
    document, problem = catalogs.reference()
    if reference is None:
        pytest.skip(problem or "the contract names no reference catalog")
    if not reference.compares(gateway.slug):
        pytest.skip(f"the contract names no reference catalog for {gateway.slug} (reference.gateways)")
    if problem is not None:
        pytest.fail(problem, pytrace=False)
    walk = catalogs.walk(gateway.slug)
    entries = values.reference_entries(document, reference.provider(gateway.slug))
    comparison = values.reference_mismatches(walk.rows, entries, gateway=gateway.slug,
                                             tolerance=Decimal(str(reference.tolerance)))
    report_fact("scorecard", gateway.slug, {"compared": comparison.compared, "mismatched": len(comparison.models),
                                            "bound": reference.max_mismatch_share})  # the values scorecard's
    holds(values.check_reference(comparison, max_mismatch_share=reference.max_mismatch_share,
                                 reference=reference.source, request=walk.first.describe() if walk.first else None))
