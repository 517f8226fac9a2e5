"""Fuzz tests: unpermitted operations skip before sending; each operation keeps its own Allure history."""

from __future__ import annotations

import pytest

from gateway_contracts.fuzz.hooks import skip_unpermitted_operation


@pytest.fixture(autouse=True)
def _fuzz_operation(request: pytest.FixtureRequest) -> None:
    # allure-pytest derives one history id per test function, so every operation of a schemathesis test
    # would share it and Allure would show one and hide the rest as retries: the operation is a parameter.
    label = getattr(request.node, "operation_label", None)
    if label and request.config.pluginmanager.hasplugin("allure_pytest"):
        import allure

        allure.dynamic.parameter("operation", label)
    skip_unpermitted_operation(request)
