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
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from typing import Any

from gateway_contracts.invariants.models import has_known_context

FLOOR_SHARE = 0.7
CEILING_FACTOR = 3
REQUIRED_PER_GATEWAY = 2
CONTEXT_BOUND = 0.25
CONTEXT_MARGIN = 0.10
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


