"""The `openai` dialect: the OpenAI models API (`GET /v1/models`: one list, no pagination; `GET
/v1/models/{id}`: one model object), as the OpenAI API, LiteLLM and their clones serve it.

Its catalogs are views of that one list: `walk(group)` is the rows the group's rule selects, shaped as a walk of
one page (`ListView`) so that every reader of walks (baselines, reports) works for every dialect.

Its contract file has `groups` (views of the one list selected by a rule: `prefix`, `owned_by` or `models`)
in place of gateways, and `models` for the whole list (the aggregate, `all`). The list is sent with the key
(the OpenAI API and LiteLLM want it there) and is the preflight too; `init` writes a contract from it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from pydantic import Field, model_validator

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
    ListDefaults,
    RegistrySpec,
    Source,
    Versioned,
)
from gateway_contracts.data.exchange import Exchange
from gateway_contracts.data.findings import Finding
from gateway_contracts.data.pages import Page, Walk
from gateway_contracts.dialects.base import (
    CHAT,
    FUZZ_CHAT,
    FUZZ_MODEL_LIST,
    FUZZ_MODEL_OBJECT,
    MODEL_LIST,
    MODEL_OBJECT,
    OPENAI_SDK,
    RETRIEVE,
    Client,
    Dialect,
    Loaded,
    Send,
    distinct,
)
from gateway_contracts.dialects.starter_rules import Refused, bounds, header, required_of, scalar
from gateway_contracts.invariants.openai_models import GroupRule, check_model_body, list_rows
from gateway_contracts.known_findings import KnownFindingSpec
from gateway_contracts.plan import PlannedRequest

# -- the contract file -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GroupSelect:
    """A group's rule as written: `prefix` or `owned_by` (one value) or `list` (the ids). Matching rows is the
    invariants' job (`invariants.openai_models.GroupRule`): contracts are data."""

    kind: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class OpenAIKeys:
    """This dialect's own keys of a contract (`contract.dialect_keys`): each group's rule (selected or not), and
    whether `GET /v1/models/{id}` is contracted (`models.retrieve`)."""

    group_rules: tuple[tuple[str, GroupSelect], ...] = ()
    retrieve: bool = False

    def rule(self, name: str) -> GroupSelect:
        for slug, rule in self.group_rules:
            if slug == name:
                return rule
        raise KeyError(name)


def keys_of(contract: Contract) -> OpenAIKeys:
    keys = contract.dialect_keys
    return keys if isinstance(keys, OpenAIKeys) else OpenAIKeys()

# Keys of the gatewayz dialect's gateways that a group does not take: named in the error.
_GATEWAY_ONLY = ("aliases", "id_pattern", "max_unpriced_share", "max_unknown_context_share")


