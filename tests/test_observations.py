"""Observation lines, quick tags and the time typed after an entry (with property-based checks)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kapdesk.domain.observations import (
    DEFAULT_QUICK_TAGS,
    EntryTimeError,
    Observation,
    ObservationError,
    check_quick_tags,
    normalize_tag,
    observation_line,
    parse_entry_time,
    parse_observation,
    split_time_suffix,
)

NOW = datetime(2026, 1, 5, 10, 42, 30, tzinfo=timezone.utc)
TAGS = DEFAULT_QUICK_TAGS


# --------------------------------------------------------------------------------------------
# Observations
# --------------------------------------------------------------------------------------------


def test_plain_text_is_kept_with_whitespace_collapsed() -> None:
    assert parse_observation("  Eye mask on,   slow breathing ") == Observation("Eye mask on, slow breathing")


@pytest.mark.parametrize("line", ['"I feel held"', "“I feel held”", "> I feel held", ">I feel held"])
def test_quote_marks_or_a_leading_chevron_make_a_client_quote(line: str) -> None:
    assert parse_observation(line) == Observation("I feel held", (), True)


def test_the_quote_key_and_picked_tags_combine_with_the_line() -> None:
    result = parse_observation("It is so big #cry", TAGS, tags=["resting"], quote=True)
    assert result == Observation("It is so big", ("crying", "resting"), True)  # clinic order


@pytest.mark.parametrize(
    "word, tag",
    [("#crying", "crying"), ("#Crying", "crying"), ("#eye-mask-off", "eye mask off"), ("#eye_mask", "eye mask off"),
     ("#touch", "touch with consent"), ("#n", "nausea")],
)
def test_hashtags_name_quick_tags_by_any_spelling_or_unambiguous_start(word: str, tag: str) -> None:
    assert parse_observation(f"note {word}", TAGS).tags == (tag,)


def test_an_unknown_hashtag_is_refused_with_its_span() -> None:
    with pytest.raises(ObservationError, match="Unknown tag ‘#sobbing’") as err:
        parse_observation("client #sobbing quietly", TAGS)
    assert err.value.span == (7, 15)


def test_an_ambiguous_hashtag_asks_for_more() -> None:
    tags = ("moving", "mood shift")
    with pytest.raises(ObservationError, match="could be moving or mood shift") as err:
        parse_observation("#mo", tags)
    assert err.value.span == (0, 3)


def test_a_tag_alone_is_an_observation_but_nothing_at_all_is_not() -> None:
    assert parse_observation("", TAGS, tags=["bathroom"]) == Observation("", ("bathroom",))
    assert parse_observation("#bath", TAGS) == Observation("", ("bathroom",))
    with pytest.raises(ObservationError, match="Nothing to save"):
        parse_observation("   ", TAGS)
    with pytest.raises(ObservationError, match="Nothing to save"):
        parse_observation('""', TAGS)


def test_tags_a_clinic_has_dropped_are_kept_on_correction() -> None:
    assert parse_observation("x", ("crying",), tags=["old tag", "crying"]).tags == ("crying", "old tag")


def test_a_hash_inside_a_word_is_text() -> None:
    assert parse_observation("item a#b stays", TAGS).text == "item a#b stays"


def test_payload_matches_the_entries_contract_and_round_trips() -> None:
    obs = Observation("I am here", ("speaking",), True)
    assert obs.to_payload() == {"text": "I am here", "tags": ["speaking"], "quote": True}
    assert Observation.from_payload(obs.to_payload()) == obs
    assert Observation.from_payload({"text": "x"}) == Observation("x")
    assert obs.format() == "“I am here”  [speaking]"
    with pytest.raises(ObservationError):
        Observation.from_payload({"text": 3})


# --------------------------------------------------------------------------------------------
# Quick tags as clinic data
# --------------------------------------------------------------------------------------------


def test_quick_tags_are_checked() -> None:
    assert check_quick_tags(["  eye  mask off ", "Crying"]) == ("eye mask off", "Crying")
    with pytest.raises(ObservationError, match="at most 9"):
        check_quick_tags([f"tag {i}" for i in range(10)])
    with pytest.raises(ObservationError, match="same tag"):
        check_quick_tags(["eye mask off", "Eye-Mask-Off"])
    with pytest.raises(ObservationError, match="non-empty"):
        check_quick_tags(["ok", " "])
    with pytest.raises(ObservationError, match="#"):
        check_quick_tags(["#x"])
    with pytest.raises(ObservationError, match="list"):
        check_quick_tags("crying")
    assert normalize_tag(" Eye_Mask-off ") == "eye mask off"


# --------------------------------------------------------------------------------------------
# Times after an entry
# --------------------------------------------------------------------------------------------


def local_today(hour: int, minute: int) -> datetime:
    return NOW.astimezone().replace(hour=hour, minute=minute, second=0, microsecond=0).astimezone(timezone.utc)


@pytest.mark.parametrize(
    "line, rest, when",
    [
        ("128/84 72", "128/84 72", None),
        ("128/84 72 @10:35", "128/84 72", local_today(10, 35)),
        ("128/84 72 @9.05", "128/84 72", local_today(9, 5)),
        ("128/84 72 -5m", "128/84 72", NOW - timedelta(minutes=5)),
        ("128/84 72 - 12 min", "128/84 72", NOW - timedelta(minutes=12)),
        ("128/84 -5", "128/84 -5", None),  # no unit: not a time (the vitals parser will say why)
        ("email @home", "email @home", None),  # '@' not followed by a digit is text
    ],
)
def test_a_time_at_the_end_of_a_line_is_taken_off(line: str, rest: str, when: datetime | None) -> None:
    assert split_time_suffix(line, NOW) == (rest, when)


def test_a_bad_time_points_at_itself() -> None:
    with pytest.raises(EntryTimeError, match="not a time of day") as err:
        split_time_suffix("128/84 @25:10", NOW)
    assert err.value.span == (7, 13)
    with pytest.raises(EntryTimeError, match="not a time"):
        split_time_suffix("128/84 @1x", NOW)


def test_a_time_field_accepts_plain_times_and_empty_means_now() -> None:
    assert parse_entry_time("", NOW) is None
    assert parse_entry_time(" 10:35 ", NOW) == local_today(10, 35)
    assert parse_entry_time("-3m", NOW) == NOW - timedelta(minutes=3)
    with pytest.raises(EntryTimeError, match="‘soon’ is not a time") as err:
        parse_entry_time(" soon", NOW)
    assert err.value.span == (1, 5)


# --------------------------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------------------------

words = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=60)
tag_lists = st.lists(st.sampled_from(TAGS), max_size=4, unique=True)


@given(text=words, picked=tag_lists, quote=st.booleans())
def test_parsing_any_text_either_succeeds_cleanly_or_says_why(text: str, picked: list[str], quote: bool) -> None:
    try:
        result = parse_observation(text, TAGS, tags=picked, quote=quote)
    except ObservationError as err:
        start, end = err.span
        assert 0 <= start <= end <= len(text)
        return
    assert set(result.tags) <= set(TAGS) and set(picked) <= set(result.tags)
    assert list(result.tags) == sorted(result.tags, key=TAGS.index)
    assert result.text == " ".join(result.text.split())
    assert result.text or result.tags


@given(text=words, picked=tag_lists, quote=st.booleans())
def test_a_parsed_observation_survives_being_written_as_a_line_and_read_again(
    text: str, picked: list[str], quote: bool
) -> None:
    try:
        first = parse_observation(text, TAGS, tags=picked, quote=quote)
    except ObservationError:
        return
    assert parse_observation(observation_line(first), TAGS) == first
    assert Observation.from_payload(first.to_payload()) == first


@given(minutes=st.integers(min_value=0, max_value=9999), body=st.sampled_from(["128/84", "note", ""]))
def test_minutes_ago_are_exact(minutes: int, body: str) -> None:
    rest, when = split_time_suffix(f"{body} -{minutes}m".strip(), NOW)
    assert rest == body and when == NOW - timedelta(minutes=minutes)


@given(hour=st.integers(0, 23), minute=st.integers(0, 59))
def test_clock_times_are_today_on_the_local_clock(hour: int, minute: int) -> None:
    _, when = split_time_suffix(f"x @{hour}:{minute:02d}", NOW)
    assert when is not None
    local = when.astimezone()
    assert (local.hour, local.minute, local.date()) == (hour, minute, NOW.astimezone().date())
