"""Row sources: read-only sequences of model dicts that serve pages as pre-serialized JSON.

Catalogs are composed from a few views (concatenation, picking, patching) instead of copied lists,
so a fault can reshape a 1M-row catalog without materializing it, and a page is a join of cached
JSON fragments rather than a serialization of 1000 dicts.
"""

from __future__ import annotations

import json
from bisect import bisect_right
from collections.abc import Callable, Iterator, Sequence
from typing import Any

Row = dict[str, Any]

# Catalogs up to this size are materialized (rows and their JSON cached); larger ones are generated
# per request so a 1M-row benchmark catalog costs no memory up front.
MATERIALIZE_MAX = 50_000
# Filter results cached per view (`positions_matching`): fuzzing sends many distinct values, so the cache is
# bounded (cleared when full) rather than growing with every one.
MATCH_CACHE_MAX = 256


def dumps(value: Any) -> bytes:
    """Compact JSON, the same bytes Starlette's JSONResponse would produce."""
    return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()


class Rows:
    """A read-only row sequence. Subclasses implement `__len__` and `row`; the rest derives."""

    def __init__(self) -> None:
        self._indexes: dict[str, dict[Any, list[int]]] = {}
        self._first_by_id: list[int] | None = None
        self._matches: dict[Any, list[int]] = {}

    def __len__(self) -> int:
        raise NotImplementedError

    def row(self, i: int) -> Row:
        raise NotImplementedError

    def json_at(self, i: int) -> bytes:
        return dumps(self.row(i))

    def json_slice(self, start: int, stop: int) -> list[bytes]:
        """JSON of rows [start, stop); callers pass bounds already clamped to [0, len]."""
        return [self.json_at(i) for i in range(start, stop)]

    def iter_rows(self) -> Iterator[Row]:
        return (self.row(i) for i in range(len(self)))

    def warm(self) -> None:
        """Pre-compute whatever can be cached (a no-op for generated views)."""

    def positions_by(self, field: str) -> dict[Any, list[int]]:
        """Positions grouped by a field value; built once per view (a scan), then cached."""
        index = self._indexes.get(field)
        if index is None:
            index = {}
            for i, row in enumerate(self.iter_rows()):
                index.setdefault(row.get(field), []).append(i)
            self._indexes[field] = index
        return index

    def positions_matching(self, key: Any, keep: Callable[[Row], bool]) -> list[int]:
        """Positions of the rows `keep` accepts, cached under `key` (which must determine `keep`)."""
        hits = self._matches.get(key)
        if hits is None:
            if len(self._matches) >= MATCH_CACHE_MAX:
                self._matches.clear()
            hits = [i for i, row in enumerate(self.iter_rows()) if keep(row)]
            self._matches[key] = hits
        return hits

    def first_positions_by_id(self) -> list[int]:
        """Positions of the first row of each distinct id, in order (the `unique_models` view)."""
        if self._first_by_id is None:
            seen: set[str] = set()
            firsts: list[int] = []
            for i, row in enumerate(self.iter_rows()):
                if row["id"] not in seen:
                    seen.add(row["id"])
                    firsts.append(i)
            self._first_by_id = firsts
        return self._first_by_id


class TableRows(Rows):
    """Materialized rows; the JSON of every row is computed once, on first use."""

    def __init__(self, rows: Sequence[Row]) -> None:
        super().__init__()
        self._rows = rows
        self._json: list[bytes] | None = None

    def __len__(self) -> int:
        return len(self._rows)

    def row(self, i: int) -> Row:
        return self._rows[i]

    def iter_rows(self) -> Iterator[Row]:
        return iter(self._rows)

    def _encoded(self) -> list[bytes]:
        if self._json is None:
            self._json = [dumps(row) for row in self._rows]
        return self._json

    def warm(self) -> None:
        self._encoded()

    def json_at(self, i: int) -> bytes:
        return self._encoded()[i]

    def json_slice(self, start: int, stop: int) -> list[bytes]:
        return self._encoded()[start:stop]


class LazyRows(Rows):
    """Rows generated on demand from their position (memory stays flat at any size)."""

    def __init__(self, size: int, make: Callable[[int], Row]) -> None:
        super().__init__()
        self._size = size
        self._make = make

    def __len__(self) -> int:
        return self._size

    def row(self, i: int) -> Row:
        if not 0 <= i < self._size:
            raise IndexError(i)
        return self._make(i)


