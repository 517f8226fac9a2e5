"""Model rows: valid catalogs pass; each corrupted field is reported naming the offending ids (R11, R15, R20-R26)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway_contracts.contract import load_contract
from gateway_contracts.data.findings import Finding
from gateway_contracts.invariants.models import (
    check_known_context_share,
    check_model_rows,
    check_priced_share,
    check_unique_page,
    id_problem,
    is_priced,
    price_problem,
)
from tests.self.strategies import FAST, catalogs, deepinfra_ids, fireworks_ids, groq_ids, model_ids

DEFAULT_CONTRACT = load_contract(Path(__file__).resolve().parents[4] / "contracts" / "gateways.yaml")


def _pattern(slug: str) -> str:
    """A gateway's id format as the default contract states it (read, not copied)."""
    pattern = DEFAULT_CONTRACT.gateway(slug).id_pattern
    assert pattern is not None, f"contracts/gateways.yaml: {slug} has no id_pattern"
    return pattern


DEEPINFRA, FIREWORKS, GROQ = _pattern("deepinfra"), _pattern("fireworks"), _pattern("groq")
REQUEST = "GET http://gateway.test/v1/models?gateway=deepinfra&limit=1000&offset=0 -> 200 in 0.10 s"

rows_with_a_victim = catalogs("deepinfra", min_size=1, max_size=10).flatmap(
    lambda rows: st.tuples(st.just(rows), st.integers(0, len(rows) - 1))
)


def _check(rows: list[Any], **kwargs: Any) -> list[Finding]:
    kwargs.setdefault("allowed_sources", ["deepinfra"])
    return check_model_rows(rows, request=REQUEST, **kwargs)


def _one(findings: list[Finding], invariant: str) -> Finding:
    matching = [f for f in findings if f.invariant == invariant]
    assert len(matching) == 1, [f.render() for f in findings]
    assert matching[0].request == REQUEST
    return matching[0]


def _replace(rows: list[dict[str, Any]], index: int, **changes: Any) -> list[dict[str, Any]]:
    return [({**row, **changes} if i == index else row) for i, row in enumerate(rows)]


# -- valid catalogs ---------------------------------------------------------------------------------


@FAST
@given(catalogs("deepinfra"))
def test_a_valid_catalog_has_no_findings(rows: list[dict[str, Any]]) -> None:
    assert _check(rows) == []


@FAST
@given(model_ids())
def test_every_realistic_id_format_is_well_formed(model_id: str) -> None:
    assert id_problem(model_id) is None


@pytest.mark.parametrize(
    ("ids", "pattern"), [(deepinfra_ids(), DEEPINFRA), (fireworks_ids(), FIREWORKS), (groq_ids(), GROQ)]
)
def test_gateway_id_formats_match_the_default_contract_patterns(ids: st.SearchStrategy[str], pattern: str) -> None:
    @FAST
    @given(catalogs("g", ids=ids))
    def check(rows: list[dict[str, Any]]) -> None:
        assert check_model_rows(rows, allowed_sources=["g"], id_pattern=pattern) == []

    check()


@pytest.mark.parametrize(
    "model_id",
    ["openai/gpt-4o", "@deepinfra/meta-llama/Llama-3.3-70B-Instruct", "accounts/fireworks/models/qwen3-8b",
     "llama3.1-8b", "katanemo/Arch-Router-1.5B", "groq/openai/gpt-oss-20b"],
)
def test_ids_seen_in_production_are_well_formed(model_id: str) -> None:
    assert id_problem(model_id) is None


@FAST
@given(catalogs("huggingface"), st.sampled_from(["huggingface", "hug", "HUG", "HuggingFace"]))
def test_source_gateway_may_be_the_slug_or_an_alias_in_any_case(rows: list[dict[str, Any]], source: str) -> None:
    rows = [{**row, "source_gateway": source} for row in rows]
    assert check_model_rows(rows, allowed_sources=("huggingface", "hug")) == []


