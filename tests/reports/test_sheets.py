"""The edit sheet: export, edit, import; empty means no change; the export re-imports unchanged."""

import csv
import io
from datetime import UTC, datetime, timedelta, timezone
from types import SimpleNamespace

import pytest

from reports.parsing import ReportFileError, RowError
from reports.sheets import (
    EDIT_SHEET_COLUMNS,
    EDIT_SHEET_HEADER,
    SheetRow,
    parse_edit_sheet,
    write_edit_sheet,
)


def _video(**overrides):
    video = {
        "id": "dQw4w9WgXcQ",
        "title": "A song",
        "description": 'About\nthe song, "live"',
        "tags": ["music", "live"],
        "category_id": "10",
        "default_language": "en",
        "privacy_status": "public",
        "embeddable": True,
        "public_stats_viewable": False,
        "license": "youtube",
        "self_declared_made_for_kids": False,
        "publish_at": datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC),
        "contains_synthetic_media": True,
        "artists": ["Artist"],
        "genres": ["Pop", "Rock"],
        "isrc": "USRC17607839",
        "custom_id": "CUST-1",
        "notes": "internal",
    }
    video.update(overrides)
    return video


def _export(*videos) -> bytes:
    out = io.StringIO()
    write_edit_sheet(videos, out)
    return out.getvalue().encode("utf-8")


def _import(data: bytes) -> list:
    return list(parse_edit_sheet(io.BytesIO(data), name="sheet.csv"))


def _sheet(header, *rows) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows([header, *rows])
    return out.getvalue().encode()


def _changes(**cells) -> dict | RowError:
    header = ["video_id", *cells]
    (item,) = _import(_sheet(header, ["dQw4w9WgXcQ", *cells.values()]))
    return item.changes if isinstance(item, SheetRow) else item


def test_header_is_video_id_then_the_editable_fields_with_how_lists_are_written():
    header = _export().decode().strip().split(",")
    assert header == [EDIT_SHEET_HEADER.get(column, column) for column in EDIT_SHEET_COLUMNS]
    assert header[3] == "tags (comma-separated)"
    assert header[13:15] == ["artists (|-separated)", "genres (|-separated)"]


def test_export_formats_lists_booleans_and_times():
    rows = list(csv.DictReader(io.StringIO(_export(_video()).decode())))
    assert rows[0]["tags (comma-separated)"] == "music, live"
    assert (rows[0]["embeddable"], rows[0]["public_stats_viewable"]) == ("TRUE", "FALSE")
    assert rows[0]["publish_at"] == "2030-01-02T03:04:05Z"


def test_export_converts_times_to_utc():
    paris = timezone(timedelta(hours=1))
    rows = list(
        csv.DictReader(
            io.StringIO(_export(_video(publish_at=datetime(2030, 1, 2, 4, 4, 5, tzinfo=paris))).decode())
        )
    )
    assert rows[0]["publish_at"] == "2030-01-02T03:04:05Z"


def test_export_accepts_objects_with_attributes():
    video = SimpleNamespace(pk="dQw4w9WgXcQ", **{k: v for k, v in _video().items() if k != "id"})
    assert _export(video) == _export(_video())


def test_every_cell_is_escaped_against_formulas():
    data = _export(_video(id="-abcdefghij", title='=HYPERLINK("x")', tags=["+1", "b"], notes="@me"))
    row = next(csv.DictReader(io.StringIO(data.decode())))
    assert (row["video_id"], row["title"], row["tags (comma-separated)"], row["notes"]) == (
        "'-abcdefghij",
        '\'=HYPERLINK("x")',
        "'+1, b",
        "'@me",
    )


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"id": "-abcdefghij", "title": "=1+1", "description": "-starts with dash", "notes": "'quoted"},
        {"notes": "(none)", "custom_id": "(NONE) "},
        {"tags": ["@handle", "tag"], "artists": ["+plus"], "title": 'Émoji 🎵 "quoted", comma'},
        {
            "description": "line\nends\n",
            "publish_at": datetime(2030, 1, 2, 3, 4, 5, 123456, tzinfo=UTC),
        },
    ],
)
def test_an_exported_sheet_reimports_to_the_same_values(overrides):
    video = _video(**overrides)
    (row,) = _import(_export(video))
    assert isinstance(row, SheetRow) and row.video_id == video["id"]
    assert row.changes == {k: v for k, v in video.items() if k != "id"}


