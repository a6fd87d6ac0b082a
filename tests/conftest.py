"""Shared fixtures: the three personas of STYLE.md and a small catalogue around them.

alice manages content owner A (channel A1 and A2), bob is a viewer of channel A1, charlie
manages content owner B and must see nothing of A.
"""

import itertools

import pytest
from django.contrib.auth.models import Group
from django.core.cache import caches
from django.test import Client

from channels_app.models import Channel, ContentOwner, Membership, Role
from videos.services import video_create

_video_numbers = itertools.count()


@pytest.fixture(autouse=True)
def _fast_test_settings(settings):
    # Real password hashing costs ~0.3 s per user; tests create many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # The manifest storage 500s without collectstatic; tests render admin pages without it.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    # Throttle counters are keyed by user and token ids, which every test database reuses; on
    # Redis they would outlive the test (and the run).
    caches["throttles"].clear()
    caches["dashboard"].clear()


@pytest.fixture(autouse=True)
def _no_quota_frame_outlives_its_test():
    # A quota_update held for its throttle window is sent by a timer thread, which writes the live
    # outbox: after the test, into the next test's database (SQLite: "database table is locked").
    from core.live.transport import reset_throttles

    yield
    reset_throttles()


def channel_id(seed: str) -> str:
    return ("UC" + (seed * 22))[:24]


def make_video_id(prefix: str = "v") -> str:
    return f"{prefix}{next(_video_numbers):010d}"[:11]


def remote_state(**overrides) -> dict:
    state = {
        "title": "A song",
        "description": "About the song",
        "tags": ["music", "live"],
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
    state.update(overrides)
    return state


@pytest.fixture
def make_video():
    def make(channel, *, video_id=None, **remote):
        return video_create(
            channel=channel,
            video_id=video_id or make_video_id(),
            remote=remote_state(**remote),
            source="api",
        )

    return make


@pytest.fixture
def owner_a(db):
    return ContentOwner.objects.create(id="owner-a", name="Label A")


@pytest.fixture
def owner_b(db):
    return ContentOwner.objects.create(id="owner-b", name="Label B")


@pytest.fixture
def channel_a1(owner_a):
    return Channel.objects.create(id=channel_id("a"), title="A One", content_owner=owner_a)


@pytest.fixture
def channel_a2(owner_a):
    return Channel.objects.create(id=channel_id("b"), title="A Two", content_owner=owner_a)


@pytest.fixture
def channel_b1(owner_b):
    return Channel.objects.create(id=channel_id("c"), title="B One", content_owner=owner_b)


def staff_user(django_user_model, username, group_name, **membership):
    """A staff user in the group; with membership arguments (content_owner/channel, role), a member too."""
    user = django_user_model.objects.create_user(username=username, password="pw", is_staff=True)
    user.groups.add(Group.objects.get(name=group_name))
    if membership:
        Membership.objects.create(user=user, **membership)
    return user


@pytest.fixture
def alice(django_user_model, owner_a):
    user = staff_user(django_user_model, "alice", "Rights manager")
    Membership.objects.create(user=user, content_owner=owner_a, role=Role.MANAGER)
    return user


@pytest.fixture
def bob(django_user_model, channel_a1):
    user = staff_user(django_user_model, "bob", "Viewer")
    Membership.objects.create(user=user, channel=channel_a1, role=Role.VIEWER)
    return user


@pytest.fixture
def charlie(django_user_model, owner_b):
    user = staff_user(django_user_model, "charlie", "Rights manager")
    Membership.objects.create(user=user, content_owner=owner_b, role=Role.MANAGER)
    return user


@pytest.fixture
def catalogue(channel_a1, channel_a2, channel_b1, make_video):
    """Two videos on A1, one on A2, one on B1."""
    return {
        "a1_song": make_video(channel_a1, video_id="a1song00001", title="Midnight Song", tags=["night"]),
        "a1_live": make_video(channel_a1, video_id="a1live00001", title="Live at Dawn"),
        "a2_clip": make_video(channel_a2, video_id="a2clip00001", title="Studio Clip"),
        "b1_secret": make_video(channel_b1, video_id="b1secret001", title="Secret Midnight Demo"),
    }


@pytest.fixture
def root(django_user_model):
    return django_user_model.objects.create_superuser(username="root", password="pw")


def browser(user) -> Client:
    """A test client signed in as the user that checks CSRF tokens, as a browser's requests carry them."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client
