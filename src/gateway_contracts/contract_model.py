"""What a contract is: the resolved `Contract` every layer reads, and the pieces a contract file is validated with.

A contract is data (YAML, format version 1, documented in docs/contract-file.md). Each dialect
(`gateway_contracts.dialects`) validates its own file schema and resolves it to this one `Contract` value: what
every dialect shares, and the dialect's own keys in `dialect_keys`, a value only it reads. A group of the openai
dialect is a `Gateway` without aliases and its whole list is the `Aggregate`, so sharding,
baselines and reports treat every dialect alike. Reading a file is `contract.py`'s job; what a dialect has is
its dialect object's (`dialects.of(contract)`). Errors are `ContractError`s naming file, line and dotted key
(`Source.error`), so a typo never turns into a wall of failing tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from gateway_contracts.known_findings import KnownFinding
from gateway_contracts.tolerances import (
    DEFAULT_MAX_CHANGED_SHARE,
    DEFAULT_MAX_COUNT_CHANGE_SHARE,
    DEFAULT_MAX_REMOVED_SHARE,
    DEFAULT_PRICE_FAIL_FACTOR,
    Tolerances,
)

SUPPORTED_VERSIONS = (1,)
M = TypeVar("M", bound=BaseModel)
DEFAULT_MAX_LIMIT = 1000  # the largest page a contract allows unless `pagination.max_limit` says otherwise
WHOLE_LIST = "all"  # a one-list dialect's whole list, as the aggregate: GATEWAYS=all selects it like Gatewayz's


class Loader(yaml.SafeLoader):
    """SafeLoader without implicit timestamps: `expires: 2026-13-01` must be a `file:line: key:` error from
    validation, not a ValueError out of the YAML constructor; dates are parsed where a key takes one."""


Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class ContractError(Exception):
    """The contract file cannot be used; the message is one line naming file, line and key."""


class Strict(BaseModel):
    # Unknown keys are errors (a misspelt `min_modles` must not silently disable a floor).
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Bounded(Strict):
    """A floor and an optional ceiling of distinct models; a ceiling under the floor is a contract error."""

    min_models: int = Field(ge=0)
    max_models: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _floor_below_ceiling(self) -> Bounded:
        if self.max_models is not None and self.max_models < self.min_models:
            raise ValueError(f"max_models ({self.max_models}) is below min_models ({self.min_models})")
        return self


class ListDefaults(Strict):
    """The `defaults:` of a dialect whose catalogs are views of one list (openai, anthropic): the budgets the
    shared contract keeps for every catalog."""

    latency_budget_s: float = Field(default=70.0, gt=0)
    count_drop_tolerance: float = Field(default=0.10, ge=0, le=1)
    latency_regression_factor: float = Field(default=3.0, ge=1)


class ChatSpec(Strict):
    models: list[str] = []
    latency_budget_s: float | None = Field(default=None, gt=0)


DEFAULT_CALLABLE_BUDGET = 10  # chat calls per gateway and run: with max_tokens 1, cents for a whole registry


class CallableSpec(Strict):
    """`callable:` (both dialects): the chat probe of a sample of each contracted gateway's listed models, in the
    nightly and sign-off runs (docs/contract-file.md, "Listed means callable")."""

    budget: int = Field(default=DEFAULT_CALLABLE_BUDGET, ge=0)  # chat calls per run, per gateway; 0: no probe
    # least callable share of a gateway's sample: the default of each gateway's (group's) `min_callable_share`
    min_share: float = Field(default=1.0, ge=0, le=1)
    gate: bool = False  # the pre-deploy gate probes too (it does not unless asked: each call costs)


class RegistrySpec(Strict):
    path: str = "/v1/gateways"
    # Gateways the registry may list without a contract (known and accepted).
    ignore: list[str] = []
    # Fail (not only report) when the registry lists a gateway no contract covers.
    strict: bool = False


class CompareSpec(Strict):
    """The `compare:` block: what a deploy may change against production (COMPARE_URL) before the gate fails.
    Shared by every dialect (contract.py reads it before the dialect reads the rest)."""

    max_removed_share: float = Field(default=DEFAULT_MAX_REMOVED_SHARE, ge=0, le=1)
    max_count_change_share: float = Field(default=DEFAULT_MAX_COUNT_CHANGE_SHARE, ge=0)
    price_fail_factor: float = Field(default=DEFAULT_PRICE_FAIL_FACTOR, gt=1)
    max_changed_share: float = Field(default=DEFAULT_MAX_CHANGED_SHARE, ge=0, le=1)

    def resolve(self) -> Tolerances:
        return Tolerances(max_removed_share=self.max_removed_share,
                          max_count_change_share=self.max_count_change_share,
                          price_fail_factor=self.price_fail_factor, max_changed_share=self.max_changed_share)


class CompareBlock(Strict):
    """The file's top level as far as the `compare:` block goes (so errors name `compare.<key>`)."""

    compare: CompareSpec = CompareSpec()


