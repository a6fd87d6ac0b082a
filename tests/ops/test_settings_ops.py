"""The operations settings as a fresh process reads them (as tests/ytcms_site/test_settings.py does)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
OPS_VARIABLES = {
    "DATABASE_URL",
    "REDIS_URL",
    "S3_BUCKET_NAME",
    "AWS_S3_ENDPOINT_URL",
    "LOG_FORMAT",
    "LOG_DIR",
    "LOG_TO_FILE",
    "LOG_LEVEL",
    "BACKUP_KEEP_DAILY",
    "DEBUG",
}

LOG_TWO_LINES = """
import django, logging
django.setup()
logging.getLogger("ytcms.check").warning("title %s", "a\\n2026-01-01 CRITICAL fake Bearer ya29.secret")
"""


@pytest.fixture
def environ(tmp_path):
    env = {name: value for name, value in os.environ.items() if name not in OPS_VARIABLES}
    env["DJANGO_SETTINGS_MODULE"] = "ytcms_site.settings"
    env["DEBUG"] = "true"  # development, as bin/run and bin/test run; DEBUG off needs a SECRET_KEY
    env["YTCMS_VAR_DIR"] = str(tmp_path / "var")
    return env


def run(code, env, *args):
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def read(env, name):
    code = "import json, sys\nfrom django.conf import settings\nprint(json.dumps(getattr(settings, sys.argv[1]), default=str))"
    result = run(code, env, name)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_backups_are_stored_in_var_backups_by_default(environ, tmp_path):
    storage = read(environ, "STORAGES")["backups"]
    assert storage["BACKEND"] == "django.core.files.storage.FileSystemStorage"
    assert storage["OPTIONS"]["location"] == str(tmp_path / "var" / "backups")


def test_with_a_bucket_backups_go_to_s3_encrypted_and_infrequent_access(environ):
    environ["S3_BUCKET_NAME"] = "ytcms-media"
    options = read(environ, "STORAGES")["backups"]["OPTIONS"]
    assert options["bucket_name"] == "ytcms-media" and options["location"] == "backups"
    assert options["object_parameters"] == {"ServerSideEncryption": "AES256", "StorageClass": "STANDARD_IA"}


def test_log_format_json_writes_json_lines_to_the_console_and_the_file_in_a_new_log_dir(environ, tmp_path):
    environ["LOG_FORMAT"] = "json"
    result = run(LOG_TWO_LINES, environ)
    assert result.returncode == 0, result.stderr
    (line,) = result.stderr.strip().splitlines()
    entry = json.loads(line)
    assert entry["logger"] == "ytcms.check" and entry["request_id"] == "-"
    assert entry["message"] == "title a\n2026-01-01 CRITICAL fake Bearer ***"
    assert (tmp_path / "var" / "log" / "ytcms.log").read_text().strip() == line


def test_log_to_file_off_configures_no_file_handler(environ, tmp_path):
    environ["LOG_TO_FILE"] = "false"
    logging = read(environ, "LOGGING")
    assert list(logging["handlers"]) == ["console"] and logging["root"]["handlers"] == ["console"]
    assert not (tmp_path / "var" / "log").exists()


def test_a_bad_log_format_stops_the_start_naming_it(environ):
    environ["LOG_FORMAT"] = "xml"
    result = run("from django.conf import settings; settings.DEBUG", environ)
    assert result.returncode != 0 and "LOG_FORMAT='xml'" in result.stderr


def test_a_bad_retention_stops_the_start_naming_it(environ):
    environ["BACKUP_KEEP_DAILY"] = "0"
    result = run("from django.conf import settings; settings.DEBUG", environ)
    assert result.returncode != 0 and "BACKUP_KEEP_DAILY=0 is below the minimum of 1" in result.stderr
