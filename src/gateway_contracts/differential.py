"""What a deploy changes: the candidate's catalogs compared with production's, with production's own noise apart.

Diffy's method (candidate against primary, a second primary to learn what is noise), applied to a model
catalog's data: production is read twice, the candidate once. What differs between production's own two reads
(rows that flap in and out under health gating, order, fields that change on every read) is noise: reported on
its own and never charged to the candidate. Everything else that differs between production and the candidate
is a `Change` with its finding kind (data/kinds.py, GC8xx): it fails when the contract's tolerances
(data/tolerances.py) say so, else it is reported.

Rows are keyed by id (the aggregate by `id@source_gateway`, as its floor counts them). A row's fields are
compared one level deep (`pricing.prompt`, `context_length`, `name`...): prices by the factor between the values
(a power of 1,000 is named a unit change), context lengths as zeroed, halved or different, every field by its
JSON type. Pure: no I/O; the walks are read by the caller (production.py, the contract test).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from gateway_contracts.data.findings import Finding, sample
from gateway_contracts.data.kinds import kind_of
from gateway_contracts.data.pages import Walk
from gateway_contracts.tolerances import DEFAULTS, Tolerances

MISSING = object()  # a field the row does not have (unlike null, which it has)
# A field that differs between production's two reads in more than this share of their common rows changes on
# every read (a timestamp, a cache age): volatile for the whole gateway, never compared.
VOLATILE_SHARE = 0.5
PRICE_PREFIX = "pricing"
CONTEXT = "context_length"
LISTED = 50  # ids kept per change in the changes file
SHOWN = 5  # ids a finding's evidence shows
UNIT_NAMES = {1: "per-thousand", 2: "per-million", 3: "per-billion"}


# -- the values compared ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Side:
    """One catalog as one server served it in one read: its status and its object rows, keyed."""

    name: str
    status: int | None
    rows: tuple[Mapping[str, Any], ...]
    keys: tuple[str, ...]  # one per row, in order (duplicates kept)

    @cached_property  # read by every step of a comparison; a frozen dataclass still has its __dict__
    def distinct(self) -> dict[str, Mapping[str, Any]]:
        """key -> the first row with that key."""
        out: dict[str, Mapping[str, Any]] = {}
        for key, row in zip(self.keys, self.rows, strict=True):
            out.setdefault(key, row)
        return out

    @property
    def duplicates(self) -> int:
        return len(self.keys) - len(set(self.keys))


def row_key(row: Mapping[str, Any], *, pairs: bool) -> str:
    model = row.get("id")
    key = model if isinstance(model, str) else repr(model)
    return f"{key}@{row.get('source_gateway')}" if pairs else key


def side_of(name: str, walk: Walk, *, pairs: bool = False) -> Side:
    """A side from a walk already fetched. `pairs`: the aggregate, one row per (id, source_gateway)."""
    rows = tuple(row for row in walk.rows if isinstance(row, dict))
    first = walk.first
    return Side(name, first.status if first else None, rows, tuple(row_key(r, pairs=pairs) for r in rows))


def flatten(row: Mapping[str, Any]) -> dict[str, Any]:
    """`{"pricing": {"prompt": "1"}}` -> `{"pricing": <dict>, "pricing.prompt": "1"}`: one level deep."""
    out: dict[str, Any] = {}
    for key, value in row.items():
        out[str(key)] = value
        if isinstance(value, dict):
            for inner, leaf in value.items():
                out[f"{key}.{inner}"] = leaf
    return out


def json_type(value: Any) -> str:
    if value is MISSING:
        return "absent"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _finite(value: Any) -> float | None:
    """A JSON number or a numeric string as a finite float; None for null, absent, a boolean or text."""
    if isinstance(value, bool) or value is None or value is MISSING:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def price(value: Any) -> float | None:
    """A price as a number (JSON number or decimal string); None: no usable price (null, absent, text, < 0)."""
    number = _finite(value)
    return number if number is not None and number >= 0 else None


def prices(flat: Mapping[str, Any]) -> dict[str, float]:
    prefix = PRICE_PREFIX + "."
    return {k: p for k, v in flat.items() if k.startswith(prefix) and (p := price(v)) is not None}


def context(value: Any) -> int | None:
    number = _finite(value)
    return None if number is None else int(number)


def factor_of(before: float, after: float) -> float:
    """after / before; a price from 0 to anything is an infinite factor, from anything to 0 a factor of 0."""
    if before == after:
        return 1.0
    if before == 0:
        return math.inf
    return after / before


def magnitude(factor: float) -> float:
    """How far from 1 a factor is, either way (x1000 and /1000 alike)."""
    if factor == 0 or math.isinf(factor):
        return math.inf
    return max(factor, 1 / factor)


def unit_change(factor: float) -> str | None:
    """`per-million` when the factor is 1,000,000 (or 1/1,000,000) within rounding: the notation of a price
    changed, not the price (the backend's double normalisation gave 5e-13 for 5e-7)."""
    if factor <= 0 or math.isinf(factor):
        return None
    steps = round(math.log(factor, 1000))
    if steps == 0 or abs(factor / 1000.0**steps - 1) > 1e-3:
        return None
    return UNIT_NAMES.get(abs(steps), f"1000^{abs(steps)}")


def _number(value: float) -> str:
    """1000000.0000001 -> `1,000,000`; 2.5 -> `2.5`."""
    return f"{round(value):,}" if value >= 10 and abs(value - round(value)) <= 1e-6 * value else f"{value:,.4g}"


def describe_factor(factor: float) -> str:
    if math.isinf(factor):
        return "from 0 to a price"
    if factor == 0:
        return "to 0"
    text = f"x{_number(factor)}" if factor >= 1 else f"/{_number(1 / factor)}"
    unit = unit_change(factor)
    return f"{text} (a unit change: {unit})" if unit else text


# -- what changed ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """One kind of difference on one catalog: a finding when `fails`, a reported change otherwise."""

    kind: str  # the finding kind's invariant name (compare-...)
    gateway: str
    fails: bool
    message: str
    ids: tuple[str, ...] = ()  # the keys it concerns (all of them, up to LISTED)
    count: int = 0
    detail: Mapping[str, Any] = field(default_factory=dict)  # numbers for machines: share, factor, before/after

    def finding(self, request: str | None = None) -> Finding:
        shown = sample(self.ids[:SHOWN], SHOWN)
        more = max(self.count, len(self.ids)) - len(shown) if self.ids else 0  # a count change lists no ids
        return Finding(self.kind, self.message, request, shown + ((f"(+{more:,} more)",) if more > 0 else ()))

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "code": kind_of(self.kind).code, "fails": self.fails, "message": self.message,
                "count": self.count, "ids": list(self.ids), **({"detail": dict(self.detail)} if self.detail else {})}


