"""The reports admin with the three personas: alice (manager of A), bob (viewer of channel A1),
charlie (manager of B, sees nothing of A)."""

import re

import pytest
from django.urls import reverse

from reports.models import Report
from reports.services import report_rerun
from tests.conftest import channel_id
from tests.reports.test_ingest_helpers import immediate_tasks_fixture, upload  # noqa: F401
from videos.models import Video

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("immediate_tasks")]

HEADER = "video_id,channel_id,video_title,video_privacy_status,embedding_allowed\n"


def report_bytes(*rows: str) -> bytes:
    return (HEADER + "".join(row + "\n" for row in rows)).encode()


def row(video_id, channel=None, title="A title"):
    return f"{video_id},{channel or channel_id('a')},{title},public,True"


@pytest.fixture
def report_of_a(owner_a, channel_a1, alice):
    from reports.services import report_create_from_upload

    data = report_bytes(row("abcdefghij1"), row("bad-id"), *(f"bad{n:03d}" + ",,,," for n in range(60)))
    report = report_create_from_upload(uploaded_file=upload("a.csv", data), user=alice, content_owner=owner_a)
    report.refresh_from_db()
    return report


def test_alice_uploads_a_report_for_her_content_owner_and_it_is_imported(client, alice, owner_a, channel_a1):
    client.force_login(alice)
    response = client.post(
        reverse("admin:reports_report_upload"),
        {
            "file": upload("a4.csv", report_bytes(row("abcdefghij1"))),
            "content_owner": owner_a.pk,
            "mode": "import",
        },
    )
    report = Report.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/report/{report.pk}/change/")
    assert (
        report.status == Report.Status.DONE and report.created_by == alice and report.content_owner == owner_a
    )
    assert Video.objects.get(pk="abcdefghij1").channel == channel_a1


def upload_preview(client, owner) -> Report:
    """Reports → Upload report with "Upload and preview", one row; the preview runs inline."""
    client.post(
        reverse("admin:reports_report_upload"),
        {
            "file": upload("a4.csv", report_bytes(row("abcdefghij1"))),
            "content_owner": owner.pk,
            "mode": "preview",
        },
    )
    return Report.objects.get()


def test_upload_and_preview_writes_nothing(client, alice, owner_a, channel_a1):
    client.force_login(alice)
    report = upload_preview(client, owner_a)
    assert report.dry_run and report.status == Report.Status.DONE and report.videos_created == 1
    assert not Video.objects.exists()
    page = client.get(reverse("admin:reports_report_change", args=[report.pk])).content.decode()
    assert "Preview: the first 1 videos that would change" in page and "abcdefghij1" in page
    assert "Import now" in page
    client.post(reverse("admin:reports_report_run", args=[report.pk]), {"mode": "import"})
    assert Video.objects.filter(pk="abcdefghij1").exists()


def test_alice_cannot_upload_for_another_content_owner(client, alice, owner_b):
    client.force_login(alice)
    response = client.post(
        reverse("admin:reports_report_upload"),
        {"file": upload("a4.csv", report_bytes(row("abcdefghij1"))), "content_owner": owner_b.pk},
    )
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    assert not Report.objects.exists()


def test_an_upload_over_the_limit_is_refused_while_it_streams_in(client, alice, owner_a, settings):
    settings.REPORTS_MAX_UPLOAD_BYTES = 1000
    client.force_login(alice)
    response = client.post(
        reverse("admin:reports_report_upload"),
        {
            "file": upload("big.csv", report_bytes(*(row(f"abcdefghi{n:02d}") for n in range(60)))),
            "content_owner": owner_a.pk,
        },
    )
    assert response.status_code == 200
    assert "larger than the 1.0 KB allowed" in response.content.decode()
    assert not Report.objects.exists()


def test_the_report_list_shows_status_counts_and_a_progress_bar(client, alice, report_of_a):
    client.force_login(alice)
    page = client.get(reverse("admin:reports_report_changelist")).content.decode()
    assert f"#{report_of_a.pk} a.csv" in page
    assert 'class="ytcms-progress"' in page and "100%" in page
    assert "Upload report" in page and "Import from S3" in page


def test_the_report_page_lists_row_errors_page_by_page(client, alice, report_of_a):
    client.force_login(alice)
    url = reverse("admin:reports_report_change", args=[report_of_a.pk])
    first = client.get(url).content.decode()
    assert report_of_a.rows_rejected == 61, report_of_a.message
    assert "Rejected rows (61)" in first and "page 1 of 2" in first and "line" in first
    second = client.get(url, {"errors_page": 2}).content.decode()
    assert "page 2 of 2" in second
    assert "Download failed rows" in first


def test_failed_rows_download_is_a_streamed_csv(client, alice, report_of_a):
    client.force_login(alice)
    response = client.get(reverse("admin:reports_report_failed_rows", args=[report_of_a.pk]))
    assert response.streaming and response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    lines = text.splitlines()
    assert lines[0] == "error," + HEADER.strip()
    assert len(lines) == 1 + 61 and lines[1].startswith("line 3: ")


