"""Cell converters, at their boundaries."""

from datetime import UTC, datetime

import pytest

from reports.parsing import values
from reports.parsing.values import BadValue


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("True", True), ("False", False), ("Yes", True), ("No", False), ("true", True), ("FALSE", False),
        ("yes", True), ("NO", False), ("1", True), ("0", False), (" tRuE ", True), ("yEs", True),
    ],
)  # fmt: skip
def test_booleans_accept_true_false_yes_no_and_1_0_in_any_case(text, expected):
    assert values.parse_bool(text) is expected


@pytest.mark.parametrize("text", ["Y", "N", "2", "on", "off", "T", "-", "Ja"])
def test_other_boolean_spellings_are_refused(text):
    with pytest.raises(BadValue, match="not a yes/no value"):
        values.parse_bool(text)


@pytest.mark.parametrize("text", ["dQw4w9WgXcQ", "-abc_DEF-09", "___________"])
def test_valid_video_ids(text):
    assert values.is_video_id(text)


@pytest.mark.parametrize(
    "text", ["dQw4w9WgXc", "dQw4w9WgXcQQ", "dQw4w9WgXc!", "dQw4w9WgXcé", "dQw4w9WgXc ", ""]
)
def test_invalid_video_ids(text):
    assert not values.is_video_id(text)


def test_channel_ids_are_uc_and_22_characters():
    assert values.is_channel_id("UC" + "a" * 22)
    assert values.is_channel_id("UC-_" + "Z9" * 10)
    assert not values.is_channel_id("UC" + "a" * 21)
    assert not values.is_channel_id("UC" + "a" * 23)
    assert not values.is_channel_id("UU" + "a" * 22)
    assert not values.is_channel_id("UC" + "a" * 21 + "!")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0", 0),
        ("42", 42),
        (" 7 ", 7),
        ("1,234", 1234),
        ("12,345,678", 12345678),
        (str(2**63 - 1), 2**63 - 1),
    ],
)
def test_counts(text, expected):
    assert values.parse_count(text) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("-12", "negative"), ("1.5", "not a whole number"), ("1,23", "not a whole number"), ("12,3456", "not a whole number"),
        ("1_000", "not a whole number"), ("٣", "not a whole number"), ("x", "not a whole number"), (str(2**63), "larger than"),
    ],
)  # fmt: skip
def test_bad_counts(text, reason):
    with pytest.raises(BadValue, match=reason):
        values.parse_count(text)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("253", 253), ("0", 0), ("PT4M13S", 253), ("PT45S", 45), ("PT1H2M3S", 3723), ("P1DT1S", 86401),
        ("P1D", 86400), ("PT0S", 0), ("pt2m", 120), ("0:04:05", 245), ("4:05", 245), ("10:00:00", 36000),
        ("123:59:59", 123 * 3600 + 3599), (str(2**31 - 1), 2**31 - 1),
    ],
)  # fmt: skip
def test_durations(text, seconds):
    assert values.parse_seconds(text) == seconds


@pytest.mark.parametrize(
    "text",
    [
        "PT",
        "P",
        "abc",
        "-1:00:00",
        "PT5X",
        "1:75:00",
        "1:00:60",
        "PT-3M",
        "∞",
        "12:3:4:5",
        "1:2",
        "four minutes",
        str(2**31),
    ],
)
def test_bad_durations(text):
    with pytest.raises(BadValue):
        values.parse_seconds(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024/03/01 12:34:56", datetime(2024, 3, 1, 12, 34, 56, tzinfo=UTC)),
        ("2024/03/01", datetime(2024, 3, 1, tzinfo=UTC)),
        ("2024/03/01 12:34", datetime(2024, 3, 1, 12, 34, tzinfo=UTC)),
        ("2024-03-01T12:34:56Z", datetime(2024, 3, 1, 12, 34, 56, tzinfo=UTC)),
        ("2024-03-01T14:34:56+02:00", datetime(2024, 3, 1, 12, 34, 56, tzinfo=UTC)),
        ("2024-03-01T12:34:56.250Z", datetime(2024, 3, 1, 12, 34, 56, 250000, tzinfo=UTC)),
        ("2024-03-01 12:34:56", datetime(2024, 3, 1, 12, 34, 56, tzinfo=UTC)),
        ("2024-03-01", datetime(2024, 3, 1, tzinfo=UTC)),
        ("2024-02-29T00:00:00Z", datetime(2024, 2, 29, tzinfo=UTC)),
    ],
)
def test_times_are_aware_and_in_utc(text, expected):
    parsed = values.parse_time(text)
    assert parsed == expected and parsed.utcoffset().total_seconds() == 0


@pytest.mark.parametrize(
    "text",
    [
        "2024/13/45 99:99:99", "2024-02-30T10:00:00Z", "2023-02-29T00:00:00Z", "2024-13-01T00:00:00Z", "yesterday",
        "0000-00-00 00:00:00", "2024-03-01T25:61:00Z", "N/A", "2024-03-01T12:34:56+99:00", "1699999999", "20240301",
        "2024/03/01T12:34:56", "９９９９-01-01", "9999-12-31T23:00:00-05:00",
    ],
)  # fmt: skip
def test_bad_times(text):
    with pytest.raises(BadValue):
        values.parse_time(text)


def test_privacy_is_lower_cased_and_limited_to_three_values():
    assert values.parse_privacy("Unlisted") == "unlisted"
    for text in ("semi-public", "hidden", "publ1c"):
        with pytest.raises(BadValue, match="public, unlisted or private"):
            values.parse_privacy(text)


def test_category_ids_in_report_layouts():
    assert values.parse_category_id("10") == "10"
    assert values.parse_category_id("044") == "44"
    for text in ("Music", "99", "0", "3"):
        with pytest.raises(BadValue):
            values.parse_category_id(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Travel & Events", "19"), ("travel and events", "19"), ("Howto & Style", "26"), ("How-to & Style", "26"),
        ("Film & Animation", "1"), ("Comedy", "23"), ("Trailers", "44"), ("Science & Technology", "28"), ("10", "10"),
    ],
)  # fmt: skip
def test_category_names_map_to_us_ids(text, expected):
    assert values.parse_category(text) == expected


def test_unknown_category_name_is_refused():
    with pytest.raises(BadValue, match="category name or id"):
        values.parse_category("Cooking")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Audio", "audio"),
        ("Visual", "video"),
        ("Video", "video"),
        ("Audiovisual", "audiovisual"),
        ("audio-visual", "audiovisual"),
    ],
)
def test_content_types_use_the_content_id_api_values(text, expected):
    assert values.parse_content_type(text) == expected


def test_lists_split_on_pipes_and_drop_blank_items():
    assert values.parse_list("a| b ||c|") == ["a", "b", "c"]
    assert values.parse_list("|") == []


def test_isrc_is_normalised():
    assert values.parse_isrc("us-rc1-76-07839") == "USRC17607839"
    with pytest.raises(BadValue):
        values.parse_isrc("USRC1760783")


def test_text_limit_is_inclusive():
    limited = values.max_chars(255)
    assert limited("x" * 255) == "x" * 255
    with pytest.raises(BadValue, match="longer than 255"):
        limited("x" * 256)
