"""The documents stay true to the code: every variable the code reads is in docs/configuration.md,
every relative link in README.md and docs/ opens a file (and heading) that exists, and no file cites
a docs/ path that is not in the repository.

The checks read the code, they do not import it: a variable read by a module the settings never
import (the logging filter, a command) counts as much as one in settings.py.
"""

import ast
import re
import unicodedata
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CONFIGURATION = ROOT / "docs" / "configuration.md"
README_MAX_LINES = 250  # the entry page of issue #17; the rest belongs in docs/

# Not the site's code: the virtualenv, run-time files, tests and benchmarks (their variables
# configure the run, not the site), vendored third-party files.
SKIPPED_DIRS = {".git", ".venv", "var", "staticfiles", "__pycache__", "node_modules", "vendor"}
NOT_SITE_CODE = {"tests", "bench"}
# The helpers of core/env.py and settings.py's own wrappers of them.
ENV_READERS = re.compile(r"env_(str|int|bool|list)|_api_rate|_hour_utc")
VARIABLE_NAME = re.compile(r"[A-Z][A-Z0-9_]*")
# Variables the scripts use that are the shell's or the system's, not ytcms's.
SHELL_VARIABLES = {"HOME", "TMPDIR", "PATH"}
# Documented, yet read by a library rather than by our code.
READ_BY_LIBRARIES = {"AWS_ACCESS_KEY_ID": "boto3 reads it (S3 credentials)"}


def site_python_files() -> Iterator[Path]:
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT).parts
        if SKIPPED_DIRS.intersection(parts) or parts[0] in NOT_SITE_CODE:
            continue
        yield path


def _callee_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def _is_os_environ(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Attribute)
        and node.attr == "environ"
        and isinstance(node.value, ast.Name)
        and node.value.id == "os"
    )


def _literal_name(node: ast.AST | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and VARIABLE_NAME.fullmatch(node.value):
        return node.value
    return None


def variables_read(source: str) -> set[str]:
    """The environment variables a module reads by name.

    Counted: ``env_str("X")`` and the other readers, ``os.environ.get("X")``, ``os.environ["X"]``,
    ``os.getenv("X")`` and ``"X" in os.environ``. Not counted: writes (``os.environ["X"] = ...``,
    ``setdefault``, which the launcher scripts use to pick the settings module) and names built at
    run time.
    """
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            callee = _callee_name(node)
            first = _literal_name(node.args[0]) if node.args else None
            if first is None or callee is None:
                continue
            if ENV_READERS.fullmatch(callee):
                names.add(first)
            elif callee == "getenv" or (callee == "get" and _is_os_environ(node.func.value)):
                names.add(first)
        elif (
            isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load) and _is_os_environ(node.value)
        ):
            if name := _literal_name(node.slice):
                names.add(name)
        elif isinstance(node, ast.Compare) and any(_is_os_environ(c) for c in node.comparators):
            if name := _literal_name(node.left):
                names.add(name)
    return names


def variables_read_by_scripts(text: str) -> set[str]:
    """Variables a shell script takes from its caller: those it expands with a default (``${X:-d}``)."""
    return set(re.findall(r"\$\{([A-Z][A-Z0-9_]*):?[-=]", text)) - SHELL_VARIABLES


def documented_variables(markdown: str) -> set[str]:
    """The names in the first column of the tables of a configuration page."""
    names: set[str] = set()
    for line in markdown.splitlines():
        if line.startswith("| `"):
            first_cell = line.split("|")[1]
            names.update(re.findall(r"`([A-Z][A-Z0-9_]*)`", first_cell))
    return names


def undocumented(read: Iterable[str], documented: set[str]) -> list[str]:
    return sorted(set(read) - documented)


def code_variables() -> dict[str, str]:
    """Each variable the site's code reads, with the first file that reads it."""
    found: dict[str, str] = {}
    for path in site_python_files():
        for name in variables_read(path.read_text()):
            found.setdefault(name, str(path.relative_to(ROOT)))
    return found


def script_variables() -> dict[str, str]:
    found: dict[str, str] = {}
    scripts = [*sorted((ROOT / "bin").iterdir()), ROOT / "Makefile", ROOT / "Procfile", ROOT / ".ci" / "run"]
    for path in scripts:
        if path.is_file():
            for name in variables_read_by_scripts(path.read_text()):
                found.setdefault(name, str(path.relative_to(ROOT)))
    return found


# ---- Links and citations


