"""How much a deploy may change the catalogs before the differential gate fails (the contract's `compare:` block).

A plain value: the contract file's block is validated in contract_model.py (`CompareSpec`) and resolved to this;
the comparison (differential.py) reads it. The defaults are what a release manager would sign without reading:
losing more than a small share of a gateway's ids fails, any price moved by a factor of 1,000 or more (a unit
change: per-token written per-thousand or per-million) fails, and smaller changes are reported, not failed.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_MAX_REMOVED_SHARE = 0.02
DEFAULT_MAX_COUNT_CHANGE_SHARE = 0.10
DEFAULT_PRICE_FAIL_FACTOR = 1000.0
DEFAULT_MAX_CHANGED_SHARE = 0.02


@dataclass(frozen=True)
class Tolerances:
    # A gateway (or the aggregate) losing more than this share of production's distinct ids fails.
    max_removed_share: float = DEFAULT_MAX_REMOVED_SHARE
    # Rows served, or rows repeating an id, moving by more than this share of production's rows fails.
    max_count_change_share: float = DEFAULT_MAX_COUNT_CHANGE_SHARE
    # A price multiplied (or divided) by this factor or more fails; a smaller change is reported.
    price_fail_factor: float = DEFAULT_PRICE_FAIL_FACTOR
    # Rows whose price vanished (priced -> unpriced) or whose context length was zeroed: more than this share of
    # production's rows fails.
    max_changed_share: float = DEFAULT_MAX_CHANGED_SHARE


DEFAULTS = Tolerances()
