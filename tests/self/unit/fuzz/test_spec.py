"""A loaded schema generates from the seed and the document alone: not from the literals of whatever local modules
the process happens to have imported (Hypothesis' local constants), so a red gate reproduces on any install."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis.internal.conjecture import providers

from gateway_contracts.fuzz.documents import mark_gateway_parameters
from gateway_contracts.fuzz.profiles import GATE
from gateway_contracts.fuzz.safety import MethodPolicy
from gateway_contracts.fuzz.spec import load_schema, reference_spec, without_local_constants

CANARY = "gwc-local-canary"
# A module outside site-packages, the stdlib and any test folder: Hypothesis mines such "local" modules' literals.
LOCAL_MODULE = "\n".join(f'CONSTANT_{i} = "{CANARY}-{i}"' for i in range(40)) + "\nNUMBERS = (987654321, 123456789)\n"


def drawn_bodies() -> list[Any]:
    """The bodies of the first 150 chat cases, in order, as the gate's derandomized profile draws them (JSON bodies
    draw many strings and numbers: without the fix, 64 of them changed and 40-odd carried the canary)."""
    schema = load_schema(mark_gateway_parameters(reference_spec()), GATE, seed=1, methods=MethodPolicy())
    strategy = schema["/v1/chat/completions"]["POST"].as_strategy()
    seen: list[Any] = []

    @settings(max_examples=150, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(case=strategy)
    def draw(case: Any) -> None:
        seen.append(case.body)

    draw()
    return seen


def test_the_cases_do_not_change_when_a_local_module_with_literals_is_loaded(tmp_path: Path) -> None:
    before = drawn_bodies()
    home = tmp_path / "canary_home"
    home.mkdir()
    (home / "gwc_local_canary.py").write_text(LOCAL_MODULE)
    sys.path.insert(0, str(home))
    try:
        importlib.import_module("gwc_local_canary")
        after = drawn_bodies()
    finally:
        sys.path.remove(str(home))
        sys.modules.pop("gwc_local_canary", None)
    assert after == before
    assert CANARY not in repr(after)


def test_the_private_hypothesis_function_replaced_is_where_it_is_expected() -> None:
    # An upgrade that moves it would leave the gate's cases depending on the local modules again, silently.
    assert without_local_constants(), "hypothesis.internal.conjecture.providers._get_local_constants is gone"
    assert len(providers._get_local_constants()) == 0
