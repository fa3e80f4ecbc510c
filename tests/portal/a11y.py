"""A small static accessibility check of rendered HTML: every form control has a label,
every image has alt text, the page has one <h1>, a <main> and a language."""

from __future__ import annotations

from html.parser import HTMLParser

CONTROLS = {"input", "select", "textarea"}
UNLABELLED_TYPES = {"hidden", "submit", "button", "reset", "image"}


class _Collector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.controls: list[dict] = []
        self.label_for: set[str] = set()
        self.label_depth = 0
        self.images: list[dict] = []
        self.tags: dict[str, int] = {}
        self.html_lang = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags[tag] = self.tags.get(tag, 0) + 1
        if tag == "html":
            self.html_lang = a.get("lang")
        if tag == "label":
            self.label_depth += 1
            if a.get("for"):
                self.label_for.add(a["for"])
        elif tag in CONTROLS and a.get("type", "text") not in UNLABELLED_TYPES:
            self.controls.append({**a, "_tag": tag, "_wrapped": self.label_depth > 0})
        elif tag == "img":
            self.images.append(a)

    def handle_endtag(self, tag):
        if tag == "label":
            self.label_depth = max(0, self.label_depth - 1)


def problems(html: str) -> list[str]:
    c = _Collector()
    c.feed(html)
    out = []
    for ctl in c.controls:
        labelled = ctl["_wrapped"] or ctl.get("id") in c.label_for or ctl.get("aria-label")
        if not labelled:
            out.append(f"unlabelled <{ctl['_tag']} name={ctl.get('name')!r}>")
    out += [f"<img src={i.get('src', '')[:40]!r}> without alt" for i in c.images if "alt" not in i]
    if c.tags.get("h1", 0) != 1:
        out.append(f"{c.tags.get('h1', 0)} <h1> elements")
    if c.tags.get("main", 0) != 1:
        out.append("no single <main>")
    if not c.html_lang:
        out.append("<html> without lang")
    return out
