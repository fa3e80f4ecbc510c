"""Production static files: collectstatic with whitenoise's compressed manifest storage
fingerprints and compresses the portal's assets (and the npm builds it serves)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_collectstatic_fingerprints_and_compresses(tmp_path):
    env = {
        **os.environ,
        "EHOME_MANIFEST_STATIC": "1",
        "EHOME_STATIC_ROOT": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    done = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    manifest = json.loads((tmp_path / "staticfiles.json").read_text())["paths"]
    for name in ("portal/css/portal.css", "portal/js/player.js", "hls.js/dist/hls.min.js"):
        hashed = manifest[name]
        assert hashed != name and (tmp_path / hashed).exists()
        assert (tmp_path / (hashed + ".gz")).exists()
    # a page rendered with the manifest storage links the fingerprinted file
    render = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup();"
            "from django.templatetags.static import static;"
            "print(static('portal/css/portal.css'))",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert render.stdout.strip() == "/static/" + manifest["portal/css/portal.css"], render.stderr
