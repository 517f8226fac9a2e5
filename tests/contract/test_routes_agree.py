"""One catalog, every route agrees: search, unique mode, the developer route and the route aliases held to the
catalog the walks read (the rules: src/gateway_contracts/invariants/agreement.py, docs/contract-file.md).

The gate searches a bounded sample of each gateway's rows and reads two developers; the nightly run more of both
(plan.py: SEARCH_EXTRA, DEVELOPER_SAMPLE). Each sample is deterministic: sorted ids, evenly spaced.
"""

from __future__ import annotations

import pytest

from gateway_contracts import plan
from gateway_contracts.contract import WHOLE_LIST, Aggregate, Contract, Gateway
from gateway_contracts.data.findings import Finding
from gateway_contracts.invariants.agreement import (
    alias_page_agrees,
    catalog_pairs,
    developer_agrees,
    search_finds,
    search_finds_every_gateway,
    search_within_catalog,
    unique_agrees,
)
from gateway_contracts.invariants.models import check_unique_page
from gateway_contracts.invariants.responses import answered_json
from gateway_contracts.store import CatalogStore
from gateway_contracts.verdict import holds

GATE = [pytest.mark.gate, pytest.mark.nightly, pytest.mark.signoff]
NIGHTLY = [pytest.mark.nightly, pytest.mark.signoff]


def _search_sample(catalogs: CatalogStore, gateway: Gateway, suite: str) -> list[str]:
    return plan.search_sample(catalogs.walk(gateway.slug).ids, gateway.required_models, suite=suite)


def _searches_within(catalogs: CatalogStore, gateway: Gateway, suite: str) -> list[Finding]:
    ids = set(catalogs.walk(gateway.slug).ids)
    findings: list[Finding] = []
    for model_id in _search_sample(catalogs, gateway, suite):
        within = catalogs.search(model_id, gateway.slug)
        request = within.describe()
        findings += answered_json(within) or (
            search_finds(within.json, model_id, where=f"within {gateway.slug}", request=request)
            + search_within_catalog(within.json, ids, gateway=gateway.slug, request=request))
    return findings


def _searches_over_all(catalogs: CatalogStore, contract: Contract, suite: str) -> list[Finding]:
    everywhere = contract.aggregate.slug if contract.aggregate is not None else WHOLE_LIST
    findings: list[Finding] = []
    for gateway in contract.gateways:
        for model_id in plan.searched_over_all(_search_sample(catalogs, gateway, suite), suite=suite):
            over_all = catalogs.search(model_id, everywhere)
            serving = {g.slug: catalogs.gateway_names(g) for g in contract.gateways
                       if model_id in catalogs.walk(g.slug).ids}
            findings += answered_json(over_all) or search_finds_every_gateway(over_all.json, model_id, serving,
                                                                              request=over_all.describe())
    return findings


def _developers_agree(catalogs: CatalogStore, aggregate: Aggregate, suite: str) -> list[Finding]:
    rows = catalogs.walk(aggregate.slug).rows
    findings: list[Finding] = []
    for developer in plan.developer_sample(catalogs.walk(aggregate.slug).ids, suite=suite):
        listed, total, exchanges = catalogs.developer_listing(developer, aggregate.slug)
        broken = [f for exchange in exchanges for f in answered_json(exchange)]
        findings += broken or developer_agrees(listed, total, rows, developer, request=exchanges[0].describe())
    return findings


@pytest.mark.severity("critical")
@pytest.mark.needs("search", "envelope")
@pytest.mark.parametrize("suite", [pytest.param("gate", marks=GATE), pytest.param("nightly", marks=NIGHTLY)])
def test_search_within_a_gateway_finds_its_rows(catalogs: CatalogStore, gateway: Gateway, suite: str) -> None:
    """A search within a gateway for one of its listed ids finds that row, and answers only rows the gateway's
    catalog lists (search_models reads the catalog `GET /v1/models` serves)."""
    holds(_searches_within(catalogs, gateway, suite))


