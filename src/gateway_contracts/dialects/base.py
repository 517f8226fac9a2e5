"""What a dialect is: the capabilities an API may have, and the `Dialect` every API shape implements.

A dialect owns what differs between API shapes: its contract file's schema (`load`, its own keys resolved into
`contract.dialect_keys`), how its catalogs are read (`walk`: listing, paging, a group's view; `CatalogStore`
sends and caches), what its API has (`capabilities`: the contract tests that apply are chosen by them), which
fuzz check reads each of its routes (`fuzz_routes`), how the key is sent (`key_header`), the preflight, its part of
the plan of requests, what a bare `GET /v1/models` lists (the OpenAI SDK's scope), how a run summary names its
catalogs, and the starter contract `gateway-contracts init` writes. The rest of the suite asks the contract's
dialect object (`dialects.of(contract)`) and never compares a dialect's name (tests/self/project/test_dialect_seam.py).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

from gateway_contracts.contract_model import Contract, Source
from gateway_contracts.data.exchange import Exchange
from gateway_contracts.data.findings import Finding
from gateway_contracts.data.pages import Walk
from gateway_contracts.known_findings import KnownFindingSpec
from gateway_contracts.plan import PlannedRequest

# What an API may have. A contract test names what it needs (`@pytest.mark.needs(...)`); it is collected only
# when the contract's dialect has all of it (session/dialect.py), and the fuzz checks route answers by them.
ENVELOPE = "envelope"  # catalogs per `gateway=`, paged by limit/offset in an envelope (total, next_offset)
ALIASES = "aliases"  # a gateway answers to its aliases too
AGGREGATE = "aggregate"  # one catalog of every gateway's rows (`gateway=all`), a row per (id, source_gateway)
CATALOG_ROWS = "catalog-rows"  # Gatewayz catalog rows: source_gateway, pricing, context_length
REGISTRY = "registry"  # GET /v1/gateways lists the gateways
SEARCH = "search"  # GET /v1/models/search
STATUS = "status"  # GET /v1/gateways/status
SPEC_ROUTE = "spec-route"  # the target serves its OpenAPI document at /openapi.json
DEVELOPER_ROUTE = "developer-route"  # GET /v1/models/{developer}: a developer's catalog page
NOT_PRICED = "model-not-priced"  # a chat model outside the contract is refused as `model_not_priced`
MODEL_LIST = "model-list"  # the OpenAI list: one `{"object": "list", "data": [model objects]}` body
MODEL_OBJECT = "model-object"  # GET /v1/models/{id} answers one model object
RETRIEVE = "retrieve"  # the contract holds GET /v1/models/{id} for its ids (opted in)
CURSOR = "cursor"  # catalogs paged by cursor: `after_id` and `has_more`, `first_id`, `last_id` (Anthropic)
CHAT = "chat-completions"  # POST /v1/chat/completions (the chat probes, the contracted chat models)
OPENAI_SDK = "openai-sdk"  # the official OpenAI SDK lists and chats with this API as it is (its auth, its list)

# The fuzz checks a dialect routes its answers to (fuzz/checks.py reads a 200 with the one its route names).
FUZZ_ENVELOPE = "envelope-page"  # a paginated catalog page (Gatewayz)
FUZZ_MODEL_LIST = "model-list-body"  # the one OpenAI list body
FUZZ_MODEL_OBJECT = "model-object-body"  # one model object (GET /v1/models/{id})
FUZZ_SEARCH = "search"
FUZZ_DEVELOPER = "developer"
FUZZ_REGISTRY = "registry"
FUZZ_CHAT = "chat"  # a chat completion's answer
FUZZ_CHAT_REFUSAL = "chat-refusal"  # a valid chat body is refused only as `model_not_priced` (Gatewayz)

Send = Callable[[PlannedRequest], Exchange]  # one request of the plan through the run's client (CatalogStore.send)
Route = tuple[str, str]  # (method, path template with `{}` for a parameter), as fuzz/documents.template_key spells it


class Client(Protocol):
    """What `init` observes a target through: `net.client.GatewayClient` (the dialects import no network code)."""

    base_url: str

    @property
    def has_key(self) -> bool: ...

    def get(self, path: str, params: dict[str, Any] | None = None) -> Exchange: ...

    def request(self, method: str, path: str, *, params: dict[str, Any] | None = None,
                authenticated: bool = False) -> Exchange: ...


@dataclass(frozen=True)
class Loaded:
    """A contract file as a dialect read it: the contract, and the keys every dialect's files share (their
    checks are contract.py's: the `openapi` document must be readable, known findings unique)."""

    contract: Contract
    openapi: str | None = None
    known_findings: list[KnownFindingSpec] = field(default_factory=list)


