"""Catalog invariants as schemathesis checks: every generated call obeys the single-response contracts.

schemathesis' own checks see the document (status codes, content types, schemas, valid data accepted,
invalid data rejected, auth enforced). These add what the document cannot say and the gate's contracts
check on the pages they fetch: envelope arithmetic, `source_gateway`, ids, pricing, JSON error bodies,
plus the search, developer, registry and chat equivalents. The invariants themselves are pure and live in
`invariants/` (responses.error_body, search, developer, registry, ...); which apply to a route is the contract's
dialect's (`fuzz_routes`). This module reads a fuzzed answer's query and hands it to them: `findings_for` is
pure (unit-tested); the registered functions only adapt schemathesis' objects to it.

Checks are global functions with a fixed signature, so what they need from the session (the contract's
gateways, aliases, id formats and chat models) is set once per process with `configure`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import schemathesis
from schemathesis import Case, CheckContext, Response
from schemathesis.core.failures import Failure, FailureGroup, Severity

from gateway_contracts import dialects
from gateway_contracts.contract import Contract
from gateway_contracts.data.exchange import Exchange
from gateway_contracts.data.findings import Finding, render_all, sample
from gateway_contracts.data.jsontypes import is_int
from gateway_contracts.data.kinds import UNREGISTERED_CODE, kind_of
from gateway_contracts.data.pages import Page
from gateway_contracts.dialects.base import (
    FUZZ_CHAT,
    FUZZ_CHAT_REFUSAL,
    FUZZ_DEVELOPER,
    FUZZ_ENVELOPE,
    FUZZ_MODEL_LIST,
    FUZZ_MODEL_OBJECT,
    FUZZ_REGISTRY,
    FUZZ_SEARCH,
    Route,
)
from gateway_contracts.fuzz.documents import template_key
from gateway_contracts.invariants.contents import aggregate_pairs_unique, no_duplicate_ids
from gateway_contracts.invariants.developer import developer_listing, provider_filter_holds
from gateway_contracts.invariants.envelope import check_envelope
from gateway_contracts.invariants.models import check_model_rows, check_unique_rows
from gateway_contracts.invariants.openai_models import check_list_body, check_model_body, list_ids
from gateway_contracts.invariants.pagination import page_sizes
from gateway_contracts.invariants.registry import registry_body
from gateway_contracts.invariants.responses import chat_answered, error_body
from gateway_contracts.invariants.search import search_answer

# Operations are recognised by method and path template (documents.template_key), so a target whose spec
# names the developer parameter `{developer_name}` is checked the same.
LIST_PATHS = frozenset({"/v1/models", "/models"})
SEARCH_PATH = "/v1/models/search"
DEVELOPER_PATH = "/v1/models/{}"
REGISTRY_PATH = "/v1/gateways"
STATUS_PATH = "/v1/gateways/status"
CHAT_PATH = "/v1/chat/completions"
LIST_DEFAULTS = {"gateway": "all", "limit": 100, "offset": 0}
SEARCH_DEFAULTS = {"gateway": "all", "limit": 20, "offset": 0}
TRUE_SPELLINGS = frozenset({"true", "1", "yes", "on", "t", "y"})


@dataclass(frozen=True)
class CatalogFacts:
    """What the checks know about the target from the contract (empty: only shape and arithmetic)."""

    slugs: Mapping[str, str] = field(default_factory=dict)  # any name, lower-cased -> canonical slug
    sources: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # slug -> accepted source_gateway
    id_patterns: Mapping[str, str | None] = field(default_factory=dict)
    aggregate: str = "all"
    chat_models: frozenset[str] = frozenset()
    registry: Mapping[str, str] = field(default_factory=dict)  # the live /v1/gateways: name, lower-cased -> id
    # Which check reads a 200 of each route: the contract's dialect says (`Dialect.fuzz_routes`): the same route
    # means different bodies in different dialects. Default: the default dialect's.
    routes: Mapping[Route, tuple[str, ...]] = field(default_factory=lambda: dict(dialects.DEFAULT.fuzz_routes))

    def gateway_names(self) -> list[str]:
        """Every valid `gateway` value (lower case, sorted: derandomized generation draws the same ones):
        the contract's slugs and aliases, the aggregate, and what the live registry lists."""
        return sorted({*self.slugs, self.aggregate.lower(), *self.registry})

    def names_of(self, slug: str | None) -> frozenset[str]:
        """Every name (lower case) that selects the gateway `slug`: the API may echo any of them (the backend
        echoes the registry entry's fetch slug, which can be an alias: `hug` for `huggingface`)."""
        if slug is None:
            return frozenset()
        return frozenset({slug.lower(), *(name for name, target in self.slugs.items() if target == slug)})

    def with_registry(self, names: Mapping[str, str] | None) -> CatalogFacts:
        """The facts plus the live registry's names (the contract's canonical slugs win)."""
        from dataclasses import replace

        names = dict(names or {})
        return replace(self, registry=names, slugs={**{k: v for k, v in names.items()}, **self.slugs})

    @classmethod
    def from_contract(cls, contract: Contract) -> CatalogFacts:
        return cls(
            slugs={name.lower(): g.slug for g in contract.gateways for name in g.names},
            sources={g.slug: g.names for g in contract.gateways},
            id_patterns={g.slug: g.id_pattern for g in contract.gateways},
            aggregate=contract.aggregate.slug if contract.aggregate else "all",
            chat_models=frozenset(contract.chat_models),
            routes=dict(dialects.of(contract).fuzz_routes),
        )

    def checks(self, method: str, route: str) -> tuple[str, ...]:
        """The checks the contract's dialect applies to a 200 of `method route` (none: status and schema only)."""
        return self.routes.get((method, route), ())

    def reads(self, check: str) -> bool:
        """Whether any route of the contract's API is read by `check` (e.g. it has a registry)."""
        return any(check in checks for checks in self.routes.values())


