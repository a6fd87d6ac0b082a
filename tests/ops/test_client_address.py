"""The client's address and scheme come from the site's TRUSTED_PROXY_COUNT rule alone.

uvicorn, left to itself, rewrites the client address and scheme from X-Forwarded-For/-Proto sent
by any peer on 127.0.0.1 (its --proxy-headers default); every way we start it turns that off, and
X-Forwarded-Proto is believed only when a proxy of ours is declared.
"""

import json
import os
import re
import shlex
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
import yaml

from tests.ytcms_site.test_settings import SETTINGS_VARIABLES

REPO_ROOT = Path(__file__).resolve().parents[2]

SCHEME_SEEN = """
import django
django.setup()
from django.test import Client
# A page that renders no static file (the manifest storage of DEBUG off has no collectstatic here).
response = Client().get("/no-such-page/", HTTP_HOST="ytcms.example.com", HTTP_X_FORWARDED_PROTO="https")
print(response.status_code, response.get("Location", "-"))
"""


@pytest.fixture
def environ(tmp_path):
    """A fresh process's environment with no ytcms variable set and var/ in tmp_path."""
    env = {name: value for name, value in os.environ.items() if name not in SETTINGS_VARIABLES}
    env["DJANGO_SETTINGS_MODULE"] = "ytcms_site.settings"
    env["YTCMS_VAR_DIR"] = str(tmp_path / "var")
    env["LOG_TO_FILE"] = "false"
    return env


def run_python(env, *args):
    return subprocess.run(
        [sys.executable, *args], env=env, cwd=REPO_ROOT, capture_output=True, text=True, timeout=120
    )


# ---- SECURE_PROXY_SSL_HEADER


@pytest.mark.parametrize(
    ("proxies", "header"), [(None, None), ("0", None), ("1", ["HTTP_X_FORWARDED_PROTO", "https"])]
)
def test_the_forwarded_scheme_header_is_trusted_only_with_a_proxy(environ, proxies, header):
    environ["DEBUG"] = "true"
    if proxies is not None:
        environ["TRUSTED_PROXY_COUNT"] = proxies
    code = (
        "import json; from django.conf import settings; print(json.dumps(settings.SECURE_PROXY_SSL_HEADER))"
    )
    result = run_python(environ, "-c", code)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == header


@pytest.mark.parametrize(("proxies", "expected"), [("0", "301 https://"), ("1", "404 -")])
def test_a_client_saying_https_itself_is_still_redirected_to_https(environ, proxies, expected):
    # Production defaults (DEBUG unset): plain HTTP is redirected to HTTPS, unless the request
    # came over HTTPS; a client without a proxy of ours in front must not be able to claim that.
    environ.update(SECRET_KEY="k" * 60, ALLOWED_HOSTS="ytcms.example.com", TRUSTED_PROXY_COUNT=proxies)
    result = run_python(environ, "-c", SCHEME_SEEN)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1].startswith(expected)


# ---- uvicorn as bin/run, the Procfile and the image start it


def uvicorn_arguments(launcher: str) -> list[str]:
    """uvicorn's arguments exactly as `launcher` writes them (after `-m uvicorn`)."""
    text = (REPO_ROOT / launcher).read_text()
    if launcher == "bin/run":
        # The one non-comment command line that runs uvicorn, with its continuation lines.
        command = re.search(r"^[^#\n]*-m uvicorn (?:.*\\\n)*.*$", text, re.MULTILINE).group(0)
        words = shlex.split(command.replace("\\\n", " ").rstrip("& "))
    elif launcher == "Procfile":
        words = shlex.split(re.search(r"^web:(.*)$", text, re.MULTILINE).group(1))
    else:  # Dockerfile: CMD ["python", "-m", "uvicorn", ...]
        command = re.search(r"^CMD (\[.*?\])", text.replace("\\\n", " "), re.MULTILINE | re.DOTALL)
        words = json.loads(command.group(1))
    # ${NAME:-default} as the shell would expand it with NAME unset.
    return [re.sub(r"\$\{\w+:-([^}]*)\}", r"\1", word) for word in words[words.index("uvicorn") + 1 :]]


