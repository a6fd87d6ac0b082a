"""The requirement input files declare what our code imports, and nothing it does not use.

requirements.in is the site's (everything outside tests/ and bench/), requirements-dev.in adds what
tests/ and bench/ need; bin/lock compiles each into its hashed lock. A package that is only there
because another one needs it must not be imported by us: the day that package drops it, our import
breaks, and nothing said we relied on it. So every third-party module imported here must belong to a
distribution the matching .in file names itself, and every name there must be used.
"""

import ast
import importlib.metadata
import os
import re
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest
from django.conf import settings
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
DEV_DIRS = ("tests", "bench")
# Not our code: the virtualenv, run-time files, collected static files.
SKIPPED_DIRS = {".venv", "var", "staticfiles", "__pycache__", "node_modules"}

# Declared but never imported: what uses them instead of an import statement.
USED_WITHOUT_IMPORT = {
    "requirements.in": {
        "uvicorn": "the ASGI server: bin/run, Procfile and the Dockerfile run `python -m uvicorn`",
        "psycopg": "Django's PostgreSQL backend imports it (DATABASE_URL=postgres://...)",
    },
    "requirements-dev.in": {
        "pytest-django": "a pytest plugin (Django settings, test databases)",
        "pytest-asyncio": "a pytest plugin (async tests)",
        "pytest-xdist": "a pytest plugin (parallel workers: pytest -n)",
        "ruff": "the linter and formatter (.ci/run, make lint)",
        "uv": "bin/lock compiles the .in files with `uv pip compile`",
        "import-linter": "lint-imports checks the floor plan's contracts in pyproject.toml (make lint, .ci/run)",
    },
}


def declared(in_file: str, *, seen: frozenset[str] = frozenset()) -> dict[str, Requirement]:
    """The requirements an .in file names, with those of the files it includes with -r.

    -c lines constrain versions but declare nothing, so they are not followed.
    """
    requirements: dict[str, Requirement] = {}
    for line in (ROOT / in_file).read_text().splitlines():
        line = line.partition("#")[0].strip()
        if not line or line.startswith(("-c", "--constraint")):
            continue
        included = re.fullmatch(r"(?:-r|--requirement)[\s=]+(\S+)", line)
        if included:
            assert included[1] not in seen, f"{in_file} includes {included[1]} in a loop"
            requirements |= declared(included[1], seen=seen | {in_file})
            continue
        assert not line.startswith("-"), f"{in_file}: option {line!r} is not understood by this check"
        requirement = Requirement(line)
        requirements[canonicalize_name(requirement.name)] = requirement
    return requirements


@cache
def python_files(*, dev: bool) -> tuple[Path, ...]:
    found = []
    for folder, subfolders, files in os.walk(ROOT):
        subfolders[:] = [name for name in subfolders if name not in SKIPPED_DIRS and not name.startswith(".")]
        found += [Path(folder, name) for name in files if name.endswith(".py")]
    return tuple(sorted(path for path in found if (path.relative_to(ROOT).parts[0] in DEV_DIRS) == dev))


def first_party(path: Path) -> set[str]:
    """Modules importable as our own from this file: the project's top level and the file's folder
    (a bench script runs with bench/ on sys.path)."""
    names = set()
    for folder in (ROOT, path.parent):
        for entry in folder.iterdir():
            if entry.suffix == ".py":
                names.add(entry.stem)
            elif entry.is_dir() and (entry / "__init__.py").exists():
                names.add(entry.name)
    return names


def catches_import_error(node: ast.Try) -> bool:
    for handler in node.handlers:
        caught = handler.type
        names = caught.elts if isinstance(caught, ast.Tuple) else [caught]
        if any(
            isinstance(name, ast.Name) and name.id in {"ImportError", "ModuleNotFoundError"} for name in names
        ):
            return True
    return False


