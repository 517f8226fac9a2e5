"""A page of a catalog walk and the walk itself: values the pager produces and the invariants read.

They live in the data layer (not in `pager.py`, which does the walking) so that the invariants depend on
plain values only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from gateway_contracts.data.exchange import Exchange
from gateway_contracts.data.findings import Finding
from gateway_contracts.data.jsontypes import is_int


@dataclass(frozen=True)
class Page:
    offset: int  # the offset requested (cursor paging: the rows read before this page)
    limit: int  # the limit requested
    exchange: Exchange
    after: str | None = None  # cursor paging: the cursor this page was requested after (None: the first page)

    @property
    def envelope(self) -> dict[str, Any] | None:
        body = self.exchange.json
        return body if isinstance(body, dict) else None

    @property
    def rows(self) -> list[Any]:
        data = (self.envelope or {}).get("data")
        return data if isinstance(data, list) else []

    @property
    def usable(self) -> bool:
        """A 200 JSON object with a `data` list: the pager can read it (the envelope contract checks the rest)."""
        return self.exchange.status == 200 and self.envelope is not None and isinstance(self.envelope.get("data"), list)


@dataclass(frozen=True)
class Walk:
    limit: int
    pages: tuple[Page, ...]
    findings: tuple[Finding, ...] = field(default=())  # why the walk stopped early, if it did

    @property
    def complete(self) -> bool:
        return not self.findings

    @property
    def rows(self) -> list[Any]:
        return [row for page in self.pages for row in page.rows]

    @property
    def ids(self) -> list[Any]:
        """Row ids, made hashable: a list or object where an id belongs is kept as its repr (and flagged
        by the row checks) instead of crashing the set-based invariants. A new list each time (callers may
        change it) of ids worked out once: a walk is read by many contracts, and its pages never change."""
        return list(self._ids)

    @cached_property
    def _ids(self) -> tuple[Any, ...]:
        return tuple(_hashable(row.get("id")) if isinstance(row, dict) else None for row in self.rows)

    @property
    def total(self) -> int | None:
        """`total` as the first page reports it."""
        if not self.pages or self.pages[0].envelope is None:
            return None
        total = self.pages[0].envelope.get("total")
        return total if is_int(total) else None

    @property
    def first(self) -> Exchange | None:
        return self.pages[0].exchange if self.pages else None


def _hashable(value: Any) -> Any:
    return value if isinstance(value, str | int | float | bool | None) else repr(value)
