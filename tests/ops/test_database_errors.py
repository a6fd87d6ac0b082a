"""Database errors are states, not tracebacks: one retry then 503 for a lost connection, 409 for conflicts."""

import pytest
from django.db import OperationalError, connection, transaction
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.urls import path

from channels_app.models import ContentOwner
from tests.ops.conftest import postgresql_only

calls = {"flaky": 0, "down": 0, "post": 0, "render": 0}


def flaky(request):
    calls["flaky"] += 1
    if calls["flaky"] == 1:
        raise OperationalError("server closed the connection unexpectedly")
    return HttpResponse("second try worked")


def down(request):
    calls["down"] += 1
    raise OperationalError("could not connect to server: Connection refused")


def write(request):
    calls["post"] += 1
    raise OperationalError("server closed the connection unexpectedly")


class FailsWhileRendering(TemplateResponse):
    def render(self):
        calls["render"] += 1
        if calls["render"] == 1:
            raise OperationalError("lost while rendering")
        self.content = b"rendered on the second try"
        self._is_rendered = True
        return self


def lazy(request):
    return FailsWhileRendering(request, "unused.html")


def duplicate(request):
    with transaction.atomic():
        ContentOwner.objects.create(id="dup-owner", name="First")
        ContentOwner.objects.create(id="dup-owner", name="Second")
    return HttpResponse("unreachable")


def count_owners(request):
    return HttpResponse(str(ContentOwner.objects.count()))


urlpatterns = [
    path("flaky", flaky),
    path("down", down),
    path("write", write),
    path("lazy", lazy),
    path("duplicate", duplicate),
    path("owners", count_owners),
]

# The retry closes broken connections, which needs database access even when the view has none.
pytestmark = [pytest.mark.urls("tests.ops.test_database_errors"), pytest.mark.django_db]


@pytest.fixture(autouse=True)
def _reset_calls():
    for name in calls:
        calls[name] = 0


def test_a_safe_request_is_retried_once_after_a_lost_connection(client):
    response = client.get("/flaky")
    assert response.status_code == 200 and response.content == b"second try worked"
    assert calls["flaky"] == 2


def test_a_lost_connection_while_rendering_is_retried_too(client):
    response = client.get("/lazy")
    assert response.status_code == 200 and response.content == b"rendered on the second try"


def test_a_database_that_stays_down_answers_503_with_a_message(client):
    response = client.get("/down")
    assert response.status_code == 503
    assert calls["down"] == 2
    assert b"The database cannot be reached right now" in response.content
    assert response["X-Request-ID"].encode() in response.content


def test_a_503_for_an_api_client_is_json(client):
    response = client.get("/down", headers={"Accept": "application/json"})
    assert response.status_code == 503
    assert response.json()["detail"].startswith("The database cannot be reached")
    assert response.json()["request_id"] == response["X-Request-ID"]


def test_a_write_is_not_retried(client):
    response = client.post("/write")
    assert response.status_code == 503
    assert calls["post"] == 1


def test_an_integrity_error_is_a_409_page_and_the_transaction_rolled_back_whole(client):
    response = client.post("/duplicate")
    assert response.status_code == 409
    assert b"Nothing was saved" in response.content
    assert not ContentOwner.objects.filter(id="dup-owner").exists()


@postgresql_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_connection_killed_by_the_server_is_replaced_on_the_retry(client, caplog):
    """A real lost connection: the server ends this backend; the retry opens a new one."""
    from ytcms_site.backups.engines import private_connection

    client.get("/owners")  # opens the connection the view will find dead
    pid = connection.connection.info.backend_pid
    with private_connection(connection.settings_dict) as killer, killer.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    response = client.get("/owners")
    assert response.status_code == 200
    assert "retrying once" in caplog.text
    assert connection.connection.info.backend_pid != pid
