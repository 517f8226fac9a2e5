"""What one app serves: the catalog after faults, gateway resolution, filtered views, the registry."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .generator import AGGREGATE, ALIASES, DOWN, ECHOES, FULL, SPARSE, GeneratedCatalog, spec_of
from .rows import ConcatRows, PickRows, ProjectedRows, Row, Rows, TableRows

# What a sparse-shape row carries: the fields a consumer may rely on, plus a description (search matches it, so a
# consumer can see why a row matched) and a context length where the row has one (the unknown-context share reads
# it; a row without one counts as unknown).
PROMISED_ROW_FIELDS = ("id", "name", "source_gateway")
OPTIONAL_ROW_FIELDS = ("description", "context_length")
# What a sparse-shape `unique_models=true` row of `all` carries: its own shape, one row per id, no source_gateway.
UNIQUE_ROW_FIELDS = ("id", "name", "providers")
# Row fields search matches `q` in, per shape: the backend also matches the description (routes/catalog.py).
SEARCHED: dict[str, tuple[str, ...]] = {FULL: ("id", "name"), SPARSE: ("id", "name", "description")}


@dataclass(frozen=True)
class Target:
    """A resolved `gateway=` value: the rows to serve and what the envelope's `gateway` says."""

    rows: Rows
    label: str
    slug: str  # canonical slug, or "all"

    @property
    def single(self) -> bool:
        return self.slug != AGGREGATE


@dataclass
class ServedCatalog:
    """Mutable while faults reshape it (`FaultPlan.serve`), read-only once sealed."""

    base: GeneratedCatalog
    gateways: dict[str, Rows]  # canonical slug -> rows, registry order
    aliases: dict[str, str]  # alias -> canonical slug
    # alias -> view of its gateway's final rows, for an alias that serves something else (R15)
    alias_views: dict[str, Callable[[Rows], Rows]] = field(default_factory=dict)
    aggregate_parts: list[Rows] = field(default_factory=list)
    registry: list[dict[str, Any]] = field(default_factory=list)
    status: list[dict[str, Any]] = field(default_factory=list)  # /v1/gateways/status entries
    shape: str = FULL
    aggregate: Rows = field(default_factory=lambda: ConcatRows([]))
    alias_rows: dict[str, Rows] = field(default_factory=dict)
    echoes: dict[str, str] = field(default_factory=dict)  # slug -> what the envelope's `gateway` says
    down: dict[str, int] = field(default_factory=dict)  # slug -> rows health gating keeps out of the catalog
    _chat_ids: frozenset[str] | None = None
    _unique: Rows | None = None

    @classmethod
    def from_catalog(cls, catalog: GeneratedCatalog) -> ServedCatalog:
        """The healthy catalog as served: after health gating (the gated rows still count in the status)."""
        aliases = {alias: slug for alias, slug in ALIASES.items() if slug in catalog.gateways}
        gateways = dict(catalog.gateways)
        down: dict[str, int] = {}
        for slug, positions in DOWN[catalog.shape].items():
            rows = gateways.get(slug)
            if rows is None:
                continue
            gone = {i for i in positions if i < len(rows)}
            gateways[slug] = PickRows(rows, [i for i in range(len(rows)) if i not in gone])
            down[slug] = len(gone)
        return cls(base=catalog, gateways=gateways, aliases=aliases, shape=catalog.shape,
                   echoes=dict(ECHOES[catalog.shape]), down=down)

    def add_gateway(self, slug: str, rows: Rows, aliases: tuple[str, ...]) -> None:
        self.gateways[slug] = rows
        self.aliases.update(dict.fromkeys(aliases, slug))

    def default_registry(self) -> list[dict[str, Any]]:
        """Full: id, name, aliases, model_count, id_format. Sparse: the id, and aliases where there are some."""
        entries = []
        for slug, rows in self.gateways.items():
            spec = spec_of(slug)
            if self.shape == SPARSE:
                entries.append({"id": slug, **({"aliases": list(spec.aliases)} if spec.aliases else {})})
                continue
            entries.append(
                {
                    "id": slug,
                    "name": spec.name,
                    "aliases": list(spec.aliases),  # advertised even when broken (R04)
                    "model_count": len(rows),
                    "id_format": spec.id_format,
                }
            )
        return entries

    def default_status(self) -> list[dict[str, Any]]:
        """Every registry gateway with the models it has cached: the rows it serves plus those gated down."""
        return [
            {
                "id": e["id"],
                "model_count": len(self.gateways[e["id"]]) + self.down.get(e["id"], 0),
                "in_error_state": False,
            }
            for e in self.registry
            if e["id"] in self.gateways
        ]

    def project(self) -> None:
        """Sparse shape: every served row encodes only the promised fields (one view per distinct source)."""
        views: dict[int, Rows] = {}

        def view(rows: Rows) -> Rows:
            if id(rows) not in views:
                views[id(rows)] = ProjectedRows(rows, PROMISED_ROW_FIELDS, OPTIONAL_ROW_FIELDS)
                views[id(rows)].warm()
            return views[id(rows)]

        self.gateways = {slug: view(rows) for slug, rows in self.gateways.items()}
        self.aggregate_parts = [view(rows) for rows in self.aggregate_parts]

    def seal(self) -> None:
        self.aggregate = ConcatRows(self.aggregate_parts)
        self.alias_rows = {
            alias: view(self.gateways[self.aliases[alias]])
            for alias, view in self.alias_views.items()
            if alias in self.aliases
        }

    def resolve(self, value: str) -> Target | None:
        """Case-insensitive name or alias -> target; None for unknown or empty values."""
        key = value.lower()
        if key == AGGREGATE:
            return Target(self.aggregate, AGGREGATE, AGGREGATE)
        slug = key if key in self.gateways else self.aliases.get(key)
        if slug is None:
            return None
        return Target(self.alias_rows.get(key, self.gateways[slug]), self.echoes.get(slug, slug), slug)

    def listing(self, target: Target, provider: str | None, unique: bool) -> Rows:
        """The rows a model list serves for `provider` and `unique_models`, before paging (`total` counts them).

        Full shape: an exact `provider_slug` filter; one row per id for any gateway. Sparse shape, as the backend
        (routes/catalog.py, d4e0b0c6): the provider is normalised (`developer_key`; nothing left: no filter) and
        matched on an id prefix or the provider slug, case-insensitively; unique rows, their own shape, only
        for `all` (other gateways ignore `unique_models`).
        """
        if self.shape != SPARSE:
            return filtered(target.rows, provider, unique)
        rows = self.unique_rows() if unique and not target.single else target.rows
        key = developer_key(provider or "")
        return PickRows(rows, matching(rows, key)) if key else rows

    def unique_rows(self) -> Rows:
        """Sparse `unique_models=true` on `all`: one row per id, with the gateways that serve it (built once)."""
        if self._unique is None:
            merged: dict[str, Row] = {}
            for row in self.aggregate.iter_rows():
                seen = merged.get(row["id"])
                if seen is None:
                    merged[row["id"]] = {
                        "id": row["id"],
                        "name": row["name"],
                        "providers": [{"slug": row["source_gateway"]}],
                        "provider_slug": row.get("provider_slug"),
                        "description": row.get("description"),
                    }
                elif all(p["slug"] != row["source_gateway"] for p in seen["providers"]):
                    seen["providers"].append({"slug": row["source_gateway"]})
            self._unique = ProjectedRows(TableRows(list(merged.values())), UNIQUE_ROW_FIELDS)
            self._unique.warm()
        return self._unique

    def developer(self, value: str) -> Rows:
        """`/v1/models/{developer}`: the rows of `all` for the normalised value (the raw one if nothing is left),
        matched as the provider filter matches (routes/catalog.py, d4e0b0c6), in both shapes."""
        return PickRows(self.aggregate, matching(self.aggregate, developer_key(value) or value))

    def chat_ids(self) -> frozenset[str]:
        """Ids chat accepts: every healthy catalog id plus fault-added gateways (computed once)."""
        if self._chat_ids is None:
            ids = {row["id"] for row in self.base.aggregate().iter_rows()}
            for slug, rows in self.gateways.items():
                if slug not in self.base.gateways:
                    ids.update(row["id"] for row in rows.iter_rows())
            self._chat_ids = frozenset(ids)
        return self._chat_ids


