"""The bulletin's PDF at full size (docs/benchmarks.md, "## Publications").

`python -m bench bulletin [-- --items 30 --images 2 --repeat 3]`

Composes a bulletin of `--items` items in five sections, each with ~900 characters of
Chinese text and `--images` photos, and prints it with the project's own print path —
`publications.bulletins.pdf.issue_html` (the template, the table of contents with its
page numbers) and `core.pdf.render_pdf_pages` (WeasyPrint, Noto CJK, local files only)
with the bulletin's stylesheet. The photos are drawn with Pillow at run time into a
temporary directory as JPEGs of the size the print rendition has (1400 px wide), so they
are what the printer reads from storage; nothing is committed. No database is needed.

Same-run baseline: the same bulletin without photos (text, fonts and layout only).
Target (#22): a bulletin of 40 pages with images in ≤ 10 s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

TARGET_S = 10.0
TEXT = (
    "各级党组织认真贯彻落实集团党委部署，把党建工作与生产经营深度融合，"
    "党员先锋岗、党员突击队在项目建设一线发挥了战斗堡垒作用和先锋模范作用。"
)


def _args(argv):
    p = argparse.ArgumentParser(prog="bench bulletin")
    p.add_argument("--items", type=int, default=30)
    p.add_argument("--images", type=int, default=2, help="photos per item")
    p.add_argument("--repeat", type=int, default=3)
    return p.parse_args(argv)


def _photos(n: int, into: Path) -> list[str]:
    from PIL import Image, ImageDraw

    names = []
    for i in range(n):
        img = Image.new("RGB", (1400, 933), ((i * 37) % 255, 90, 140))
        draw = ImageDraw.Draw(img)
        for k in range(12):  # some detail, so the JPEG is photo-sized, not a flat colour
            draw.ellipse([k * 100, (k * 61) % 700, k * 100 + 260, (k * 61) % 700 + 220],
                         fill=((k * 20) % 255, (i * 11) % 255, 200 - k * 10))  # fmt: skip
        name = f"photo-{i}.jpg"
        img.save(into / name, "JPEG", quality=80)
        names.append(name)
    return names


def _bulletin(items: int, photos: list[str], per_item: int):
    from publications.bulletins.shapes import Item, Section

    sections = []
    n = 0
    for s in range(5):
        out = []
        for _ in range(items // 5):
            body = "".join(f"<p>{TEXT * 3}</p>" for _ in range(3))
            item = Item(kind="editorial", title=f"第{n + 1}篇：项目党支部创新开展主题党日活动",
                        byline="组织部", body_html=body)  # fmt: skip
            item.anchor = f"item-{n}"
            images = [photos[(n * per_item + k) % len(photos)] for k in range(per_item)]
            out.append((item, images))
            n += 1
        sections.append((Section(heading=f"栏目{s + 1}", items=[i for i, _ in out],
                                 anchor=f"section-{s}"), out))  # fmt: skip
    return sections


def _render(sections, base: Path, with_images: bool) -> tuple[float, int, int]:
    from core.pdf import render_pdf_pages
    from publications.bulletins import pdf as printing

    issue = SimpleNamespace(
        title="集团党委部署年终党建考核",
        number_label="2026年第12期",
        issue_date=dt.date(2026, 12, 1),
        publishing_unit=SimpleNamespace(name="集团党委"),
        audience_unit=SimpleNamespace(name="集团党委"),
    )
    shown = []
    for section, pairs in sections:
        for item, _images in pairs:
            item.image_ids, item.attachments = [], []
        shown.append(section)
    started = time.perf_counter()
    html = printing.issue_html(issue, sections=shown)
    if with_images:  # the template's <figure>s, as issue_pdf lays them out
        for _section, pairs in sections:
            for item, images in pairs:
                figs = "".join(f'<figure><img src="{name}" alt=""></figure>' for name in images)
                marker = f'<h3 id="{item.anchor}">'
                head, tail = html.split(marker, 1)
                end = tail.index("</article>")
                html = head + marker + tail[:end] + figs + tail[end:]
    data, pages = render_pdf_pages(html, base_dir=base, css=printing.CSS)
    return time.perf_counter() - started, pages, len(data)


def main(argv: list[str]) -> None:
    args = _args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    with tempfile.TemporaryDirectory(prefix="bench-bulletin-") as tmp:
        base = Path(tmp)
        photos = _photos(24, base)
        sections = _bulletin(args.items, photos, args.images)
        _render(sections, base, True)  # warm: fonts loaded once per process
        runs = [_render(sections, base, True) for _ in range(args.repeat)]
        plain = [_render(sections, base, False) for _ in range(args.repeat)]
    seconds = statistics.median(r[0] for r in runs)
    base_s = statistics.median(r[0] for r in plain)
    pages, size = runs[0][1], runs[0][2]
    load = os.getloadavg()
    print(f"\n## Publications — bulletin PDF, {args.items} items × {args.images} photos")
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}, nproc {os.cpu_count()}")
    print("| bulletin | pages | render (median) | without photos | ratio | target ≤ 10 s |")
    print("| --- | --- | --- | --- | --- | --- |")
    print(
        f"| {args.items} items, {args.items * args.images} photos, {size / 1e6:.1f} MB "
        f"| {pages} | {seconds:.2f} s | {base_s:.2f} s ({plain[0][1]} pages) "
        f"| {seconds / base_s:.2f}× | {'met' if seconds <= TARGET_S and pages >= 40 else 'NOT met'} |"
    )
    print(f"runs: {', '.join(f'{r[0]:.2f}' for r in runs)} s (with photos)")
