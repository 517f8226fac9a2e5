"""The rules `gateway-contracts init` (starter.py) writes a starter contract by, shared by every dialect's
writer: every number is derived from an observed count by one rule, stated in the file's header.

- floor (`min_models`, distinct ids) = 70 % of the observed distinct ids, rounded down; ceiling (`max_models`,
  rows) = 3x the observed rows, rounded up: a drop of a third, or a duplication blow-up, fails.
- models that must not vanish: the first two ids a catalog listed (that the aggregate lists too, when read).
- listed means callable (written by starter.py when init has a key): a gateway's own `min_callable_share` = the
  callable share observed in its sample, less 10 points, rounded down to 5 % (none when nothing was counted);
  the default `callable.min_share` = the lowest of them by the same rule.
- unknown context lengths (missing, null or 0): bounded only if the target serves context lengths at all; the
  bound is 25 %, raised per gateway to its observed share + 10 points (rounded up to 5 %) when that share is
  partial; a gateway where every row is unknown keeps 25 %: a whole catalog without context lengths is the
  signature of a broken normaliser (docs/real-backend-run.md, D1), so its gate fails until it is looked at.
- placeholders (one context length, or one non-free price pair, on a share of the rows): bounded at 50 %, raised
  per gateway to its observed share + 10 points (rounded up to 5 %) when that is higher, 1.0 (not checked) when
  it is every row (right for a provider that serves every model at one context; the note says to look).
- prices: the default band and completion discount; a gateway whose observed prices fall outside them gets a
  band or discount widened to what it served (powers of ten), with a note: the contract holds a target to what
  it served, and the note says what to fix.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from gateway_contracts.contract_model import ValueBounds
from gateway_contracts.invariants import values
from gateway_contracts.invariants.models import has_known_context

FLOOR_SHARE = 0.7
CEILING_FACTOR = 3
REQUIRED_PER_GATEWAY = 2
CONTEXT_BOUND = 0.25
CONTEXT_MARGIN = 0.10
PLACEHOLDER_BOUND = 0.5
PLACEHOLDER_MARGIN = 0.10
CALLABLE_MARGIN = 0.10
MAX_LIMIT = 1000  # the API's largest page (the contract's pagination default)
MAX_PAGES = 200


class Refused(Exception):
    """The target answered nothing a contract can be written from; the message is one line."""



def floor_of(distinct: int) -> int:
    return math.floor(distinct * FLOOR_SHARE)


def ceiling_of(rows: int) -> int:
    return max(1, math.ceil(rows * CEILING_FACTOR))


def required_of(ids: Sequence[Any], everywhere: set[Any] | None, count: int = REQUIRED_PER_GATEWAY) -> list[str]:
    """The first `count` distinct string ids served, that the aggregate lists too (when it was read)."""
    picked: list[str] = []
    for model_id in ids:
        if isinstance(model_id, str) and model_id not in picked and (everywhere is None or model_id in everywhere):
            picked.append(model_id)
        if len(picked) == count:
            break
    return picked


def unknown_share(rows: Sequence[Any]) -> float | None:
    return sum(1 for r in rows if not has_known_context(r)) / len(rows) if rows else None


def context_bound(share: float | None) -> float | None:
    """The gateway's own bound when its partial share exceeds the default; None: the default applies."""
    if share is None or share <= CONTEXT_BOUND or share >= 1.0:
        return None
    return min(1.0, math.ceil(round((share + CONTEXT_MARGIN) * 20, 6)) / 20)


def share_bound(share: float, default: float, margin: float) -> float | None:
    """A gateway's own bound when its observed share exceeds the default (share + margin, up to 5 %); None: the
    default applies."""
    if share <= default:
        return None
    return min(1.0, math.ceil(round((share + margin) * 20, 6)) / 20)


def placeholder_bounds(rows: Sequence[Any]) -> list[tuple[str, float, str]]:
    """(key, bound, comment) for a gateway whose placeholder shares exceed the default; none on a gateway too small
    to be judged."""
    out = []
    for key, measured in (("max_placeholder_context_share", values.context_placeholder(rows)),
                          ("max_placeholder_price_share", values.price_placeholder(rows))):
        bound = share_bound(measured.share, PLACEHOLDER_BOUND, PLACEHOLDER_MARGIN) if measured.judged else None
        if bound is not None:
            out.append((key, bound, f"observed {measured.share:.0%} of rows at {measured.value}"))
    return out


