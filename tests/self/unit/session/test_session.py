"""The session modules, pure: the request budget divided across workers, the summary header, and the
Allure severity of a contract (its marker)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest

from gateway_contracts.contract import load_contract
from gateway_contracts.net.client import ClientSettings
from gateway_contracts.report.labels import severity_of
from gateway_contracts.session.state import SuiteState
from gateway_contracts.session.summary import selection, summary_lines
from gateway_contracts.session.target import DEFAULT_EXTERNAL_RPS, client_settings

ROOT = Path(__file__).resolve().parents[4]
CONTRACT = load_contract(ROOT / "contracts" / "gateways.yaml")


def config(**option: Any) -> pytest.Config:
    values = {"max_rps": None, "request_timeout": None, "retries": None, "max_body_bytes": None, **option}
    return cast(pytest.Config, SimpleNamespace(option=SimpleNamespace(**values)))


@pytest.mark.parametrize(("max_rps", "external", "workers", "each"), [
    (8.0, True, 2, 4.0),  # the budget is the run's: two workers, half each (undivided they would send 16/s)
    (8.0, True, 1, 8.0),
    (None, True, 4, DEFAULT_EXTERNAL_RPS / 4),  # the default against TARGET_URL, divided too
    (None, False, 2, 0.0),  # the embedded gateway: unlimited
    (0.0, True, 2, 0.0),  # 0 = unlimited, whatever the workers
])
def test_the_request_budget_is_divided_across_workers(max_rps: float | None, external: bool, workers: int,
                                                      each: float) -> None:
    assert client_settings(config(max_rps=max_rps), external, workers).max_rps == each


def header(contract: Any) -> str:
    state = SuiteState(contract=contract, settings=ClientSettings(), description="t", key_source="none")
    return summary_lines(state)[0]


def test_the_summary_header_says_what_is_selected() -> None:
    aggregate = CONTRACT.aggregate
    assert aggregate is not None
    everything = len(CONTRACT.gateways)
    assert f"({everything} gateways and the aggregate {aggregate.slug})" in header(CONTRACT)
    only_aggregate = CONTRACT.only({aggregate.slug})
    assert f"(the aggregate {aggregate.slug})" in header(only_aggregate)  # not "(0 gateways)"
    one = CONTRACT.only({CONTRACT.gateways[0].slug})
    assert selection(one) == "1 gateway"


# -- Allure severity: keyed by a marker, so a rename keeps it ------------------------------------------


class Item:
    """What `severity_of` reads of a pytest item."""

    def __init__(self, name: str, *marks: pytest.MarkDecorator) -> None:
        self.nodeid = f"tests/contract/test_x.py::{name}"
        self._marks = [m.mark for m in marks]

    def get_closest_marker(self, name: str) -> Any:
        return next((m for m in self._marks if m.name == name), None)


def severity(name: str, *marks: pytest.MarkDecorator) -> str:
    return severity_of(cast(pytest.Item, Item(name, *marks)))


def test_severity_comes_from_the_marker_whatever_the_name() -> None:
    assert severity("test_gateway_answers_200") == "normal"  # the name alone gives nothing
    assert severity("test_renamed_to_anything", pytest.mark.severity("blocker")) == "blocker"
    assert severity("test_x", pytest.mark.severity(level="minor")) == "minor"


def test_an_unknown_severity_is_one_clear_error() -> None:
    with pytest.raises(pytest.UsageError, match=r"test_x.py::test_y: @pytest.mark.severity\('urgent'\)"):
        severity("test_y", pytest.mark.severity("urgent"))


def test_the_gate_blockers_carry_their_marker() -> None:
    from tests.contract import test_api_surface, test_gateways

    for test in (test_gateways.test_gateway_answers_200, test_api_surface.test_chat_requires_a_key):
        marks = [m for m in getattr(test, "pytestmark", []) if m.name == "severity"]
        assert [m.args for m in marks] == [("blocker",)], test.__name__
