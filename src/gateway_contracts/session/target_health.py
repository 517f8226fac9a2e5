"""Whether the target can still be asked, and whether it ever answered usably.

- Before each test: once the run's breaker is open (net/breaker.py), the test fails at once with the breaker's
  one line and sends nothing.
- At the end (the controller): a failed run whose target never gave a usable answer (a complete JSON answer
  to anything but /health, which says nothing of the API: R01) is exit 7, "target unusable", one line; a run
  whose breaker opened says "target failing". (A run whose deadline passed is session/run_deadline.py's,
  judged first: what else the run saw may be the deadline's doing.)
"""

from __future__ import annotations

import pytest

from gateway_contracts import exitcodes
from gateway_contracts.data.exchange import Exchange
from gateway_contracts.net.breaker import Breaker
from gateway_contracts.net.cache import read_cache_dir
from gateway_contracts.session.state import SuiteState

LIVENESS_PATH = "/health"  # answers while the API is gone (R01): no evidence the target is usable


def breaker(state: SuiteState) -> Breaker | None:
    if state.client is not None:
        return state.client.breaker
    if state.cache_dir is None or state.target_url is None:
        return None
    return Breaker(state.target_url, state.cache_dir)


def before_test(state: SuiteState) -> None:
    """Fail a test whose target the breaker gave up on."""
    __tracebackhide__ = True
    gave_up = breaker(state)
    opened = gave_up.opened() if gave_up is not None else None
    if opened is not None:
        pytest.fail(f"not run: {opened}", pytrace=False)


def usable(exchange: Exchange) -> bool:
    return (exchange.status is not None and not exchange.body_truncated and exchange.is_json
            and not exchange.url.split("?", 1)[0].endswith(LIVENESS_PATH))


def _unusable_because(exchanges: list[Exchange]) -> str:
    """The first failed answer, in a few words: `GET url -> 200 in 0.01 s: not JSON (...)`."""
    asked = [e for e in exchanges if not e.url.split("?", 1)[0].endswith(LIVENESS_PATH)]
    if not asked:
        return "it was asked nothing but /health"
    first = next((e for e in asked if e.status is None), asked[0])
    why = "" if first.status is None else f": {first.json_error}" if first.json_error else ""
    return f"none of its {len(asked)} answers besides /health was complete JSON; e.g. {first.describe()}{why}"


def finish(session: pytest.Session, state: SuiteState) -> None:
    """The exit status and the one line that says why (`state.verdict`), at the controller's session end."""
    if session.exitstatus not in (exitcodes.OK, exitcodes.CONTRACT_BROKEN) or state.target_url is None:
        return
    gave_up = breaker(state)
    opened = gave_up.opened() if gave_up is not None else None
    if session.exitstatus == exitcodes.CONTRACT_BROKEN and state.cache_dir is not None:
        exchanges = read_cache_dir(state.cache_dir)
        if exchanges and not any(usable(e) for e in exchanges):
            state.verdict = f"target unusable: {opened or f'{state.target_url}: {_unusable_because(exchanges)}'}"
            session.exitstatus = exitcodes.TARGET_UNREACHABLE
            return
    if opened is not None:
        state.verdict = f"target failing: {opened}"
