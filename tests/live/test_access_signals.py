"""Which writes tell a user's sockets to recompute their groups (signals.py), and how often."""

import pytest
from django.contrib.auth.models import update_last_login
from django.db import transaction

from channels_app.models import Membership, Role
from core.live import transport


@pytest.fixture
def told(monkeypatch):
    """The set of user ids of each access_changed send; only the channel layer call is replaced."""
    sends: list[set] = []

    async def record(layer, *, user_ids):
        sends.append(set(user_ids))

    monkeypatch.setattr(transport, "_send_access_changed", record)
    transport._pending_user_ids().clear()
    return sends


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run what on_commit holds, as a real commit would (the test's own transaction never commits)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def test_deleting_a_membership_tells_its_user(alice, told, committed):
    with committed():
        Membership.objects.filter(user=alice).delete()
    assert told == [{alice.pk}]


def test_granting_a_membership_tells_its_user(charlie, owner_a, told, committed):
    with committed():
        Membership.objects.create(user=charlie, content_owner=owner_a, role=Role.VIEWER)
    assert told == [{charlie.pk}]


def test_moving_a_membership_tells_both_users(alice, charlie, told, committed):
    membership = Membership.objects.get(user=alice)
    with committed():
        membership.user = charlie
        membership.save()
    assert told == [{alice.pk, charlie.pk}]


def test_role_change_tells_nobody(alice, told, committed):
    membership = Membership.objects.get(user=alice)
    with committed() as callbacks:
        membership.role = Role.VIEWER
        membership.save()
    assert callbacks == []
    assert told == []


@pytest.mark.parametrize("flag", ["is_active", "is_staff", "is_superuser"])
def test_access_flag_change_tells_the_user(flag, alice, told, committed):
    with committed():
        setattr(alice, flag, not getattr(alice, flag))
        alice.save()
    assert told == [{alice.pk}]


def test_other_user_fields_tell_nobody(alice, told, committed):
    with committed() as callbacks:
        alice.first_name = "Alice"
        alice.set_password("another one")
        alice.save()
    assert callbacks == []
    assert told == []


def test_sign_in_tells_nobody_and_reads_nothing_more(alice, told, committed, django_assert_num_queries):
    with committed() as callbacks, django_assert_num_queries(1):  # the UPDATE of last_login alone
        update_last_login(None, alice)
    assert callbacks == []
    assert told == []


def test_new_user_tells_nobody(django_user_model, told, committed):
    with committed() as callbacks:
        django_user_model.objects.create_user(username="newcomer", password="pw", is_staff=True)
    assert callbacks == []
    assert told == []


def test_deleting_a_user_tells_them_once(alice, told, committed):
    alice_id = alice.pk
    with committed():
        alice.delete()  # the membership's cascade and the user's own deletion: one message
    assert told == [{alice_id}]


def test_many_changes_in_one_transaction_send_one_message_per_user(
    alice, charlie, channel_a1, channel_a2, channel_b1, told, committed
):
    with committed():
        with transaction.atomic():
            for channel in (channel_a1, channel_a2, channel_b1):
                Membership.objects.create(user=alice, channel=channel, role=Role.VIEWER)
            Membership.objects.filter(user=charlie).delete()
    assert told == [{alice.pk, charlie.pk}]
