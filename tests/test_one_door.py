"""Exactly one module talks to Google and one to S3 (STYLE.md): nobody else imports their libraries.

The Google door is syncs/youtube/ (googleapiclient, google-auth, oauthlib); the S3 door is
reports/s3.py (boto3, botocore; the backups store their files through django-storages and ask the
door what S3 said). Imports inside functions count too: the pattern matches indented lines.
"""

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
IMPORT = re.compile(r"^\s*(?:from|import)\s+googleapiclient\b", re.MULTILINE)
# The door itself, and the emulator's tests, which drive the emulator with Google's own client.
ALLOWED = (REPO / "syncs" / "youtube", REPO / "tests" / "devtools" / "youtube_emulator")
SKIPPED_DIRS = {".venv", "var", "node_modules", ".git", "__pycache__"}

GOOGLE_LIBRARIES = ("googleapiclient", "google_auth_oauthlib", "oauthlib", "google.auth", "google.oauth2")
S3_LIBRARIES = ("boto3", "botocore")
S3_DOOR = REPO / "reports" / "s3.py"
# Tests set up moto's S3 (buckets, objects) with boto3 itself, as a real client would.
S3_ALLOWED = (S3_DOOR, REPO / "tests")


def _python_files():
    for path in REPO.rglob("*.py"):
        if not SKIPPED_DIRS.intersection(path.relative_to(REPO).parts):
            yield path


def _importing(library: str) -> re.Pattern:
    return re.compile(rf"^\s*(?:from|import)\s+{re.escape(library)}\b", re.MULTILINE)


def _offenders(pattern: re.Pattern, allowed: tuple[Path, ...]) -> list[str]:
    return [
        str(path.relative_to(REPO))
        for path in _python_files()
        if not any(path.is_relative_to(door) for door in allowed)
        and pattern.search(path.read_text(encoding="utf-8", errors="replace"))
    ]


def test_only_syncs_youtube_imports_googleapiclient():
    offenders = [
        str(path.relative_to(REPO))
        for path in _python_files()
        if not any(path.is_relative_to(allowed) for allowed in ALLOWED)
        and IMPORT.search(path.read_text(encoding="utf-8", errors="replace"))
    ]

    assert offenders == []


def test_the_door_itself_is_found_by_the_check():
    # Guards the check: if the pattern stopped matching, the test above would pass vacuously.
    assert IMPORT.search((REPO / "syncs" / "youtube" / "clients.py").read_text())


@pytest.mark.parametrize("library", GOOGLE_LIBRARIES)
def test_only_the_google_door_imports_googles_client_libraries(library):
    assert _offenders(_importing(library), ALLOWED) == []


@pytest.mark.parametrize("library", S3_LIBRARIES)
def test_only_the_s3_door_imports_boto3_and_botocore(library):
    assert _offenders(_importing(library), S3_ALLOWED) == []


@pytest.mark.parametrize(
    ("library", "door"),
    [
        ("google_auth_oauthlib", REPO / "syncs" / "youtube" / "oauth.py"),
        ("oauthlib", REPO / "syncs" / "youtube" / "oauth.py"),
        ("google.oauth2", REPO / "syncs" / "youtube" / "auth.py"),
        ("boto3", S3_DOOR),
        ("botocore", S3_DOOR),
    ],
)
def test_each_door_is_found_by_its_check(library, door):
    # As above: a pattern that matched nothing would let every module through.
    assert _importing(library).search(door.read_text())


def test_a_function_local_import_outside_a_door_is_caught():
    assert _importing("oauthlib").search("def f():\n    from oauthlib.oauth2 import OAuth2Error\n")
    assert not _importing("boto3").search("import boto3_stubs\n")
