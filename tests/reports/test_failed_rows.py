"""The failed-rows CSV: original cells plus the error, safe to open in a spreadsheet, re-uploadable."""

import csv
import io

import pytest

from reports.parsing import RowError, escape_formula, unescape_formula, write_failed_rows

from .helpers import A4_HEADER, a4_bytes, a4_row, errors_of, read, rows_of


@pytest.mark.parametrize("cell", ["=SUM(A1:A9)", "+1", "-1", "@cmd", "\tx", "\rx", "'quoted"])
def test_cells_that_a_spreadsheet_could_run_get_a_leading_quote(cell):
    assert escape_formula(cell) == "'" + cell
    assert unescape_formula(escape_formula(cell)) == cell


@pytest.mark.parametrize("cell", ["", "plain", "1+1", "a=b", " =x", "'", "'plain"])
def test_other_cells_are_unchanged_by_a_round_trip(cell):
    assert unescape_formula(escape_formula(cell)) == cell


def test_unescape_leaves_a_lone_quote_before_ordinary_text():
    assert unescape_formula("'plain") == "'plain"
    assert escape_formula("plain") == "plain"


def test_writes_the_error_column_then_the_original_header_and_cells():
    errors = [
        RowError(
            2,
            "views",
            "-12",
            "views '-12' is negative; it must be 0 or more.",
            ["-abcdefghij", "=1+1", "-12"],
        ),
        RowError(5, "", "", "The row has 1 cells; the header has 3.", ["@x"]),
    ]
    out = io.StringIO()
    assert write_failed_rows(errors, ["video_id", "video_title", "views"], out) == 2
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows == [
        ["error", "video_id", "video_title", "views"],
        ["line 2: views '-12' is negative; it must be 0 or more.", "'-abcdefghij", "'=1+1", "'-12"],
        ["line 5: The row has 1 cells; the header has 3.", "'@x"],
    ]


def test_a_failed_rows_file_can_be_fixed_and_uploaded_again():
    data = a4_bytes(a4_row("-aaaaaaaaaa", video_title="=cool", views="-12"), a4_row("bbbbbbbbbbb"))
    reader, items = read(data)
    out = io.StringIO()
    write_failed_rows(errors_of(items), reader.header, out)
    fixed = out.getvalue().replace("'-12", "12")
    again, items = read(fixed.encode())
    assert again.unknown_columns == []  # the error column is recognised, not reported
    (row,) = rows_of(items)
    assert (row.video_id, row.remote["title"], row.remote["view_count"]) == ("-aaaaaaaaaa", "=cool", 12)


def test_undecodable_bytes_are_written_as_replacement_characters():
    data = a4_bytes(a4_row(video_title="Café")).replace("Café".encode(), b"Caf\xe9")
    reader, items = read(data)
    out = io.StringIO()
    write_failed_rows(errors_of(items), reader.header, out)
    out.getvalue().encode("utf-8")  # no surrogates left
    assert "Caf\ufffd" in out.getvalue()


def test_header_cells_are_escaped_too():
    out = io.StringIO()
    write_failed_rows([], ["video_id", "=HYPERLINK()"], out)
    # Escaped, and quoted so that a spreadsheet splitting on another separator keeps it one cell.
    assert out.getvalue().splitlines()[0] == 'error,video_id,"\'=HYPERLINK()"'


def test_rows_keep_their_line_numbers_in_order():
    rows = [a4_row(f"v{i:010d}", views="x" if i % 2 else "1") for i in range(6)]
    reader, items = read(a4_bytes(*rows))
    out = io.StringIO()
    write_failed_rows(errors_of(items), A4_HEADER, out)
    assert [line.split(":")[0] for line in out.getvalue().splitlines()[1:]] == ["line 3", "line 5", "line 7"]
