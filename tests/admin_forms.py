"""Drive Wagtail admin forms the way a browser does: GET the form, read every field the
page renders (hidden management fields, chooser inputs, Draftail JSON), change what an
editor would type, add inline rows the way the "add" button does, POST it back."""

from __future__ import annotations

from django.http import QueryDict
from wagtail.test.utils import WagtailTestUtils
from wagtail.test.utils.form_data import querydict_from_html, rich_text

__all__ = ["add_row", "admin_form", "fill", "rich_text", "submit"]

EDITOR_FORM = "w-editor-form"


def admin_form(client, url: str, form_id: str = EDITOR_FORM) -> QueryDict:
    """The form data the admin page at `url` would submit unchanged. Set fields with
    `data[name] = value` / `data.setlist(...)` (QueryDict.update appends)."""
    resp = client.get(url)
    assert resp.status_code == 200, f"GET {url} → {resp.status_code}"
    html = resp.content.decode()
    data = querydict_from_html(html, form_id=form_id)
    data._mutable = True
    # a browser sends "on" for a ticked checkbox without a value attribute (Wagtail's
    # helper sends "", which Django reads as unticked)
    form = WagtailTestUtils.get_soup(html).find("form", attrs={"id": form_id})
    for box in form.find_all("input", type="checkbox", checked=True):
        if box.get("name") and "value" not in box.attrs:
            values = data.getlist(box["name"])
            data.setlist(box["name"], ["on" if v == "" else v for v in values])
    return data


def fill(data: QueryDict, values: dict) -> None:
    """Type `values` into the form (replacing what the page rendered)."""
    for name, value in values.items():
        data[name] = value


def add_row(data: QueryDict, prefix: str, **values) -> int:
    """Add one inline row (InlinePanel / formset) from its empty template, as the admin's
    "add" button does; returns the new row's index."""
    index = int(data[f"{prefix}-TOTAL_FORMS"])
    template = f"{prefix}-__prefix__-"
    for key in [k for k in data if k.startswith(template)]:
        data.setlist(f"{prefix}-{index}-{key[len(template) :]}", data.getlist(key))
    data[f"{prefix}-{index}-ORDER"] = str(index + 1)
    data[f"{prefix}-{index}-DELETE"] = ""
    for name, value in values.items():
        data[f"{prefix}-{index}-{name}"] = value
    data[f"{prefix}-TOTAL_FORMS"] = str(index + 1)
    return index


def submit(client, url: str, data: QueryDict, *, expect: int = 302):
    """POST `data`; a form error shows up in the assertion message."""
    # a dict of lists: the test client would send only the last value of a QueryDict key
    clean = {key: values for key, values in data.lists() if "__prefix__" not in key}
    resp = client.post(url, clean)
    if resp.status_code != expect:
        detail = ""
        ctx = getattr(resp, "context", None)
        if ctx is not None and ctx.get("form") is not None:
            form = ctx["form"]
            detail = f" form errors: {form.errors.as_data()}"
            for name, formset in getattr(form, "formsets", {}).items():
                detail += f" {name}: {formset.errors} {formset.non_form_errors()}"
        raise AssertionError(f"POST {url} → {resp.status_code} (expected {expect}){detail}")
    return resp