@dataclass(frozen=True)
class Noise:
    """What differed between production's own two reads: never charged to the candidate."""

    flapping: tuple[str, ...] = ()  # keys in one production read only (health gating)
    volatile: tuple[str, ...] = ()  # fields that changed on most rows between the reads
    unstable: tuple[str, ...] = ()  # `key field` pairs that changed between the reads
    reordered: bool = False  # the common rows came in another order
    rows: tuple[int, int] = (0, 0)  # rows of each read

    @property
    def quiet(self) -> bool:
        return not (self.flapping or self.volatile or self.unstable or self.reordered or self.rows[0] != self.rows[1])

    def lines(self, name: str) -> list[str]:
        out = []
        if self.flapping:
            out.append(f"{name}: {len(self.flapping):,} ids in one production read only (flapping): "
                       f"{', '.join(sample(self.flapping, 3))}")
        if self.rows[0] != self.rows[1]:
            out.append(f"{name}: production served {self.rows[0]:,} rows, then {self.rows[1]:,}")
        if self.volatile:
            out.append(f"{name}: fields that change on every production read: {', '.join(self.volatile)}")
        if self.unstable:
            out.append(f"{name}: {len(self.unstable):,} fields changed between production's reads: "
                       f"{', '.join(sample(self.unstable, 3))}")
        if self.reordered:
            out.append(f"{name}: production's two reads listed the rows in different orders")
        return out

    def as_dict(self) -> dict[str, Any]:
        return {"flapping": list(self.flapping[:LISTED]), "flapping_count": len(self.flapping),
                "volatile_fields": list(self.volatile), "unstable": list(self.unstable[:LISTED]),
                "unstable_count": len(self.unstable), "reordered": self.reordered, "rows": list(self.rows)}


