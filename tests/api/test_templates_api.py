"""/api/v1/templates/ and /api/v1/template-blocks/: reading, writing, applying and re-rendering (#19)."""

import pytest

from core.audit.models import AuditEvent
from syncs.metadata_templates.models import MetadataTemplate, TemplateBlock, TemplatedField
from syncs.metadata_templates.services import metadata_template_save
from syncs.models import ChangeSet
from videos.models import Video

pytestmark = pytest.mark.django_db


@pytest.fixture
def official(alice, owner_a, catalogue):
    return metadata_template_save(
        template=MetadataTemplate(
            content_owner=owner_a, name="Official", field="title", body="{title} (Official Video)"
        ),
        user=alice,
    )


def _apply(api, template, **body):
    return api.post(f"/api/v1/templates/{template.pk}/apply/", body, format="json")


def test_a_dry_run_answers_the_preview_with_over_limit_videos_first_and_records_nothing(alice_api, official):
    Video.objects.filter(pk="a1song00001").update(title="S" * 90)

    response = _apply(alice_api, official, video_ids=["a1live00001", "a1song00001"], dry_run=True)

    assert response.status_code == 200, response.json()
    body = response.json()
    assert [(row["video_id"], row["measure"]) for row in body["rows"]] == [
        ("a1song00001", 107),
        ("a1live00001", 29),
    ]
    assert body["rows"][0]["violations"][0]["message"] == "title is 107 characters; YouTube allows 100."
    assert (body["changing"], body["invalid"], body["changeset"]) == (1, 1, None)
    assert not ChangeSet.objects.exists()


def test_applying_records_the_new_values_in_the_draft(alice, alice_api, official):
    response = _apply(alice_api, official, video_ids=["a1song00001", "a2clip00001"])

    assert response.status_code == 200, response.json()
    draft = ChangeSet.objects.get(created_by=alice, status=ChangeSet.Status.DRAFT)
    assert response.json()["changeset"] == draft.pk
    assert {(item.video_id, item.new_value) for item in draft.items.all()} == {
        ("a1song00001", "Midnight Song (Official Video)"),
        ("a2clip00001", "Studio Clip (Official Video)"),
    }


def test_charlie_neither_lists_nor_applies_alices_template(charlie_api, official):
    assert charlie_api.get("/api/v1/templates/").json()["results"] == []
    response = _apply(charlie_api, official, video_ids=["b1secret001"], dry_run=True)
    assert response.status_code == 404


def test_alice_cannot_apply_to_a_video_of_another_owner(alice_api, official):
    response = _apply(alice_api, official, video_ids=["a1song00001", "b1secret001"], dry_run=True)

    assert response.status_code == 400
    assert "b1secret001" in response.json()["errors"][0]["message"]


def test_bob_a_viewer_cannot_apply(bob_api, official):
    response = _apply(bob_api, official, video_ids=["a1song00001"])

    assert response.status_code in (400, 403)
    assert not ChangeSet.objects.exists()


def test_the_list_shows_alices_template(alice_api, official):
    results = alice_api.get("/api/v1/templates/").json()["results"]

    assert [(row["id"], row["body"], row["version"]) for row in results] == [
        (official.pk, "{title} (Official Video)", 1)
    ]


# ---------------------------------------------------------------------------- writing templates and blocks


def _create_block(api, **body):
    return api.post("/api/v1/template-blocks/", {"content_owner": "owner-a", **body}, format="json")


def _create_template(api, **body):
    fields = {"content_owner": "owner-a", "name": "Release", "field": "description", "body": "{title}"}
    return api.post("/api/v1/templates/", {**fields, **body}, format="json")


def _errors(response) -> list[tuple]:
    return [(error["field"], error["code"]) for error in response.json()["errors"]]


