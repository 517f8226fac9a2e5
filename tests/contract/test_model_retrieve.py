"""`GET /v1/models/{id}` where the contract's API has it (`retrieve`): each contracted id answers its model object,
in the shape the contract's dialect says (`Dialect.model_object_findings`), and an unknown id is a client error."""

from __future__ import annotations

import pytest

from gateway_contracts import dialects
from gateway_contracts.contract import Contract
from gateway_contracts.invariants.responses import answered_json, rejected_as_client_error
from gateway_contracts.plan import UNKNOWN_MODEL, retrievable_ids
from gateway_contracts.store import CatalogStore
from gateway_contracts.verdict import holds

pytestmark = [pytest.mark.gate, pytest.mark.nightly, pytest.mark.signoff, pytest.mark.needs("retrieve")]


def test_contracted_models_retrieve(catalogs: CatalogStore, contract: Contract) -> None:
    dialect = dialects.of(contract)
    findings = []
    for model_id in retrievable_ids(contract):
        exchange = catalogs.retrieve(model_id)
        findings += answered_json(exchange) or dialect.model_object_findings(exchange.json, model_id=model_id,
                                                                             request=exchange.describe())
    holds(findings)


def test_unknown_model_retrieve_is_a_client_error(catalogs: CatalogStore) -> None:
    holds(rejected_as_client_error(catalogs.retrieve(UNKNOWN_MODEL), why=f"an unknown model {UNKNOWN_MODEL!r}"))
