"""Baselines: a snapshot of a target's catalogs, and the comparison that turns overnight drift into findings.

A snapshot records, per gateway, what a run already fetched: rows, distinct ids (the ids themselves, so
a comparison can name what vanished), which required models were listed, and page latencies; plus the
target's version and the time. Everything here is pure: building a snapshot reads walks (never the
network), `compare` returns findings like every invariant and is given the time as a value, and a baseline
document is parsed from and to plain JSON data. The file and the clock are `baseline_file.py`.

File format (JSON, `format: 1`): see contracts/baselines/README.md.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from gateway_contracts.data.exchange import Exchange
from gateway_contracts.data.findings import Finding, sample
from gateway_contracts.data.pages import Walk

FORMAT = 1
# Ids a baseline has listed for this long are "long-lived": their disappearance is reported (run record,
# sign-off), not failed: catalogs retire and health-gate models every week; the ids that must not vanish are
# the contract's required models, which fail.
LONG_LIVED_DAYS = 30
# A latency regression must also add this much time: sub-second latencies jitter by large factors, and the
# nightly's own fuzzing loads the target while its contracts time it (seen against the real backend: a 0.02 s
# baseline median read 0.50 s under the nightly's traffic). The regressions that hurt users took seconds (R18).
LATENCY_NOISE_S = 1.0


class BaselineError(Exception):
    """The baseline file cannot be used; the message is one line naming the file and the problem."""


@dataclass(frozen=True)
class Latency:
    requests: int = 0
    median_s: float = 0.0
    max_s: float = 0.0


@dataclass(frozen=True)
class GatewaySnapshot:
    slug: str
    status: int | None  # HTTP status of the first page; None: no answer
    complete: bool  # the walk reached a clean end (no pager finding)
    rows: int  # rows served over the whole walk
    ids: tuple[str, ...]  # distinct ids, sorted
    required: Mapping[str, bool] = field(default_factory=dict)  # required model -> listed
    latency: Latency = Latency()
    # id -> first time a baseline saw it, for ids older than this snapshot (absent: first seen at taken_at)
    first_seen: Mapping[str, str] = field(default_factory=dict)

    @property
    def unique(self) -> int:
        return len(self.ids)

    @property
    def duplicates(self) -> int:
        return self.rows - self.unique


@dataclass(frozen=True)
class Snapshot:
    taken_at: str  # ISO 8601, UTC
    target: str  # the URL (or "embedded reference gateway"); never a key
    target_version: str | None
    suite_version: str
    contract: str
    gateways: Mapping[str, GatewaySnapshot]
    aggregate: str | None = None  # the slug of the aggregate entry in `gateways`, if any

    def first_seen(self, gateway: str, model_id: str) -> str:
        return self.gateways[gateway].first_seen.get(model_id, self.taken_at)


# -- building a snapshot from what a run fetched ---------------------------------------------------


def latency_of(exchanges: Iterable[Exchange]) -> Latency:
    times = [e.elapsed_s for e in exchanges if e.status is not None]
    if not times:
        return Latency()
    return Latency(requests=len(times), median_s=round(statistics.median(times), 4), max_s=round(max(times), 4))


def snapshot_gateway(slug: str, walk: Walk, required: Sequence[str] = (), *, pairs: bool = False) -> GatewaySnapshot:
    """One gateway's entry from its walk (pages already fetched); latency from the recorded `elapsed_s`.

    `pairs`: key rows by `id@source_gateway` (the aggregate, where one id may come from several gateways)."""
    ids = set(aggregate_keys(walk) if pairs else (str(i) for i in walk.ids if i is not None))
    first = walk.first
    return GatewaySnapshot(
        slug=slug,
        status=first.status if first else None,
        complete=walk.complete,
        rows=len(walk.rows),
        ids=tuple(sorted(ids)),
        required={m: m in ids for m in required},
        latency=latency_of(p.exchange for p in walk.pages),
    )


def aggregate_keys(walk: Walk) -> list[str]:
    """The aggregate's rows as `id@source_gateway` (what its floor counts: R28 overlap is not duplication)."""
    return [f"{r.get('id')}@{r.get('source_gateway')}" for r in walk.rows if isinstance(r, dict)]


def carry_first_seen(new: Snapshot, old: Snapshot | None) -> Snapshot:
    """`new` with each id's first-seen time taken from `old` when `old` listed it (a refreshed baseline
    keeps knowing which ids are long-lived)."""
    if old is None:
        return new
    gateways = {}
    for slug, current in new.gateways.items():
        before = old.gateways.get(slug)
        if before is None:
            gateways[slug] = current
            continue
        older = set(before.ids)
        seen = {i: old.first_seen(slug, i) for i in current.ids if i in older}
        gateways[slug] = replace(current, first_seen={i: t for i, t in seen.items() if t < new.taken_at})
    return replace(new, gateways=gateways)


