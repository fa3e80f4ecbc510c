"""The curl examples of docs/api.md "## Caching, delta sync, robustness" stay true: each
`curl` in the section's bash blocks is translated to a test-client call and must get the
status its `# → NNN` line states (and the error `code` its example body shows).

Variables the docs use are bound by the test: ACCESS (a member's JWT), ETAG and
LAST_MODIFIED (from the previous answer's headers), SINCE (an hour ago), ATTEMPT (an exam
attempt of that member); BASE is the test client itself."""

from __future__ import annotations

import datetime as dt
import re
import shlex
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.utils import timezone
from rest_framework_simplejwt.tokens import AccessToken

from elearning.exams import services as exams
from tests.cms.conftest import publish_news, site  # noqa: F401 - fixtures
from tests.elearning.conftest import academy  # noqa: F401 - fixture
from tests.factories import member_in

pytestmark = pytest.mark.django_db

SECTION = "## Caching, delta sync, robustness"
DOC = Path(settings.BASE_DIR) / "docs" / "api.md"


def _section() -> str:
    text = DOC.read_text(encoding="utf-8")
    start = text.index(SECTION)
    nxt = text.find("\n## ", start + len(SECTION))
    return text[start : nxt if nxt != -1 else len(text)]


def examples() -> list[dict]:
    """[{"cmd": "curl …", "status": 304, "code": "not_found" | None}, …] in order."""
    out: list[dict] = []
    for block in re.findall(r"```bash\n(.*?)```", _section(), re.S):
        lines = block.splitlines()
        i = 0
        while i < len(lines):
            line = lines[i]
            if not line.startswith("curl "):
                i += 1
                continue
            cmd = line
            while cmd.endswith("\\"):
                i += 1
                cmd = cmd[:-1] + " " + lines[i].strip()
            i += 1
            status, code = None, None
            while i < len(lines) and lines[i].startswith("#"):
                m = re.match(r"#\s*→\s*(\d{3})", lines[i])
                if m:
                    status = int(m.group(1))
                m = re.search(r'"code":\s*"([a-z_]+)"', lines[i])
                if m:
                    code = m.group(1)
                i += 1
            out.append({"cmd": cmd, "status": status, "code": code})
    return out


def _parse_curl(cmd: str, env: dict) -> dict:
    def sub(m):
        name = m.group(1)
        assert name in env, f"docs use ${name}, which the test does not bind"
        return env[name].replace('"', '\\"')  # the docs quote variables: "…$ETAG…"

    args = shlex.split(re.sub(r"\$([A-Z_]+)", sub, cmd))
    assert args[0] == "curl"
    req = {"method": "GET", "headers": {}, "data": None, "url": None}
    it = iter(args[1:])
    for a in it:
        if a in ("-s", "-i", "-si", "-is", "-sS"):
            continue
        if a == "-X":
            req["method"] = next(it)
        elif a == "-H":
            k, v = next(it).split(":", 1)
            req["headers"][k.strip()] = v.strip()
        elif a == "-d":
            req["data"] = next(it)
        elif a.startswith("http"):
            req["url"] = a
        else:
            raise AssertionError(f"the docs test does not understand curl option {a!r}")
    assert req["url"], cmd
    return req


def _call(client, req):
    parts = urlsplit(req["url"])
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    meta = {}
    content_type = "application/octet-stream"
    for k, v in req["headers"].items():
        if k.lower() == "content-type":
            content_type = v
        else:
            meta["HTTP_" + k.upper().replace("-", "_")] = v
    method = getattr(client, req["method"].lower())
    if req["data"] is not None:
        return method(path, data=req["data"], content_type=content_type, **meta)
    return method(path, **meta)


def test_section_has_examples():
    found = examples()
    assert len(found) >= 8
    assert all(e["status"] for e in found), [e["cmd"] for e in found if not e["status"]]


def test_curl_examples_in_docs_are_true(client, org, site, academy):  # noqa: F811
    from django.core.cache import cache
    from django.db.models import F

    from api.models import ContentVersion

    member = member_in(org.a1)
    publish_news(
        site.channel, title="文档示例新闻", publishing_unit=org.root, audience_unit=org.root
    )
    attempt = exams.attempt_start(exam=academy.exam, member=member)
    # versions older than a second, so answers carry Last-Modified
    ContentVersion.objects.update(changed_at=F("changed_at") - dt.timedelta(hours=1))
    cache.clear()
    env = {
        "BASE": "http://testserver",
        "ACCESS": str(AccessToken.for_user(member.user)),
        "SINCE": (timezone.now() - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "ATTEMPT": str(attempt.pk),
    }
    for example in examples():
        req = _parse_curl(example["cmd"], env)
        r = _call(client, req)
        assert r.status_code == example["status"], (example["cmd"], r.status_code, r.content)
        if example["code"]:
            assert r.json()["error"]["code"] == example["code"], example["cmd"]
        if r.has_header("ETag"):
            env["ETAG"] = r["ETag"]
        if r.has_header("Last-Modified"):
            env["LAST_MODIFIED"] = r["Last-Modified"]