def test_alice_creates_a_footer_block_and_a_template_using_it_each_audited(alice, alice_api, owner_a):
    block = _create_block(alice_api, name="footer", body="Listen: https://label.example/{custom_id}\r\n")
    assert block.status_code == 201, block.json()
    template = _create_template(alice_api, body="{title} by {artist}\n\n{block:footer}")
    assert template.status_code == 201, template.json()

    assert block.json()["body"] == "Listen: https://label.example/{custom_id}\n"
    assert (template.json()["version"], template.json()["channels"]) == (1, [])
    stored = MetadataTemplate.objects.get(pk=template.json()["id"])
    assert (stored.content_owner_id, stored.body) == ("owner-a", "{title} by {artist}\n\n{block:footer}")
    audited = AuditEvent.objects.filter(event_type="template.changed").order_by("id")
    assert [(row.object_type, row.acting_user, row.old, row.new["name"]) for row in audited] == [
        ("template_block", alice, None, "footer"),
        ("template", alice, None, "Release"),
    ]


def test_a_template_naming_an_unknown_field_is_a_clear_400_and_nothing_is_saved(alice_api, owner_a):
    response = _create_template(alice_api, body="{title} by {artsit}")

    assert response.status_code == 400
    assert _errors(response) == [("body", "unknown_field")]
    assert "{artsit} is not a field a template can use" in response.json()["errors"][0]["message"]
    assert not MetadataTemplate.objects.exists()
    assert not AuditEvent.objects.exists()


def test_a_template_naming_a_block_its_owner_has_not_is_a_400(alice_api, owner_a):
    response = _create_template(alice_api, body="{title}\n{block:footer}")

    assert response.status_code == 400
    assert _errors(response) == [("body", "unknown_block")]


@pytest.mark.parametrize(
    "body",
    [
        "{{ title.__class__.__mro__ }}",
        "{% load log %}{% get_admin_log 10 as log %}",
        "{title.__class__}",
        "{block:footer.__init__}",
    ],
)
def test_a_sandbox_escape_attempt_is_refused(alice_api, owner_a, body):
    response = _create_template(alice_api, body=body)

    assert response.status_code == 400
    assert _errors(response)[0] in {("body", "template_syntax"), ("body", "unknown_field")}
    assert not MetadataTemplate.objects.exists()


def test_a_field_the_api_does_not_write_is_refused_by_name(alice_api, owner_a):
    response = _create_template(alice_api, version=7)

    assert response.status_code == 400
    assert _errors(response) == [("version", "unknown_field")]


def test_changing_the_body_raises_the_version_and_the_owner_cannot_change(alice_api, official):
    url = f"/api/v1/templates/{official.pk}/"

    renamed = alice_api.patch(url, {"name": "Official title"}, format="json")
    assert (renamed.status_code, renamed.json()["version"]) == (200, 1)
    changed = alice_api.patch(url, {"body": "{title} (Official Music Video)"}, format="json")
    assert (changed.status_code, changed.json()["version"]) == (200, 2), changed.json()
    moved = alice_api.patch(url, {"content_owner": "owner-b"}, format="json")
    assert moved.status_code == 400
    assert _errors(moved) == [("content_owner", "unknown_field")]
    assert "stays with its content owner" in moved.json()["errors"][0]["message"]

    audited = AuditEvent.objects.filter(event_type="template.changed", object_id=str(official.pk))
    assert [(row.old and row.old["version"], row.new["version"]) for row in audited.order_by("id")] == [
        (None, 1),
        (1, 1),
        (1, 2),
    ]


def test_a_template_is_limited_to_its_owners_channels_only(alice_api, official, channel_a1, channel_b1):
    url = f"/api/v1/templates/{official.pk}/"

    limited = alice_api.patch(url, {"channels": [channel_a1.pk]}, format="json")
    refused = alice_api.patch(url, {"channels": [channel_b1.pk]}, format="json")

    assert (limited.status_code, limited.json()["channels"]) == (200, [channel_a1.pk])
    assert refused.status_code == 400
    assert _errors(refused) == [("channels", "invalid")]
    assert list(official.channels.values_list("pk", flat=True)) == [channel_a1.pk]


def test_deleting_a_template_is_audited(alice_api, official):
    response = alice_api.delete(f"/api/v1/templates/{official.pk}/")

    assert response.status_code == 204
    assert not MetadataTemplate.objects.exists()
    gone = AuditEvent.objects.filter(event_type="template.changed").latest("id")
    assert (gone.old["body"], gone.new) == ("{title} (Official Video)", None)


