"""The openai dialect's own contracts: the one list's shape, the whole list's bounds and required models, and an
unknown model in chat (docs/contract-file.md); `GET /v1/models/{id}` is test_model_retrieve.py's.

Groups are checked by the unmarked per-gateway tests (test_gateways.py) on their views of the list; the
contracts needing what this API lacks (the envelope, aliases, the registry, search, status) are deselected.
"""

from __future__ import annotations

import pytest

from gateway_contracts.contract import Aggregate
from gateway_contracts.invariants import contents as inv
from gateway_contracts.invariants.openai_models import check_list_body
from gateway_contracts.invariants.responses import answered_json, rejected_as_client_error, within_budget
from gateway_contracts.plan import UNKNOWN_MODEL
from gateway_contracts.store import CatalogStore
from gateway_contracts.verdict import holds

pytestmark = [pytest.mark.gate, pytest.mark.nightly, pytest.mark.signoff, pytest.mark.needs("model-list")]


@pytest.mark.severity("blocker")
def test_model_list_is_well_formed(catalogs: CatalogStore) -> None:
    listing = catalogs.model_list()
    holds(answered_json(listing) or check_list_body(listing.json, request=listing.describe()))


@pytest.mark.severity("critical")
def test_whole_list_has_no_duplicate_ids(catalogs: CatalogStore, aggregate: Aggregate) -> None:
    holds(inv.no_duplicate_ids(catalogs.catalog_ids(aggregate.slug), request=catalogs.model_list().describe()))


@pytest.mark.severity("blocker")
def test_whole_list_count_within_bounds(catalogs: CatalogStore, aggregate: Aggregate) -> None:
    holds(inv.count_within_bounds(catalogs.catalog_ids(aggregate.slug), min_models=aggregate.min_models,
                                  max_models=aggregate.max_models, request=catalogs.model_list().describe()))


@pytest.mark.severity("blocker")
def test_whole_list_has_required_models(catalogs: CatalogStore, aggregate: Aggregate) -> None:
    holds(inv.required_present(catalogs.catalog_ids(aggregate.slug), aggregate.required_models,
                               where="the whole list", request=catalogs.model_list().describe()))


def test_whole_list_latency_within_budget(catalogs: CatalogStore, aggregate: Aggregate) -> None:
    holds(within_budget([catalogs.model_list()], budget_s=aggregate.latency_budget_s))


@pytest.mark.keyed
@pytest.mark.severity("critical")
def test_unknown_model_in_chat_is_a_client_error(catalogs: CatalogStore) -> None:
    holds(rejected_as_client_error(catalogs.chat_unknown_model(), why=f"chat with an unknown model {UNKNOWN_MODEL!r}"))