def heading_anchors(markdown: str) -> set[str]:
    """The anchors GitHub gives a document's headings (lower case, punctuation dropped, spaces to -)."""
    anchors: set[str] = set()
    seen: dict[str, int] = {}
    for line in _without_code_blocks(markdown).splitlines():
        match = re.match(r"#{1,6}\s+(.*?)\s*#*\s*$", line)
        if not match:
            continue
        text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", match[1])  # a link in a heading keeps its text
        slug = "".join(
            ch for ch in text.lower() if ch in "-_ " or unicodedata.category(ch)[0] in "LN"
        ).replace(" ", "-")
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        anchors.add(slug if count == 0 else f"{slug}-{count}")
    return anchors


def _without_code_blocks(markdown: str) -> str:
    return re.sub(r"^```.*?^```", "", markdown, flags=re.MULTILINE | re.DOTALL)


def _without_code(markdown: str) -> str:
    return re.sub(r"`[^`\n]*`", "", _without_code_blocks(markdown))


def target_problem(base: Path, target: str) -> str | None:
    """Why a relative link or citation ``target`` (``path``, ``path#anchor`` or ``#anchor``) is broken."""
    path_part, _, anchor = target.partition("#")
    path = (base / path_part).resolve() if path_part else base
    if not path.exists():
        return "no such file"
    if anchor and path.suffix == ".md" and anchor not in heading_anchors(path.read_text()):
        return f"no heading #{anchor} in {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}"
    return None


def broken_links(markdown_file: Path) -> list[str]:
    """Relative links of a Markdown file that lead nowhere, as ``target: why``."""
    problems = []
    for target in re.findall(r"\]\(([^)\s]+)\)", _without_code(markdown_file.read_text())):
        if re.match(r"[a-z][a-z0-9+.-]*:", target):  # https:, mailto: ...
            continue
        if target.startswith("#"):
            problem = target_problem(markdown_file, target)
        else:
            problem = target_problem(markdown_file.parent, target)
        if problem:
            problems.append(f"{target}: {problem}")
    return problems


# A path into the repository's docs/ folder, not the end of a URL ("…/youtube/v3/docs/videos") nor
# a URL path of the site ("/api/docs/").
DOCS_CITATION = re.compile(r"(?<![\w/.-])docs/[\w.-]*\w(?:#[\w-]+)?")


def cited_docs_problems(text: str) -> list[str]:
    problems = []
    for citation in DOCS_CITATION.findall(text):
        if problem := target_problem(ROOT, citation):
            problems.append(f"{citation}: {problem}")
    return problems


def repository_text_files() -> Iterator[tuple[Path, str]]:
    for path in sorted(ROOT.rglob("*")):
        parts = path.relative_to(ROOT).parts
        if not path.is_file() or SKIPPED_DIRS.intersection(parts) or path.stat().st_size > 1_000_000:
            continue
        try:
            yield path, path.read_text()
        except UnicodeDecodeError:
            continue


# A file of the repository named in code spans (`videos/validation.py`), not a run-time path.
NAMED_FILE = re.compile(r"`([\w.-]+(?:/[\w.-]+)+\.(?:py|json|md|html|toml|yml|txt|in|js|css))`")


def missing_named_files(markdown: str) -> list[str]:
    return sorted({name for name in NAMED_FILE.findall(markdown) if not (ROOT / name).exists()})


def markdown_files() -> list[Path]:
    return [*sorted(ROOT.glob("*.md")), *sorted((ROOT / "docs").rglob("*.md"))]


# ---- The tests


def test_every_environment_variable_the_code_reads_is_documented():
    missing = [
        f"{name} (read in {where})"
        for name, where in sorted(code_variables().items())
        if name not in documented_variables(CONFIGURATION.read_text())
    ]
    assert not missing, f"add these to the tables of docs/configuration.md: {missing}"


def test_every_variable_the_scripts_take_is_documented():
    missing = [
        f"{name} (read in {where})"
        for name, where in sorted(script_variables().items())
        if name not in documented_variables(CONFIGURATION.read_text())
    ]
    assert not missing, f"add these to docs/configuration.md: {missing}"


def test_every_documented_variable_is_read_somewhere():
    read = code_variables().keys() | script_variables().keys() | READ_BY_LIBRARIES.keys()
    stale = sorted(documented_variables(CONFIGURATION.read_text()) - read)
    assert not stale, f"docs/configuration.md lists variables nothing reads: {stale}"