def developer_key(value: str) -> str:
    """The backend's normalisation of a `provider` value or developer path segment: strip, then leading '@'."""
    return value.strip().lstrip("@")


def matches_developer(row: Row, key: str) -> bool:
    """A row is a developer's when its id starts with `key/` or its provider slug (less any leading '@') is `key`,
    letter case aside."""
    lowered = key.lower()
    slug = str(row.get("provider_slug") or "").lower().lstrip("@")
    return str(row.get("id", "")).lower().startswith(lowered + "/") or slug == lowered


def matching(rows: Rows, key: str) -> list[int]:
    """Positions of `key`'s rows in `rows` (cached per view and lower-cased key)."""
    lowered = key.lower()
    return rows.positions_matching(("developer", lowered), lambda row: matches_developer(row, lowered))


def filtered(rows: Rows, provider: str | None, unique: bool) -> Rows:
    """The full shape's `provider` and `unique_models` views; the position indexes are cached on `rows`."""
    if provider is None and not unique:
        return rows
    positions: list[int] | None = None
    if provider is not None:
        positions = rows.positions_by("provider_slug").get(provider, [])
    if unique:
        firsts = rows.first_positions_by_id()
        if positions is None:
            positions = firsts
        else:
            keep = set(firsts)
            positions = [p for p in positions if p in keep]
    return PickRows(rows, positions)


def search(rows: Rows, query: str | None, fields: tuple[str, ...] = SEARCHED[FULL]) -> Rows:
    """Rows where one of `fields` contains `query`, case-insensitively (all rows when empty)."""
    if not query:
        return rows
    needle = query.lower()
    hits = [
        i
        for i, row in enumerate(rows.iter_rows())
        if any(needle in str(row.get(f) or "").lower() for f in fields)
    ]
    return PickRows(rows, hits)
