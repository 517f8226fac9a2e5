"""Invariants: pure functions over parsed responses. No HTTP here: each returns findings with evidence."""

from gateway_contracts.data.findings import Finding, render_all, sample

__all__ = ["Finding", "render_all", "sample"]
