"""Safe defaults: with nothing set the site is not in DEBUG, and no key comes from the repository.

Each case reads the settings in a fresh process, as a deployment starts (tests/ytcms_site/
test_settings.py does the same for the rest of the settings).
"""

import base64
import hashlib
import json
import os
import stat
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.ytcms_site.test_settings import SETTINGS_VARIABLES

REPO_ROOT = Path(__file__).resolve().parents[2]
# The key every checkout shared before keys were generated.
OLD_PUBLIC_KEY = "dev-only-ytcms-secret-key-not-for-production-0123456789abcdefghij"
A_SECRET_KEY = "k" * 20 + "-a-production-key-of-its-own-0123456789"
A_FERNET_KEY = "5kbBdEU3Oxx1N_uAaNBR-pScyZEMaJaHpbrFPJKoPT8="

PRINT_SETTINGS = """
import json, sys
from django.conf import settings
print(json.dumps({name: getattr(settings, name) for name in sys.argv[1:]}, default=str))
"""

WRONG_HOST_REQUEST = """
import django
django.setup()
from django.test import Client
response = Client(HTTP_HOST="attacker.example").get("/admin/")
print(response.status_code)
print(response.content.decode())
"""


@pytest.fixture
def environ(tmp_path):
    """A fresh process's environment with no ytcms variable set at all (DEBUG included), and not
    inside this test run (PYTEST_XDIST_WORKER would make a pytest it starts act as our worker)."""
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in SETTINGS_VARIABLES and not name.startswith("PYTEST_")
    }
    env["DJANGO_SETTINGS_MODULE"] = "ytcms_site.settings"
    env["YTCMS_VAR_DIR"] = str(tmp_path / "var")
    return env


def run(env, *args):
    return subprocess.run(
        [sys.executable, *args], env=env, cwd=REPO_ROOT, capture_output=True, text=True, timeout=120
    )


def read_settings(env, *names):
    result = run(env, "-c", PRINT_SETTINGS, *names)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_debug_unset_is_off(environ):
    environ["SECRET_KEY"] = A_SECRET_KEY
    assert read_settings(environ, "DEBUG") == {"DEBUG": False}


def test_nothing_set_refuses_to_start_naming_secret_key(environ):
    result = run(environ, "-c", PRINT_SETTINGS, "DEBUG")
    assert result.returncode != 0
    assert "ImproperlyConfigured: SECRET_KEY is not set" in result.stderr
    assert "DEBUG=true" in result.stderr  # and says what a developer should do instead


def test_a_wrong_host_with_debug_unset_gets_no_technical_page(environ):
    environ.update(
        SECRET_KEY=A_SECRET_KEY,
        ALLOWED_HOSTS="ytcms.example.com",
        DATABASE_URL="postgres://ytcms:db-pass-s3cret@127.0.0.1:9/ytcms",
        REDIS_URL="redis://:redis-pass-s3cret@127.0.0.1:9/0",
        LOG_TO_FILE="false",
    )
    result = run(environ, "-c", WRONG_HOST_REQUEST)
    assert result.returncode == 0, result.stderr
    status, body = result.stdout.split("\n", 1)
    assert status == "400"
    assert "db-pass-s3cret" not in body and "redis-pass-s3cret" not in body
    assert "DisallowedHost" not in body and "Traceback" not in body and A_SECRET_KEY not in body


def test_debug_on_generates_a_random_key_per_var_dir_that_persists(environ, tmp_path):
    environ["DEBUG"] = "true"
    first = read_settings(environ, "SECRET_KEY")["SECRET_KEY"]
    assert read_settings(environ, "SECRET_KEY")["SECRET_KEY"] == first  # read back, not redrawn
    environ["YTCMS_VAR_DIR"] = str(tmp_path / "another-checkout")
    other = read_settings(environ, "SECRET_KEY")["SECRET_KEY"]
    assert first != other
    assert OLD_PUBLIC_KEY not in (first, other) and len(first) >= 50
    key_file = tmp_path / "var" / "dev_secret_key"
    assert key_file.read_text().strip() == first
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_concurrent_first_starts_agree_on_the_keys(environ):
    environ["DEBUG"] = "true"
    with ThreadPoolExecutor(6) as pool:
        seen = list(pool.map(lambda _: read_settings(environ, "SECRET_KEY", "ENCRYPTION_KEYS"), range(6)))
    assert all(values == seen[0] for values in seen)


def old_derived_key(secret_key: str) -> str:
    """The key earlier versions derived from SECRET_KEY while DEBUG was on."""
    digest = hashlib.sha256(b"ytcms encryption key for development:" + secret_key.encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()


def test_debug_on_generates_an_encryption_key_not_derived_from_secret_key(environ, tmp_path):
    environ["DEBUG"] = "true"
    environ["SECRET_KEY"] = A_SECRET_KEY
    keys = read_settings(environ, "ENCRYPTION_KEYS")["ENCRYPTION_KEYS"]
    assert len(keys) == 1 and keys[0] != old_derived_key(A_SECRET_KEY)
    key_file = tmp_path / "var" / "dev_encryption_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    # The same SECRET_KEY in another checkout gives another key: it is no function of SECRET_KEY.
    environ["YTCMS_VAR_DIR"] = str(tmp_path / "another-checkout")
    assert read_settings(environ, "ENCRYPTION_KEYS")["ENCRYPTION_KEYS"] != keys


def test_keys_from_the_environment_win_and_nothing_is_generated(environ, tmp_path):
    environ.update(DEBUG="true", SECRET_KEY=A_SECRET_KEY, ENCRYPTION_KEYS=A_FERNET_KEY)
    values = read_settings(environ, "SECRET_KEY", "ENCRYPTION_KEYS")
    assert values == {"SECRET_KEY": A_SECRET_KEY, "ENCRYPTION_KEYS": [A_FERNET_KEY]}
    assert not (tmp_path / "var" / "dev_secret_key").exists()
    assert not (tmp_path / "var" / "dev_encryption_key").exists()


def test_debug_off_generates_no_encryption_key(environ, tmp_path):
    environ["SECRET_KEY"] = A_SECRET_KEY
    assert read_settings(environ, "ENCRYPTION_KEYS") == {"ENCRYPTION_KEYS": []}
    assert not (tmp_path / "var" / "dev_encryption_key").exists()


# ---- How the project's own scripts start it


@pytest.mark.slow  # bin/test itself, a pytest run of its own
def test_bin_test_runs_with_nothing_set(environ, tmp_path):
    environ.pop("DEBUG", None)
    environ["YTCMS_BROWSER_TESTS"] = "0"
    result = subprocess.run(
        ["bin/test", "tests/ytcms_site/test_env.py", "-q", "-p", "no:cacheprovider"],
        env=environ,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert (tmp_path / "var" / "dev_secret_key").exists()


def test_development_scripts_turn_debug_on_and_images_turn_it_off():
    for script in ("bin/run", "bin/test"):
        assert "export DEBUG=${DEBUG:-true}" in (REPO_ROOT / script).read_text(), script
    assert "DEBUG=false" in (REPO_ROOT / "Dockerfile").read_text()
    assert 'DEBUG: "false"' in (REPO_ROOT / "docker-compose.yml").read_text()
