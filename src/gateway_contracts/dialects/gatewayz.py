"""The `gatewayz` dialect (the default): paginated catalogs per `gateway`, aliases, an aggregate, a registry,
search and status (docs/contract-file.md). `GET /v1/models?gateway=&limit=&offset=` answers an envelope.

Its contract file has `gateways` (each with aliases, bounds, required models, an id pattern, priced and
context shares), an optional `aggregate`, `pagination` and `registry`; its plan walks every page of each
contracted catalog and sends the probes the Gatewayz-only contracts read; `init` writes a contract from the
registry and each gateway's walk.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from gateway_contracts import plan
from gateway_contracts.contract_model import (
    DEFAULT_MAX_LIMIT,
    WHOLE_LIST,
    Aggregate,
    Bounded,
    CallableSpec,
    ChatSpec,
    Contract,
    Gateway,
    Reference,
    RegistrySpec,
    Source,
    Strict,
    ValueBounds,
    Versioned,
)
from gateway_contracts.data.exchange import Exchange
from gateway_contracts.data.pages import Walk
from gateway_contracts.dialects import starter_rules as rules
from gateway_contracts.dialects.base import (
    AGGREGATE,
    ALIASES,
    CATALOG_ROWS,
    CHAT,
    DEVELOPER_ROUTE,
    ENVELOPE,
    FUZZ_CHAT,
    FUZZ_CHAT_REFUSAL,
    FUZZ_DEVELOPER,
    FUZZ_ENVELOPE,
    FUZZ_REGISTRY,
    FUZZ_SEARCH,
    NOT_PRICED,
    OPENAI_SDK,
    REGISTRY,
    SEARCH,
    SPEC_ROUTE,
    STATUS,
    Client,
    Dialect,
    Loaded,
    Send,
    distinct,
)
from gateway_contracts.dialects.starter_rules import Refused, bounds, header, required_of, scalar
from gateway_contracts.invariants.agreement import belongs_to_developer
from gateway_contracts.invariants.models import has_known_context
from gateway_contracts.known_findings import KnownFindingSpec
from gateway_contracts.pager import walk
from gateway_contracts.plan import PlannedRequest

# -- the contract file -------------------------------------------------------------------------------------


def _band(value: list[float] | None) -> list[float] | None:
    if value is not None and (len(value) != 2 or not 0 <= value[0] <= value[1]):
        raise ValueError(f"expected [low, high] dollars per million tokens with 0 <= low <= high, got {value}")
    return value


_VALUES = ValueBounds()


class Defaults(Strict):
    latency_budget_s: float = Field(default=70.0, gt=0)
    max_unpriced_share: float = Field(default=1.0, ge=0, le=1)
    max_unknown_context_share: float = Field(default=1.0, ge=0, le=1)
    count_drop_tolerance: float = Field(default=0.10, ge=0, le=1)
    latency_regression_factor: float = Field(default=3.0, ge=1)
    # Values (docs/contract-file.md, "Values"): the price checks are on by default, placeholders off (1.0).
    price_band_per_million: list[float] = Field(default_factory=lambda: list(_VALUES.price_band_per_million))
    max_completion_discount: float = Field(default=_VALUES.max_completion_discount, ge=1)
    max_placeholder_context_share: float = Field(default=_VALUES.max_placeholder_context_share, ge=0, le=1)
    max_placeholder_price_share: float = Field(default=_VALUES.max_placeholder_price_share, ge=0, le=1)

    _band = field_validator("price_band_per_million")(classmethod(lambda cls, v: _band(v)))


class GatewaySpec(Bounded):
    aliases: list[str] = Field(default_factory=list)
    required_models: list[str] = Field(default_factory=list)
    latency_budget_s: float | None = Field(default=None, gt=0)
    id_pattern: str | None = None
    max_unpriced_share: float | None = Field(default=None, ge=0, le=1)
    max_unknown_context_share: float | None = Field(default=None, ge=0, le=1)
    count_drop_tolerance: float | None = Field(default=None, ge=0, le=1)
    min_callable_share: float | None = Field(default=None, ge=0, le=1)  # default: `callable.min_share`
    price_band_per_million: list[float] | None = None
    max_completion_discount: float | None = Field(default=None, ge=1)
    max_placeholder_context_share: float | None = Field(default=None, ge=0, le=1)
    max_placeholder_price_share: float | None = Field(default=None, ge=0, le=1)

    _band = field_validator("price_band_per_million")(classmethod(lambda cls, v: _band(v)))

    @field_validator("id_pattern")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"not a valid regular expression: {exc}") from None
        return value


class AggregateSpec(Bounded):
    slug: str = "all"
    latency_budget_s: float | None = Field(default=None, gt=0)


class ReferenceSpec(Strict):
    """An outside catalog in LiteLLM's model_prices_and_context_window format: a file or an http(s) URL."""

    file: str | None = Field(default=None, min_length=1)  # relative to the contract file
    url: str | None = Field(default=None, pattern=r"^https?://[^\s/]+")
    max_mismatch_share: float = Field(default=0.10, ge=0, le=1)
    tolerance: float = Field(default=0.05, ge=0, lt=1)
    providers: dict[str, str] = Field(default_factory=dict)  # gateway -> litellm_provider (default: the slug)
    gateways: list[str] | None = None  # the gateways compared (default: every contracted gateway)

    @model_validator(mode="after")
    def _one_source(self) -> ReferenceSpec:
        if (self.file is None) == (self.url is None):
            raise ValueError("name exactly one of file or url")
        return self


