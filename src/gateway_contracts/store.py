"""The evidence the contracts read: catalogs walked once, plus the probes, all through one client.

Tests never fetch on their own: they ask this store, which fetches each page once through the
session client (cached across xdist workers) and derives walks from those pages. Every request it makes is
built by `gateway_contracts.plan` (pages, probes, chat bodies), whose `planned_requests` lists the minimum the
contracts need: the request-economy bench sends that plan, and tests/self/unit/test_plan.py checks a gate run
sends exactly it.

How a catalog is read (pages by offset, by cursor, or a group's view of one list) is the contract's dialect's:
`walk(name)` asks it (`Dialect.walk`), handing it `send`, and caches the walk it returns. The store knows no
dialect: every walk, whatever its paging, is a `Walk` that every reader (baselines, reports) works with.
`catalog_ids(name)` is the way to the ids of a gateway, a group or the whole list.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlsplit

from gateway_contracts import dialects, plan
from gateway_contracts.contract import Contract, Gateway
from gateway_contracts.data.exchange import Exchange
from gateway_contracts.data.pages import Walk
from gateway_contracts.invariants.agreement import belongs_to_developer, developer_body
from gateway_contracts.invariants.registry import names_of, registry_names
from gateway_contracts.net.client import GatewayClient
from gateway_contracts.pager import walk as offset_walk
from gateway_contracts.plan import InvalidQuery, PlannedRequest


class CatalogStore:
    def __init__(self, client: GatewayClient, contract: Contract) -> None:
        self.client = client
        self.contract = contract
        self._walks: dict[tuple[str, int | None], Walk] = {}
        self._reference: tuple[Any, str | None] | None = None
        # Pages of walks served from `_walks` since the plugin last cleared this (the client records the rest).
        self.reread: list[Exchange] = []

    # -- catalogs ---------------------------------------------------------------------------------

    def send(self, request: PlannedRequest) -> Exchange:
        """One request of the plan, through the session client (cached: each is sent once per run)."""
        if request.method == "GET" and request.authenticated:  # a list or model the API wants the key for
            return self.client.request("GET", request.path, params=request.query or None, authenticated=True)
        if request.method == "GET":  # get/post_json/request: what the offline store's client duck-types
            return self.client.get(request.path, request.query or None, read=request.read)
        return self.client.post_json(request.path, request.body, authenticated=request.authenticated)

    def page(self, gateway: str, offset: int, limit: int) -> Exchange:
        return self.send(plan.models_page(gateway, offset, limit))

    def model_list(self) -> Exchange:
        """A bare `GET /v1/models` (no query), keyed when the run has a key (fetched once per run)."""
        return self.send(plan.model_list_request(keyed=bool(self.client.has_key)))

    def retrieve(self, model_id: str) -> Exchange:
        """`GET /v1/models/{id}`, keyed when the run has a key."""
        return self.send(plan.retrieve_request(model_id, keyed=bool(self.client.has_key)))

    def catalog_ids(self, name: str) -> list[Any]:
        """The ids of a gateway (slug or alias), a group, or the whole list (the aggregate's slug), in order and
        with duplicates kept, for any dialect."""
        return self.walk(name).ids

    def walk(self, gateway: str, limit: int | None = None) -> Walk:
        """The whole catalog `gateway` (slug, alias, group or the whole list), read by the contract's dialect (at
        the largest page size by default) and cached: each walk is read once per run."""
        key = (gateway, limit)
        if key in self._walks:
            # Read again: its pages are this test's evidence too (a retried page makes this test FLAKY as well).
            self.reread.extend(page.exchange for page in self._walks[key].pages)
        else:
            self._walks[key] = dialects.of(self.contract).walk(self.contract, gateway, self.send, limit=limit,
                                                               keyed=bool(self.client.has_key))
        return self._walks[key]

    def after_last(self, name: str) -> Exchange | None:
        """The request the contract's dialect says must list nothing once the walk of `name` ended cleanly (the
        page after the last cursor), sent; None when the walk did not end cleanly or the API has none."""
        walk = self.walk(name)
        if not walk.complete:
            return None
        request = dialects.of(self.contract).after_last(self.contract, name, walk, keyed=bool(self.client.has_key))
        return None if request is None else self.send(request)

    def small_walk(self, gateway: str) -> Walk | None:
        """A second walk in about three pages, for catalogs that fit one maximum page (else the main walk
        already spans several pages). None when there is nothing to page through."""
        limit = plan.small_walk_limit(self.walk(gateway).total, self.contract.max_limit)
        return None if limit is None else self.walk(gateway, limit=limit)

    def same_request_again(self, gateway: str) -> tuple[Exchange | None, Exchange]:
        """The walk's first page and the same request sent a second time."""
        first = self.walk(gateway).first
        return first, self.send(plan.repeat_first_page(gateway, self.contract.max_limit))

    def unique_walk(self, aggregate: str) -> Walk:
        """Every page of the aggregate in unique mode (`unique_models=true`), following its `next_offset`."""
        key = (plan.unique_name(aggregate), self.contract.max_limit)
        if key not in self._walks:
            self._walks[key] = offset_walk(lambda offset, lim: self.send(plan.unique_walk_page(aggregate, offset, lim)),
                                           limit=self.contract.max_limit, max_pages=self.contract.max_pages)
        return self._walks[key]

    # -- the routes held to the catalog (invariants/agreement.py) ---------------------------------------------

    def search(self, q: str, gateway: str) -> Exchange:
        return self.send(plan.search_request(q, gateway))

    def developer_listing(self, developer: str, aggregate: str) -> tuple[list[Any], int | None, list[Exchange]]:
        """Every page of `/v1/models/{developer}` that the catalog's rows of that developer fill: its rows, the
        first page's `total`, and the exchanges (evidence). Stops at a page that is not a developer answer."""
        limit = plan.developer_limit(self.contract.max_limit)
        expected = sum(belongs_to_developer(r, developer) for r in self.walk(aggregate).rows)
        rows: list[Any] = []
        total: int | None = None
        exchanges = []
        for request in plan.developer_pages(developer, expected, limit):
            exchange = self.send(request)
            exchanges.append(exchange)
            parsed = developer_body(exchange.json) if exchange.status == 200 and exchange.is_json else None
            if parsed is None:
                break
            rows += parsed[0]
            total = parsed[1] if total is None else total
        return rows, total, exchanges

    def root_alias_page(self, slug: str) -> Exchange:
        return self.send(plan.root_alias_page(slug, self.contract.max_limit))

    def default_gateway_page(self) -> Exchange:
        return self.send(plan.default_gateway_page(self.contract.max_limit))

    def past_end(self, gateway: str) -> tuple[int, Exchange] | None:
        total = self.walk(gateway).total
        if total is None:
            return None
        return total, self.send(plan.past_end_page(gateway, total))

    def case_variant(self, gateway: Gateway) -> Exchange:
        """The slug in another case must select the same gateway."""
        return self.send(plan.case_variant_page(gateway.slug))

    def exchanges_of(self, gateway: Gateway) -> list[Exchange]:
        """Every catalog request recorded for a gateway (for its latency budget)."""
        walks = [self.walk(name) for name in gateway.names]
        small = self.small_walk(gateway.slug)
        exchanges = [page.exchange for w in [*walks, *([small] if small else [])] for page in w.pages]
        past = self.past_end(gateway.slug)
        return exchanges + ([past[1]] if past else []) + [self.case_variant(gateway)]

    def reference(self) -> tuple[Any, str | None]:
        """The contract's reference catalog (LiteLLM's format) and why it is unusable, if it is: a file was read at
        load; a URL is fetched once per run by a client of the run's settings (deadlines, body cap, retries), not
        the target's (another origin, no key)."""
        spec = self.contract.reference
        if spec is None:
            return None, "the contract names no reference catalog"
        if not spec.is_url:
            return spec.document, None
        if self._reference is None:
            parts = urlsplit(spec.source)
            origin = f"{parts.scheme}://{parts.netloc}"
            client = GatewayClient(origin, settings=self.client.settings, cache_dir=self.client.cache_dir)
            try:
                exchange = client.get(spec.source[len(origin):] or "/")
            finally:
                client.close()
            usable = exchange.status == 200 and exchange.is_json and isinstance(exchange.json, dict)
            self._reference = (exchange.json, None) if usable else (
                None, f"the reference catalog did not answer a JSON object: {exchange.describe()}")
        return self._reference

    # -- probes -----------------------------------------------------------------------------------

    def invalid(self, query: InvalidQuery) -> Exchange:
        return self.send(plan.invalid_request(query, self.contract))

    def openapi(self) -> Exchange:
        return self.send(PlannedRequest("GET", plan.OPENAPI_PATH))

    def health(self) -> Exchange:
        return self.send(PlannedRequest("GET", plan.HEALTH_PATH))

    def invalid_search(self, query: InvalidQuery) -> Exchange:
        return self.send(plan.invalid_search_request(query))

    def gateway_status(self) -> Exchange:
        return self.send(PlannedRequest("GET", plan.STATUS_PATH))

    def catalog_totals(self) -> dict[str, int | None]:
        """Each contracted gateway's `total` from its catalog walk (the one the other contracts read)."""
        return {gateway.slug: self.walk(gateway.slug).total for gateway in self.contract.gateways}

    def gateway_names(self, gateway: Gateway) -> frozenset[str]:
        """The names the API may echo for a gateway: the contract's slug and aliases, and the aliases the live
        registry lists for the same entry (read from the registry probe every run sends anyway)."""
        registry = self.registry()
        return names_of(registry_names(registry.json) if registry.is_json else None, gateway.names)

    def registry(self) -> Exchange:
        return self.send(PlannedRequest("GET", self.contract.registry.path))

    def chat(self, model: str, *, authenticated: bool) -> Exchange:
        return self.send(plan.chat_request(model, authenticated=authenticated))

    def chat_unknown_model(self) -> Exchange:
        return self.chat(plan.UNKNOWN_MODEL, authenticated=True)

    def chat_without_key(self) -> Exchange:
        return self.chat(plan.unkeyed_chat_model(self.contract), authenticated=False)

    def probe_calls(self, gateway: Gateway, day: date) -> list[tuple[str, PlannedRequest, Exchange]]:
        """The callable probe of a gateway: each model of its sample on `day` (plan.probe_sample: from the rows
        its catalog lists) called once with the smallest chat request, through the session client."""
        sample = plan.probe_sample(self.contract, gateway, self.walk(gateway.slug).rows, day)
        return [(model, request, self.send(request)) for model in sample for request in [plan.probe_request(model)]]

    def probe_cover_days(self, gateway: Gateway) -> int | None:
        """After how many nights the probe's rotation has called every model the gateway lists for chat."""
        return plan.probe_cover_days(self.contract, gateway, self.walk(gateway.slug).rows)