_facts = CatalogFacts()


def configure(facts: CatalogFacts) -> None:
    global _facts
    _facts = facts


def facts() -> CatalogFacts:
    return _facts


# -- the pure part ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """One fuzzed call, as the checks read it."""

    method: str
    path: str  # the operation's path template, e.g. /v1/models/{developer}
    exchange: Exchange  # URL as sent, status, content type, body (as received: the findings' text is redacted)
    path_parameters: Mapping[str, Any] = field(default_factory=dict)
    body: Any = None  # the request body
    positive: bool = True  # generated as valid data


def findings_for(answer: Answer, known: CatalogFacts | None = None) -> list[Finding]:
    """What is wrong with one fuzzed answer: an error must be a JSON error body; a 200 is read by the checks the
    contract's dialect names for its route (`CatalogFacts.routes`)."""
    known = known or _facts
    exchange = answer.exchange
    status = exchange.status or 0
    if status >= 400:
        return error_body(exchange)
    if status != 200:
        return []
    return [f for check in known.checks(answer.method, template_key(answer.path))
            for f in _ROUTE_CHECKS.get(check, _no_check)(answer, known)]


def _no_check(answer: Answer, known: CatalogFacts) -> list[Finding]:
    return []


def _model_object(answer: Answer, known: CatalogFacts) -> list[Finding]:
    model_id = next(iter(answer.path_parameters.values()), "")
    return check_model_body(answer.exchange.json, model_id=str(model_id), request=answer.exchange.describe())


def _chat_answer(answer: Answer, known: CatalogFacts) -> list[Finding]:
    model = answer.body.get("model") if isinstance(answer.body, Mapping) else None
    return chat_answered(answer.exchange, model=str(model))


# What each check a dialect may name (base.py's FUZZ_*) runs on a 200 answer. FUZZ_CHAT_REFUSAL reads 400s: it
# is the `chat_rejections` check's (below), asked by name.
_ROUTE_CHECKS = {
    FUZZ_ENVELOPE: lambda answer, known: catalog_page(answer.exchange, known),
    FUZZ_MODEL_LIST: lambda answer, known: model_list_page(answer.exchange),
    FUZZ_MODEL_OBJECT: _model_object,
    FUZZ_SEARCH: lambda answer, known: search_page(answer.exchange, known),
    FUZZ_DEVELOPER: lambda answer, known: developer_listing(answer.exchange),
    FUZZ_REGISTRY: lambda answer, known: registry_body(answer.exchange),
    FUZZ_CHAT: _chat_answer,
}


