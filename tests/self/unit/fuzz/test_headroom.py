"""fuzz/headroom.py: a recursion that maps and unmaps a frame-stack chunk on every pass stops doing so when called
through `call_with_headroom` (CPython 3.11 frees a chunk as soon as the frame at its base returns); and the fuzz
plugin calls every fuzz test that way, with its own fixtures, and no other test."""

from __future__ import annotations

import resource
import sys
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest

from gateway_contracts.fuzz import hooks
from gateway_contracts.fuzz.headroom import call_with_headroom

PASSES = 200


def _recurse(depth: int) -> int:
    return _recurse(depth - 1) if depth else 0


def _faults(run: Callable[[], object]) -> int:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    run()
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before


def _passes(depth: int) -> Callable[[], object]:
    return lambda: [_recurse(depth) for _ in range(PASSES)]


def _first_thrashing_depth() -> int | None:
    """The shallowest recursion, from here, that crosses into a new chunk: every pass then faults its pages in."""
    for depth in range(0, 1200, 8):
        if _faults(_passes(depth)) >= PASSES:
            return depth
    return None


def test_a_recursion_past_a_chunk_boundary_no_longer_faults_on_every_pass() -> None:
    depth = _first_thrashing_depth()
    if depth is None:
        pytest.skip(f"Python {sys.version.split()[0]} keeps its frame-stack chunks: nothing to avoid here")
    deeper = depth + 40  # past the boundary, still far within the ~30 KiB of headroom (~300 of these frames)
    assert _faults(_passes(deeper)) >= PASSES  # the thrash, as a fuzz case's strategies met it
    assert _faults(lambda: call_with_headroom(_passes(deeper))) < PASSES // 4


def test_fuzz_tests_are_called_through_the_headroom_with_their_own_fixtures() -> None:
    seen: dict[str, Any] = {}

    def test_fuzz_gate(fuzz_target: str) -> None:
        seen["fuzz_target"] = fuzz_target
        seen["caller"] = sys._getframe(1).f_code.co_name

    item = SimpleNamespace(nodeid="tests/fuzz/test_fuzz.py::test_fuzz_gate[GET /v1/models]", obj=test_fuzz_gate,
                           funcargs={"fuzz_target": "target", "request": "not an argument of the test"})
    assert hooks.pytest_pyfunc_call(item) is True  # type: ignore[arg-type]
    assert seen == {"fuzz_target": "target", "caller": "call_with_headroom"}


def test_other_tests_are_left_to_pytest() -> None:
    item = SimpleNamespace(nodeid="tests/contract/test_gateways.py::test_gateway_answers_200[groq]",
                           obj=lambda: pytest.fail("called"), funcargs={})
    assert hooks.pytest_pyfunc_call(item) is None  # type: ignore[arg-type]


def test_the_headroom_frame_stays_out_of_pytest_tracebacks() -> None:
    def boom() -> None:
        raise ValueError("from the test")

    with pytest.raises(ValueError, match="from the test") as excinfo:
        call_with_headroom(boom)
    shown = [entry.name for entry in excinfo.traceback.filter(excinfo)]
    assert "boom" in shown
    assert "call_with_headroom" not in shown
    assert "call_with_headroom" in [entry.name for entry in excinfo.traceback]  # it was there, hidden
