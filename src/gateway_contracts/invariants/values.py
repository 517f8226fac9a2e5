"""Catalog values a user can trust (R20 units, placeholders, an outside reference): pure, over parsed rows.

A price is checked for form elsewhere (`models.price_problem`); here for plausibility. Per-token fields
(`prompt`, `completion`) must fall inside a band of dollars per million tokens, so a price served per million
(`"0.15"` for 0.00000015 a token), per thousand, or normalised twice (`5e-13`) is named by its likely notation.
Free (`"0"`) is never out of band, and per-image or per-request fields are not per-token, so they are not read.

Placeholders: one and the same context length (or price pair) on a large share of a gateway's rows is what a
normaliser writes when it did not read the value (LiteLLM's 128,000 on every model). It is right for some
providers, so the bound is the contract's.

Reference: prices and context lengths compared with a catalog in LiteLLM's `model_prices_and_context_window`
format (a JSON object of model key -> `input_cost_per_token`, `output_cost_per_token`, `max_input_tokens`,
`litellm_provider`), each mismatch labelled as a unit factor or a different value.

Every measure is exposed on its own (`out_of_band`, `placeholder`, `reference_mismatches`) for the scorecard;
the `check_*` functions turn a measure and its bound into findings.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from gateway_contracts.data.findings import Finding, sample
from gateway_contracts.data.jsontypes import is_int

PER_TOKEN_FIELDS = ("prompt", "completion")  # the per-token prices; request, image, ... are per call or per item
MILLION = Decimal(1_000_000)
# The plausible band in dollars per million tokens: the cheapest real text models cost about $0.01 per million,
# the dearest a few hundred dollars; one order of magnitude of headroom each side.
DEFAULT_BAND = (Decimal("0.001"), Decimal("1000"))
DEFAULT_COMPLETION_DISCOUNT = Decimal(10)  # a completion may cost at most 10x less than its prompt
PLACEHOLDER_MIN_ROWS = 10  # a share of a handful of rows says nothing about placeholders
DEFAULT_TOLERANCE = Decimal("0.05")  # a reference value within 5 % is the same value
# How a mis-scaled value reads, by the factor between what is served and what was meant (served = meant x factor).
_NOTATIONS: tuple[tuple[Decimal, str], ...] = (
    (Decimal(10) ** 6, "per million tokens"),
    (Decimal(10) ** 3, "per thousand tokens"),
    (Decimal(10) ** -6, "normalised twice (divided by a million once more)"),
    (Decimal(10) ** -3, "divided by a thousand once more"),
)
_TYPICAL_PER_MILLION = Decimal(1)  # the middle of real prices: the tie-break between two readings in band


@dataclass(frozen=True)
class PriceBand:
    """Plausible per-token prices, stated in dollars per million tokens (`low` <= price <= `high`)."""

    low: Decimal = DEFAULT_BAND[0]
    high: Decimal = DEFAULT_BAND[1]

    def holds(self, per_million: Decimal) -> bool:
        return self.low <= per_million <= self.high

    def describe(self) -> str:
        return f"${_plain(self.low)} to ${_plain(self.high)} per million tokens"


def price_value(value: Any) -> Decimal | None:
    """A served price as a number, or None: null, a non-string or a malformed string (the pricing contract
    reports its form) has no value to judge."""
    if not isinstance(value, str) or value.startswith("-"):
        return None
    try:
        number = Decimal(value)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def likely_notation(per_token: Decimal | Sequence[Decimal], band: PriceBand) -> str | None:
    """The notation that would put out-of-band prices back in band, or None if none does. Given a gateway's
    prices (one slip for all of them), the notation that puts the most in band; of two that do equally, the one
    nearer a typical price ($1 per million): "0.15" reads as $0.15 per million, not $150."""
    prices = [per_token] if isinstance(per_token, Decimal) else list(per_token)
    candidates = []
    for factor, label in _NOTATIONS:
        fixed = [p * MILLION / factor for p in prices if band.holds(p * MILLION / factor)]
        if fixed:
            spread = sum(abs(_log10(f) - _log10(_TYPICAL_PER_MILLION)) for f in fixed) / len(fixed)
            candidates.append((-len(fixed), spread, label))
    return min(candidates)[2] if candidates else None


@dataclass(frozen=True)
class OutOfBand:
    model_id: str
    field: str
    value: str  # as served
    reading: str  # "above the band: likely per million tokens", ...


def out_of_band(rows: Sequence[Any], band: PriceBand) -> list[OutOfBand]:
    """Every non-zero per-token price outside the band, with the notation its gateway's prices are likely in (one
    reading per side of the band: a unit slip is the gateway's, not one row's)."""
    found: list[tuple[str, str, str, Decimal, str]] = []
    for index, row in enumerate(rows):
        pricing = row.get("pricing") if isinstance(row, dict) else None
        if not isinstance(pricing, dict):
            continue
        for field in PER_TOKEN_FIELDS:
            price = price_value(pricing.get(field))
            if price is None or price == 0 or band.holds(price * MILLION):
                continue
            side = "above" if price * MILLION > band.high else "below"
            found.append((_label(row, index), field, str(pricing.get(field)), price, side))
    readings = {}
    for side in ("above", "below"):
        notation = likely_notation([price for *_, price, s in found if s == side], band)
        readings[side] = f"{side} the band: likely {notation}" if notation else f"{side} the band"
    return [OutOfBand(model_id, field, value, readings[side]) for model_id, field, value, _, side in found]


def check_price_band(rows: Sequence[Any], band: PriceBand, *, request: str | None = None) -> list[Finding]:
    """Per-token prices outside the band, one finding per reading, naming the ids and an example."""
    by_reading: dict[str, list[OutOfBand]] = {}
    for item in out_of_band(rows, band):
        by_reading.setdefault(item.reading, []).append(item)
    findings = []
    for reading, items in by_reading.items():
        models = list(dict.fromkeys(i.model_id for i in items))
        example = items[0]
        per_million = _plain(Decimal(example.value) * MILLION)
        findings.append(Finding(
            "price-band",
            f"{len(models)} model(s) with a per-token price {reading} (expected {band.describe()}; e.g. "
            f"{example.model_id} pricing.{example.field} {example.value!r} is ${per_million} per million tokens)",
            request, sample(models)))
    return findings


def check_completion_discount(rows: Sequence[Any], *, max_discount: Decimal,
                              request: str | None = None) -> list[Finding]:
    """A completion priced more than `max_discount` times below its prompt (completions cost as much or more;
    the reverse is a swapped pair or a unit slip on one field). A free completion (embeddings) is not judged."""
    cheap: list[str] = []
    example = ""
    for index, row in enumerate(rows):
        pricing = row.get("pricing") if isinstance(row, dict) else None
        if not isinstance(pricing, dict):
            continue
        prompt, completion = price_value(pricing.get("prompt")), price_value(pricing.get("completion"))
        if prompt and completion and prompt > completion * max_discount:
            cheap.append(_label(row, index))
            example = example or (f"{cheap[-1]}: prompt {pricing['prompt']!r}, completion {pricing['completion']!r}, "
                                  f"{_plain(_round(prompt / completion))}x cheaper")
    if not cheap:
        return []
    return [Finding("completion-discount",
                    f"{len(cheap)} model(s) with a completion price more than {_plain(max_discount)}x below the "
                    f"prompt price (e.g. {example})", request, sample(cheap))]


@dataclass(frozen=True)
class Placeholder:
    """The most common value of a field across a gateway's rows."""

    value: Any  # None when no row has one
    count: int
    rows: int

    @property
    def share(self) -> float:
        return self.count / self.rows if self.rows else 0.0

    @property
    def judged(self) -> bool:
        return self.rows >= PLACEHOLDER_MIN_ROWS


