"""Schemathesis fuzzing of the contract's OpenAPI document against the session's target.

One test item per operation (`test_fuzz_gate[GET /v1/models]`), so JUnit and Allure name each one. Every
call runs schemathesis' checks (no 5xx, documented status codes and content types, response schemas,
invalid data rejected, valid data accepted, auth enforced) and ours (`gateway_contracts.fuzz.checks`); an
item fails once, at the end of its budget, with every distinct failure. The document is the contract's
(`openapi` key), FUZZ_SPEC's, or the target's own (FUZZ_SPEC=target), read at import: the target's spec is
fetched with a short timeout and a failure to fetch it is a failing test, never a broken collection.
"""

from __future__ import annotations

import pytest
from schemathesis import Case

from gateway_contracts.fuzz.hooks import current_settings, current_source, marks_selected
from gateway_contracts.fuzz.profiles import NIGHTLY, PROFILES
from gateway_contracts.fuzz.spec import load_schema
from gateway_contracts.fuzz.transport import FuzzTarget, walk_settings

_settings = current_settings()
_source = current_source()

if _source.document is not None:
    gate_profile = PROFILES[_settings.gate_profile]  # `gate`, or `smoke` where a self-test needs only plumbing
    gate_schema = load_schema(_source.document, gate_profile, seed=_settings.seed, methods=_settings.methods,
                              only=_settings.operations)

    @pytest.mark.gate
    @pytest.mark.fuzz
    @gate_schema.parametrize()
    def test_fuzz_gate(case: Case, fuzz_target: FuzzTarget) -> None:
        fuzz_target.call_and_validate(case)

    # Only where `-m` can select them: building the nightly tests (their coverage cases) costs every process of
    # a `-m gate` run ~2 s at collection, for tests it deselects right after.
    if marks_selected("nightly", "fuzz"):
        nightly_schema = load_schema(_source.document, NIGHTLY, seed=_settings.seed, methods=_settings.methods,
                                     only=_settings.operations)

        @pytest.mark.nightly
        @pytest.mark.fuzz
        @nightly_schema.parametrize()
        def test_fuzz_nightly(case: Case, fuzz_target: FuzzTarget) -> None:
            fuzz_target.call_and_validate(case)

        @pytest.mark.nightly
        @pytest.mark.fuzz
        def test_fuzz_pagination_walk(fuzz_target: FuzzTarget) -> None:
            """Stateful: follow each page's `nextPage` link (`next_offset` -> `offset`), checking every page."""
            # Its failures are recorded, not raised: the fuzz plugin fails the item once with each distinct one.
            machine = fuzz_target.pagination_machine(nightly_schema)
            machine.run(settings=walk_settings(examples=NIGHTLY.stateful_examples, steps=NIGHTLY.stateful_steps))

else:
    # Nothing to fuzz: one visible item per profile that says why (a skip for a contract without a document,
    # a failure for a target spec that could not be had), never a silent pass.

    def _nothing() -> None:
        if _source.problem:
            pytest.fail(_source.problem, pytrace=False)
        pytest.skip(_source.skip or "no OpenAPI document")

    @pytest.mark.gate
    @pytest.mark.fuzz
    def test_fuzz_gate() -> None:
        _nothing()

    @pytest.mark.nightly
    @pytest.mark.fuzz
    def test_fuzz_nightly() -> None:
        _nothing()
