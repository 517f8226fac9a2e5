"""Per-gateway contracts: each test is parametrized over the contract file's gateways (ids carry the slug).

In the openai dialect the groups are the gateways and `catalogs.walk(group)` is the group's view of the one
list: the unmarked tests (200 JSON, duplicates, bounds, required models) hold in both dialects."""

from __future__ import annotations

import pytest

from gateway_contracts import dialects
from gateway_contracts.contract import Contract, Gateway
from gateway_contracts.data.pages import Walk
from gateway_contracts.invariants import contents as inv
from gateway_contracts.invariants import pagination
from gateway_contracts.invariants.envelope import check_envelope
from gateway_contracts.invariants.models import check_known_context_share, check_model_rows, check_priced_share
from gateway_contracts.invariants.responses import answered_json, same_gateway_selected, within_budget
from gateway_contracts.store import CatalogStore
from gateway_contracts.verdict import holds

pytestmark = [pytest.mark.gate, pytest.mark.nightly, pytest.mark.signoff]


def envelope_findings(walk: Walk, gateway: Gateway, names: frozenset[str]) -> list:
    # Every 200 JSON page, not only those the pager could read: a list moved out of `data` (R23) is the finding.
    return [f for p in walk.pages if p.exchange.status == 200 and p.exchange.is_json
            for f in check_envelope(p.envelope, offset=p.offset, limit=p.limit, gateway=gateway.slug,
                                    gateway_names=names, request=p.exchange.describe())]


@pytest.mark.severity("blocker")
def test_gateway_answers_200(catalogs: CatalogStore, gateway: Gateway) -> None:
    holds([f for page in catalogs.walk(gateway.slug).pages for f in answered_json(page.exchange)])


@pytest.mark.severity("critical")
@pytest.mark.needs("envelope")
def test_envelope_is_coherent(catalogs: CatalogStore, gateway: Gateway) -> None:
    holds(envelope_findings(catalogs.walk(gateway.slug), gateway, catalogs.gateway_names(gateway)))


@pytest.mark.needs("envelope")  # the `gateway` query value
def test_gateway_value_is_case_insensitive(catalogs: CatalogStore, gateway: Gateway) -> None:
    exchange = catalogs.case_variant(gateway)
    holds(answered_json(exchange) or same_gateway_selected(exchange, catalogs.walk(gateway.slug), gateway.slug,
                                                           catalogs.gateway_names(gateway)))


@pytest.mark.needs("catalog-rows")
def test_model_rows_are_well_formed(catalogs: CatalogStore, gateway: Gateway) -> None:
    walk = catalogs.walk(gateway.slug)
    request = walk.first.describe() if walk.first else None
    holds(check_model_rows(walk.rows, allowed_sources=gateway.names, id_pattern=gateway.id_pattern, request=request)
          + check_priced_share(walk.rows, max_unpriced_share=gateway.max_unpriced_share, request=request))


@pytest.mark.severity("minor")
@pytest.mark.needs("catalog-rows")
def test_unknown_context_share(catalogs: CatalogStore, gateway: Gateway) -> None:
    walk = catalogs.walk(gateway.slug)
    holds(check_known_context_share(walk.rows, max_unknown_context_share=gateway.max_unknown_context_share,
                                    request=walk.first.describe() if walk.first else None))


@pytest.mark.severity("critical")
def test_no_duplicate_ids(catalogs: CatalogStore, gateway: Gateway) -> None:
    walk = catalogs.walk(gateway.slug)
    holds(inv.no_duplicate_ids(walk.ids, request=walk.first.describe() if walk.first else None))


@pytest.mark.severity("blocker")
def test_count_within_bounds(catalogs: CatalogStore, gateway: Gateway) -> None:
    walk = catalogs.walk(gateway.slug)
    holds(inv.count_within_bounds(walk.ids, min_models=gateway.min_models, max_models=gateway.max_models,
                                  request=walk.first.describe() if walk.first else None))


