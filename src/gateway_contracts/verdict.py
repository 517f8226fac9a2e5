"""Turning findings into a test verdict: one readable failure, no traceback (which could carry locals)."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from gateway_contracts.data.findings import Finding, render_all


class FindingsFailed(pytest.fail.Exception):  # type: ignore[misc,name-defined]
    """A contract's failure that carries its findings, so known findings (session/known_outcomes.py) can be matched
    by code rather than by reading the text back."""

    def __init__(self, findings: Sequence[Finding]) -> None:
        super().__init__(render_all(findings), pytrace=False)
        self.findings = tuple(findings)


def holds(findings: Sequence[Finding]) -> None:
    """Pass when there are no findings; otherwise fail with every finding's expected/got/request."""
    __tracebackhide__ = True
    if findings:
        raise FindingsFailed(findings)
