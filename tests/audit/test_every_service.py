"""Every state-changing service of syncs/changesets/services.py writes the audit log.

The list is read from the module: a new @transaction.atomic service without a scenario here fails
test_every_atomic_service_has_a_scenario, so it cannot land without its audit row being checked.
"""

import inspect

import pytest
from django.db import transaction

from core.audit.models import AuditEvent
from core.audit.services import audit_event_record
from syncs.changesets import services
from syncs.models import ChangeSet, ChangeSetItem
from videos.models import Asset, Claim, Policy

pytestmark = pytest.mark.django_db


def _draft(alice, catalogue) -> ChangeSet:
    services.changeset_record_edits(
        user=alice, edits={catalogue["a1_song"]: {"title": ("Midnight Song", "Noon")}}
    )
    return ChangeSet.objects.get()


def _record_edits(alice, catalogue):
    services.changeset_record_edits(
        user=alice, edits={catalogue["a1_song"]: {"title": ("Midnight Song", "Noon")}}
    )


def _approve(alice, catalogue):
    services.changeset_approve(changeset=_draft(alice, catalogue), user=alice)


def _queue(alice, catalogue):
    services.changeset_queue(changeset=_draft(alice, catalogue), user=alice, enqueue=False)


def _resolve(alice, catalogue):
    changeset = _draft(alice, catalogue)
    changeset.items.update(status=ChangeSetItem.Status.CONFLICT, theirs_value="Theirs")
    ChangeSet.objects.filter(pk=changeset.pk).update(status=ChangeSet.Status.HAS_CONFLICTS)
    services.changeset_resolve(items=list(changeset.items.all()), resolution="keep_theirs", user=alice)


def _revert(alice, catalogue):
    changeset = _draft(alice, catalogue)
    changeset.items.update(status=ChangeSetItem.Status.DONE)
    ChangeSet.objects.filter(pk=changeset.pk).update(status=ChangeSet.Status.DONE)
    changeset.refresh_from_db()
    services.changeset_revert(changeset=changeset, user=alice)


def _add_claim_insert(alice, catalogue):
    Asset.objects.create(id="A111", content_owner_id="owner-a", title="Asset")
    services.changeset_add_claim_insert(
        user=alice,
        video=catalogue["a1_song"],
        asset_id="A111",
        content_type="audio",
        rules=[{"action": "track"}],
    )


def _add_claim_policy(alice, catalogue):
    Asset.objects.create(id="A111", content_owner_id="owner-a", title="Asset")
    Policy.objects.create(id="P1", content_owner_id="owner-a", name="Monetize")
    claim = Claim.objects.create(
        id="C1", video=catalogue["a1_song"], asset_id="A111", policy_id="P1", content_type="audio"
    )
    services.changeset_add_claim_policy(user=alice, claim=claim, rules=[{"action": "block"}])


SCENARIOS = {
    "changeset_record_edits": (_record_edits, AuditEvent.Type.CHANGESET_EDITED),
    "changeset_approve": (_approve, AuditEvent.Type.CHANGESET_APPROVED),
    "changeset_queue": (_queue, AuditEvent.Type.CHANGESET_QUEUED),
    "changeset_resolve": (_resolve, AuditEvent.Type.CONFLICT_RESOLVED_THEIRS),
    "changeset_revert": (_revert, AuditEvent.Type.CHANGESET_REVERTED),
    "changeset_add_claim_insert": (_add_claim_insert, AuditEvent.Type.CLAIM_INSERT_RECORDED),
    "changeset_add_claim_policy": (_add_claim_policy, AuditEvent.Type.CLAIM_POLICY_RECORDED),
}


def atomic_services() -> set[str]:
    """The module's public functions that run in their own transaction: its writes."""
    return {
        name
        for name, function in inspect.getmembers(services, inspect.isfunction)
        if function.__module__ == services.__name__
        and not name.startswith("_")
        and hasattr(function, "__wrapped__")
    }


def test_every_atomic_service_has_a_scenario():
    assert atomic_services() == set(SCENARIOS)


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_the_service_writes_its_audit_row(name, alice, catalogue):
    scenario, event_type = SCENARIOS[name]

    scenario(alice, catalogue)

    written = AuditEvent.objects.filter(event_type=event_type)
    assert written.exists(), f"{name} wrote no {event_type} row"
    assert all(event.acting_user == alice and event.content_owner_id == "owner-a" for event in written)


# serialized_rollback: this test's flush must leave the content types for the next such test.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_audit_row_is_refused_outside_a_transaction(owner_a):
    with pytest.raises(RuntimeError, match="inside the transaction"):
        audit_event_record(event_type=AuditEvent.Type.VIDEO_EDITED, object_type="video", object_id="x")
    with transaction.atomic():
        audit_event_record(event_type=AuditEvent.Type.VIDEO_EDITED, object_type="video", object_id="x")
    assert AuditEvent.objects.count() == 1


def test_an_unknown_event_type_is_refused():
    with transaction.atomic(), pytest.raises(ValueError, match="Unknown audit event type"):
        audit_event_record(event_type="video.deleted", object_type="video", object_id="x")