def model_list_page(exchange: Exchange) -> list[Finding]:
    """A 200 of the OpenAI models API's list: the list body and its ids. No envelope, no pagination: the list is
    one body."""
    request = exchange.describe()
    return check_list_body(exchange.json, request=request) + no_duplicate_ids(list_ids(exchange.json),
                                                                            request=request)


def catalog_page(exchange: Exchange, known: CatalogFacts) -> list[Finding]:
    """A 200 page of /v1/models: envelope arithmetic, echoes, rows, duplicates, filters."""
    query = sent_query(exchange.url)
    offset, limit = _int(query, "offset", LIST_DEFAULTS), _int(query, "limit", LIST_DEFAULTS)
    gateway = _text(query, "gateway", LIST_DEFAULTS)
    request = exchange.describe()
    if offset is None or limit is None:
        return []  # an unparseable number the server accepted: the negative-data check reports it
    slug = _slug(gateway, known)
    findings = check_envelope(exchange.json, offset=offset, limit=limit, gateway=slug,
                              gateway_names=known.names_of(slug), request=request)
    rows = _rows(exchange.json, "data")
    if rows is None:
        return findings
    total = exchange.json.get("total") if isinstance(exchange.json, dict) else None
    if is_int(total) and not findings:  # a silent cap (R16) is visible on one page: min(limit, total - offset)
        findings += page_sizes([Page(offset, limit, exchange)], total=total)
    # `unique_models` applies to the aggregate only (any other gateway ignores it): one row per id, in the
    # unique row's own shape (`providers: [...]`, no `source_gateway`).
    unique_asked = _text(query, "unique_models", {"unique_models": "false"}).lower() in TRUE_SPELLINGS
    unique = unique_asked and slug == known.aggregate
    if unique:
        findings += check_unique_rows(rows, request=request)
    else:
        findings += _rows_findings(rows, slug, known, request)
    if slug is not None and (slug != known.aggregate or unique):
        findings += no_duplicate_ids([r.get("id") for r in rows if isinstance(r, dict)], request=request)
    else:
        findings += aggregate_pairs_unique(rows, request=request)
    if "provider" in query:
        findings += provider_filter_holds(rows, query["provider"][-1], request=request)
    return findings


def search_page(exchange: Exchange, known: CatalogFacts) -> list[Finding]:
    """A 200 search answer: `meta` arithmetic and echoes, every row matches `q` (invariants/search.py), rows well
    formed and from the gateway asked for."""
    query = sent_query(exchange.url)
    offset, limit = _int(query, "offset", SEARCH_DEFAULTS), _int(query, "limit", SEARCH_DEFAULTS)
    if offset is None or limit is None or not isinstance(exchange.json, dict):
        return []
    request = exchange.describe()
    findings = search_answer(exchange.json, offset=offset, limit=limit, needle=_text(query, "q", {"q": ""}),
                             request=request)
    rows = _rows(exchange.json, "data")
    if rows is None:
        return findings
    slug = _slug(_text(query, "gateway", SEARCH_DEFAULTS), known)
    return findings + _rows_findings(rows, slug, known, request)


