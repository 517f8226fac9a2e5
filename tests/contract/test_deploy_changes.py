"""What this deploy changes: the candidate (TARGET_URL) against production (COMPARE_URL), catalog by catalog.

Skipped when no COMPARE_URL is given. Production was read twice before the first test (production.py); what
differs between its own reads is noise, attached to the result as `deploy_noise` properties and never failed.
A change within the contract's `compare:` tolerances is attached as a `deploy_change` property (JUnit, the
sign-off report); one beyond them fails with its finding (GC8xx).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from gateway_contracts import dialects
from gateway_contracts.contract import Aggregate, Contract, Gateway
from gateway_contracts.differential import side_of
from gateway_contracts.production import Production
from gateway_contracts.report.sections import deploy_changes
from gateway_contracts.store import CatalogStore
from gateway_contracts.verdict import holds

pytestmark = [pytest.mark.gate, pytest.mark.nightly, pytest.mark.signoff]


Fact = Callable[[str, str, Any], None]


def _compare(request: pytest.FixtureRequest, report_fact: Fact, catalogs: CatalogStore, production: Production,
             contract: Contract, name: str, required: tuple[str, ...], *, pairs: bool) -> None:
    walk = catalogs.walk(name)
    diff = production.compare(name, side_of(name, walk, pairs=pairs), contract, required, pairs=pairs)
    # The report's "What changes with this deploy" and reports/changes.json (report/sections/deploy_changes.py).
    report_fact(deploy_changes.NAME, deploy_changes.catalog_key(name), diff.as_dict())
    request.node.user_properties += [("deploy_change", c.message) for c in diff.reported]
    request.node.user_properties += [("deploy_noise", line) for line in diff.noise.lines(name)]
    holds(diff.findings(walk.first.describe() if walk.first else None))


@pytest.mark.severity("critical")
def test_gateway_changes_with_deploy(request: pytest.FixtureRequest, report_fact: Fact, catalogs: CatalogStore,
                                     contract: Contract, production: Production, gateway: Gateway) -> None:
    _compare(request, report_fact, catalogs, production, contract, gateway.slug, gateway.required_models,
             pairs=False)


@pytest.mark.severity("critical")
def test_aggregate_changes_with_deploy(request: pytest.FixtureRequest, report_fact: Fact, catalogs: CatalogStore,
                                       contract: Contract, production: Production, aggregate: Aggregate) -> None:
    _compare(request, report_fact, catalogs, production, contract, aggregate.slug, aggregate.required_models,
             pairs=dialects.of(contract).aggregate_by_source)


@pytest.mark.needs("registry")
def test_registry_changes_with_deploy(request: pytest.FixtureRequest, report_fact: Fact, catalogs: CatalogStore,
                                      production: Production) -> None:
    changes, flapping = production.compare_registry(catalogs.registry())
    report_fact(deploy_changes.NAME, deploy_changes.REGISTRY_KEY,
                {"changes": [c.as_dict() for c in changes], "noise": {"flapping": list(flapping)}})
    request.node.user_properties += [("deploy_change", c.message) for c in changes if not c.fails]
    if flapping:
        request.node.user_properties.append(("deploy_noise", f"registry names in one production read only: "
                                                             f"{', '.join(flapping)}"))
    holds([c.finding(catalogs.registry().describe()) for c in changes if c.fails])
