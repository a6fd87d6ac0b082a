"""Title and tag search ignore accents (#15), on SQLite and PostgreSQL, in the video admin.

"canon" and "CANON" find "Cañón" (in a title and in a tag); a video id still matches only exactly;
the search stays inside the user's scope. The API's `search` (the same videos_search) is in
tests/api/test_accent_search_api.py; the PostgreSQL index in test_accent_search_postgres.py.
"""

import pytest
from django.urls import reverse

from videos.lookups import fold_accents

CHANGELIST = reverse("admin:videos_video_changelist")


@pytest.fixture
def accented(channel_a1, channel_a2, channel_b1, make_video):
    return {
        "title": make_video(channel_a1, video_id="canyon00001", title="Cañón del Sumidero", tags=["travel"]),
        "tag": make_video(channel_a2, video_id="canyontag01", title="Road trip", tags=["Cañón", "río"]),
        "plain": make_video(channel_a1, video_id="other000001", title="Midnight Song", tags=["night"]),
        "outsider": make_video(channel_b1, video_id="canyonb0001", title="Cañón secreto", tags=["Cañón"]),
    }


def searched(client, user, term) -> set[str]:
    client.force_login(user)
    response = client.get(CHANGELIST, {"q": term})
    assert response.status_code == 200
    return {video.pk for video in response.context["cl"].result_list}


@pytest.mark.parametrize("term", ["canon", "CANON", "Canon", "cañón", "CAÑÓN"])
def test_search_without_accents_finds_accented_title_and_tag(client, alice, accented, term):
    assert searched(client, alice, term) == {"canyon00001", "canyontag01"}


def test_accented_search_still_finds_a_plain_title(client, alice, accented):
    assert searched(client, alice, "mídnight") == {"other000001"}


def test_accent_search_combines_words(client, alice, accented):
    assert searched(client, alice, "canon sumidero") == {"canyon00001"}
    assert searched(client, alice, "canon rio") == {"canyontag01"}


def test_video_id_still_matches_only_exactly(client, alice, accented):
    assert searched(client, alice, "canyon00001") == {"canyon00001"}
    assert searched(client, alice, "canyon0000") == set()  # a prefix of an id is no id


def test_accent_search_never_crosses_the_scope(client, alice, bob, charlie, accented):
    assert searched(client, charlie, "canon") == {"canyonb0001"}
    assert searched(client, bob, "canon") == {"canyon00001"}  # A1 only: the tag match is on A2
    assert searched(client, charlie, "canyon00001") == set()


def test_like_wildcards_in_the_search_are_literal(client, alice, accented):
    assert searched(client, alice, "ca%n") == set()
    assert searched(client, alice, "c_n") == set()


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Cañón", "Canon"),
        ("CAÑÓN", "CANON"),
        ("Straße", "Strasse"),
        ("Ærø", "AEro"),
        ("안녕", "안녕"),
        ("", ""),
    ],
)
def test_fold_accents(text, folded):
    assert fold_accents(text) == folded