class PaginationSpec(Strict):
    max_limit: int = Field(default=DEFAULT_MAX_LIMIT, ge=1)
    # Upper bound on pages the pager follows for one catalog: a cursor that never ends is a finding.
    max_pages: int = Field(default=200, ge=1)


class _ContractModel(Versioned):
    dialect: Literal["gatewayz"] = "gatewayz"
    # The OpenAPI document (path relative to this file) the fuzz tests and the drift check hold the target to.
    openapi: str | None = Field(default=None, min_length=1)
    defaults: Defaults = Defaults()
    gateways: dict[str, GatewaySpec] = Field(min_length=1)
    aggregate: AggregateSpec | None = None
    chat: ChatSpec = ChatSpec()
    callable: CallableSpec = CallableSpec()
    pagination: PaginationSpec = PaginationSpec()
    registry: RegistrySpec = RegistrySpec()
    reference: ReferenceSpec | None = None  # opt-in: values compared with an outside catalog
    # known_findings.py: accepted findings, each with a ticket and an expiry
    known_findings: list[KnownFindingSpec] = Field(default_factory=list)


def _reject_reused_names(model: _ContractModel, source: Source) -> None:
    # Checked here, not in a model validator, so the error points at the reused alias (pydantic would
    # place a model-level error at the top of the file).
    seen: dict[str, str] = {}
    for slug, spec in model.gateways.items():
        for index, name in enumerate((slug, *spec.aliases)):
            key = name.lower()
            if key in seen:
                loc = ("gateways", slug) if index == 0 else ("gateways", slug, "aliases", str(index - 1))
                raise source.error(loc, f"gateway name {name!r} is used twice ({seen[key]} and {slug})")
            seen[key] = slug


def _values(spec: GatewaySpec, d: Defaults) -> ValueBounds:
    def pick(own: Any, default: Any) -> Any:
        return own if own is not None else default

    low, high = pick(spec.price_band_per_million, d.price_band_per_million)
    return ValueBounds(
        price_band_per_million=(low, high),
        max_completion_discount=pick(spec.max_completion_discount, d.max_completion_discount),
        max_placeholder_context_share=pick(spec.max_placeholder_context_share, d.max_placeholder_context_share),
        max_placeholder_price_share=pick(spec.max_placeholder_price_share, d.max_placeholder_price_share),
    )


def _reference(model: _ContractModel, source: Source) -> Reference | None:
    """The reference block; a file is read and parsed now (a missing or broken one is a contract error, exit 6),
    a URL is fetched by the run's store."""
    spec = model.reference
    if spec is None:
        return None
    for slug in spec.providers:
        if slug not in model.gateways:
            raise source.error(("reference", "providers", slug), f"{slug!r} is not a contracted gateway")
    for index, slug in enumerate(spec.gateways or ()):
        if slug not in model.gateways:
            raise source.error(("reference", "gateways", str(index)), f"{slug!r} is not a contracted gateway")
    common = {"max_mismatch_share": spec.max_mismatch_share, "tolerance": spec.tolerance,
              "providers": tuple(spec.providers.items()),
              "gateways": tuple(spec.gateways) if spec.gateways is not None else None}
    if spec.url is not None:
        return Reference(spec.url, **common)
    path = Path(spec.file or "")
    path = path if path.is_absolute() else source.path.parent / path
    where = ("reference", "file")
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise source.error(where, f"no such file {path}") from None
    except (OSError, UnicodeError) as exc:
        raise source.error(where, f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}") from None
    except json.JSONDecodeError as exc:
        raise source.error(where, f"{path}:{exc.lineno}: not valid JSON: {exc.msg}") from None
    if not isinstance(document, dict):
        raise source.error(where, f"{path} is not a JSON object of model -> prices (LiteLLM's format)")
    return Reference(str(path), document=document, **common)


