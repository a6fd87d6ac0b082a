"""Logs that explain and cannot be forged: one line per record, request ids, no secrets.

The tests read what the configured console handler (settings.LOGGING) writes, so they cover the
wiring as well as the formatters and filters.
"""

import io
import json
import logging

import pytest
from django.http import HttpResponse
from django.urls import path

from core.logging import JsonFormatter, PlainFormatter, forget_configured_secrets, redact

FAKE_LINE = "2026-01-01 CRITICAL fake"
logger = logging.getLogger("ytcms.tests")


@pytest.fixture
def console():
    """What the configured console handler writes during the test."""
    handler = next(h for h in logging.getLogger().handlers if h.name == "console")
    stream = io.StringIO()
    # Swapped without setStream, which flushes the old stream first: a stream an earlier test left
    # there (pytest's capture of that test, closed since) must not fail this one.
    with handler.lock:
        previous, handler.stream = handler.stream, stream
    try:
        yield stream
    finally:
        with handler.lock:
            handler.stream = previous


@pytest.fixture
def json_console(console):
    handler = next(h for h in logging.getLogger().handlers if h.name == "console")
    previous = handler.formatter
    handler.setFormatter(JsonFormatter())
    try:
        yield console
    finally:
        handler.setFormatter(previous)


def records(stream) -> list[str]:
    return [line for line in stream.getvalue().splitlines() if line]


# ---- forged lines


def test_a_title_with_a_newline_stays_on_its_own_line(console):
    title = f"Night Drive\n{FAKE_LINE} payment system breached"
    logger.warning("video %s renamed to %s", "a1song00001", title)
    (line,) = records(console)
    assert "Night Drive\\n2026-01-01 CRITICAL fake payment system breached" in line
    assert not any(entry.startswith("2026-01-01 CRITICAL") for entry in console.getvalue().splitlines())


def test_carriage_returns_escapes_and_unicode_line_breaks_are_escaped(console):
    logger.warning("title %s", f"a\r{FAKE_LINE}\x1b[2Jb\u2028{FAKE_LINE}\x85c")
    (line,) = records(console)
    assert "a\\r2026" in line and "\\x1b[2J" in line and "\\u2028" in line and "\\x85c" in line


def test_a_traceback_is_indented_so_no_line_of_it_passes_for_a_record(console):
    try:
        raise ValueError(f"bad title\n{FAKE_LINE}")
    except ValueError:
        logger.exception("import failed for %s", "a1song00001")
    lines = console.getvalue().splitlines()
    assert lines[0].endswith("import failed for a1song00001")
    assert all(line.startswith("    ") for line in lines[1:])
    assert not any(line.startswith("2026-01-01 CRITICAL") for line in lines)


@pytest.mark.urls("tests.ops.test_logging")
def test_a_request_path_with_a_newline_cannot_forge_djangos_not_found_line(client, console):
    client.get("/nothing%0A2026-01-01%20CRITICAL%20fake")
    lines = [line for line in console.getvalue().splitlines() if "Not Found" in line]
    assert len(lines) == 1 and "\\n2026-01-01 CRITICAL fake" in lines[0]
    assert not any(line.startswith("2026-01-01 CRITICAL") for line in console.getvalue().splitlines())


def test_json_lines_are_one_object_per_record_with_the_extra_fields(json_console):
    logger.info("pushed %s", f"t\n{FAKE_LINE}\u2028x", extra={"video_id": "a1song00001", "duration_ms": 12})
    (line,) = records(json_console)
    entry = json.loads(line)
    assert entry["message"] == f"pushed t\n{FAKE_LINE}\u2028x"
    assert entry["level"] == "INFO" and entry["logger"] == "ytcms.tests"
    assert entry["video_id"] == "a1song00001" and entry["duration_ms"] == 12
    assert entry["request_id"] == "-"
    assert entry["time"].endswith("+00:00")


def test_json_lines_carry_the_traceback_inside_the_object(json_console):
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        logger.exception("failed")
    (line,) = records(json_console)
    assert "RuntimeError: boom" in json.loads(line)["exception"]


# ---- secrets


SECRET_SHAPES = [
    ("Authorization: Bearer ya29.a0AfH6SMBx-secret_token", "ya29.a0AfH6SMBx"),
    ("token ya29.A0ARrdaM-abc.def_ghi", "A0ARrdaM"),
    ("refresh 1//0gLkQ2-verySecretRefreshToken_x", "verySecretRefreshToken"),
    (
        "POST /token body=grant_type=refresh_token&refresh_token=1%2F%2F0gSecretValue&client_id=x",
        "0gSecretValue",
    ),
    ("GET /cb?state=s&code=4/0AX4XfWsecretcode&scope=x", "0AX4XfWsecretcode"),
    ("access_token=abc.def.ghi-secret&expires_in=3599", "abc.def.ghi-secret"),
    ('{"client_secret": "GOCSPX-secretvalue123", "client_id": "x"}', "GOCSPX-secretvalue123"),
    ("{'refresh_token': 'plain-secret-value-42'}", "plain-secret-value-42"),
    (
        "GET https://youtube.googleapis.com/youtube/v3/videos?key=AIzaSyA1234567890abcdefghijklmnopqrstu",
        "AIzaSyA12345",
    ),
    ("could not connect to postgres://ytcms:db-pass-secret@db:5432/ytcms", "db-pass-secret"),
    ("Authorization: Token ytc_Qm9vT2ZUaGVBcGlUb2tlbnNBcmVMb25nRW5vdWdo", "Qm9vT2ZUaGVBcGlUb2tlbnNB"),
]


