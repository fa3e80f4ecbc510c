"""The printed issue: HTML laid out for A4 and rendered by WeasyPrint (core.pdf).

Layout: the red masthead 《政工情况》 with the issue number, issuing unit and date; a table
of contents whose page numbers WeasyPrint fills in (`target-counter`); the sections and
their items with their images; page numbers in the footer; the distribution line (发)
at the end. Images are JPEG renditions no wider than the page needs, copied from the
project's storage (local or S3) into a temporary directory the renderer may read —
WeasyPrint embeds a JPEG as it is, without decoding it again.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from django.template.loader import render_to_string

from core.pdf import render_pdf_pages
from publications.bulletins.contents import attachments_of, image_ids_of, issue_contents
from publications.bulletins.models import MASTHEAD

#: 1400 px across the 174 mm text width is ~200 dpi: sharp in print, small in the file
IMAGE_SPEC = "max-1400x1400|format-jpeg|jpegquality-80"

CSS = """
@page {
  size: A4; margin: 22mm 20mm 20mm 20mm;
  @bottom-center { content: "— " counter(page) " —"; font-size: 9pt; color: #555; }
}
@page :first { @bottom-center { content: none; } }
body { line-height: 1.75; }
/* one face (Noto Serif CJK SC Regular) for the whole issue: each further face (bold
   headings) is another ~20 MB font collection read and subset for every PDF */
h1, h2, h3, .toc li.section { font-weight: normal; }
.masthead { text-align: center; border-bottom: 2.5pt solid #c00; padding-bottom: 4mm; }
.masthead h1 { color: #c00; font-size: 44pt; letter-spacing: 8pt; margin: 6mm 0 3mm; }
.masthead .number { font-size: 13pt; margin: 0; }
.masthead .meta { display: flex; justify-content: space-between; font-size: 11pt; margin-top: 3mm; }
.toc { margin: 8mm 0 6mm; page-break-after: always; }
.toc h2 { text-align: center; font-size: 15pt; letter-spacing: 6pt; }
.toc ol { list-style: none; padding: 0; }
.toc li.section { font-weight: bold; margin-top: 3mm; }
.toc li.item { margin-left: 8mm; }
.toc a { color: inherit; text-decoration: none; }
.toc a::after { content: leader(".") target-counter(attr(href), page); }
section h2 { color: #c00; font-size: 15pt; border-left: 4pt solid #c00; padding-left: 3mm;
  margin-top: 8mm; string-set: section content(); }
article { margin-bottom: 6mm; }
article h3 { font-size: 14pt; text-align: center; margin: 5mm 0 2mm; }
article .byline { text-align: center; color: #444; font-size: 10pt; margin: 0 0 3mm; }
article p { text-indent: 2em; margin: 0 0 2mm; }
figure { margin: 3mm 0; text-align: center; page-break-inside: avoid; }
figure img { max-width: 100%; max-height: 110mm; }
.distribution { border-top: 1pt solid #000; border-bottom: 1pt solid #000; margin-top: 10mm;
  padding: 2mm 0; font-size: 10pt; page-break-inside: avoid; }
"""


@dataclass(frozen=True)
class Printed:
    data: bytes
    pages: int
    seconds: float


def _copy_images(image_ids: list[int], into: Path) -> dict[int, str]:
    """{image id: file name under `into`} for the images a reader will see printed."""
    from wagtail.images import get_image_model

    found: dict[int, str] = {}
    for image in get_image_model().objects.filter(pk__in=set(image_ids)):
        rendition = image.get_rendition(IMAGE_SPEC)
        name = f"img-{image.pk}.jpg"
        with rendition.file.open("rb") as src:
            (into / name).write_bytes(src.read())
        found[image.pk] = name
    return found


def _copy_attachments(attachments: list, into: Path) -> dict[int, str]:
    """{attachment id: file name under `into`} for the manuscripts' images."""
    found: dict[int, str] = {}
    for a in attachments:
        if a.pk in found:
            continue
        name = f"att-{a.pk}.{(a.kind or 'jpg').lower()}"
        with a.file.open("rb") as src:
            (into / name).write_bytes(src.read())
        found[a.pk] = name
    return found


def issue_html(
    issue,
    *,
    sections=None,
    images: dict[int, str] | None = None,
    attachments: dict[int, str] | None = None,
) -> str:
    sections = issue_contents(issue) if sections is None else sections
    images, attachments = images or {}, attachments or {}
    for section in sections:
        for item in section.items:
            item.images = [images[i] for i in item.image_ids if i in images] + [
                attachments[a.pk] for a in item.attachments if a.pk in attachments
            ]
    return render_to_string(
        "publications/bulletin_pdf.html",
        {
            "masthead": MASTHEAD,
            "issue": issue,
            "sections": sections,
        },
    )


def issue_pdf(issue) -> Printed:
    """The issue printed: PDF bytes, pages, seconds spent (images included)."""
    started = time.perf_counter()
    sections = issue_contents(issue)
    with tempfile.TemporaryDirectory(prefix="bulletin-") as tmp:
        base = Path(tmp)
        images = _copy_images(image_ids_of(sections), base)
        attachments = _copy_attachments(attachments_of(sections), base)
        html = issue_html(issue, sections=sections, images=images, attachments=attachments)
        data, pages = render_pdf_pages(html, base_dir=base, css=CSS)
    return Printed(data=data, pages=pages, seconds=time.perf_counter() - started)
