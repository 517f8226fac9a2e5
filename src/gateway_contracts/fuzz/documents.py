"""OpenAPI documents as the fuzzer uses them: read (JSON or YAML), matched by method and path template,
restricted to what a contract's document covers, and prepared in memory for generation. Pure functions over
parsed documents (no schemathesis, no network).

- `template_key` matches operations across documents whatever their path parameters are called
  (`/v1/models/{developer_name}` is `/v1/models/{developer}`).
- `restrict_to_contract` keeps only the target's operations the contract's document covers and judges them by
  the contract: each keeps its own parameters (what the server says it accepts) but takes the contract's
  `responses` (FastAPI documents only 200 and 422) and request body (FastAPI's body schemas omit the
  validators behind them, so "valid" there is not a promise).
- `generation_weight` ranks operations by what generating their cases costs: the longest fuzz items run first.
- `mark_gateway_parameters` gives every `gateway` query parameter the `gatewayz-gateway` format, whose values
  the fuzz plugin draws at test time from the contract and the live registry; the committed document keeps
  a plain `type: string` (no enum of today's slugs).
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
GATEWAY_FORMAT = "gatewayz-gateway"
_PARAMETER = re.compile(r"\{[^}/]*\}")


class DocumentError(ValueError):
    """A document that cannot be read or is not an OpenAPI document; the message names the file."""


def read_document(path: Path) -> dict[str, Any]:
    """A JSON or YAML OpenAPI document as a dict."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DocumentError(f"{path}: cannot read: {exc.strerror}") from None
    try:
        document = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise DocumentError(f"{path}: not valid {'JSON' if path.suffix == '.json' else 'YAML'}: "
                            f"{str(exc).splitlines()[0]}") from None
    if not isinstance(document, dict) or not isinstance(document.get("paths"), dict):
        raise DocumentError(f"{path}: not an OpenAPI document (no 'paths')")
    return document


def template_key(path: str) -> str:
    """`/v1/models/{developer_name}` -> `/v1/models/{}`: the route, whatever its parameters are called."""
    return _PARAMETER.sub("{}", path.rstrip("/") or "/")


