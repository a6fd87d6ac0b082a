"""Set-up steps the cluster tests run in a process of their own against the cluster database.

The test process never opens the cluster database through Django (its own connection is the test
database of pytest-django), so every step that needs the ORM runs here:

    python -m tests.cluster.actions setup '{"videos": 500}'

Each action prints one JSON object on the last line of stdout.
"""

import json
import os
import sys

CHANNEL_ID = "UCcluster000000000000001"  # 24 characters, like every channel id
OWNER_ID = "owner-cluster"
ADMIN_PASSWORD = "cluster-admin-pass-8d1f"
EDITOR = "cluster-editor"
REFRESH_TOKEN = "1//cluster-refresh-token-0000"


def video_ids(count: int) -> list[str]:
    return [f"cl{n:09d}" for n in range(count)]


def setup(*, videos: int) -> dict:
    """The superuser, an editor, one content owner connected to the emulator and its videos."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from channels_app.models import Channel, ContentOwner, Membership, Role
    from syncs.services.connect import youtube_connect_refresh_token
    from videos.services import video_create

    users = get_user_model()
    users.objects.create_superuser(username="admin", email="", password=ADMIN_PASSWORD)
    editor = users.objects.create_user(username=EDITOR, password=ADMIN_PASSWORD, is_staff=True)
    editor.groups.add(Group.objects.get(name="Rights manager"))
    owner = ContentOwner.objects.create(id=OWNER_ID, name="Cluster label")
    Membership.objects.create(user=editor, content_owner=owner, role=Role.MANAGER)
    channel = Channel.objects.create(id=CHANNEL_ID, title="Cluster channel", content_owner=owner)
    for video_id in video_ids(videos):
        video_create(channel=channel, video_id=video_id, remote=remote_state(video_id), source="api")
    youtube_connect_refresh_token(owner=owner, refresh_token=REFRESH_TOKEN)
    return {"owner": owner.pk, "channel": channel.pk, "videos": videos}


def remote_state(video_id: str) -> dict:
    return {
        "title": video_id,
        "description": "Cluster video",
        "tags": ["cluster"],
        "category_id": "10",
        "default_language": "en",
        "privacy_status": "public",
        "embeddable": True,
        "public_stats_viewable": True,
        "license": "youtube",
        "self_declared_made_for_kids": False,
        "publish_at": None,
        "contains_synthetic_media": False,
        "localizations": {},
    }


def edit_and_queue(*, tag: str, videos: int, push_tasks: int) -> dict:
    """Add `tag` to the first `videos` videos (one bulk edit: one change set), queue it, and
    enqueue `push_tasks` push tasks in all.

    Queuing enqueues one push task; the extra ones let several workers share one change set
    (items are leased with SKIP LOCKED, so they never push the same item).
    """
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from syncs.changesets.edits import videos_bulk_edit_in_changeset as videos_bulk_edit
    from syncs.changesets.services import changeset_queue
    from syncs.models import ChangeSet
    from syncs.tasks import changeset_push_task
    from videos.models import Video
    from videos.services import BulkEdit

    editor = get_user_model().objects.get(username=EDITOR)
    chosen = Video.objects.filter(pk__in=video_ids(videos)).order_by("pk")
    edited = videos_bulk_edit(videos=chosen, edit=BulkEdit(add_tags=(tag,)), user=editor)
    changeset = ChangeSet.objects.get(status=ChangeSet.Status.DRAFT, created_by=editor)
    with transaction.atomic():
        changeset_queue(changeset=changeset, user=editor)
    # After the commit: queuing schedules its push task on commit and keeps at most one waiting per
    # change set, so extra tasks enqueued inside the transaction would stand in for it.
    for _ in range(push_tasks - 1):
        changeset_push_task.enqueue(changeset_id=changeset.pk)
    return {"changeset": changeset.pk, "items": changeset.items.count(), "edited": edited.updated}


ACTIONS = {"setup": setup, "edit_and_queue": edit_and_queue}


def main(argv: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ytcms_site.settings")
    import django

    django.setup()
    name, arguments = argv[1], json.loads(argv[2]) if len(argv) > 2 else {}
    if name not in ACTIONS:
        raise SystemExit(f"unknown action {name!r}; one of {', '.join(ACTIONS)}")
    print(json.dumps(ACTIONS[name](**arguments)))


if __name__ == "__main__":
    main(sys.argv)
