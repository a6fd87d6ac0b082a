"""Exactly one module talks to Google (STYLE.md): nothing else imports googleapiclient."""

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
IMPORT = re.compile(r"^\s*(?:from|import)\s+googleapiclient\b", re.MULTILINE)
# The door itself, and the emulator's tests, which drive the emulator with Google's own client.
ALLOWED = (REPO / "syncs" / "youtube", REPO / "tests" / "devtools" / "youtube_emulator")
SKIPPED_DIRS = {".venv", "var", "node_modules", ".git", "__pycache__"}


def _python_files():
    for path in REPO.rglob("*.py"):
        if not SKIPPED_DIRS.intersection(path.relative_to(REPO).parts):
            yield path


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
