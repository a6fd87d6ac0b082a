"""ReportReader: layouts, header spellings, typed values, claims and row-level checks."""

from datetime import UTC, datetime
from pathlib import Path

import pytest

from reports.parsing import ReportFileError, ReportReader, ReportRow, RowError
from reports.parsing.reader import SeenKeys

from .helpers import (
    A4_HEADER,
    CHANNEL,
    a4_bytes,
    a4_row,
    csv_text,
    errors_of,
    only_error,
    only_row,
    read,
    rows_of,
)

FIXTURES = Path(__file__).parent / "fixtures"


def _read_fixture(name):
    with open(FIXTURES / name, "rb") as stream:
        reader = ReportReader(stream, name=name)
        return reader, list(reader)


def test_reporting_api_sample_is_read_without_errors():
    reader, items = _read_fixture("content_owner_video_metadata_a4.synthetic.csv")
    assert reader.layout == "reporting_api"
    assert reader.unknown_columns == []
    assert len(items) == 66 and all(isinstance(i, ReportRow) for i in items)
    first = items[0]
    assert first.video_id == "j9hNfWO68AI"
    assert first.channel_title == "안녕 Łódź Quoted"
    assert first.remote == {
        "title": "Acoustic Acoustic Live Live 東京 مرحبا 東京 Session",
        "privacy_status": "public",
        "category_id": "15",
        "embeddable": True,
        "published_at": datetime(2021, 5, 6, 12, 10, 48, tzinfo=UTC),
        "duration_seconds": 2278,
        "view_count": 16266,
        "comment_count": 424,
        "made_for_kids": True,
        "self_declared_made_for_kids": False,
        "effective_policy": "Monetize in all countries",
        "claimed_status": "claimed",
    }
    assert first.claim == {
        "id": "NGxuK6Av2qG",
        "asset_id": "A777595103958580",
        "content_type": "video",  # the report's "Visual"
        "origin": "Descriptive search",
        "policy_label": "Monetize in all countries",
        "custom_id": "LBL-937156",
        "isrc": "",
    }


def test_studio_sample_is_detected_by_its_yes_no_booleans():
    reader, items = _read_fixture("studio_videos_report.synthetic.csv")
    assert reader.layout == "studio"
    assert len(items) == 51 and all(isinstance(i, ReportRow) for i in items)
    assert items[0].remote["embeddable"] is True and items[0].claim["content_type"] == "audiovisual"


def test_seed_sample_maps_title_case_headers_and_category_names():
    reader, items = _read_fixture("seed_layout.synthetic.csv")
    assert reader.layout == "seed"
    assert reader.columns[:5] == [
        "video_id",
        "video_title",
        "channel_id",
        "channel_display_name",
        "video_privacy_status",
    ]
    assert reader.unknown_columns == []
    assert all(isinstance(i, ReportRow) for i in items)
    first = items[0]
    assert first.claim is None and first.asset_id == "A567244818983797"
    assert first.remote["category_id"] == "19"  # Travel & Events
    assert first.remote["duration_seconds"] == 25 * 60 + 57  # PT25M57S
    assert first.remote["tags"] == ["solustfinzu", "solvexmiqui", "quiwekvex", "finmitor"]
    assert first.remote["claimed_status"] == "claimed"
    assert first.remote["description"].startswith("vextor finquivexzu")
    assert items[1].remote["claimed_status"] == "unclaimed"  # "Not claimed"


def test_header_names_are_normalised_and_unknown_columns_listed():
    header = ["\ufeff Video ID ", "VIDEO-TITLE", "Privacy  Status", "Mystery Column", ""]
    reader, items = read(csv_text([header, ["dQw4w9WgXcQ", "T", "Private", "?", ""]]).encode())
    assert reader.columns == ["video_id", "video_title", "video_privacy_status", "mystery_column", "column_5"]
    assert reader.unknown_columns == ["mystery_column", "column_5"]
    assert rows_of(items)[0].remote == {"title": "T", "privacy_status": "private"}


def test_original_header_cells_are_kept():
    reader, _ = read(b"Video ID,Video title\n")
    assert reader.header == ["Video ID", "Video title"]


def test_columns_are_found_by_name_whatever_their_order():
    header = list(reversed(A4_HEADER))
    row = list(reversed(a4_row("dQw4w9WgXcQ", views="7")))
    assert only_row(a4_bytes(row, header=header)).remote["view_count"] == 7