# -- comparison ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Policy:
    """How much change a comparison tolerates (from the contract file)."""

    count_drop_tolerance: float = 0.10
    latency_regression_factor: float = 3.0
    ceiling: int | None = None  # the gateway's max_models: growth past it fails
    long_lived_days: int = LONG_LIVED_DAYS
    latency_noise_s: float = LATENCY_NOISE_S


def _parse_time(value: str) -> datetime:
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _pct(old: int, new: int) -> str:
    return f"{(new - old) / old * 100:+.1f} %" if old else "new"


def vanished_ids(base: GatewaySnapshot, current: GatewaySnapshot) -> list[str]:
    now = set(current.ids)
    return [i for i in base.ids if i not in now]


def compare(
    baseline: Snapshot,
    current: GatewaySnapshot,
    *,
    now: datetime,
    policy: Policy = Policy(),
    request: str | None = None,
) -> list[Finding]:
    """Failures of `current` against the baseline's entry for the same gateway (none when it has none).
    `now`: the time of the run, for what counts as long-lived (the caller reads the clock)."""
    base = baseline.gateways.get(current.slug)
    if base is None:
        return []
    slug, when = current.slug, f"the baseline of {baseline.taken_at}"
    vanished = vanished_ids(base, current)
    if base.unique and (current.status != 200 or not current.unique):
        what = f"answers HTTP {current.status}" if current.status not in (200, None) else (
            "does not answer" if current.status is None else "lists no models")
        return [Finding("baseline-gateway-gone", f"{slug} {what}; {when} listed {base.unique:,} models",
                        request, sample(base.ids))]
    findings = []
    drop = (base.unique - current.unique) / base.unique if base.unique else 0.0
    if drop > policy.count_drop_tolerance:
        findings.append(Finding(
            "baseline-count-drop",
            f"{slug}: {current.unique:,} distinct models, {when} had {base.unique:,} "
            f"({_pct(base.unique, current.unique)}, beyond the {policy.count_drop_tolerance * 100:g} % tolerance); "
            f"{len(vanished):,} ids vanished",
            request, sample(vanished),
        ))
    now_ids = set(current.ids)
    lost_required = [m for m, listed in base.required.items() if listed and m not in now_ids]
    if lost_required:
        findings.append(Finding(
            "baseline-required-vanished",
            f"{slug}: {len(lost_required)} required model(s) listed in {when} are gone",
            request, sample(lost_required),
        ))
    old_s, new_s = base.latency.median_s, current.latency.median_s
    factor = policy.latency_regression_factor
    if base.latency.requests and new_s > old_s * factor and new_s - old_s > policy.latency_noise_s:
        findings.append(Finding(
            "baseline-latency-regression",
            f"{slug}: median page latency {new_s:.2f} s, {when} had {old_s:.2f} s "
            f"({new_s / old_s if old_s else float('inf'):.1f}x, beyond the {factor:g}x factor)",
            request,
        ))
    if policy.ceiling is not None and current.rows > policy.ceiling >= base.rows:
        findings.append(Finding(
            "baseline-growth-past-ceiling",
            f"{slug}: grew from {base.rows:,} rows ({when}) to {current.rows:,}, past the ceiling of "
            f"{policy.ceiling:,}",
            request,
        ))
    return findings


def long_lived_vanished(baseline: Snapshot, current: GatewaySnapshot, *, now: datetime,
                        long_lived_days: int = LONG_LIVED_DAYS) -> list[str]:
    """Ids the baseline had listed for at least `long_lived_days` that are gone now (required ones aside: those
    fail on their own)."""
    base = baseline.gateways.get(current.slug)
    if base is None:
        return []
    cutoff = now - timedelta(days=long_lived_days)
    return [i for i in vanished_ids(base, current)
            if i not in base.required and _parse_time(baseline.first_seen(current.slug, i)) <= cutoff]