def next_page(parent: Exchange, child: Exchange) -> list[Finding]:
    """A page reached through the `nextPage` link continues its parent: it starts at the parent's
    `next_offset` and, for the same query, serves rows the parent did not (no repeats, no stall)."""
    before, after = parent.json, child.json
    if not (isinstance(before, dict) and isinstance(after, dict)) or child.status != 200:
        return []
    request = child.describe()
    parent_query, child_query = sent_query(parent.url), sent_query(child.url)
    offset = _int(child_query, "offset", LIST_DEFAULTS)
    if offset != before.get("next_offset"):
        return [Finding("next-page", f"followed next_offset {before.get('next_offset')!r} but the page starts at "
                                     f"offset {offset!r}", request)]
    same_query = {k: v for k, v in parent_query.items() if k != "offset"} == {
        k: v for k, v in child_query.items() if k != "offset"}
    rows_before, rows_after = _rows(before, "data") or [], _rows(after, "data") or []
    if not same_query:
        return []  # the link could not carry every parameter: another query's page, checked on its own
    findings = []
    if before.get("has_more") is True and not rows_after:
        findings.append(Finding("next-page", f"the parent page said has_more, the page at offset {offset} is empty",
                                request))

    def key(row: Any) -> Any:
        return (row.get("id"), row.get("source_gateway")) if isinstance(row, dict) else None

    repeated = {key(r) for r in rows_before} & {key(r) for r in rows_after} - {None}
    if repeated:
        findings.append(Finding("next-page", f"{len(repeated)} rows of the previous page are served again at "
                                             f"offset {offset}", request, sample(sorted(map(str, repeated)))))
    return findings


def chat_rejection(answer: Answer, known: CatalogFacts | None = None) -> list[Finding]:
    """A valid chat body rejected with 400 is only acceptable for a model outside the contract: in Gatewayz as
    `model_not_priced` (the one reason positive data may be refused: see profiles.CHAT_POSITIVE_STATUSES), in
    the openai dialect with any JSON error (error_body checks it is one)."""
    known = known or _facts
    exchange = answer.exchange
    if not (answer.positive and answer.method == "POST" and template_key(answer.path) == CHAT_PATH
            and exchange.status == 400):
        return []
    model = answer.body.get("model") if isinstance(answer.body, Mapping) else None
    body = exchange.json
    error = body.get("error") if isinstance(body, dict) else None
    code = error.get("code") if isinstance(error, dict) else None
    if model in known.chat_models:
        return [Finding("chat", f"contracted chat model {model!r} rejected with 400", exchange.describe())]
    if FUZZ_CHAT_REFUSAL not in known.checks("POST", CHAT_PATH):
        return []  # e.g. the OpenAI API rejects a model it does not serve with a 4xx of its own wording
    if code != "model_not_priced":
        return [Finding("chat", f"a schema-valid chat body answered 400 {code or exchange.excerpt(80)!r}, not "
                                "model_not_priced", exchange.describe())]
    return []


# -- helpers ---------------------------------------------------------------------------------------


def sent_query(url: str) -> dict[str, list[str]]:
    """The query as it went over the wire (what the server parsed), not as it was generated."""
    return parse_qs(urlsplit(url).query, keep_blank_values=True)


def _text(query: Mapping[str, list[str]], name: str, defaults: Mapping[str, Any]) -> str:
    values = query.get(name)
    return values[-1] if values else str(defaults[name])


def _int(query: Mapping[str, list[str]], name: str, defaults: Mapping[str, Any]) -> int | None:
    try:
        return int(_text(query, name, defaults))
    except ValueError:
        return None



def _slug(gateway: str, known: CatalogFacts) -> str | None:
    """The canonical slug the envelope must echo; None for a gateway the contract does not know."""
    key = gateway.lower()
    if key == known.aggregate:
        return known.aggregate
    return known.slugs.get(key)


def _rows(body: Any, key: str) -> list[Any] | None:
    rows = body.get(key) if isinstance(body, dict) else None
    return rows if isinstance(rows, list) else None


def _rows_findings(rows: list[Any], slug: str | None, known: CatalogFacts, request: str) -> list[Finding]:
    """Per-gateway rows (not unique mode): well formed, and `source_gateway` a name of the gateway asked for
    (any gateway's name in the aggregate, whose rows come from registry gateways the contract may not cover)."""
    single = slug is not None and slug != known.aggregate
    findings = check_model_rows(
        rows,
        allowed_sources=known.names_of(slug) if single else None,
        id_pattern=known.id_patterns.get(slug) if single and slug else None,
        request=request,
    )
    if not single:
        sourceless = [r.get("id") for r in rows
                      if isinstance(r, dict) and not (isinstance(r.get("source_gateway"), str) and r["source_gateway"])]
        if sourceless:
            findings.append(Finding("source-gateway", f"{len(sourceless)} row(s) name no source_gateway", request,
                                    sample(sourceless)))
    return findings


