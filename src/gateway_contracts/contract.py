"""The contract file: its model, loading, and validation errors that point at file, line and key.

A contract is data (YAML, format version 1, documented in docs/contract-file.md). Loading it either returns a
fully validated `Contract` or raises `ContractError` whose message names the file, the line and the
dotted key that is wrong, so a typo never turns into a wall of failing tests.

Two API dialects (`dialect:`): `gatewayz` (the default: paginated catalogs per `gateway`, aliases, an
aggregate, a registry) and `openai` (the OpenAI models API: one list, no pagination; `groups` of models
selected by a rule take the place of gateways, `models` holds the whole list's contract). Both resolve to
the same `Contract` value: a group is a `Gateway` without aliases and the whole list is the `Aggregate`,
so sharding, baselines and reports treat them alike; what only one dialect has is selected by `dialect`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from gateway_contracts.known import KnownFinding, KnownFindingSpec, duplicate, from_specs

SUPPORTED_VERSIONS = (1,)
GATEWAYZ, OPENAI = "gatewayz", "openai"
DIALECTS = (GATEWAYZ, OPENAI)
WHOLE_LIST = "all"  # the openai dialect's whole list, as the aggregate: GATEWAYS=all selects it like Gatewayz's
# Top-level keys only one dialect has: named in the error when a contract uses the other dialect's.
_ONLY = {GATEWAYZ: ("gateways", "aggregate", "pagination", "registry"), OPENAI: ("groups", "models")}


class _Loader(yaml.SafeLoader):
    """SafeLoader without implicit timestamps: `expires: 2026-13-01` must be a `file:line: key:` error from
    validation, not a ValueError out of the YAML constructor; dates are parsed where a key takes one."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class ContractError(Exception):
    """The contract file cannot be used; the message is one line naming file, line and key."""


class _Strict(BaseModel):
    # Unknown keys are errors (a misspelt `min_modles` must not silently disable a floor).
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Defaults(_Strict):
    latency_budget_s: float = Field(default=70.0, gt=0)
    max_unpriced_share: float = Field(default=1.0, ge=0, le=1)
    max_unknown_context_share: float = Field(default=1.0, ge=0, le=1)
    count_drop_tolerance: float = Field(default=0.10, ge=0, le=1)
    latency_regression_factor: float = Field(default=3.0, ge=1)


class _Bounded(_Strict):
    """A floor and an optional ceiling of distinct models; a ceiling under the floor is a contract error."""

    min_models: int = Field(ge=0)
    max_models: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _floor_below_ceiling(self) -> _Bounded:
        if self.max_models is not None and self.max_models < self.min_models:
            raise ValueError(f"max_models ({self.max_models}) is below min_models ({self.min_models})")
        return self


class GatewaySpec(_Bounded):
    aliases: list[str] = []
    required_models: list[str] = []
    latency_budget_s: float | None = Field(default=None, gt=0)
    id_pattern: str | None = None
    max_unpriced_share: float | None = Field(default=None, ge=0, le=1)
    max_unknown_context_share: float | None = Field(default=None, ge=0, le=1)
    count_drop_tolerance: float | None = Field(default=None, ge=0, le=1)

    @field_validator("id_pattern")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"not a valid regular expression: {exc}") from None
        return value


class AggregateSpec(_Bounded):
    slug: str = "all"
    latency_budget_s: float | None = Field(default=None, gt=0)


class ChatSpec(_Strict):
    models: list[str] = []
    latency_budget_s: float | None = Field(default=None, gt=0)


class PaginationSpec(_Strict):
    max_limit: int = Field(default=1000, ge=1)
    # Upper bound on pages the pager follows for one catalog: a cursor that never ends is a finding.
    max_pages: int = Field(default=200, ge=1)


class RegistrySpec(_Strict):
    path: str = "/v1/gateways"
    # Gateways the registry may list without a contract (known and accepted).
    ignore: list[str] = []
    # Fail (not only report) when the registry lists a gateway no contract covers.
    strict: bool = False


