"""schemathesis against the live schema, through the WSGI app: no 5xx, and every response as the
schema says (status, content type, headers, body), and no answer without the token.

Bounded: 5 generated examples per operation on top of schemathesis' coverage cases (boundary
values of each parameter, undocumented methods); the reports, change-set, audit and quota
endpoints included, each also called on a row alice owns (a report with a row error, a change
set with a conflict, an audit row).

The schema is loaded lazily (schemathesis.pytest.from_fixture): collecting this module builds
nothing, and the test runs every operation as a subtest of one item when it runs. Every example
starts from the same rows (a savepoint rolled back after it), whichever operation ran before."""

import json

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    ignored_auth,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from channels_app.authentication import api_token_create

# Objects alice may see, so that some generated requests reach real rows, not only 404s.
KNOWN_IDS = {
    "/api/v1/videos/{id}/": "a1song00001",
    "/api/v1/channels/{id}/": "UCaaaaaaaaaaaaaaaaaaaaaa",
    "/api/v1/content-owners/{id}/": "owner-a",
    "/api/v1/assets/{id}/": "A100000000001",
    "/api/v1/policies/{id}/": "policy-a",
    "/api/v1/claims/{id}/": "claim-a1",
}
# Paths whose known object is made per test (its id is the database's): path → (parameter, name).
KNOWN_ROWS = {
    "/api/v1/reports/{id}/": ("id", "report"),
    "/api/v1/reports/{id}/failed-rows.csv/": ("id", "report"),
    "/api/v1/reports/{id}/rerun/": ("id", "report"),
    "/api/v1/reports/{report_pk}/errors/": ("report_pk", "report"),
    "/api/v1/changesets/{id}/": ("id", "changeset"),
    "/api/v1/changesets/{id}/preview/": ("id", "changeset"),
    "/api/v1/changesets/{id}/approve/": ("id", "changeset"),
    "/api/v1/changesets/{id}/push/": ("id", "changeset"),
    "/api/v1/changesets/{id}/revert/": ("id", "changeset"),
    "/api/v1/changesets/{id}/resolve/": ("id", "changeset"),
    "/api/v1/changesets/{changeset_pk}/items/": ("changeset_pk", "changeset"),
    "/api/v1/syncs/{id}/": ("id", "sync_record"),
}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
    ignored_auth,  # the same request without the token must be refused
]


def live_schema() -> dict:
    """The schema /api/schema/ serves, generated in-process (no request, no database)."""
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    return json.loads(OpenApiJsonRenderer().render(SchemaGenerator().get_schema(request=None, public=True)))


@pytest.fixture(scope="session")
def api_schema():
    schema = schemathesis.openapi.from_dict(live_schema())
    schema.app = get_wsgi_application()  # requests go to Django in-process, inside the test's transaction
    return schema


schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.fixture
def node_id_for_schemathesis(request):
    # schemathesis 4.32's lazy loader renames the item per operation through Node._nodeid, which
    # pytest 9.2 no longer has (its node ids are Node._id): give it the attribute it reads and
    # writes. Subtest reports still name each operation (their label).
    request.node._nodeid = request.node.nodeid


@pytest.fixture
def alice_key(alice):
    return api_token_create(user=alice, name="schemathesis")[1]


@pytest.fixture
def alices_rows(rights, alice, owner_a, settings, tmp_path):
    """A report with a row error, a change set with a conflict and an audit row, all of owner A."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from reports.models import ReportRowError
    from reports.services import report_create_from_upload
    from syncs.changesets.edits import video_edit_in_changeset as video_update
    from syncs.models import ChangeSet, ChangeSetItem, SyncRecord

    settings.MEDIA_ROOT = str(tmp_path / "media")  # generated uploads that pass are stored here
    report = report_create_from_upload(
        uploaded_file=SimpleUploadedFile("a4.csv", b"video_id,video_title\nbad,x\n"),
        user=alice,
        content_owner=owner_a,
    )
    ReportRowError.objects.create(
        report=report, line_number=2, column="video_id", reason="bad id", raw=["bad", "x"]
    )
    video = rights["claim_a"].video
    video_update(video=video, changes={"title": "Known title"}, user=alice)
    changeset = ChangeSet.objects.get(created_by=alice)
    ChangeSetItem.objects.filter(changeset=changeset).update(status="conflict", theirs_value="Theirs")
    record = SyncRecord.objects.create(video=video, user=alice, changeset=changeset, status="conflict")
    return {"report": report.pk, "changeset": changeset.pk, "sync_record": record.pk}


@pytest.fixture
def wsgi_keeps_the_test_connection():
    # A WSGI request ends with close_old_connections, which on PostgreSQL would close the
    # connection that holds the test's transaction; Django's test Client unhooks it the same way.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(
    max_examples=5,
    deadline=None,
    derandomize=True,
    database=None,  # no .hypothesis/ folder in the checkout: derandomized runs need no replay store
    suppress_health_check=list(HealthCheck),
)
@pytest.mark.django_db
@pytest.mark.usefixtures("node_id_for_schemathesis")
def test_the_api_answers_as_its_schema_says(case, alices_rows, alice_key, wsgi_keeps_the_test_connection):
    headers = {"Authorization": f"Bearer {alice_key}"}
    savepoint = transaction.savepoint_create()
    try:
        case.call_and_validate(headers=headers, checks=CHECKS)
        known = {"id": KNOWN_IDS[case.path]} if case.path in KNOWN_IDS else None
        if case.path in KNOWN_ROWS:
            parameter, name = KNOWN_ROWS[case.path]
            known = {parameter: alices_rows[name]}
        if known:
            case.path_parameters = {**(case.path_parameters or {}), **known}
            case.call_and_validate(headers=headers, checks=CHECKS)
    finally:
        # All operations share the test's rows: what one example changed, the next must not see.
        transaction.savepoint_rollback(savepoint)
