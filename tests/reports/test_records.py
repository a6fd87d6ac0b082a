"""CSV text: quoting, line endings, bad bytes and oversized records become row errors, never crashes."""

import csv
import io

from reports.parsing import ReportLimits, RowError
from reports.parsing.records import iter_records

from .helpers import A4_HEADER, a4_bytes, a4_row, csv_text, errors_of, only_error, read, rows_of


def _records(data: bytes, **limits):
    return list(iter_records(io.BufferedReader(io.BytesIO(data)), ReportLimits(**limits)))


def test_quoted_commas_quotes_and_newlines_keep_line_numbers_right():
    title = 'He said "hi", then\nleft\nagain'
    data = a4_bytes(a4_row("aaaaaaaaaaa", video_title=title), a4_row("bbbbbbbbbbb"))
    _, items = read(data)
    first, second = rows_of(items)
    assert first.remote["title"] == title
    assert (first.line_number, second.line_number) == (2, 5)


def test_crlf_and_bom_are_accepted():
    text = "\ufeff" + csv_text([A4_HEADER, a4_row("aaaaaaaaaaa", video_title="x\r\ny"), a4_row()], "\r\n")
    reader, items = read(text.encode())
    assert reader.header[0] == "video_id"
    first, second = rows_of(items)
    assert first.remote["title"] == "x\r\ny"
    assert second.line_number == 4


def test_invalid_utf8_is_a_row_error_and_the_next_rows_are_read():
    good = a4_bytes(a4_row("aaaaaaaaaaa"), a4_row("bbbbbbbbbbb", video_title="Café"), a4_row("ccccccccccc"))
    data = good.replace("Café".encode(), b"Caf\xe9")  # latin-1 é
    _, items = read(data)
    assert [type(i).__name__ for i in items] == ["ReportRow", "RowError", "ReportRow"]
    error = items[1]
    assert (error.line_number, error.column, error.video_id) == (3, "video_title", "bbbbbbbbbbb")
    assert "not valid UTF-8" in error.reason
    assert error.value_excerpt == "Caf\ufffd"
    assert "Caf\ufffd" in error.raw  # writable as UTF-8 in the failed-rows file
    assert items[2].line_number == 4


def test_nul_bytes_are_a_row_error():
    error = only_error(a4_bytes(a4_row(video_title="bin\x00ary")))
    assert error.column == "video_title" and "NUL" in error.reason


def test_binary_garbage_lines_are_row_errors_and_reading_goes_on():
    garbage = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xd8\n"  # three lines of a PNG header
    data = a4_bytes(a4_row("aaaaaaaaaaa")) + garbage + csv_text([a4_row("bbbbbbbbbbb")]).encode()
    _, items = read(data)
    assert [type(i).__name__ for i in items] == ["ReportRow", "RowError", "RowError", "RowError", "ReportRow"]
    assert (items[-1].video_id, items[-1].line_number) == ("bbbbbbbbbbb", 6)


def test_wrong_column_count_is_a_row_error():
    short = a4_row()[:-2]
    long = a4_row() + ["extra"]
    _, items = read(a4_bytes(short, long))
    assert [e.reason for e in errors_of(items)] == [
        f"The row has {len(A4_HEADER) - 2} cells; the header has {len(A4_HEADER)}.",
        f"The row has {len(A4_HEADER) + 1} cells; the header has {len(A4_HEADER)}.",
    ]


def test_trailing_empty_cells_from_spreadsheets_are_tolerated():
    _, items = read(a4_bytes(a4_row() + ["", ""]))
    assert len(rows_of(items)) == 1


def test_blank_lines_are_skipped():
    data = a4_bytes(a4_row("aaaaaaaaaaa")) + b"\n\r\n" + csv_text([a4_row("bbbbbbbbbbb")]).encode() + b"\n"
    _, items = read(data)
    assert [(r.video_id, r.line_number) for r in rows_of(items)] == [("aaaaaaaaaaa", 2), ("bbbbbbbbbbb", 5)]