@pytest.mark.parametrize(("text", "secret"), SECRET_SHAPES)
def test_known_secret_shapes_are_redacted(console, text, secret):
    logger.warning("youtube call: %s", text)
    (line,) = records(console)
    assert secret not in line and "***" in line


def test_configured_secret_values_are_redacted_wherever_they_appear(settings, console):
    settings.SECRET_KEY = "s" * 20 + "-the-django-secret-key-value-0123456789"
    settings.ENCRYPTION_KEYS = ["Zm9vYmFyYmF6cXV4cXV1eHF1dXhxdXV4cXV1eHF1dXg="]
    forget_configured_secrets()
    logger.error("settings dump: %r %s", settings.SECRET_KEY, settings.ENCRYPTION_KEYS)
    (line,) = records(console)
    assert settings.SECRET_KEY not in line
    assert settings.ENCRYPTION_KEYS[0] not in line


def test_a_secret_in_an_exception_message_is_redacted_in_the_traceback(console):
    try:
        raise PermissionError("token refresh failed for Bearer ya29.secret-in-exception")
    except PermissionError:
        logger.exception("refresh failed")
    assert "secret-in-exception" not in console.getvalue()
    assert "Bearer ***" in console.getvalue()


def test_a_secret_in_json_extra_fields_is_redacted(json_console):
    logger.info("call", extra={"request_headers": {"Authorization": "Bearer ya29.in-extra-field"}})
    assert "in-extra-field" not in json_console.getvalue()


def test_the_youtube_logger_redacts_a_token_in_its_records(console):
    # syncs logs every Google call through "ytcms.youtube"; whatever ends up in its message is cleaned.
    logging.getLogger("ytcms.youtube").warning(
        "youtube.videos.update owner=%s failed (401 authError: Invalid Credentials for %s)",
        "owner-a",
        "access_token=ya29.leaked-token-value",
    )
    assert "leaked-token-value" not in console.getvalue()


def test_ordinary_text_is_left_alone():
    text = "video a1song00001 title 'Key=Value: the code of 1//2 songs' pushed in 120 ms"
    assert redact(text) == text


def test_plain_formatter_alone_escapes_and_redacts():
    record = logging.LogRecord(
        "x", logging.INFO, __file__, 1, "t %s", (f"a\n{FAKE_LINE} Bearer abc.def",), None
    )
    line = PlainFormatter().format(record)
    assert "\n" not in line and "abc.def" not in line


# ---- request ids


def log_in_view(request):
    logger.warning("working on %s", request.path)
    return HttpResponse("ok")


urlpatterns = [path("work", log_in_view)]


@pytest.mark.urls("tests.ops.test_logging")
def test_every_line_of_a_request_carries_its_id_and_the_response_says_it(client, console):
    response = client.get("/work")
    request_id = response["X-Request-ID"]
    assert len(request_id) == 32
    (line,) = records(console)
    assert f"[{request_id}] working on /work" in line


@pytest.mark.urls("tests.ops.test_logging")
def test_djangos_own_lines_after_the_response_carry_the_id_too(client, console):
    response = client.get("/missing")
    (line,) = [line for line in records(console) if "Not Found" in line]
    assert f"[{response['X-Request-ID']}]" in line


@pytest.mark.urls("tests.ops.test_logging")
def test_a_sane_incoming_request_id_is_kept(client, console):
    response = client.get("/work", headers={"X-Request-ID": "lb-7f3a9c21.abc:42"})
    assert response["X-Request-ID"] == "lb-7f3a9c21.abc:42"
    assert "[lb-7f3a9c21.abc:42]" in records(console)[0]


@pytest.mark.urls("tests.ops.test_logging")
@pytest.mark.parametrize("incoming", ["x" * 129, "id with spaces", "id\nforged", "'quoted'", ""])
def test_an_odd_incoming_request_id_is_replaced(client, incoming):
    response = client.get("/work", headers={"X-Request-ID": incoming})
    assert response["X-Request-ID"] != incoming and len(response["X-Request-ID"]) == 32


@pytest.mark.urls("tests.ops.test_logging")
def test_two_requests_get_two_ids(client):
    assert client.get("/work")["X-Request-ID"] != client.get("/work")["X-Request-ID"]


@pytest.mark.asyncio
@pytest.mark.urls("tests.ops.test_logging")
async def test_the_request_id_reaches_log_lines_under_asgi(async_client, console):
    response = await async_client.get("/work")
    assert f"[{response['X-Request-ID']}] working on /work" in console.getvalue()


def test_the_rotating_file_handler_is_configured_from_settings(settings):
    handler = next(h for h in logging.getLogger().handlers if h.name == "file")
    assert isinstance(handler, logging.handlers.RotatingFileHandler)
    assert handler.baseFilename == str(settings.LOG_DIR / "ytcms.log")
    assert handler.maxBytes == 10 * 2**20 and handler.backupCount == 10
    assert {type(f).__name__ for f in handler.filters} == {
        "RequestIdFilter",
        "ClientErrorTracebackFilter",
        "RedactSecretsFilter",
    }
