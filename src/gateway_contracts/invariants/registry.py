"""The gateway registry (`/v1/gateways`) against the contract: missing and uncovered gateways."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from gateway_contracts.data.exchange import Exchange
from gateway_contracts.data.findings import Finding


def registry_names(body: Any) -> dict[str, str] | None:
    """name (id or alias, lower-cased) -> canonical id, or None when the body is not a registry."""
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, list):
        return None
    names: dict[str, str] = {}
    for entry in data:
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
            continue
        names[entry["id"].lower()] = entry["id"]
        for alias in entry.get("aliases") or ():
            if isinstance(alias, str):
                names[alias.lower()] = entry["id"]
    return names


def names_of(registry: dict[str, str] | None, names: Collection[str]) -> frozenset[str]:
    """Every name (lower case) of the gateway that `names` (its contract slug and aliases) select: those and
    whatever the live registry lists under the same entry (an alias the contract does not know)."""
    ids = {registry[n.lower()] for n in names if registry and n.lower() in registry}
    extra = {name for name, entry in (registry or {}).items() if entry in ids}
    return frozenset({n.lower() for n in names} | extra)


def listed_in_registry(
    names: dict[str, str] | None, *, gateway: str, aliases: Collection[str], request: str | None = None
) -> list[Finding]:
    if names is None:
        return [Finding("registry", "the registry answer has no 'data' list of gateways", request)]
    missing = [n for n in (gateway, *aliases) if n.lower() not in names]
    if not missing:
        return []
    return [Finding("registry", f"the registry does not list {', '.join(map(repr, missing))}", request)]


def uncovered_gateways(
    names: dict[str, str] | None, covered: Collection[str], ignore: Collection[str] = ()
) -> list[str]:
    """Registry names no contract covers: the production registry changes without a deploy."""
    if names is None:
        return []
    skip = {c.lower() for c in covered} | {i.lower() for i in ignore}
    return sorted(n for n in names if n not in skip)


def registry_body(exchange: Exchange) -> list[Finding]:
    """The registry: `total == len(data)`, each gateway listed once, names unique across ids and aliases."""
    body = exchange.json
    request = exchange.describe()
    entries = body.get("data") if isinstance(body, dict) else None
    if not isinstance(entries, list) or not isinstance(body, dict):
        return [Finding("registry", "the registry answer has no 'data' list of gateways", request)]
    findings = []
    if body.get("total") != len(entries):
        findings.append(Finding("registry", f"total is {body.get('total')!r} but data lists {len(entries)} "
                                            "gateways", request))
    names = [str(n).lower() for e in entries if isinstance(e, dict)
             for n in (e.get("id"), *(e.get("aliases") or ()))]
    findings += [Finding("registry", f"name {name!r} names more than one registry entry", request)
                 for name in sorted({n for n in names if names.count(n) > 1})]
    return findings