def test_the_aggregate_does_not_restrict_source_gateway() -> None:
    rows = [{"id": "a/b", "name": "B", "source_gateway": "openrouter"}, {"id": "a/b", "name": "B", "source_gateway": 3}]
    assert check_model_rows(rows, allowed_sources=None) == []


# -- corrupted ids ----------------------------------------------------------------------------------


R11_IDS = [
    "@cerebras/('data', [Data(id='llama3.1-8b', created=0)])",
    "Data(id='llama3.1-8b')",
    "['llama3.1-8b']",
    "{'id': 'x'}",
]


@pytest.mark.parametrize("bad_id", R11_IDS)
def test_a_python_repr_id_is_reported_by_its_id(bad_id: str) -> None:
    rows = [{"id": "llama3.1-8b", "name": "Llama", "source_gateway": "cerebras"},
            {"id": bad_id, "name": "x", "source_gateway": "cerebras"}]
    finding = _one(check_model_rows(rows, allowed_sources=["cerebras"], request=REQUEST), "model-id-format")
    assert finding.message == "1 row(s): id contains spaces, quotes, brackets or parentheses"
    assert finding.evidence == (repr(bad_id),)


@FAST
@given(rows_with_a_victim, st.sampled_from(list(" \t'\"()[]{}<>,")), st.data())
def test_an_id_with_a_space_quote_or_paren_is_reported_by_its_id(
    case: tuple[list[dict[str, Any]], int], char: str, data: st.DataObject
) -> None:
    rows, victim = case
    good = rows[victim]["id"]
    position = data.draw(st.integers(0, len(good)))
    bad = good[:position] + char + good[position:]
    findings = _check(_replace(rows, victim, id=bad))
    finding = _one(findings, "model-id-format")
    assert "spaces, quotes, brackets or parentheses" in finding.message
    assert finding.evidence == (repr(bad),)
    assert finding.message.startswith("1 row(s)")


@FAST
@given(rows_with_a_victim)
def test_a_repeated_prefix_is_reported_by_its_id(case: tuple[list[dict[str, Any]], int]) -> None:
    # R26: @deepinfra/@deepinfra/...
    rows, victim = case
    good = rows[victim]["id"]
    bad = good.split("/")[0] + "/" + good if "/" in good else "@x/@x/" + good
    finding = _one(_check(_replace(rows, victim, id=bad)), "model-id-format")
    assert finding.message == "1 row(s): id repeats its prefix"
    assert finding.evidence == (repr(bad),)


@pytest.mark.parametrize("bad_id", ["groq/groq/llama-3", "@x/@x/model", "org/org/model"])
def test_repeated_prefixes_of_any_gateway(bad_id: str) -> None:
    assert id_problem(bad_id) == "id repeats its prefix"


def test_a_prefix_repeated_later_in_the_id_is_not_a_repeated_prefix() -> None:
    assert id_problem("meta-llama/meta-llama-3") is None
    assert id_problem("accounts/fireworks/models/fireworks") is None


@pytest.mark.parametrize(("bad_id", "shown"), [(None, "None"), ("", "''"), (42, "42"), (["a/b"], "['a/b']")])
def test_a_missing_or_non_string_id_is_reported_by_row_index(bad_id: Any, shown: str) -> None:
    rows = [{"id": "a/b", "name": "A", "source_gateway": "deepinfra"},
            {"id": bad_id, "name": "B", "source_gateway": "deepinfra"}]
    finding = _one(_check(rows), "model-id-format")
    assert finding.message == f"1 row(s): id is {shown}, expected a non-empty string"
    assert finding.evidence == ("'#1'",)