class GroupSpec(_Bounded):
    """One group of the openai dialect: exactly one rule (`prefix`, `owned_by` or `models`) and its bounds."""

    prefix: str | None = Field(default=None, min_length=1)
    owned_by: str | None = Field(default=None, min_length=1)
    models: list[str] | None = Field(default=None, min_length=1)
    required_models: list[str] = []
    latency_budget_s: float | None = Field(default=None, gt=0)
    count_drop_tolerance: float | None = Field(default=None, ge=0, le=1)

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


class ModelListSpec(_Bounded):
    """The openai dialect's whole list (`models:`): its own floor, ceiling and required models."""

    min_models: int = Field(default=1, ge=0)
    required_models: list[str] = []
    latency_budget_s: float | None = Field(default=None, gt=0)
    count_drop_tolerance: float | None = Field(default=None, ge=0, le=1)
    # GET /v1/models/{id} for the contracted ids without a `/` (LiteLLM's route does not take one): optional
    # in the OpenAI API's clones, so a contract opts in.
    retrieve: bool = False


class OpenAIDefaults(_Strict):
    latency_budget_s: float = Field(default=70.0, gt=0)
    count_drop_tolerance: float = Field(default=0.10, ge=0, le=1)
    latency_regression_factor: float = Field(default=3.0, ge=1)


class _Versioned(_Strict):
    """What every contract file starts with: a format version this suite reads."""

    version: int

    @field_validator("version")
    @classmethod
    def _supported(cls, value: int) -> int:
        if value not in SUPPORTED_VERSIONS:
            raise ValueError(f"unsupported version {value} (supported: {', '.join(map(str, SUPPORTED_VERSIONS))})")
        return value


class _OpenAIContractModel(_Versioned):
    dialect: Literal["openai"]
    openapi: str | None = Field(default=None, min_length=1)
    defaults: OpenAIDefaults = OpenAIDefaults()
    groups: dict[str, GroupSpec] = Field(min_length=1)
    models: ModelListSpec = ModelListSpec()
    chat: ChatSpec = ChatSpec()
    known_findings: list[KnownFindingSpec] = []  # known.py: accepted findings, each with a ticket and an expiry


class _ContractModel(_Versioned):
    dialect: Literal["gatewayz"] = "gatewayz"
    # The OpenAPI document (path relative to this file) the fuzz tests and the drift check hold the target to.
    openapi: str | None = Field(default=None, min_length=1)
    defaults: Defaults = Defaults()
    gateways: dict[str, GatewaySpec] = Field(min_length=1)
    aggregate: AggregateSpec | None = None
    chat: ChatSpec = ChatSpec()
    pagination: PaginationSpec = PaginationSpec()
    registry: RegistrySpec = RegistrySpec()
    known_findings: list[KnownFindingSpec] = []  # known.py: accepted findings, each with a ticket and an expiry


@dataclass(frozen=True)
class GroupSelect:
    """An openai-dialect group's rule as written: `prefix` or `owned_by` (one value) or `list` (the ids).
    Matching rows is the invariants' job (`invariants.openai_models.GroupRule`): contracts are data."""

    kind: str
    values: tuple[str, ...]


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
    dialect: str = GATEWAYZ
    # openai dialect: each group's rule (selected or not), and whether GET /v1/models/{id} is contracted.
    group_rules: tuple[tuple[str, GroupSelect], ...] = ()
    retrieve: bool = False
    known_findings: tuple[KnownFinding, ...] = ()  # accepted findings (known.py), validated at load

    @property
    def paginated(self) -> bool:
        """Pagination, aliases, the envelope, the registry, search and status: the Gatewayz dialect only."""
        return self.dialect == GATEWAYZ

    def rule(self, name: str) -> GroupSelect:
        for slug, rule in self.group_rules:
            if slug == name:
                return rule
        raise KeyError(name)

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


