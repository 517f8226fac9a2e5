"""`/v1/gateways/status` against the catalogs: every contracted gateway listed, its model count at least the
catalog's (B7)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gateway_contracts.data.findings import Finding, sample
from gateway_contracts.data.jsontypes import is_int

INVARIANT = "gateway-status"


def status_counts(body: Any) -> dict[str, Any] | None:
    """Gateway id (lower-cased) -> its `model_count` as sent (None when absent); None when the body is not a
    status list. Only `id` and `model_count` are read: other fields (error state, summary) are the target's own."""
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, list):
        return None
    return {
        entry["id"].lower(): entry.get("model_count")
        for entry in data
        if isinstance(entry, dict) and isinstance(entry.get("id"), str)
    }


def status_agrees_with_catalogs(
    body: Any, totals: Mapping[str, int | None], *, request: str | None = None
) -> list[Finding]:
    """Each contracted gateway (`totals`: slug -> the `total` its catalog walk reported, None when the walk read
    none) is listed with a non-negative integer `model_count` of at least that total.

    At least, not equal: the status counts a gateway's cached models before health gating, the catalog after it
    (gatewayz-backend src/routes/catalog.py, get_gateways_status counts `get_cached_models(gateway_id)`; get_models
    applies `_apply_health_gating` before `total`). A count below the catalog's is stale or capped (B9).

    A gateway whose catalog gave no total is only checked for being listed: its own contracts report the rest.
    """
    counts = status_counts(body)
    if counts is None:
        return [Finding(INVARIANT, "the status answer has no 'data' list of gateways", request)]
    findings = []
    missing = [slug for slug in totals if slug.lower() not in counts]
    if missing:
        findings.append(Finding(INVARIANT, f"the status list does not list {len(missing)} contracted gateway(s)",
                                request, sample(missing)))
    malformed, disagree = [], []
    for slug, total in totals.items():
        if slug.lower() not in counts:
            continue
        count = counts[slug.lower()]
        if not is_int(count) or count < 0:
            malformed.append(f"{slug}: {count!r}")
        elif total is not None and count < total:
            disagree.append(f"{slug}: status {count:,}, catalog total {total:,}")
    if malformed:
        findings.append(Finding(INVARIANT, "model_count is not a non-negative integer", request, sample(malformed)))
    if disagree:
        findings.append(Finding(INVARIANT, f"model_count is below the catalog's total for {len(disagree)} "
                                "gateway(s)", request, tuple(disagree[:5])))
    return findings
