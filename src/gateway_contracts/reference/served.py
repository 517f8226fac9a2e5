"""What one app serves: the catalog after faults, gateway resolution, filtered views, the registry."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .catalog import AGGREGATE, ALIASES, FULL, SPARSE, Catalog, spec_of
from .rows import ConcatRows, PickRows, ProjectedRows, Rows

# What a sparse-shape row carries: the fields a consumer may rely on, nothing optional.
PROMISED_ROW_FIELDS = ("id", "name", "source_gateway")


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

    base: Catalog
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
    _chat_ids: frozenset[str] | None = None

    @classmethod
    def from_catalog(cls, catalog: Catalog) -> ServedCatalog:
        aliases = {alias: slug for alias, slug in ALIASES.items() if slug in catalog.gateways}
        return cls(base=catalog, gateways=dict(catalog.gateways), aliases=aliases, shape=catalog.shape)

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
        """Every registry gateway with the size of the catalog it serves."""
        return [
            {"id": e["id"], "model_count": len(self.gateways[e["id"]]), "in_error_state": False}
            for e in self.registry
            if e["id"] in self.gateways
        ]

    def project(self) -> None:
        """Sparse shape: every served row encodes only the promised fields (one view per distinct source)."""
        views: dict[int, Rows] = {}

        def view(rows: Rows) -> Rows:
            if id(rows) not in views:
                views[id(rows)] = ProjectedRows(rows, PROMISED_ROW_FIELDS)
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
        return Target(self.alias_rows.get(key, self.gateways[slug]), slug, slug)

    def chat_ids(self) -> frozenset[str]:
        """Ids chat accepts: every healthy catalog id plus fault-added gateways (computed once)."""
        if self._chat_ids is None:
            ids = {row["id"] for row in self.base.aggregate().iter_rows()}
            for slug, rows in self.gateways.items():
                if slug not in self.base.gateways:
                    ids.update(row["id"] for row in rows.iter_rows())
            self._chat_ids = frozenset(ids)
        return self._chat_ids


def filtered(rows: Rows, provider: str | None, unique: bool) -> Rows:
    """The `provider` and `unique_models` views; the position indexes are cached on `rows`."""
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


def search(rows: Rows, query: str | None) -> Rows:
    """Rows whose id or name contains `query`, case-insensitively (all rows when empty)."""
    if not query:
        return rows
    needle = query.lower()
    hits = [
        i
        for i, row in enumerate(rows.iter_rows())
        if needle in row["id"].lower() or needle in str(row.get("name", "")).lower()
    ]
    return PickRows(rows, hits)
