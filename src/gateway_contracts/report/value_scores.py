"""The values scorecard: per gateway, what its catalog's values measure against the contract's bounds (pure).

One row per contracted gateway, from the rows the run's walk read (no new request): rows, unknown-context share,
unpriced share, placeholder shares (context, price), out-of-band prices, duplicates and reference mismatches,
each with its bound and whether it holds. A release manager reads it at a glance as a heat map (`heatmap_svg`:
inline SVG, no script, no URL); the run record keeps it, the history keeps a short point per run, and `trend`
says how each measure moved since the previous run of the same target.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from html import escape
from typing import Any

from gateway_contracts.contract_model import Contract, Gateway
from gateway_contracts.invariants import values
from gateway_contracts.invariants.models import has_known_context, is_priced

# The measures, in column order: key, heading, how a value reads (share or count).
MEASURES: tuple[tuple[str, str, str], ...] = (
    ("rows", "rows", "count"),
    ("duplicates", "duplicate rows", "count"),
    ("unknown_context", "unknown context", "share"),
    ("unpriced", "unpriced", "share"),
    ("placeholder_context", "placeholder context", "share"),
    ("placeholder_price", "placeholder price", "share"),
    ("out_of_band", "prices out of band", "count"),
    ("reference_mismatch", "reference mismatches", "share"),
    ("callable", "callable share", "share"),  # the chat probe's (invariants/callable.py), when the run probed
)
_KINDS = {key: kind for key, _, kind in MEASURES}


@dataclass(frozen=True)
class Measure:
    key: str
    value: float | None  # None: not measurable here (no reference, no rows)
    bound: float | None  # None: not checked (a share bound of 1.0 checks nothing)
    low: float | None = None  # a lower bound (rows: the floor)

    @property
    def holds(self) -> bool | None:
        """True or False against the bound; None when nothing is checked or measured."""
        if self.value is None or (self.bound is None and self.low is None):
            return None
        return (self.bound is None or self.value <= self.bound) and (self.low is None or self.value >= self.low)

    @property
    def load(self) -> float | None:
        """How close to its bound (1.0 at the bound, above 1 over it), for the picture's colour."""
        if self.holds is None or self.value is None:
            return None
        if self.holds is False:
            return 2.0
        if self.bound is None or self.bound == 0:
            return 0.0
        return self.value / self.bound

    def text(self) -> str:
        if self.value is None:
            return "-"
        return f"{self.value:.0%}" if _KINDS[self.key] == "share" else f"{self.value:,.0f}"

    def bound_text(self) -> str:
        share = _KINDS[self.key] == "share"
        show = (lambda v: f"{v:.0%}") if share else (lambda v: f"{v:,.0f}")
        if self.low is not None and self.bound is not None:
            return f"{show(self.low)}..{show(self.bound)}"
        if self.low is not None:
            return f">= {show(self.low)}"
        return f"<= {show(self.bound)}" if self.bound is not None else "not checked"


@dataclass(frozen=True)
class GatewayScore:
    gateway: str
    measures: tuple[Measure, ...]

    def measure(self, key: str) -> Measure:
        return next(m for m in self.measures if m.key == key)

    @property
    def broken(self) -> list[str]:
        return [m.key for m in self.measures if m.holds is False]


def _share_bound(bound: float) -> float | None:
    return None if bound >= 1.0 else bound


def score_gateway(gateway: Gateway, rows: Sequence[Any]) -> GatewayScore:
    """One gateway's row of the scorecard, from the rows its walk read and the contract's bounds for it. The
    reference mismatches are not worked out here: `with_reference` takes what the reference contract found."""
    n = len(rows)
    ids = [r.get("id") for r in rows if isinstance(r, dict)]
    share = (lambda count: count / n) if n else (lambda count: None)
    bounds = gateway.values
    low, high = bounds.price_band_per_million
    band = values.PriceBand(Decimal(str(low)), Decimal(str(high)))
    context, price = values.context_placeholder(rows), values.price_placeholder(rows)
    measures = (
        Measure("rows", n, gateway.max_models, low=gateway.min_models),
        Measure("duplicates", n - len(set(map(_hashable, ids))), 0),
        Measure("unknown_context", share(sum(1 for r in rows if not has_known_context(r))),
                _share_bound(gateway.max_unknown_context_share)),
        Measure("unpriced", share(sum(1 for r in rows if not is_priced(r))), _share_bound(gateway.max_unpriced_share)),
        Measure("placeholder_context", context.share if n else None,
                _share_bound(bounds.max_placeholder_context_share) if context.judged else None),
        Measure("placeholder_price", price.share if n else None,
                _share_bound(bounds.max_placeholder_price_share) if price.judged else None),
        Measure("out_of_band", len({o.model_id for o in values.out_of_band(rows, band)}), 0),
        Measure("reference_mismatch", None, None),
    )
    return GatewayScore(gateway.slug, measures)


def with_callable(score: GatewayScore, probe: Any) -> GatewayScore:
    """The gateway's callable share (the share of the day's sample of its listed models that answered chat)
    against its least share, from the probe's summary in the run record (`callable`); unchanged without one."""
    if not isinstance(probe, Mapping):
        return score
    measure = Measure("callable", _num(probe.get("share")), None, low=_num(probe.get("bound")))
    return GatewayScore(score.gateway, (*(m for m in score.measures if m.key != "callable"), measure))


