"""A run's facts, read back from the exchanges it recorded: never a new request.

At session end the controller (or the single process) rebuilds a `CatalogStore` over the run's shared
exchange cache with a client that can only answer from that cache. Walks are then the very pages the
tests read; anything the run did not request answers "not requested in this run" instead of going out.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any, cast

from gateway_contracts import dialects
from gateway_contracts.baseline import Snapshot, snapshot_gateway
from gateway_contracts.baseline_file import utc_now
from gateway_contracts.contract import Contract
from gateway_contracts.data.exchange import Exchange, build_url
from gateway_contracts.net.cache import read_cache_dir
from gateway_contracts.net.client import GatewayClient
from gateway_contracts.report.interface import NOT_REQUESTED, requested
from gateway_contracts.store import CatalogStore


class CachedOnlyClient:
    """Duck-types the `GatewayClient` calls `CatalogStore` makes, answering from recorded exchanges only."""

    has_key = False

    def __init__(self, base_url: str, exchanges: Iterable[Exchange]) -> None:
        self.base_url = base_url.rstrip("/")
        self._by_request: dict[tuple[str, str, bool], Exchange] = {}
        for e in exchanges:  # a request read twice on purpose: either answer is the run's answer to it
            self._by_request.setdefault((e.method, e.url, e.authenticated), e)

    def get(self, path: str, params: dict[str, Any] | None = None, *, read: int = 0) -> Exchange:
        return self.request("GET", path, params=params, read=read)

    def request(self, method: str, path: str, *, params: dict[str, Any] | None = None, json_body: Any = None,
                authenticated: bool = False, read: int = 0) -> Exchange:
        # The openai dialect's list is sent with the key: this client has none (the store asks unkeyed), so a
        # recorded keyed answer serves too. Gatewayz's GETs are never keyed: nothing changes for them.
        url = build_url(self.base_url, path, params)
        return (self._by_request.get((method, url, authenticated)) or self._by_request.get((method, url, True))
                or Exchange(method, url, None, error=NOT_REQUESTED, authenticated=authenticated))

    def post_json(self, path: str, body: Any, *, authenticated: bool) -> Exchange:
        # Recorded exchanges do not keep request bodies, so a POST cannot be matched: never served.
        return Exchange("POST", build_url(self.base_url, path), None, error=NOT_REQUESTED, authenticated=authenticated)


def offline_store(base_url: str, cache_dir: Path, contract: Contract) -> CatalogStore:
    client = CachedOnlyClient(base_url, read_cache_dir(cache_dir))
    return CatalogStore(cast(GatewayClient, client), contract)


def target_version(store: CatalogStore) -> str | None:
    """The version `/health` reports, else the spec's `info.version`."""
    health = store.health()
    if requested(health) and isinstance(health.json, dict) and health.json.get("version"):
        return str(health.json["version"])
    spec = store.openapi()
    info = spec.json.get("info") if requested(spec) and isinstance(spec.json, dict) else None
    return str(info["version"]) if isinstance(info, dict) and info.get("version") else None


def spec_hash(store: CatalogStore) -> str | None:
    spec = store.openapi()
    if not requested(spec) or spec.status != 200:
        return None
    return hashlib.sha256(spec.text.encode()).hexdigest()[:12]


def snapshot(store: CatalogStore, contract: Contract, *, target: str, suite_version: str) -> Snapshot:
    """Every gateway (and the aggregate) this run walked; gateways it never requested are left out."""
    gateways = {}
    for gateway in contract.gateways:
        walk = store.walk(gateway.slug)
        if requested(walk.first):
            gateways[gateway.slug] = snapshot_gateway(gateway.slug, walk, gateway.required_models)
    aggregate = contract.aggregate.slug if contract.aggregate else None
    if aggregate is not None:
        walk = store.walk(aggregate)
        if requested(walk.first):
            # An aggregate of gateways is keyed by (id, source_gateway); the openai whole list by id, like a group.
            gateways[aggregate] = snapshot_gateway(aggregate, walk, contract.aggregate.required_models
                                                   if contract.aggregate else (),
                                                   pairs=dialects.of(contract).aggregate_by_source)
        else:
            aggregate = None
    return Snapshot(
        taken_at=utc_now(), target=target, target_version=target_version(store), suite_version=suite_version,
        contract=str(contract.path), gateways=gateways, aggregate=aggregate,
    )
