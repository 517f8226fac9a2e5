"""What each contract test is about, computed once at collection for every format that labels tests (the
JUnit properties, Allure): the gateway it checks, the contract, its severity and its release marks."""

from __future__ import annotations

import pytest

from gateway_contracts.contract import Gateway
from gateway_contracts.report.interface import Labels

API = "api"  # the feature of tests that are about no single gateway
FUZZ = "fuzz"  # the feature of schemathesis tests (the report groups them by operation instead)
RELEASE_MARKS = frozenset({"gate", "nightly", "signoff", "keyed"})  # the marks a label carries

# Allure severities (`@pytest.mark.severity(...)` on a contract; unmarked ones are "normal"). Keyed by a marker,
# not by the test's name, so a rename keeps the severity.
SEVERITIES = ("blocker", "critical", "normal", "minor", "trivial")
DEFAULT_SEVERITY = "normal"


def is_contract(item: pytest.Item) -> bool:
    """A contract or fuzz test of the suite (self-tests are not contracts and get no labels)."""
    return "catalogs" in getattr(item, "fixturenames", ()) or "fuzz" in item.keywords


def labels_of(item: pytest.Item, aggregate: str | None) -> Labels:
    """The test's labels: the gateway it checks (or API, FUZZ), the contract, how bad a failure is, its marks."""
    name = getattr(item, "originalname", item.name)
    params = getattr(getattr(item, "callspec", None), "params", {})
    fixtures = getattr(item, "fixturenames", ())
    if "fuzz" in item.keywords:
        feature = FUZZ
    elif "aggregate" in fixtures and aggregate:
        feature = aggregate
    elif any(isinstance(value, Gateway) for value in params.values()):  # `gateway`, `probed_gateway`, ...
        feature = next(value for value in params.values() if isinstance(value, Gateway)).slug
    else:
        feature = API
    story = name.removeprefix("test_").replace("_", " ")
    marks = " ".join(sorted({m.name for m in item.iter_markers()} & RELEASE_MARKS))
    return Labels(feature, story, severity_of(item), marks)


def severity_of(item: pytest.Item) -> str:
    """The test's `severity` marker (the closest one), else "normal"; a value Allure does not know fails the
    collection with one line naming the test."""
    marker = item.get_closest_marker("severity")
    if marker is None:
        return DEFAULT_SEVERITY
    value = marker.args[0] if marker.args else marker.kwargs.get("level")
    if value not in SEVERITIES:
        raise pytest.UsageError(f"{item.nodeid}: @pytest.mark.severity({value!r}): expected one of "
                                f"{', '.join(SEVERITIES)}")
    return str(value)