def price_bounds(rows: Sequence[Any]) -> list[tuple[str, str, str]]:
    """(key, YAML value, comment) for a gateway whose observed prices fall outside the default band or discount:
    widened to powers of ten around what it served."""
    default = ValueBounds()
    low, high = default.price_band_per_million
    band = values.PriceBand(Decimal(str(low)), Decimal(str(high)))
    out = []
    outside = values.out_of_band(rows, band)
    if outside:
        served = [Decimal(o.value) * values.MILLION for o in outside]
        new_low = min([Decimal(str(low)), *(_power_below(p) for p in served)])
        new_high = max([Decimal(str(high)), *(_power_above(p) for p in served)])
        out.append(("price_band_per_million", f"[{_number(new_low)}, {_number(new_high)}]",
                    f"{len(outside)} prices outside the default band ({outside[0].reading}): fix them, then remove"))
    discount = Decimal(str(default.max_completion_discount))
    cheap = values.check_completion_discount(rows, max_discount=discount)
    if cheap:
        worst = max((p / c for p, c in _pairs(rows) if p and c), default=discount)
        out.append(("max_completion_discount", _number(Decimal(math.ceil(worst))),
                    f"{cheap[0].message.split(' with ')[0]} with a completion far cheaper than the prompt: look at "
                    "them, then remove"))
    return out


def _pairs(rows: Sequence[Any]) -> list[tuple[Decimal | None, Decimal | None]]:
    pricing = [r.get("pricing") for r in rows if isinstance(r, dict) and isinstance(r.get("pricing"), dict)]
    return [(values.price_value(p.get("prompt")), values.price_value(p.get("completion"))) for p in pricing]


def _power_below(value: Decimal) -> Decimal:
    return Decimal(10) ** math.floor(math.log10(value))


def _power_above(value: Decimal) -> Decimal:
    return Decimal(10) ** math.ceil(math.log10(value))


def _number(value: Decimal) -> str:
    return format(value.normalize(), "f")


def callable_bound(shares: Sequence[float | None]) -> float | None:
    """A least callable share from observed shares (one gateway's: its `min_callable_share`; every gateway's:
    `callable.min_share`): the lowest, less 10 points, rounded down to 5 %, at least 0 (None: no share observed,
    the default applies)."""
    observed = [s for s in shares if s is not None]
    if not observed:
        return None
    return max(0.0, math.floor(round((min(observed) - CALLABLE_MARGIN) * 20, 6)) / 20)


_PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9._/+-]*$")
_YAML_WORDS = {"true", "false", "yes", "no", "on", "off", "null", "y", "n", "~"}


def scalar(value: str) -> str:
    """A YAML scalar for a name the target chose: plain when unambiguous, else a JSON (= YAML) string."""
    return value if _PLAIN.match(value) and value.lower() not in _YAML_WORDS else json.dumps(value)


def header(url: str, when: str, dialect: str) -> list[str]:
    return [
        f"# Starter contract written by `gateway-contracts init` from {url} ({dialect} dialect), observed {when}.",
        "# Review it, then commit it: it holds the target to what it served that day, by these rules:",
        f"#   min_models (distinct ids) = {FLOOR_SHARE:.0%} of the observed distinct ids, rounded down;",
        f"#   max_models (rows)         = {CEILING_FACTOR}x the observed rows, rounded up;",
        f"#   required_models           = the first {REQUIRED_PER_GATEWAY} ids each listed (that `all` lists too):",
        "#                               replace them with the models your product depends on;",
        "#   chat.models               = none: add the models your product chats with;",
        f"#   min_callable_share        = a catalog's share of sampled models that chat, less {CALLABLE_MARGIN:.0%},",
        "#                               rounded down to 5 % (with a key only: a nightly's probe, max_tokens 1);",
        "#   callable.min_share        = the same from the lowest share: the default of a catalog without its own;",
        "# The counts observed are in the comments. docs/contract-file.md documents every key.",
    ]


def bounds(indent: str, distinct: int, rows: int) -> list[str]:
    """The floor and ceiling lines of an observed catalog, the observation in a comment."""
    return [f"{indent}min_models: {floor_of(distinct):<13}  # observed {distinct} distinct ids in {rows} rows",
            f"{indent}max_models: {ceiling_of(rows)}"]


