"""The change-set page (#15): resolving conflicts where they are shown, names that tell change sets
apart, the video page naming its draft, 404 for what is not the user's, values as people read them.

Conflicts are made as they happen: alice edits, someone changes the video in Studio (the emulator's
state), the push reads YouTube and finds the field changed. The pages are driven as a browser
drives them: CSRF checks on, each button posting what its form holds.
"""

import re
from types import SimpleNamespace

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from syncs.changesets.edits import video_edit_in_changeset as video_update
from syncs.changesets.push import changeset_push
from syncs.changesets.services import changeset_queue
from syncs.models import ChangeSet, ChangeSetItem, SyncRecord
from tests.conftest import browser
from tests.syncs.conftest import studio_edit
from tests.videos.test_admin_personas import change_form_data
from videos.models import Video

pytestmark = pytest.mark.django_db


def page_of(changeset) -> str:
    return reverse("admin:syncs_changeset_change", args=[changeset.pk])


def press(client, changeset, resolution, **button):
    """A conflict button: its form (outside the admin's) posts the CSRF token and the button's value."""
    client.get(reverse("admin:index"))  # its sign-out form sets the token, as any admin page does
    token = client.cookies["csrftoken"].value
    return client.post(
        reverse("admin:syncs_changeset_resolve", args=[changeset.pk, resolution]),
        {"csrfmiddlewaretoken": token, **button},
    )


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def text_of(response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


def item_of(changeset, video_id) -> ChangeSetItem:
    return changeset.items.get(video_id=video_id)


# ---------------------------------------------------------------------- conflicts on the page


def test_each_conflict_has_both_buttons_and_no_form_is_nested(conflicted, alice):
    response = browser(alice).get(page_of(conflicted))

    page = response.content.decode()
    for video_id in ("a1song00001", "a1live00001"):
        pk = item_of(conflicted, video_id).pk
        assert re.search(rf'form="ytcms-resolve-keep_theirs" name="item" value="{pk}">Keep YouTube', page)
        assert re.search(
            rf'form="ytcms-resolve-overwrite" name="item" value="{pk}">Overwrite with ours', page
        )
    assert 'value="Keep YouTube\'s for all 2"' in page and 'value="Overwrite with ours for all 2"' in page
    # The admin's form holds the buttons; the forms they submit come after it, never inside.
    admin_form = page[page.index('<form method="post" id="changeset_form"') :]
    admin_form = admin_form[: admin_form.index("</form>")]
    assert "<form" not in admin_form[1:]
    resolve_url = reverse("admin:syncs_changeset_resolve", args=[conflicted.pk, "overwrite"])
    assert f'<form id="ytcms-resolve-overwrite" method="post" action="{resolve_url}" hidden>' in page
    assert text_of(response).count("2 conflicts: YouTube changed these fields since the edit began") == 1


def test_keep_youtubes_resolves_that_conflict_only(conflicted, alice):
    song, live = item_of(conflicted, "a1song00001"), item_of(conflicted, "a1live00001")

    response = press(browser(alice), conflicted, "keep_theirs", item=str(song.pk))

    assert response.status_code == 302 and response["Location"] == page_of(conflicted)
    assert messages_of(response) == ["1 conflict resolved: YouTube's values kept."]
    song.refresh_from_db()
    live.refresh_from_db()
    assert (song.status, song.resolution) == (ChangeSetItem.Status.SKIPPED, "keep_theirs")
    assert live.status == ChangeSetItem.Status.CONFLICT
    video = Video.objects.get(pk="a1song00001")
    assert video.title == "Theirs song" and not video.has_pending_changes
    # Choosing YouTube's value is having looked at it: no drift badge is left for the field.
    assert not video.has_drift and video.drifted_fields == []
    page = browser(alice).get(page_of(conflicted)).content.decode()
    assert f'name="item" value="{song.pk}"' not in page and f'name="item" value="{live.pk}"' in page


def test_overwrite_all_at_once_then_push_puts_ours_on_youtube_and_leaves_no_drift(
    conflicted, alice, emulator
):
    client = browser(alice)

    response = press(client, conflicted, "overwrite", all="Overwrite with ours for all 2")

    assert messages_of(response) == [
        "2 conflicts resolved: ours replace YouTube's when the change set is pushed."
    ]
    assert set(conflicted.items.values_list("status", "base_value")) == {
        ("pending", "Theirs song"),
        ("pending", "Theirs live"),
    }
    changeset_queue(changeset=conflicted, user=alice, enqueue=False)
    changeset_push(changeset=conflicted)
    assert emulator.state.video("a1song00001")["snippet"]["title"] == "Ours song"
    assert emulator.state.video("a1live00001")["snippet"]["title"] == "Ours live"
    conflicted.refresh_from_db()
    assert conflicted.status == ChangeSet.Status.DONE
    done_html = client.get(page_of(conflicted)).content.decode()
    done_page = text_of(client.get(page_of(conflicted)))
    assert "Nothing left to send to YouTube." in done_page and "0 videos to update" not in done_page
    # One "Pushed at", the live part's: a read-only field of the form beside it said "-" until a reload.
    assert done_html.count("Pushed at") == 1 and "field-pushed_at" not in done_html
    for video in Video.objects.filter(pk__in=["a1song00001", "a1live00001"]):
        assert (video.has_drift, video.drifted_fields, video.drift_detected_at) == (False, [], None)
    video_page = client.get(reverse("admin:videos_video_change", args=["a1song00001"]))
    assert "No drift: YouTube has not changed" in text_of(video_page)


def test_a_drift_on_a_field_the_push_did_not_write_stays(conflicted, alice, emulator):
    """Only what we wrote stops being news: a description changed in Studio keeps its badge."""
    studio_edit(emulator, "a1song00001", description="Edited in Studio")
    press(browser(alice), conflicted, "overwrite", all="1")
    changeset_queue(changeset=conflicted, user=alice, enqueue=False)
    changeset_push(changeset=conflicted)

    video = Video.objects.get(pk="a1song00001")
    assert video.has_drift and video.drifted_fields == ["description"]


def test_a_viewer_is_told_why_and_nothing_is_resolved(conflicted, bob):
    """bob sees A1's change set but his Viewer group may not change videos: a message, no 403."""
    client = browser(bob)
    page = client.get(page_of(conflicted))
    assert page.status_code == 200
    assert "Overwrite with ours" not in page.content.decode()
    assert "may read change sets but not act on them" in text_of(page)

    response = press(client, conflicted, "overwrite", all="1")

    assert response.status_code == 302 and response["Location"] == page_of(conflicted)
    (message,) = messages_of(response)
    assert message.startswith("Nothing resolved. Your account may read change sets but not act on them")
    assert set(conflicted.items.values_list("status", flat=True)) == {"conflict"}


def test_charlie_cannot_resolve_or_open_as_change_set_it_is_404(conflicted, charlie):
    client = browser(charlie)
    item = item_of(conflicted, "a1song00001")

    assert press(client, conflicted, "keep_theirs", item=str(item.pk)).status_code == 404
    assert client.get(page_of(conflicted)).status_code == 404
    assert client.get(reverse("admin:syncs_changeset_history", args=[conflicted.pk])).status_code == 404
    assert client.get(reverse("admin:syncs_changesetitem_change", args=[item.pk])).status_code == 404
    record = SyncRecord.objects.filter(video_id="a1song00001").first()
    assert client.get(reverse("admin:syncs_syncrecord_change", args=[record.pk])).status_code == 404
    assert set(conflicted.items.values_list("status", flat=True)) == {"conflict"}


def test_another_users_change_set_answers_as_a_missing_one_does(catalogue, alice, charlie):
    video_update(video=catalogue["a1_song"], changes={"title": "Alice's"}, user=alice)
    changeset = ChangeSet.objects.get()
    client = browser(charlie)

    theirs = client.get(page_of(changeset))
    missing = client.get(reverse("admin:syncs_changeset_change", args=[changeset.pk + 1000]))

    assert theirs.status_code == missing.status_code == 404
    assert "Alice's" not in theirs.content.decode() and "Label A" not in theirs.content.decode()


def test_a_resolve_with_an_unknown_resolution_or_a_get_changes_nothing(conflicted, alice):
    client = browser(alice)
    assert press(client, conflicted, "delete_everything", all="1").status_code == 404
    url = reverse("admin:syncs_changeset_resolve", args=[conflicted.pk, "overwrite"])
    # A GET (a sign-in's ?next=, a reload) goes back to the page and changes nothing: no bare 405.
    opened = client.get(url)
    assert opened.status_code == 302 and opened["Location"] == page_of(conflicted)
    assert set(conflicted.items.values_list("status", flat=True)) == {"conflict"}


def test_a_button_url_opened_after_signing_in_again_lands_on_its_page(conflicted, alice, client):
    # The session ended; the button's POST went to the sign-in page, which returns with ?next=<button>.
    client.force_login(alice)
    status_before = conflicted.status
    for verb in ("approve", "push", "revert"):
        url = reverse("admin:syncs_changeset_act", args=[conflicted.pk, verb])
        landed = client.get(url, follow=True)
        assert landed.status_code == 200 and landed.redirect_chain[-1][0] == page_of(conflicted)
        assert "Nothing was done: press the button on this page to do it." in landed.content.decode()
    conflicted.refresh_from_db()
    assert conflicted.status == status_before and ChangeSet.objects.count() == 1  # no revert made


# ---------------------------------------------------------------------- how values read


def test_values_read_as_a_person_reads_them(catalogue, alice):
    video_update(
        video=catalogue["a1_live"],
        changes={"tags": ["dawn", "live set"], "embeddable": False, "description": ""},
        user=alice,
    )
    changeset = ChangeSet.objects.get()

    page = text_of(browser(alice).get(page_of(changeset)))

    assert "music, live dawn, live set" in page  # tags: base, then new
    assert "tags ['music'" not in page and '["dawn"' not in page
    assert "embeddable Yes No" in page
    assert "description About the song (none)" in page
    assert "1 video to update: 51 quota units" in page
    tags = changeset.items.get(field="tags")
    item_page = text_of(browser(alice).get(reverse("admin:syncs_changesetitem_change", args=[tags.pk])))
    assert "music, live" in item_page and "dawn, live set" in item_page and '["dawn"' not in item_page


def test_the_item_list_says_one_conflict_not_one_conflicts(conflicted, alice):
    from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME

    client = browser(alice)
    items_url = reverse("admin:syncs_changesetitem_changelist")
    client.get(items_url)
    response = client.post(
        items_url,
        {
            "csrfmiddlewaretoken": client.cookies["csrftoken"].value,
            "action": "keep_theirs",
            "select_across": "0",
            "index": "0",
            ACTION_CHECKBOX_NAME: [str(item_of(conflicted, "a1song00001").pk)],
        },
    )

    assert messages_of(response) == ["1 conflict resolved: YouTube's values kept."]


# ---------------------------------------------------------------------- names and the video page


def test_drafts_are_named_by_owner_user_and_minute(catalogue, root, monkeypatch):
    moment = timezone.now().replace(year=2026, month=12, day=7, hour=18, minute=20)
    monkeypatch.setattr(
        "syncs.changesets.services.timezone",
        SimpleNamespace(now=lambda: moment, localtime=lambda value=None: moment),
    )

    video_update(video=catalogue["a1_song"], changes={"title": "A one"}, user=root)
    video_update(video=catalogue["b1_secret"], changes={"title": "B one"}, user=root)

    assert sorted(ChangeSet.objects.values_list("title", flat=True)) == [
        "Label A · root edits · 2026-12-07 18:20",
        "Label B · root edits · 2026-12-07 18:20",
    ]


def test_a_second_draft_in_the_same_minute_gets_its_own_name(catalogue, alice, monkeypatch):
    moment = timezone.now().replace(year=2026, month=12, day=7, hour=18, minute=20)
    monkeypatch.setattr(
        "syncs.changesets.services.timezone",
        SimpleNamespace(now=lambda: moment, localtime=lambda value=None: moment),
    )
    video_update(video=catalogue["a1_song"], changes={"title": "First"}, user=alice)
    ChangeSet.objects.update(status=ChangeSet.Status.DONE)  # pushed: the next edit opens a new draft

    video_update(video=catalogue["a1_live"], changes={"title": "Second"}, user=alice)

    assert list(ChangeSet.objects.order_by("pk").values_list("title", flat=True)) == [
        "Label A · alice edits · 2026-12-07 18:20",
        "Label A · alice edits · 2026-12-07 18:20 (2)",
    ]


def test_the_video_page_says_which_draft_the_edit_went_into(catalogue, alice, bob):
    video = catalogue["a1_song"]
    url = reverse("admin:videos_video_change", args=[video.pk])
    client = browser(alice)
    client.get(url)
    form = change_form_data(video, title="Midnight Song (Remastered)")

    response = client.post(
        url,
        {**form, "csrfmiddlewaretoken": client.cookies["csrftoken"].value, "_continue": "Save"},
        follow=True,
    )

    draft = ChangeSet.objects.get()
    link = f'<a href="{page_of(draft)}">{draft}</a>'
    assert any(link in message for message in messages_of(response))
    page = response.content.decode()
    assert f"{link} (Draft, by alice)" in page  # the "Waiting in change set" line
    # bob may see the video, so he sees where its edit waits.
    assert f"{link} (Draft, by alice)" in browser(bob).get(url).content.decode()


def test_a_video_with_nothing_waiting_says_so(catalogue, alice):
    page = text_of(browser(alice).get(reverse("admin:videos_video_change", args=["a1live00001"])))
    assert "None: no edit of this video waits to be pushed to YouTube." in page


def test_keep_youtubes_on_a_claim_policy_conflict_skips_it(emulator, claimed, owner_a, alice, connect):
    """A claim's item names no video field: keeping YouTube's policy touches the claim only."""
    from syncs.changesets.services import changeset_add_claim_policy

    claim = claimed
    connect(owner_a)
    changeset_add_claim_policy(user=alice, claim=claim, rules=[{"action": "block"}])
    emulator.state.claims["C1"]["resource"]["policy"] = {"rules": [{"action": "track"}]}
    changeset = ChangeSet.objects.get()
    changeset_queue(changeset=changeset, user=alice, enqueue=False)
    changeset_push(changeset=changeset)
    item = changeset.items.get()
    assert item.status == ChangeSetItem.Status.CONFLICT
    assert "Custom rules: Track in all countries" in text_of(browser(alice).get(page_of(changeset)))

    response = press(browser(alice), changeset, "keep_theirs", item=str(item.pk))

    assert messages_of(response) == ["1 conflict resolved: YouTube's values kept."]
    item.refresh_from_db()
    assert item.status == ChangeSetItem.Status.SKIPPED


def test_charlie_opening_as_button_urls_with_get_gets_404_not_a_way_back(conflicted, charlie):
    # The way back names the page; for another owner's change set there is no page to name.
    client = browser(charlie)
    for url in (
        reverse("admin:syncs_changeset_act", args=[conflicted.pk, "push"]),
        reverse("admin:syncs_changeset_resolve", args=[conflicted.pk, "overwrite"]),
    ):
        assert client.get(url).status_code == 404