def test_a_block_in_use_can_be_neither_renamed_nor_deleted(alice_api, owner_a):
    block = _create_block(alice_api, name="footer", body="Follow {channel}").json()
    _create_template(alice_api, body="{title}\n{block:footer}")
    url = f"/api/v1/template-blocks/{block['id']}/"

    renamed = alice_api.patch(url, {"name": "links"}, format="json")
    deleted = alice_api.delete(url)

    assert (renamed.status_code, _errors(renamed)) == (400, [("name", "block_in_use")])
    assert (deleted.status_code, _errors(deleted)) == (400, [(None, "block_in_use")])
    assert TemplateBlock.objects.get().name == "footer"


def test_a_new_block_body_raises_the_version_of_every_template_using_it(alice_api, owner_a):
    block = _create_block(alice_api, name="footer", body="Follow {channel}").json()
    using = _create_template(alice_api, body="{title}\n{block:footer}").json()
    other = _create_template(alice_api, name="Plain", body="{title}").json()

    response = alice_api.patch(
        f"/api/v1/template-blocks/{block['id']}/", {"body": "Follow {channel} everywhere"}, format="json"
    )

    assert response.status_code == 200, response.json()
    versions = dict(MetadataTemplate.objects.values_list("pk", "version"))
    assert (versions[using["id"]], versions[other["id"]]) == (2, 1)
    raised = AuditEvent.objects.filter(event_type="template.changed", object_type="template").latest("id")
    assert (raised.object_id, raised.old["version"], raised.new["version"], raised.extra) == (
        str(using["id"]),
        1,
        2,
        {"block": "footer"},
    )


def test_bob_a_viewer_reads_templates_and_blocks_but_writes_none(alice_api, bob_api, official):
    block = _create_block(alice_api, name="footer", body="x").json()

    assert bob_api.get(f"/api/v1/templates/{official.pk}/").status_code == 200
    assert bob_api.get(f"/api/v1/template-blocks/{block['id']}/").status_code == 200
    for response in (
        _create_template(bob_api, name="Bob's"),
        _create_block(bob_api, name="bobs", body=""),
        bob_api.patch(f"/api/v1/templates/{official.pk}/", {"body": "{title}!"}, format="json"),
        bob_api.delete(f"/api/v1/templates/{official.pk}/"),
        bob_api.patch(f"/api/v1/template-blocks/{block['id']}/", {"body": "y"}, format="json"),
        bob_api.delete(f"/api/v1/template-blocks/{block['id']}/"),
        bob_api.post(f"/api/v1/templates/{official.pk}/rerender/", {}, format="json"),
    ):
        assert response.status_code == 403, response.json()
    assert MetadataTemplate.objects.get().body == "{title} (Official Video)"
    assert TemplateBlock.objects.get().body == "x"


# ---------------------------------------------------------------------------- re-render


def test_rerender_puts_the_videos_of_older_versions_in_the_draft_and_lists_the_diverged(
    alice, alice_api, official
):
    applied = _apply(alice_api, official, video_ids=["a1song00001", "a1live00001", "a2clip00001"])
    assert applied.status_code == 200
    # A person edits one title by hand; then the template changes.
    edited = alice_api.patch("/api/v1/videos/a1live00001/", {"title": "Live!"}, format="json")
    assert edited.status_code == 200, edited.json()
    alice_api.patch(
        f"/api/v1/templates/{official.pk}/", {"body": "{custom_id}{title} (Official)"}, format="json"
    )
    Video.objects.filter(pk__in=["a1song00001", "a2clip00001"]).update(custom_id="NW-")
    url = f"/api/v1/templates/{official.pk}/rerender/"

    planned = alice_api.post(url, {"dry_run": True}, format="json").json()
    done = alice_api.post(url, {}, format="json")

    assert (planned["to_render"], planned["diverged"], planned["updated"]) == (
        ["a1song00001", "a2clip00001"],
        ["a1live00001"],
        None,
    )
    assert done.status_code == 200, done.json()
    body = done.json()
    draft = ChangeSet.objects.get(created_by=alice, status=ChangeSet.Status.DRAFT)
    assert (body["version"], body["diverged"], body["updated"], body["changeset"]) == (
        2,
        ["a1live00001"],
        2,
        draft.pk,
    )
    assert {item.video_id: item.new_value for item in draft.items.filter(field="title")} == {
        "a1song00001": "NW-Midnight Song (Official Video) (Official)",
        "a1live00001": "Live!",
        "a2clip00001": "NW-Studio Clip (Official Video) (Official)",
    }
    assert alice_api.post(url, {"dry_run": True}, format="json").json()["to_render"] == []


