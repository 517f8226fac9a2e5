"""Contracts the fuzzer once found by luck: search rejects invalid input with a JSON 4xx (B8), and
`/v1/gateways/status` answers and agrees with the catalogs (B7)."""

from __future__ import annotations

import pytest

from gateway_contracts.invariants.responses import answered_json, rejected_as_client_error
from gateway_contracts.invariants.status import status_agrees_with_catalogs
from gateway_contracts.plan import InvalidQuery, invalid_search_queries
from gateway_contracts.store import CatalogStore
from gateway_contracts.verdict import holds

pytestmark = [pytest.mark.gate, pytest.mark.nightly, pytest.mark.signoff]

SEARCH_QUERIES = invalid_search_queries()


@pytest.mark.parametrize("search_query", SEARCH_QUERIES, ids=[q.id for q in SEARCH_QUERIES])
@pytest.mark.needs("search")
def test_search_rejects_invalid_input(catalogs: CatalogStore, search_query: InvalidQuery) -> None:
    holds(rejected_as_client_error(catalogs.invalid_search(search_query), why=search_query.why))


@pytest.mark.needs("status", "envelope")  # the catalogs' totals
def test_gateway_status_agrees_with_catalogs(catalogs: CatalogStore) -> None:
    status = catalogs.gateway_status()
    holds(answered_json(status)
          or status_agrees_with_catalogs(status.json, catalogs.catalog_totals(), request=status.describe()))