def test_cell_of_exactly_max_field_chars_is_read_and_one_more_is_an_error():
    _, items = read(
        a4_bytes(a4_row("aaaaaaaaaaa", video_title="é" * 100), a4_row("bbbbbbbbbbb", video_title="é" * 101)),
        max_field_chars=100,
    )
    ok, error = items
    assert ok.remote["title"] == "é" * 100
    assert isinstance(error, RowError) and error.column == "video_title"
    assert error.reason == "video_title is longer than 100 characters (101)."
    assert len(error.value_excerpt) <= 100


def test_huge_multiline_quoted_field_is_a_row_error_and_parsing_resyncs():
    huge = ('lorem "ipsum", dolor\n' * 10_000)[:150_000]
    _, items = read(a4_bytes(a4_row("aaaaaaaaaaa", video_title=huge), a4_row("bbbbbbbbbbb")))
    error, row = items
    assert isinstance(error, RowError) and "longer than 100,000 characters (150,000)" in error.reason
    assert (row.video_id, row.line_number) == ("bbbbbbbbbbb", 2 + huge.count("\n") + 1)


def test_record_longer_than_max_record_bytes_is_skipped_and_the_next_row_is_read():
    huge = "x\n" * 5000  # 10,000 bytes inside quotes
    data = a4_bytes(a4_row("aaaaaaaaaaa", video_title=huge), a4_row("bbbbbbbbbbb"))
    _, items = read(data, max_record_bytes=4096, max_field_chars=1000)
    error, row = items
    assert isinstance(error, RowError) and error.line_number == 2
    assert "longer than 4,096 bytes" in error.reason
    assert (row.video_id, row.line_number) == ("bbbbbbbbbbb", 2 + 5000 + 1)


def test_line_without_newline_longer_than_max_record_bytes_is_skipped():
    data = a4_bytes(a4_row("aaaaaaaaaaa", video_title="y" * 50_000), a4_row("bbbbbbbbbbb"))
    _, items = read(data, max_record_bytes=4096, max_field_chars=1000)
    error, row = items
    assert isinstance(error, RowError) and error.raw == []
    assert (row.video_id, row.line_number) == ("bbbbbbbbbbb", 3)


def test_unclosed_quote_swallows_at_most_max_record_bytes_per_row_error():
    rows = [a4_row(f"v{i:010d}") for i in range(200)]
    data = a4_bytes(a4_row("aaaaaaaaaaa", video_title='"unclosed'), *rows).replace(
        b'"""unclosed"', b'"unclosed'
    )
    _, items = read(data, max_record_bytes=4096)
    assert len(errors_of(items)) >= 1
    assert all(isinstance(i, RowError) for i in items)  # the quote never closes: the rest is one bad record


def test_carriage_return_inside_an_unquoted_cell_is_a_row_error_and_the_next_line_is_read():
    data = (
        a4_bytes(a4_row("aaaaaaaaaaa")).replace(b"A title", b"A\rtitle")
        + csv_text([a4_row("bbbbbbbbbbb")]).encode()
    )
    _, items = read(data)
    error, row = items
    assert isinstance(error, RowError) and "carriage return (CR) inside an unquoted cell" in error.reason
    assert (row.video_id, row.line_number) == ("bbbbbbbbbbb", 3)


def test_last_line_without_newline_is_read():
    data = a4_bytes(a4_row()).rstrip(b"\n")
    _, items = read(data)
    assert len(rows_of(items)) == 1


def test_records_yield_start_lines_and_cells():
    records = _records(b'a,b\n1,"x\ny"\n\n2,z')
    assert records == [(1, ["a", "b"], None), (2, ["1", "x\ny"], None), (5, ["2", "z"], None)]


def test_csv_field_size_limit_is_raised_to_the_record_limit_only_if_lower():
    previous = csv.field_size_limit()
    try:
        csv.field_size_limit(1000)
        _records(b"a\n1\n", max_record_bytes=4096)
        assert csv.field_size_limit() == 4096 + 2
        csv.field_size_limit(10**9)
        _records(b"a\n1\n", max_record_bytes=4096)
        assert csv.field_size_limit() == 10**9
    finally:
        csv.field_size_limit(previous)