def load_contract(path: str | Path) -> Contract:
    """Read and validate a contract file; raise ContractError with file:line and key on any problem."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ContractError(f"{path}: contract file not found") from None
    except OSError as exc:
        raise ContractError(f"{path}: cannot read contract file: {exc.strerror}") from None
    return parse_contract(text, path)


def parse_contract(text: str, path: Path) -> Contract:
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ContractError(f"{where}: not valid YAML: {problem}") from None
    if node is None:
        raise ContractError(f"{path}: contract file is empty")
    lines = _key_lines(node)
    _reject_duplicate_keys(node, path)
    raw = yaml.load(text, Loader=_Loader)  # a SafeLoader (no timestamps)
    if not isinstance(raw, dict):
        raise ContractError(f"{path}:1: the contract must be a mapping with 'version' and 'gateways'")
    dialect = _dialect(raw, path, lines)
    contract: Contract
    if dialect == OPENAI:
        try:
            openai_model = _OpenAIContractModel.model_validate(raw)
        except ValidationError as exc:
            raise ContractError(_describe(exc, path, lines)) from None
        _reject_group_named_all(openai_model, path, lines)
        contract = _resolve_openai(openai_model, path)
        source = openai_model.openapi
        known = openai_model.known_findings
    else:
        try:
            model = _ContractModel.model_validate(raw)
        except ValidationError as exc:
            raise ContractError(_describe(exc, path, lines)) from None
        _reject_reused_names(model, path, lines)
        contract = _resolve(model, path)
        source = model.openapi
        known = model.known_findings
    if source is not None:
        contract = replace(contract, openapi=_api_document(source, path, lines))
    if known:
        contract = replace(contract, known_findings=_known_findings(known, path, lines))
    return contract


def _known_findings(specs: list[KnownFindingSpec], path: Path,
                    lines: dict[tuple[str, ...], int]) -> tuple[KnownFinding, ...]:
    entries = from_specs([(spec, _nearest_line(("known_findings", str(i)), lines)) for i, spec in enumerate(specs)])
    repeated = duplicate(entries)
    if repeated is not None:
        index, entry = repeated
        raise ContractError(f"{path}:{entry.line}: known_findings[{index}]: {entry.key} is listed twice")
    return entries


def _dialect(raw: dict[str, Any], path: Path, lines: dict[tuple[str, ...], int]) -> str:
    """The contract's dialect, and a clear error for a key only the other dialect has."""
    dialect = raw.get("dialect", GATEWAYZ)
    if dialect not in DIALECTS:
        raise ContractError(f"{path}:{_nearest_line(('dialect',), lines)}: dialect: unknown dialect {dialect!r} "
                            f"(expected one of: {', '.join(DIALECTS)})")
    other = OPENAI if dialect == GATEWAYZ else GATEWAYZ
    for key in _ONLY[other]:
        if key in raw:
            theirs = ", ".join(_ONLY[dialect])
            raise ContractError(f"{path}:{_nearest_line((key,), lines)}: {key}: a key of the {other} dialect, not of "
                                f"this {dialect} contract (it has {theirs}; set 'dialect: {other}' if that is meant)")
    if dialect == OPENAI:
        for group, spec in (raw.get("groups") or {}).items() if isinstance(raw.get("groups"), dict) else ():
            for key in ("aliases", "id_pattern", "max_unpriced_share", "max_unknown_context_share"):
                if isinstance(spec, dict) and key in spec:
                    loc = ("groups", str(group), key)
                    raise ContractError(f"{path}:{_nearest_line(loc, lines)}: {_dotted(loc)}: a key of the gatewayz "
                                        "dialect's gateways, not of an openai group")
    return str(dialect)


def _reject_group_named_all(model: _OpenAIContractModel, path: Path, lines: dict[tuple[str, ...], int]) -> None:
    # GATEWAYS=all selects the whole list; a group of that name could never be selected alone.
    for name in model.groups:
        if name.lower() == WHOLE_LIST:
            loc = ("groups", name)
            raise ContractError(f"{path}:{_nearest_line(loc, lines)}: {_dotted(loc)}: the name {WHOLE_LIST!r} is the "
                                "whole list's (GATEWAYS=all); name the group otherwise")