@FAST
@given(catalogs("fireworks", ids=deepinfra_ids(), min_size=1))
def test_ids_outside_the_gateway_pattern_are_reported(rows: list[dict[str, Any]]) -> None:
    findings = check_model_rows(rows, allowed_sources=["fireworks"], id_pattern=FIREWORKS, request=REQUEST)
    assert len(findings) == 1
    finding = _one(findings, "model-id-format")
    assert finding.message == f"{len(rows)} row(s): id does not match the gateway's format {FIREWORKS!r}"
    assert finding.evidence[:5] == tuple(repr(r["id"]) for r in rows[:5])


# -- other fields -----------------------------------------------------------------------------------


@FAST
@given(rows_with_a_victim, st.sampled_from(["openrouter", "hug", "", None, 7]))
def test_a_wrong_source_gateway_is_reported_with_the_id_and_the_value(
    case: tuple[list[dict[str, Any]], int], source: Any
) -> None:
    # R09: every gateway returned openrouter's models; R15: the alias leaked.
    rows, victim = case
    finding = _one(_check(_replace(rows, victim, source_gateway=source)), "source-gateway")
    assert finding.message == f"1 row(s): source_gateway {source!r} is not one of ['deepinfra']"
    assert finding.evidence == (repr(rows[victim]["id"]),)


def test_a_missing_source_gateway_is_reported() -> None:
    finding = _one(_check([{"id": "a/b", "name": "B"}]), "source-gateway")
    assert "source_gateway None" in finding.message
    assert finding.evidence == ("'a/b'",)


@FAST
@given(rows_with_a_victim, st.sampled_from(["prompt", "completion"]), st.sampled_from(["-0.5", "-1e-7", "-0"]))
def test_a_negative_price_is_reported_naming_the_field_and_id(
    case: tuple[list[dict[str, Any]], int], field: str, price: str
) -> None:
    rows, victim = case
    pricing = {"prompt": "0.000001", "completion": "0.000002", field: price}
    finding = _one(_check(_replace(rows, victim, pricing=pricing)), "pricing")
    assert finding.message == f"1 row(s): pricing.{field} is negative"
    assert finding.evidence == (repr(rows[victim]["id"]),)


@FAST
@given(rows_with_a_victim, st.one_of(st.floats(0, 1, allow_nan=False), st.integers(0, 10), st.booleans()))
def test_a_numeric_price_is_reported_naming_its_json_type(case: tuple[list[dict[str, Any]], int], price: Any) -> None:
    # R20 / R22: prices must be decimal strings, never JSON numbers.
    rows, victim = case
    finding = _one(_check(_replace(rows, victim, pricing={"prompt": price, "completion": "0"})), "pricing")
    assert finding.message == f"1 row(s): pricing.prompt is a JSON {type(price).__name__}, expected a decimal string"
    assert finding.evidence == (repr(rows[victim]["id"]),)


@pytest.mark.parametrize("price", ["abc", "", " 1", "1,5", "$0.01", "NaN", "Infinity", "1.", ".5", "0x10", "1/3"])
def test_a_price_that_is_not_a_decimal_string(price: str) -> None:
    assert price_problem(price) == "not a decimal string"


@pytest.mark.parametrize("price", [None, "0", "0.0000005", "12", "1e-7", "2.5E-6", "15.000000"])
def test_valid_prices(price: str | None) -> None:
    assert price_problem(price) is None


@pytest.mark.parametrize(("pricing", "problem"), [([], "a list"), ("0.1", "a str"), (0, "a int")])
def test_pricing_that_is_not_an_object(pricing: Any, problem: str) -> None:
    finding = _one(_check([{"id": "a/b", "name": "B", "source_gateway": "deepinfra", "pricing": pricing}]), "pricing")
    assert finding.message == f"1 row(s): pricing is {problem}, expected an object or null"


@FAST
@given(rows_with_a_victim, st.sampled_from(["8192", "131k", "", 8192.0, True]))
def test_a_context_length_of_the_wrong_type_is_reported(case: tuple[list[dict[str, Any]], int], value: Any) -> None:
    rows, victim = case
    finding = _one(_check(_replace(rows, victim, context_length=value)), "model-schema")
    assert finding.message == f"1 row(s): context_length is a {type(value).__name__}, expected an integer or null"
    assert finding.evidence == (repr(rows[victim]["id"]),)


