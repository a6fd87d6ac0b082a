"""The video and claim admins as a person sees them, whichever app adds which part (#17).

videos' admin imports neither syncs nor reports: their actions, panels and columns are attached
from above. These pin the pages as they were before, down to the order of the actions.
"""

from django.urls import reverse

from videos.models import Asset, Claim

VIDEO_ACTIONS = [
    ("bulk_edit", "Bulk edit selected videos…"),
    ("acknowledge_drift", "Acknowledge drift (changed on YouTube)"),
    ("refresh_from_youtube", "Refresh from YouTube"),
    ("apply_template", "Apply template…"),
    ("export_edit_sheet", "Export edit sheet (CSV) of selected videos"),
    ("claim_with_asset", "Claim with asset…"),
]
VIDEO_FIELDSETS = [
    (None, ["id", "channel", "pending_changes_table", "pending_in_changesets"]),
    (
        "YouTube metadata (what we want)",
        [
            "title",
            "description",
            "tags",
            "category_id",
            "default_language",
            "localizations",
            "privacy_status",
            "publish_at",
            "embeddable",
            "public_stats_viewable",
            "license",
            "self_declared_made_for_kids",
            "contains_synthetic_media",
        ],
    ),
    (
        "YouTube state (read-only)",
        [
            "snapshot_summary",
            "drift_summary",
            "published_at",
            "upload_status",
            "duration_seconds",
            "definition",
            "caption",
            "view_count",
            "like_count",
            "comment_count",
            "made_for_kids",
        ],
    ),
    ("Rights", ["claimed_status", "effective_policy"]),
    ("Our metadata", ["artists", "genres", "isrc", "custom_id", "notes"]),
    ("History: pushes to YouTube (newest first)", ["push_history"]),
    ("History in ytcms (newest first)", ["audit_history"]),
]


def action_choices(response) -> list[tuple[str, str]]:
    return [(value, str(label)) for value, label in response.context["action_form"].fields["action"].choices][
        1:
    ]


def field_name(field) -> str:
    # A read-only field is a dict, an editable one a bound form field.
    return field.field["name"] if field.is_readonly else field.field.name


def fieldsets_shown(response) -> list[tuple[str | None, list[str]]]:
    return [
        (fieldset.name, [field_name(field) for line in fieldset for field in line])
        for fieldset in response.context["adminform"]
    ]


def test_the_video_list_offers_the_same_actions_in_the_same_order(client, alice, catalogue):
    client.force_login(alice)
    response = client.get(reverse("admin:videos_video_changelist"))
    assert action_choices(response) == VIDEO_ACTIONS


def test_the_video_page_shows_the_change_set_panels_where_they_were(client, alice, catalogue):
    client.force_login(alice)
    response = client.get(reverse("admin:videos_video_change", args=["a1song00001"]))
    assert response.status_code == 200
    assert fieldsets_shown(response) == VIDEO_FIELDSETS
    page = response.content.decode()
    assert "None: no edit of this video waits to be pushed to YouTube." in page


def test_the_claim_pages_keep_their_change_set_column_action_and_panels(client, root, catalogue, owner_a):
    Asset.objects.create(id="A111", content_owner=owner_a, title="Midnight Song (asset)")
    Claim.objects.create(id="C1", video=catalogue["a1_song"], asset_id="A111", content_type="audio")
    client.force_login(root)

    listed = client.get(reverse("admin:videos_claim_changelist"))
    assert list(listed.context["cl"].list_display) == [
        "action_checkbox",
        "id",
        "video",
        "asset",
        "content_type",
        "policy_on_youtube",
        "status",
        "origin",
    ]
    assert ("change_claim_policy", "Change claim policy…") in action_choices(listed)

    page = client.get(reverse("admin:videos_claim_change", args=["C1"]))
    assert page.status_code == 200
    shown = [name for _, names in fieldsets_shown(page) for name in names]
    assert shown[-2:] == ["youtube_policy", "waiting_in_changesets"]
    assert "None: no change of this claim waits to be pushed to YouTube." in page.content.decode()
