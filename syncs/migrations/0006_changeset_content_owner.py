"""One content owner per change set (#14): the field, and existing change sets given theirs.

A change set whose items are all of one owner gets that owner. A draft spanning several owners is
split into one draft per owner (the first item's owner keeps the original): nobody has approved or
pushed it yet, so nothing refers to it as a whole. A change set spanning several owners that has
left the draft state is left as it is, owner null: its approval, its audit rows (SyncRecord) and
its reverts refer to it as a whole, and splitting it would rewrite that history. Those are covered
by the item filtering (every page lists only the items of videos the viewer may see) and by the
action rule (acting needs the role on every video, approving under four-eyes the manager role of
every owner).
"""

from collections import defaultdict

import django.db.models.deletion
from django.db import migrations, models

OWNER = "video__channel__content_owner_id"


def fill_content_owner(apps, schema_editor):
    ChangeSet = apps.get_model("syncs", "ChangeSet")
    ChangeSetItem = apps.get_model("syncs", "ChangeSetItem")
    ContentOwner = apps.get_model("channels_app", "ContentOwner")
    owners_of = defaultdict(set)
    for changeset_id, owner_id in (
        ChangeSetItem.objects.order_by().values_list("changeset_id", OWNER).distinct()
    ):
        owners_of[changeset_id].add(owner_id)
    single = defaultdict(list)
    for changeset_id, owners in owners_of.items():
        if len(owners) == 1:
            single[next(iter(owners))].append(changeset_id)
    for owner_id, changeset_ids in single.items():
        for start in range(0, len(changeset_ids), 1000):
            ChangeSet.objects.filter(pk__in=changeset_ids[start : start + 1000]).update(
                content_owner_id=owner_id
            )
    spanning = [changeset_id for changeset_id, owners in owners_of.items() if len(owners) > 1]
    names = dict(ContentOwner.objects.values_list("pk", "name"))
    for changeset in ChangeSet.objects.filter(pk__in=spanning, status="draft").order_by("pk"):
        items = ChangeSetItem.objects.filter(changeset=changeset)
        first_owner = items.order_by("pk").values_list(OWNER, flat=True).first()
        changeset.content_owner_id = first_owner
        changeset.save(update_fields=["content_owner"])
        for owner_id in sorted(owners_of[changeset.pk] - {first_owner}, key=lambda owner: owner or ""):
            part = ChangeSet.objects.create(
                title=f"{changeset.title or f'Change set {changeset.pk}'} ({names.get(owner_id) or 'no content owner'})"[
                    :255
                ],
                content_owner_id=owner_id,
                created_by_id=changeset.created_by_id,
                status="draft",
                needs_approval=changeset.needs_approval,
                revert_of_id=changeset.revert_of_id,
            )
            # owner_id None filters IS NULL: the videos of channels without a content owner.
            items.filter(**{OWNER: owner_id}).update(changeset=part)


class Migration(migrations.Migration):
    dependencies = [
        ("channels_app", "0003_api_token"),
        ("syncs", "0005_youtubereportfile_gone"),
    ]

    operations = [
        migrations.AddField(
            model_name="changeset",
            name="content_owner",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="changesets",
                to="channels_app.contentowner",
            ),
        ),
        migrations.RunPython(fill_content_owner, migrations.RunPython.noop),
    ]
