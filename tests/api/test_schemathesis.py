"""schemathesis against the live schema, through the WSGI app: no 5xx, and every response as the
schema says (status, content type, headers, body), and no answer without the token.

Bounded: 5 generated examples per operation on top of schemathesis' coverage cases (boundary
values of each parameter, undocumented methods): about 1,000 requests, 20-30 s on a quiet machine."""

import json

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
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
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
    ignored_auth,  # the same request without the token must be refused
]


def live_schema() -> dict:
    """The schema /api/schema/ serves, generated in-process: collection must not need a database.

    (schemathesis' lazy from_fixture loader does not run on pytest 9.)"""
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    return json.loads(OpenApiJsonRenderer().render(SchemaGenerator().get_schema(request=None, public=True)))


schema = schemathesis.openapi.from_dict(live_schema())
schema.app = get_wsgi_application()  # requests go to Django in-process, inside the test's transaction


@pytest.fixture
def alice_key(alice):
    return api_token_create(user=alice, name="schemathesis")[1]


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
def test_the_api_answers_as_its_schema_says(case, rights, alice_key, wsgi_keeps_the_test_connection):
    headers = {"Authorization": f"Bearer {alice_key}"}
    case.call_and_validate(headers=headers, checks=CHECKS)
    known = KNOWN_IDS.get(case.path)
    if known:
        case.path_parameters = {**(case.path_parameters or {}), "id": known}
        case.call_and_validate(headers=headers, checks=CHECKS)