def _resolve(model: _ContractModel, source: Source) -> Contract:
    d = model.defaults
    gateways = tuple(
        Gateway(
            slug=slug,
            aliases=tuple(spec.aliases),
            min_models=spec.min_models,
            max_models=spec.max_models,
            required_models=tuple(spec.required_models),
            latency_budget_s=spec.latency_budget_s or d.latency_budget_s,
            id_pattern=spec.id_pattern,
            max_unpriced_share=(
                spec.max_unpriced_share if spec.max_unpriced_share is not None else d.max_unpriced_share
            ),
            count_drop_tolerance=(
                spec.count_drop_tolerance if spec.count_drop_tolerance is not None else d.count_drop_tolerance
            ),
            max_unknown_context_share=(
                spec.max_unknown_context_share if spec.max_unknown_context_share is not None
                else d.max_unknown_context_share
            ),
            min_callable_share=(
                spec.min_callable_share if spec.min_callable_share is not None else model.callable.min_share
            ),
            values=_values(spec, d),
        )
        for slug, spec in model.gateways.items()
    )
    aggregate = None
    if model.aggregate is not None:
        a = model.aggregate
        aggregate = Aggregate(
            slug=a.slug,
            min_models=a.min_models,
            max_models=a.max_models,
            latency_budget_s=a.latency_budget_s or d.latency_budget_s,
        )
    return Contract(
        path=source.path,
        dialect=Gatewayz.name,
        version=model.version,
        gateways=gateways,
        aggregate=aggregate,
        chat_models=tuple(model.chat.models),
        chat_latency_budget_s=model.chat.latency_budget_s or d.latency_budget_s,
        callable_probe=model.callable,
        max_limit=model.pagination.max_limit,
        max_pages=model.pagination.max_pages,
        registry=model.registry,
        latency_regression_factor=d.latency_regression_factor,
        count_drop_tolerance=d.count_drop_tolerance,
        reference=_reference(model, source),
    )


# -- init: observing a target (through the suite's client) and writing its starter contract -----------------


@dataclass
class Catalog:
    name: str
    aliases: tuple[str, ...] = ()
    ids: list[Any] = field(default_factory=list)  # in served order, duplicates kept
    rows: list[Any] = field(default_factory=list)
    problem: str | None = None  # why no usable walk: the answer that stopped it

    @property
    def distinct(self) -> int:
        return len(set(self.ids))


def _walk(client: Client, gateway: str) -> Walk:
    def fetch(offset: int, limit: int) -> Exchange:
        request = plan.models_page(gateway, offset, limit)
        return client.get(request.path, request.query)

    return walk(fetch, limit=rules.MAX_LIMIT, max_pages=rules.MAX_PAGES)


def _catalog(client: Client, name: str, aliases: tuple[str, ...] = ()) -> Catalog:
    result = _walk(client, name)
    catalog = Catalog(name, aliases, ids=result.ids, rows=result.rows)
    first = result.first
    if first is None or first.status != 200 or not result.pages[0].usable:
        catalog.problem = first.describe() if first is not None else "no answer"
    elif not result.complete:
        catalog.problem = result.findings[0].message
    return catalog


def registry_entries(body: Any) -> list[tuple[str, tuple[str, ...]]]:
    """(id, aliases) of each registry entry, in the registry's order; names used twice are kept once (a contract
    rejects a reused name)."""
    data = body.get("data") if isinstance(body, dict) else None
    seen: set[str] = {WHOLE_LIST}
    entries = []
    for entry in data if isinstance(data, list) else ():
        slug = entry.get("id") if isinstance(entry, dict) else None
        if not isinstance(slug, str) or not slug.strip() or slug.lower() in seen:
            continue
        seen.add(slug.lower())
        aliases = []
        for alias in entry.get("aliases") or ():
            if isinstance(alias, str) and alias.strip() and alias.lower() not in seen:
                seen.add(alias.lower())
                aliases.append(alias)
        entries.append((slug, tuple(aliases)))
    return entries