def context_placeholder(rows: Sequence[Any]) -> Placeholder:
    """The commonest known (positive) context length; unknown ones are the context-coverage contract's."""
    values = [r.get("context_length") for r in rows if isinstance(r, dict)]
    return _commonest([v for v in values if is_int(v) and v > 0], len(rows))


def price_placeholder(rows: Sequence[Any]) -> Placeholder:
    """The commonest non-free (prompt, completion) pair; free rows are not counted (a gateway may serve many)."""
    pairs = []
    for row in rows:
        pricing = row.get("pricing") if isinstance(row, dict) else None
        if isinstance(pricing, dict):
            pair = tuple(price_value(pricing.get(f)) for f in PER_TOKEN_FIELDS)
            if any(pair):
                pairs.append(tuple(_plain(p) if p is not None else None for p in pair))
    return _commonest(pairs, len(rows))


def check_placeholders(rows: Sequence[Any], *, max_context_share: float, max_price_share: float,
                       request: str | None = None) -> list[Finding]:
    """One context length, or one price pair, on more than the bound's share of the rows. Not checked at 1.0,
    nor on a gateway of fewer than PLACEHOLDER_MIN_ROWS rows."""
    findings = []
    for what, measured, bound in (("context length", context_placeholder(rows), max_context_share),
                                  ("price (prompt, completion)", price_placeholder(rows), max_price_share)):
        if bound >= 1.0 or not measured.judged or measured.share <= bound:
            continue
        ids = [_label(r, i) for i, r in enumerate(rows) if _carries(r, what, measured.value)]
        findings.append(Finding(
            "placeholder-values",
            f"{measured.count} of {measured.rows} models ({measured.share:.0%}) carry the same {what} "
            f"{_show(measured.value)}; at most {bound:.0%} allowed (a placeholder, not the models' own values?)",
            request, sample(ids)))
    return findings