def changes(baseline: Snapshot, current: GatewaySnapshot, *, now: datetime | None = None,
            long_lived_days: int = LONG_LIVED_DAYS) -> list[str]:
    """What moved without failing (growth, churn within tolerance, long-lived ids retired): reported, not
    failed."""
    base = baseline.gateways.get(current.slug)
    if base is None:
        return [f"{current.slug}: not in the baseline of {baseline.taken_at} (new gateway): {current.unique:,} models"]
    notes = []
    added = sorted(set(current.ids) - set(base.ids))
    vanished = vanished_ids(base, current)
    if current.unique != base.unique:
        notes.append(f"{current.slug}: {base.unique:,} -> {current.unique:,} distinct models "
                     f"({_pct(base.unique, current.unique)})")
    if added:
        notes.append(f"{current.slug}: {len(added):,} new ids: {', '.join(sample(added, 3))}")
    if vanished:
        notes.append(f"{current.slug}: {len(vanished):,} ids vanished: {', '.join(sample(vanished, 3))}")
    long_lived = long_lived_vanished(baseline, current, now=now, long_lived_days=long_lived_days) if now else []
    if long_lived:
        notes.append(f"{current.slug}: {len(long_lived):,} of them listed for at least {long_lived_days} days "
                     f"(retired or health-gated?): {', '.join(sample(long_lived, 3))}")
    return notes


# -- the document (plain JSON data; the file is baseline_file.py) ------------------------------------


def to_dict(snapshot: Snapshot) -> dict[str, Any]:
    gateways = {}
    for slug, g in snapshot.gateways.items():
        cohorts: dict[str, list[str]] = {}
        for model_id, seen in sorted(g.first_seen.items()):
            cohorts.setdefault(seen, []).append(model_id)
        gateways[slug] = {
            "status": g.status, "complete": g.complete, "rows": g.rows, "unique": g.unique,
            "duplicates": g.duplicates, "required": dict(g.required),
            "latency": {"requests": g.latency.requests, "median_s": g.latency.median_s, "max_s": g.latency.max_s},
            "ids": list(g.ids),
            # Grouped by time: one timestamp per cohort instead of one per id keeps the file small.
            "first_seen": dict(sorted(cohorts.items())),
        }
    return {
        "format": FORMAT, "taken_at": snapshot.taken_at, "target": snapshot.target,
        "target_version": snapshot.target_version, "suite_version": snapshot.suite_version,
        "contract": snapshot.contract, "aggregate": snapshot.aggregate, "gateways": gateways,
    }


def from_dict(data: Any, where: str) -> Snapshot:
    """Parse a baseline document; BaselineError names the file and the key that is wrong."""

    def need(obj: Any, key: str, kind: type | tuple[type, ...], path: str) -> Any:
        if not isinstance(obj, dict) or key not in obj:
            raise BaselineError(f"{where}: {path}{key}: required key is missing")
        value = obj[key]
        if not isinstance(value, kind) or (isinstance(value, bool) and kind in (int, float, (int, float))):
            raise BaselineError(f"{where}: {path}{key}: expected {getattr(kind, '__name__', kind)}, "
                                f"got {type(value).__name__}")
        return value

    if not isinstance(data, dict):
        raise BaselineError(f"{where}: a baseline is a JSON object (written by `make baseline`)")
    version = need(data, "format", int, "")
    if version != FORMAT:
        raise BaselineError(f"{where}: format {version} is not supported (this suite reads format {FORMAT}); "
                            "take a new baseline with `make baseline`")
    taken_at = need(data, "taken_at", str, "")
    try:
        _parse_time(taken_at)
    except ValueError:
        raise BaselineError(f"{where}: taken_at: {taken_at!r} is not an ISO 8601 time") from None
    gateways = {}
    for slug, g in need(data, "gateways", dict, "").items():
        p = f"gateways.{slug}."
        latency = need(g, "latency", dict, p)
        first_seen = {str(i): str(t) for t, ids in (g.get("first_seen") or {}).items() for i in ids}
        gateways[slug] = GatewaySnapshot(
            slug=slug,
            status=g.get("status") if isinstance(g.get("status"), int) else None,
            complete=bool(g.get("complete", True)),
            rows=need(g, "rows", int, p),
            ids=tuple(sorted(str(i) for i in need(g, "ids", list, p))),
            required={str(k): bool(v) for k, v in need(g, "required", dict, p).items()},
            latency=Latency(
                requests=need(latency, "requests", int, p + "latency."),
                median_s=float(need(latency, "median_s", (int, float), p + "latency.")),
                max_s=float(need(latency, "max_s", (int, float), p + "latency.")),
            ),
            first_seen=first_seen,
        )
    return Snapshot(
        taken_at=taken_at, target=str(data.get("target", "")), target_version=data.get("target_version"),
        suite_version=str(data.get("suite_version", "")), contract=str(data.get("contract", "")),
        gateways=gateways, aggregate=data.get("aggregate"),
    )