class ConcatRows(Rows):
    """Several sources end to end (how `all` is built from the gateways)."""

    def __init__(self, parts: Sequence[Rows]) -> None:
        super().__init__()
        self._parts = [p for p in parts if len(p)]
        self._starts: list[int] = []
        total = 0
        for part in self._parts:
            self._starts.append(total)
            total += len(part)
        self._size = total

    def __len__(self) -> int:
        return self._size

    def _locate(self, i: int) -> tuple[Rows, int]:
        if not 0 <= i < self._size:
            raise IndexError(i)
        k = bisect_right(self._starts, i) - 1
        return self._parts[k], i - self._starts[k]

    def row(self, i: int) -> Row:
        part, j = self._locate(i)
        return part.row(j)

    def json_at(self, i: int) -> bytes:
        part, j = self._locate(i)
        return part.json_at(j)

    def json_slice(self, start: int, stop: int) -> list[bytes]:
        out: list[bytes] = []
        if start >= stop:
            return out
        k = bisect_right(self._starts, start) - 1
        while k < len(self._parts) and self._starts[k] < stop:
            base = self._starts[k]
            part = self._parts[k]
            out.extend(part.json_slice(max(start - base, 0), min(stop - base, len(part))))
            k += 1
        return out

    def iter_rows(self) -> Iterator[Row]:
        for part in self._parts:
            yield from part.iter_rows()


class PickRows(Rows):
    """The rows of `source` at `positions` (a slice, a filter result, an exclusion)."""

    def __init__(self, source: Rows, positions: Sequence[int]) -> None:
        super().__init__()
        self._source = source
        self._positions = positions

    def __len__(self) -> int:
        return len(self._positions)

    def row(self, i: int) -> Row:
        return self._source.row(self._positions[i])

    def json_at(self, i: int) -> bytes:
        return self._source.json_at(self._positions[i])

    def json_slice(self, start: int, stop: int) -> list[bytes]:
        picked = self._positions[start:stop]
        if isinstance(picked, range) and picked.step == 1:
            return self._source.json_slice(picked.start, picked.stop)
        return [self._source.json_at(j) for j in picked]


class PatchedRows(Rows):
    """`source` with a few rows replaced (faults that corrupt a handful of rows)."""

    def __init__(self, source: Rows, patches: dict[int, Row]) -> None:
        super().__init__()
        self._source = source
        self._patches = patches
        self._patch_json = {i: dumps(row) for i, row in patches.items()}

    def __len__(self) -> int:
        return len(self._source)

    def row(self, i: int) -> Row:
        patched = self._patches.get(i)
        return patched if patched is not None else self._source.row(i)

    def json_at(self, i: int) -> bytes:
        patched = self._patch_json.get(i)
        return patched if patched is not None else self._source.json_at(i)

    def json_slice(self, start: int, stop: int) -> list[bytes]:
        out = self._source.json_slice(start, stop)
        for i, encoded in self._patch_json.items():
            if start <= i < stop:
                out[i - start] = encoded
        return out


class ProjectedRows(Rows):
    """`source` as the server sees it (`row`: every field, for filters, search and faults), but encoded with
    only `fields`, plus each of `optional` that is not null (`json_*`: what clients get). The sparse shape serves
    rows this way."""

    def __init__(self, source: Rows, fields: Sequence[str], optional: Sequence[str] = ()) -> None:
        super().__init__()
        self._source = source
        self._fields = tuple(fields)
        self._optional = tuple(optional)
        self._json: list[bytes] | None = None

    def __len__(self) -> int:
        return len(self._source)

    def row(self, i: int) -> Row:
        return self._source.row(i)

    def iter_rows(self) -> Iterator[Row]:
        return self._source.iter_rows()

    def _project(self, row: Row) -> bytes:
        kept = {key: row[key] for key in self._fields if key in row}
        kept.update((key, row[key]) for key in self._optional if row.get(key) is not None)
        return dumps(kept)

    def warm(self) -> None:
        if self._json is None and len(self) <= MATERIALIZE_MAX:
            self._json = [self._project(row) for row in self._source.iter_rows()]

    def json_at(self, i: int) -> bytes:
        return self._json[i] if self._json is not None else self._project(self._source.row(i))

    def json_slice(self, start: int, stop: int) -> list[bytes]:
        if self._json is not None:
            return self._json[start:stop]
        return [self._project(self._source.row(i)) for i in range(start, stop)]


def materialize(size: int, make: Callable[[int], Row]) -> Rows:
    """Rows [0, size) from `make`: a table when small, a lazy view when large."""
    if size <= MATERIALIZE_MAX:
        return TableRows([make(i) for i in range(size)])
    return LazyRows(size, make)


def mapped(source: Rows, transform: Callable[[Row], Row]) -> Rows:
    """Every row of `source` passed through `transform` (which must return a new dict)."""
    return materialize(len(source), lambda i: transform(source.row(i)))


def repeated(source: Rows, times: int) -> Rows:
    return ConcatRows([source] * times)


def head(source: Rows, count: int) -> Rows:
    return PickRows(source, range(min(count, len(source))))


def rotated(source: Rows, by: int) -> Rows:
    """`source` starting at row `by` (mod its length) and wrapping around, as two slices (no copy)."""
    n = len(source)
    k = by % n if n else 0
    return ConcatRows([PickRows(source, range(k, n)), PickRows(source, range(k))])


def without(source: Rows, position: int) -> Rows:
    """`source` minus the row at `position`, as two slices (no copy)."""
    return ConcatRows([PickRows(source, range(position)), PickRows(source, range(position + 1, len(source)))])


EMPTY: Rows = TableRows([])