# -- the reference catalog ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReferenceEntry:
    prompt: Decimal | None  # per token
    completion: Decimal | None
    context: int | None  # max_input_tokens


def reference_entries(document: Any, provider: str) -> dict[str, ReferenceEntry]:
    """A LiteLLM-format catalog's entries of one `litellm_provider`, by key and by key without the provider's
    prefix (`deepinfra/meta-llama/X` is found as `meta-llama/X` too). Malformed entries are skipped."""
    entries: dict[str, ReferenceEntry] = {}
    if not isinstance(document, dict):
        return entries
    for key, value in document.items():
        if not isinstance(value, dict) or value.get("litellm_provider") != provider:
            continue
        context = value.get("max_input_tokens")
        entry = ReferenceEntry(_cost(value.get("input_cost_per_token")), _cost(value.get("output_cost_per_token")),
                               context if is_int(context) and context > 0 else None)
        entries.setdefault(key, entry)
        entries.setdefault(key.removeprefix(f"{provider}/"), entry)
    return entries


def reference_key(model_id: str, gateway: str, entries: Mapping[str, ReferenceEntry]) -> str | None:
    """The reference's key for a served id: the id, without a leading `@`, or without the gateway's prefix."""
    bare = model_id.lstrip("@")
    for candidate in (model_id, bare, bare.removeprefix(f"{gateway}/")):
        if candidate in entries:
            return candidate
    return None


def mismatch_label(served: Decimal, reference: Decimal, tolerance: Decimal) -> str | None:
    """None when the two agree within the relative tolerance; else a unit factor or a different value."""
    if served == reference:
        return None
    if served == 0 or reference == 0:
        return "a different value"
    ratio = served / reference
    if abs(ratio - 1) <= tolerance:
        return None
    for factor, _ in _NOTATIONS:
        if abs(ratio / factor - 1) <= tolerance:
            return f"a unit factor (x{_factor(factor)})"
    return f"a different value (x{_plain(_round(ratio))})"


@dataclass(frozen=True)
class Mismatch:
    model_id: str
    field: str  # prompt, completion, context_length
    served: str
    reference: str
    label: str


@dataclass(frozen=True)
class ReferenceComparison:
    compared: int  # models the reference knows
    mismatches: tuple[Mismatch, ...]

    @property
    def models(self) -> list[str]:
        return list(dict.fromkeys(m.model_id for m in self.mismatches))

    @property
    def share(self) -> float:
        return len(self.models) / self.compared if self.compared else 0.0


