"""The admin and the portal are Chinese: walking their pages as every demo role (the
seeded demo `make run` shows) finds no English UI text — Wagtail's own strings that its
zh-hans catalogue lacks come from the project's locale (locale/zh_Hans), ours are
Chinese, and a member refused a page gets a Chinese page, not a bare "403 Forbidden".

The detector reads what a person sees: text nodes outside scripts and styles, and the
placeholder/title/aria-label attributes. A snippet holding a word of English UI
vocabulary (UI_WORDS) that is not part of the demo's own content, or an IANA zone name
in brackets, is untranslated. Proper nouns and technical names the product keeps as
they are (e-Home, App, HLS, ISBN, Excel) are not UI vocabulary."""

from __future__ import annotations

import ast
import io
import re
from html.parser import HTMLParser

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

from organizations import demo as org_demo
from tests.organizations.test_demo_logins import menu_urls

pytestmark = pytest.mark.django_db

# English UI vocabulary: a visible Latin word from this list is an untranslated string
# (content — titles, names, ISBNs, IANA zone names in a select — uses other words).
UI_WORDS = set(
    """
    about access account actions active add admin all an and any apply are as at back
    before by cancel change changes choose clear close collection collections comments copy
    create created current date day days delete description details document documents
    done download draft edit editing email error exploring failed file files filter filters
    first for forbidden found from go group groups has have help hide history home if image
    images in is it items last latest live loading locale locked log login logout match
    menu more move my name new next no not of on or order out page pages password pending
    preview previous privacy probe profile publish published query recent remove reports
    required reset results revision revisions save saved scheduled search see select
    selected settings show sign signed site sort status submit the theme this title to
    transcode loudness package thumbnail unlock unpublish update updated upload user
    username users view was welcome with workflow you your
    """.split()
)
WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*[A-Za-z]|[A-Za-z]")
# an IANA zone name shown to a reader, e.g. "截止 … (Africa/Dar_es_Salaam)"
ZONE_IN_TEXT = re.compile(r"\((?:Africa|America|Asia|Europe|Australia|Pacific)/\w+\)")
ZONE_NAME = re.compile(r"[A-Z][A-Za-z_]+(?:/[A-Za-z_+-]+)+")
SKIP_TAGS = {"script", "style", "svg", "code", "pre", "noscript"}
ATTRS = ("placeholder", "title", "aria-label", "alt")