def observe(client: Client) -> tuple[list[Catalog], Catalog | None]:
    registry = client.get(RegistrySpec().path)
    if registry.status is None:
        raise Refused(f"target unreachable: {client.base_url}: {registry.error}")
    entries = registry_entries(registry.json if registry.is_json else None)
    if not entries:
        raise Refused(f"nothing to write a contract from at {client.base_url}: {registry.describe()} lists no "
                      "gateway (not a Gatewayz API? try --dialect openai)")
    catalogs = [_catalog(client, slug, aliases) for slug, aliases in entries]
    aggregate = _catalog(client, WHOLE_LIST)
    if all(c.problem for c in catalogs) and aggregate.problem:
        raise Refused(f"nothing to write a contract from at {client.base_url}: no catalog answers a usable walk "
                      f"(e.g. {catalogs[0].problem})")
    return catalogs, aggregate


def render(url: str, when: str, catalogs: Sequence[Catalog], aggregate: Catalog | None,
                    document: str | None) -> tuple[str, list[str]]:
    """The contract's text, and the notes init prints (gateways whose gate will fail on what it saw)."""
    notes: list[str] = []
    served = [c for c in catalogs if not c.problem]
    everywhere = set(aggregate.ids) if aggregate is not None and not aggregate.problem else None
    context_served = any(has_known_context(r) for c in served for r in c.rows)
    lines = [*header(url, when, Gatewayz.name), "version: 1"]
    if document:
        lines += ["# The API as consumers may rely on it (shipped with gateway-contracts; the fuzz tests hold the",
                  "# target to it). Keep your own copy when your API promises more or less.",
                  f"openapi: {scalar(document)}"]
    lines += ["", "defaults:", "  latency_budget_s: 70              # per request"]
    if context_served:
        lines.append(f"  max_unknown_context_share: {rules.CONTEXT_BOUND}  # context_length missing, null or 0")
    else:
        lines.append("  # max_unknown_context_share: not bounded: no row served a context_length")
    lines += [f"  max_placeholder_context_share: {rules.PLACEHOLDER_BOUND}  # one context length on this share of rows",
              f"  max_placeholder_price_share: {rules.PLACEHOLDER_BOUND}    # one (prompt, completion) price on it",
              "  # price_band_per_million and max_completion_discount: the defaults (docs/contract-file.md, Values)",
              "  # reference: {file: model_prices.json}  # opt-in: compare with a catalog in LiteLLM's format"]
    lines += ["", "gateways:"]
    for catalog in sorted(served, key=lambda c: (-c.distinct, c.name.lower())):
        rows = len(catalog.ids)
        lines.append(f"  {scalar(catalog.name)}:")
        if catalog.aliases:
            lines.append(f"    aliases: [{', '.join(scalar(a) for a in catalog.aliases)}]")
        if rows == 0:
            lines.append("    min_models: 0                # listed, served no model: raise it once it does")
            continue
        lines += bounds("    ", catalog.distinct, rows)
        required = required_of(catalog.ids, everywhere)
        if required:
            lines.append(f"    required_models: [{', '.join(scalar(r) for r in required)}]")
        for key, bound, comment in rules.placeholder_bounds(catalog.rows):
            lines.append(f"    {key}: {bound}  # {comment}")
            if bound >= 1.0:
                notes.append(f"{catalog.name}: {comment}: not bounded ({key}: 1.0); lower it unless that provider "
                             "really serves every model so")
        for key, value, comment in rules.price_bounds(catalog.rows):
            lines.append(f"    {key}: {value}  # {comment}")
            notes.append(f"{catalog.name}: {comment.split(': fix')[0].split(': look')[0]}; {key} widened to {value}")
        share = rules.unknown_share(catalog.rows) if context_served else None
        bound = rules.context_bound(share)
        if bound is not None:
            lines.append(f"    max_unknown_context_share: {bound}  # observed {share:.0%} unknown")
        elif share is not None and share >= 1.0:
            lines.append(f"    # every row's context length is unknown: over the {rules.CONTEXT_BOUND:.0%} bound")
            notes.append(f"{catalog.name}: every one of its {rows} rows has an unknown context length (missing, "
                         f"null or 0); its gate fails on max_unknown_context_share {rules.CONTEXT_BOUND} until that is "
                         "fixed or the bound raised")
    left_out = [c for c in catalogs if c.problem]
    if left_out:
        lines += ["", "# Listed by the registry, left out: their catalog gave no usable walk when observed."]
        lines += [f"#   {c.name}: {c.problem}" for c in left_out]
        notes += [f"{c.name}: left out: {c.problem}" for c in left_out]
    if everywhere is not None and aggregate is not None:
        lines += ["", "aggregate:", f"  slug: {WHOLE_LIST}", *bounds("  ", aggregate.distinct, len(aggregate.ids))]
    elif aggregate is not None:
        lines += ["", f"# No aggregate: gateway={WHOLE_LIST} gave no usable walk ({aggregate.problem})."]
    lines += ["", "chat:", "  models: []                      # add the models your product chats with", ""]
    return "\n".join(lines), notes




