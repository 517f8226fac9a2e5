"""The official OpenAI SDK as a consumer: what a user who points `OpenAI(base_url=<target>/v1)` at the API sees.

The SDK sends its own requests (that is the point: the user's client, not ours), with the key; its own
retries are off (they retry every 5xx), transient answers are retried by the suite's policy (RETRIES).
It must parse every answer without error, and the ids it lists must be those the contracts read for the same
scope: the whole list where the API has no pagination (the openai dialect), the API's documented default page
where it has (Gatewayz: a bare `GET /v1/models` is `gateway=all, limit=100, offset=0`), fetched through the
session's store so it is the run's evidence too. How many models an SDK user sees is the JUnit property
`sdk_models` (with `sdk_scope`), shown in the run summary and the sign-off report.
"""

from __future__ import annotations

from typing import Any

import pytest

from gateway_contracts import dialects, sdk
from gateway_contracts.contract import Contract
from gateway_contracts.data.exchange import Exchange
from gateway_contracts.data.findings import Finding
from gateway_contracts.invariants.openai_models import list_ids
from gateway_contracts.invariants.responses import answered_json
from gateway_contracts.store import CatalogStore
from gateway_contracts.verdict import holds

pytestmark = [pytest.mark.gate, pytest.mark.nightly, pytest.mark.signoff, pytest.mark.keyed,
              pytest.mark.needs("openai-sdk")]


def walked_scope(catalogs: CatalogStore, page: dict[str, Any] | None) -> Exchange:
    """The answer the contracts read for what a bare `GET /v1/models` covers (cached: fetched once per run)."""
    if page is None:
        return catalogs.model_list()  # an API without pages (the openai dialect): its one keyed list
    return catalogs.page(str(page["gateway"]), int(page["offset"]), int(page["limit"]))


def _flaky(junit_property: Any, call: sdk.SdkCall, notes: tuple[str, ...]) -> None:
    """An SDK answer that needed a transport retry: the JUnit property `flaky`, listed as FLAKY in the summary
    when the test passes (as for the contracts' own requests)."""
    if notes:
        junit_property("flaky", f"{call.request}: {'; '.join(notes)}")


def _bounds(suite_state: Any, catalogs: CatalogStore) -> dict[str, Any]:
    """The run's bounds on the SDK's requests too: the body cap, and the breaker hears every answer."""
    return {"max_body_bytes": suite_state.settings.max_body_bytes, "heard": catalogs.client.breaker.record}


def _base_url(target_url: str) -> str:
    return f"{target_url.rstrip('/')}/v1"  # what a user passes as OpenAI(base_url=...)


def test_openai_sdk_lists_the_models(catalogs: CatalogStore, contract: Contract, suite_state: Any,
                                     junit_property: Any) -> None:
    dialect = dialects.of(contract)
    scope = dialect.sdk_scope
    listing = sdk.list_models(_base_url(suite_state.target_url), suite_state.api_key or "",
                              timeout=suite_state.settings.timeout_s, retries=suite_state.settings.retries,
                              before_request=catalogs.client.outside_request, **_bounds(suite_state, catalogs))
    _flaky(junit_property, listing.calls[-1], listing.notes)
    findings: list[Finding] = sdk.call_findings(listing.calls)
    if listing.ok:
        junit_property("sdk_models", len(listing.ids))
        junit_property("sdk_scope", f"{dialect.name}: {scope}")
        walked = walked_scope(catalogs, dict(dialect.sdk_page or {}) or None)
        # The same scope through the contracts' client must be readable too, or the comparison proves nothing.
        findings += answered_json(walked) or sdk.compare_ids(listing.ids, list_ids(walked.json), scope=scope,
                                                             request=walked.describe())
    holds(findings)


def test_openai_sdk_chat(suite_state: Any, catalogs: CatalogStore, chat_model: str, junit_property: Any) -> None:
    call = sdk.chat_once(_base_url(suite_state.target_url), suite_state.api_key or "", chat_model,
                         timeout=suite_state.settings.timeout_s, retries=suite_state.settings.retries,
                         before_request=catalogs.client.outside_request, **_bounds(suite_state, catalogs))
    _flaky(junit_property, call, call.notes)
    holds(sdk.call_findings([call]))
