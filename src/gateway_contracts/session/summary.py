"""The run summary: target and selection, requests sent, FLAKY contracts, 429s without Retry-After, and
registry gateways no contract covers. Lines only: the entry point writes them (redacted)."""

from __future__ import annotations

from gateway_contracts import dialects
from gateway_contracts.contract import Contract
from gateway_contracts.data.exchange import Exchange, TransportFailure
from gateway_contracts.invariants.registry import registry_names, uncovered_gateways
from gateway_contracts.net.cache import read_cache_dir
from gateway_contracts.net.counts import FUZZ, SDK, read_counts
from gateway_contracts.session.state import KEYLESS_REASON, SuiteState

LISTED = 10  # summary lines per kind; the JUnit properties and the exchange cache hold every one


def summary_lines(state: SuiteState) -> list[str]:
    recorded = read_cache_dir(state.cache_dir) if state.cache_dir else []
    # Requests the breaker or the run deadline kept from going out are not requests of the run.
    exchanges = [e for e in recorded if e.failure is not TransportFailure.NOT_SENT]
    sent = sum(e.attempts for e in exchanges)
    # The fuzzer's and the OpenAI SDK's own traffic (every process writes its counts into the shared cache
    # dir): the line counts every request the run sent.
    fuzz_distinct, fuzz_sent = read_counts(state.cache_dir, FUZZ) if state.cache_dir else (0, 0)
    sdk_distinct, sdk_sent = read_counts(state.cache_dir, SDK) if state.cache_dir else (0, 0)
    others = [f"fuzzing: {fuzz_distinct} distinct, {fuzz_sent} sent"] if fuzz_sent else []
    others += [f"OpenAI SDK: {sdk_sent} sent"] if sdk_sent else []
    fuzzing = f" ({'; '.join(others)})" if others else ""
    lines = [
        f"gateway-contracts: target {state.description}; contract {state.contract.path} "
        f"({selection(state.contract)}); key: {state.key_source}",
        f"gateway-contracts: {len(exchanges) + fuzz_distinct + sdk_distinct} distinct requests, "
        f"{sent + fuzz_sent + sdk_sent} sent{fuzzing}",
    ]
    if state.keyless:
        lines.append(f"gateway-contracts: {KEYLESS_REASON}")
    lines += _transport_lines(state, exchanges)
    uncovered = _uncovered(state, exchanges)
    if uncovered:
        lines.append(f"gateway-contracts: the registry lists gateways no contract covers: {', '.join(uncovered)}"
                     " (--strict-registry fails on this)")
    return lines


def selection(contract: Contract) -> str:
    """What the run checks: its gateways and whether the aggregate is in (a `GATEWAYS=all` shard has no
    gateway, only the aggregate, and says so rather than "0 gateways"), in its dialect's words."""
    return dialects.of(contract).selection(contract)


def _transport_lines(state: SuiteState, exchanges: list[Exchange]) -> list[str]:
    """FLAKY contracts (passed only after a transport retry) and 429s without Retry-After (R19)."""
    lines = []
    flaky = state.flaky_tests
    if flaky:
        retried = sum(1 for e in exchanges if e.recovered)
        lines.append(f"gateway-contracts: FLAKY: {len(flaky)} contracts passed only after a transport retry "
                     f"({retried} requests answered on a retry; JUnit property 'flaky' on each test)")
        for nodeid, evidence in list(flaky.items())[:LISTED]:
            more = f" (and {len(evidence) - 1} more retried requests)" if len(evidence) > 1 else ""
            lines.append(f"gateway-contracts: FLAKY {nodeid}: {evidence[0]}{more}")
        if len(flaky) > LISTED:
            lines.append(f"gateway-contracts: FLAKY: and {len(flaky) - LISTED} more contracts")
    limited = [e for e in exchanges if e.rate_limited_without_retry_after]
    if limited:
        lines.append(f"gateway-contracts: 429 without Retry-After on {len(limited)} requests (R19: the API must say "
                     "when to come back; the suite backed off on its own)")
        lines += [f"gateway-contracts: 429 without Retry-After: {e.describe()}" for e in limited[:LISTED]]
        if len(limited) > LISTED:
            lines.append(f"gateway-contracts: 429 without Retry-After: and {len(limited) - LISTED} more requests")
    return lines


def _uncovered(state: SuiteState, exchanges: list[Exchange]) -> list[str]:
    path = state.contract.registry.path
    for e in exchanges:
        if e.method == "GET" and e.url.endswith(path):
            return uncovered_gateways(registry_names(e.json), state.contract.covered_names(),
                                      state.contract.registry.ignore)
    return []
