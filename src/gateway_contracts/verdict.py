"""Turning findings into a test verdict: one readable failure, no traceback (which could carry locals)."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from gateway_contracts.data.findings import Finding, render_all


def holds(findings: Sequence[Finding]) -> None:
    """Pass when there are no findings; otherwise fail with every finding's expected/got/request."""
    __tracebackhide__ = True
    if findings:
        pytest.fail(render_all(findings), pytrace=False)