@pytest.mark.severity("blocker")
def test_required_model_present(catalogs: CatalogStore, gateway: Gateway, required_model: str) -> None:
    walk = catalogs.walk(gateway.slug)
    holds(inv.required_present(walk.ids, [required_model], where=gateway.slug,
                               request=walk.first.describe() if walk.first else None))


@pytest.mark.severity("critical")
@pytest.mark.needs("aliases", "envelope")
def test_alias_answers_200(catalogs: CatalogStore, gateway: Gateway, alias: str) -> None:
    walk = catalogs.walk(alias)
    holds([f for page in walk.pages for f in answered_json(page.exchange)]
          + envelope_findings(walk, gateway, catalogs.gateway_names(gateway)))


@pytest.mark.severity("critical")
@pytest.mark.needs("aliases")
def test_alias_serves_same_catalog(catalogs: CatalogStore, gateway: Gateway, alias: str) -> None:
    canonical, aliased = catalogs.walk(gateway.slug), catalogs.walk(alias)
    holds(inv.same_catalog(canonical.ids, aliased.ids, canonical=gateway.slug, alias=alias,
                           request=aliased.first.describe() if aliased.first else None))


@pytest.mark.severity("critical")
@pytest.mark.needs("envelope")
def test_pagination_is_coherent(catalogs: CatalogStore, gateway: Gateway) -> None:
    full = catalogs.walk(gateway.slug)
    small = catalogs.small_walk(gateway.slug)
    past = catalogs.past_end(gateway.slug)
    findings = list(full.findings) + pagination.page_sizes(full.pages, total=full.total)
    findings += pagination.pages_disjoint(full.pages)
    findings += pagination.union_matches(full.ids, full.ids, total=full.total, limit=full.limit,
                                         request=full.first.describe() if full.first else None)
    if small is not None:
        findings += list(small.findings) + pagination.page_sizes(small.pages, total=full.total)
        findings += pagination.pages_disjoint(small.pages)
        findings += pagination.union_matches(small.ids, full.ids, total=full.total, limit=small.limit,
                                             request=small.first.describe() if small.first else None)
    if past is not None:
        offset, exchange = past
        findings += answered_json(exchange) or pagination.past_end_is_empty(exchange.json, offset=offset,
                                                                            request=exchange.describe())
    holds(findings)


@pytest.mark.severity("critical")
@pytest.mark.needs("cursor")
def test_cursor_pagination_is_coherent(catalogs: CatalogStore, gateway: Gateway) -> None:
    """Paged by cursor: the walk ends (no repeated cursor, no `has_more` over an empty page, within max_pages),
    each page names its first and last ids, no row twice, and nothing after the last page (`has_more` false
    told the truth)."""
    walk = catalogs.walk(gateway.slug)
    findings = list(walk.findings) + pagination.cursor_ids_agree(walk.pages) + pagination.pages_disjoint(walk.pages)
    after = catalogs.after_last(gateway.slug)
    if after is not None:
        last = walk.pages[-1].envelope or {}
        findings += answered_json(after) or pagination.nothing_after_last(after.json, after=str(last.get("last_id")),
                                                                          request=after.describe())
    holds(findings)


@pytest.mark.needs("cursor", "model-object")
def test_listed_models_are_model_objects(catalogs: CatalogStore, gateway: Gateway, contract: Contract) -> None:
    """Each row of a cursor-paged list is a model object, in the shape the contract's dialect says."""
    walk, dialect = catalogs.walk(gateway.slug), dialects.of(contract)
    request = walk.first.describe() if walk.first else None
    holds([f for row in walk.rows
           for f in dialect.model_object_findings(row, model_id=str(row.get("id") if isinstance(row, dict) else row),
                                                  request=request)])


@pytest.mark.needs("envelope")  # the walks, small walk, past-end and case-variant pages
def test_latency_within_budget(catalogs: CatalogStore, gateway: Gateway) -> None:
    holds(within_budget(catalogs.exchanges_of(gateway), budget_s=gateway.latency_budget_s))