def test_empty_values_export_as_empty_cells_that_mean_no_change():
    video = _video(
        description="", tags=[], self_declared_made_for_kids=None, publish_at=None, isrc="", notes=None
    )
    (row,) = _import(_export(video))
    assert (
        not {"description", "tags", "self_declared_made_for_kids", "publish_at", "isrc", "notes"}
        & row.changes.keys()
    )


def test_empty_and_blank_cells_mean_no_change():
    assert _changes(title="", tags="  ", embeddable="") == {}


def test_none_clears_the_fields_that_may_be_empty():
    assert _changes(
        description="(none)", tags="(None)", publish_at="(NONE)", self_declared_made_for_kids=" (none) "
    ) == {
        "description": "",
        "tags": [],
        "publish_at": None,
        "self_declared_made_for_kids": None,
    }


@pytest.mark.parametrize(
    "column", ["title", "category_id", "privacy_status", "embeddable", "public_stats_viewable", "license"]
)
def test_none_on_a_required_field_is_a_row_error(column):
    error = _changes(**{column: "(none)"})
    assert isinstance(error, RowError) and error.column == column and "cannot be cleared" in error.reason


def test_a_lone_separator_does_not_clear_a_list():
    error = _changes(tags="|")
    assert isinstance(error, RowError) and "(none)" in error.reason


def test_a_list_cell_replaces_the_list():
    assert _changes(tags="a| b |c", genres="Jazz") == {"tags": ["a", "b", "c"], "genres": ["Jazz"]}


def test_values_are_typed():
    assert _changes(
        category_id="Music",
        privacy_status="Unlisted",
        embeddable="no",
        license="Creative Commons",
        contains_synthetic_media="1",
        publish_at="2030/01/02 03:04:05",
    ) == {
        "category_id": "10",
        "privacy_status": "unlisted",
        "embeddable": False,
        "license": "creativeCommon",
        "contains_synthetic_media": True,
        "publish_at": datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC),
    }


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("embeddable", "perhaps"),
        ("privacy_status", "secret"),
        ("license", "gpl"),
        ("publish_at", "tomorrow"),
        ("category_id", "Cooking"),
    ],
)
def test_values_of_the_wrong_type_are_row_errors(column, value):
    error = _changes(**{column: value})
    assert (
        isinstance(error, RowError)
        and error.column == column
        and error.reason.startswith(f"{column} '{value}'")
    )


def test_limits_are_not_checked_here():
    assert _changes(title="x" * 500) == {"title": "x" * 500}


def test_invalid_or_repeated_video_ids_are_row_errors():
    items = _import(
        _sheet(["video_id", "title"], ["short", "a"], ["dQw4w9WgXcQ", "b"], ["dQw4w9WgXcQ", "c"], ["", "d"])
    )
    assert [type(i).__name__ for i in items] == ["RowError", "SheetRow", "RowError", "RowError"]
    assert [i.line_number for i in items] == [2, 3, 4, 5]


def test_title_case_headers_and_unknown_columns():
    sheet = parse_edit_sheet(
        io.BytesIO(_sheet(["Video ID", "Title", "Views"], ["dQw4w9WgXcQ", "New", "12"])), name="s.csv"
    )
    assert sheet.unknown_columns == ["views"]
    (row,) = list(sheet)
    assert row.changes == {"title": "New"}


def test_a_sheet_without_video_id_is_a_file_error():
    with pytest.raises(ReportFileError, match="video_id"):
        parse_edit_sheet(io.BytesIO(b"title\nx\n"), name="s.csv")


def test_a_list_item_containing_the_separator_cannot_be_exported():
    with pytest.raises(ValueError, match="separate items"):
        _export(_video(tags=["a|b"]))


def test_bad_utf8_in_a_sheet_is_a_row_error():
    data = _sheet(["video_id", "title"], ["dQw4w9WgXcQ", "Café"], ["9bZkp7q19f0", "ok"]).replace(
        "Café".encode(), b"Caf\xe9"
    )
    error, row = _import(data)
    assert isinstance(error, RowError) and error.column == "title" and row.changes == {"title": "ok"}
