"""Spec drift: the target's live /openapi.json against the contract's document.

Fuzzing calls what the document lists; this catches what it cannot: a covered route the live spec no longer
lists (or lists differently) even when no test calls it. Only the operations the contract's document
covers are compared: a new admin route is not drift of the catalog API.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway_contracts.contract import Contract
from gateway_contracts.data.findings import Finding
from gateway_contracts.fuzz.drift import compare_specs
from gateway_contracts.fuzz.settings import FuzzSettings
from gateway_contracts.fuzz.spec import contract_document, no_document_reason, read_spec
from gateway_contracts.invariants.responses import answered_json
from gateway_contracts.store import CatalogStore
from gateway_contracts.verdict import holds


@pytest.mark.nightly
@pytest.mark.fuzz
def test_live_spec_matches_committed(catalogs: CatalogStore, fuzz_settings: FuzzSettings, contract: Contract) -> None:
    committed = contract_document(fuzz_settings, contract)
    if committed is None:
        pytest.skip(no_document_reason(contract))
    live = catalogs.openapi()
    findings = answered_json(live, invariant="spec-drift")
    if not findings:
        drifts = compare_specs(read_spec(committed), live.json)
        findings = [Finding("spec-drift", drift.render(), live.describe()) for drift in drifts]
        if findings:
            findings.append(Finding("spec-drift", f"if the change is intended, update {_shown(committed)}"))
    holds(findings)


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)