LAUNCHERS = ["bin/run", "Procfile", "Dockerfile"]


@pytest.mark.parametrize("launcher", LAUNCHERS)
def test_every_launcher_starts_uvicorn_without_proxy_headers(launcher):
    arguments = uvicorn_arguments(launcher)
    assert "--no-proxy-headers" in arguments
    assert "--proxy-headers" not in arguments and "--forwarded-allow-ips" not in arguments


def test_compose_publishes_the_web_servers_on_loopback_only():
    compose = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())
    published = {}
    for name, service in compose["services"].items():
        for port in service.get("ports", []):
            published.setdefault(name, []).append(str(port))
        # The web servers run the image's CMD (checked above); no service may start uvicorn its own way.
        command = service.get("command") or []
        command = " ".join(command) if isinstance(command, list) else command
        assert "uvicorn" not in command or "--no-proxy-headers" in command, name
    assert set(published) == {"web-1", "web-2"}
    for name, ports in published.items():
        for port in ports:
            assert port.startswith("127.0.0.1:") and port.count(":") == 2, (name, port)
    assert compose["x-ytcms"]["environment"]["TRUSTED_PROXY_COUNT"].endswith(":-1}")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def site_env(tmp_path_factory):
    """A migrated SQLite site for the uvicorn servers (development settings, no proxy declared)."""
    var = tmp_path_factory.mktemp("uvicorn") / "var"
    env = {name: value for name, value in os.environ.items() if name not in SETTINGS_VARIABLES}
    env.update(
        DJANGO_SETTINGS_MODULE="ytcms_site.settings",
        DEBUG="true",
        YTCMS_VAR_DIR=str(var),
        LOG_TO_FILE="false",
        LOG_LEVEL="WARNING",
        LOGIN_FAILURE_LIMIT_PER_ADDRESS="2",
    )
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        env=env,
        cwd=REPO_ROOT,
        check=True,
        timeout=300,
    )
    return env


@pytest.fixture
def server(request, site_env, tmp_path):
    """uvicorn started with the launcher's own arguments, on 127.0.0.1 and a free port."""
    port = free_port()
    arguments = uvicorn_arguments(request.param)
    for position, word in enumerate(arguments[1:], start=1):
        if arguments[position - 1] == "--host":
            arguments[position] = "127.0.0.1"
        elif arguments[position - 1] == "--port":
            arguments[position] = str(port)
        elif word.startswith("$root/"):
            arguments[position] = str(REPO_ROOT / word.removeprefix("$root/"))
    log = open(tmp_path / "uvicorn.log", "wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", *arguments],
        env=site_env,
        cwd=REPO_ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, (tmp_path / "uvicorn.log").read_text()
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "uvicorn did not start"
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def failed_sign_in(browser: requests.Session, base: str, *, spoofed_address: str) -> int:
    page = browser.get(f"{base}/admin/login/", timeout=30).text
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    response = browser.post(
        f"{base}/admin/login/",
        data={"csrfmiddlewaretoken": token, "username": "nobody", "password": "guess", "next": "/admin/"},
        headers={"X-Forwarded-For": spoofed_address},
        allow_redirects=False,
        timeout=30,
    )
    return response.status_code


@pytest.mark.slow  # uvicorn started by each launcher (bin/run among them)
@pytest.mark.parametrize("server", LAUNCHERS, indirect=True)
def test_a_spoofed_forwarded_for_does_not_change_the_throttled_address(server):
    # LOGIN_FAILURE_LIMIT_PER_ADDRESS=2 and no proxy declared: the address is the peer's,
    # 127.0.0.1, however many addresses the client claims to be.
    with requests.Session() as browser:
        assert failed_sign_in(browser, server, spoofed_address="203.0.113.1") == 200
        assert failed_sign_in(browser, server, spoofed_address="203.0.113.2") == 200
        assert failed_sign_in(browser, server, spoofed_address="203.0.113.3") == 429