def scorecard(contract: Contract, walked: Mapping[str, Sequence[Any] | None]) -> list[GatewayScore]:
    """Every contracted gateway the run walked, in contract order."""
    return [score_gateway(g, rows) for g in contract.gateways if (rows := walked.get(g.slug)) is not None]


def with_reference(score: GatewayScore, fact: Any) -> GatewayScore:
    """The reference measure from what `test_values_match_reference` published for the gateway (compared,
    mismatched, bound), when it ran: the comparison is made once, by the contract that holds the reference."""
    if not isinstance(fact, Mapping) or not fact.get("compared"):
        return score
    measure = Measure("reference_mismatch", fact.get("mismatched", 0) / fact["compared"], _num(fact.get("bound")))
    return GatewayScore(score.gateway, tuple(measure if m.key == "reference_mismatch" else m for m in score.measures))


# -- the record, the history and the trend ------------------------------------------------------------------


def to_record(card: Sequence[GatewayScore]) -> list[dict[str, Any]]:
    return [{"gateway": s.gateway, "measures": {m.key: {"value": m.value, "bound": m.bound, "low": m.low}
                                                for m in s.measures}} for s in card]


def from_record(data: Any) -> list[GatewayScore]:
    """The scorecard as the run record keeps it; malformed parts are skipped (an old or hand-edited record)."""
    card = []
    for entry in data if isinstance(data, list) else ():
        if not isinstance(entry, dict) or not isinstance(entry.get("measures"), dict):
            continue
        measures = tuple(Measure(key, _num(m.get("value")), _num(m.get("bound")), _num(m.get("low")))
                         for key, m in entry["measures"].items() if key in _KINDS and isinstance(m, dict))
        card.append(GatewayScore(str(entry.get("gateway")), measures))
    return card


def trend_point(card: Sequence[GatewayScore]) -> dict[str, dict[str, float | None]]:
    """This run's values, short, for history.jsonl: gateway -> measure -> value."""
    return {s.gateway: {m.key: m.value for m in s.measures} for s in card}


def trend(card: Sequence[GatewayScore], earlier: Sequence[Any]) -> dict[tuple[str, str], float]:
    """(gateway, measure) -> change since the latest earlier point that has it (history, oldest first)."""
    moved: dict[tuple[str, str], float] = {}
    for score in card:
        for m in score.measures:
            if m.value is None:
                continue
            for point in reversed(earlier):
                before = point.get(score.gateway, {}).get(m.key) if isinstance(point, dict) else None
                if isinstance(before, int | float):
                    moved[(score.gateway, m.key)] = m.value - before
                    break
    return moved


# -- the picture --------------------------------------------------------------------------------------------

_CELL_W, _CELL_H, _LABEL_W, _HEAD_H = 92, 22, 130, 44
_COLOURS = {"over": "#d9534f", "near": "#f0ad4e", "ok": "#5cb85c", "none": "#e6e6e6"}


def _colour(measure: Measure) -> str:
    load = measure.load
    if load is None:
        return _COLOURS["none"]
    return _COLOURS["over"] if load > 1 else _COLOURS["near"] if load >= 0.8 and measure.bound else _COLOURS["ok"]


def heatmap_svg(card: Sequence[GatewayScore], moved: Mapping[tuple[str, str], float] | None = None) -> str:
    """Gateways down, measures across; red over its bound, amber within 20 % of it, green well within, grey not
    checked. Each cell shows the value (and its trend arrow) and holds a tooltip with the bound. Inline SVG."""
    moved = moved or {}
    width = _LABEL_W + _CELL_W * len(MEASURES)
    height = _HEAD_H + _CELL_H * len(card) + 4
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
           f'aria-label="values scorecard" font-family="sans-serif" font-size="11">']
    for col, (_, heading, _) in enumerate(MEASURES):
        x = _LABEL_W + col * _CELL_W + _CELL_W / 2
        first, _, second = heading.partition(" ")
        out.append(f'<text x="{x:.0f}" y="18" text-anchor="middle" font-weight="bold">{escape(first)}</text>')
        if second:
            out.append(f'<text x="{x:.0f}" y="32" text-anchor="middle" font-weight="bold">{escape(second)}</text>')
    for row, score in enumerate(card):
        y = _HEAD_H + row * _CELL_H
        out.append(f'<text x="{_LABEL_W - 6}" y="{y + 15}" text-anchor="end">{escape(score.gateway)}</text>')
        for col, (key, heading, _) in enumerate(MEASURES):
            measure = next((m for m in score.measures if m.key == key), Measure(key, None, None))
            x = _LABEL_W + col * _CELL_W
            trend_mark = arrow(moved.get((score.gateway, key)))
            tip = f"{score.gateway} {heading}: {measure.text()} (bound {measure.bound_text()})"
            out.append(f'<g><title>{escape(tip)}</title><rect x="{x + 1}" y="{y + 1}" width="{_CELL_W - 2}" '
                       f'height="{_CELL_H - 2}" rx="3" fill="{_colour(measure)}"/>'
                       f'<text x="{x + _CELL_W / 2:.0f}" y="{y + 15}" text-anchor="middle">'
                       f'{escape(measure.text() + trend_mark)}</text></g>')
    out.append("</svg>")
    return "".join(out)


def arrow(change: float | None) -> str:
    if not change:
        return ""
    return " \u2191" if change > 0 else " \u2193"


def _num(value: Any) -> float | None:
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


def _hashable(value: Any) -> Any:
    return value if isinstance(value, str | int | float | bool | None) else repr(value)
