"""Wagtail admin text that no catalogue can translate, made translatable.

Most of Wagtail's untranslated admin strings are msgids its zh-hans catalogue lacks:
those are supplied by the project's locale (``locale/zh_Hans/LC_MESSAGES/django.po``,
first in Django's lookup through LOCALE_PATHS). A few are not msgids at all — a label
Wagtail derives from a field name ("Site name"), a model without a verbose name
("1 locale"), a string translated at import time — and are fixed here, once, from `CoreConfig.ready`. The slim header's
hard-coded ``aria-label="Actions"`` is overridden in
``templates/wagtailadmin/shared/headers/_actions.html``.
"""

from __future__ import annotations

from django.utils.text import capfirst
from django.utils.translation import gettext_lazy


def translate_wagtail_labels() -> None:
    from wagtail.models import Locale
    from wagtail.sites.views import IndexView as SiteIndexView

    # Locale has no verbose name: Django's default "locale" is not a msgid
    Locale._meta.verbose_name = gettext_lazy("locale")
    Locale._meta.verbose_name_plural = gettext_lazy("locales")

    # The redirects filter translates at import time (gettext, not gettext_lazy),
    # before any language is active
    from wagtail.contrib.redirects.filters import RedirectsReportFilterSet

    kind = RedirectsReportFilterSet.base_filters["is_permanent"]
    kind.label = gettext_lazy("Type")
    kind.extra["empty_label"] = gettext_lazy("All")
    kind.extra["choices"] = ((True, gettext_lazy("Permanent")), (False, gettext_lazy("Temporary")))

    # The sites listing derives "Site name"/"Root page" from the field names; the
    # fields' verbose names are translated
    from wagtail.models import Site

    for column in SiteIndexView.columns:
        try:
            field = Site._meta.get_field(column.name)
        except Exception:  # a column that is not a model field keeps its label
            continue
        if column.label == capfirst(column.name.replace("_", " ")):
            column.label = capfirst(field.verbose_name)
