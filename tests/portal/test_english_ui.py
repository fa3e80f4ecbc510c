"""A member who chose English reads the portal in English: the portal's English catalogue
(portal/locale/en, refreshed by bin/portal-messages) translates every string the portal
marks, with nothing left untranslated or fuzzy (gettext ignores a fuzzy entry at run time,
so the member would see Chinese), and the newer pages — my dues, the unit board and Q&A,
a secretary's meeting form — come out in English after the language switch."""

from __future__ import annotations

import ast
import datetime as dt
import html as htmllib
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from organizations.models import UnitRole
from tests.factories import member_in, user_with_role

PO = Path(settings.BASE_DIR) / "portal/locale/en/LC_MESSAGES/django.po"
CJK = re.compile(r"[\u4e00-\u9fff]")


def _catalogue(path: Path) -> list[dict]:
    """The entries of a .po file: msgid, plural, msgstrs, flags and whether obsolete."""
    entries, cur, key = [], None, None

    def unquote(text):
        return ast.literal_eval(text[text.index('"') :])

    def start():
        return {"id": "", "plural": None, "str": [], "flags": set(), "obsolete": False}

    for raw in path.read_text(encoding="utf-8").splitlines() + [""]:
        line = raw.strip()
        obsolete = line.startswith("#~")
        if obsolete:
            line = line[2:].strip()
        if not line or (line.startswith("#") and cur and cur["str"]):
            if cur and cur["str"]:
                entries.append(cur)
                cur = None
            if not line:
                continue
        if cur is None:
            cur = start()
        cur["obsolete"] |= obsolete
        if line.startswith("#,"):
            cur["flags"] |= {f.strip() for f in line[2:].split(",")}
        elif line.startswith("msgid "):
            cur["id"], key = unquote(line), "id"
        elif line.startswith("msgid_plural "):
            cur["plural"], key = unquote(line), "plural"
        elif line.startswith("msgstr"):
            cur["str"].append(unquote(line))
            key = "str"
        elif line.startswith('"'):
            if key == "str":
                cur["str"][-1] += unquote(line)
            else:
                cur[key] += unquote(line)
    return [e for e in entries if e["id"]]


def test_the_english_catalogue_has_no_untranslated_fuzzy_or_obsolete_entry():
    entries = _catalogue(PO)
    assert len(entries) > 900  # the parser read the whole catalogue
    untranslated = [e["id"] for e in entries if not all(s.strip() for s in e["str"])]
    fuzzy = [e["id"] for e in entries if "fuzzy" in e["flags"]]
    obsolete = [e["id"] for e in entries if e["obsolete"]]
    assert not untranslated, f"untranslated: {untranslated[:10]}"
    assert not fuzzy, f"fuzzy (ignored at run time): {fuzzy[:10]}"
    assert not obsolete, f"obsolete: {obsolete[:10]}"
    # an English msgstr that kept a Chinese word would show Chinese to the reader
    # (a document number such as 中建党〔2026〕12号 is an example, not UI text)
    chinese = [e["id"] for e in entries if any(CJK.search(s) for s in e["str"])]
    assert chinese == ["如：中建党〔2026〕12号；同一发文单位内唯一"], chinese


def test_the_catalogue_parser_sees_an_untranslated_and_a_fuzzy_entry(tmp_path):
    po = tmp_path / "django.po"
    po.write_text(
        'msgid ""\nmsgstr "Language: en\\n"\n\n'
        'msgid "党费"\nmsgstr ""\n\n'
        '#, fuzzy, python-format\nmsgid "第 %(n)s 期"\nmsgstr "Issue %(n)s"\n\n'
        '#~ msgid "旧"\n#~ msgstr "Old"\n',
        encoding="utf-8",
    )
    entries = {e["id"]: e for e in _catalogue(po)}
    assert entries["党费"]["str"] == [""]
    assert "fuzzy" in entries["第 %(n)s 期"]["flags"]
    assert entries["旧"]["obsolete"]


TEMPLATE_DIRS = ["templates/portal", "templates/registration", "templates/cms"]
TEMPLATE_FILES = ["templates/base.html", "templates/403.html"]
# {% translate "…" %} / {% trans "…" %} with a literal (no context)
TRANSLATE_TAG = re.compile(
    r"""\{%\s*(?:translate|trans)\s+(?:"([^"]+)"|'([^']+)')(?!\s+context)[^%]*%\}"""
)
PY_CALL = re.compile(r'\b(?:_|gettext|gettext_lazy)\(\s*"([^"]+)"\s*[,)]')


