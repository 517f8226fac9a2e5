"""The callable probe's sample (gateway_contracts.chat_sample): deterministic for a date, within the budget, the
required models always in, and a rotation whose consecutive dates cover the whole catalog."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from gateway_contracts.chat_sample import chats, daily_sample, days_to_cover, listed_ids, rotation
from tests.self.strategies import FAST

DAY = date(2026, 12, 7)
ids_lists = st.lists(st.text(alphabet="abcdefgh/-.", min_size=1, max_size=8), max_size=60)
days = st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31))


@FAST
@given(ids_lists, st.integers(0, 25), days, st.data())
def test_the_sample_is_deterministic_bounded_and_holds_the_listed_required_models(
        listed: list[str], budget: int, day: date, data: st.DataObject) -> None:
    required = data.draw(st.lists(st.sampled_from([*listed, "not-listed/x"]), max_size=4))
    sample = daily_sample("gw", listed, required, budget, day)
    assert sample == daily_sample("gw", list(reversed(listed)), required, budget, day)  # listed order aside
    assert len(sample) == len(set(sample)) <= budget
    assert set(sample) <= set(listed)
    pinned = [m for m in dict.fromkeys(required) if m in set(listed)]
    assert list(sample[:min(len(pinned), budget)]) == pinned[:budget]
    # As many as the budget allows: every listed model, when the catalog is smaller.
    assert len(sample) == min(budget, len(set(listed)))


@FAST
@given(ids_lists, st.integers(1, 12), days, st.data())
def test_consecutive_dates_cover_the_catalog_in_days_to_cover(listed: list[str], budget: int, day: date,
                                                              data: st.DataObject) -> None:
    required = data.draw(st.lists(st.sampled_from(listed), max_size=3)) if listed else []
    span = days_to_cover(listed, required, budget)
    if span is None:  # the required models fill the budget: the others are never called
        assert len(set(required)) >= budget
        assert len(set(listed)) > budget
        return
    covered = {m for offset in range(span) for m in daily_sample("gw", listed, required, budget,
                                                                  day + timedelta(days=offset))}
    assert covered == set(listed)


def test_a_week_covers_a_catalog_of_seven_budgets_and_the_dates_rotate() -> None:
    listed = [f"org/model-{i}" for i in range(70)]
    week = [daily_sample("gw", listed, [], 10, DAY + timedelta(days=d)) for d in range(7)]
    assert days_to_cover(listed, [], 10) == 7
    assert {m for sample in week for m in sample} == set(listed)
    assert len({frozenset(s) for s in week}) == 7  # a different window each day
    assert daily_sample("gw", listed, [], 10, DAY + timedelta(days=7)) == week[0]  # then again
    # Another gateway listing the same ids rotates in its own order.
    assert daily_sample("other", listed, [], 10, DAY) != week[0]


def test_required_models_come_first_and_unusable_ids_are_never_called() -> None:
    listed = ["a/1", "", None, 7, "a/2", "a/1", "a/3"]
    assert listed_ids(listed) == ["a/1", "a/2", "a/3"]
    assert daily_sample("gw", listed, ["a/3", "gone/x"], 2, DAY)[0] == "a/3"
    assert daily_sample("gw", listed, ["a/3", "a/2", "a/1"], 2, DAY) == ("a/3", "a/2")
    assert days_to_cover(listed, ["a/3", "a/2", "a/1"], 2) is None
    assert daily_sample("gw", listed, [], 0, DAY) == ()
    assert rotation("gw", ["b", "a"]) == rotation("gw", ["a", "b", "a"])


def test_a_row_is_called_only_if_its_own_declared_modality_is_text_to_text() -> None:
    rows = [{"id": "t", "modality": "text->text"}, {"id": "v", "modality": "text+image->text"},
            {"id": "bare", "modality": "text"}, {"id": "none"},
            {"id": "or", "architecture": {"modality": "text->text"}},
            {"id": "img", "modality": "text->image"}, {"id": "emb", "modality": "text->embedding"},
            {"id": "asr", "modality": "audio->text"}, {"id": "tts", "modality": "text->audio"},
            {"id": "sd", "modality": "image"}, {"id": "or-img", "architecture": {"modality": "text->image"}},
            "plain-id"]
    assert listed_ids(rows) == ["t", "v", "bare", "none", "or", "plain-id"]
    assert chats({"id": "x", "modality": " TEXT -> Text "})
    assert chats({"id": "x", "modality": 3})  # not a declaration: called
    assert set(daily_sample("gw", rows, ["img"], 20, DAY)) == {"t", "v", "bare", "none", "or", "plain-id"}