# -- the dialect ------------------------------------------------------------------------------------------------


class Gatewayz(Dialect):
    name: ClassVar[str] = "gatewayz"
    about: ClassVar[str] = "the registry and paginated catalogs"
    always: ClassVar[frozenset[str]] = frozenset({ENVELOPE, ALIASES, AGGREGATE, CATALOG_ROWS, REGISTRY, SEARCH, STATUS,
                                                  SPEC_ROUTE, DEVELOPER_ROUTE, NOT_PRICED, CHAT, OPENAI_SDK})
    own_keys: ClassVar[tuple[str, ...]] = ("gateways", "aggregate", "pagination", "registry", "reference")
    unit: ClassVar[str] = "gateway"
    catalogs_key: ClassVar[str | None] = "gateways"
    init_document: ClassVar[str] = "gatewayz-api.openapi.json"
    # Gatewayz answers a bare `GET /v1/models` with its documented default page.
    sdk_page: ClassVar[Mapping[str, Any] | None] = {"gateway": "all", "limit": 100, "offset": 0}
    aggregate_by_source: ClassVar[bool] = True  # `gateway=all`: a row per (id, source_gateway)
    fuzz_routes: ClassVar[Mapping[tuple[str, str], tuple[str, ...]]] = {
        ("GET", "/v1/models"): (FUZZ_ENVELOPE,), ("GET", "/models"): (FUZZ_ENVELOPE,),
        ("GET", "/v1/models/search"): (FUZZ_SEARCH,), ("GET", "/v1/models/{}"): (FUZZ_DEVELOPER,),
        ("GET", "/v1/gateways"): (FUZZ_REGISTRY,),
        ("POST", "/v1/chat/completions"): (FUZZ_CHAT, FUZZ_CHAT_REFUSAL),
    }

    def walk(self, contract: Contract, name: str, send: Send, *, limit: int | None, keyed: bool) -> Walk:
        """Every page of the catalog `name` (a slug, an alias or the aggregate), following `next_offset` from 0
        at the contract's largest page size by default."""
        return walk(lambda offset, size: send(plan.models_page(name, offset, size)),
                    limit=limit or contract.max_limit, max_pages=contract.max_pages)

    def load(self, raw: dict[str, Any], source: Source) -> Loaded:
        model = source.validate(_ContractModel, raw)
        _reject_reused_names(model, source)
        return Loaded(_resolve(model, source), model.openapi, list(model.known_findings))

    def preflight_requests(self, contract: Contract, *, keyed: bool) -> list[PlannedRequest]:
        """/health, the spec and the registry."""
        return [PlannedRequest("GET", plan.HEALTH_PATH), PlannedRequest("GET", plan.OPENAPI_PATH),
                PlannedRequest("GET", contract.registry.path)]

    def preflight(self, contract: Contract, send: Send, url: str, *, keyed: bool) -> str | None:
        first, *others = self.preflight_requests(contract, keyed=keyed)
        health = send(first)
        if health.unreachable:  # no connection at all (refused, DNS, TLS, connect timeout): other paths cannot differ
            return f"target unreachable: {url}: {health.error}"
        probes = [health, *(send(r) for r in others)]
        if all(p.status is None for p in probes):
            return f"target unreachable: {url}: {probes[0].error}"
        if all(p.status == 404 for p in probes) and send(plan.models_page(plan.probe_gateway(contract), 0, 1)).status \
                == 404:
            return (f"no Gatewayz API at {url}: /health, /openapi.json, /v1/gateways and /v1/models all answer 404 "
                    "(wrong base path?)")
        return None

    def planned_requests(self, contract: Contract, totals: Mapping[str, int | None], *,
                         keyed: bool) -> list[PlannedRequest]:
        """Each page of each contracted catalog (slug, aliases, the aggregate) at the largest page size, the
        second small-page walk of a catalog that fits one page, the past-the-end and other-case pages, the
        invalid list and search queries, the status probe, the chat probes and the three preflight probes."""
        limit, max_pages = contract.max_limit, contract.max_pages
        requests = self.preflight_requests(contract, keyed=False)
        for gateway in contract.gateways:
            total = totals.get(gateway.slug)
            for name in gateway.names:
                requests += plan.walk_pages(name, totals.get(name), limit, max_pages)
            small = plan.small_walk_limit(total, limit)
            if small is not None:
                requests += plan.walk_pages(gateway.slug, total, small, max_pages)
            if total is not None:
                requests.append(plan.past_end_page(gateway.slug, total))
            requests.append(plan.case_variant_page(gateway.slug))
        if contract.aggregate is not None:
            slug = contract.aggregate.slug
            requests += plan.walk_pages(slug, totals.get(slug), limit, max_pages)
            requests.append(plan.repeat_first_page(slug, limit))
            requests.append(plan.unique_page(slug, limit))
        requests += [plan.invalid_request(query, contract) for query in plan.invalid_queries(limit)]
        requests += [plan.invalid_search_request(q) for q in plan.invalid_search_queries()]
        requests.append(PlannedRequest("GET", plan.STATUS_PATH))
        requests.append(plan.chat_request(plan.unkeyed_chat_model(contract), authenticated=False))
        if keyed:
            requests += [plan.chat_request(m, authenticated=True) for m in contract.chat_models]
            # The OpenAI SDK contract compares what a bare GET lists with this page.
            page = self.sdk_page or {}
            requests.append(plan.models_page(str(page["gateway"]), int(page["offset"]), int(page["limit"])))
        return distinct(requests)

    def agreement_requests(self, contract: Contract, rows: Mapping[str, Sequence[Any]],
                           totals: Mapping[str, int | None], *, suite: str = "gate") -> list[PlannedRequest]:
        """The `suite`'s sample (plan.py; gate or nightly): per contracted gateway, searches within it for its
        sampled ids and over all (the gate: for the first); with the aggregate, every page of unique mode, the
        sampled developers' pages and the two route aliases (`/models`, no `gateway=`)."""
        everywhere = contract.aggregate.slug if contract.aggregate is not None else WHOLE_LIST
        requests: list[PlannedRequest] = []
        for gateway in contract.gateways:
            served = rows.get(gateway.slug)
            if served is None:
                continue
            ids = [r.get("id") for r in served if isinstance(r, dict)]
            sample = plan.search_sample(ids, gateway.required_models, suite=suite)
            requests += [plan.search_request(model_id, gateway.slug) for model_id in sample]
            requests += [plan.search_request(model_id, everywhere)
                         for model_id in plan.searched_over_all(sample, suite=suite)]
        if contract.aggregate is not None:
            slug, limit = contract.aggregate.slug, contract.max_limit
            requests += plan.unique_pages(slug, totals.get(plan.unique_name(slug)), limit, contract.max_pages)
            aggregate_rows = rows.get(slug) or ()
            ids = [r.get("id") for r in aggregate_rows if isinstance(r, dict)]
            for developer in plan.developer_sample(ids, suite=suite):
                count = sum(belongs_to_developer(r, developer) for r in aggregate_rows)
                requests += plan.developer_pages(developer, count, plan.developer_limit(limit))
            requests.append(plan.root_alias_page(slug, limit))
            if slug == WHOLE_LIST:  # the API's default gateway
                requests.append(plan.default_gateway_page(limit))
        return requests

    def observe_and_render(self, client: Client, url: str, when: str,
                           document: str | None) -> tuple[str, list[str]]:
        catalogs, aggregate = observe(client)
        return render(url, when, catalogs, aggregate, document)