def test_the_reader_finds_every_way_of_reading_a_variable():
    source = """
import os
DEBUG = env_bool("DEBUG", False)
PORT = env_int("PORT", 1, minimum=0)
HOSTS = env_list("ALLOWED_HOSTS")
RATE = _api_rate("API_THROTTLE_USER", "2000/hour")
HOUR = _hour_utc("OPS_DAILY_HOUR_UTC", 3)
KEY = os.environ.get("AWS_SECRET_ACCESS_KEY", "")
NAME = os.environ["TEST_DATABASE_NAME"]
OTHER = os.getenv("LOG_LEVEL")
FLAG = "YTCMS_FLAG" in os.environ
os.environ["WRITTEN_ONLY"] = "1"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ytcms_site.settings")
env_str(name)
"""
    assert variables_read(source) == {
        "DEBUG",
        "PORT",
        "ALLOWED_HOSTS",
        "API_THROTTLE_USER",
        "OPS_DAILY_HOUR_UTC",
        "AWS_SECRET_ACCESS_KEY",
        "TEST_DATABASE_NAME",
        "LOG_LEVEL",
        "YTCMS_FLAG",
    }
    assert variables_read_by_scripts('port=${PORT:-8000}\ntmp=${TMPDIR:-/tmp}\necho "$HOST"') == {"PORT"}


def test_an_undocumented_variable_is_reported():
    documented = documented_variables(CONFIGURATION.read_text())
    read = variables_read(
        'NEW = env_int("YTCMS_NOT_DOCUMENTED_ANYWHERE", 1)\nDEBUG = env_bool("DEBUG", False)'
    )
    assert undocumented(read, documented) == ["YTCMS_NOT_DOCUMENTED_ANYWHERE"]


def test_the_configuration_tables_are_read():
    table = (
        "| name | default | meaning |\n| --- | --- | --- |\n| `A_B`, `C` | `1` | uses `NOT_A_NAME_CELL` |\n"
    )
    assert documented_variables(table) == {"A_B", "C"}
    assert {"DEBUG", "DATABASE_URL", "REDIS_URL", "HOST"} <= documented_variables(CONFIGURATION.read_text())


@pytest.mark.parametrize("markdown_file", markdown_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_leads_to_a_file_and_heading_that_exist(markdown_file):
    assert broken_links(markdown_file) == []


@pytest.mark.parametrize("markdown_file", markdown_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_file_the_docs_name_exists(markdown_file):
    """A moved module leaves no stale path behind in the documents."""
    assert missing_named_files(markdown_file.read_text()) == []


def test_a_named_file_that_moved_is_reported():
    text = "`videos/validation.py`, `ytcms_site/no_such_module.py`, `var/log/ytcms.log`, `/api/docs/`"
    assert missing_named_files(text) == ["ytcms_site/no_such_module.py"]


def test_a_broken_link_is_reported(tmp_path):
    (tmp_path / "there.md").write_text("# Quota and costs\n\n## Errors\n")
    page = tmp_path / "page.md"
    page.write_text(
        "# Page\n[ok](there.md) [ok](there.md#quota-and-costs) [ok](#page) [web](https://example.com/x)\n"
        "`[in code](nowhere.md)`\n[gone](missing.md) [no heading](there.md#quota) [no anchor](#nope)\n"
    )
    assert broken_links(page) == [
        "missing.md: no such file",
        f"there.md#quota: no heading #quota in {tmp_path / 'there.md'}",
        f"#nope: no heading #nope in {page}",
    ]


def test_no_file_cites_a_docs_path_that_does_not_exist():
    problems = [
        f"{path.relative_to(ROOT)}: {problem}"
        for path, text in repository_text_files()
        if path != Path(__file__).resolve()  # its examples of broken citations are on purpose
        for problem in cited_docs_problems(text)
    ]
    assert problems == []


def test_a_citation_of_a_missing_doc_is_reported():
    text = (
        "# see docs/deploy.md, docs/youtube.md#quota and https://developers.google.com/youtube/v3/docs/videos\n"
        "# and docs/youtube-api.md §1.2, docs/youtube.md#no-such-heading, GET /api/docs/\n"
    )
    assert cited_docs_problems(text) == [
        "docs/youtube-api.md: no such file",
        "docs/youtube.md#no-such-heading: no heading #no-such-heading in docs/youtube.md",
    ]


def test_the_readme_stays_an_entry_page():
    lines = len((ROOT / "README.md").read_text().splitlines())
    assert lines <= README_MAX_LINES, f"README.md has {lines} lines; move details to docs/"
