"""/ws/live/: who may connect, what they are told, and which events reach whom."""

import logging

import pytest
from django.db import transaction

from channels_app.models import Membership, Role
from syncs.changesets.edits import video_edit_in_changeset as video_update
from syncs.changesets.edits import videos_bulk_edit_in_changeset as videos_bulk_edit
from videos.services import BulkEdit, videos_acknowledge_drift
from ytcms_site.live.access import groups_for_user

from .conftest import communicator, connected, frames, in_thread, transactional

pytestmark = [transactional, pytest.mark.asyncio]


async def test_anonymous_connection_is_closed_with_4401():
    socket = communicator()
    accepted, _ = await socket.connect()
    assert accepted  # accepted only to say why: a refused handshake reaches the browser as 1006
    closing = await socket.receive_output(timeout=5)
    assert closing == {"type": "websocket.close", "code": 4401}


async def test_foreign_origin_is_refused_and_logged(alice, cookie_of, caplog):
    cookie = await in_thread(cookie_of)(alice)
    with caplog.at_level(logging.WARNING, logger="ytcms.live"):
        socket = communicator(cookie=cookie, origin=b"https://evil.example.net")
        accepted, _ = await socket.connect()
    assert not accepted
    refusals = [r for r in caplog.records if r.name == "ytcms.live" and "refused" in r.getMessage()]
    assert len(refusals) == 1
    assert "https://evil.example.net" in refusals[0].getMessage()


async def test_missing_origin_is_refused_and_logged(alice, cookie_of, caplog):
    cookie = await in_thread(cookie_of)(alice)
    with caplog.at_level(logging.WARNING, logger="ytcms.live"):
        accepted, _ = await communicator(cookie=cookie, origin=None).connect()
    assert not accepted
    assert any("origin (none)" in r.getMessage() for r in caplog.records if r.name == "ytcms.live")


async def test_allowed_origin_is_not_logged(alice, cookie_of, caplog):
    cookie = await in_thread(cookie_of)(alice)
    with caplog.at_level(logging.WARNING, logger="ytcms.live"):
        socket = await connected(cookie)
    assert not [r for r in caplog.records if r.name == "ytcms.live"]
    await socket.disconnect()


async def test_non_staff_user_is_closed_with_4403(django_user_model, owner_a, cookie_of):
    def make():
        user = django_user_model.objects.create_user(username="eve", password="pw")
        Membership.objects.create(user=user, content_owner=owner_a, role=Role.MANAGER)
        return cookie_of(user)

    socket = communicator(cookie=await in_thread(make)())
    await socket.connect()
    assert await socket.receive_output(timeout=5) == {"type": "websocket.close", "code": 4403}


async def test_connection_status_names_the_user_and_ping_gets_pong(alice, cookie_of):
    socket = communicator(cookie=await in_thread(cookie_of)(alice))
    accepted, _ = await socket.connect()
    assert accepted
    status = await socket.receive_json_from(timeout=5)
    assert status["type"] == "connection_status"
    assert status["status"] == "connected" and status["user"] == "alice"
    assert status["ts"].endswith("Z") and "T" in status["ts"]
    await socket.send_json_to({"type": "ping"})
    pong = await socket.receive_json_from(timeout=5)
    assert pong["type"] == "pong" and pong["ts"]
    await socket.send_to(text_data="not json")  # ignored, the connection stays up
    await socket.send_json_to({"type": "ping"})
    assert (await socket.receive_json_from(timeout=5))["type"] == "pong"
    await socket.disconnect()


async def test_groups_follow_memberships(alice, bob, charlie, root, channel_a1, channel_a2, owner_a, owner_b):
    assert await in_thread(groups_for_user)(alice) == ["live.owner.owner-a", "live.quota"]
    assert await in_thread(groups_for_user)(bob) == [f"live.channel.{channel_a1.pk}", "live.quota"]
    assert await in_thread(groups_for_user)(charlie) == ["live.owner.owner-b", "live.quota"]
    assert await in_thread(groups_for_user)(root) == ["live.all", "live.quota"]


