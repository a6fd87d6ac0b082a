"""The API answers a change-set refusal by its type (syncs/changesets/errors.py), not by guessing
from the change set's state which rule refused."""

import pytest

from syncs.api import _state_error
from syncs.changesets.errors import (
    ChangeSetError,
    ChangeSetNeedsApproval,
    ChangeSetNeedsOtherApprover,
    ChangeSetStateConflict,
)
from syncs.changesets.services import changeset_approve, changeset_queue
from syncs.models import ChangeSet, ChangeSetItem
from tests.api.conftest import error_codes

pytestmark = pytest.mark.django_db

URL = "/api/v1/changesets/"


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (ChangeSetNeedsOtherApprover("x"), 403, "four_eyes"),
        (ChangeSetNeedsApproval("x"), 409, "approval_required"),
        (ChangeSetStateConflict("x"), 409, "invalid_state"),
        (ChangeSetError("x"), 409, "invalid_state"),
    ],
)
def test_each_refusal_type_has_its_status_and_code(error, status, code):
    answer = _state_error(error)
    assert (answer.status_code, answer.get_codes()) == (status, code)
    assert str(answer.detail) == "x"


def test_the_services_raise_the_four_eyes_types(catalogue, alice, dora, settings):
    settings.CHANGESET_FOUR_EYES = True
    changeset = ChangeSet.objects.create(
        created_by=alice, content_owner_id=catalogue["a1_song"].channel.content_owner_id
    )
    ChangeSetItem.objects.create(
        changeset=changeset, video=catalogue["a1_song"], field="privacy_status", new_value="private"
    )

    with pytest.raises(ChangeSetNeedsOtherApprover):
        changeset_approve(changeset=changeset, user=alice)
    with pytest.raises(ChangeSetNeedsApproval):
        changeset_queue(changeset=changeset, user=alice, enqueue=False)
    changeset_approve(changeset=changeset, user=dora)
    with pytest.raises(ChangeSetStateConflict):
        changeset_approve(changeset=changeset, user=dora)


def test_an_emptied_four_eyes_draft_is_refused_for_being_empty_not_for_four_eyes(
    catalogue, alice_api, settings
):
    # Before, the API saw "needs approval and a draft" and answered four_eyes / approval_required,
    # whatever the service had refused: here the draft simply has nothing left in it.
    settings.CHANGESET_FOUR_EYES = True
    body = alice_api.post(
        URL, {"video_ids": ["a1song00001"], "edit": {"privacy_status": "private"}}, format="json"
    ).json()
    changeset = ChangeSet.objects.get(pk=body["changeset"]["id"])
    assert changeset.needs_approval is True
    changeset.items.all().delete()

    for action in ("approve", "push"):
        response = alice_api.post(f"{URL}{changeset.pk}/{action}/")
        assert response.status_code == 409, response.content
        assert error_codes(response) == [(None, "invalid_state")]
        assert "no items" in response.json()["errors"][0]["message"]
