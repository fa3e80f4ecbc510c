"""Small generated sample files (demo, tests, benchmarks) — nothing binary is committed.

`pdf_bytes` writes a minimal valid one-page PDF; `epub_bytes` a minimal EPUB 3 (a zip
whose first, stored entry is `mimetype`); `cover_png` a coloured cover made with Pillow.
"""

from __future__ import annotations

import io
import zipfile
from html import escape


def pdf_bytes(title: str = "e-Home") -> bytes:
    text = "".join(c if 32 <= ord(c) < 127 and c not in "()\\" else "?" for c in title)[:60]
    stream = f"BT /F1 18 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, obj in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{i} 0 obj\n".encode() + obj + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for off in offsets:
        out.write(f"{off:010d} 00000 n \n".encode())
    out.write(
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return out.getvalue()


def epub_bytes(title: str = "e-Home", body: str = "") -> bytes:
    t = escape(title)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr(
            zipfile.ZipInfo("mimetype"), "application/epub+zip", compress_type=zipfile.ZIP_STORED
        )
        zf.writestr(
            "META-INF/container.xml",
            '<?xml version="1.0"?><container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">'
            '<rootfiles><rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/>'
            "</rootfiles></container>",
            compress_type=zipfile.ZIP_DEFLATED,
        )
        zf.writestr(
            "OEBPS/content.opf",
            '<?xml version="1.0" encoding="utf-8"?><package xmlns="http://www.idpf.org/2007/opf" version="3.0" '
            'unique-identifier="id"><metadata xmlns:dc="http://purl.org/dc/elements/1.1/">'
            f'<dc:identifier id="id">ehome-{abs(hash(title))}</dc:identifier><dc:title>{t}</dc:title>'
            '<dc:language>zh</dc:language></metadata><manifest><item id="c1" href="c1.xhtml" '
            'media-type="application/xhtml+xml"/><item id="nav" href="nav.xhtml" media-type="application/xhtml+xml" '
            'properties="nav"/></manifest><spine><itemref idref="c1"/></spine></package>',
            compress_type=zipfile.ZIP_DEFLATED,
        )
        zf.writestr(
            "OEBPS/nav.xhtml",
            '<?xml version="1.0" encoding="utf-8"?><html xmlns="http://www.w3.org/1999/xhtml" '
            'xmlns:epub="http://www.idpf.org/2007/ops"><head><title>目录</title></head><body>'
            f'<nav epub:type="toc"><ol><li><a href="c1.xhtml">{t}</a></li></ol></nav></body></html>',
            compress_type=zipfile.ZIP_DEFLATED,
        )
        zf.writestr(
            "OEBPS/c1.xhtml",
            '<?xml version="1.0" encoding="utf-8"?><html xmlns="http://www.w3.org/1999/xhtml"><head>'
            f"<title>{t}</title></head><body><h1>{t}</h1><p>{escape(body or '本书为演示用的示例电子书。')}</p>"
            "</body></html>",
            compress_type=zipfile.ZIP_DEFLATED,
        )
    return out.getvalue()


PALETTE = [
    (178, 34, 34),
    (200, 60, 40),
    (160, 20, 30),
    (190, 120, 30),
    (40, 90, 160),
    (30, 110, 80),
]


def cover_png(seed: int = 0, size: tuple[int, int] = (300, 400)) -> bytes:
    from PIL import Image, ImageDraw

    color = PALETTE[seed % len(PALETTE)]
    img = Image.new("RGB", size, color)
    draw = ImageDraw.Draw(img)
    w, h = size
    draw.rectangle([w * 0.08, h * 0.08, w * 0.92, h * 0.92], outline=(255, 215, 0), width=4)
    cx, cy, r = w / 2, h * 0.4, min(w, h) * 0.18
    draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=(255, 215, 0))
    draw.rectangle([w * 0.2, h * 0.7, w * 0.8, h * 0.74], fill=(255, 230, 150))
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


def isbn13(n: int, prefix: str = "978750") -> str:
    """A valid ISBN-13 (check digit computed) for the n-th generated book."""
    body = f"{prefix}{n:0{12 - len(prefix)}d}"
    if len(body) != 12:
        raise ValueError(f"n={n} does not fit after prefix {prefix}")
    total = sum(int(c) * (1 if i % 2 == 0 else 3) for i, c in enumerate(body))
    return body + str((10 - total % 10) % 10)


def issn(n: int) -> str:
    body = f"{1000000 + n:07d}"[-7:]
    total = sum(int(c) * (8 - i) for i, c in enumerate(body))
    check = (11 - total % 11) % 11
    return f"{body[:4]}-{body[4:]}{'X' if check == 10 else check}"


def wagtail_image(title: str, data: bytes, filename: str):
    """Save a Wagtail image from bytes (dimensions read with Pillow)."""
    from django.core.files.images import ImageFile
    from PIL import Image as PILImage
    from wagtail.images import get_image_model

    with PILImage.open(io.BytesIO(data)) as im:
        width, height = im.size
    image = get_image_model()(title=title, width=width, height=height)
    image.file.save(filename, ImageFile(io.BytesIO(data), name=filename), save=False)
    image.width, image.height = width, height
    image.save()
    return image
