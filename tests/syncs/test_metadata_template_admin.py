"""The templates' admin pages and the video list's "Apply template…", as a browser posts them (#19)."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.messages import get_messages
from django.urls import reverse

from core.audit.models import AuditEvent
from syncs.changesets.edits import video_edit_in_changeset
from syncs.metadata_templates.models import MetadataTemplate, TemplateBlock
from syncs.metadata_templates.services import metadata_template_save, template_apply, template_block_save
from syncs.models import ChangeSet
from tests.conftest import browser
from videos.models import Video

pytestmark = pytest.mark.django_db

VIDEOS = reverse("admin:videos_video_changelist")
TEMPLATES = reverse("admin:syncs_metadatatemplate_changelist")
ADD_TEMPLATE = reverse("admin:syncs_metadatatemplate_add")
ADD_BLOCK = reverse("admin:syncs_templateblock_add")


def _messages(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def _csrf(client, url) -> str:
    client.get(url)
    return client.cookies["csrftoken"].value


@pytest.fixture
def footer(alice, owner_a):
    return template_block_save(
        block=TemplateBlock(
            content_owner=owner_a, name="footer", body="Stream it: https://nw.example/{isrc}"
        ),
        user=alice,
    )


def test_the_add_form_stores_a_crlf_body_with_lf_and_descriptions_get_no_cr(
    alice, owner_a, footer, catalogue
):
    client = browser(alice)
    token = _csrf(client, ADD_TEMPLATE)

    # A textarea's line breaks arrive as CRLF (HTML's form submission rule).
    response = client.post(
        ADD_TEMPLATE,
        {
            "csrfmiddlewaretoken": token,
            "content_owner": "owner-a",
            "name": "Release",
            "field": "description",
            "body": "{title}\r\nby {artist}\r\n\r\n{block:footer}",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    release = MetadataTemplate.objects.get()
    assert release.body == "{title}\nby {artist}\n\n{block:footer}"
    assert AuditEvent.objects.filter(event_type="template.changed", object_type="template").count() == 1

    token = _csrf(client, VIDEOS)
    client.post(
        VIDEOS,
        {
            "csrfmiddlewaretoken": token,
            "action": "apply_template",
            ACTION_CHECKBOX_NAME: ["a1song00001"],
            "select_across": "0",
            "template": release.pk,
            "template_version": release.version,
            "template_step": "apply",
        },
    )
    assert (
        Video.objects.get(pk="a1song00001").description
        == "Midnight Song\nby \n\nStream it: https://nw.example/"
    )


def test_the_add_form_names_an_unknown_field(alice, owner_a):
    client = browser(alice)
    token = _csrf(client, ADD_TEMPLATE)

    response = client.post(
        ADD_TEMPLATE,
        {
            "csrfmiddlewaretoken": token,
            "content_owner": "owner-a",
            "name": "T",
            "field": "title",
            "body": "{titel}",
        },
    )

    assert response.status_code == 200
    assert "{titel} is not a field a template can use" in response.content.decode()
    assert not MetadataTemplate.objects.exists()


def test_apply_template_chooses_previews_then_adds_to_the_draft(alice, owner_a, catalogue):
    release = metadata_template_save(
        template=MetadataTemplate(
            content_owner=owner_a, name="Official", field="title", body="{title} (Official Video)"
        ),
        user=alice,
    )
    Video.objects.filter(pk="a1song00001").update(title="S" * 90)
    client = browser(alice)
    token = _csrf(client, VIDEOS)
    selection = {
        "csrfmiddlewaretoken": token,
        "action": "apply_template",
        ACTION_CHECKBOX_NAME: ["a1song00001", "a1live00001"],
        "select_across": "0",
    }

    choose = client.post(VIDEOS, selection)
    assert choose.status_code == 200 and f'<option value="{release.pk}">' in choose.content.decode()

    preview = client.post(VIDEOS, {**selection, "template": release.pk, "template_step": "preview"})
    page = preview.content.decode()
    assert preview.status_code == 200
    # The over-limit video comes first, with its measure, though it is second in the selection's order.
    assert page.index('data-video="a1song00001"') < page.index('data-video="a1live00001"')
    assert "title is 107 characters; YouTube allows 100." in page
    assert "Live at Dawn (Official Video)" in page
    assert not ChangeSet.objects.exists()  # a preview records nothing

    applied = client.post(
        VIDEOS,
        {**selection, "template": release.pk, "template_version": release.version, "template_step": "apply"},
    )

    assert applied.status_code == 302
    draft = ChangeSet.objects.get(created_by=alice, status=ChangeSet.Status.DRAFT)
    assert {(item.video_id, item.new_value) for item in draft.items.all()} == {
        ("a1live00001", "Live at Dawn (Official Video)")
    }
    messages = _messages(applied)
    assert any("applied to 1 videos" in message for message in messages)
    assert any("1 videos were left as they are" in message for message in messages)


def test_a_confirm_for_an_older_version_shows_the_new_preview_instead_of_applying(alice, owner_a, catalogue):
    release = metadata_template_save(
        template=MetadataTemplate(content_owner=owner_a, name="Official", field="title", body="{title}!"),
        user=alice,
    )
    release.body = "{title}?"
    metadata_template_save(template=release, user=alice)
    client = browser(alice)
    token = _csrf(client, VIDEOS)

    response = client.post(
        VIDEOS,
        {
            "csrfmiddlewaretoken": token,
            "action": "apply_template",
            ACTION_CHECKBOX_NAME: ["a1song00001"],
            "select_across": "0",
            "template": release.pk,
            "template_version": 1,
            "template_step": "apply",
        },
    )

    assert response.status_code == 200 and "Midnight Song?" in response.content.decode()
    assert not ChangeSet.objects.exists()


def test_charlie_sees_no_template_of_alice_in_the_admin_or_the_action(alice, charlie, owner_a, catalogue):
    release = metadata_template_save(
        template=MetadataTemplate(content_owner=owner_a, name="Official", field="title", body="{title}!"),
        user=alice,
    )
    client = browser(charlie)

    assert client.get(TEMPLATES).context["cl"].result_count == 0
    assert client.get(reverse("admin:syncs_metadatatemplate_change", args=[release.pk])).status_code == 404
    token = _csrf(client, VIDEOS)
    response = client.post(
        VIDEOS,
        {
            "csrfmiddlewaretoken": token,
            "action": "apply_template",
            ACTION_CHECKBOX_NAME: ["b1secret001"],
            "select_across": "0",
            "template": release.pk,
            "template_step": "preview",
        },
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert f'<option value="{release.pk}">' not in response.content.decode()


def test_charlie_cannot_add_a_template_to_alices_owner(charlie, owner_a, owner_b):
    client = browser(charlie)
    token = _csrf(client, ADD_TEMPLATE)

    response = client.post(
        ADD_TEMPLATE,
        {
            "csrfmiddlewaretoken": token,
            "content_owner": "owner-a",
            "name": "T",
            "field": "title",
            "body": "{title}",
        },
    )

    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    assert not MetadataTemplate.objects.exists()


def test_a_block_in_use_is_not_deleted(alice, owner_a, footer):
    metadata_template_save(
        template=MetadataTemplate(
            content_owner=owner_a, name="D", field="description", body="{block:footer}"
        ),
        user=alice,
    )
    client = browser(alice)
    url = reverse("admin:syncs_templateblock_delete", args=[footer.pk])
    token = _csrf(client, url)

    response = client.post(url, {"csrfmiddlewaretoken": token, "post": "yes"})

    assert TemplateBlock.objects.filter(pk=footer.pk).exists()
    assert any("is used by the templates D" in message for message in _messages(response))


def test_the_rerender_page_lists_the_diverged_video_and_sends_the_others_to_the_preview(
    alice, owner_a, catalogue
):
    release = metadata_template_save(
        template=MetadataTemplate(content_owner=owner_a, name="Official", field="title", body="{title}!"),
        user=alice,
    )
    template_apply(
        template=release, videos=Video.objects.filter(pk__in=["a1song00001", "a1live00001"]), user=alice
    )
    video_edit_in_changeset(
        video=Video.objects.get(pk="a1live00001"), changes={"title": "By hand"}, user=alice
    )
    release.body = "{title}?"
    metadata_template_save(template=release, user=alice)
    client = browser(alice)

    page = client.get(reverse("admin:syncs_metadatatemplate_rerender", args=[release.pk])).content.decode()

    assert "1 video still holds what an older version" in page and "By hand (a1live00001)" in page
    assert f'name="{ACTION_CHECKBOX_NAME}" value="a1song00001"' in page
    assert f'name="{ACTION_CHECKBOX_NAME}" value="a1live00001"' not in page
    assert client.get(reverse("admin:syncs_metadatatemplate_change", args=[release.pk])).status_code == 200


def test_charlie_gets_a_404_for_the_rerender_page_of_alices_template(alice, charlie, owner_a):
    release = metadata_template_save(
        template=MetadataTemplate(content_owner=owner_a, name="Official", field="title", body="{title}!"),
        user=alice,
    )

    response = browser(charlie).get(reverse("admin:syncs_metadatatemplate_rerender", args=[release.pk]))

    assert response.status_code == 404


@pytest.fixture
def release(alice, owner_a, footer):
    """A description template that uses the footer block."""
    return metadata_template_save(
        template=MetadataTemplate(
            content_owner=owner_a, name="Release", field="description", body="{title}\n{block:footer}"
        ),
        user=alice,
    )


def _post_block_form(user, block, *, name: str, body: str):
    """The block's change form as a browser posts it: its CSRF token, every field."""
    client = browser(user)
    url = reverse("admin:syncs_templateblock_change", args=[block.pk])
    return client.post(url, {"csrfmiddlewaretoken": _csrf(client, url), "name": name, "body": body})


def test_renaming_a_block_a_template_uses_is_refused_on_the_form(alice, footer, release):
    response = _post_block_form(alice, footer, name="links", body="Stream it: https://nw.example/{isrc}\r\n")

    assert response.status_code == 200
    assert "{block:footer} is used by the templates Release; edit them first." in response.content.decode()
    footer.refresh_from_db()
    release.refresh_from_db()
    assert (footer.name, release.version) == ("footer", 1)


def test_a_new_block_body_saved_in_the_admin_raises_the_template_version(alice, footer, release):
    response = _post_block_form(alice, footer, name="footer", body="Stream it:\r\nhttps://nw.example/{isrc}")

    assert response.status_code == 302, response.content.decode()[:2000]
    footer.refresh_from_db()
    release.refresh_from_db()
    assert (footer.body, release.version) == ("Stream it:\nhttps://nw.example/{isrc}", 2)