class GroupSpec(Bounded):
    """One group of the openai dialect: exactly one rule (`prefix`, `owned_by` or `models`) and its bounds."""

    prefix: str | None = Field(default=None, min_length=1)
    owned_by: str | None = Field(default=None, min_length=1)
    models: list[str] | None = Field(default=None, min_length=1)
    required_models: list[str] = Field(default_factory=list)
    latency_budget_s: float | None = Field(default=None, gt=0)
    count_drop_tolerance: float | None = Field(default=None, ge=0, le=1)
    min_callable_share: float | None = Field(default=None, ge=0, le=1)  # default: `callable.min_share`

    @model_validator(mode="after")
    def _one_rule(self) -> GroupSpec:
        given = [k for k in ("prefix", "owned_by", "models") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("a group needs exactly one rule: prefix, owned_by or models "
                             f"(got {', '.join(given) or 'none'})")
        return self

    def rule(self) -> GroupSelect:
        if self.prefix is not None:
            return GroupSelect("prefix", (self.prefix,))
        if self.owned_by is not None:
            return GroupSelect("owned_by", (self.owned_by,))
        return GroupSelect("list", tuple(self.models or ()))


class ModelListSpec(Bounded):
    """The openai dialect's whole list (`models:`): its own floor, ceiling and required models."""

    min_models: int = Field(default=1, ge=0)
    required_models: list[str] = Field(default_factory=list)
    latency_budget_s: float | None = Field(default=None, gt=0)
    count_drop_tolerance: float | None = Field(default=None, ge=0, le=1)
    # GET /v1/models/{id} for the contracted ids without a `/` (LiteLLM's route does not take one): optional
    # in the OpenAI API's clones, so a contract opts in.
    retrieve: bool = False


class _OpenAIContractModel(Versioned):
    dialect: Literal["openai"]
    openapi: str | None = Field(default=None, min_length=1)
    defaults: ListDefaults = ListDefaults()
    groups: dict[str, GroupSpec] = Field(min_length=1)
    models: ModelListSpec = ModelListSpec()
    chat: ChatSpec = ChatSpec()
    callable: CallableSpec = CallableSpec()
    # known_findings.py: accepted findings, each with a ticket and an expiry
    known_findings: list[KnownFindingSpec] = Field(default_factory=list)



def _reject_gateway_keys(raw: dict[str, Any], source: Source) -> None:
    groups = raw.get("groups")
    for group, spec in groups.items() if isinstance(groups, dict) else ():
        for key in _GATEWAY_ONLY:
            if isinstance(spec, dict) and key in spec:
                raise source.error(("groups", str(group), key), "a key of the gatewayz dialect's gateways, not of an "
                                                                "openai group")


def _reject_group_named_all(model: _OpenAIContractModel, source: Source) -> None:
    # GATEWAYS=all selects the whole list; a group of that name could never be selected alone.
    for name in model.groups:
        if name.lower() == WHOLE_LIST:
            raise source.error(("groups", name), f"the name {WHOLE_LIST!r} is the whole list's (GATEWAYS=all); name "
                                                 "the group otherwise")


def _resolve(model: _OpenAIContractModel, source: Source) -> Contract:
    d = model.defaults
    groups = tuple(
        Gateway(
            slug=name,
            aliases=(),
            min_models=spec.min_models,
            max_models=spec.max_models,
            required_models=tuple(spec.required_models),
            latency_budget_s=spec.latency_budget_s or d.latency_budget_s,
            id_pattern=None,
            max_unpriced_share=1.0,
            count_drop_tolerance=(
                spec.count_drop_tolerance if spec.count_drop_tolerance is not None else d.count_drop_tolerance
            ),
            min_callable_share=(
                spec.min_callable_share if spec.min_callable_share is not None else model.callable.min_share
            ),
        )
        for name, spec in model.groups.items()
    )
    whole = model.models
    return Contract(
        path=source.path,
        version=model.version,
        gateways=groups,
        aggregate=Aggregate(slug=WHOLE_LIST, min_models=whole.min_models, max_models=whole.max_models,
                            latency_budget_s=whole.latency_budget_s or d.latency_budget_s,
                            required_models=tuple(whole.required_models)),
        chat_models=tuple(model.chat.models),
        chat_latency_budget_s=model.chat.latency_budget_s or d.latency_budget_s,
        callable_probe=model.callable,
        max_limit=DEFAULT_MAX_LIMIT,  # no pagination: no request pages by it
        max_pages=1,
        registry=RegistrySpec(),
        latency_regression_factor=d.latency_regression_factor,
        count_drop_tolerance=(
            whole.count_drop_tolerance if whole.count_drop_tolerance is not None else d.count_drop_tolerance
        ),
        dialect=OpenAI.name,
        dialect_keys=OpenAIKeys(group_rules=tuple((name, spec.rule()) for name, spec in model.groups.items()),
                                retrieve=whole.retrieve),
    )


# -- reading the one list: a group (or the whole list) is a view of it ------------------------------------------


@dataclass(frozen=True)
class ListView(Walk):
    """A group (or the whole list): the rows its rule selects from the one list, presented as a walk of that one
    page (so `ids`, `first`, `pages` and baselines work unchanged)."""

    selected: tuple[Any, ...] = ()

    @property
    def rows(self) -> list[Any]:
        return list(self.selected)


def group_rule(select: GroupSelect) -> GroupRule:
    """The matcher of a group's rule as the contract file writes it."""
    if select.kind == "list":
        return GroupRule("list", ids=select.values)
    if select.kind == "owned_by":
        return GroupRule("owned_by", owned_by=select.values[0])
    return GroupRule("prefix", prefix=select.values[0])


def view(contract: Contract, name: str, exchange: Exchange) -> ListView:
    """Group `name` (or the whole list, `WHOLE_LIST`) of the one list `exchange` answered."""
    page = Page(0, 0, exchange)
    rows = list_rows(exchange.json) if page.usable else []
    if name != WHOLE_LIST:
        rule = group_rule(keys_of(contract).rule(name))
        rows = [row for row in rows if rule.matches(row)]
    findings = () if page.usable else (
        Finding("openai-list", "the model list did not answer a 200 JSON object with a 'data' list",
                exchange.describe()),)
    return ListView(limit=0, pages=(page,), findings=findings, selected=tuple(rows))


# -- init: the one list observed, and the starter contract written from it --------------------------------


def observe(client: Client) -> list[Any]:
    request = plan.model_list_request(keyed=client.has_key)
    listing = client.request("GET", request.path, params=request.query or None, authenticated=request.authenticated)
    if listing.status is None:
        raise Refused(f"target unreachable: {client.base_url}: {listing.error}")
    rows = list_rows(listing.json) if listing.status == 200 and listing.is_json else []
    if not rows:
        raise Refused(f"nothing to write a contract from at {client.base_url}: {listing.describe()} lists no model")
    return rows


def groups_of(rows: Sequence[Any]) -> dict[str, tuple[str, str, list[Any]]]:
    """name -> (rule key, rule value, ids), largest first: by `owned_by` when every row has one, else by the id's
    prefix before '/' (ids without one: a `models` list group named `other`)."""
    keyed: dict[tuple[str, str], list[Any]] = {}
    by_owner = all(isinstance(r, dict) and isinstance(r.get("owned_by"), str) and r["owned_by"].strip() for r in rows)
    for row in rows:
        model_id = row.get("id") if isinstance(row, dict) else None
        if by_owner:
            rule = ("owned_by", row["owned_by"])
        elif isinstance(model_id, str) and "/" in model_id.strip("/"):
            rule = ("prefix", model_id.split("/", 1)[0] + "/")
        else:
            rule = ("models", "")
        keyed.setdefault(rule, []).append(model_id)
    groups: dict[str, tuple[str, str, list[Any]]] = {}
    for (kind, value), ids in sorted(keyed.items(), key=lambda item: (-len(item[1]), item[0])):
        name = "other" if kind == "models" else re.sub(r"[^a-z0-9_-]+", "-", value.lower()).strip("-") or "group"
        name = f"{name}-models" if name == WHOLE_LIST else name  # `all` is the whole list's name
        while name in groups:
            name += "-2"
        groups[name] = (kind, value, ids)
    return groups


def render(url: str, when: str, rows: Sequence[Any], document: str | None) -> tuple[str, list[str]]:
    ids = [r.get("id") for r in rows if isinstance(r, dict)]
    lines = [*header(url, when, OpenAI.name), "version: 1", f"dialect: {OpenAI.name}"]
    if document:
        lines += ["# The OpenAI models API and chat as consumers rely on them (shipped with gateway-contracts).",
                  f"openapi: {scalar(document)}"]
    lines += ["", "groups:"]
    for name, (rule, value, members) in groups_of(rows).items():
        lines.append(f"  {scalar(name)}:")
        if rule == "models":
            lines.append(f"    models: [{', '.join(scalar(str(m)) for m in dict.fromkeys(members))}]")
        else:
            lines.append(f"    {rule}: {scalar(value)}")
        lines += bounds("    ", len(set(members)), len(members))
    lines += ["", "models:                          # the whole list", *bounds("  ", len(set(ids)), len(ids))]
    required = required_of(ids, None)
    if required:
        lines.append(f"  required_models: [{', '.join(scalar(r) for r in required)}]")
    lines += ["", "chat:", "  models: []                      # add the models your product chats with", ""]
    return "\n".join(lines), []


# -- the dialect ------------------------------------------------------------------------------------------------


class OpenAI(Dialect):
    name: ClassVar[str] = "openai"
    about: ClassVar[str] = "one GET /v1/models"
    always: ClassVar[frozenset[str]] = frozenset({MODEL_LIST, MODEL_OBJECT, CHAT, OPENAI_SDK})
    optional: ClassVar[frozenset[str]] = frozenset({RETRIEVE})
    own_keys: ClassVar[tuple[str, ...]] = ("groups", "models")
    unit: ClassVar[str] = "group"  # the groups of the one list
    catalogs_key: ClassVar[str | None] = "groups"
    init_document: ClassVar[str] = "openai-models.openapi.json"
    sdk_page: ClassVar[Mapping[str, Any] | None] = None  # no pagination: a bare GET lists the whole list
    fuzz_routes: ClassVar[Mapping[tuple[str, str], tuple[str, ...]]] = {
        ("GET", "/v1/models"): (FUZZ_MODEL_LIST,), ("GET", "/models"): (FUZZ_MODEL_LIST,),
        ("GET", "/v1/models/{}"): (FUZZ_MODEL_OBJECT,), ("POST", "/v1/chat/completions"): (FUZZ_CHAT,),
    }

    def capabilities(self, contract: Contract) -> frozenset[str]:
        """`retrieve` when the contract enables `GET /v1/models/{id}` for its ids (`models.retrieve`)."""
        return self.always | ({RETRIEVE} if keys_of(contract).retrieve else frozenset())

    def walk(self, contract: Contract, name: str, send: Send, *, limit: int | None, keyed: bool) -> Walk:
        """The group's (or the whole list's) view of the one keyed `GET /v1/models` (sent once per run)."""
        return view(contract, name, send(plan.model_list_request(keyed=keyed)))

    def load(self, raw: dict[str, Any], source: Source) -> Loaded:
        _reject_gateway_keys(raw, source)
        model = source.validate(_OpenAIContractModel, raw)
        _reject_group_named_all(model, source)
        return Loaded(_resolve(model, source), model.openapi, list(model.known_findings))

    def model_object_findings(self, body: Any, *, model_id: str, request: str | None) -> list[Finding]:
        return check_model_body(body, model_id=model_id, request=request)

    def preflight_requests(self, contract: Contract, *, keyed: bool) -> list[PlannedRequest]:
        """The one list (no /health, registry or required spec: LiteLLM's spec is 2 MB, generated on the first
        request)."""
        return [plan.model_list_request(keyed=keyed)]

    def preflight(self, contract: Contract, send: Send, url: str, *, keyed: bool) -> str | None:
        listing = send(plan.model_list_request(keyed=keyed))
        if listing.status is None:
            return f"target unreachable: {url}: {listing.error}"
        if listing.status == 404:
            return (f"no OpenAI models API at {url}: GET /v1/models answers 404 (wrong base path? TARGET_URL is the "
                    "URL before /v1)")
        return None

    def planned_requests(self, contract: Contract, totals: Mapping[str, int | None], *,
                         keyed: bool) -> list[PlannedRequest]:
        """The one list, the contracted ids by `GET /v1/models/{id}` and an unknown one when the contract enables
        it, the unkeyed chat probe, and with a key an unknown model's chat and each contracted chat model."""
        requests = self.preflight_requests(contract, keyed=keyed)
        if RETRIEVE in self.capabilities(contract):
            requests += [plan.retrieve_request(m, keyed=keyed)
                         for m in [*plan.retrievable_ids(contract), plan.UNKNOWN_MODEL]]
        requests.append(plan.chat_request(plan.unkeyed_chat_model(contract), authenticated=False))
        if keyed:
            requests.append(plan.chat_request(plan.UNKNOWN_MODEL, authenticated=True))
            requests += [plan.chat_request(m, authenticated=True) for m in contract.chat_models]
        return distinct(requests)

    def aggregate_words(self, contract: Contract) -> str:
        return "the whole list"

    def observe_and_render(self, client: Client, url: str, when: str,
                           document: str | None) -> tuple[str, list[str]]:
        return render(url, when, observe(client), document)
