"""Which listed models a run calls: a sample of a gateway's catalog, deterministic for a date (pure).

"Listed means callable" (the callable probe, docs/contract-file.md `callable:`) cannot call every model every
night: a catalog is thousands of models and each call costs. So each run calls at most `budget` models per
gateway: the contract's required models of that gateway that it lists, always, and the rest of the budget from
a rotation over the other listed ids (a row whose declared modality is not text to text, an image, audio or
embedding model, is not called: `chats`):

- the other ids are put in a fixed order that depends only on the ids and the gateway (a hash, not the order the
  API lists them in, which may change between reads), and cut into windows of the free slots;
- the date picks the window (its day number modulo the number of windows): consecutive dates take consecutive
  windows, so any `windows` consecutive days call every listed model once, a week when the budget's free
  slots are at least a seventh of the catalog (`days_to_cover`);
- the last window, when short, is filled from the first, so every run calls as many models as the budget allows.

The same catalog, gateway, budget and date always give the same sample (a failure can be re-run:
`PROBE_DATE=YYYY-MM-DD`), and nothing here reads a clock.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any


def _sides(modality: str) -> tuple[set[str], set[str]]:
    inputs, _, outputs = modality.lower().partition("->")
    parts = lambda side: {p.strip() for p in side.split("+") if p.strip()}  # noqa: E731
    return parts(inputs), parts(outputs if outputs else inputs)


def declared_modality(row: Any) -> str | None:
    """The modality a row declares (`modality`, else OpenRouter's `architecture.modality`), e.g. `text->text`."""
    if not isinstance(row, dict):
        return None
    architecture = row.get("architecture")
    for value in (row.get("modality"), architecture.get("modality") if isinstance(architecture, dict) else None):
        if isinstance(value, str) and value.strip():
            return value
    return None


def chats(row: Any) -> bool:
    """Whether a listed row may be asked for a chat completion: it takes and gives text by its own declared
    modality (`text->text`, `text+image->text`), or declares none. A row that says it is an image, audio or
    embedding model (`text->image`, `audio->text`, `text->embedding`, `image`) is not called: the catalog
    itself says chat is not what it does, and the probe holds a target to its own word, no more."""
    modality = declared_modality(row)
    if modality is None:
        return True
    inputs, outputs = _sides(modality)
    return "text" in inputs and "text" in outputs


def listed_ids(listed: Iterable[Any]) -> list[str]:
    """The distinct, non-empty string ids a catalog lists for chat, in listed order: `listed` holds rows (a row
    that declares a modality other than text to text is left out, `chats`) or bare ids. Rows without a usable id
    cannot be called: their own contracts report them."""
    ids = (item if isinstance(item, str) else item.get("id") if isinstance(item, dict) and chats(item) else None
           for item in listed)
    return list(dict.fromkeys(i for i in ids if isinstance(i, str) and i.strip()))


def _rank(gateway: str, model: str) -> str:
    return hashlib.sha256(f"{gateway}\n{model}".encode()).hexdigest()


def rotation(gateway: str, ids: Iterable[str]) -> list[str]:
    """The fixed order the windows are cut from: by a hash of (gateway, id), independent of the listed order."""
    return sorted(set(ids), key=lambda m: (_rank(gateway, m), m))


def windows(others: int, slots: int) -> int:
    """How many windows (consecutive dates) the rotation of `others` ids in `slots` free slots takes."""
    return max(1, math.ceil(others / slots)) if slots > 0 else 1


def daily_sample(gateway: str, listed: Sequence[Any], required: Sequence[str], budget: int,
                 day: date) -> tuple[str, ...]:
    """The models a run on `day` calls for `gateway` (`listed`: its catalog's rows, or ids): the required ones it
    lists for chat (in contract order, at most `budget`), then the day's window of the rotation over the other
    listed ids; never more than `budget`."""
    if budget < 1:
        return ()
    ids = listed_ids(listed)
    present = set(ids)
    pinned = [m for m in dict.fromkeys(required) if m in present][:budget]
    rest = rotation(gateway, present.difference(pinned))
    slots = min(budget - len(pinned), len(rest))
    if slots <= 0:
        return tuple(pinned)
    count = windows(len(rest), slots)
    start = (day.toordinal() % count) * slots
    window = [rest[(start + i) % len(rest)] for i in range(slots)]
    return (*pinned, *window)


def days_to_cover(listed: Sequence[Any], required: Sequence[str], budget: int) -> int | None:
    """After how many consecutive dates every listed model has been called (None: the budget leaves no slot for
    the models outside the required ones, so they are never called)."""
    ids = listed_ids(listed)
    pinned = [m for m in dict.fromkeys(required) if m in set(ids)][:max(budget, 0)]
    others = len(ids) - len(pinned)
    slots = budget - len(pinned)
    if others <= 0:
        return 1
    return windows(others, slots) if slots > 0 else None
