"""Model rows: id format, name, source_gateway, context_length and pricing (R11, R15, R20-R22, R26)."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Collection, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple

from gateway_contracts.data.findings import Finding, sample
from gateway_contracts.data.jsontypes import is_int
from gateway_contracts.invariants.contents import no_duplicate_ids

_BAD_ID_CHARS = re.compile(r"[\s'\"()\[\]{}<>,]")
_REPEATED_PREFIX = re.compile(r"^([^/]+/)\1")  # @deepinfra/@deepinfra/..., groq/groq/...
# A Python repr where a string belongs: Data(id='x', ...), ('data', [...]), {'id': ...}, [Model(...)]
_REPR = re.compile(r"^\s*[(\[{]|\b[A-Z]\w*\((?:\w+=|['\"])")
_DECIMAL = re.compile(r"^\d+(\.\d+)?([eE][-+]?\d+)?$")



def id_problem(model_id: Any, id_pattern: re.Pattern[str] | None = None) -> str | None:
    """Why an id is malformed, or None. Pure, for unit and property tests."""
    if not isinstance(model_id, str) or not model_id:
        return f"id is {model_id!r}, expected a non-empty string"
    if _BAD_ID_CHARS.search(model_id):
        return "id contains spaces, quotes, brackets or parentheses"
    if _REPEATED_PREFIX.match(model_id):
        return "id repeats its prefix"
    if id_pattern is not None and not id_pattern.fullmatch(model_id):
        return f"id does not match the gateway's format {id_pattern.pattern!r}"
    return None


def price_problem(value: Any) -> str | None:
    """Why one pricing value is wrong (without the value, so rows group by problem), or None."""
    if value is None:
        return None  # an unpriced component (HuggingFace rows carry nulls)
    if not isinstance(value, str):
        return f"a JSON {type(value).__name__}, expected a decimal string"
    if value.startswith("-"):
        return "negative"
    if not _DECIMAL.match(value):
        return "not a decimal string"
    try:
        Decimal(value)
    except InvalidOperation:
        return "not a decimal string"
    return None


class _Problem(NamedTuple):
    invariant: str  # a finding kind's name (data/kinds.py); by keyword, so the kinds self-test finds it
    problem: str


def check_model_rows(
    rows: Sequence[Any],
    *,
    allowed_sources: Collection[str] | None,
    id_pattern: str | None = None,
    request: str | None = None,
) -> list[Finding]:
    """Every row's fields; findings grouped by problem, each naming a sample of offending ids."""
    pattern = re.compile(id_pattern) if id_pattern else None
    allowed = {s.lower() for s in allowed_sources} if allowed_sources is not None else None
    problems: dict[_Problem, list[str]] = defaultdict(list)
    for index, row in enumerate(rows):
        if not isinstance(row, dict):
            what = f"row is a {type(row).__name__}, expected an object"
            problems[_Problem(invariant="model-row", problem=what)].append(f"#{index}")
            continue
        model_id = row.get("id")
        label = model_id if isinstance(model_id, str) and model_id else f"#{index}"
        for found in _row_problems(row, allowed, pattern):
            problems[found].append(label)
    return [
        Finding(invariant, f"{len(labels)} row(s): {problem}", request, sample(labels))
        for (invariant, problem), labels in problems.items()
    ]