class VisibleText(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.skip = 0
        self.texts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in SKIP_TAGS:
            self.skip += 1
        # an element's own notranslate marker: user content (names, titles) as typed
        for name, value in attrs:
            if name in ATTRS and value and not self.skip:
                self.texts.append(value)

    def handle_endtag(self, tag):
        if tag in SKIP_TAGS and self.skip:
            self.skip -= 1

    def handle_data(self, data):
        if not self.skip and data.strip():
            self.texts.append(data.strip())


def english(html: str, content_words: set[str]) -> list[str]:
    """The visible snippets holding a Latin word that is neither allowed nor part of
    the demo's own content (titles, names typed by editors)."""
    parser = VisibleText()
    parser.feed(html)
    found = []
    for text in parser.texts:
        if ZONE_NAME.fullmatch(text):
            continue  # a time zone's IANA name offered as such (account preferences)
        words = {w.lower() for w in WORD.findall(text)}
        if (words & UI_WORDS) - content_words or ZONE_IN_TEXT.search(text):
            found.append(text[:80])
    return found


@pytest.fixture
def demo(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("seed_demo", skip=["media_pipeline", "search"], stdout=io.StringIO())


def _content_words() -> set[str]:
    """Latin words in the demo's own content (an English book title is not UI text)."""
    from wagtail.models import Page

    from cms.models import Book
    from elearning.models import Course, Lesson, Question

    texts = [*Page.objects.values_list("title", flat=True)]
    texts += Book.objects.values_list("title", flat=True)
    texts += Course.objects.values_list("title", flat=True)
    texts += Lesson.objects.values_list("title", flat=True)
    texts += Question.objects.values_list("stem", flat=True)
    texts += get_user_model().objects.values_list("username", flat=True)
    return {w.lower() for t in texts for w in WORD.findall(t or "")}


ADMIN_EXTRA = [
    "/admin/",
    "/admin/pages/",
    "/admin/account/",
    "/admin/images/",
    # searches that find nothing: "No 党员 match your query."
    "/admin/pages/search/?q=zzzqqq",
    "/admin/org_members/?q=zzzqqq",
]
PORTAL = [
    "/",
    "/news/",
    "/stories/",
    "/books/",
    "/learn/",
    "/contests/",
    "/search/?q=党员",
    "/dashboard/",
]


def _get(client, url):
    resp = client.get(url, follow=True)
    return resp.status_code, resp.content.decode("utf-8", "replace")


def test_admin_and_portal_show_no_english_ui_text(demo):
    content = _content_words()
    offenders: dict[str, set[str]] = {}
    User = get_user_model()
    for username, *_ in org_demo.LOGINS:
        client = Client()
        client.force_login(User.objects.get(username=username))
        urls = list(PORTAL)
        status, home = _get(client, "/admin/")
        if status == 200 and "wagtail-sidebar-props" in home:
            urls += ADMIN_EXTRA + [
                u for _, u in menu_urls(home) if u.startswith("/") and "logout" not in u
            ]
        for url in dict.fromkeys(urls):
            status, html = _get(client, url)
            for text in english(html, content):
                offenders.setdefault(text, set()).add(f"{username} {url} ({status})")
    anonymous = Client()
    for url in ("/accounts/login/", "/admin/login/"):
        for text in english(_get(anonymous, url)[1], content):
            offenders.setdefault(text, set()).add(f"anonymous {url}")
    report = "\n".join(f"{t!r}: {sorted(w)[:3]}" for t, w in sorted(offenders.items()))
    assert not offenders, report


# --- the single items, each without the demo ---------------------------------------


def _po_entries(path):
    """(msgid, msgid_plural or None, [msgstr…]) of a .po file, header excluded."""
    entries, cur, key = [], None, None

    def unquote(line):
        return ast.literal_eval(line[line.index('"') :])

    for raw in path.read_text(encoding="utf-8").splitlines() + [""]:
        line = raw.strip()
        if line.startswith("msgid "):
            if cur:
                entries.append(cur)
            cur, key = {"id": unquote(line), "plural": None, "str": []}, "id"
        elif line.startswith("msgid_plural "):
            cur["plural"], key = unquote(line), "plural"
        elif line.startswith("msgstr"):
            cur["str"].append(unquote(line))
            key = "str"
        elif line.startswith('"') and cur:
            if key == "str":
                cur["str"][-1] += unquote(line)
            else:
                cur[key] += unquote(line)
    if cur:
        entries.append(cur)
    return [e for e in entries if e["id"]]


def test_every_compiled_catalogue_matches_its_po():
    """The .mo files are committed (a clone runs without gettext): one that lags
    behind its .po after an edit fails here (`make messages` recompiles)."""
    import gettext
    from pathlib import Path

    from django.conf import settings

    pos = sorted(Path(settings.BASE_DIR).glob("locale/*/LC_MESSAGES/django.po"))
    pos += sorted(Path(settings.BASE_DIR).glob("*/locale/*/LC_MESSAGES/django.po"))
    assert any("zh_Hans" in str(p) for p in pos)
    stale = []
    for po in pos:
        with open(po.with_suffix(".mo"), "rb") as fh:
            catalogue = gettext.GNUTranslations(fh)
        for e in _po_entries(po):
            if e["plural"]:
                got = catalogue.ngettext(e["id"], e["plural"], 1)
            else:
                got = catalogue.gettext(e["id"])
            if e["str"][0] and got != e["str"][0]:
                stale.append((po.parent.parent.name, e["id"][:40]))
    assert not stale, stale


def test_a_member_refused_the_dashboard_gets_a_chinese_page(org):
    from tests.factories import member_in

    client = Client()
    client.force_login(member_in(org.a1).user)
    resp = client.get("/dashboard/")
    assert resp.status_code == 403
    html = resp.content.decode()
    assert "没有权限" in html and "统计页面仅供党组织书记使用" in html
    assert "Forbidden" not in html


def test_the_language_switcher_names_each_language_in_itself(db):
    html = Client().get("/accounts/login/").content.decode()
    assert re.search(r'<option value="en" lang="en"[^>]*>English</option>', html)
    assert re.search(r'<option value="zh-hans" lang="zh-hans"[^>]*>简体中文</option>', html)
    assert "英语" not in html


def test_a_passed_exam_reads_passed_in_english():
    from django.utils import translation

    with translation.override("en"):
        assert translation.gettext("已通过") == "Passed"
        assert translation.gettext("已退出") == "Signed out"


def test_media_steps_are_named_in_chinese(org):
    from django.urls import reverse

    from media_pipeline.models import MediaAsset
    from tests.factories import UserFactory

    asset = MediaAsset.objects.create(
        kind="audio",
        title="微党课",
        owner_unit=org.root,
        status="ready",
        timings={"transcode": 3.2, "probe": 0.1, "loudness": 1.5, "total": 5.0},
    )
    client = Client()
    client.force_login(UserFactory(username="root_admin", is_staff=True, is_superuser=True))
    html = client.get(reverse("media_pipeline_admin:detail", args=[asset.pk])).content.decode()
    assert "探测 0.1 秒；响度测量 1.5 秒；转码 3.2 秒；合计 5.0 秒" in html
    assert not re.search(r"\b(probe|loudness|transcode)\b \d", html)
