"""Contracts on the API surface: invalid input, routes, chat and the gateway registry (R04, R07, R09, R13, B6)."""

from __future__ import annotations

import pytest

from gateway_contracts.contract import Contract, Gateway
from gateway_contracts.data.findings import Finding
from gateway_contracts.invariants.registry import listed_in_registry, registry_names, uncovered_gateways
from gateway_contracts.invariants.responses import (
    answered_json,
    chat_answered,
    rejected_as_client_error,
    requires_key,
    route_exists,
    spec_lists_paths,
    within_budget,
)
from gateway_contracts.plan import CONSUMER_PATHS, InvalidQuery, probe_gateway
from gateway_contracts.store import CatalogStore
from gateway_contracts.verdict import holds

pytestmark = [pytest.mark.gate, pytest.mark.nightly, pytest.mark.signoff]


@pytest.mark.needs("envelope")  # gateway, limit and offset values
def test_invalid_query_is_rejected(catalogs: CatalogStore, invalid_query: InvalidQuery) -> None:
    holds(rejected_as_client_error(catalogs.invalid(invalid_query), why=invalid_query.why))


@pytest.mark.needs("spec-route")
def test_openapi_lists_catalog_and_chat(catalogs: CatalogStore) -> None:
    spec = catalogs.openapi()
    holds(answered_json(spec) or spec_lists_paths(spec.json, CONSUMER_PATHS, request=spec.describe()))


@pytest.mark.severity("blocker")
@pytest.mark.needs("chat-completions")  # without chat, the catalog route is test_gateway_answers_200's
def test_catalog_and_chat_routes_answer(catalogs: CatalogStore, contract: Contract) -> None:
    # The first answer of a catalog's walk (whichever way the contract's dialect lists it), and chat.
    first = catalogs.walk(probe_gateway(contract)).first
    holds((route_exists(first) if first is not None else []) + route_exists(catalogs.chat_without_key()))


@pytest.mark.severity("blocker")
@pytest.mark.needs("chat-completions")
def test_chat_requires_a_key(catalogs: CatalogStore) -> None:
    holds(requires_key(catalogs.chat_without_key()))


@pytest.mark.keyed  # a run without a key is refused, or keyless by choice: then this skips (plugin.py)
@pytest.mark.severity("critical")
@pytest.mark.needs("chat-completions")
def test_chat_model_answers(catalogs: CatalogStore, contract: Contract, chat_model: str) -> None:
    exchange = catalogs.chat(chat_model, authenticated=True)
    holds(chat_answered(exchange, model=chat_model)
          + within_budget([exchange], budget_s=contract.chat_latency_budget_s))


@pytest.mark.needs("registry")
def test_registry_lists_gateway(catalogs: CatalogStore, gateway: Gateway) -> None:
    registry = catalogs.registry()
    holds(answered_json(registry) or listed_in_registry(registry_names(registry.json), gateway=gateway.slug,
                                                        aliases=gateway.aliases, request=registry.describe()))


@pytest.mark.severity("minor")
@pytest.mark.needs("registry")
def test_registry_has_no_uncovered_gateways(catalogs: CatalogStore, contract: Contract,
                                            pytestconfig: pytest.Config) -> None:
    if not (pytestconfig.option.strict_registry or contract.registry.strict):
        pytest.skip("uncovered registry gateways are reported in the run summary; --strict-registry fails on them")
    registry = catalogs.registry()
    uncovered = uncovered_gateways(registry_names(registry.json), contract.covered_names(), contract.registry.ignore)
    holds([Finding("registry", f"the registry lists gateways no contract covers: {', '.join(uncovered)}",
                   registry.describe())] if uncovered else [])