class Versioned(Strict):
    """What every contract file starts with: a format version this suite reads."""

    version: int

    @field_validator("version")
    @classmethod
    def _supported(cls, value: int) -> int:
        if value not in SUPPORTED_VERSIONS:
            raise ValueError(f"unsupported version {value} (supported: {', '.join(map(str, SUPPORTED_VERSIONS))})")
        return value


@dataclass(frozen=True)
class ValueBounds:
    """What a gateway's values are held to (docs/contract-file.md, "Values"); the defaults check prices only."""

    # Plausible per-token prices in dollars per million tokens (prompt, completion; free "0" always passes).
    price_band_per_million: tuple[float, float] = (0.001, 1000.0)
    max_completion_discount: float = 10.0  # a completion at most this many times cheaper than its prompt
    # Share of rows carrying one and the same context length / (prompt, completion) pair; 1.0: not checked.
    max_placeholder_context_share: float = 1.0
    max_placeholder_price_share: float = 1.0


@dataclass(frozen=True)
class Reference:
    """An outside catalog in LiteLLM's model_prices_and_context_window format the values are compared with."""

    source: str  # a file (resolved, read at load) or an http(s) URL (fetched once per run by the store)
    max_mismatch_share: float = 0.10
    tolerance: float = 0.05  # relative: a value within it is the same value
    providers: tuple[tuple[str, str], ...] = ()  # gateway -> the reference's `litellm_provider` (default: slug)
    gateways: tuple[str, ...] | None = None  # the gateways compared (None: every contracted one)
    document: Any = field(default=None, compare=False, repr=False)  # the parsed file; None for a URL

    @property
    def is_url(self) -> bool:
        return self.source.startswith(("http://", "https://"))

    def provider(self, slug: str) -> str:
        return dict(self.providers).get(slug, slug)

    def compares(self, slug: str) -> bool:
        return self.gateways is None or slug in self.gateways


@dataclass(frozen=True)
class Gateway:
    """One contracted gateway with defaults applied: what the tests are parametrized over."""

    slug: str
    aliases: tuple[str, ...]
    min_models: int
    max_models: int | None
    required_models: tuple[str, ...]
    latency_budget_s: float
    id_pattern: str | None
    max_unpriced_share: float
    count_drop_tolerance: float
    # Share of rows whose context_length is missing, null or 0 ("unknown"); 1.0: not checked.
    max_unknown_context_share: float = 1.0
    # Least callable share of its sample of listed models (`min_callable_share`, else `callable.min_share`).
    min_callable_share: float = 1.0
    values: ValueBounds = ValueBounds()

    @property
    def names(self) -> tuple[str, ...]:
        """Every value that must select this gateway: the slug and its aliases."""
        return (self.slug, *self.aliases)


@dataclass(frozen=True)
class Aggregate:
    slug: str
    min_models: int
    max_models: int | None
    latency_budget_s: float
    required_models: tuple[str, ...] = ()  # the openai dialect's whole list; Gatewayz: the gateways' own


@dataclass(frozen=True)
class Contract:
    path: Path
    version: int
    gateways: tuple[Gateway, ...]
    aggregate: Aggregate | None
    chat_models: tuple[str, ...]
    chat_latency_budget_s: float
    max_limit: int
    max_pages: int
    registry: RegistrySpec
    latency_regression_factor: float
    count_drop_tolerance: float
    unselected: tuple[Gateway, ...] = ()  # contracted, left out by GATEWAYS: still covered (registry)
    # The API description the contract holds the target to (resolved, checked readable at load); None: the
    # contract names none, and the fuzz tests skip saying so.
    openapi: Path | None = None
    # The dialect's name (`dialect:`, the registry's default when absent): `dialects.of(contract)` is its object.
    dialect: str = ""
    known_findings: tuple[KnownFinding, ...] = ()  # accepted findings (known_findings.py), validated at load
    reference: Reference | None = None  # the outside catalog values are compared with (opt-in)
    # The keys only this contract's dialect has, resolved by its `load` into a value of the dialect's own type
    # (e.g. the openai dialect's group rules): only the dialect reads it (tests/self/project/test_dialect_seam.py).
    dialect_keys: Any = field(default=None, hash=False, compare=True)
    # The `compare:` block: how much a deploy may change against production (differential.py, COMPARE_URL).
    compare: Tolerances = field(default_factory=Tolerances)
    callable_probe: CallableSpec = field(default_factory=CallableSpec)  # `callable:`: the listed models' probe

    def gateway(self, slug: str) -> Gateway:
        for gateway in self.gateways:
            if gateway.slug == slug:
                return gateway
        raise KeyError(slug)

    def covered_names(self) -> set[str]:
        return {name.lower() for gateway in (*self.gateways, *self.unselected) for name in gateway.names}

    def only(self, names: set[str]) -> Contract:
        """The contract restricted to some gateways (CI sharding with GATEWAYS=a,b): slugs or aliases in any
        letter case, as the API takes them; the aggregate's slug selects the aggregate. Possibly no gateway
        (`GATEWAYS=all`), never nothing: an empty selection is an error, as is a name not in the contract."""
        wanted = {n.strip().lower() for n in names if n.strip()}
        aggregate = self.aggregate.slug.lower() if self.aggregate else None
        known = {n.lower() for g in self.gateways for n in g.names} | ({aggregate} if aggregate else set())
        contracted = ", ".join([g.slug for g in self.gateways] + ([self.aggregate.slug] if self.aggregate else []))
        if not wanted:
            raise ContractError(f"{self.path}: GATEWAYS (--gateways) selects nothing (contracted: {contracted})")
        if wanted - known:
            raise ContractError(f"{self.path}: GATEWAYS (--gateways) names {', '.join(sorted(wanted - known))}, "
                                f"not in the contract (contracted: {contracted})")
        chosen = tuple(g for g in self.gateways if wanted & {n.lower() for n in g.names})
        return replace(self, gateways=chosen, aggregate=self.aggregate if aggregate in wanted else None,
                       unselected=self.unselected + tuple(g for g in self.gateways if g not in chosen))