@pytest.mark.severity("critical")
@pytest.mark.needs("search", "envelope")
@pytest.mark.parametrize("suite", [pytest.param("gate", marks=GATE), pytest.param("nightly", marks=NIGHTLY)])
def test_search_over_all_finds_every_gateways_row(catalogs: CatalogStore, contract: Contract, suite: str) -> None:
    """A search over all gateways for a sampled id finds a row of it from every contracted gateway that lists it."""
    holds(_searches_over_all(catalogs, contract, suite))


@pytest.mark.severity("critical")
@pytest.mark.needs("aggregate", "envelope")
@pytest.mark.gate
@pytest.mark.nightly
@pytest.mark.signoff
def test_unique_models_list_each_id_once(catalogs: CatalogStore, aggregate: Aggregate) -> None:
    """`unique_models=true` promises one row per model, with the gateways that serve it (a consumer keys rows
    by id): every page of it, read to the end, holds each id once, in the unique row's shape."""
    unique = catalogs.unique_walk(aggregate.slug)
    broken = [f for page in unique.pages for f in answered_json(page.exchange)]
    holds(broken or list(unique.findings) + check_unique_page({"data": unique.rows},
                                                              request=unique.pages[0].exchange.describe()))


@pytest.mark.severity("critical")
@pytest.mark.needs("aggregate", "envelope")
@pytest.mark.gate
@pytest.mark.nightly
@pytest.mark.signoff
def test_unique_mode_agrees_with_the_flat_catalog(catalogs: CatalogStore, aggregate: Aggregate) -> None:
    """Unique mode deduplicates the flat catalog, no other: per gateway its offers count the flat rows (or, rows
    without providers, its ids are the flat distinct ids), and each unique id is one the flat catalog serves."""
    unique, flat = catalogs.unique_walk(aggregate.slug), catalogs.walk(aggregate.slug)
    broken = [f for page in unique.pages for f in answered_json(page.exchange)]
    holds(broken or unique_agrees(unique.rows, flat.rows, unique_complete=unique.complete,
                                  flat_complete=flat.complete, request=unique.pages[0].exchange.describe()))


@pytest.mark.severity("critical")
@pytest.mark.needs("developer-route", "aggregate", "envelope")
@pytest.mark.parametrize("suite", [pytest.param("gate", marks=GATE), pytest.param("nightly", marks=NIGHTLY)])
def test_developer_route_lists_the_catalogs_rows(catalogs: CatalogStore, aggregate: Aggregate, suite: str) -> None:
    """`/v1/models/{developer}` lists every row of `all` that is the developer's (id prefix or provider slug),
    and its `total` counts them."""
    holds(_developers_agree(catalogs, aggregate, suite))


@pytest.mark.needs("aggregate", "envelope")
@pytest.mark.gate
@pytest.mark.nightly
@pytest.mark.signoff
def test_route_aliases_serve_the_same_catalog(catalogs: CatalogStore, aggregate: Aggregate) -> None:
    """`/models` is the same handler as `/v1/models`, and `/v1/models` without `gateway=` serves `all`."""
    walk = catalogs.walk(aggregate.slug)
    pairs, route = catalog_pairs(walk.rows), f"/v1/models?gateway={aggregate.slug}"
    findings: list[Finding] = []
    if aggregate.slug == WHOLE_LIST:  # the API's default gateway is `all`, whatever a contract calls it
        default = catalogs.default_gateway_page()
        findings += answered_json(default) or alias_page_agrees(default.json, walk.total, pairs, route=route,
                                                                alias="/v1/models (no gateway)",
                                                                request=default.describe())
    root = catalogs.root_alias_page(aggregate.slug)
    findings += answered_json(root) or alias_page_agrees(root.json, walk.total, pairs, route=route,
                                                         alias=f"/models?gateway={aggregate.slug}",
                                                         request=root.describe())
    holds(findings)