# -- schemathesis registration ---------------------------------------------------------------------


def answer_of(response: Response, case: Case) -> Answer:
    # The body is checked as received; only the failure text is redacted (redacting first could rewrite the
    # very values under check wherever the key happens to occur in them).
    request = response.request
    text = response.content.decode(response.encoding or "utf-8", "replace") if response.content else ""
    url = str(request.url)
    exchange = Exchange(
        method=str(request.method),
        url=url,
        status=response.status_code,
        content_type=(response.headers.get("content-type") or [""])[0],  # lower-case keys, list values
        text=text,
        elapsed_s=response.elapsed,
    )
    meta = case.meta
    return Answer(
        method=case.operation.method.upper(),
        path=case.operation.path,
        exchange=exchange,
        path_parameters=case.path_parameters or {},
        body=case.body if isinstance(case.body, Mapping) else None,
        positive=meta is None or meta.generation.mode.is_positive,
    )


_redact: Any = None


def configure_redaction(redact: Any) -> None:
    global _redact
    _redact = redact


def failure_text(findings: list[Finding]) -> str:
    text = render_all(findings)
    return _redact(text) if _redact is not None else text


# Each invariant is a schemathesis failure of its own, with the stable code of its finding kind (data/kinds.py:
# one registry for the gate's findings and the fuzzer's), so reports title it and a run de-duplicates it like
# schemathesis' own (ServerError is ST101).
class CatalogInvariantFailure(Failure):
    """A catalog invariant broken by one fuzzed answer; titled and de-duplicated per invariant. Each
    invariant has its own subclass (`failure_class`) carrying its code, as schemathesis' failures do."""

    code = UNREGISTERED_CODE
    checks = ("catalog_invariants", "chat_rejections")
    kind_title = "Catalog invariant broken"
    invariant = ""

    def __init__(self, *, operation: str, message: str, case_id: str | None = None) -> None:
        super().__init__(operation=operation, title=f"{kind_of(self.invariant).title} (`{self.invariant}`)",
                         message=message, case_id=case_id, severity=Severity.HIGH)

    @property
    def _unique_key(self) -> str:
        return self.invariant


_failure_classes: dict[str, type[CatalogInvariantFailure]] = {}


def failure_class(invariant: str) -> type[CatalogInvariantFailure]:
    if invariant not in _failure_classes:
        name = "".join(part.title() for part in invariant.split("-")) + "Broken"
        _failure_classes[invariant] = type(name, (CatalogInvariantFailure,), {
            "code": kind_of(invariant).code, "invariant": invariant, "__slots__": ()})
    return _failure_classes[invariant]


def failures_of(findings: list[Finding], case: Case) -> list[CatalogInvariantFailure]:
    """One typed failure per broken invariant (its findings' text together, redacted)."""
    by_invariant: dict[str, list[Finding]] = {}
    for finding in findings:
        by_invariant.setdefault(finding.invariant, []).append(finding)
    return [failure_class(invariant)(operation=case.operation.label, message=failure_text(found), case_id=case.id)
            for invariant, found in by_invariant.items()]


def raise_findings(findings: list[Finding], case: Case) -> None:
    """Raise the findings as typed schemathesis failures (nothing when there are none)."""
    _fail(findings, case)


def _fail(findings: list[Finding], case: Case) -> None:
    failures = failures_of(findings, case)
    if len(failures) == 1:
        raise failures[0]
    if failures:
        raise FailureGroup(failures)


@schemathesis.check
def catalog_invariants(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """The single-response catalog contracts (envelope, rows, ids, pricing, sources, error bodies)."""
    _fail(findings_for(answer_of(response, case)), case)
    return None


@schemathesis.check
def chat_rejections(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """A valid chat body is refused only for a model outside the catalog (`model_not_priced`)."""
    _fail(chat_rejection(answer_of(response, case)), case)
    return None