def test_every_string_the_portal_marks_is_in_the_english_catalogue():
    """A string added to a portal template or view without refreshing the catalogue
    (bin/portal-messages) would show in Chinese to an English reader."""
    base = Path(settings.BASE_DIR)
    known = {e["id"] for e in _catalogue(PO)}
    files = [base / f for f in TEMPLATE_FILES]
    files += [p for d in TEMPLATE_DIRS for p in sorted((base / d).rglob("*.html"))]
    marked = {(p, d or s) for p in files for d, s in TRANSLATE_TAG.findall(p.read_text("utf-8"))}
    sources = sorted((base / "portal").rglob("*.py")) + [base / "supervision/forms.py"]
    marked |= {(p, s) for p in sources for s in PY_CALL.findall(p.read_text("utf-8"))}
    assert len(marked) > 500
    missing = sorted(f"{p.relative_to(base)}: {s}" for p, s in marked if s not in known)
    assert not missing, "\n".join(missing[:20])


# --- pages, in English as a member switches to it -----------------------------------------


def _english(user) -> Client:
    """A logged-in client that chose English with the portal's language switch."""
    client = Client()
    client.force_login(user)
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    return client


def _page(client, url) -> str:
    response = client.get(url, follow=True)
    assert response.status_code == 200, url
    return htmllib.unescape(response.content.decode())


def _labels(page: str) -> list[str]:
    return [
        re.sub(r"<[^>]+>", "", m).strip().rstrip(":：").strip()
        for m in re.findall(r"<label[^>]*>(.*?)</label>", page, re.S)
    ]


@pytest.mark.django_db
def test_my_dues_reads_in_english(org):
    from dues.rules import DuesBase
    from dues.services import obligations_generate, setup_ensure

    setup_ensure()
    member = member_in(org.a1, username="payer_en")
    DuesBase.objects.create(
        member=member, unit=member.unit, year=2026, category="employed", base_fen=650000
    )
    obligations_generate(month=dt.date(2026, 11, 1))

    chinese = Client()
    chinese.force_login(member.user)
    assert "应缴党费" in _page(chinese, "/dues/")

    page = _page(_english(member.user), "/dues/")
    assert 'lang="en"' in page
    for text in (
        "Party dues owed",
        "November 2026",
        "97.50",
        "Payment receipts",
        "No payments yet.",
    ):
        assert text in page, text
    # the history's entry kind is the ledger model's choice, translated too
    assert re.search(r"<td>2026-11</td><td>Due</td>", page)
    for text in ("应缴党费", "缴费收据", "2026 年 11 月", "暂无缴费记录"):
        assert text not in page, text


@pytest.mark.django_db
def test_the_unit_board_and_questions_read_in_english(org):
    member = member_in(org.a1, username="reader_en")
    client = _english(member.user)
    board = _page(client, "/board/")
    assert "message board" in board and "Other message boards" in board
    assert "留言板" not in board
    questions = _page(client, "/qa/")
    assert "My questions" in questions and "Ask a question" in questions
    assert "我的提问" not in questions and "我要提问" not in questions
    ask = _page(client, "/qa/ask/")
    assert _labels(ask) and not [t for t in _labels(ask) if CJK.search(t)], _labels(ask)


@pytest.mark.django_db
def test_a_secretary_schedules_a_meeting_in_english(org):
    secretary = user_with_role(org.b1, UnitRole.Role.SECRETARY, username="sec_b1_en")
    client = _english(secretary)
    form = _page(client, "/supervision/meetings/new/")
    labels = _labels(form)
    for text in ("Meeting type", "Start time (the organisation's local time)", "Agenda"):
        assert text in labels, labels
    assert not [t for t in labels if CJK.search(t)], labels
    assert "In the organisation's time zone, e.g. 2026-12-10 14:30" in form
    assert ">Party lesson<" in form and ">Branch general meeting<" in form
    assert "Schedule and notify" in form
    # a refusal on the form is English too: a unit outside the secretary's scope
    refused = client.post(
        "/supervision/meetings/new/",
        {
            "unit": org.a1.pk,
            "kind": "party_lesson",
            "starts_local": "2099-03-10 19:00",
            "duration_minutes": 60,
        },
    )
    text = htmllib.unescape(refused.content.decode())
    assert "Party organisation: the selection does not exist or is outside what you manage" in text
    assert "不在您的管理范围内" not in text
