"""`make run`'s terminal (#15): what a person needs, no noise, and a quiet stop on Ctrl-C.

bin/run is started as `make run` starts it, in a session of its own, with its own var/ and ports;
a person signs in, is refused a page (403), downloads a CSV, and presses Ctrl-C (SIGINT to the
whole process group, as a terminal sends it). Takes about a minute (migrate, load_demo, the
emulator), hence the `slow` marker.
"""

import logging
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter

import pytest
import requests

from core.logging import ClientErrorTracebackFilter, PlainFormatter
from tests.ops.test_client_address import REPO_ROOT, free_port
from tests.ytcms_site.test_settings import SETTINGS_VARIABLES

STAFF_WITHOUT_PERMISSIONS = """
import django
django.setup()
from django.contrib.auth import get_user_model
get_user_model().objects.create_user("nopermission", password="nopermission-pw-1", is_staff=True)
"""


@pytest.fixture
def run(tmp_path):
    """bin/run on free ports with a var/ of its own; yields (process, output lines, env, base URL)."""
    env = {name: value for name, value in os.environ.items() if name not in SETTINGS_VARIABLES}
    env.pop("YOUTUBE_EMULATOR_PORT", None)
    port = free_port()
    env.update(
        DJANGO_SETTINGS_MODULE="ytcms_site.settings",
        YTCMS_VAR_DIR=str(tmp_path / "var"),
        HOST="127.0.0.1",
        PORT=str(port),
        YOUTUBE_EMULATOR_PORT=str(free_port()),
    )
    process = subprocess.Popen(
        [str(REPO_ROOT / "bin/run")],
        env=env,
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(process.stdout), daemon=True)
    reader.start()
    try:
        yield process, lines, env, f"http://127.0.0.1:{port}"
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)
        reader.join(timeout=10)


def sign_in(base: str, username: str, password: str) -> requests.Session:
    browser = requests.Session()
    page = browser.get(f"{base}/admin/login/", timeout=30).text
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    response = browser.post(
        f"{base}/admin/login/",
        data={"csrfmiddlewaretoken": token, "username": username, "password": password, "next": "/admin/"},
        timeout=30,
    )
    assert response.url.endswith("/admin/"), response.text[:500]
    return browser


@pytest.mark.slow
def test_run_prints_what_a_person_needs_and_stops_quietly_on_ctrl_c(run):
    process, lines, env, base = run
    deadline = time.monotonic() + 240
    while not any("ytcms is up at" in line for line in lines):
        assert process.poll() is None, "".join(lines)
        assert time.monotonic() < deadline, "".join(lines)
        time.sleep(0.5)
    time.sleep(1)  # the lines that follow the URL (where the log goes)
    password = re.search(r"^  password: (\S+)$", "".join(lines), re.MULTILINE).group(1)
    subprocess.run(
        [sys.executable, "-c", STAFF_WITHOUT_PERMISSIONS],
        env={**env, "DEBUG": "true"},
        cwd=REPO_ROOT,
        check=True,
        timeout=120,
    )

    # A staff account with no permission asks for a report's failed rows: refused (403).
    refused = sign_in(base, "nopermission", "nopermission-pw-1")
    assert refused.get(f"{base}/admin/reports/report/1/failed-rows/", timeout=30).status_code == 403
    # The admin downloads them: the demo report's CSV, streamed.
    admin = sign_in(base, "admin", password)
    download = admin.get(f"{base}/admin/reports/report/1/failed-rows/", timeout=60)
    assert download.status_code == 200
    assert download.headers["Content-Type"].startswith("text/csv")
    assert download.content.startswith("\ufeff".encode())

    os.killpg(process.pid, signal.SIGINT)
    assert process.wait(timeout=90) == 0, "".join(lines)
    time.sleep(0.5)
    output = "".join(lines)

    assert f"ytcms is up at {base}/admin/" in output
    assert f"logs are printed here and kept in {env['YTCMS_VAR_DIR']}/log/ytcms.log" in output
    assert output.count("password:") == 1
    # The refusal is one line, not a traceback.
    assert re.search(r"WARNING django\.request .* Forbidden \(Permission denied\): /admin/reports/", output)
    assert "Traceback" not in output, output
    assert "lifespan" not in output, output
    assert "StreamingHttpResponse" not in output, output
    warnings = [line for line in lines if "warning" in line.lower()]
    assert not [line for line, count in Counter(warnings).items() if count > 1], warnings
    assert "run: stopped" in output


@pytest.mark.parametrize(("status_code", "traceback_kept"), [(403, False), (400, False), (500, True)])
def test_a_refused_request_is_logged_without_a_traceback_and_a_server_error_with_one(
    status_code, traceback_kept
):
    try:
        raise PermissionError("refused")
    except PermissionError:
        exc_info = sys.exc_info()
    record = logging.LogRecord("django.request", logging.WARNING, __file__, 1, "Forbidden: /x/", (), exc_info)
    record.status_code = status_code
    ClientErrorTracebackFilter().filter(record)
    assert ("Traceback" in PlainFormatter().format(record)) is traceback_kept


def test_run_refuses_one_port_for_the_site_and_the_emulator(tmp_path):
    """PORT=8765 YOUTUBE_EMULATOR_PORT=8765: a clear refusal, not "ytcms is up" over the emulator."""
    env = {name: value for name, value in os.environ.items() if name not in SETTINGS_VARIABLES}
    port = str(free_port())
    env.update(YTCMS_VAR_DIR=str(tmp_path / "var"), PORT=port, YOUTUBE_EMULATOR_PORT=port)
    done = subprocess.run(
        [str(REPO_ROOT / "bin/run")], env=env, cwd=REPO_ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 2
    assert f"PORT and YOUTUBE_EMULATOR_PORT are both {port}" in done.stderr
    assert "is up" not in done.stdout