def test_a_negative_context_length_is_reported_and_zero_is_not() -> None:
    rows = [{"id": "a/b", "name": "B", "source_gateway": "deepinfra", "context_length": -1},
            {"id": "a/c", "name": "C", "source_gateway": "deepinfra", "context_length": 0}]
    finding = _one(_check(rows), "model-schema")
    assert finding.message == "1 row(s): context_length is negative"
    assert finding.evidence == ("'a/b'",)


@FAST
@given(rows_with_a_victim, st.sampled_from(["2024-07-23T18:04:09.000Z", "2024-07-23", 1721757849.5, -1, True]))
def test_a_created_that_is_not_unix_seconds_is_reported(case: tuple[list[dict[str, Any]], int], value: Any) -> None:
    rows, victim = case
    finding = _one(_check(_replace(rows, victim, created=value)), "model-schema")
    assert finding.message == (
        f"1 row(s): created is a {type(value).__name__}, expected unix seconds (integer) or null")
    assert finding.evidence == (repr(rows[victim]["id"]),)


@pytest.mark.parametrize("name", ["Data(id='llama3.1-8b', object='model')", "('data', [1])", "{'id': 'x'}",
                                  "[Model(name='x')]"])
def test_a_name_that_is_a_python_repr_is_reported(name: str) -> None:
    finding = _one(_check([{"id": "llama3.1-8b", "name": name, "source_gateway": "deepinfra"}]), "model-name")
    assert finding.message == "1 row(s): name looks like a Python repr, not a display name"
    assert finding.evidence == ("'llama3.1-8b'",)


@pytest.mark.parametrize("name", ["Llama 3.1 (8B)", "GPT-4o", "Qwen: Qwen3 8B", "DeepSeek V3 (free)"])
def test_display_names_with_parentheses_are_not_reprs(name: str) -> None:
    assert _check([{"id": "a/b", "name": name, "source_gateway": "deepinfra"}]) == []


@pytest.mark.parametrize("name", [None, 3, ["x"]])
def test_a_name_that_is_not_a_string(name: Any) -> None:
    finding = _one(_check([{"id": "a/b", "name": name, "source_gateway": "deepinfra"}]), "model-name")
    assert finding.message == f"1 row(s): name is {type(name).__name__}, expected a string"


@pytest.mark.parametrize("row", ["openai/gpt-4o", None, ["a/b"]])
def test_a_row_that_is_not_an_object_is_reported_by_index(row: Any) -> None:
    rows = [{"id": "a/b", "name": "B", "source_gateway": "deepinfra"}, row]
    finding = _one(_check(rows), "model-row")
    assert finding.message == f"1 row(s): row is a {type(row).__name__}, expected an object"
    assert finding.evidence == ("'#1'",)


@FAST
@given(catalogs("deepinfra", min_size=6, max_size=12))
def test_findings_are_grouped_by_problem_with_a_short_sample(rows: list[dict[str, Any]]) -> None:
    bad = [{**row, "source_gateway": "openrouter", "pricing": {"prompt": -1}} for row in rows]
    findings = _check(bad)
    assert sorted(f.invariant for f in findings) == ["pricing", "source-gateway"]
    for finding in findings:
        assert finding.message.startswith(f"{len(rows)} row(s): ")
        assert finding.evidence[:5] == tuple(repr(r["id"]) for r in rows[:5])
        assert finding.evidence[5:] == (f"(+{len(rows) - 5} more)",)


# -- priced share (R21) -----------------------------------------------------------------------------


def _priced(n_priced: int, n_unpriced: int) -> list[dict[str, Any]]:
    priced = [{"id": f"p/{i}", "pricing": {"prompt": "0.000001", "completion": None}} for i in range(n_priced)]
    unpriced = [{"id": f"u/{i}", "pricing": p} for i, p in enumerate([None, {"prompt": None}, {}, "junk"])]
    return priced + (unpriced * n_unpriced)[:n_unpriced]