@dataclass(frozen=True)
class CatalogDiff:
    """One catalog (gateway, group or aggregate): production's size, the candidate's, the changes, the noise."""

    name: str
    production_status: int | None
    candidate_status: int | None
    production_rows: int
    candidate_rows: int
    production_unique: int
    candidate_unique: int
    changes: tuple[Change, ...]
    noise: Noise

    @property
    def failing(self) -> list[Change]:
        return [c for c in self.changes if c.fails]

    @property
    def reported(self) -> list[Change]:
        return [c for c in self.changes if not c.fails]

    def findings(self, request: str | None = None) -> list[Finding]:
        return [c.finding(request) for c in self.failing]

    def of(self, kind: str) -> Change | None:
        return next((c for c in self.changes if c.kind == kind), None)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "production": {"status": self.production_status, "rows": self.production_rows,
                           "unique": self.production_unique},
            "candidate": {"status": self.candidate_status, "rows": self.candidate_rows,
                          "unique": self.candidate_unique},
            "changes": [c.as_dict() for c in self.changes],
            "noise": self.noise.as_dict(),
        }


def _pct(share: float) -> str:
    return f"{share * 100:.1f} %"


def _listed(keys: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted(keys))[:LISTED]


def learn_noise(first: Side, second: Side) -> tuple[Noise, set[tuple[str, str]], set[str]]:
    """What production's two reads disagree on: the Noise value, the unstable (key, field) pairs and the
    volatile fields (the last two are what the comparison skips)."""
    a, b = first.distinct, second.distinct
    flapping = set(a) ^ set(b)
    common = [k for k in a if k in b]
    differing: dict[str, list[str]] = {}
    for key in common:
        fa, fb = flatten(a[key]), flatten(b[key])
        for path in set(fa) | set(fb):
            if fa.get(path, MISSING) != fb.get(path, MISSING) and not isinstance(fa.get(path), dict):
                differing.setdefault(path, []).append(key)
    volatile = {path for path, keys in differing.items() if common and len(keys) / len(common) > VOLATILE_SHARE}
    unstable = {(key, path) for path, keys in differing.items() if path not in volatile for key in keys}
    order_a = [k for k in first.keys if k in b]
    order_b = [k for k in second.keys if k in a]
    noise = Noise(
        flapping=tuple(sorted(flapping)),
        volatile=tuple(sorted(volatile)),
        unstable=tuple(sorted(f"{k} {p}" for k, p in unstable)),
        reordered=list(dict.fromkeys(order_a)) != list(dict.fromkeys(order_b)),
        rows=(len(first.rows), len(second.rows)),
    )
    return noise, unstable, volatile


