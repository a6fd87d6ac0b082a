"""A video waiting in two change sets with different values (the trial's "two drafts"): change set 2,
scheduled, holds a template's descriptions; the footer block changes and the template is rendered
again, which makes a new draft (a scheduled set is nobody's draft). Both pages name the other set in
"Problems", approving and pushing warn (never block), and the re-render says where the videos wait.
"""

import io
import re
from datetime import UTC, datetime

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.messages import get_messages
from django.core.management import call_command
from django.urls import reverse

from syncs.changesets.edits import video_edit_in_changeset
from syncs.changesets.release import changeset_schedule
from syncs.metadata_templates.models import MetadataTemplate, TemplateBlock
from syncs.metadata_templates.services import metadata_template_save, template_apply, template_block_save
from syncs.models import ChangeSet
from tests.conftest import browser
from videos.models import Video

pytestmark = pytest.mark.django_db

VIDEOS = reverse("admin:videos_video_changelist")
MOMENT = datetime(2099, 1, 14, 23, 0, tzinfo=UTC)
RELEASED = ["a1live00001", "a1song00001"]


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def text_of(response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


def page_of(changeset) -> str:
    return reverse("admin:syncs_changeset_change", args=[changeset.pk])


def scheduled_release(*, alice, owner_a) -> tuple[ChangeSet, MetadataTemplate]:
    """alice's change set of two rendered descriptions, scheduled; then the footer block changes."""
    footer = template_block_save(
        block=TemplateBlock(content_owner=owner_a, name="footer", body="Stream it: https://nw.example/"),
        user=alice,
    )
    release = metadata_template_save(
        template=MetadataTemplate(
            content_owner=owner_a, name="Release", field="description", body="{title}\n\n{block:footer}"
        ),
        user=alice,
    )
    template_apply(template=release, videos=Video.objects.filter(pk__in=RELEASED), user=alice)
    scheduled = ChangeSet.objects.get()
    changeset_schedule(changeset=scheduled, at=MOMENT, tz="UTC", user=alice)
    footer.body = "Listen everywhere: https://nw.example/"
    template_block_save(block=footer, user=alice)
    return scheduled, MetadataTemplate.objects.get(pk=release.pk)


def rerender(client, template):
    """ "Render them again…" → Preview → "Add to my draft change set", as the browser posts it."""
    client.get(VIDEOS)
    return client.post(
        VIDEOS,
        {
            "csrfmiddlewaretoken": client.cookies["csrftoken"].value,
            "action": "apply_template",
            ACTION_CHECKBOX_NAME: RELEASED,
            "select_across": "0",
            "template": template.pk,
            "template_version": template.version,
            "template_step": "apply",
        },
    )


def two_drafts(*, alice, owner_a) -> tuple[ChangeSet, ChangeSet]:
    """The scheduled set and the new draft the re-render (through the service) made."""
    scheduled, template = scheduled_release(alice=alice, owner_a=owner_a)
    template_apply(template=template, videos=Video.objects.filter(pk__in=RELEASED), user=alice)
    return scheduled, ChangeSet.objects.exclude(pk=scheduled.pk).get()


def press(client, changeset, verb):
    client.get(reverse("admin:index"))
    return client.post(
        reverse("admin:syncs_changeset_act", args=[changeset.pk, verb]),
        {"csrfmiddlewaretoken": client.cookies["csrftoken"].value},
    )


def test_the_rerender_says_the_videos_also_wait_in_the_scheduled_change_set(alice, owner_a, catalogue):
    scheduled, template = scheduled_release(alice=alice, owner_a=owner_a)

    response = rerender(browser(alice), template)

    new_draft = ChangeSet.objects.exclude(pk=scheduled.pk).get()
    said = messages_of(response)
    assert any(f'your draft change set <a href="{page_of(new_draft)}">' in message for message in said)
    warning = [message for message in said if "also wait" in message]
    assert warning == [
        f'2 of these videos also wait in change set <a href="{page_of(scheduled)}">#{scheduled.pk} '
        f"{scheduled}</a> with another description: whichever change set is pushed later overwrites the "
        "other. Remove them from one of the two."
    ]


def test_both_pages_name_the_other_change_set_in_problems_and_count_them(alice, owner_a, catalogue):
    scheduled, new_draft = two_drafts(alice=alice, owner_a=owner_a)
    client = browser(alice)

    for this, other in ((scheduled, new_draft), (new_draft, scheduled)):
        response = client.get(page_of(this))
        page = response.content.decode()
        assert page.count(f'Also waiting in <a href="{page_of(other)}">change set #{other.pk}') == 2
        assert f"2 videos are also waiting in change set #{other.pk} “{other}” with other values" in text_of(
            response
        )


def test_another_field_of_the_same_video_is_no_problem(alice, owner_a, catalogue):
    scheduled, template = scheduled_release(alice=alice, owner_a=owner_a)
    # A by-hand title edit makes the new draft first; the re-render's descriptions join it.
    video_edit_in_changeset(video=Video.objects.get(pk="a1song00001"), changes={"title": "Noon"}, user=alice)
    template_apply(template=template, videos=Video.objects.filter(pk__in=RELEASED), user=alice)
    new_draft = ChangeSet.objects.exclude(pk=scheduled.pk).get()
    assert new_draft.items.count() == 3

    response = browser(alice).get(page_of(new_draft))

    rows = re.findall(
        r'<tr data-item-id="\d+" data-video-id="(\w+)" data-field="(\w+)">(.*?)</tr>',
        response.content.decode(),
        re.S,
    )
    warned = sorted((video, field) for video, field, row in rows if "Also waiting in" in row)
    assert warned == [("a1live00001", "description"), ("a1song00001", "description")]
    assert f"2 videos are also waiting in change set #{scheduled.pk}" in text_of(response)


def test_approving_warns_of_the_other_change_set_and_still_approves(alice, owner_a, catalogue):
    scheduled, new_draft = two_drafts(alice=alice, owner_a=owner_a)

    response = press(browser(alice), scheduled, "approve")

    scheduled.refresh_from_db()
    assert scheduled.status == ChangeSet.Status.APPROVED
    assert messages_of(response) == [
        "Approved.",
        f"2 videos are also waiting in change set #{new_draft.pk} “{new_draft}” with other values: "
        "whichever is pushed later overwrites the other (or stops in a conflict). Remove the item from "
        "one of them to choose.",
    ]


def test_pushing_warns_of_the_other_change_set_and_still_queues(
    alice, owner_a, catalogue, django_capture_on_commit_callbacks
):
    scheduled, new_draft = two_drafts(alice=alice, owner_a=owner_a)

    with django_capture_on_commit_callbacks(execute=False):
        response = press(browser(alice), new_draft, "push")

    new_draft.refresh_from_db()
    assert new_draft.status == ChangeSet.Status.QUEUED
    said = messages_of(response)
    assert said[0] == "Queued: the push runs in the background."
    assert said[1].startswith(f"2 videos are also waiting in change set #{scheduled.pk} “{scheduled}”")


def test_charlies_page_never_names_alices_change_sets_nor_hers_charlies(alice, charlie, owner_a, catalogue):
    scheduled, new_draft = two_drafts(alice=alice, owner_a=owner_a)
    video_edit_in_changeset(
        video=Video.objects.get(pk="b1secret001"), changes={"description": "B's own text"}, user=charlie
    )
    theirs = ChangeSet.objects.get(created_by=charlie)

    charlies = browser(charlie).get(page_of(theirs))
    alices = browser(alice).get(page_of(scheduled))

    assert charlies.status_code == 200
    assert "also waiting" not in text_of(charlies).lower()
    for alice_set in (scheduled, new_draft):
        assert page_of(alice_set) not in charlies.content.decode()
    assert page_of(theirs) not in alices.content.decode()
    assert f"also waiting in change set #{new_draft.pk}" in text_of(alices)
    assert browser(charlie).get(page_of(scheduled)).status_code == 404


def test_the_push_commands_dry_run_says_where_else_the_videos_wait(alice, owner_a, catalogue):
    scheduled, new_draft = two_drafts(alice=alice, owner_a=owner_a)
    out = io.StringIO()

    call_command("youtube_push", "--changeset", str(scheduled.pk), "--dry-run", stdout=out)

    assert (
        f"  2 videos are also waiting in change set #{new_draft.pk} “{new_draft}” with other values"
        in out.getvalue()
    )
