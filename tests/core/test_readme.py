"""The README lists every environment variable `make run` honours: each one the project's
code reads (settings, apps, the scripts `make run` starts) and each make variable.
A variable added to the code without a line in the README fails here."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
#: what `make run` starts: the settings and apps (every manage.py command), its scripts
PYTHON_DIRS = ["config", "core", "api", "organizations", "cms", "elearning"]
PYTHON_DIRS += ["media_pipeline", "search", "portal"]
SCRIPTS = ["bin/dev-run", "bin/system-deps", "bin/smoke-run"]
#: read by the test machinery only (pytest, pytest-xdist), never set by a person
NOT_SETTINGS = {
    "PYTEST_VERSION",
    "PYTEST_XDIST_WORKER",
    "DJANGO_SETTINGS_MODULE",
    # keys of a WSGI request's environ (api.hot_path), not of the process environment
    "REQUEST_METHOD",
    "HTTP_COOKIE",
    "HTTP_AUTHORIZATION",
    "HTTP_ACCEPT_LANGUAGE",
    "HTTP_IDEMPOTENCY_KEY",
    "CONTENT_LENGTH",
    "CONTENT_TYPE",
    "PATH_INFO",
}

ENV_CALL = re.compile(
    r"""(?:\benv(?:_bool|_int|_list|_required)?\(\s*|os\.environ\.get\(\s*|os\.getenv\(\s*"""
    r"""|os\.environ\[\s*|environ\.get\(\s*)["']([A-Z][A-Z0-9_]+)["']"""
)
SHELL_DEFAULT = re.compile(r"\$\{([A-Z][A-Z0-9_]+):[-+=]")
MAKE_VARIABLE = re.compile(r"^([A-Z][A-Z0-9_]+) \?=", re.M)


def _read_variables() -> set[str]:
    found: set[str] = set()
    for directory in PYTHON_DIRS:
        for path in (ROOT / directory).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            found |= set(ENV_CALL.findall(path.read_text(encoding="utf-8")))
    for script in SCRIPTS:
        text = (ROOT / script).read_text(encoding="utf-8")
        found |= set(SHELL_DEFAULT.findall(text)) | set(ENV_CALL.findall(text))
    found |= set(MAKE_VARIABLE.findall((ROOT / "Makefile").read_text(encoding="utf-8")))
    return found - NOT_SETTINGS


def test_the_scan_finds_the_variables_it_must():
    found = _read_variables()
    # one of each kind: a setting, an app's own read, a script's, a make variable
    assert {"DATABASE_URL", "EHOME_SEARCH_SEGMENTER", "EHOME_PORT", "PYTHON"} <= found
    assert len(found) > 60


def test_readme_lists_every_variable_make_run_honours():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"`([A-Z][A-Z0-9_]+)`", readme))
    missing = sorted(_read_variables() - listed)
    assert not missing, f"README.md does not list: {', '.join(missing)}"