def imported_modules(path: Path) -> Iterator[tuple[int, str]]:
    """(line, dotted module) of every absolute import, but those guarded by `except ImportError`
    (an optional extra: the code runs without it)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    optional: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Try) and catches_import_error(node):
            for statement in node.body:
                optional.update(id(child) for child in ast.walk(statement))
    for node in ast.walk(tree):
        if id(node) in optional:
            continue
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            # `from google import auth` imports google.auth: the distribution that owns it counts.
            for alias in node.names:
                yield node.lineno, f"{node.module}.{alias.name}"


@cache
def top_level_distributions() -> dict[str, list[str]]:
    return importlib.metadata.packages_distributions()


@cache
def files_of(distribution: str) -> tuple[str, ...]:
    return tuple(str(file) for file in importlib.metadata.distribution(distribution).files or ())


@cache
def distributions_of(module: str) -> frozenset[str]:
    """The installed distributions that ship `module` (or, for `from x import name`, its parent)."""
    top = module.partition(".")[0]
    candidates = {canonicalize_name(name) for name in top_level_distributions().get(top, [])}
    if len(candidates) <= 1:
        return frozenset(candidates)
    # A namespace package several distributions share (google.*): the owner of the module's files.
    parts = module.split(".")
    while len(parts) > 1:
        prefix = "/".join(parts)
        owners = {
            name
            for name in candidates
            if any(file == f"{prefix}.py" or file.startswith(f"{prefix}/") for file in files_of(name))
        }
        if owners:
            return frozenset(owners)
        parts.pop()
    return frozenset(candidates)


def third_party_imports(*, dev: bool) -> Iterator[tuple[str, str, frozenset[str]]]:
    """(where, module, distributions) of every third-party import in product or dev code."""
    for path in python_files(dev=dev):
        ours = first_party(path)
        for line, module in imported_modules(path):
            top = module.partition(".")[0]
            if top in sys.stdlib_module_names or top in ours or top == "__future__":
                continue
            yield f"{path.relative_to(ROOT)}:{line}", module, distributions_of(module)


def undeclared_imports(*, dev: bool, in_file: str) -> list[str]:
    names = set(declared(in_file))
    problems = []
    for where, module, distributions in third_party_imports(dev=dev):
        if not distributions:
            problems.append(f"{where}: imports {module}, which no installed distribution provides")
        elif not distributions & names:
            problems.append(
                f"{where}: imports {module} from {' or '.join(sorted(distributions))}, not in {in_file}"
            )
    return problems


def unused_declarations(*, dev: bool, in_file: str, also_used: set[str]) -> list[str]:
    used = set(also_used)
    for _where, _module, distributions in third_party_imports(dev=dev):
        used |= distributions
    own = set(declared(in_file)) - (set(declared("requirements.in")) if dev else set())
    return sorted(own - used - set(USED_WITHOUT_IMPORT[in_file]))


def modules_named_in_strings(*, dev: bool) -> set[str]:
    """Distributions our code names by a string that Django imports for it: settings' apps,
    middleware and backends (drf_spectacular_sidecar, channels_redis.core.RedisChannelLayer)."""
    found = set()
    for path in python_files(dev=dev):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                if re.fullmatch(r"[a-z_][a-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*", node.value):
                    top = node.value.partition(".")[0]
                    if top not in sys.stdlib_module_names and top in top_level_distributions():
                        found |= distributions_of(node.value)
    return found


def test_the_site_imports_only_what_requirements_in_declares():
    assert undeclared_imports(dev=False, in_file="requirements.in") == []


def test_tests_and_benchmarks_import_only_what_requirements_dev_in_declares():
    assert undeclared_imports(dev=True, in_file="requirements-dev.in") == []


def test_installed_apps_come_from_requirements_in():
    # Django imports each app at start: one only the dev lock brings would stop `make run`.
    names = set(declared("requirements.in"))
    undeclared = {}
    for app in settings.INSTALLED_APPS:
        distributions = distributions_of(app)
        if distributions and not distributions & names:
            undeclared[app] = distributions
    assert undeclared == {}


@pytest.mark.parametrize("dev, in_file", [(False, "requirements.in"), (True, "requirements-dev.in")])
def test_every_declared_requirement_is_used(dev, in_file):
    assert set(USED_WITHOUT_IMPORT[in_file]) <= set(declared(in_file))
    assert unused_declarations(dev=dev, in_file=in_file, also_used=modules_named_in_strings(dev=dev)) == []


def lock_pins(lock: str) -> tuple[dict[str, str], dict[str, set[str]]]:
    """The versions a lock pins, and for each package the input files that ask for it by name
    (uv writes `# via -r requirements.in` under such a package)."""
    pinned: dict[str, str] = {}
    asked_by: dict[str, set[str]] = {}
    package = None
    for line in (ROOT / lock).read_text().splitlines():
        pin = re.match(r"([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;]+)", line)
        if pin:
            package = canonicalize_name(pin[1])
            pinned[package] = pin[2]
            asked_by.setdefault(package, set())
            continue
        via = re.fullmatch(r"\s+#\s+(?:via\s+)?-r\s+(\S+)", line)
        if via and package:
            asked_by[package].add(via[1])
    return pinned, asked_by


@pytest.mark.parametrize(
    "in_file, lock",
    [("requirements.in", "requirements.txt"), ("requirements-dev.in", "requirements-dev.txt")],
)
def test_the_locks_are_compiled_from_the_input_files(in_file, lock):
    # An .in file edited without running bin/lock: the venv would not have the change.
    pinned, asked_by = lock_pins(lock)
    wrong = {
        name: (str(requirement.specifier), pinned.get(name))
        for name, requirement in declared(in_file).items()
        if name not in pinned or not requirement.specifier.contains(pinned[name], prereleases=True)
    }
    assert wrong == {}
    # And a line taken out of an .in file leaves the lock too (unless something else needs it).
    assert {name for name, files in asked_by.items() if files} == set(declared(in_file))
