"""settings.py as a whole: each environment is read by a fresh process, as a deployment would."""

import json
import os
import re
import secrets
import string
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SETTINGS_FILE = REPO_ROOT / "ytcms_site" / "settings.py"
# Every variable settings.py reads, so the outer environment (e.g. DATABASE_URL for the
# PostgreSQL test run) cannot leak into the process under test.
SETTINGS_VARIABLES = set(re.findall(r"\benv_\w+\(\s*\"(\w+)\"", SETTINGS_FILE.read_text()))

# Reading settings imports settings.py only; django.setup() would load every app for nothing.
PRINT_SETTINGS = """
import json, sys
from django.conf import settings
print(json.dumps({name: getattr(settings, name) for name in sys.argv[1:]}, default=str))
"""


@pytest.fixture
def environ(tmp_path):
    """A fresh process's environment: development (DEBUG=true, as bin/run and bin/test set it), no
    other ytcms variable set, and var/ in tmp_path."""
    env = {name: value for name, value in os.environ.items() if name not in SETTINGS_VARIABLES}
    env["DJANGO_SETTINGS_MODULE"] = "ytcms_site.settings"
    env["DEBUG"] = "true"
    env["YTCMS_VAR_DIR"] = str(tmp_path / "var")
    return env


def run(args, env):
    return subprocess.run(
        [sys.executable, *args], env=env, cwd=REPO_ROOT, capture_output=True, text=True, timeout=120
    )


def read_settings(env, *names):
    result = run(["-c", PRINT_SETTINGS, *names], env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_the_settings_reader_knows_the_variables_settings_read():
    assert {"DATABASE_URL", "REDIS_URL", "S3_BUCKET_NAME", "DEBUG", "SECRET_KEY"} <= SETTINGS_VARIABLES


# ---- Nothing set: the embedded site


def test_nothing_set_uses_sqlite_in_the_var_dir(environ, tmp_path):
    database = read_settings(environ, "DATABASES")["DATABASES"]["default"]
    assert database["ENGINE"] == "django.db.backends.sqlite3"
    assert database["NAME"] == str(tmp_path / "var" / "ytcms.sqlite3")


def test_nothing_set_creates_the_var_dir(environ, tmp_path):
    read_settings(environ, "DEBUG")
    assert (tmp_path / "var").is_dir()


def test_nothing_set_uses_the_in_memory_channel_layer(environ):
    layers = read_settings(environ, "CHANNEL_LAYERS")["CHANNEL_LAYERS"]
    assert layers == {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


def test_nothing_set_stores_files_on_local_disk_in_the_var_dir(environ, tmp_path):
    values = read_settings(environ, "STORAGES", "MEDIA_ROOT")
    assert values["STORAGES"]["default"]["BACKEND"] == "django.core.files.storage.FileSystemStorage"
    assert values["MEDIA_ROOT"] == str(tmp_path / "var" / "media")


def test_nothing_set_runs_tasks_on_the_database_backend(environ):
    tasks = read_settings(environ, "TASKS")["TASKS"]
    assert tasks["default"]["BACKEND"] == "django_tasks_db.DatabaseBackend"


def test_debug_alone_is_development_with_a_generated_key(environ, tmp_path):
    values = read_settings(environ, "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS")
    assert values["DEBUG"] is True
    assert values["SECRET_KEY"] == (tmp_path / "var" / "dev_secret_key").read_text().strip()
    assert values["ALLOWED_HOSTS"] == ["localhost", "127.0.0.1", "[::1]"]


# ---- Services switched on by their variables


def test_postgres_database_url_uses_postgresql_with_checked_persistent_connections(environ):
    environ["DATABASE_URL"] = "postgres://ytcms:s3cret@db.example:5432/catalogue?sslmode=require"
    database = read_settings(environ, "DATABASES")["DATABASES"]["default"]
    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert (database["HOST"], database["PORT"], database["NAME"]) == ("db.example", "5432", "catalogue")
    assert database["CONN_MAX_AGE"] == 60
    assert database["CONN_HEALTH_CHECKS"] is True
    assert database["OPTIONS"] == {"sslmode": "require"}


def test_postgres_with_db_pool_uses_the_psycopg_pool_instead_of_persistent_connections(environ):
    environ["DATABASE_URL"] = "postgres://ytcms@db.example/catalogue"
    environ["DB_POOL"] = "true"
    database = read_settings(environ, "DATABASES")["DATABASES"]["default"]
    assert database["CONN_MAX_AGE"] == 0
    assert database["OPTIONS"]["pool"] == {"min_size": 1, "max_size": 10, "timeout": 10}


def test_redis_url_uses_the_redis_channel_layer_on_that_host(environ):
    environ["REDIS_URL"] = "redis://redis.example:6380/2"
    layer = read_settings(environ, "CHANNEL_LAYERS")["CHANNEL_LAYERS"]["default"]
    assert layer["BACKEND"] == "channels_redis.core.RedisChannelLayer"
    assert layer["CONFIG"]["hosts"] == [{"address": "redis://redis.example:6380/2", "socket_timeout": 30}]


def test_s3_bucket_name_stores_files_in_that_bucket_at_that_endpoint(environ):
    environ["S3_BUCKET_NAME"] = "ytcms-media"
    environ["AWS_S3_ENDPOINT_URL"] = "http://s3.example:9000"
    storage = read_settings(environ, "STORAGES")["STORAGES"]["default"]
    assert storage["BACKEND"] == "storages.backends.s3.S3Storage"
    assert storage["OPTIONS"]["bucket_name"] == "ytcms-media"
    assert storage["OPTIONS"]["endpoint_url"] == "http://s3.example:9000"


# ---- Bad configuration stops the process with the variable's name


def test_debug_off_without_secret_key_refuses_to_start(environ):
    environ["DEBUG"] = "false"
    result = run(["-c", PRINT_SETTINGS, "SECRET_KEY"], environ)
    assert result.returncode != 0
    assert "ImproperlyConfigured: SECRET_KEY is not set" in result.stderr


def test_debug_typo_refuses_to_start_naming_debug(environ):
    environ["DEBUG"] = "ture"
    result = run(["-c", PRINT_SETTINGS, "DEBUG"], environ)
    assert result.returncode != 0
    assert "ImproperlyConfigured: DEBUG='ture' is not a boolean" in result.stderr


# ---- Production


def test_production_settings_pass_check_deploy_without_warnings(environ):
    environ["DEBUG"] = "false"
    environ["SECRET_KEY"] = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(64))
    environ["ALLOWED_HOSTS"] = "example.com"
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], environ)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
