from django.urls import reverse

from channels_app.selectors import channel_role_of, channels_editable_by, channels_visible_to


def test_channels_visible_to_each_persona(alice, bob, charlie, channel_a1, channel_a2, channel_b1):
    assert set(channels_visible_to(user=alice)) == {channel_a1, channel_a2}
    assert set(channels_visible_to(user=bob)) == {channel_a1}
    assert set(channels_visible_to(user=charlie)) == {channel_b1}


def test_viewer_can_edit_no_channel(bob, channel_a1):
    assert not channels_editable_by(user=bob).exists()


def test_strongest_role_wins(alice, channel_a1):
    assert channel_role_of(user=alice, channel_id=channel_a1.pk) == "manager"


def test_outsider_gets_404_on_foreign_channel(client, charlie, channel_a1):
    client.force_login(charlie)
    response = client.get(reverse("admin:channels_app_channel_change", args=[channel_a1.pk]))
    assert response.status_code == 404


def test_outsider_gets_404_on_foreign_content_owner(client, charlie, owner_a):
    client.force_login(charlie)
    response = client.get(reverse("admin:channels_app_contentowner_change", args=[owner_a.pk]))
    assert response.status_code == 404


def test_channel_list_is_scoped(client, bob, channel_a1, channel_a2, channel_b1):
    client.force_login(bob)
    response = client.get(reverse("admin:channels_app_channel_changelist"))
    assert {c.pk for c in response.context["cl"].result_list} == {channel_a1.pk}


def test_owner_manager_sees_memberships_inline(client, alice, bob, owner_a):
    client.force_login(alice)
    response = client.get(reverse("admin:channels_app_contentowner_change", args=[owner_a.pk]))
    assert response.status_code == 200
    assert "Membership" in response.content.decode()


def test_viewer_cannot_change_channel(client, bob, channel_a1):
    client.force_login(bob)
    response = client.post(
        reverse("admin:channels_app_channel_change", args=[channel_a1.pk]), {"title": "Mine now"}
    )
    assert response.status_code == 403
    channel_a1.refresh_from_db()
    assert channel_a1.title == "A One"


def test_anonymous_is_sent_to_login(client, channel_a1):
    response = client.get(reverse("admin:videos_video_changelist"))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_inactive_user_has_no_role(django_user_model, channel_a1):
    ghost = django_user_model.objects.create_superuser("ghost", password="pw", is_active=False)
    assert channel_role_of(user=ghost, channel_id=channel_a1.pk) is None
