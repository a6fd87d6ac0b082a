"""Metadata templates (issue #19): checked when saved, rendered in a sandbox, applied as change-set edits."""

from datetime import UTC, datetime

import pytest
from django.core.exceptions import ValidationError
from django.template import TemplateSyntaxError

from core.audit.models import AuditEvent
from syncs.changesets.edits import video_edit_in_changeset
from syncs.metadata_templates.models import MetadataTemplate, TemplateBlock, TemplatedField
from syncs.metadata_templates.rendering import ENGINE, template_check, template_render
from syncs.metadata_templates.selectors import (
    metadata_template_preview,
    metadata_template_rerender_plan,
    metadata_templates_visible_to,
)
from syncs.metadata_templates.services import (
    TemplateError,
    metadata_template_save,
    metadata_template_scoped_videos,
    template_apply,
    template_block_save,
    template_rerender,
)
from syncs.models import ChangeSet, ChangeSetItem
from videos.models import Asset, Claim, Video

pytestmark = pytest.mark.django_db


def template(user, *, body, field="description", name="Release", owner_id="owner-a", channel_ids=None):
    return metadata_template_save(
        template=MetadataTemplate(content_owner_id=owner_id, name=name, field=field, body=body),
        user=user,
        channel_ids=channel_ids,
    )


def draft_items(user) -> dict:
    return {
        (item.video_id, item.field): item.new_value
        for item in ChangeSetItem.objects.filter(
            changeset__created_by=user, changeset__status=ChangeSet.Status.DRAFT
        )
    }


# ---------------------------------------------------------------------------- refused when saved


def test_a_template_naming_an_unknown_field_is_refused_when_saved(alice, owner_a):
    with pytest.raises(TemplateError) as refused:
        template(alice, body="{title} by {artsit}")

    assert "{artsit} is not a field a template can use" in str(refused.value)
    assert refused.value.api_errors()[0]["field"] == "body"
    assert not MetadataTemplate.objects.exists()


def test_the_model_form_check_refuses_an_unknown_field_too(owner_a):
    with pytest.raises(ValidationError) as refused:
        MetadataTemplate(content_owner=owner_a, name="x", field="title", body="{album} {year}").full_clean()

    assert "{year} is not a field" in str(refused.value.message_dict["body"])


def test_a_template_naming_a_block_its_owner_has_not_is_refused(alice, charlie, owner_a, owner_b):
    template_block_save(
        block=TemplateBlock(content_owner=owner_b, name="footer", body="B's links"), user=charlie
    )

    with pytest.raises(TemplateError) as refused:
        template(alice, body="{title}\n{block:footer}")

    assert "there is no block named 'footer'" in str(refused.value)


def test_a_block_cannot_use_another_block(alice, owner_a):
    with pytest.raises(TemplateError) as refused:
        template_block_save(
            block=TemplateBlock(content_owner=owner_a, name="footer", body="{block:links}"), user=alice
        )

    assert "a block cannot use another block" in str(refused.value)


@pytest.mark.parametrize(
    "body",
    [
        "{{ video.__class__ }}",
        "{{ title.__class__.__mro__ }}",
        "{% load log %}{% get_admin_log 10 as log %}",
        '{% include "admin/base.html" %}',
        "{% debug %}",
        "{{ title|safe }}",
        "{# comment #}",
        "{video.__class__}",
        "{title.__init__.__globals__}",
        "{block:__init__}",
    ],
)
def test_a_sandbox_escape_attempt_is_refused_when_saved(alice, owner_a, body):
    with pytest.raises(TemplateError):
        template(alice, body=body)

    assert not MetadataTemplate.objects.exists()


def test_the_engine_itself_knows_no_tag_no_filter_and_no_private_attribute():
    for source in ("{% load static %}", '{% include "x.html" %}', "{% if 1 %}{% endif %}", "{{ a|upper }}"):
        with pytest.raises(TemplateSyntaxError):
            ENGINE.from_string(source)
    with pytest.raises(TemplateSyntaxError):
        ENGINE.from_string("{{ title.__class__ }}")


def test_a_value_holding_template_syntax_renders_as_text_not_as_template():
    assert (
        template_render("[{title}]", values={"title": "{{ secret }} {% debug %}"})
        == "[{{ secret }} {% debug %}]"
    )


def test_braces_that_are_not_placeholders_stay_text():
    assert template_check("{ a: 1 } and }") == []
    assert template_render("{ a: 1 } {title}", values={"title": "T"}) == "{ a: 1 } T"


# ---------------------------------------------------------------------------- rendering