def test_only_video_id_is_required():
    row = only_row(b"video_id\ndQw4w9WgXcQ\n")
    assert (row.video_id, row.channel_id, row.remote, row.claim) == ("dQw4w9WgXcQ", "", {}, None)


def test_header_only_file_has_zero_rows():
    reader, items = read(a4_bytes())
    assert items == [] and reader.columns == A4_HEADER


def test_missing_video_id_column_is_a_file_error_naming_the_columns():
    with pytest.raises(ReportFileError, match=r"video_id.*'title', 'views'"):
        read(b"title,views\nx,1\n")


def test_first_line_not_a_header_is_a_file_error():
    with pytest.raises(ReportFileError, match="header row"):
        read(b"<html><body>Not found</body></html>\n")


def test_semicolon_separated_file_gets_a_hint():
    with pytest.raises(ReportFileError, match="';' or tabs"):
        read(b"video_id;video_title\ndQw4w9WgXcQ;x\n")


def test_utf16_file_is_refused_with_a_hint():
    with pytest.raises(ReportFileError, match="UTF-16"):
        read("video_id\ndQw4w9WgXcQ\n".encode("utf-16"))


def test_binary_file_is_refused():
    with pytest.raises(ReportFileError, match="not valid UTF-8|NUL"):
        read(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")


def test_two_spellings_of_one_column_are_a_file_error():
    with pytest.raises(ReportFileError, match="two video_title columns"):
        read(b"video_id,video_title,Video title\n")


def test_empty_optional_cells_are_absent_from_remote():
    row = only_row(a4_bytes(a4_row(video_title="", views="", time_published="", category="")))
    assert not {"title", "view_count", "published_at", "category_id"} & row.remote.keys()


def test_invalid_video_id_is_a_row_error():
    error = only_error(a4_bytes(a4_row("abc")))
    assert (error.column, error.value_excerpt, error.video_id) == ("video_id", "abc", "")
    assert error.reason == "video_id 'abc' is not 11 characters of A-Z a-z 0-9 _ -."


def test_empty_video_id_is_a_row_error():
    assert only_error(a4_bytes(a4_row(""))).reason == "video_id is empty."


def test_invalid_channel_id_is_a_row_error_and_empty_is_fine():
    assert only_error(a4_bytes(a4_row(channel_id="UCshort"))).column == "channel_id"
    assert only_row(a4_bytes(a4_row(channel_id=""))).channel_id == ""
    assert only_row(a4_bytes(a4_row())).channel_id == CHANNEL


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("video_privacy_status", "semi-public"),
        ("category", "Music"),  # a name where the Reporting API writes ids
        ("embedding_allowed", "maybe"),
        ("time_published", "2024/13/45 99:99:99"),
        ("video_length", "four minutes"),
        ("views", "-12"),
        ("claimed_by_this_owner", "sometimes"),
    ],
)
def test_bad_values_are_row_errors_naming_the_column(column, value):
    error = only_error(a4_bytes(a4_row(**{column: value})))
    assert error.column == column and error.value_excerpt == value
    assert error.reason.startswith(f"{column} '{value}' ")
    assert error.video_id == "dQw4w9WgXcQ"


def test_title_longer_than_the_database_column_is_a_row_error():
    assert only_row(a4_bytes(a4_row(video_title="t" * 255))).remote["title"] == "t" * 255
    assert only_error(a4_bytes(a4_row(video_title="t" * 256))).column == "video_title"


def test_claim_needs_an_asset_id():
    error = only_error(a4_bytes(a4_row(claim_id="NGxuK6Av2qG")))
    assert error.column == "asset_id" and "no asset_id" in error.reason


def test_bad_content_type_is_a_row_error():
    error = only_error(a4_bytes(a4_row(claim_id="c", asset_id="A1", content_type="Lyrics")))
    assert error.column == "content_type"


def test_row_without_claim_id_has_no_claim():
    assert only_row(a4_bytes(a4_row(asset_id="A1"))).claim is None


@pytest.mark.parametrize(
    ("this_owner", "another_owner", "other_owners", "expected"),
    [
        ("True", "False", "", "claimed"),
        ("Yes", "Yes", "Owner B", "claimed"),
        ("False", "True", "", "others"),
        ("No", "", "Owner B|Owner C", "others"),
        ("False", "False", "", "unclaimed"),
        ("", "True", "", None),  # without claimed_by_this_owner nothing is known of our own claim
    ],
)
def test_claimed_status_from_the_owner_columns(this_owner, another_owner, other_owners, expected):
    header = ["video_id", "claimed_by_this_owner", "claimed_by_another_owner", "other_owners_claiming"]
    row = only_row(csv_text([header, ["dQw4w9WgXcQ", this_owner, another_owner, other_owners]]).encode())
    assert row.remote.get("claimed_status") == expected


