"""The OpenAI models dialect: `GET /v1/models` -> `{"object": "list", "data": [{"id", "object": "model",
"created", "owned_by"}, ...]}`, one list without pagination, and `GET /v1/models/{id}` -> one such object.

Groups of models take the place of gateways: a `GroupRule` selects rows by id prefix, by `owned_by` or by an
explicit id list. A row may fall into several groups or none; the whole list is checked on its own.
Counts, duplicates and required models reuse `invariants.catalog` unchanged, per group and for the list.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from gateway_contracts.data.findings import Finding, sample
from gateway_contracts.data.jsontypes import is_int
from gateway_contracts.invariants.contents import count_within_bounds, no_duplicate_ids, required_present

RuleKind = Literal["prefix", "owned_by", "list"]
RULE_KINDS: tuple[RuleKind, ...] = ("prefix", "owned_by", "list")


def row_problems(row: Any) -> list[str]:
    """What is wrong with one model object of the OpenAI shape (empty when it is well formed)."""
    if not isinstance(row, dict):
        return [f"a {type(row).__name__}, expected an object"]
    problems = []
    model_id = row.get("id")
    if not isinstance(model_id, str) or not model_id:
        problems.append(f"id is {model_id!r}, expected a non-empty string")
    if row.get("object") != "model":
        problems.append(f"object is {row.get('object')!r}, expected 'model'")
    created = row.get("created")
    # The SDK types `created` as an int (unix seconds); a string or a float breaks typed consumers.
    if not is_int(created) or created < 0:
        problems.append(f"created is {created!r}, expected unix seconds (a non-negative integer)")
    if not isinstance(row.get("owned_by"), str):
        problems.append(f"owned_by is {type(row.get('owned_by')).__name__}, expected a string")
    return problems


def check_list_body(body: Any, *, request: str | None = None) -> list[Finding]:
    """The list envelope and every row; row findings grouped by problem, each naming a sample of ids."""
    if not isinstance(body, dict):
        return [Finding("openai-list", f"expected a JSON object, got {type(body).__name__}", request)]
    findings = []
    if body.get("object") != "list":
        findings.append(Finding("openai-list", f"object is {body.get('object')!r}, expected 'list'", request))
    data = body.get("data")
    if not isinstance(data, list):
        got = type(data).__name__ if "data" in body else "no data key"
        return [*findings, Finding("openai-list", f"expected the models under 'data' as a list, got {got}", request)]
    by_problem: dict[str, list[str]] = defaultdict(list)
    for index, row in enumerate(data):
        label = row.get("id") if isinstance(row, dict) and isinstance(row.get("id"), str) and row["id"] else None
        for problem in row_problems(row):
            by_problem[problem].append(label or f"#{index}")
    findings.extend(
        Finding("openai-model-object", f"{len(labels)} row(s): {problem}", request, sample(labels))
        for problem, labels in by_problem.items()
    )
    return findings


def check_model_body(body: Any, *, model_id: str, request: str | None = None) -> list[Finding]:
    """`GET /v1/models/{id}`: one model object, and the one that was asked for."""
    problems = row_problems(body)
    if not problems and body["id"] != model_id:
        problems.append(f"id is {body['id']!r}, expected the requested {model_id!r}")
    return [Finding("openai-model-object", problem, request, (repr(model_id),)) for problem in problems]


def list_rows(body: Any) -> list[Any]:
    """The rows of a list body, or [] when it has none (check_list_body reports why)."""
    data = body.get("data") if isinstance(body, dict) else None
    return data if isinstance(data, list) else []


def list_ids(body: Any) -> list[Any]:
    """Every row's id in order, duplicates kept (rows without an id are left out)."""
    return [row["id"] for row in list_rows(body) if isinstance(row, dict) and "id" in row]


@dataclass(frozen=True)
class GroupRule:
    """Which rows form a group: ids starting with `prefix`, rows whose `owned_by` equals the value, or
    the ids of an explicit `list`. Matching is exact and case-sensitive: ids are case-sensitive in the API."""

    kind: RuleKind
    prefix: str = ""
    owned_by: str = ""
    ids: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in RULE_KINDS:
            raise ValueError(f"group rule {self.kind!r}: expected one of {', '.join(RULE_KINDS)}")
        value = {"prefix": self.prefix, "owned_by": self.owned_by, "list": self.ids}[self.kind]
        if not value:
            raise ValueError(f"group rule {self.kind!r} needs a non-empty value")

    def matches(self, row: Any) -> bool:
        if not isinstance(row, dict):
            return False
        model_id = row.get("id")
        if self.kind == "prefix":
            return isinstance(model_id, str) and model_id.startswith(self.prefix)
        if self.kind == "owned_by":
            return row.get("owned_by") == self.owned_by
        return model_id in self.ids

    def describe(self) -> str:
        if self.kind == "prefix":
            return f"ids starting with {self.prefix!r}"
        if self.kind == "owned_by":
            return f"owned_by == {self.owned_by!r}"
        return f"the {len(self.ids)} listed ids"


def group_ids(rows: Sequence[Any], rules: Mapping[str, GroupRule]) -> dict[str, list[Any]]:
    """Group name -> the ids of the rows its rule selects, in list order and with duplicates kept (so
    no-duplicate-ids and the row ceiling still see them). Every group is present, empty or not."""
    groups: dict[str, list[Any]] = {name: [] for name in rules}
    for row in rows:
        for name, rule in rules.items():
            if rule.matches(row):
                groups[name].append(row.get("id"))
    return groups


@dataclass(frozen=True)
class Bounds:
    """A group's (or the whole list's) contract: a floor on distinct ids, a ceiling on rows, required ids."""

    min_models: int = 1
    max_models: int | None = None
    required: tuple[str, ...] = ()


def check_ids(ids: Sequence[Any], bounds: Bounds, *, where: str, request: str | None = None) -> list[Finding]:
    """The invariants that carry over from the catalog dialect, on one group or the whole list."""
    return [
        *no_duplicate_ids(ids, request=request),
        *count_within_bounds(ids, min_models=bounds.min_models, max_models=bounds.max_models, request=request),
        *required_present(ids, bounds.required, where=where, request=request),
    ]


def check_groups(
    rows: Sequence[Any],
    rules: Mapping[str, GroupRule],
    bounds: Mapping[str, Bounds],
    *,
    request: str | None = None,
) -> dict[str, list[Finding]]:
    """Group name -> its findings, each message naming the group (several groups share one request)."""
    out: dict[str, list[Finding]] = {}
    for name, ids in group_ids(rows, rules).items():
        where = f"group {name!r} ({rules[name].describe()})"
        out[name] = [
            f if where in f.message else Finding(f.invariant, f"{where}: {f.message}", f.request, f.evidence)
            for f in check_ids(ids, bounds.get(name, Bounds()), where=where, request=request)
        ]
    return out


def ungrouped_ids(rows: Sequence[Any], rules: Collection[GroupRule]) -> list[Any]:
    """Ids no rule selects: not a failure (the whole list has its own bounds), reported so a renamed
    prefix does not go unnoticed."""
    return [row.get("id") for row in rows if isinstance(row, dict) and not any(r.matches(row) for r in rules)]
