"""The OpenAI models dialect's invariants: list body shape, model object, grouping rules, group bounds.

Oracles are stated from the OpenAI shape and set arithmetic, not from the implementation: a generated
well-formed list has no findings; one corrupted field gives exactly one finding naming that row; a prefix
group holds exactly the ids `str.startswith` selects, counted independently.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway_contracts.data.findings import Finding
from gateway_contracts.invariants.openai_models import (
    Bounds,
    GroupRule,
    check_groups,
    check_ids,
    check_list_body,
    check_model_body,
    group_ids,
    list_ids,
    ungrouped_ids,
)
from tests.self.strategies import FAST

REQUEST = "GET http://proxy.test/v1/models -> 200 in 0.01 s"

_id_chars = st.text("abcdefghijklmnopqrstuvwxyz0123456789-./", min_size=1, max_size=20)
_owners = st.sampled_from(["openai", "acme", "system", "library"])


@st.composite
def rows(draw: st.DrawFn, min_size: int = 0, max_size: int = 20) -> list[dict[str, Any]]:
    ids = draw(st.lists(_id_chars, min_size=min_size, max_size=max_size, unique=True))
    return [
        {"id": i, "object": "model", "created": draw(st.integers(0, 2**31)), "owned_by": draw(_owners)} for i in ids
    ]


def body_of(data: list[Any]) -> dict[str, Any]:
    return {"object": "list", "data": data}


def _single(findings: list[Finding], invariant: str) -> Finding:
    assert len(findings) == 1, [f.render() for f in findings]
    assert findings[0].invariant == invariant
    return findings[0]


# -- list body ----------------------------------------------------------------------------------------


def test_litellm_answer_as_observed_is_well_formed() -> None:
    # Recorded from LiteLLM 1.108.7 (docs/litellm-notes.md): extra keys (mode, max_*_tokens) are allowed.
    body = {
        "data": [
            {"id": "gpt-4o-mini", "object": "model", "created": 1677610602, "owned_by": "openai", "mode": "chat"},
            {"id": "claude-3-haiku", "object": "model", "created": 1677610602, "owned_by": "openai"},
        ],
        "object": "list",
    }
    assert check_list_body(body, request=REQUEST) == []
    assert list_ids(body) == ["gpt-4o-mini", "claude-3-haiku"]


@FAST
@given(rows())
def test_any_well_formed_list_has_no_findings(data: list[dict[str, Any]]) -> None:
    assert check_list_body(body_of(data)) == []


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("object", "Model", "object is 'Model'"),
        ("created", "2024-01-01", "created is '2024-01-01'"),
        ("created", 1.5, "created is 1.5"),
        ("created", True, "created is True"),
        ("created", -1, "created is -1"),
        ("owned_by", None, "owned_by is NoneType"),
    ],
)
def test_one_bad_field_is_one_finding_naming_the_row(field: str, value: Any, says: str) -> None:
    data = [{"id": f"m{i}", "object": "model", "created": 1, "owned_by": "x"} for i in range(3)]
    data[1][field] = value
    finding = _single(check_list_body(body_of(data), request=REQUEST), "openai-model-object")
    assert says in finding.message
    assert finding.evidence == ("'m1'",)
    assert finding.request == REQUEST


@FAST
@given(rows(min_size=1), st.data())
def test_a_missing_field_is_reported_once_with_the_row(data: list[dict[str, Any]], draw: st.DataObject) -> None:
    victim = draw.draw(st.sampled_from(data))
    field = draw.draw(st.sampled_from(["object", "created", "owned_by"]))
    del victim[field]
    finding = _single(check_list_body(body_of(data)), "openai-model-object")
    assert finding.evidence == (repr(victim["id"]),)


def test_rows_without_an_id_are_named_by_position() -> None:
    data = [{"id": "a", "object": "model", "created": 1, "owned_by": "x"}, {"object": "model"}]
    messages = [f.message for f in check_list_body(body_of(data))]
    assert any("id is None" in m for m in messages)
    assert all(f.evidence == ("'#1'",) for f in check_list_body(body_of(data)))


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ([], "expected a JSON object, got list"),
        ({"object": "list"}, "got no data key"),
        ({"object": "list", "data": {"a": 1}}, "got dict"),
        ({"object": "page", "data": []}, "object is 'page'"),
        ({"data": []}, "object is None"),
    ],
)
def test_envelope_problems(body: Any, says: str) -> None:
    findings = check_list_body(body)
    assert findings
    assert any(says in f.message for f in findings), [f.message for f in findings]
    assert {f.invariant for f in findings} == {"openai-list"}


def test_gatewayz_page_is_not_an_openai_list() -> None:
    # Gatewayz rows carry no object/owned_by: the dialects differ, so one must not pass as the other.
    body = {"object": "list", "data": [{"id": "openai/gpt-4o", "name": "GPT-4o", "source_gateway": "openrouter"}]}
    messages = " ".join(f.message for f in check_list_body(body))
    assert "object is None" in messages
    assert "owned_by" in messages


# -- one model ----------------------------------------------------------------------------------------


def test_model_body_must_be_the_requested_one() -> None:
    row = {"id": "a", "object": "model", "created": 0, "owned_by": "x"}
    assert check_model_body(row, model_id="a") == []
    assert "expected the requested 'b'" in _single(check_model_body(row, model_id="b"), "openai-model-object").message


def test_model_body_detail_error_is_not_a_model() -> None:
    # LiteLLM's 404 body for an unknown id, if a caller took it for a model.
    findings = check_model_body({"detail": "The model `x` does not exist"}, model_id="x")
    assert len(findings) == 4


# -- grouping -----------------------------------------------------------------------------------------


@FAST
@given(rows(), st.text("abcdefghijklmnopqrstuvwxyz0123456789-./", min_size=1, max_size=3))
def test_prefix_group_is_exactly_the_ids_with_that_prefix(data: list[dict[str, Any]], prefix: str) -> None:
    got = group_ids(data, {"g": GroupRule("prefix", prefix=prefix)})["g"]
    expected_count = sum(1 for row in data if row["id"][: len(prefix)] == prefix)
    assert len(got) == expected_count
    assert all(i[: len(prefix)] == prefix for i in got)


@FAST
@given(rows(), _owners)
def test_owned_by_group_is_exactly_the_rows_of_that_owner(data: list[dict[str, Any]], owner: str) -> None:
    got = group_ids(data, {"g": GroupRule("owned_by", owned_by=owner)})["g"]
    assert sorted(got) == sorted(row["id"] for row in data if row["owned_by"] == owner)


@FAST
@given(rows(min_size=1), st.data())
def test_list_group_keeps_list_order_and_ignores_unlisted(data: list[dict[str, Any]], draw: st.DataObject) -> None:
    chosen = draw.draw(st.lists(st.sampled_from([r["id"] for r in data]), unique=True))
    wanted = (*chosen, "not-served")
    got = group_ids(data, {"g": GroupRule("list", ids=wanted)})["g"]
    assert got == [r["id"] for r in data if r["id"] in set(chosen)]


@FAST
@given(rows(), st.data())
def test_every_row_is_grouped_or_ungrouped(data: list[dict[str, Any]], draw: st.DataObject) -> None:
    prefixes = draw.draw(st.lists(st.text("abc", min_size=1, max_size=2), max_size=3, unique=True))
    rules = {p: GroupRule("prefix", prefix=p) for p in prefixes}
    grouped = {i for ids in group_ids(data, rules).values() for i in ids}
    rest = set(ungrouped_ids(data, rules.values()))
    assert grouped | rest == {r["id"] for r in data}
    assert not grouped & rest


def test_duplicated_row_is_kept_in_its_group() -> None:
    # LiteLLM lists an id twice when a wildcard route overlaps an explicit model (docs/litellm-notes.md).
    data = [{"id": "openai/gpt-4o", "owned_by": "openai"}] * 2 + [{"id": "anthropic/x", "owned_by": "openai"}]
    assert group_ids(data, {"openai": GroupRule("prefix", prefix="openai/")}) == {
        "openai": ["openai/gpt-4o", "openai/gpt-4o"]
    }


@pytest.mark.parametrize(
    ("kind", "kwargs"), [("prefix", {}), ("owned_by", {}), ("list", {}), ("regex", {"prefix": "a"})]
)
def test_bad_rules_are_refused(kind: Any, kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=repr(kind)):
        GroupRule(kind, **kwargs)


# -- bounds, per group and for the whole list --------------------------------------------------------


def _rows(*ids: str) -> list[dict[str, Any]]:
    return [{"id": i, "object": "model", "created": 0, "owned_by": "openai"} for i in ids]


RULES = {"openai": GroupRule("prefix", prefix="openai/"), "anthropic": GroupRule("prefix", prefix="anthropic/")}


def test_healthy_groups_have_no_findings() -> None:
    data = _rows("openai/a", "openai/b", "anthropic/c")
    bounds = {"openai": Bounds(min_models=2, max_models=5, required=("openai/a",)), "anthropic": Bounds(1)}
    assert check_groups(data, RULES, bounds, request=REQUEST) == {"openai": [], "anthropic": []}


def test_group_below_its_floor() -> None:
    data = _rows("openai/a", "anthropic/c")
    findings = check_groups(data, RULES, {"openai": Bounds(min_models=2)}, request=REQUEST)
    finding = _single(findings["openai"], "count-floor")
    assert finding.message.startswith("group 'openai' (ids starting with 'openai/'): 1 distinct models")
    assert findings["anthropic"] == []


def test_empty_group_fails_the_default_floor_of_one() -> None:
    findings = check_groups(_rows("anthropic/c"), RULES, {})
    assert _single(findings["openai"], "count-floor").message.endswith("expected at least 1")


def test_required_model_removed_from_a_group() -> None:
    findings = check_groups(_rows("openai/b"), RULES, {"openai": Bounds(required=("openai/a",))})["openai"]
    finding = _single(findings, "required-models")
    assert "missing from group 'openai'" in finding.message
    assert finding.message.count("group 'openai'") == 1
    assert finding.evidence == ("'openai/a'",)


def test_model_listed_twice_in_group_and_list() -> None:
    data = _rows("openai/a", "openai/a", "anthropic/c")
    assert _single(check_groups(data, RULES, {})["openai"], "no-duplicate-ids").evidence == ("'openai/a' x2",)
    whole = check_ids(list_ids(body_of(data)), Bounds(min_models=2, max_models=2), where="the list")
    assert sorted(f.invariant for f in whole) == ["count-ceiling", "no-duplicate-ids"]


@FAST
@given(rows(max_size=10), st.integers(0, 12))
def test_whole_list_floor_oracle(data: list[dict[str, Any]], floor: int) -> None:
    findings = check_ids([r["id"] for r in data], Bounds(min_models=floor), where="the list")
    assert (len(data) < floor) == any(f.invariant == "count-floor" for f in findings)