class Dialect(ABC):
    """One API shape. Subclasses set the class attributes and implement the methods; register the instance in
    `dialects/__init__.py` (docs/recipes.md, "Add a dialect")."""

    name: ClassVar[str]  # what `dialect:` says in a contract file
    about: ClassVar[str]  # the API shape in a few words (`init --help`)
    always: ClassVar[frozenset[str]]  # the capabilities every contract of this dialect has
    optional: ClassVar[frozenset[str]] = frozenset()  # those a contract may opt into (`capabilities` says when)
    own_keys: ClassVar[tuple[str, ...]]  # top-level keys only this dialect's files have (named in errors)
    unit: ClassVar[str]  # what a contracted catalog is called in the run summary and by init: gateway, group
    # The shipped consumer OpenAPI document a starter contract names (None: the dialect ships none, and its
    # starter contract names none: the fuzz tests then skip saying so).
    init_document: ClassVar[str | None] = None
    # What a bare `GET /v1/models` (all the OpenAI SDK's `models.list()` sends) lists: None, the whole list;
    # else the query of the API's documented default page.
    sdk_page: ClassVar[Mapping[str, Any] | None] = None
    # The aggregate's rows are keyed by (id, source_gateway), one per gateway serving an id (baselines compare
    # pairs); else by id, like any other catalog.
    aggregate_by_source: ClassVar[bool] = False
    # How the key is sent: the header and the text before the key (the OpenAI and Gatewayz way: a bearer token).
    key_header: ClassVar[tuple[str, str]] = ("Authorization", "Bearer ")
    headers: ClassVar[Mapping[str, str]] = {}  # sent with every request (e.g. an API version)
    # Which fuzz check reads a 200 of each route (base.py's FUZZ_* names; a route not listed: status and schema
    # only, schemathesis' own checks). Every dialect: an error answer is a JSON error body.
    fuzz_routes: ClassVar[Mapping[Route, tuple[str, ...]]] = {}

    def capabilities(self, contract: Contract) -> frozenset[str]:
        """What this contract's API has."""
        return self.always

    def chats(self, contract: Contract) -> bool:
        """Whether the API answers chat completions: the callable probe (a sample of the listed models, called
        with the smallest chat request) applies to it, in a run and in `init`."""
        return CHAT in self.capabilities(contract)

    @property
    def sdk_scope(self) -> str:
        """What a bare `GET /v1/models` covers, in words (findings, the report)."""
        if self.sdk_page is None:
            return "the whole list"
        return "the default page (" + ", ".join(f"{k}={v}" for k, v in self.sdk_page.items()) + ")"

    @abstractmethod
    def load(self, raw: dict[str, Any], source: Source) -> Loaded:
        """The file validated by this dialect's schema and resolved (ContractError, `file:line: key:`)."""

    @abstractmethod
    def walk(self, contract: Contract, name: str, send: Send, *, limit: int | None, keyed: bool) -> Walk:
        """The whole catalog `name` (a gateway, alias, group or the whole list, as the contract names it), read the
        way this API lists it, every request through `send`. `limit`: the page size (None: the contract's own);
        `keyed`: the run has a key. A walk never loops: its findings say why it stopped early."""

    def after_last(self, contract: Contract, name: str, walk: Walk, *, keyed: bool) -> PlannedRequest | None:
        """The request that must list nothing once `walk` ended (cursor paging: the page after its last
        `last_id`), or None where the API has none (offset paging has its past-the-end page, plan.py)."""
        return None

    def model_object_findings(self, body: Any, *, model_id: str, request: str | None) -> list[Finding]:
        """What is wrong with one model object of this API (`GET /v1/models/{id}`). Only a dialect whose API
        has model objects (`retrieve`) is asked."""
        raise NotImplementedError(f"the {self.name} dialect's API has no model objects")

    @abstractmethod
    def preflight_requests(self, contract: Contract, *, keyed: bool) -> list[PlannedRequest]:
        """What the preflight reads before any contract runs (part of the plan)."""

    @abstractmethod
    def preflight(self, contract: Contract, send: Send, url: str, *, keyed: bool) -> str | None:
        """Why the target is not this dialect's API at all (a run stops with exit 7), or None when it may be."""

    @abstractmethod
    def planned_requests(self, contract: Contract, totals: Mapping[str, int | None], *,
                         keyed: bool) -> list[PlannedRequest]:
        """The distinct requests a gate run of the contract tests sends, in a stable order (plan.py's builders).
        `totals`: catalog name -> `total` from its first page; `keyed`: the keyed probes run."""

    def selection(self, contract: Contract) -> str:
        """What the run checks, in the summary's words: its catalogs, and the aggregate when it is in."""
        count = len(contract.gateways)
        parts = [f"{count} {self.unit}{'' if count == 1 else 's'}"] if count else []
        if contract.aggregate is not None:
            parts.append(self.aggregate_words(contract))
        return " and ".join(parts) or "nothing selected"

    def aggregate_words(self, contract: Contract) -> str:
        return f"the aggregate {contract.aggregate.slug}" if contract.aggregate else ""

    @abstractmethod
    def observe_and_render(self, client: Client, url: str, when: str,
                           document: str | None) -> tuple[str, list[str]]:
        """`gateway-contracts init`: observe the target through `client` and write the starter contract's text,
        with the notes init prints. Raises `starter_rules.Refused` when nothing usable answers."""


def distinct(requests: Sequence[PlannedRequest]) -> list[PlannedRequest]:
    return list(dict.fromkeys(requests))  # first occurrence kept
