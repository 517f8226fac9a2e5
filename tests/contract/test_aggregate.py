"""The aggregate catalog (`gateway=all`): floor, completeness, (id, source_gateway) uniqueness (R06, R10, R27, R28)."""

from __future__ import annotations

import pytest

from gateway_contracts.contract import Aggregate, Contract, Gateway
from gateway_contracts.invariants import contents as inv
from gateway_contracts.invariants import pagination
from gateway_contracts.invariants.envelope import check_envelope
from gateway_contracts.invariants.models import check_model_rows, check_unique_page
from gateway_contracts.invariants.responses import answered_json, within_budget
from gateway_contracts.store import CatalogStore
from gateway_contracts.verdict import holds

# The openai dialect's whole list has its own tests (test_openai_models.py): no pairs, pages or envelope.
pytestmark = [pytest.mark.gate, pytest.mark.nightly, pytest.mark.signoff, pytest.mark.needs("aggregate")]


def _request(catalogs: CatalogStore, aggregate: Aggregate) -> str | None:
    first = catalogs.walk(aggregate.slug).first
    return first.describe() if first else None


def _pairs(catalogs: CatalogStore, aggregate: Aggregate) -> list[str]:
    return [f"{r.get('id')}@{r.get('source_gateway')}" for r in catalogs.walk(aggregate.slug).rows
            if isinstance(r, dict)]


@pytest.mark.severity("blocker")
@pytest.mark.needs("envelope")
def test_aggregate_answers_200_with_coherent_envelope(catalogs: CatalogStore, aggregate: Aggregate) -> None:
    walk = catalogs.walk(aggregate.slug)
    holds([f for page in walk.pages for f in answered_json(page.exchange)]
          + [f for p in walk.pages if p.exchange.status == 200 and p.exchange.is_json  # R23: not only usable pages
             for f in check_envelope(p.envelope, offset=p.offset, limit=p.limit, gateway=aggregate.slug,
                                     request=p.exchange.describe())])


@pytest.mark.severity("blocker")
def test_aggregate_count_within_bounds(catalogs: CatalogStore, aggregate: Aggregate) -> None:
    holds(inv.count_within_bounds(_pairs(catalogs, aggregate), min_models=aggregate.min_models,
                                  max_models=aggregate.max_models, request=_request(catalogs, aggregate)))


@pytest.mark.severity("critical")
def test_aggregate_contains_gateway(catalogs: CatalogStore, aggregate: Aggregate, gateway: Gateway) -> None:
    holds(inv.aggregate_contains(catalogs.walk(aggregate.slug).rows, catalogs.walk(gateway.slug).ids,
                                 gateway_names=gateway.names, aggregate=aggregate.slug,
                                 request=_request(catalogs, aggregate)))


@pytest.mark.severity("critical")
def test_aggregate_rows_are_unique_per_gateway(catalogs: CatalogStore, aggregate: Aggregate) -> None:
    holds(inv.aggregate_pairs_unique(catalogs.walk(aggregate.slug).rows, request=_request(catalogs, aggregate)))


@pytest.mark.needs("catalog-rows")
def test_aggregate_rows_are_well_formed(catalogs: CatalogStore, aggregate: Aggregate, contract: Contract) -> None:
    # Rows from gateways outside the contract are allowed here: the registry test reports those.
    holds(check_model_rows(catalogs.walk(aggregate.slug).rows, allowed_sources=None,
                           request=_request(catalogs, aggregate)))


@pytest.mark.severity("critical")
@pytest.mark.needs("envelope")
def test_aggregate_pagination_is_coherent(catalogs: CatalogStore, aggregate: Aggregate) -> None:
    walk = catalogs.walk(aggregate.slug)
    holds(list(walk.findings) + pagination.page_sizes(walk.pages, total=walk.total)
          + pagination.union_matches(walk.ids, walk.ids, total=walk.total, limit=walk.limit,
                                     request=_request(catalogs, aggregate)))


@pytest.mark.severity("blocker")
def test_required_model_in_aggregate(catalogs: CatalogStore, aggregate: Aggregate, required_model: str) -> None:
    holds(inv.required_present(catalogs.walk(aggregate.slug).ids, [required_model], where=aggregate.slug,
                               request=_request(catalogs, aggregate)))


def test_aggregate_latency_within_budget(catalogs: CatalogStore, aggregate: Aggregate) -> None:
    pages = catalogs.walk(aggregate.slug).pages
    holds(within_budget([p.exchange for p in pages], budget_s=aggregate.latency_budget_s))


@pytest.mark.severity("critical")
@pytest.mark.needs("envelope")
def test_same_request_same_page(catalogs: CatalogStore, aggregate: Aggregate) -> None:
    first, again = catalogs.same_request_again(aggregate.slug)
    holds(answered_json(again)
          or pagination.same_page_twice(first.json if first else None, again.json, request=again.describe()))


@pytest.mark.severity("critical")
def test_unique_models_list_each_id_once(catalogs: CatalogStore, aggregate: Aggregate) -> None:
    """`unique_models=true` promises one row per model, with the gateways that serve it (a consumer keys rows
    by id): its first page holds each id once, in the unique row's shape."""
    page = catalogs.unique_first_page(aggregate.slug)
    holds(answered_json(page) or check_unique_page(page.json, request=page.describe()))
