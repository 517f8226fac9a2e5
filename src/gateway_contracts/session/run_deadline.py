"""The run deadline (RUN_DEADLINE) on the pytest side: started by the controller, armed in every process, a test
the run has no time left for skipped (not run), and at the end exit 8 with its reports written with what it had.
The timer itself, which also interrupts a request in flight, is net/deadline.py's.
"""

from __future__ import annotations

import time

import pytest

from gateway_contracts import exitcodes
from gateway_contracts.net.deadline import run_deadline_reason, set_run_deadline
from gateway_contracts.session.state import SuiteState


def start(state: SuiteState, seconds: float | None) -> None:
    """The controller's (or a serial run's) deadline: a wall-clock time, so workers can share it as such."""
    if seconds is not None:
        state.run_deadline_s = seconds
        state.run_deadline_at = time.time() + seconds
    arm(state)


def arm(state: SuiteState) -> None:
    if state.run_deadline_at is not None:
        set_run_deadline(state.run_deadline_at, f"the run deadline of {state.run_deadline_s:g} s (RUN_DEADLINE) passed")


def before_test(state: SuiteState) -> None:
    """Skip a test the run has no time left for."""
    __tracebackhide__ = True
    passed = run_deadline_reason()
    if passed is not None:
        pytest.skip(f"not run: {passed}")


def finish(session: pytest.Session, state: SuiteState) -> bool:
    """Exit 8 and its one line (`state.verdict`) for a run whose deadline passed; True when it did."""
    if session.exitstatus not in (exitcodes.OK, exitcodes.CONTRACT_BROKEN) or state.target_url is None:
        return False
    passed = run_deadline_reason()
    if passed is None:
        return False
    state.verdict = f"{passed}: the run stopped early; its reports hold what it had"
    session.exitstatus = exitcodes.RUN_DEADLINE
    return True