def test_rerun_of_a_done_report_says_nothing_changed(client, alice, report_of_a):
    client.force_login(alice)
    client.post(reverse("admin:reports_report_run", args=[report_of_a.pk]), {"mode": "rerun"})
    report_of_a.refresh_from_db()
    assert report_of_a.status == Report.Status.DONE and report_of_a.attempts == 2
    assert report_of_a.message.startswith("Nothing changed")


@pytest.mark.parametrize("persona", ["bob", "charlie"])
def test_outsiders_get_404_on_a_report_and_its_downloads_and_buttons(client, persona, report_of_a, request):
    client.force_login(request.getfixturevalue(persona))
    for name in ("admin:reports_report_change", "admin:reports_report_failed_rows"):
        assert client.get(reverse(name, args=[report_of_a.pk])).status_code == 404
    assert (
        client.post(reverse("admin:reports_report_run", args=[report_of_a.pk]), {"mode": "rerun"}).status_code
        == 404
    )
    page = client.get(reverse("admin:reports_report_changelist")).content.decode()
    assert "a.csv" not in page
    report_of_a.refresh_from_db()
    assert report_of_a.attempts == 1


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def test_bob_cannot_upload_reports(client, bob):
    client.force_login(bob)
    response = client.get(reverse("admin:reports_report_upload"), follow=True)
    assert response.redirect_chain == [(reverse("admin:reports_report_changelist"), 302)]
    assert messages_of(response) == [
        "Uploading a report takes an editing role on a content owner; you have none."
    ]


def test_a_superuser_sees_every_report(admin_client, report_of_a):
    assert admin_client.get(reverse("admin:reports_report_change", args=[report_of_a.pk])).status_code == 200


def test_a_viewer_of_the_owner_sees_but_cannot_run(client, django_user_model, owner_a, report_of_a):
    from django.contrib.auth.models import Group

    from channels_app.models import Membership, Role

    viewer = django_user_model.objects.create_user("vera", password="pw", is_staff=True)
    viewer.groups.add(Group.objects.get(name="Viewer"))
    Membership.objects.create(user=viewer, content_owner=owner_a, role=Role.VIEWER)
    client.force_login(viewer)
    page = client.get(reverse("admin:reports_report_change", args=[report_of_a.pk])).content.decode()
    assert "Rejected rows" in page and "Re-run" not in page


def test_a_viewer_clicking_rerun_is_sent_back_to_the_page_with_the_reason(
    client, django_user_model, owner_a, alice, report_of_a
):
    """A page opened as a manager, the role then lowered to viewer: the click answers on the page."""
    from django.contrib.auth.models import Group

    from channels_app.models import Membership, Role

    client.force_login(alice)
    page = client.get(reverse("admin:reports_report_change", args=[report_of_a.pk])).content.decode()
    assert 'value="rerun"' in page
    Membership.objects.filter(user=alice).update(role=Role.VIEWER)
    alice.groups.set([Group.objects.get(name="Viewer")])
    response = client.post(
        reverse("admin:reports_report_run", args=[report_of_a.pk]), {"mode": "rerun"}, follow=True
    )
    page_url = reverse("admin:reports_report_change", args=[report_of_a.pk])
    assert response.status_code == 200 and response.redirect_chain == [(page_url, 302)]
    assert messages_of(response) == [
        f"Report #{report_of_a.pk} was not run: previewing, importing and re-running a report take an "
        "editing role on its content owner."
    ]
    assert "Rejected rows" in response.content.decode()
    report_of_a.refresh_from_db()
    assert report_of_a.attempts == 1 and report_of_a.status == Report.Status.DONE


def test_a_post_to_the_read_only_report_page_returns_to_it_with_a_message(client, alice, report_of_a):
    """What the nested form's buttons did: post the admin's own change form. No 403, no change."""
    client.force_login(alice)
    page_url = reverse("admin:reports_report_change", args=[report_of_a.pk])
    response = client.post(page_url, {"mode": "import"}, follow=True)
    assert response.status_code == 200 and response.redirect_chain == [(page_url, 302)]
    assert messages_of(response) == [
        "Nothing was changed: a report's fields cannot be edited. Use the buttons under its progress bar."
    ]
    report_of_a.refresh_from_db()
    assert report_of_a.attempts == 1


def test_charlie_posting_to_alices_report_page_gets_404(client, charlie, report_of_a):
    client.force_login(charlie)
    page_url = reverse("admin:reports_report_change", args=[report_of_a.pk])
    assert client.post(page_url, {"mode": "import"}).status_code == 404


