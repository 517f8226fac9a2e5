"""What an OpenAI SDK user sees, in the sign-off report (a fact read from the SDK listing test's JUnit
properties) and in the run summary (report/recording.py's line), for both dialects."""

from __future__ import annotations

import pytest

from gateway_contracts.report.junit import Case
from gateway_contracts.report.markdown_page import render_markdown
from gateway_contracts.report.recording import sdk_line
from gateway_contracts.report.view import SDK_LIST_TEST, build_view, sdk_fact
from tests.self.unit.report.test_report import COMPLETE, clean

PAGE = "gatewayz: the default page (gateway=all, limit=100, offset=0)"


def listing(outcome: str, models: str | None = "100", scope: str | None = PAGE) -> Case:
    props = tuple((k, v) for k, v in (("sdk_models", models), ("sdk_scope", scope)) if v is not None)
    return Case("tests.contract.test_openai_sdk", SDK_LIST_TEST, outcome,
                message="[openai-sdk-ids] differ" if outcome == "failed" else "",
                properties=(("gateway", "api"), ("marks", "gate keyed nightly signoff"), *props))


@pytest.mark.parametrize(
    ("case", "fact"),
    [
        (listing("passed"), f"an SDK user sees 100 models ({PAGE})"),
        (listing("passed", "6", "openai: the whole list"), "an SDK user sees 6 models (openai: the whole list)"),
        (listing("passed", "12345", None), "an SDK user sees 12,345 models"),
        (listing("failed"), f"an SDK user sees 100 models ({PAGE}); they differ from what the contracts read "
                            "(see Failing contracts)"),
        (listing("failed", None, None), "the SDK could not list the models (see Failing contracts)"),
    ],
)
def test_the_sdk_fact_says_what_the_listing_test_recorded(case: Case, fact: str) -> None:
    assert sdk_fact([*COMPLETE, case]) == fact
    view = build_view(clean(), [*COMPLETE, case], [])
    assert ("OpenAI SDK", fact) in view.facts
    assert f"| OpenAI SDK | {fact} |" in render_markdown(view)


def test_no_sdk_test_no_fact_and_a_skipped_one_says_why() -> None:
    assert sdk_fact(COMPLETE) is None
    assert "OpenAI SDK" not in dict(build_view(clean(), COMPLETE, []).facts)
    skipped = Case("tests.contract.test_openai_sdk", SDK_LIST_TEST, "skipped",
                   message="tests/contract/test_openai_sdk.py:40: keyed checks skipped by choice: KEYLESS=1")
    assert (sdk_fact([skipped]) or "").startswith("not checked: keyed checks skipped by choice: KEYLESS=1")


def test_the_summary_line() -> None:
    assert sdk_line({"sdk_models": "100", "sdk_scope": PAGE}) == (
        f"gateway-contracts: an OpenAI SDK user sees 100 models ({PAGE})")
    assert sdk_line({"sdk_models": "8544"}) == "gateway-contracts: an OpenAI SDK user sees 8,544 models"
    assert sdk_line({}) is None  # the listing failed or did not run: its failure says the rest
