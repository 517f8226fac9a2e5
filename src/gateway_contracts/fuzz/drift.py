"""Spec drift: what changed between the committed OpenAPI document and the one a target serves.

Pure functions over two parsed documents. The committed document is the contract's (its `openapi` key);
the nightly run compares the target's live `/openapi.json` with it, so a route that disappears from the spec
is reported even when no test calls it. Only the operations the committed document covers are compared,
matched by method and path template (`{developer}` is `{developer_name}`): a live route the contract does not
describe (an admin route) is not drift of the catalog API. Compared: operations, parameters (removed, added
as required, or changed in `required`, type, bounds, enum, pattern), request-body presence, response codes
the live spec documents and the committed one does not (a status a client must now handle; the reverse is
not drift: FastAPI documents only 200 and 422), and the security scheme type. Descriptions, examples and
response schemas are not compared (the fuzzer's response-schema check holds the server to the committed
schemas; an extra optional response field is not drift).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from gateway_contracts.fuzz.documents import template_key

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
# Schema keywords that bound a parameter's values: a change to any of them changes what the API accepts.
CONSTRAINTS = (
    "type",
    "format",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minLength",
    "maxLength",
    "pattern",
    "enum",
    "const",
    "minItems",
    "maxItems",
)


# What a path parameter's place already implies (spelled out in a document for the fuzzer's sake).
PATH_SEGMENT = {"minLength": 1, "pattern": "^[^/]+$"}


@dataclass(frozen=True)
class Drift:
    kind: str  # "removed" (in the committed spec only), "added" (live only) or "changed"
    where: str  # "GET /v1/models", or the path for a whole path
    what: str  # "path", "operation", "parameter query 'limit'", "response 404", ...
    detail: str = ""  # for "changed": "maximum 1000 -> 500" (committed -> live)

    def render(self) -> str:
        if self.kind == "changed":
            return f"{self.where}: {self.what} changed: {self.detail} (committed -> live)"
        side = "the committed spec has it, the live spec does not" if self.kind == "removed" else (
            "the live spec has it, the committed spec does not"
        )
        return f"{self.where}: {self.what} {self.kind} ({side})"


def compare_specs(committed: Mapping[str, Any], live: Mapping[str, Any]) -> list[Drift]:
    """Every difference in the committed document's operations that changes what a client may send or must
    handle, committed -> live."""
    drifts: list[Drift] = []
    old_paths, new_paths = _paths(committed), _paths(live)
    new_by_key = {template_key(path): path for path in new_paths}
    for path, old_item in old_paths.items():
        live_path = new_by_key.get(template_key(path))
        if live_path is None:
            drifts.append(Drift("removed", path, "path"))
            continue
        new_item = new_paths[live_path]
        old_ops, new_ops = _operations(old_item), _operations(new_item)
        for method in old_ops.keys() - new_ops.keys():
            drifts.append(Drift("removed", f"{method.upper()} {path}", "operation"))
        for method in old_ops.keys() & new_ops.keys():
            where = f"{method.upper()} {path}"
            drifts += _operation_drift(
                where,
                committed,
                live,
                (old_item, old_ops[method], path),
                (new_item, new_ops[method], live_path),
            )
    return sorted(drifts, key=lambda d: (d.where, d.what, d.kind))


def _operation_drift(
    where: str,
    committed: Mapping[str, Any],
    live: Mapping[str, Any],
    old: tuple[Mapping[str, Any], Mapping[str, Any], str],
    new: tuple[Mapping[str, Any], Mapping[str, Any], str],
) -> Iterator[Drift]:
    old_params, new_params = _parameters(committed, *old), _parameters(live, *new)
    for key in old_params.keys() - new_params.keys():
        yield Drift("removed", where, _param_label(key))
    for key in new_params.keys() - old_params.keys():
        if new_params[key].get("required"):  # an optional parameter more asks nothing of a client
            yield Drift("added", where, _param_label(key) + " (required)")
    for key in old_params.keys() & new_params.keys():
        yield from _parameter_drift(where, _param_label(key), committed, live, old_params[key], new_params[key])
    old_body, new_body = _resolve(committed, old[1].get("requestBody")), _resolve(live, new[1].get("requestBody"))
    if bool(old_body) != bool(new_body):
        yield Drift("removed" if old_body else "added", where, "request body")
    elif old_body and new_body and bool(old_body.get("required")) != bool(new_body.get("required")):
        yield Drift("changed", where, "request body", f"required {_show(old_body.get('required'))} -> "
                    f"{_show(new_body.get('required'))}")
    old_codes, new_codes = _responses(old[1]), _responses(new[1])
    for code in sorted(new_codes - old_codes):
        yield Drift("added", where, f"response {code}")
    old_security = _security(committed, old[1])
    new_security = _security(live, new[1])
    if old_security != new_security:
        yield Drift("changed", where, "security", f"{_show(old_security)} -> {_show(new_security)}")


def _parameter_drift(
    where: str,
    label: str,
    committed: Mapping[str, Any],
    live: Mapping[str, Any],
    old: Mapping[str, Any],
    new: Mapping[str, Any],
) -> Iterator[Drift]:
    if bool(old.get("required")) != bool(new.get("required")):
        yield Drift("changed", where, label, f"required {_show(bool(old.get('required')))} -> "
                    f"{_show(bool(new.get('required')))}")
    old_facts = _constraints(committed, old.get("schema"))
    new_facts = _constraints(live, new.get("schema"))
    if old.get("in") == "path":  # a path segment is never empty and holds no `/`: saying so changes nothing
        for facts in (old_facts, new_facts):
            for keyword, implied in PATH_SEGMENT.items():
                if facts.get(keyword) == implied:
                    facts.pop(keyword)
    for keyword in CONSTRAINTS:
        if old_facts.get(keyword) != new_facts.get(keyword):
            yield Drift("changed", where, label, f"{keyword} {_change(old_facts.get(keyword), new_facts.get(keyword))}")


# -- reading a document ------------------------------------------------------------------------------


def _paths(spec: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    paths = spec.get("paths") if isinstance(spec, Mapping) else None
    if not isinstance(paths, Mapping):
        return {}
    return {path: item for path, item in paths.items() if isinstance(item, Mapping)}


def _operations(path_item: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    return {m: op for m, op in path_item.items() if m in METHODS and isinstance(op, Mapping)}


def _parameters(
    spec: Mapping[str, Any], path_item: Mapping[str, Any], operation: Mapping[str, Any], path: str = ""
) -> dict[tuple[str, str], Mapping[str, Any]]:
    """(in, name) -> parameter; operation-level parameters override path-level ones (OpenAPI rule). A path
    parameter is named by its place in the template (`{1}`), so a renamed one is the same parameter."""
    places = {name: f"{{{index}}}" for index, name in enumerate(re.findall(r"\{([^}/]*)\}", path), start=1)}
    found: dict[tuple[str, str], Mapping[str, Any]] = {}
    for source in (path_item.get("parameters"), operation.get("parameters")):
        for raw in source if isinstance(source, list) else []:
            parameter = _resolve(spec, raw)
            if isinstance(parameter, Mapping) and "name" in parameter:
                where, name = str(parameter.get("in", "")), str(parameter["name"])
                found[(where, places.get(name, name) if where == "path" else name)] = parameter
    return found


def _param_label(key: tuple[str, str]) -> str:
    return f"parameter {key[0]} {key[1]!r}"


def _responses(operation: Mapping[str, Any]) -> set[str]:
    responses = operation.get("responses")
    return {str(code) for code in responses} if isinstance(responses, Mapping) else set()


def _security(spec: Mapping[str, Any], operation: Mapping[str, Any]) -> list[str]:
    """The kinds of security scheme an operation requires (its own list, else the document's), e.g.
    `http bearer`: documents name their schemes as they like (`bearerAuth`, `HTTPBearer`)."""
    requirements = operation.get("security", spec.get("security", []))
    if not isinstance(requirements, list):
        return []
    schemes = (spec.get("components") or {}).get("securitySchemes") or {}
    kinds = set()
    for entry in requirements:
        for name in entry if isinstance(entry, Mapping) else ():
            scheme = _resolve(spec, schemes.get(name))
            if isinstance(scheme, Mapping):
                kinds.add(" ".join(str(scheme.get(k, "")).lower() for k in ("type", "scheme", "in") if k in scheme))
            else:
                kinds.add(str(name))
    return sorted(kinds)


def _constraints(spec: Mapping[str, Any], schema: Any, depth: int = 0) -> dict[str, Any]:
    """The bounding keywords of a parameter schema, with `$ref`s resolved and a nullable `anyOf` flattened."""
    schema = _resolve(spec, schema)
    if not isinstance(schema, Mapping) or depth > 8:
        return {}
    facts = {k: schema[k] for k in CONSTRAINTS if k in schema}
    variants = schema.get("anyOf") or schema.get("oneOf")
    if isinstance(variants, list):
        merged = [_constraints(spec, v, depth + 1) for v in variants]
        non_null = [m for m in merged if m.get("type") != "null"]
        if len(non_null) == 1:
            facts = {**non_null[0], **facts}
        elif "type" not in facts:
            facts["type"] = sorted(str(m.get("type")) for m in merged)
    if isinstance(facts.get("type"), list):
        facts["type"] = sorted(map(str, facts["type"]))
    if isinstance(facts.get("enum"), list):
        facts["enum"] = sorted(facts["enum"], key=repr)
    return facts


def _resolve(spec: Mapping[str, Any], node: Any, depth: int = 0) -> Any:
    """Follow local `$ref`s (`#/components/...`); an unresolvable one stays as it is."""
    while isinstance(node, Mapping) and isinstance(node.get("$ref"), str) and depth < 16:
        ref = node["$ref"]
        if not ref.startswith("#/"):
            return node
        target: Any = spec
        for part in ref[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            if not isinstance(target, Mapping) or part not in target:
                return node
            target = target[part]
        node, depth = target, depth + 1
    return node


def _change(old: Any, new: Any) -> str:
    """`old -> new`; two long strings are shown from just before their first difference."""
    if isinstance(old, str) and isinstance(new, str) and max(len(old), len(new)) > 60:
        start = next((i for i, (a, b) in enumerate(zip(old, new, strict=False)) if a != b), min(len(old), len(new)))
        start = max(0, start - 10)
        return f"{_show(_cut(old, start))} -> {_show(_cut(new, start))}"
    return f"{_show(old)} -> {_show(new)}"


def _cut(text: str, start: int) -> str:
    return ("..." if start else "") + text[start:]


def _show(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, str):
        return repr(value) if len(value) <= 60 else repr(value[:57] + "...")
    return str(value)