def test_is_priced() -> None:
    assert is_priced({"pricing": {"prompt": "0.1"}})
    assert not is_priced({"pricing": None})
    assert not is_priced({"pricing": {"prompt": None, "completion": None}})
    assert not is_priced({"pricing": {}})
    assert not is_priced("a/b")


def test_too_many_unpriced_models_are_reported_with_their_ids() -> None:
    # featherless: 3 of 6,418 priced.
    rows = _priced(1, 3)
    finding = _one(check_priced_share(rows, max_unpriced_share=0.5, request=REQUEST), "pricing-coverage")
    assert finding.message == "75% of 4 models have no pricing; at most 50% allowed"
    assert finding.evidence == ("'u/0'", "'u/1'", "'u/2'")


@FAST
@given(st.integers(0, 20), st.integers(0, 20), st.floats(0, 0.99))
def test_priced_share_threshold(priced: int, unpriced: int, share: float) -> None:
    rows = _priced(priced, unpriced)
    findings = check_priced_share(rows, max_unpriced_share=share)
    too_many = bool(rows) and unpriced / len(rows) > share
    assert bool(findings) is too_many
    if findings:
        assert re.match(rf"\d+% of {len(rows)} models have no pricing", findings[0].message)


def test_priced_share_is_not_checked_at_one() -> None:
    assert check_priced_share(_priced(0, 5), max_unpriced_share=1.0) == []
    assert check_priced_share([], max_unpriced_share=0.0) == []


def test_unknown_context_lengths_beyond_the_share_are_reported() -> None:
    # The backend served every deepinfra, featherless, novita and groq row with context_length 0.
    rows = [{"id": "k", "context_length": 8192}, {"id": "z", "context_length": 0}, {"id": "n", "context_length": None},
            {"id": "m"}]
    finding = _one(check_known_context_share(rows, max_unknown_context_share=0.5, request=REQUEST),
                   "context-coverage")
    assert finding.message == ("75% of 4 models have an unknown context length (missing, null or 0); at most 50% "
                               "allowed")
    assert finding.evidence == ("'z'", "'n'", "'m'")
    assert check_known_context_share(rows, max_unknown_context_share=0.75) == []
    assert check_known_context_share(rows, max_unknown_context_share=1.0) == []  # 1.0: not checked
    assert check_known_context_share([], max_unknown_context_share=0.0) == []


@FAST
@given(st.integers(0, 20), st.integers(0, 20), st.floats(0, 0.99))
def test_unknown_context_share_threshold(known: int, unknown: int, share: float) -> None:
    rows = [{"id": f"k/{i}", "context_length": i + 1} for i in range(known)] + [
        {"id": f"u/{i}", "context_length": 0} for i in range(unknown)]
    findings = check_known_context_share(rows, max_unknown_context_share=share)
    assert bool(findings) is (bool(rows) and unknown / len(rows) > share)


def test_a_unique_page_holds_each_id_once_in_the_unique_shape() -> None:
    row = {"id": "openai/gpt-4o", "name": "GPT-4o", "providers": [{"slug": "openrouter"}]}
    assert check_unique_page({"data": [row, {**row, "id": "x/y"}]}, request=REQUEST) == []
    # D2: the backend keys unique rows by display name, so one id comes back once per name.
    [dup] = check_unique_page({"data": [row, {**row, "name": "OpenAI GPT-4o"}]}, request=REQUEST)
    assert (dup.invariant, dup.request) == ("no-duplicate-ids", REQUEST)
    assert [f.message for f in check_unique_page({"data": [{**row, "providers": "openrouter"}]})] == [
        "1 unique row(s): providers is not a list"]
    assert [f.invariant for f in check_unique_page({"models": []})] == ["envelope"]
