"""PDFs made by the project (the bulletin, introduction letters, dues receipts) from HTML
with WeasyPrint. Chinese text uses Debian's Noto CJK fonts (fonts-noto-cjk, installed by
bin/system-deps); nothing is fetched from the network: URLs other than data: and the
project's own files (`base_url`) are refused."""

from __future__ import annotations

from pathlib import Path

#: put first in every PDF stylesheet so Chinese glyphs never fall back to tofu
CJK_FONT_CSS = """
@page { size: A4; margin: 20mm 18mm; }
html { font-family: "Noto Serif CJK SC", "Noto Sans CJK SC", serif; font-size: 11pt; }
"""


def _local_fetcher(base: Path | None):
    from weasyprint.urls import URLFetcher

    class LocalOnly(URLFetcher):
        def fetch(self, url, headers=None):
            if url.startswith("file://") and base is not None:
                target = Path(url[len("file://") :].split("?")[0]).resolve()
                if not target.is_relative_to(base.resolve()):
                    raise ValueError(f"PDF rendering does not read {url[:80]!r}")
            elif not url.startswith("data:"):
                raise ValueError(f"PDF rendering does not fetch {url[:80]!r}")
            return super().fetch(url, headers)

    return LocalOnly(allowed_protocols=("data", "file"))


def render_pdf(html: str, *, base_dir: str | Path | None = None, css: str = "") -> bytes:
    """`html` rendered to PDF bytes. Images are embedded as data: URLs or read from files
    under `base_dir`."""
    return render_pdf_pages(html, base_dir=base_dir, css=css)[0]


def render_pdf_pages(
    html: str, *, base_dir: str | Path | None = None, css: str = ""
) -> tuple[bytes, int]:
    """`render_pdf`, with the number of pages laid out."""
    from weasyprint import CSS, HTML

    base = Path(base_dir) if base_dir else None
    document = HTML(
        string=html,
        base_url=str(base) + "/" if base else None,
        url_fetcher=_local_fetcher(base),
    ).render(stylesheets=[CSS(string=CJK_FONT_CSS + css)])
    return document.write_pdf(), len(document.pages)
