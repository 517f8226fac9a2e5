"""`/v1/gateways/status` against the catalogs (B7): listed, well-typed, and the catalog's own count."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway_contracts.invariants.status import status_agrees_with_catalogs, status_counts
from tests.self.strategies import FAST

REQUEST = "GET http://gateway.test/v1/gateways/status -> 200"


def status(**counts: Any) -> dict[str, Any]:
    return {"data": [{"id": slug, "model_count": n, "in_error_state": False} for slug, n in counts.items()],
            "summary": {"total_gateways": len(counts)}}


def test_agreeing_counts_pass() -> None:
    assert status_agrees_with_catalogs(status(openrouter=340, groq=19), {"openrouter": 340, "groq": 19}) == []


def test_only_id_and_model_count_are_read() -> None:
    # A real target need not send the reference's other fields (error state, summary, names).
    body = {"data": [{"id": "OpenRouter", "model_count": 340}]}
    assert status_counts(body) == {"openrouter": 340}
    assert status_agrees_with_catalogs(body, {"openrouter": 340}) == []


def test_extra_gateways_in_the_status_are_not_findings() -> None:
    assert status_agrees_with_catalogs(status(openrouter=340, aimo=12), {"openrouter": 340}) == []


def test_a_count_above_the_catalog_is_health_gating_not_a_finding() -> None:
    # The backend's status counts the cache before health gating; its catalog total is after it.
    assert status_agrees_with_catalogs(status(openrouter=345), {"openrouter": 340}) == []


def test_a_count_below_the_catalog_names_the_gateway_and_both_counts() -> None:
    findings = status_agrees_with_catalogs(status(featherless=994, groq=19), {"featherless": 6400, "groq": 19},
                                           request=REQUEST)
    assert len(findings) == 1
    assert findings[0].invariant == "gateway-status"
    assert "below the catalog's total for 1 gateway" in findings[0].message
    assert findings[0].evidence == ("featherless: status 994, catalog total 6,400",)
    assert findings[0].request == REQUEST


def test_a_contracted_gateway_missing_from_the_status_is_a_finding() -> None:
    findings = status_agrees_with_catalogs(status(openrouter=340), {"openrouter": 340, "novita": 5})
    assert [f.message for f in findings] == ["the status list does not list 1 contracted gateway(s)"]
    assert findings[0].evidence == ("'novita'",)


@pytest.mark.parametrize("count", [None, "340", -1, 3.5, True])
def test_a_count_that_is_not_a_non_negative_integer(count: Any) -> None:
    findings = status_agrees_with_catalogs(status(openrouter=count), {"openrouter": 340})
    assert [f.message for f in findings] == ["model_count is not a non-negative integer"]


def test_an_unknown_catalog_total_checks_only_the_listing() -> None:
    # The walk read no total (a 503, say): its own contracts report that; the status count is not compared.
    assert status_agrees_with_catalogs(status(deepinfra=215), {"deepinfra": None}) == []
    assert status_agrees_with_catalogs(status(), {"deepinfra": None}) != []


@pytest.mark.parametrize("body", [None, [], {"gateways": []}, {"data": "none"}, "Internal Server Error"])
def test_a_body_that_is_not_a_status_list(body: Any) -> None:
    findings = status_agrees_with_catalogs(body, {"openrouter": 340})
    assert [f.message for f in findings] == ["the status answer has no 'data' list of gateways"]


_slugs = st.text("abcdefghijklmnopqrstuvwxyz-", min_size=1, max_size=10)


@FAST
@given(st.dictionaries(_slugs, st.integers(0, 50_000), min_size=1, max_size=8), st.data())
def test_property_the_status_holds_exactly_when_no_count_is_below_its_catalog(totals: dict[str, int],
                                                                              data: st.DataObject) -> None:
    """Lower some counts, raise others (gated models) and drop some gateways: the findings name exactly the
    lowered and the dropped."""
    shifted = data.draw(st.sets(st.sampled_from(sorted(totals))))
    gated = data.draw(st.sets(st.sampled_from(sorted(totals))))
    dropped = data.draw(st.sets(st.sampled_from(sorted(totals))))
    shifted = {slug for slug in shifted if totals[slug] > 0}
    reported = {slug: n - 1 if slug in shifted else n + 3 if slug in gated else n
                for slug, n in totals.items() if slug not in dropped}
    findings = status_agrees_with_catalogs(status(**reported), totals)
    messages = " ".join(f.message for f in findings)
    evidence = " ".join(e for f in findings for e in f.evidence)
    assert ("does not list" in messages) == bool(dropped)
    assert ("below" in messages) == bool(shifted - dropped)
    for slug in shifted - dropped:
        if len(shifted - dropped) <= 5:  # evidence is a sample
            assert f"{slug}: status" in evidence
    assert (findings == []) == (not shifted and not dropped)


@FAST
@given(st.dictionaries(_slugs, st.integers(0, 50_000), min_size=1, max_size=8))
def test_property_letter_case_of_ids_does_not_matter(totals: dict[str, int]) -> None:
    assert status_agrees_with_catalogs(status(**{s.upper(): n for s, n in totals.items()}), totals) == []
