"""Bulletin fixtures: the CMS site (editors, reviewers, the review workflow), the
bulletin's section under it, images made with Pillow at run time, and helpers that
compose an issue, take it through review and read its printed PDF."""

from __future__ import annotations

import datetime as dt
import io
import subprocess
from pathlib import Path

import pytest
from django.core.files.images import ImageFile
from PIL import Image as PILImage
from PIL import ImageDraw
from wagtail.images import get_image_model

from tests.cms.conftest import _fast_passwords, members, roles, site  # noqa: F401, F811


@pytest.fixture
def bulletin_index(site):  # noqa: F811
    from publications.models import BulletinIndexPage

    index = BulletinIndexPage(title="政工情况", slug="bulletin")
    site.home.add_child(instance=index)
    index.save_revision().publish()
    return index


def make_image(title="现场照片", size=(900, 600), color=(180, 30, 30)):
    """A real JPEG, drawn now (no media is committed)."""
    img = PILImage.new("RGB", size, (245, 240, 230))
    draw = ImageDraw.Draw(img)
    draw.rectangle([40, 40, size[0] - 40, size[1] - 40], fill=color)
    draw.ellipse([size[0] // 3, size[1] // 4, size[0] // 2, size[1] // 2], fill=(250, 210, 0))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=85)
    buf.seek(0)
    return get_image_model().objects.create(title=title, file=ImageFile(buf, name=f"{title}.jpg"))


def editorial(title, text="全体党员认真学习，扎实推进各项工作。", images=()):
    return (
        "editorial",
        {
            "title": title,
            "author": "组织部",
            "body": f"<p>{text}</p>",
            "images": [img.pk for img in images],
        },
    )


def sections_of(*sections):
    """[(heading, [(kind, value), …]), …] → the StreamField's stored JSON (a manuscript
    item's value is the manuscript's id, an editorial item's images their ids)."""
    return [
        {
            "type": "section",
            "value": {
                "heading": h,
                "items": [{"type": kind, "value": value} for kind, value in items],
            },
        }
        for h, items in sections
    ]


def compose(
    editor,
    index,
    unit,
    *,
    audience=None,
    number=1,
    title="集团党委部署年终考核",
    day=dt.date(2026, 12, 1),
    sections=None,
):
    from publications.bulletins.services import bulletin_compose

    return bulletin_compose(
        user=editor,
        index=index,
        title=title,
        issue_number=number,
        issue_date=day,
        publishing_unit=unit,
        audience_unit=audience or unit,
        sections=sections or sections_of(("工作动态", [editorial("第一工程局召开党建推进会")])),
    )


def pdf_pages_as_images(data: bytes, tmp: Path) -> list[Path]:
    """The PDF's pages rendered by poppler's pdftoppm (PNG, 40 dpi)."""
    (tmp / "issue.pdf").write_bytes(data)
    subprocess.run(
        ["pdftoppm", "-r", "40", "-png", str(tmp / "issue.pdf"), str(tmp / "page")], check=True
    )
    return sorted(tmp.glob("page-*.png"))


def pdf_text(data: bytes, tmp: Path) -> str:
    (tmp / "text.pdf").write_bytes(data)
    out = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(tmp / "text.pdf"), "-"],
        check=True,
        capture_output=True,
    )
    return out.stdout.decode()


def non_blank(png: Path) -> bool:
    with PILImage.open(png) as im:
        lo, hi = im.convert("L").getextrema()
    return lo < 200  # some ink on the page, not a white sheet


@pytest.fixture
def news_site(db):
    from cms.services import setup_ensure

    setup_ensure()


def jpeg_bytes(size=(800, 500), color=(30, 90, 160)) -> bytes:
    img = PILImage.new("RGB", size, color)
    ImageDraw.Draw(img).rectangle([50, 50, 300, 200], fill=(240, 200, 0))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=85)
    return buf.getvalue()


def adopted_manuscript(
    user,
    sender,
    receiver,
    *,
    title="项目部开展党员先锋岗活动",
    decision="adopted_bulletin",
    image=True,
):
    """A manuscript sent by `sender` to `receiver` through the manuscript services,
    registered and decided (`decision`; None leaves it registered), with a photo."""
    from publications.manuscripts import services

    m = services.manuscript_create(
        user=user,
        sender_unit_id=sender.pk,
        receiver_unit_id=receiver.pk,
        title=title,
        body="项目部党支部设立党员先锋岗。\n党员带头攻坚克难，按期完成节点目标。",
        column="基层动态",
    )
    if image:
        services.manuscript_attach(
            user=user, manuscript_id=m.pk, name="现场.jpg", data=jpeg_bytes()
        )
    services.manuscript_submit(user=user, manuscript_id=m.pk)
    services.manuscript_register(user=user, manuscript_id=m.pk)
    if decision:
        services.manuscript_decide(user=user, manuscript_id=m.pk, decision=decision)
    m.refresh_from_db()
    return m
