"""The test matrix from the contract file: gateways, aliases, required models, chat models, invalid queries."""

from __future__ import annotations

import pytest

from gateway_contracts.contract import Contract
from gateway_contracts.plan import invalid_queries


def parametrize(metafunc: pytest.Metafunc, contract: Contract) -> None:
    names = metafunc.fixturenames
    if "catalogs" not in names:
        return  # only contract tests (they read the evidence store) are driven by the contract file
    if "gateway" in names and "alias" in names:
        pairs = [(g, a) for g in contract.gateways for a in g.aliases]
        metafunc.parametrize(("gateway", "alias"), pairs, ids=[f"{g.slug}-{a}" for g, a in pairs])
    elif "gateway" in names and "required_model" in names:
        pairs = [(g, m) for g in contract.gateways for m in g.required_models]
        metafunc.parametrize(("gateway", "required_model"), pairs, ids=[f"{g.slug}-{m}" for g, m in pairs])
    elif "gateway" in names:
        metafunc.parametrize("gateway", contract.gateways, ids=[g.slug for g in contract.gateways])
    elif "required_model" in names:
        models = sorted({m for g in contract.gateways for m in g.required_models})
        metafunc.parametrize("required_model", models, ids=models)
    if "probed_gateway" in names:
        # The callable probe runs in the nightly and sign-off runs (its test's marks), and in the gate only when
        # the contract's `callable.gate` asks: each call costs.
        marks = [pytest.mark.gate] if contract.callable_probe.gate else []
        metafunc.parametrize("probed_gateway", [pytest.param(g, id=g.slug, marks=marks) for g in contract.gateways])
    if "chat_model" in names:
        metafunc.parametrize("chat_model", contract.chat_models, ids=list(contract.chat_models))
    if "invalid_query" in names:
        queries = invalid_queries(contract.max_limit)
        metafunc.parametrize("invalid_query", queries, ids=[q.id for q in queries])
