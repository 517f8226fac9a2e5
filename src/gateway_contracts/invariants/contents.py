"""Whole-catalog invariants: duplicates, counts, required models, aliases, aggregate (R01-R03, R10, R12, R28)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from typing import Any

from gateway_contracts.data.findings import Finding, sample


def no_duplicate_ids(ids: Sequence[Any], *, request: str | None = None) -> list[Finding]:
    """Within one gateway every id appears once (R01, R02, R25)."""
    counts = Counter(ids)
    repeated = [(model_id, n) for model_id, n in counts.most_common() if n > 1]
    if not repeated:
        return []
    extra = sum(n - 1 for _, n in repeated)
    return [
        Finding(
            "no-duplicate-ids",
            f"{len(ids):,} rows hold {len(counts):,} distinct ids: {len(repeated):,} ids repeat "
            f"({extra:,} extra rows); expected each id once",
            request,
            tuple(f"{model_id!r} x{n}" for model_id, n in repeated[:5])
            + ((f"(+{len(repeated) - 5} more)",) if len(repeated) > 5 else ()),
        )
    ]


def count_within_bounds(
    ids: Sequence[Any], *, min_models: int, max_models: int | None, request: str | None = None
) -> list[Finding]:
    """Floor on distinct ids (R03, R05, R27, B9); ceiling on rows served (R01, R02 blow-ups)."""
    distinct, rows = len(set(ids)), len(ids)
    findings = []
    if distinct < min_models:
        findings.append(
            Finding("count-floor", f"{distinct:,} distinct models, expected at least {min_models:,}", request)
        )
    if max_models is not None and rows > max_models:
        findings.append(Finding("count-ceiling", f"{rows:,} rows, expected at most {max_models:,}", request))
    return findings


def required_present(
    ids: Iterable[Any], required: Collection[str], *, where: str, request: str | None = None
) -> list[Finding]:
    """Models the business depends on are listed, with their exact id (R12, R14)."""
    present = set(ids)
    missing = [m for m in required if m not in present]
    if not missing:
        return []
    near = {m: [i for i in present if isinstance(i, str) and i.lower() == m.lower()] for m in missing}
    hints = [f"{m!r} (listed as {near[m][0]!r})" if near[m] else repr(m) for m in missing]
    return [Finding("required-models", f"{len(missing)} required model(s) missing from {where}", request, tuple(hints))]


def same_catalog(
    canonical_ids: Iterable[Any], alias_ids: Iterable[Any], *, canonical: str, alias: str, request: str | None = None
) -> list[Finding]:
    """An alias serves exactly the canonical gateway's id set (R04, R15)."""
    expected, got = set(canonical_ids), set(alias_ids)
    if expected == got:
        return []
    missing, extra = sorted(map(str, expected - got)), sorted(map(str, got - expected))
    parts = []
    if missing:
        parts.append(f"{len(missing):,} of {canonical}'s ids missing")
    if extra:
        parts.append(f"{len(extra):,} ids {canonical} does not list")
    evidence = tuple(f"missing {m!r}" for m in missing[:3]) + tuple(f"extra {e!r}" for e in extra[:3])
    return [
        Finding(
            "alias-equivalence",
            f"alias {alias!r} serves {len(got):,} ids, {canonical!r} serves {len(expected):,}: " + "; ".join(parts),
            request,
            evidence,
        )
    ]


def aggregate_contains(
    aggregate_rows: Sequence[Any],
    gateway_ids: Iterable[Any],
    *,
    gateway_names: Collection[str],
    aggregate: str,
    request: str | None = None,
) -> list[Finding]:
    """Every id a gateway serves appears in the aggregate, attributed to that gateway (R10)."""
    names = {n.lower() for n in gateway_names}
    label = next(iter(gateway_names), "?")  # the slug (Gateway.names lists it first), not the first alias
    served = {
        row.get("id")
        for row in aggregate_rows
        if isinstance(row, dict) and str(row.get("source_gateway", "")).lower() in names
    }
    expected = set(gateway_ids)
    missing = sorted(map(str, expected - served))
    if not missing:
        return []
    return [
        Finding(
            "aggregate-contains",
            f"{len(missing):,} of {len(expected):,} ids of gateway {label!r} are missing from {aggregate!r}",
            request,
            sample(missing),
        )
    ]


def aggregate_pairs_unique(aggregate_rows: Sequence[Any], *, request: str | None = None) -> list[Finding]:
    """In the aggregate the same id may come from several gateways (R28), but each (id, source) once."""
    pairs = Counter((row.get("id"), row.get("source_gateway")) for row in aggregate_rows if isinstance(row, dict))
    repeated = [(pair, n) for pair, n in pairs.most_common() if n > 1]
    if not repeated:
        return []
    return [
        Finding(
            "aggregate-unique-pairs",
            f"{len(repeated):,} (id, source_gateway) pairs appear more than once",
            request,
            tuple(f"{i!r}@{s} x{n}" for (i, s), n in repeated[:5]),
        )
    ]