def compare_catalog(first: Side, second: Side, candidate: Side, tolerances: Tolerances = DEFAULTS,
                    required: Sequence[str] = ()) -> CatalogDiff:
    """The candidate's catalog against production's two reads of it (`first`, `second`)."""
    name = candidate.name
    noise, unstable, volatile = learn_noise(first, second)
    prod_a, prod_b, cand = first.distinct, second.distinct, candidate.distinct
    stable = [k for k in prod_a if k in prod_b]  # in both production reads: what the candidate is held to
    changes: list[Change] = []
    production_unique = len(prod_a)

    removed = [k for k in stable if k not in cand]
    if removed:
        share = len(removed) / max(1, len(stable))
        gone = (f" (it answers HTTP {candidate.status})" if candidate.status != 200 else "")
        changes.append(Change(
            "compare-ids-removed", name, share > tolerances.max_removed_share,
            f"{name}: {len(removed):,} of production's {len(stable):,} ids are gone from the candidate{gone} "
            f"({_pct(share)}; tolerance {_pct(tolerances.max_removed_share)})",
            _listed(removed), len(removed), {"share": round(share, 6), "production_ids": len(stable)}))
    added = [k for k in cand if k not in prod_a and k not in prod_b]
    if added:
        share = len(added) / max(1, production_unique)
        changes.append(Change(
            "compare-ids-added", name, False,
            f"{name}: {len(added):,} ids the candidate lists that production does not ({_pct(share)} of "
            f"production's {production_unique:,})",
            _listed(added), len(added), {"share": round(share, 6)}))
    changes += _count_changes(first, second, candidate, tolerances)
    changes += _row_changes(first, candidate, stable, unstable, volatile, tolerances, required)
    return CatalogDiff(name, first.status, candidate.status, len(first.rows), len(candidate.rows),
                       production_unique, len(cand), tuple(changes), noise)


def _count_changes(first: Side, second: Side, candidate: Side, tolerances: Tolerances) -> list[Change]:
    """Rows served and rows repeating an id, each beyond production's own swing between its reads."""
    name, out = candidate.name, []
    # Production's own swing: from the rows both reads list to the rows either lists (rows flapping under health
    # gating may all be out, or all in, of the candidate's read).
    in_second, in_first = set(second.keys), set(first.keys)
    both = sum(1 for k in first.keys if k in in_second)
    either = len(first.rows) + sum(1 for k in second.keys if k not in in_first)
    low, high = min(len(first.rows), len(second.rows), both), max(len(first.rows), len(second.rows), either)
    rows = len(candidate.rows)
    if not low <= rows <= high:
        nearest = low if rows < low else high
        share = abs(rows - nearest) / max(1, nearest)
        band = f"{low:,}" if low == high else f"{low:,}-{high:,}"
        moved = (rows - nearest) / max(1, nearest)
        out.append(Change(
            "compare-count", name, share > tolerances.max_count_change_share,
            f"{name}: the candidate serves {rows:,} rows, production {band} ({moved:+.1%}; "
            f"tolerance {_pct(tolerances.max_count_change_share)})",
            (), abs(rows - nearest),
            {"production_rows": [low, high], "candidate_rows": rows, "share": round(share, 6)}))
    dup_prod = max(first.duplicates, second.duplicates)
    dup_cand = candidate.duplicates
    if dup_cand > dup_prod:
        share = (dup_cand - dup_prod) / max(1, len(first.rows))
        repeated = [k for k, n in _counts(candidate.keys).items() if n > 1]
        out.append(Change(
            "compare-duplicates", name, share > tolerances.max_count_change_share,
            f"{name}: {dup_cand:,} of the candidate's rows repeat an id, production's {dup_prod:,} "
            f"({_pct(share)} of production's rows; tolerance {_pct(tolerances.max_count_change_share)})",
            _listed(repeated), dup_cand - dup_prod,
            {"production_duplicates": dup_prod, "candidate_duplicates": dup_cand, "share": round(share, 6)}))
    return out