def test_seed_claimed_status_text():
    data = csv_text(
        [
            ["Video ID", "Claimed status"],
            ["aaaaaaaaaaa", "Claimed"],
            ["bbbbbbbbbbb", "Not claimed"],
            ["ccccccccccc", "Pending"],
        ]
    )
    _, items = read(data.encode())
    assert [i.remote.get("claimed_status") for i in rows_of(items)] == ["claimed", "unclaimed"]
    assert errors_of(items)[0].column == "claimed_status"


def test_seed_layout_accepts_iso_and_clock_durations_and_iso_times():
    data = csv_text(
        [
            ["Video ID", "Video duration", "Time published", "Category", "Tags", "Views"],
            ["aaaaaaaaaaa", "PT1H2M3S", "2006-02-28T06:54:14Z", "Music", "a|b", "5"],
            ["bbbbbbbbbbb", "0:04:13", "2012/12/17 01:58:20", "Travel & Events", "", "6"],
        ]
    ).encode()
    reader, items = read(data)
    first, second = rows_of(items)
    assert reader.layout == "seed"
    assert (first.remote["duration_seconds"], second.remote["duration_seconds"]) == (3723, 253)
    assert first.remote["published_at"] == datetime(2006, 2, 28, 6, 54, 14, tzinfo=UTC)
    assert (first.remote["category_id"], second.remote["category_id"]) == ("10", "19")
    assert first.remote["tags"] == ["a", "b"] and "tags" not in second.remote


def test_repeated_video_is_a_row_error_when_the_report_has_no_claim_column():
    data = csv_text(
        [
            ["Video ID", "Video title"],
            ["aaaaaaaaaaa", "one"],
            ["bbbbbbbbbbb", "two"],
            ["aaaaaaaaaaa", "three"],
        ]
    )
    _, items = read(data.encode())
    assert [type(i) for i in items] == [ReportRow, ReportRow, RowError]
    assert "earlier row" in items[2].reason and items[2].line_number == 4


def test_repeat_of_a_failed_row_is_still_reported():
    data = csv_text([["Video ID", "Views"], ["aaaaaaaaaaa", "many"], ["aaaaaaaaaaa", "1"]])
    _, items = read(data.encode())
    assert [i.column for i in items] == ["views", "video_id"]


def test_one_video_with_several_claims_is_not_a_repeat_but_a_repeated_claim_is():
    rows = [
        a4_row("aaaaaaaaaaa", claim_id="c1", asset_id="A1"),
        a4_row("aaaaaaaaaaa", claim_id="c2", asset_id="A2"),
        a4_row("aaaaaaaaaaa", claim_id="c1", asset_id="A1"),
    ]
    _, items = read(a4_bytes(*rows))
    assert [type(i) for i in items] == [ReportRow, ReportRow, RowError]
    assert (
        items[2].reason
        == "The row repeats the video_id, channel_id, claim_id, asset_id, custom_id of an earlier row."
    )


def test_thousands_separators_in_counts_are_accepted():
    assert only_row(a4_bytes(a4_row(views="1,234,567"))).remote["view_count"] == 1234567


def test_row_error_raw_keeps_the_original_cells():
    row = a4_row(views="-12")
    assert only_error(a4_bytes(row)).raw == row


def test_iterating_twice_is_refused():
    reader, _ = read(a4_bytes(a4_row()))
    with pytest.raises(RuntimeError):
        list(reader)


def test_seen_keys_remember_every_key_across_table_growth():
    seen = SeenKeys()
    keys = [f"v{i:010d}" for i in range(20_000)]
    assert all(seen.add(k) for k in keys)
    assert not any(seen.add(k) for k in keys)
    assert len(seen.table) >= 2 * 20_000


def test_repeats_are_found_after_many_rows():
    ids = [f"v{i:010d}" for i in range(6000)]
    rows = [["Video ID"], *([i] for i in ids), [ids[0]], [ids[4000]]]
    _, items = read(csv_text(rows).encode())
    assert [(e.line_number, e.video_id) for e in errors_of(items)] == [(6002, ids[0]), (6003, ids[4000])]


def test_old_mac_line_endings_are_refused_with_a_hint():
    with pytest.raises(ReportFileError, match="CR alone"):
        read(b"video_id,video_title\rdQw4w9WgXcQ,x\r")
