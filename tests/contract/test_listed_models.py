"""Listed means callable: a sample of each contracted gateway's listed models answers the smallest chat request
(docs/contract-file.md, `callable:`). In the nightly and sign-off runs; in the pre-deploy gate only when the
contract's `callable.gate` asks (session/parametrize.py adds the gate mark then)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from gateway_contracts.contract import Contract, Gateway
from gateway_contracts.invariants.callable import Share, callable_findings, classify
from gateway_contracts.store import CatalogStore
from gateway_contracts.verdict import holds

pytestmark = [pytest.mark.nightly, pytest.mark.signoff]


@pytest.mark.keyed  # no key: skipped, and the run says so (as chat is)
@pytest.mark.needs("chat-completions")
@pytest.mark.severity("critical")
def test_listed_models_answer_chat(catalogs: CatalogStore, contract: Contract, probed_gateway: Gateway,
                                   probe_day: date, report_fact: Callable[[str, str, object], None]) -> None:
    spec = contract.callable_probe
    if spec.budget == 0:
        pytest.skip("callable.budget is 0 in the contract: no listed model is called")
    calls = [classify(model, exchange, request.body)
             for model, request, exchange in catalogs.probe_calls(probed_gateway, probe_day)]
    probe = Share(probed_gateway.slug, tuple(calls), spec.min_share, probe_day.isoformat(),
                  catalogs.probe_cover_days(probed_gateway))
    report_fact("callable", probed_gateway.slug, probe.summary())  # the sign-off report's section (record key)
    if probe.share is None:
        pytest.skip(f"{probed_gateway.slug}: no sampled model's answer counts ({len(calls)} sampled: nothing listed, "
                    "or every answer rate limited or about something other than the model)")
    holds(callable_findings(probe))