def operations(document: Mapping[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(METHOD, path, operation) for every operation of a document."""
    paths = document.get("paths")
    for path, item in (paths.items() if isinstance(paths, Mapping) else ()):
        if isinstance(item, Mapping):
            for method, operation in item.items():
                if method in METHODS and isinstance(operation, dict):
                    yield method.upper(), path, operation


def labels(document: Mapping[str, Any]) -> list[str]:
    """Every operation as the fuzz tests name it: `GET /v1/models/search`."""
    return [f"{method} {path}" for method, path, _ in operations(document)]


def generation_weight(document: Mapping[str, Any], label: str) -> int:
    """How long an operation's fuzz item roughly takes, for ordering (`METHOD /path`): generating a request body
    costs most (chat: ~1.4 s for the gate's 100 cases, serial), then a path parameter (~0.9 s: many values
    drawn cannot be a URL segment and are drawn again, 169 invalid attempts for 100 cases against ~30 for
    query parameters), then query parameters (~0.75 s); an operation with none has a single case. Unknown
    labels weigh nothing."""
    for method, path, operation in operations(document):
        if f"{method} {path}" == label:
            parameters = [*(document["paths"][path].get("parameters") or ()), *(operation.get("parameters") or ())]
            in_path = any(isinstance(p, Mapping) and p.get("in") == "path" for p in parameters)
            return 4 * ("requestBody" in operation) + 2 * in_path + bool(parameters)
    return 0


def covered(document: Mapping[str, Any]) -> set[tuple[str, str]]:
    """(METHOD, template key) of every operation a document describes."""
    return {(method, template_key(path)) for method, path, _ in operations(document)}


def resolve(document: Mapping[str, Any], node: Any, depth: int = 0) -> Any:
    """`node` with every local `$ref` replaced by what it points at (the documents here are not recursive;
    past a depth of 32 a `$ref` is left as it is)."""
    if depth > 32:
        return node
    if isinstance(node, Mapping):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/"):
            target: Any = document
            for part in ref[2:].split("/"):
                part = part.replace("~1", "/").replace("~0", "~")
                if not isinstance(target, Mapping) or part not in target:
                    return dict(node)
                target = target[part]
            return resolve(document, target, depth + 1)
        return {key: resolve(document, value, depth + 1) for key, value in node.items()}
    if isinstance(node, list):
        return [resolve(document, item, depth + 1) for item in node]
    return node


def restrict_to_contract(target: Mapping[str, Any], contract: Mapping[str, Any]) -> dict[str, Any]:
    """The target's document with only the operations the contract's document covers, each judged by the
    contract's responses and request body (inlined, so the target's components need not know them)."""
    promised = {(method, template_key(path)): operation for method, path, operation in operations(contract)}
    ids = {operation.get("operationId"): (method, template_key(path))
           for method, path, operation in operations(contract)}
    target_ids = {(method, template_key(path)): operation.get("operationId")
                  for method, path, operation in operations(target)}
    result = copy.deepcopy(dict(target))
    paths: dict[str, Any] = {}
    for path, item in (target.get("paths") or {}).items():
        kept = {}
        for method, operation in item.items():
            key = (method.upper(), template_key(path))
            if method not in METHODS or key not in promised:
                continue
            judged = copy.deepcopy(operation)
            source = promised[key]
            judged["responses"] = _relinked(resolve(contract, source.get("responses", {})), ids, target_ids)
            if "requestBody" in source:
                judged["requestBody"] = resolve(contract, source["requestBody"])
            # The contract's requirement, its operation's or its document's global one: the fuzz target sends
            # the key where it says (the OpenAI API and LiteLLM want it on GET /v1/models too).
            security = source.get("security", contract.get("security"))
            if security is not None:
                judged["security"] = _security_for(target, security, contract)
            kept[method] = judged
        if kept:
            extra = {k: copy.deepcopy(v) for k, v in item.items() if k not in METHODS}
            paths[path] = {**extra, **kept}
    result["paths"] = paths
    _prune_links(result)
    return result


def _prune_links(document: dict[str, Any]) -> None:
    """A link may set only parameters its target operation has: the contract's link names ours."""
    names = {operation.get("operationId"): {p.get("name") for p in resolve(document, operation.get("parameters", []))
                                            if isinstance(p, Mapping)}
             for _, _, operation in operations(document)}
    for _, _, operation in operations(document):
        for response in (operation.get("responses") or {}).values():
            links = response.get("links") if isinstance(response, dict) else None
            for name, link in list((links or {}).items()):
                accepted = names.get(link.get("operationId"), set())
                link["parameters"] = {k: v for k, v in (link.get("parameters") or {}).items() if k in accepted}
                if not link["parameters"]:
                    del links[name]


def _relinked(responses: Any, ids: Mapping[Any, Any], target_ids: Mapping[Any, Any]) -> Any:
    """Links name the contract's operation ids: point them at the target's operation for the same route."""
    for response in responses.values() if isinstance(responses, dict) else ():
        links = response.get("links") if isinstance(response, dict) else None
        for name, link in list((links or {}).items()):
            target_id = target_ids.get(ids.get(link.get("operationId")))
            if target_id:
                link["operationId"] = target_id
            else:
                del links[name]
    return responses


def _security_for(target: Mapping[str, Any], requirement: Any, contract: Mapping[str, Any]) -> Any:
    """The contract's requirement, in the target's scheme names when the target has an equal scheme."""
    theirs = ((target.get("components") or {}).get("securitySchemes") or {})
    ours = ((contract.get("components") or {}).get("securitySchemes") or {})
    renamed = []
    for entry in requirement if isinstance(requirement, list) else []:
        mapped = {}
        for name, scopes in entry.items():
            scheme = _scheme(ours.get(name))
            match = next((other for other, value in theirs.items() if _scheme(value) == scheme), None)
            mapped[match or name] = scopes
        renamed.append(mapped)
    return renamed


def _scheme(scheme: Any) -> tuple[str, str] | None:
    if not isinstance(scheme, Mapping):
        return None
    return str(scheme.get("type", "")).lower(), str(scheme.get("scheme", scheme.get("in", ""))).lower()


def mark_gateway_parameters(document: dict[str, Any]) -> dict[str, Any]:
    """A copy in which every `gateway` query parameter's string schema carries the gateway format."""
    document = copy.deepcopy(document)
    for parameter in _parameters(document):
        if parameter.get("in") == "query" and parameter.get("name") == "gateway":
            for schema in _string_branches(parameter.get("schema")):
                schema["format"] = GATEWAY_FORMAT
    return document


def _parameters(document: dict[str, Any]) -> Iterator[dict[str, Any]]:
    components = (document.get("components") or {}).get("parameters") or {}
    yield from (p for p in components.values() if isinstance(p, dict))
    for path_item in (document.get("paths") or {}).values():
        if not isinstance(path_item, dict):
            continue
        for container in (path_item, *(op for m, op in path_item.items() if m in METHODS and isinstance(op, dict))):
            for parameter in container.get("parameters") or ():
                if isinstance(parameter, dict) and "$ref" not in parameter:
                    yield parameter


def _string_branches(schema: Any) -> Iterator[dict[str, Any]]:
    if not isinstance(schema, dict):
        return
    kind = schema.get("type")
    if kind == "string" or (isinstance(kind, list) and "string" in kind):
        yield schema
    for key in ("anyOf", "oneOf"):
        for branch in schema.get(key) or ():
            yield from _string_branches(branch)