def test_every_field_and_a_block_render_from_the_video(alice, owner_a, channel_a1, catalogue):
    video = catalogue["a1_song"]
    Video.objects.filter(pk=video.pk).update(
        artists=["Nova", "Kite"],
        isrc="USRC17607839",
        custom_id="NW-001",
        published_at=datetime(2026, 3, 4, 23, 30, tzinfo=UTC),
    )
    asset = Asset.objects.create(id="A900", content_owner=owner_a, metadata={"album": "Night Drive"})
    Claim.objects.create(id="C900", video=video, asset=asset, content_type="audiovisual")
    template_block_save(
        block=TemplateBlock(
            content_owner=owner_a, name="footer", body="Stream {title}: https://nw.example/{isrc}"
        ),
        user=alice,
    )
    release = template(
        alice,
        body="{title} · {artist} · {album} · {isrc} · {custom_id} · {channel} · {release_date}\n{block:footer}",
    )

    preview = metadata_template_preview(template=release, videos=Video.objects.filter(pk=video.pk))

    assert preview.rows[0].new == (
        "Midnight Song · Nova, Kite · Night Drive · USRC17607839 · NW-001 · A One · 2026-03-04\n"
        "Stream Midnight Song: https://nw.example/USRC17607839"
    )


def test_a_tags_template_renders_a_list_of_tags(alice, catalogue):
    tags = template(alice, field="tags", body="{channel}, official, {title}")

    preview = metadata_template_preview(template=tags, videos=Video.objects.filter(pk="a1song00001"))

    assert preview.rows[0].new == ["A One", "official", "Midnight Song"]
    assert (preview.rows[0].measure, preview.rows[0].unit) == (
        len("A One,official,Midnight Song") + 4,
        "tag characters",
    )


# ---------------------------------------------------------------------------- the preview's limits