def _resolve_openai(model: _OpenAIContractModel, path: Path) -> Contract:
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
        )
        for name, spec in model.groups.items()
    )
    whole = model.models
    return Contract(
        path=path,
        version=model.version,
        gateways=groups,
        aggregate=Aggregate(slug=WHOLE_LIST, min_models=whole.min_models, max_models=whole.max_models,
                            latency_budget_s=whole.latency_budget_s or d.latency_budget_s,
                            required_models=tuple(whole.required_models)),
        chat_models=tuple(model.chat.models),
        chat_latency_budget_s=model.chat.latency_budget_s or d.latency_budget_s,
        max_limit=PaginationSpec().max_limit,
        max_pages=1,
        registry=RegistrySpec(),
        latency_regression_factor=d.latency_regression_factor,
        count_drop_tolerance=(
            whole.count_drop_tolerance if whole.count_drop_tolerance is not None else d.count_drop_tolerance
        ),
        dialect=OPENAI,
        group_rules=tuple((name, spec.rule()) for name, spec in model.groups.items()),
        retrieve=whole.retrieve,
    )


def _api_document(value: str, path: Path, lines: dict[tuple[str, ...], int]) -> Path:
    """The `openapi` document, relative to the contract file; it must exist and be readable now, not when the
    fuzz tests first need it."""
    document = (path.parent / value) if not Path(value).is_absolute() else Path(value)
    where = f"{path}:{_nearest_line(('openapi',), lines)}: openapi"
    try:
        text = document.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ContractError(f"{where}: no such file {document}") from None
    except IsADirectoryError:
        raise ContractError(f"{where}: {document} is a directory, not an OpenAPI document") from None
    except (OSError, UnicodeError) as exc:
        raise ContractError(f"{where}: cannot read {document}: {getattr(exc, 'strerror', None) or exc}") from None
    try:
        # JSON is YAML: one parser for both; libyaml's when the wheel has it (the pure-Python one took ~0.1 s for
        # contracts/openapi.json, in every process of a run).
        parsed = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f"{document}:{mark.line + 1}" if mark else str(document)
        raise ContractError(f"{where}: {at}: not valid JSON or YAML: {getattr(exc, 'problem', None) or exc}") from None
    if not isinstance(parsed, dict) or not isinstance(parsed.get("paths"), dict):
        raise ContractError(f"{where}: {document} is not an OpenAPI document (no 'paths')")
    return document


def _reject_reused_names(model: _ContractModel, path: Path, lines: dict[tuple[str, ...], int]) -> None:
    # Checked here, not in a model validator, so the error points at the reused alias (pydantic would
    # place a model-level error at the top of the file).
    seen: dict[str, str] = {}
    for slug, spec in model.gateways.items():
        for index, name in enumerate((slug, *spec.aliases)):
            key = name.lower()
            if key in seen:
                loc = ("gateways", slug) if index == 0 else ("gateways", slug, "aliases", str(index - 1))
                raise ContractError(
                    f"{path}:{_nearest_line(loc, lines)}: {_dotted(loc)}: "
                    f"gateway name {name!r} is used twice ({seen[key]} and {slug})"
                )
            seen[key] = slug


def _resolve(model: _ContractModel, path: Path) -> Contract:
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
        path=path,
        version=model.version,
        gateways=gateways,
        aggregate=aggregate,
        chat_models=tuple(model.chat.models),
        chat_latency_budget_s=model.chat.latency_budget_s or d.latency_budget_s,
        max_limit=model.pagination.max_limit,
        max_pages=model.pagination.max_pages,
        registry=model.registry,
        latency_regression_factor=d.latency_regression_factor,
        count_drop_tolerance=d.count_drop_tolerance,
    )


def _key_lines(node: yaml.Node, prefix: tuple[str, ...] = ()) -> dict[tuple[str, ...], int]:
    """Map every key path (and list index) in the YAML document to its 1-based line."""
    lines: dict[tuple[str, ...], int] = {prefix: node.start_mark.line + 1}
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            path = (*prefix, str(key_node.value))
            lines.update(_key_lines(value_node, path))
            lines[path] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            lines.update(_key_lines(item, (*prefix, str(index))))
    return lines


def _reject_duplicate_keys(node: yaml.Node, path: Path, prefix: str = "") -> None:
    # PyYAML keeps the last of two equal keys; a duplicated gateway block would silently hide one.
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            dotted = f"{prefix}.{key}" if prefix else key
            if key in seen:
                raise ContractError(f"{path}:{key_node.start_mark.line + 1}: {dotted}: duplicate key")
            seen.add(key)
            _reject_duplicate_keys(value_node, path, dotted)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _reject_duplicate_keys(item, path, f"{prefix}[{index}]")


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
