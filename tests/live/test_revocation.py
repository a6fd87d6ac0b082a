"""An open /ws/live/ socket follows its user's access: lost memberships and flags take effect at once."""

import pytest
from django.db import transaction

from channels_app.models import Membership, Role
from syncs.changesets.edits import video_edit_in_changeset as video_update

from .conftest import connected, frames, in_thread, transactional

pytestmark = [transactional, pytest.mark.asyncio]


def retitle(video, title, *, by):
    video_update(video=video, changes={"title": title}, user=by)


async def sockets_of(cookie_of, *users):
    return {user.username: await connected(await in_thread(cookie_of)(user)) for user in users}


async def disconnect_all(sockets):
    for socket in sockets.values():
        await socket.disconnect()


async def settled(socket):
    """Give the socket time to handle an access_changed, which must send the browser nothing."""
    assert await socket.receive_nothing(timeout=1)


async def test_deleted_membership_stops_the_owners_frames_and_spares_the_others(
    alice, bob, charlie, root, catalogue, cookie_of
):
    sockets = await sockets_of(cookie_of, alice, bob, charlie)

    await in_thread(Membership.objects.filter(user=alice).delete)()
    await settled(sockets["alice"])

    def edits():
        retitle(catalogue["a1_song"], "After Alice", by=root)
        retitle(catalogue["b1_secret"], "B After Alice", by=root)

    await in_thread(edits)()

    assert await frames(sockets["alice"]) == []
    assert [f["title"] for f in await frames(sockets["bob"])] == ["After Alice"]
    assert [f["title"] for f in await frames(sockets["charlie"])] == ["B After Alice"]
    # Still active staff: alice's socket stays open, it only hears less.
    await sockets["alice"].send_json_to({"type": "ping"})
    assert (await sockets["alice"].receive_json_from(timeout=5))["type"] == "pong"
    await disconnect_all(sockets)


async def test_frame_queued_behind_the_revocation_is_not_relayed(alice, bob, root, catalogue, cookie_of):
    sockets = await sockets_of(cookie_of, alice, bob)

    def revoke_then_edit():
        # One commit sends access_changed and then the frame: both sit in alice's queue before her
        # socket reads its memberships again (its database thread is this one, still busy).
        with transaction.atomic():
            Membership.objects.filter(user=alice).delete()
            retitle(catalogue["a1_song"], "Right after", by=root)

    await in_thread(revoke_then_edit)()

    assert await frames(sockets["alice"]) == []
    assert [f["title"] for f in await frames(sockets["bob"])] == ["Right after"]
    await disconnect_all(sockets)


async def test_revocation_rolled_back_changes_nothing(alice, root, catalogue, cookie_of):
    sockets = await sockets_of(cookie_of, alice)

    def revoke_then_fail():
        with pytest.raises(RuntimeError), transaction.atomic():
            Membership.objects.filter(user=alice).delete()
            raise RuntimeError("the admin's save failed later on")

    await in_thread(revoke_then_fail)()
    await settled(sockets["alice"])
    await in_thread(retitle)(catalogue["a1_song"], "Still hers", by=root)

    assert [f["title"] for f in await frames(sockets["alice"])] == ["Still hers"]
    await disconnect_all(sockets)


async def test_new_membership_brings_the_owners_frames_without_reconnecting(
    charlie, root, catalogue, owner_a, cookie_of
):
    sockets = await sockets_of(cookie_of, charlie)
    await in_thread(retitle)(catalogue["a1_song"], "Before", by=root)
    assert await frames(sockets["charlie"]) == []

    await in_thread(Membership.objects.create)(user=charlie, content_owner=owner_a, role=Role.VIEWER)
    await settled(sockets["charlie"])
    await in_thread(retitle)(catalogue["a1_song"], "After", by=root)

    assert [f["title"] for f in await frames(sockets["charlie"])] == ["After"]
    await disconnect_all(sockets)


async def test_membership_moved_to_another_user_moves_the_frames(alice, charlie, root, catalogue, cookie_of):
    sockets = await sockets_of(cookie_of, alice, charlie)

    def move():
        # What the content owner's membership inline does when its user is changed.
        membership = Membership.objects.get(user=alice)
        membership.user = charlie
        membership.save()

    await in_thread(move)()
    await settled(sockets["alice"])
    await settled(sockets["charlie"])
    await in_thread(retitle)(catalogue["a1_song"], "Moved", by=root)

    assert await frames(sockets["alice"]) == []
    assert [f["title"] for f in await frames(sockets["charlie"])] == ["Moved"]
    await disconnect_all(sockets)


@pytest.mark.parametrize("flag", ["is_active", "is_staff"])
async def test_user_no_longer_active_staff_is_closed_with_4403(flag, alice, bob, root, catalogue, cookie_of):
    sockets = await sockets_of(cookie_of, alice, bob)

    def demote():
        setattr(alice, flag, False)
        alice.save()

    await in_thread(demote)()

    assert await sockets["alice"].receive_output(timeout=5) == {"type": "websocket.close", "code": 4403}
    await in_thread(retitle)(catalogue["a1_song"], "Bob still hears", by=root)
    assert [f["title"] for f in await frames(sockets["bob"])] == ["Bob still hears"]
    await sockets["bob"].disconnect()


async def test_deleted_user_is_closed_with_4401(alice, cookie_of):
    socket = await connected(await in_thread(cookie_of)(alice))

    await in_thread(alice.delete)()

    assert await socket.receive_output(timeout=5) == {"type": "websocket.close", "code": 4401}


async def test_superuser_demoted_hears_only_their_memberships(charlie, root, catalogue, cookie_of):
    sockets = await sockets_of(cookie_of, root, charlie)

    def demote():
        root.is_superuser = False
        root.is_staff = True
        root.save()

    await in_thread(demote)()
    await settled(sockets["root"])
    await in_thread(retitle)(catalogue["a1_song"], "Not for root", by=charlie)

    assert await frames(sockets["root"]) == []
    await disconnect_all(sockets)
