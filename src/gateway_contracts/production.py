"""Production, as the differential gate reads it (COMPARE_URL): the contract's catalogs, twice, and nothing else.

Production is only ever read: GET requests of the catalog routes (each contracted gateway's walk, the
aggregate's, the registry), through the suite's bounded client (deadlines, capped bodies, retries, its own
breaker) at its own rate budget, never the probes, chat or the fuzzer (the fuzz target is TARGET_URL, whatever
the allow-list says). It is read twice, each read a client of its own with its own exchange cache under the
run's cache directory, so the second read really goes out again (Diffy's second primary: what differs between
the two is noise). The reads happen once, where the target is resolved (the controller under xdist); workers
and the session's end open the same recorded reads without sending anything (a `RecordedClient`).

A production that cannot be read (no answer, a catalog that does not answer 200 or stops mid-walk, every
catalog 404) is a reason the run cannot compare: the caller ends it with exit 7, naming the URL and request.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, cast

from gateway_contracts import dialects
from gateway_contracts.contract import Contract
from gateway_contracts.data.exchange import Exchange, build_url
from gateway_contracts.differential import CatalogDiff, Change, Side, compare_catalog, compare_registry, side_of
from gateway_contracts.invariants.registry import registry_names
from gateway_contracts.net.cache import read_cache_dir
from gateway_contracts.net.client import ClientSettings, GatewayClient
from gateway_contracts.store import CatalogStore

READS = 2
NOT_READ = "not read from production in this run"


def read_dir(cache_dir: Path, read: int) -> Path:
    return cache_dir / "production" / str(read)


def catalogs_of(contract: Contract) -> list[tuple[str, tuple[str, ...], bool]]:
    """(catalog name, its required models, keyed by id@source_gateway): each gateway, then the aggregate."""
    pairs = dialects.of(contract).aggregate_by_source
    out = [(g.slug, g.required_models, False) for g in contract.gateways]
    if contract.aggregate is not None:
        out.append((contract.aggregate.slug, contract.aggregate.required_models, pairs))
    return out


def has_registry(contract: Contract) -> bool:
    return not dialects.lacks(contract, ("registry",))  # as a `needs("registry")` test asks


class RecordedClient:
    """Answers the store's GETs from a production read's recorded exchanges only (workers, the session end)."""

    has_key = False

    def __init__(self, base_url: str, exchanges: Callable[[], Iterable[Exchange]]) -> None:
        self.base_url = base_url.rstrip("/")
        self._exchanges = exchanges
        self._loaded: dict[tuple[str, str], Exchange] | None = None

    @property
    def _by_url(self) -> dict[tuple[str, str], Exchange]:
        # Read on first use: a worker that runs none of the comparison's tests never parses production's pages.
        if self._loaded is None:
            self._loaded = {(e.method, e.url): e for e in self._exchanges()}
        return self._loaded

    def get(self, path: str, params: dict[str, Any] | None = None, *, read: int = 0) -> Exchange:
        return self.request("GET", path, params=params)

    def request(self, method: str, path: str, *, params: dict[str, Any] | None = None, json_body: Any = None,
                authenticated: bool = False, read: int = 0) -> Exchange:
        url = build_url(self.base_url, path, params)
        return self._by_url.get((method, url)) or Exchange(method, url, None, error=NOT_READ)

    def post_json(self, path: str, body: Any, *, authenticated: bool) -> Exchange:
        return Exchange("POST", build_url(self.base_url, path), None, error=NOT_READ)  # production gets no POST


@dataclass
class Production:
    """Production's two reads of the contract's catalogs (stores over their recorded exchanges)."""

    url: str
    reads: tuple[CatalogStore, ...]

    def sides(self, name: str, *, pairs: bool) -> tuple[Side, Side]:
        first, second = (side_of(name, store.walk(name), pairs=pairs) for store in self.reads)
        return first, second

    def registry(self) -> tuple[set[str] | None, set[str] | None]:
        first, second = (_names(store.registry()) for store in self.reads)
        return first, second

    def compare(self, name: str, candidate: Side, contract: Contract, required: tuple[str, ...] = (), *,
                pairs: bool = False) -> CatalogDiff:
        first, second = self.sides(name, pairs=pairs)
        return compare_catalog(first, second, candidate, contract.compare, required)

    def compare_registry(self, candidate: Exchange) -> tuple[list[Change], tuple[str, ...]]:
        first, second = self.registry()
        return compare_registry(first, second, _names(candidate))


def _names(exchange: Exchange) -> set[str] | None:
    names = registry_names(exchange.json) if exchange.status == 200 and exchange.is_json else None
    return set(names) if names is not None else None


def read(url: str, api_key: str | None, settings: ClientSettings, cache_dir: Path,
         contract: Contract) -> str | None:
    """Read production twice (GETs of the catalog routes only), recording each read under `cache_dir`. Returns
    why production cannot be compared with (the run ends with exit 7), or None."""
    for number in range(1, READS + 1):
        where = read_dir(cache_dir, number)
        where.mkdir(parents=True, exist_ok=True)
        client = GatewayClient(url, api_key=api_key, settings=settings, cache_dir=where)
        try:
            problem = _read_once(CatalogStore(client, contract), contract, url)
        finally:
            client.close()
        if problem is not None:
            return client.redact(problem)
    return None


def _read_once(store: CatalogStore, contract: Contract, url: str) -> str | None:
    statuses = []
    for name, _required, _pairs in catalogs_of(contract):
        walk = store.walk(name)
        first = walk.first
        if first is None or first.status is None:
            return f"production {url} cannot be read: {first.describe() if first else name}"
        statuses.append(first.status)
        if first.status == 200 and not walk.complete:
            return f"production {url} cannot be read: the walk of {name} stopped: {walk.findings[0].message}"
        if first.status != 200 and first.status != 404:
            return f"production {url} cannot be read: {first.describe()}"
    if statuses and all(status == 404 for status in statuses):
        return f"production {url} cannot be read: every contracted catalog answers 404 (wrong base path?)"
    if has_registry(contract):
        registry = store.registry()
        if registry.status is None:
            return f"production {url} cannot be read: {registry.describe()}"
    return None


def recorded(url: str, cache_dir: Path, contract: Contract) -> Production:
    """Production's reads as recorded by `read` (nothing is sent)."""
    stores = tuple(
        CatalogStore(cast(GatewayClient, RecordedClient(url, partial(read_cache_dir, read_dir(cache_dir, n)))),
                     contract)
        for n in range(1, READS + 1))
    return Production(url.rstrip("/"), stores)