def reference_mismatches(rows: Sequence[Any], entries: Mapping[str, ReferenceEntry], *, gateway: str,
                         tolerance: Decimal = DEFAULT_TOLERANCE) -> ReferenceComparison:
    """Each row the reference knows, compared field by field (a value either side does not state is skipped)."""
    compared = 0
    found: list[Mismatch] = []
    for row in rows:
        model_id = row.get("id") if isinstance(row, dict) else None
        key = reference_key(model_id, gateway, entries) if isinstance(model_id, str) else None
        if key is None:
            continue
        compared += 1
        entry = entries[key]
        pricing = row.get("pricing") if isinstance(row.get("pricing"), dict) else {}
        pairs: list[tuple[str, Any, Decimal | None, Decimal | None]] = [
            ("prompt", pricing.get("prompt"), price_value(pricing.get("prompt")), entry.prompt),
            ("completion", pricing.get("completion"), price_value(pricing.get("completion")), entry.completion)]
        context = row.get("context_length")
        pairs.append(("context_length", context, Decimal(context) if is_int(context) and context > 0 else None,
                      Decimal(entry.context) if entry.context is not None else None))
        for field, raw, served, reference in pairs:
            if served is None or reference is None:
                continue
            label = mismatch_label(served, reference, tolerance)
            if label is not None:
                found.append(Mismatch(model_id, field, str(raw), _plain(reference), label))  # type: ignore[arg-type]
    return ReferenceComparison(compared, tuple(found))


def check_reference(comparison: ReferenceComparison, *, max_mismatch_share: float, reference: str,
                    request: str | None = None) -> list[Finding]:
    """More than the bound's share of the models the reference knows differ from it."""
    if not comparison.compared or comparison.share <= max_mismatch_share:
        return []
    labels = Counter(m.label.split(" (")[0] for m in comparison.mismatches)
    kinds = ", ".join(f"{n} field(s) {label}" for label, n in labels.most_common())
    evidence = [f"{m.model_id} {m.field} {m.served} vs {m.reference}: {m.label}" for m in comparison.mismatches]
    return [Finding(
        "reference-mismatch",
        f"{len(comparison.models)} of {comparison.compared} models the reference knows ({comparison.share:.0%}) "
        f"differ from {reference}; at most {max_mismatch_share:.0%} allowed ({kinds})",
        request, sample(evidence))]


# -- helpers ------------------------------------------------------------------------------------------------


def _commonest(values: Sequence[Any], rows: int) -> Placeholder:
    if not values:
        return Placeholder(None, 0, rows)
    value, count = Counter(values).most_common(1)[0]
    return Placeholder(value, count, rows)


def _carries(row: Any, what: str, value: Any) -> bool:
    if not isinstance(row, dict):
        return False
    if what == "context length":
        return bool(row.get("context_length") == value and is_int(value))
    pricing = row.get("pricing")
    if not isinstance(pricing, dict):
        return False
    pair = tuple(price_value(pricing.get(f)) for f in PER_TOKEN_FIELDS)
    return tuple(_plain(p) if p is not None else None for p in pair) == value


def _show(value: Any) -> str:
    if isinstance(value, tuple):
        return "(" + ", ".join(repr(v) for v in value) + ")"
    return f"{value:,}" if isinstance(value, int) else repr(value)


def _label(row: Any, index: int) -> str:
    model_id = row.get("id") if isinstance(row, dict) else None
    return model_id if isinstance(model_id, str) and model_id else f"#{index}"


def _cost(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0 or not math.isfinite(value):
        return None
    return Decimal(str(value))


def _log10(value: Decimal) -> float:
    return math.log10(value) if value > 0 else -math.inf


def _round(value: Decimal) -> Decimal:
    return Decimal(f"{value:.3g}")


def _plain(value: Decimal) -> str:
    """A decimal without exponent or trailing zeros: 0.00000015, 150000, 0.001."""
    text = format(value.normalize(), "f")
    return text


def _factor(factor: Decimal) -> str:
    return f"{factor:,.0f}" if factor >= 1 else f"1/{1 / factor:,.0f}"
