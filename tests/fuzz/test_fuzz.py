"""Schemathesis fuzzing of the committed OpenAPI document against the session's target.

One test item per operation (`test_fuzz_gate[GET /v1/models]`), so JUnit and Allure name each one. Every
call runs schemathesis' checks (no 5xx, documented status codes and content types, response schemas,
invalid data rejected, valid data accepted, auth enforced) and ours (`gateway_contracts.fuzz.checks`).
The schemas are built from the committed file at import: no network at collection time.
"""

from __future__ import annotations

import pytest
from schemathesis import Case

from gateway_contracts.fuzz.plugin import current_settings
from gateway_contracts.fuzz.profiles import GATE, NIGHTLY
from gateway_contracts.fuzz.spec import load_schema
from gateway_contracts.fuzz.target import FuzzTarget, walk_settings

_settings = current_settings()
gate_schema = load_schema(_settings.spec, GATE, seed=_settings.seed, methods=_settings.methods)
nightly_schema = load_schema(_settings.spec, NIGHTLY, seed=_settings.seed, methods=_settings.methods)


@pytest.mark.gate
@pytest.mark.fuzz
@gate_schema.parametrize()
def test_fuzz_gate(case: Case, fuzz_target: FuzzTarget) -> None:
    fuzz_target.call_and_validate(case)


@pytest.mark.nightly
@pytest.mark.fuzz
@nightly_schema.parametrize()
def test_fuzz_nightly(case: Case, fuzz_target: FuzzTarget) -> None:
    fuzz_target.call_and_validate(case)


@pytest.mark.nightly
@pytest.mark.fuzz
def test_fuzz_pagination_walk(fuzz_target: FuzzTarget) -> None:
    """Stateful: follow each page's `nextPage` link (`next_offset` -> `offset`), checking every page."""
    machine = fuzz_target.pagination_machine(nightly_schema)
    machine.run(settings=walk_settings(examples=NIGHTLY.stateful_examples, steps=NIGHTLY.stateful_steps))