def test_rerender_refuses_more_videos_than_one_request_applies(alice_api, official, monkeypatch):
    _apply(alice_api, official, video_ids=["a1song00001", "a1live00001"])
    alice_api.patch(f"/api/v1/templates/{official.pk}/", {"body": "{title}!"}, format="json")
    monkeypatch.setattr("syncs.metadata_templates.api.TEMPLATE_APPLY_MAX_VIDEOS", 1)

    response = alice_api.post(f"/api/v1/templates/{official.pk}/rerender/", {}, format="json")

    assert response.status_code == 400
    assert _errors(response) == [(None, "too_many")]
    assert not TemplatedField.objects.filter(template_version=2).exists()


# ---------------------------------------------------------------------------- charlie


def test_charlie_can_neither_read_nor_write_alices_templates(alice, charlie_api, official):
    url = f"/api/v1/templates/{official.pk}/"

    assert charlie_api.get("/api/v1/templates/").json()["results"] == []
    for response in (
        charlie_api.get(url),
        charlie_api.patch(url, {"body": "{title} (hacked)"}, format="json"),
        charlie_api.delete(url),
        charlie_api.post(f"{url}apply/", {"video_ids": ["b1secret001"]}, format="json"),
        charlie_api.post(f"{url}rerender/", {"dry_run": True}, format="json"),
    ):
        assert response.status_code == 404, response.json()
    assert MetadataTemplate.objects.get().body == "{title} (Official Video)"
    assert not AuditEvent.objects.exclude(acting_user=alice).exists()


def test_charlie_can_neither_read_nor_write_alices_blocks(alice, alice_api, charlie_api, owner_b):
    block = _create_block(alice_api, name="footer", body="Label A links").json()
    url = f"/api/v1/template-blocks/{block['id']}/"

    assert charlie_api.get("/api/v1/template-blocks/").json()["results"] == []
    for response in (
        charlie_api.get(url),
        charlie_api.patch(url, {"body": "Label B links"}, format="json"),
        charlie_api.delete(url),
    ):
        assert response.status_code == 404, response.json()
    assert TemplateBlock.objects.get().body == "Label A links"
    assert not AuditEvent.objects.exclude(acting_user=alice).exists()


def test_charlie_cannot_write_for_alices_owner_nor_use_her_block_or_channel(
    alice_api, charlie_api, owner_b, channel_a1
):
    _create_block(alice_api, name="footer", body="Label A links")

    for_alice = _create_template(charlie_api, name="Mine")
    block_for_alice = _create_block(charlie_api, name="links", body="")
    her_block = _create_template(charlie_api, content_owner="owner-b", body="{title}\n{block:footer}")
    her_channel = _create_template(charlie_api, content_owner="owner-b", channels=[channel_a1.pk])

    assert (for_alice.status_code, _errors(for_alice)) == (400, [("content_owner", "not_found")])
    assert (block_for_alice.status_code, _errors(block_for_alice)) == (400, [("content_owner", "not_found")])
    assert (her_block.status_code, _errors(her_block)) == (400, [("body", "unknown_block")])
    assert (her_channel.status_code, _errors(her_channel)) == (400, [("channels", "invalid")])
    assert list(MetadataTemplate.objects.all()) == []
    assert list(TemplateBlock.objects.values_list("content_owner_id", flat=True)) == ["owner-a"]