def _counts(keys: Iterable[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for key in keys:
        out[key] = out.get(key, 0) + 1
    return out


@dataclass
class _RowFindings:
    """What the row-by-row pass collects before it is grouped into changes."""

    repriced: dict[float, list[str]] = field(default_factory=dict)  # rounded factor -> keys
    unpriced: list[str] = field(default_factory=list)
    priced: list[str] = field(default_factory=list)
    zeroed: list[str] = field(default_factory=list)
    halved: list[str] = field(default_factory=list)
    context: list[str] = field(default_factory=list)
    retyped: dict[str, list[str]] = field(default_factory=dict)  # "field: string -> number" -> keys
    required: dict[str, list[str]] = field(default_factory=dict)  # required key -> changed fields
    fields: dict[str, list[str]] = field(default_factory=dict)  # changed field (a leaf) -> keys
    compared: int = 0  # rows in production and the candidate both


def _row_changes(production: Side, candidate: Side, stable: Sequence[str], unstable: set[tuple[str, str]],
                 volatile: set[str], tolerances: Tolerances, required: Sequence[str]) -> list[Change]:
    prod, cand = production.distinct, candidate.distinct
    wanted = set(required)
    seen = _RowFindings()
    for key in stable:
        if key not in cand:
            continue
        seen.compared += 1
        before, after = flatten(prod[key]), flatten(cand[key])
        skip = {p for p in set(before) | set(after) if p in volatile or (key, p) in unstable}
        changed = [p for p in sorted(set(before) | set(after))
                   if p not in skip and before.get(p, MISSING) != after.get(p, MISSING)]
        if not changed:
            continue
        _judge_row(key, before, after, changed, skip, seen)
        # The leaves that changed: an object whose members are compared one by one is not a change of its own.
        leaves = [p for p in changed if not (isinstance(before.get(p), dict) and isinstance(after.get(p), dict))]
        for path in leaves:
            seen.fields.setdefault(path, []).append(key)
        base_id = key.split("@", 1)[0]
        if leaves and (key in wanted or base_id in wanted):
            seen.required[key] = leaves
    # A field that changed on most rows changed for the catalog, not for one model (a sync time written per
    # instance, a unit): its own kinds report it; a required model's row is held to what changed for it alone.
    wide = {p for p, keys in seen.fields.items() if len(keys) >= 2 and len(keys) > VOLATILE_SHARE * seen.compared}
    seen.required = {k: [p for p in paths if p not in wide] for k, paths in seen.required.items()}
    seen.required = {k: paths for k, paths in seen.required.items() if paths}
    return _grouped(candidate.name, len(prod), seen, tolerances)


def _judge_row(key: str, before: Mapping[str, Any], after: Mapping[str, Any], changed: Sequence[str],
               skip: set[str], seen: _RowFindings) -> None:
    for path in changed:
        old, new = before.get(path, MISSING), after.get(path, MISSING)
        # A type change: a value of one JSON type now another, or gone (null, or appearing, is not: optional).
        if old not in (None, MISSING) and json_type(old) != json_type(new) and new is not None:
            seen.retyped.setdefault(f"{path}: {json_type(old)} -> {json_type(new)}", []).append(key)
    old_prices = {p: v for p, v in prices(before).items() if p not in skip}
    new_prices = {p: v for p, v in prices(after).items() if p not in skip}
    if old_prices and not new_prices and PRICE_PREFIX not in skip:
        seen.unpriced.append(key)
    elif new_prices and not old_prices and PRICE_PREFIX not in skip:
        seen.priced.append(key)
    else:
        factors = [factor_of(old_prices[p], new_prices[p]) for p in old_prices if p in new_prices]
        moved = [f for f in factors if f != 1.0 and not math.isclose(f, 1.0, rel_tol=1e-9)]
        if moved:
            worst = max(moved, key=magnitude)
            seen.repriced.setdefault(_rounded(worst), []).append(key)
    if CONTEXT in changed:
        old_ctx, new_ctx = context(before.get(CONTEXT, MISSING)), context(after.get(CONTEXT, MISSING))
        if old_ctx and not new_ctx:
            seen.zeroed.append(key)
        elif old_ctx and new_ctx and new_ctx * 2 == old_ctx:
            seen.halved.append(key)
        elif old_ctx != new_ctx:
            seen.context.append(key)


def _rounded(factor: float) -> float:
    if factor == 0 or math.isinf(factor):
        return factor
    return float(f"{factor:.4g}")


def _grouped(name: str, production_rows: int, seen: _RowFindings, tolerances: Tolerances) -> list[Change]:
    out: list[Change] = []
    over = lambda keys: len(keys) / max(1, production_rows) > tolerances.max_changed_share  # noqa: E731
    for factor, keys in sorted(seen.repriced.items(), key=lambda item: -magnitude(item[0])):
        fails = magnitude(factor) >= tolerances.price_fail_factor
        detail = {"factor": None if math.isinf(factor) else factor, "unit_change": unit_change(factor)}
        out.append(Change(
            "compare-price", name, fails,
            f"{name}: the candidate changes the price of {len(keys):,} models {describe_factor(factor)} "
            f"(fails at a factor of {tolerances.price_fail_factor:,g} either way)",
            _listed(keys), len(keys), detail))
    if seen.unpriced:
        out.append(Change(
            "compare-priced", name, over(seen.unpriced),
            f"{name}: {len(seen.unpriced):,} models priced in production have no price in the candidate "
            f"(tolerance {_pct(tolerances.max_changed_share)} of {production_rows:,})",
            _listed(seen.unpriced), len(seen.unpriced), {"direction": "priced -> unpriced"}))
    if seen.priced:
        out.append(Change(
            "compare-priced", name, False,
            f"{name}: {len(seen.priced):,} models unpriced in production have a price in the candidate",
            _listed(seen.priced), len(seen.priced), {"direction": "unpriced -> priced"}))
    if seen.zeroed:
        out.append(Change(
            "compare-context-zeroed", name, over(seen.zeroed),
            f"{name}: the candidate zeroes (or drops) the context length of {len(seen.zeroed):,} models "
            f"(tolerance {_pct(tolerances.max_changed_share)} of {production_rows:,})",
            _listed(seen.zeroed), len(seen.zeroed)))
    if seen.halved:
        out.append(Change("compare-context-halved", name, False,
                          f"{name}: the candidate halves the context length of {len(seen.halved):,} models",
                          _listed(seen.halved), len(seen.halved)))
    if seen.context:
        out.append(Change("compare-context-changed", name, False,
                          f"{name}: the candidate changes the context length of {len(seen.context):,} models",
                          _listed(seen.context), len(seen.context)))
    for what, keys in sorted(seen.retyped.items()):
        out.append(Change("compare-field-type", name, True,
                          f"{name}: {what} in {len(keys):,} models (production's type breaks in the candidate)",
                          _listed(keys), len(keys), {"field": what}))
    retyped_fields = {what.split(":", 1)[0] for what in seen.retyped}
    for path, keys in sorted(seen.fields.items()):
        if path.startswith(PRICE_PREFIX) or path == CONTEXT or path in retyped_fields:
            continue  # reported by their own kinds
        out.append(Change("compare-field-changed", name, False,
                          f"{name}: {path} changed on {len(keys):,} of the {seen.compared:,} rows both list",
                          _listed(keys), len(keys), {"field": path, "rows": seen.compared}))
    if seen.required:
        fields = "; ".join(f"{key}: {', '.join(paths)}" for key, paths in sorted(seen.required.items()))
        out.append(Change("compare-required-changed", name, True,
                          f"{name}: required models whose row the candidate changes ({fields})",
                          _listed(seen.required), len(seen.required),
                          {"fields": {k: v for k, v in sorted(seen.required.items())}}))
    return out


# -- the registry ----------------------------------------------------------------------------------


def compare_registry(first: Iterable[str] | None, second: Iterable[str] | None,
                     candidate: Iterable[str] | None) -> tuple[list[Change], tuple[str, ...]]:
    """Gateway names (slugs and aliases, lower case) the registry lost or gained, and the names that flapped
    between production's reads (noise). A registry that did not answer on one side compares nothing."""
    if first is None or second is None or candidate is None:
        return [], ()
    a, b, c = set(first), set(second), set(candidate)
    lost = sorted((a & b) - c)
    gained = sorted(c - a - b)
    changes = []
    if lost:
        changes.append(Change("compare-registry-lost", "registry", True,
                              f"the candidate's registry no longer lists {len(lost)} name(s) production lists: "
                              f"{', '.join(lost[:10])}", tuple(lost), len(lost)))
    if gained:
        changes.append(Change("compare-registry-gained", "registry", False,
                              f"the candidate's registry lists {len(gained)} name(s) production does not: "
                              f"{', '.join(gained[:10])}", tuple(gained), len(gained)))
    return changes, tuple(sorted(a ^ b))
