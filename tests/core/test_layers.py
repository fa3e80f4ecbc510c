"""The apps' imports point one way (pyproject.toml [tool.importlinter], run by `make test`
as `lint-imports`): an app imports only from the layers below it, apps of one layer do
not import each other, nothing imports `config`, and no app's modules import each other
in a circle. Each wrong import below is written into a copy of the source tree and must
break the check with a message naming it; the unchanged copy passes."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _layer_apps() -> set[str]:
    (layers,) = [c["layers"] for c in CONFIG["contracts"] if c["type"] == "layers"]
    names = set()
    for layer in layers:
        for part in layer.replace(":", "|").split("|"):
            names.add(part.strip().strip("()"))
    return names


def test_every_project_app_is_checked():
    """A new app in this repository must be named in a layer and in root_packages, or
    lint-imports would not look at its imports at all."""
    project_apps = {
        app.name
        for app in apps.get_app_configs()
        if Path(app.path).resolve().parent == ROOT.resolve()
    }
    assert project_apps, "no project app found"
    checked = set(CONFIG["root_packages"])
    assert project_apps | {"config"} <= checked, project_apps - checked
    assert checked <= _layer_apps(), checked - _layer_apps()


@pytest.fixture(scope="module")
def source_copy(tmp_path_factory) -> Path:
    """The Python sources of the checked packages and the contracts, outside the tree."""
    root = tmp_path_factory.mktemp("layers")
    for package in CONFIG["root_packages"]:
        shutil.copytree(
            ROOT / package,
            root / package,
            ignore=shutil.ignore_patterns("__pycache__", "locale", "*.html", "*.js", "*.css"),
        )
    shutil.copy(ROOT / "pyproject.toml", root / "pyproject.toml")
    return root


def lint_imports(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=root,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(root)},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_project_keeps_its_contracts(source_copy):
    result = lint_imports(source_copy)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "expected"),
    [
        # a lower layer reaching up
        ("organizations/_probe.py", "import cms.models", "organizations is not allowed to import cms"),
        ("core/_probe.py", "from organizations import selectors", "core is not allowed to import organizations"),
        ("media_pipeline/_probe.py", "import elearning.models", "media_pipeline is not allowed to import elearning"),
        ("search/_probe.py", "import api.errors", "search is not allowed to import api"),
        # two apps of one layer
        ("cms/_probe.py", "import elearning.models", "cms is not allowed to import elearning"),
        ("portal/_probe.py", "import api.errors", "portal is not allowed to import api"),
        # settings and urls are wiring: no app imports them
        ("api/_probe.py", "from config import settings", "api is not allowed to import config"),
        # a circle inside one app
        ("cms/models/_probe.py", "import cms.representations", "No cycles are allowed in cms"),
    ],
)  # fmt: skip
def test_a_wrong_import_breaks_the_check(source_copy, module, line, expected):
    probe = source_copy / module
    probe.write_text(f"{line}\n")
    try:
        result = lint_imports(source_copy)
    finally:
        probe.unlink()
    assert result.returncode == 1, result.stdout + result.stderr
    output = " ".join(result.stdout.split())
    assert expected in output, result.stdout
    if "cycles" not in expected:  # the broken import itself is named, with its line
        dotted = module.removesuffix(".py").replace("/", ".")
        assert f"{dotted} -> " in output and "(l.1)" in output, result.stdout
