"""What a dialect is: the capabilities an API may have, and the `Dialect` every API shape implements.

A dialect owns what differs between API shapes: its contract file's schema (`load`), what its API has
(`capabilities`: the contract tests and fuzz checks that apply are chosen by them), the preflight, its part of
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
from gateway_contracts.known import KnownFindingSpec
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

Send = Callable[[PlannedRequest], Exchange]  # one request of the plan through the run's client (CatalogStore.send)


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
    init_document: ClassVar[str]  # the shipped consumer OpenAPI document a starter contract names
    # What a bare `GET /v1/models` (all the OpenAI SDK's `models.list()` sends) lists: None, the whole list;
    # else the query of the API's documented default page.
    sdk_page: ClassVar[Mapping[str, Any] | None] = None

    def capabilities(self, contract: Contract) -> frozenset[str]:
        """What this contract's API has."""
        return self.always

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

    def agreement_requests(self, contract: Contract, rows: Mapping[str, Sequence[Any]],
                           totals: Mapping[str, int | None]) -> list[PlannedRequest]:
        """The requests that hold other routes to the catalog (searches, unique pages, developer pages, route
        aliases), sampled from the rows the walks served: catalog name -> its rows. None for an API without them."""
        return []

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