@pytest.mark.parametrize("filler", ["é", "🎵"])
def test_a_description_over_5000_bytes_of_multibyte_text_is_listed_first_with_its_measure(
    alice, channel_a1, make_video, filler
):
    per_char = len(filler.encode())
    padding = filler * (4990 // per_char)
    room = 5000 - len(padding.encode())
    # Titles that make the description 4,999, 5,000 and 5,001 bytes, selected in that order.
    titles = {"fits_less": "a" * (room - 1), "fits_exact": "b" * room, "one_over": "c" * (room + 1)}
    videos = {key: make_video(channel_a1, title=title) for key, title in titles.items()}
    release = template(alice, body=padding + "{title}")

    preview = metadata_template_preview(
        template=release,
        videos=Video.objects.filter(pk__in=[v.pk for v in videos.values()]).order_by("title"),
    )

    assert [row.video.pk for row in preview.rows] == [
        videos["one_over"].pk,
        videos["fits_less"].pk,
        videos["fits_exact"].pk,
    ]
    assert [row.measure for row in preview.rows] == [5001, 4999, 5000]
    assert [str(v) for v in preview.rows[0].violations] == [
        "description is 5,001 bytes; YouTube allows 5,000."
    ]
    assert preview.rows[1].is_valid and preview.rows[2].is_valid


def test_a_title_over_100_characters_is_listed_first(alice, catalogue):
    long_title = template(alice, field="title", body="{title} " + "x" * 87)

    preview = metadata_template_preview(
        template=long_title, videos=Video.objects.filter(pk__in=["a1song00001", "a1live00001"]).order_by("pk")
    )

    # Selected live first (pk order); the song's 101 characters put it first.
    assert [(row.video.pk, row.measure) for row in preview.rows] == [
        ("a1song00001", 101),
        ("a1live00001", 100),
    ]
    assert [row.video.pk for row in preview.invalid] == ["a1song00001"]


# ---------------------------------------------------------------------------- applying


def test_applying_records_the_rendered_values_in_the_draft_change_set(alice, catalogue):
    release = template(alice, field="title", body="{title} (Official Video)")
    videos = metadata_template_scoped_videos(
        template=release, video_ids=["a1song00001", "a2clip00001"], user=alice
    )

    result = template_apply(template=release, videos=videos, user=alice)

    assert (result.updated, result.skipped_invalid, result.unchanged) == (2, 0, 0)
    assert draft_items(alice) == {
        ("a1song00001", "title"): "Midnight Song (Official Video)",
        ("a2clip00001", "title"): "Studio Clip (Official Video)",
    }
    assert Video.objects.get(pk="a1song00001").title == "Midnight Song (Official Video)"
    applied = AuditEvent.objects.get(event_type="template.applied")
    assert (applied.acting_user, applied.content_owner_id, applied.object_id) == (
        alice,
        "owner-a",
        str(release.pk),
    )
    assert applied.extra["updated"] == ["a1song00001", "a2clip00001"]
    assert AuditEvent.objects.filter(event_type="video.edited").count() == 2


def test_applying_skips_a_video_whose_value_breaks_a_limit(alice, catalogue):
    Video.objects.filter(pk="a1live00001").update(title="L" * 95)
    release = template(alice, field="title", body="{title} (Official Video)")
    videos = metadata_template_scoped_videos(
        template=release, video_ids=["a1song00001", "a1live00001"], user=alice
    )

    result = template_apply(template=release, videos=videos, user=alice)

    assert (result.updated, result.skipped_invalid) == (1, 1)
    assert draft_items(alice) == {("a1song00001", "title"): "Midnight Song (Official Video)"}


def test_a_template_limited_to_channels_is_not_applied_to_another_channel(alice, catalogue, channel_a1):
    release = template(alice, field="title", body="{title}!", channel_ids=[channel_a1.pk])

    with pytest.raises(TemplateError) as refused:
        metadata_template_scoped_videos(
            template=release, video_ids=["a1song00001", "a2clip00001"], user=alice
        )

    assert "a2clip00001" in str(refused.value)


def test_saving_a_changed_body_raises_the_version_and_is_audited(alice, owner_a):
    release = template(alice, body="{title}")
    release.body = "{title}\r\n{artist}"

    metadata_template_save(template=release, user=alice)

    release.refresh_from_db()
    assert (release.version, release.body) == (2, "{title}\n{artist}")
    changes = AuditEvent.objects.filter(event_type="template.changed").order_by("id")
    assert [(row.old, row.new["version"]) for row in changes] == [
        (None, 1),
        ({"name": "Release", "field": "description", "body": "{title}", "version": 1}, 2),
    ]


# ---------------------------------------------------------------------------- tenancy


def test_charlie_neither_sees_nor_applies_alices_template(alice, charlie, catalogue):
    release = template(alice, field="title", body="{title}!")

    assert not metadata_templates_visible_to(user=charlie).exists()
    with pytest.raises(TemplateError) as refused:
        metadata_template_scoped_videos(template=release, video_ids=["b1secret001"], user=charlie)
    assert refused.value.api_status == 404


def test_charlie_cannot_save_a_template_for_alices_owner(charlie, owner_a):
    with pytest.raises(TemplateError) as refused:
        template(charlie, body="{title}")

    assert refused.value.api_status == 403
    assert not MetadataTemplate.objects.exists()


def test_alice_cannot_apply_her_template_to_charlies_video(alice, catalogue):
    release = template(alice, field="title", body="{title}!")

    with pytest.raises(TemplateError):
        metadata_template_scoped_videos(
            template=release, video_ids=["a1song00001", "b1secret001"], user=alice
        )


def test_bob_a_channel_viewer_sees_the_template_but_cannot_apply_or_change_it(alice, bob, catalogue):
    release = template(alice, field="title", body="{title}!")

    assert list(metadata_templates_visible_to(user=bob)) == [release]
    with pytest.raises(TemplateError):
        metadata_template_scoped_videos(template=release, video_ids=["a1song00001"], user=bob)
    release.body = "{title}?"
    with pytest.raises(TemplateError):
        metadata_template_save(template=release, user=bob)


# ---------------------------------------------------------------------------- templates remember their videos


def test_a_rerender_skips_a_hand_edited_video_and_lists_it_as_diverged(alice, catalogue):
    release = template(alice, field="title", body="{custom_id} (Official Video)")
    Video.objects.filter(pk__in=["a1song00001", "a1live00001", "a2clip00001"]).update(custom_id="NW")
    videos = metadata_template_scoped_videos(
        template=release, video_ids=["a1song00001", "a1live00001", "a2clip00001"], user=alice
    )
    template_apply(template=release, videos=videos, user=alice)
    assert {(row.video_id, row.template_version) for row in TemplatedField.objects.all()} == {
        ("a1song00001", 1),
        ("a1live00001", 1),
        ("a2clip00001", 1),
    }
    # A person edits one title by hand; then the template changes.
    video_edit_in_changeset(video=Video.objects.get(pk="a1live00001"), changes={"title": "Live!"}, user=alice)
    release.body = "{custom_id} (Official Music Video)"
    metadata_template_save(template=release, user=alice)

    plan = metadata_template_rerender_plan(template=release, user=alice)
    assert ([v.pk for v in plan.to_render], [v.pk for v in plan.diverged]) == (
        ["a1song00001", "a2clip00001"],
        ["a1live00001"],
    )
    result = template_rerender(template=release, user=alice)

    assert result.diverged == ["a1live00001"]
    assert result.applied.updated == 2
    assert dict(Video.objects.values_list("pk", "title").filter(custom_id="NW")) == {
        "a1song00001": "NW (Official Music Video)",
        "a1live00001": "Live!",
        "a2clip00001": "NW (Official Music Video)",
    }
    assert draft_items(alice)[("a1song00001", "title")] == "NW (Official Music Video)"
    assert draft_items(alice)[("a1live00001", "title")] == "Live!"
    assert {(row.video_id, row.template_version) for row in TemplatedField.objects.all()} == {
        ("a1song00001", 2),
        ("a1live00001", 1),
        ("a2clip00001", 2),
    }
    rerendered = AuditEvent.objects.filter(event_type="template.applied").latest("id")
    assert rerendered.extra["diverged"] == ["a1live00001"]
    assert metadata_template_rerender_plan(template=release, user=alice).to_render == []


def test_charlie_is_offered_no_rerender_of_alices_videos(alice, charlie, catalogue):
    release = template(alice, field="title", body="{title}!")
    template_apply(template=release, videos=Video.objects.filter(pk="a1song00001"), user=alice)
    release.body = "{title}?"
    metadata_template_save(template=release, user=alice)

    plan = metadata_template_rerender_plan(template=release, user=charlie)

    assert (plan.to_render, plan.diverged) == ([], [])