def test_a_preview_page_words_its_counts_as_what_would_happen(client, alice, owner_a, channel_a1):
    client.force_login(alice)
    client.post(
        reverse("admin:reports_report_upload"),
        {
            "file": upload("a4.csv", report_bytes(row("abcdefghij1"), row("abcdefghij2"))),
            "content_owner": owner_a.pk,
            "mode": "preview",
        },
    )
    report = Report.objects.get()
    page = client.get(reverse("admin:reports_report_change", args=[report.pk])).content.decode()
    assert (
        "Done (preview, nothing written): 2 rows read, 2 would be imported, 0 unchanged, 0 rejected." in page
    )
    assert "2 imported" not in page
    assert "videos that would be created" in page
    assert "Rows (preview: what an import would do)" in page
    listing = client.get(reverse("admin:reports_report_changelist")).content.decode()
    assert '<td class="field-imported_rows">would import 2</td>' in listing
    assert '<td class="field-created_videos">would create 2</td>' in listing


def test_a_preview_queued_for_import_starts_its_bar_at_zero(client, alice, owner_a, channel_a1, settings):
    # After "Import now" the page showed "100 % · Queued": the preview's bytes, not the import's.
    client.force_login(alice)
    report = upload_preview(client, owner_a)
    assert report.progress_percent == 100
    # The worker has not started it yet: the queue keeps it.
    settings.TASKS = {"default": {**settings.TASKS["default"], "BACKEND": "django_tasks_db.DatabaseBackend"}}
    report_rerun(report=report, dry_run=False)
    report.refresh_from_db()
    assert report.status == Report.Status.QUEUED and report.progress_percent == 0


def test_the_run_url_opened_with_get_goes_back_to_the_report_page(client, alice, owner_a, channel_a1):
    client.force_login(alice)
    report = upload_preview(client, owner_a)
    landed = client.get(reverse("admin:reports_report_run", args=[report.pk]), follow=True)
    assert landed.redirect_chain[-1][0] == reverse("admin:reports_report_change", args=[report.pk])
    assert "Nothing was done: press the button on this page to do it." in landed.content.decode()
    report.refresh_from_db()
    assert report.dry_run and report.status == Report.Status.DONE


def test_import_now_on_a_preview_clears_its_counts_and_logs_old_and_new(
    client, alice, owner_a, channel_a1, settings
):
    """Import now, posted as the page's button posts: the queued import shows zeros, and the admin's
    history says which counts went from the preview's numbers to 0."""
    import json

    from django.contrib.admin.models import CHANGE, LogEntry

    client.force_login(alice)
    report = upload_preview(client, owner_a)
    assert (report.rows_read, report.videos_created, report.preview != []) == (1, 1, True)
    # The worker has not started it yet: the queue keeps it.
    settings.TASKS = {"default": {**settings.TASKS["default"], "BACKEND": "django_tasks_db.DatabaseBackend"}}
    client.post(reverse("admin:reports_report_run", args=[report.pk]), {"mode": "import"})
    report.refresh_from_db()
    assert (report.status, report.dry_run) == (Report.Status.QUEUED, False)
    assert (report.rows_read, report.rows_imported, report.videos_created, report.bytes_processed) == (
        0,
        0,
        0,
        0,
    )
    assert report.preview == []
    page = client.get(reverse("admin:reports_report_change", args=[report.pk])).content.decode()
    assert 'rows read <span data-count="rows_read">0</span>' in page
    assert "Preview: the first" not in page

    entry = LogEntry.objects.get(object_id=str(report.pk), user=alice)
    assert entry.action_flag == CHANGE
    values = json.loads(entry.change_message)[1]["values"]
    assert values["status"] == {"old": "done", "new": "queued"}
    assert values["dry_run"] == {"old": True, "new": False}
    assert values["rows_read"] == {"old": 1, "new": 0}
    assert values["videos_created"] == {"old": 1, "new": 0}
    assert "rows_rejected" not in values  # 0 before and after: nothing to record


def _readonly_value(page: str, name: str) -> str:
    """The text of a read-only field's box on an admin change page, as a person reads it."""
    match = re.search(rf'fieldBox field-{name}\b[^>]*>.*?<div class="readonly">(.*?)</div>', page, re.S)
    assert match, f"no read-only field {name}"
    return match.group(1).strip()


def test_the_report_page_groups_its_counters_by_thousands_as_the_list_does(
    client, alice, owner_a, channel_a1
):
    rows = [row(f"k{n:010d}", title=f"Song {n}") for n in range(1001)]
    data = report_bytes(*rows)
    client.force_login(alice)
    client.post(
        reverse("admin:reports_report_upload"),
        {"file": upload("big.csv", data), "content_owner": owner_a.pk, "mode": "import"},
    )
    report = Report.objects.get()
    assert report.rows_read == 1001, report.message

    page = client.get(reverse("admin:reports_report_change", args=[report.pk])).content.decode()

    assert _readonly_value(page, "rows_read") == "1,001"
    assert _readonly_value(page, "rows_imported") == "1,001"
    assert _readonly_value(page, "videos_created") == "1,001"
    assert _readonly_value(page, "bytes_processed") == f"{len(data):,}"
    assert _readonly_value(page, "bytes_total") == f"{len(data):,}"
    assert ">Rows read:<" in page  # the field's own label, as before