def key_lines(node: yaml.Node, prefix: tuple[str, ...] = ()) -> dict[tuple[str, ...], int]:
    """Map every key path (and list index) in the YAML document to its 1-based line."""
    lines: dict[tuple[str, ...], int] = {prefix: node.start_mark.line + 1}
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            path = (*prefix, str(key_node.value))
            lines.update(key_lines(value_node, path))
            lines[path] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            lines.update(key_lines(item, (*prefix, str(index))))
    return lines


def reject_duplicate_keys(node: yaml.Node, path: Path, prefix: str = "") -> None:
    # PyYAML keeps the last of two equal keys; a duplicated gateway block would silently hide one.
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            dotted = f"{prefix}.{key}" if prefix else key
            if key in seen:
                raise ContractError(f"{path}:{key_node.start_mark.line + 1}: {dotted}: duplicate key")
            seen.add(key)
            reject_duplicate_keys(value_node, path, dotted)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            reject_duplicate_keys(item, path, f"{prefix}[{index}]")


@dataclass(frozen=True)
class Source:
    """A contract file being read: its path and the line of every key, for `file:line: key:` errors."""

    path: Path
    lines: dict[tuple[str, ...], int] = field(hash=False)

    def line(self, loc: tuple[str, ...]) -> int:
        return _nearest_line(loc, self.lines)

    def error(self, loc: tuple[str, ...], problem: str) -> ContractError:
        """`file:line: dotted.key: problem`, the line of the key (or of its nearest parent)."""
        return ContractError(f"{self.path}:{self.line(loc)}: {_dotted(loc)}: {problem}")

    def validate(self, model: type[M], raw: Any) -> M:
        """The file (or part of it) validated by `model`; the first problem as one `file:line: key:` line."""
        try:
            return model.model_validate(raw)
        except ValidationError as exc:
            raise ContractError(_describe(exc, self.path, self.lines)) from None


def _describe(exc: ValidationError, path: Path, lines: dict[tuple[str, ...], int]) -> str:
    problems = []
    # An unknown key usually explains a "missing" one next to it (a typo), so report it first.
    for error in sorted(exc.errors(), key=lambda e: e["type"] != "extra_forbidden"):
        loc = tuple(str(part) for part in error["loc"])
        line = _nearest_line(loc, lines)
        key = _dotted(loc) or "(top level)"
        problems.append(f"{path}:{line}: {key}: {_message(error)}")
    first, rest = problems[0], len(problems) - 1
    return first + (f" (and {rest} more problem{'s' * (rest > 1)}: {'; '.join(problems[1:3])})" if rest else "")


def _message(error: Any) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        return "unknown key"
    if kind == "missing":
        return "required key is missing"
    if kind.endswith("_type"):
        return f"{error['msg'].lower()}, got {type(error['input']).__name__} {error['input']!r}"
    return str(error["msg"]).removeprefix("Value error, ")


def _nearest_line(loc: tuple[str, ...], lines: dict[tuple[str, ...], int]) -> int:
    for end in range(len(loc), -1, -1):
        if loc[:end] in lines:
            return lines[loc[:end]]
    return 1


def _dotted(loc: tuple[str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if part.isdigit() else (f".{part}" if out else part)
    return out
