"""JSON type tests shared by the invariants (and the fuzz checks built on them)."""

from __future__ import annotations

from typing import Any


def is_int(value: Any) -> bool:
    """A JSON integer: Python's bool is an int subclass, but `true` is not a count or an offset."""
    return isinstance(value, int) and not isinstance(value, bool)
