"""No admin page of ours puts a <form> inside another.

A browser drops a nested <form> tag: the inner form's buttons then submit the outer form (the
report page's "Import now" posted the read-only change form and got a bare 403, issue #15). Every
admin page our apps define is rendered here as a superuser, with data enough to show its buttons
and previews, and its HTML is parsed for form nesting.
"""

import re
from html.parser import HTMLParser

import pytest
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from reports.models import Report
from tests.reports.test_ingest_helpers import immediate_tasks_fixture  # noqa: F401
from tests.reports.test_s3_reports import PREFIX, bucket, moto_url  # noqa: F401
from videos.models import Asset, Claim, Policy, Video

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("immediate_tasks")]

OUR_APPS = {"videos", "channels_app", "reports", "syncs"}


class FormNesting(HTMLParser):
    """Counts <form> tags and notes each one opened inside another (by its id)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.forms = 0
        self.nested: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag != "form":
            return
        name = dict(attrs).get("id") or dict(attrs).get("action") or "?"
        if self.open:
            self.nested.append(f"{name} inside {self.open[-1]}")
        self.open.append(name)
        self.forms += 1

    def handle_endtag(self, tag):
        if tag == "form" and self.open:
            self.open.pop()


def form_nesting(html: str) -> FormNesting:
    parser = FormNesting()
    parser.feed(html)
    parser.close()
    return parser


@pytest.fixture
def site_data(admin_user, catalogue, owner_a, bucket, settings, tmp_path):  # noqa: F811
    """A finished preview with rows to show, a draft change set, a claim, an S3 file, an API token."""
    from reports.services import report_create_from_upload
    from syncs.changesets.edits import video_edit_in_changeset as video_update

    settings.MEDIA_ROOT = str(tmp_path / "media")
    csv = (
        "video_id,channel_id,video_title,video_privacy_status,embedding_allowed\n"
        f"a1song00001,{catalogue['a1_song'].channel_id},Midnight Song (remaster),public,True\n"
        "not-a-video-id,,,,\n"
    ).encode()
    preview = report_create_from_upload(
        uploaded_file=SimpleUploadedFile("preview.csv", csv, content_type="text/csv"),
        user=admin_user,
        content_owner=owner_a,
        dry_run=True,
    )
    video_update(video=catalogue["a1_live"], changes={"title": "Live at Dusk"}, user=admin_user)
    policy = Policy.objects.create(id="P1", content_owner=owner_a, name="Monetize")
    asset = Asset.objects.create(id="A1", content_owner=owner_a, title="Song")
    claim = Claim.objects.create(
        id="C1", video=catalogue["a1_song"], asset=asset, content_type="audio", policy=policy
    )
    bucket.put_object(Bucket=bucket.name, Key=f"{PREFIX}{owner_a.pk}/a4.csv", Body=csv)
    return {"preview": Report.objects.get(pk=preview.pk), "claim": claim, "video": catalogue["a1_song"]}


def our_model_admins():
    return [
        (model, model_admin)
        for model, model_admin in admin.site._registry.items()
        if model._meta.app_label in OUR_APPS
    ]


def assert_no_nested_forms(pages: dict[str, str]) -> None:
    nested = {name: form_nesting(html).nested for name, html in pages.items()}
    assert {name: found for name, found in nested.items() if found} == {}


def html_of(response) -> str:
    assert response.status_code == 200, response
    assert response["Content-Type"].startswith("text/html")
    return response.content.decode()


def test_no_admin_page_of_ours_nests_a_form(admin_client, admin_user, rf, site_data):
    """Every list, add and change page of our apps' models, and the dashboard."""
    request = rf.get("/admin/")
    request.user = admin_user
    pages: dict[str, str] = {"index": html_of(admin_client.get(reverse("admin:index")))}
    for model, model_admin in our_model_admins():
        opts = model._meta
        label = f"{opts.app_label}.{opts.model_name}"
        pages[f"{label} list"] = html_of(
            admin_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
        )
        if model_admin.has_add_permission(request):
            # A report's add page is its upload page (a redirect).
            pages[f"{label} add"] = html_of(
                admin_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_add"), follow=True)
            )
        first = model_admin.get_queryset(request).order_by("pk").first()
        if first is not None:
            pages[f"{label} change"] = html_of(
                admin_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[first.pk]))
            )
    assert_no_nested_forms(pages)
    # The pages really showed the buttons in forms of their own.
    assert 'id="report-run-form"' in pages["reports.report change"]
    assert "Approve" in pages["syncs.changeset change"]
    assert len(pages) > 3 * len(OUR_APPS)


def test_no_report_page_nests_a_form(admin_client, site_data):
    preview = site_data["preview"]
    pages = {
        "preview page": html_of(admin_client.get(reverse("admin:reports_report_change", args=[preview.pk]))),
        "upload": html_of(admin_client.get(reverse("admin:reports_report_upload"))),
        "s3": html_of(admin_client.get(reverse("admin:reports_report_s3"))),
        "edit sheet": html_of(admin_client.get(reverse("admin:reports_report_edit_sheet"))),
        "edit sheet preview": html_of(
            admin_client.post(
                reverse("admin:reports_report_edit_sheet"),
                {
                    "step": "preview",
                    "file": SimpleUploadedFile(
                        "sheet.csv",
                        b"video_id,title\na1song00001,Midnight Song (edited)\n",
                        content_type="text/csv",
                    ),
                },
            )
        ),
    }
    assert_no_nested_forms(pages)
    assert 'id="report-preview"' in pages["preview page"] and "Import now" in pages["preview page"]
    assert 'id="s3-import-form"' in pages["s3"]
    assert 'id="edit-sheet-apply"' in pages["edit sheet preview"]


def action_page(client, model, action: str, pks: list, **extra) -> str:
    opts = model._meta
    return html_of(
        client.post(
            reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"),
            {"action": action, ACTION_CHECKBOX_NAME: pks, "index": 0, **extra},
        )
    )


def test_no_action_page_nests_a_form(admin_client, site_data):
    video = site_data["video"]
    pages = {
        "bulk edit": action_page(admin_client, Video, "bulk_edit", [video.pk]),
        "bulk edit preview": action_page(
            admin_client,
            Video,
            "bulk_edit",
            [video.pk],
            bulk_edit_step="preview",
            find="Midnight",
            replace="Noon",
            find_in=["title"],
        ),
        "claim with asset": action_page(admin_client, Video, "claim_with_asset", [video.pk]),
        "change claim policy": action_page(
            admin_client, Claim, "change_claim_policy", [site_data["claim"].pk]
        ),
    }
    assert_no_nested_forms(pages)
    assert 'id="bulk-edit-form"' in pages["bulk edit"] and 'id="claim-form"' in pages["claim with asset"]
    assert 'id="claim-form"' in pages["change claim policy"]


def test_the_api_token_key_page_nests_no_form(admin_client, admin_user):
    add = reverse("admin:channels_app_apitoken_add")
    hidden = dict(
        re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html_of(admin_client.get(add)))
    )
    response = admin_client.post(add, {**hidden, "name": "ci", "user": admin_user.pk, "expires_at": ""})
    page = html_of(response)
    assert "Your new API key" in page, response.context and response.context["adminform"].form.errors
    assert_no_nested_forms({"key issued": page})
