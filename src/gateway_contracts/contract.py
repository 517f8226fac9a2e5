"""Reading a contract file: YAML, its dialect, and validation errors that point at file, line and key.

A contract is data (YAML, format version 1, documented in docs/contract-file.md). Loading it either returns a
fully validated `Contract` (contract_model.py) or raises `ContractError` whose message names the file, the line
and the dotted key that is wrong, so a typo never turns into a wall of failing tests.

The file's `dialect:` (the registry's default when absent) names a dialect of `gateway_contracts.dialects`:
that dialect validates the rest of the file by its own schema and resolves it. A key only another dialect's
files have is one line naming that dialect. What is common to every file is read here: the YAML itself
(duplicate keys are errors), the `openapi` document and the `known_findings` entries.

The model is re-exported: code above the dialects imports `Contract`, `Gateway`... from here; the plan and
the dialects themselves, which sit below this module, import them from contract_model.py. The `compare:` block
(tolerances of the differential gate against production) is common to every dialect and read here too.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml

from gateway_contracts import dialects
from gateway_contracts.contract_model import (
    SUPPORTED_VERSIONS,
    WHOLE_LIST,
    Aggregate,
    ChatSpec,
    CompareBlock,
    Contract,
    ContractError,
    Gateway,
    Loader,
    RegistrySpec,
    Source,
    key_lines,
    reject_duplicate_keys,
)
from gateway_contracts.dialects.base import Dialect
from gateway_contracts.known_findings import KnownFinding, KnownFindingSpec, duplicate, from_specs

__all__ = [
    "SUPPORTED_VERSIONS", "WHOLE_LIST", "Aggregate", "ChatSpec", "Contract", "ContractError", "Gateway",
    "RegistrySpec", "load_contract", "parse_contract",
]


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
        node = yaml.compose(text, Loader=Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ContractError(f"{where}: not valid YAML: {problem}") from None
    if node is None:
        raise ContractError(f"{path}: contract file is empty")
    source = Source(path, key_lines(node))
    reject_duplicate_keys(node, path)
    raw = yaml.load(text, Loader=Loader)  # a SafeLoader (no timestamps)
    if not isinstance(raw, dict):
        raise ContractError(f"{path}:1: the contract must be a mapping with 'version' and 'gateways'")
    # `compare:` is every dialect's (the differential gate against production): read here, not by the dialect.
    block = source.validate(CompareBlock, {"compare": raw.pop("compare")}) if "compare" in raw else CompareBlock()
    loaded = _dialect(raw, source).load(raw, source)
    contract = replace(loaded.contract, compare=block.compare.resolve())
    if loaded.openapi is not None:
        contract = replace(contract, openapi=_api_document(loaded.openapi, source))
    if loaded.known_findings:
        contract = replace(contract, known_findings=_known_findings(loaded.known_findings, source))
    return contract


def _dialect(raw: dict[str, Any], source: Source) -> Dialect:
    """The file's dialect from the registry, and a clear error for a key only another dialect's files have."""
    value = raw.get("dialect", dialects.DEFAULT.name)
    dialect = dialects.named(value) if isinstance(value, str) else None
    if dialect is None:
        raise source.error(("dialect",), f"unknown dialect {value!r} (expected one of: {', '.join(dialects.names())})")
    for other in dialects.REGISTERED:
        for key in other.own_keys if other is not dialect else ():
            if key in raw and key not in dialect.own_keys:  # two dialects may both have a key (`models`)
                raise source.error((key,), f"a key of the {other.name} dialect, not of this {dialect.name} contract "
                                           f"(it has {', '.join(dialect.own_keys)}; set 'dialect: {other.name}' if "
                                           "that is meant)")
    return dialect


def _known_findings(specs: list[KnownFindingSpec], source: Source) -> tuple[KnownFinding, ...]:
    entries = from_specs([(spec, source.line(("known_findings", str(i)))) for i, spec in enumerate(specs)])
    repeated = duplicate(entries)
    if repeated is not None:
        index, entry = repeated
        raise ContractError(f"{source.path}:{entry.line}: known_findings[{index}]: {entry.key} is listed twice")
    return entries


def _api_document(value: str, source: Source) -> Path:
    """The `openapi` document, relative to the contract file; it must exist and be readable now, not when the
    fuzz tests first need it."""
    path = source.path
    document = (path.parent / value) if not Path(value).is_absolute() else Path(value)
    where = f"{path}:{source.line(('openapi',))}: openapi"
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
