"""Spec drift: the target's live /openapi.json against the committed contracts/openapi.json.

Fuzzing calls what the committed spec lists; this catches what it cannot: a route the live spec no longer
lists (or lists differently) even when no test calls it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway_contracts.catalog import CatalogStore
from gateway_contracts.data.findings import Finding
from gateway_contracts.fuzz.drift import compare_specs
from gateway_contracts.fuzz.settings import FuzzSettings
from gateway_contracts.fuzz.spec import read_spec
from gateway_contracts.invariants.responses import answered_json
from gateway_contracts.verdict import holds


@pytest.mark.nightly
@pytest.mark.fuzz
def test_live_spec_matches_committed(catalogs: CatalogStore, fuzz_settings: FuzzSettings) -> None:
    live = catalogs.openapi()
    committed = fuzz_settings.spec
    findings = answered_json(live, invariant="spec-drift")
    if not findings:
        drifts = compare_specs(read_spec(committed), live.json)
        findings = [Finding("spec-drift", drift.render(), live.describe()) for drift in drifts]
        if findings:
            findings.append(Finding("spec-drift", f"if the change is intended, update {_shown(committed)} (the "
                                    "reference gateway's: python -m gateway_contracts.fuzz write-spec)"))
    holds(findings)


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)