def _row_problems(row: dict[str, Any], allowed: set[str] | None, pattern: re.Pattern[str] | None) -> list[_Problem]:
    out: list[_Problem] = []
    problem = id_problem(row.get("id"), pattern)
    if problem:
        out.append(_Problem(invariant="model-id-format", problem=problem))
    name = row.get("name")
    if not isinstance(name, str):
        out.append(_Problem(invariant="model-name", problem=f"name is {type(name).__name__}, expected a string"))
    elif _REPR.search(name):
        out.append(_Problem(invariant="model-name", problem="name looks like a Python repr, not a display name"))
    source = row.get("source_gateway")
    if allowed is not None and (not isinstance(source, str) or source.lower() not in allowed):
        problem = f"source_gateway {source!r} is not one of {sorted(allowed)}"
        out.append(_Problem(invariant="source-gateway", problem=problem))
    context = row.get("context_length")
    if context is not None and not is_int(context):
        problem = f"context_length is a {type(context).__name__}, expected an integer or null"
        out.append(_Problem(invariant="model-schema", problem=problem))
    elif context is not None and context < 0:
        out.append(_Problem(invariant="model-schema", problem="context_length is negative"))
    created = row.get("created")
    # R22: `created` drifted between unix seconds, ISO strings and dates per gateway; one type for all.
    if created is not None and (not is_int(created) or created < 0):
        problem = f"created is a {type(created).__name__}, expected unix seconds (integer) or null"
        out.append(_Problem(invariant="model-schema", problem=problem))
    pricing = row.get("pricing")
    if pricing is not None:
        if not isinstance(pricing, dict):
            problem = f"pricing is a {type(pricing).__name__}, expected an object or null"
            out.append(_Problem(invariant="pricing", problem=problem))
        else:
            for key, value in pricing.items():
                price = price_problem(value)
                if price:
                    out.append(_Problem(invariant="pricing", problem=f"pricing.{key} is {price}"))
    return out


def check_unique_rows(rows: Sequence[Any], *, request: str | None = None) -> list[Finding]:
    """`unique_models=true` rows: one per id, each with its id and name and, when served, a `providers` list.
    No `source_gateway`: a unique row stands for every gateway that serves the model."""
    findings = check_model_rows(rows, allowed_sources=None, request=request)
    bad = [r.get("id") for r in rows
           if isinstance(r, dict) and "providers" in r and not isinstance(r["providers"], list)]
    if bad:
        findings.append(Finding("model-schema", f"{len(bad)} unique row(s): providers is not a list", request,
                                sample(bad)))
    return findings


def check_unique_page(body: Any, *, request: str | None = None) -> list[Finding]:
    """A `unique_models=true` page: a `data` list holding each id once, in the unique row's shape."""
    rows = body.get("data") if isinstance(body, dict) else None
    if not isinstance(rows, list):
        return [Finding("envelope", "the unique_models=true answer has no 'data' list", request)]
    return no_duplicate_ids([r.get("id") if isinstance(r, dict) else None for r in rows], request=request) + (
        check_unique_rows(rows, request=request))


def is_priced(row: Any) -> bool:
    pricing = row.get("pricing") if isinstance(row, dict) else None
    # "0" is a price (free models); only a missing object or all-null values mean unpriced.
    return isinstance(pricing, dict) and any(v is not None for v in pricing.values())


def check_priced_share(rows: Sequence[Any], *, max_unpriced_share: float, request: str | None = None) -> list[Finding]:
    """R21: a gateway whose prices went missing. Not checked at share 1.0."""
    if not rows or max_unpriced_share >= 1.0:
        return []
    unpriced = [r.get("id") for r in rows if isinstance(r, dict) and not is_priced(r)]
    share = len(unpriced) / len(rows)
    if share <= max_unpriced_share:
        return []
    return [
        Finding(
            "pricing-coverage",
            f"{share:.0%} of {len(rows)} models have no pricing; at most {max_unpriced_share:.0%} allowed",
            request,
            sample(unpriced),
        )
    ]


def has_known_context(row: Any) -> bool:
    """A positive context length. Missing, null and 0 all mean "unknown" (the API writes 0 for it)."""
    context = row.get("context_length") if isinstance(row, dict) else None
    return is_int(context) and context > 0


def check_known_context_share(rows: Sequence[Any], *, max_unknown_context_share: float,
                              request: str | None = None) -> list[Finding]:
    """A gateway whose context lengths went missing: the backend's normaliser read a field a provider's API does
    not send and served every row of whole providers with 0. Not checked at share 1.0."""
    if not rows or max_unknown_context_share >= 1.0:
        return []
    unknown = [r.get("id") for r in rows if isinstance(r, dict) and not has_known_context(r)]
    share = len(unknown) / len(rows)
    if share <= max_unknown_context_share:
        return []
    return [
        Finding(
            "context-coverage",
            f"{share:.0%} of {len(rows)} models have an unknown context length (missing, null or 0); at most "
            f"{max_unknown_context_share:.0%} allowed",
            request,
            sample(unknown),
        )
    ]
