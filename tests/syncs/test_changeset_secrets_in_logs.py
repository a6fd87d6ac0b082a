"""A whole push, logged at DEBUG through the site's own handlers, never shows a secret."""

import logging

import pytest
from django.conf import settings as django_settings

from core.logging import PlainFormatter, RedactSecretsFilter
from syncs.changesets.edits import video_edit_in_changeset as video_update
from syncs.changesets.push import changeset_push
from syncs.changesets.services import changeset_queue
from syncs.models import ApiCall, ChangeSet, SyncRecord, YouTubeCredential

from .conftest import CLIENT_SECRET, ENCRYPTION_KEY, REFRESH_TOKEN_A

pytestmark = pytest.mark.django_db


class _Collect(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.lines = []
        self.addFilter(RedactSecretsFilter())
        self.setFormatter(PlainFormatter())

    def emit(self, record):
        self.lines.append(self.format(record))


def test_full_push_logs_no_token_or_secret(emulator, catalogue, owner_a, alice, connect):
    connect(owner_a)
    handler = _Collect()
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        video_update(video=catalogue["a1_song"], changes={"title": "Logged push"}, user=alice)
        changeset = ChangeSet.objects.get(created_by=alice, status=ChangeSet.Status.DRAFT)
        changeset_queue(changeset=changeset, user=alice, enqueue=False)
        changeset_push(changeset=changeset)
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)

    access_token = YouTubeCredential.objects.get(owner=owner_a).access_token
    assert access_token  # a token was really obtained during the push
    secrets = [REFRESH_TOKEN_A, CLIENT_SECRET, access_token, ENCRYPTION_KEY, django_settings.SECRET_KEY]
    logged = "\n".join(handler.lines)
    assert handler.lines, "the push logged nothing at all"
    for secret in secrets:
        assert secret not in logged
    stored = repr(list(ApiCall.objects.values())) + repr(list(SyncRecord.objects.values()))
    for secret in secrets:
        assert secret not in stored


def test_push_is_logged_with_duration_and_outcome(emulator, catalogue, owner_a, alice, connect, caplog):
    connect(owner_a)
    video_update(video=catalogue["a1_song"], changes={"title": "Timed push"}, user=alice)
    changeset = ChangeSet.objects.get(created_by=alice, status=ChangeSet.Status.DRAFT)
    changeset_queue(changeset=changeset, user=alice, enqueue=False)
    with caplog.at_level(logging.INFO, logger="ytcms.push"):
        changeset_push(changeset=changeset)
    (line,) = [r.getMessage() for r in caplog.records if r.name == "ytcms.push"]
    assert f"Change set {changeset.pk} push: ok in " in line
    assert " ms; status done." in line and "1 field done" in line
