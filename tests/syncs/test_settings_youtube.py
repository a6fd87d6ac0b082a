"""The YouTube settings block, read by a fresh process as a deployment would."""

import secrets
import string

from cryptography.fernet import Fernet

from tests.ytcms_site.test_settings import PRINT_SETTINGS, environ, read_settings, run  # noqa: F401


def test_nothing_set_talks_to_google(environ):  # noqa: F811
    values = read_settings(
        environ,
        "YOUTUBE_API_ENDPOINT",
        "YOUTUBE_PARTNER_API_ENDPOINT",
        "YOUTUBE_REPORTING_API_ENDPOINT",
        "YOUTUBE_TOKEN_URI",
        "YOUTUBE_AUTH_URI",
        "YOUTUBE_DAILY_QUOTA",
        "YOUTUBE_QUOTA_RESERVE",
        "YOUTUBE_EMULATOR",
    )
    assert values == {
        "YOUTUBE_API_ENDPOINT": "https://youtube.googleapis.com/",
        "YOUTUBE_PARTNER_API_ENDPOINT": "https://youtubepartner.googleapis.com/",
        "YOUTUBE_REPORTING_API_ENDPOINT": "https://youtubereporting.googleapis.com/",
        "YOUTUBE_TOKEN_URI": "https://oauth2.googleapis.com/token",
        "YOUTUBE_AUTH_URI": "https://accounts.google.com/o/oauth2/auth",
        "YOUTUBE_DAILY_QUOTA": 10000,
        "YOUTUBE_QUOTA_RESERVE": 500,
        "YOUTUBE_EMULATOR": False,
    }


def test_one_endpoint_points_every_api_at_the_emulator(environ):  # noqa: F811
    environ["YOUTUBE_API_ENDPOINT"] = "http://127.0.0.1:8765/"
    values = read_settings(environ, "YOUTUBE_PARTNER_API_ENDPOINT", "YOUTUBE_REPORTING_API_ENDPOINT")
    assert set(values.values()) == {"http://127.0.0.1:8765/"}


def test_a_malformed_encryption_key_stops_the_start_without_showing_it(environ):  # noqa: F811
    environ["ENCRYPTION_KEYS"] = f"{Fernet.generate_key().decode()},not-a-key-s3cr3t"
    result = run(["-c", PRINT_SETTINGS, "ENCRYPTION_KEYS"], environ)
    assert result.returncode != 0
    assert "ENCRYPTION_KEYS: key 2 is not a Fernet key" in result.stderr
    assert "not-a-key-s3cr3t" not in result.stderr


def test_a_reserve_as_big_as_the_budget_stops_the_start(environ):  # noqa: F811
    environ["YOUTUBE_DAILY_QUOTA"], environ["YOUTUBE_QUOTA_RESERVE"] = "100", "100"
    result = run(["-c", PRINT_SETTINGS, "YOUTUBE_QUOTA_RESERVE"], environ)
    assert "YOUTUBE_QUOTA_RESERVE=100 leaves nothing" in result.stderr


def test_production_with_encryption_keys_passes_check_deploy(environ):  # noqa: F811
    environ["DEBUG"] = "false"
    environ["SECRET_KEY"] = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(64))
    environ["ALLOWED_HOSTS"] = "x.example.com"
    environ["ENCRYPTION_KEYS"] = Fernet.generate_key().decode()
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], environ)
    assert result.returncode == 0, result.stdout + result.stderr