async def test_video_update_reaches_those_who_see_the_video(alice, bob, charlie, root, catalogue, cookie_of):
    sockets = {
        user.username: await connected(await in_thread(cookie_of)(user))
        for user in (alice, bob, charlie, root)
    }

    def edit():
        video_update(video=catalogue["a1_song"], changes={"title": "Midnight Song (Live)"}, user=alice)

    await in_thread(edit)()

    for name in ("alice", "bob", "root"):
        received = await frames(sockets[name])
        (update,) = received
        assert update["type"] == "video_update"
        assert update["video_id"] == "a1song00001"
        assert update["title"] == "Midnight Song (Live)"
        assert update["channel_id"] == catalogue["a1_song"].channel_id
        assert update["content_owner_id"] == "owner-a"
        assert update["sync_status"] == "pending"
        assert update["pending_fields"] == ["title"]
        assert update["has_drift"] is False
        assert update["ts"]
    assert await frames(sockets["charlie"]) == []
    for socket in sockets.values():
        await socket.disconnect()


async def test_channel_viewer_hears_only_his_channel(alice, bob, catalogue, cookie_of):
    alice_socket = await connected(await in_thread(cookie_of)(alice))
    bob_socket = await connected(await in_thread(cookie_of)(bob))

    await in_thread(video_update)(video=catalogue["a2_clip"], changes={"title": "Studio Clip II"}, user=alice)

    assert [f["video_id"] for f in await frames(alice_socket)] == ["a2clip00001"]
    assert await frames(bob_socket) == []
    await alice_socket.disconnect()
    await bob_socket.disconnect()


async def test_outsider_hears_nothing_of_another_owner(alice, charlie, catalogue, cookie_of):
    charlie_socket = await connected(await in_thread(cookie_of)(charlie))
    alice_socket = await connected(await in_thread(cookie_of)(alice))

    def edits():
        video_update(video=catalogue["a1_live"], changes={"title": "Live at Noon"}, user=alice)
        videos_bulk_edit(
            videos=[catalogue["a1_song"], catalogue["a2_clip"]], edit=BulkEdit(add_tags=("x",)), user=alice
        )
        video_update(video=catalogue["b1_secret"], changes={"title": "B news"}, user=charlie)

    await in_thread(edits)()

    assert sorted(f["video_id"] for f in await frames(alice_socket)) == [
        "a1live00001",
        "a1song00001",
        "a2clip00001",
    ]
    assert [f["video_id"] for f in await frames(charlie_socket)] == ["b1secret001"]
    await alice_socket.disconnect()
    await charlie_socket.disconnect()


async def test_no_event_when_the_transaction_rolls_back(alice, catalogue, cookie_of):
    socket = await connected(await in_thread(cookie_of)(alice))

    def edit_then_fail():
        with pytest.raises(RuntimeError), transaction.atomic():
            video_update(video=catalogue["a1_song"], changes={"title": "Never saved"}, user=alice)
            raise RuntimeError("something later in the same transaction failed")

    await in_thread(edit_then_fail)()

    assert await frames(socket) == []
    await in_thread(video_update)(video=catalogue["a1_live"], changes={"title": "Saved"}, user=alice)
    assert [f["title"] for f in await frames(socket)] == ["Saved"]
    await socket.disconnect()


async def test_no_duplicates_for_a_member_of_the_owner_and_one_of_its_channels(
    alice, channel_a1, catalogue, cookie_of
):
    await in_thread(Membership.objects.create)(user=alice, channel=channel_a1, role=Role.VIEWER)
    assert await in_thread(groups_for_user)(alice) == ["live.owner.owner-a", "live.quota"]
    socket = await connected(await in_thread(cookie_of)(alice))

    await in_thread(video_update)(video=catalogue["a1_song"], changes={"title": "Once"}, user=alice)

    assert [f["title"] for f in await frames(socket)] == ["Once"]
    await socket.disconnect()


async def test_drift_acknowledged_is_a_video_update(alice, catalogue, cookie_of):
    video = catalogue["a1_song"]

    def drift():
        type(video).objects.filter(pk=video.pk).update(has_drift=True, drifted_fields=["title"])
        video.refresh_from_db()

    await in_thread(drift)()
    socket = await connected(await in_thread(cookie_of)(alice))

    await in_thread(videos_acknowledge_drift)(videos=[video], user=alice)

    (update,) = await frames(socket)
    assert (
        update["video_id"] == video.pk and update["has_drift"] is False and update["sync_status"] == "in_sync"
    )
    await socket.disconnect()
