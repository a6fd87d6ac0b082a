"""The floor plan's rules that import-linter cannot see: no private name crosses a package.

The layers themselves (and the doors to Google and S3) are import-linter contracts in
pyproject.toml, checked by `make lint` and .ci/run; this file checks names, which import-linter's
graph of modules does not hold: `from videos.services import _json_value` in syncs makes a private
helper de facto public API.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("core", "channels_app", "videos", "syncs", "reports", "devtools", "ytcms_site")
# Django's documented model API, underscored only so that it cannot clash with a field's name.
DJANGO_PUBLIC = {"_meta", "_default_manager", "_base_manager", "_state"}


def _is_private(name: str) -> bool:
    dunder = name.startswith("__") and name.endswith("__")
    return name.startswith("_") and not dunder and name not in DJANGO_PUBLIC


def private_names_crossing_packages(path: Path, package: str) -> list[str]:
    """`from <other package>… import _name`, and `<module of another package>._name`, in one file."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[str] = []
    # Local names bound to modules of another package: `import syncs.models as m`, `from videos import services`.
    other_modules: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            top = node.module.split(".")[0]
            if top in PACKAGES and top != package:
                for alias in node.names:
                    if _is_private(alias.name):
                        found.append(
                            f"{path.relative_to(ROOT)}:{node.lineno} from {node.module} import {alias.name}"
                        )
                    else:
                        other_modules[alias.asname or alias.name] = f"{node.module}.{alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                top = alias.name.split(".")[0]
                if top in PACKAGES and top != package:
                    if any(_is_private(part) for part in alias.name.split(".")):
                        found.append(f"{path.relative_to(ROOT)}:{node.lineno} import {alias.name}")
                    other_modules[alias.asname or alias.name] = alias.name
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and _is_private(node.attr):
            base = ast.unparse(node.value)
            if base in other_modules:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} {other_modules[base]}.{node.attr}")
    return found


def first_party_files():
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.parts:
                yield package, path


def test_no_private_name_is_imported_across_packages():
    crossing = [
        hit for package, path in first_party_files() for hit in private_names_crossing_packages(path, package)
    ]
    assert crossing == [], "private names used outside their package:\n" + "\n".join(crossing)


@pytest.mark.parametrize(
    "source",
    [
        "from videos.services import _json_value\n",
        "from videos import services\nservices._json_value(1)\n",
        "import videos.services as vs\nvs._model_value(1)\n",
        "from videos.api import _some, CatalogueReadOnlyViewSet\n",
    ],
)
def test_the_check_sees_each_way_a_private_name_crosses(tmp_path, source):
    path = ROOT / "syncs" / "_floor_plan_probe.py"
    path.write_text(source, encoding="utf-8")
    try:
        assert private_names_crossing_packages(path, "syncs")
    finally:
        path.unlink()


def test_the_check_leaves_a_packages_own_private_names_alone():
    path = ROOT / "videos" / "_floor_plan_probe.py"
    path.write_text(
        "from videos.services import _json_value\nfrom core.api import DEFAULT_PAGE_SIZE\n", encoding="utf-8"
    )
    try:
        assert private_names_crossing_packages(path, "videos") == []
    finally:
        path.unlink()


def test_the_architecture_page_draws_the_layers_of_the_contract():
    """docs/architecture.md's picture lists the layers lint-imports checks, in the same order."""
    import re
    import tomllib

    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    (layers,) = [contract["layers"] for contract in contracts if contract["type"] == "layers"]
    page = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    picture = page.split("<!-- layers:", 1)[1].split("```text\n", 1)[1].split("```", 1)[0]
    drawn = [
        re.split(r"\s{2,}", line.strip())[0] for line in picture.splitlines() if line.strip() not in ("", "↓")
    ]
    assert drawn == layers
    # And every top-level package of the contract has its paragraph.
    for layer in layers:
        for package in layer.split(" | "):
            assert f"**`{package}/`" in page, package
