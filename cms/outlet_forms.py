"""The 发布阵地 field of content page forms.

Choices: outlets whose owning unit the editor may read for (their own units and the units
above, `OUTLET_POLICY.choosable`), portal outlets only for the section the page lives in;
closed outlets are not offered unless already chosen. A new page starts with its
section's portal outlet and the app ticked. On every save an outlet must belong to the
publishing unit or a unit above it; when the editor publishes, submits for review or
acts on a review step, every outlet (the defaults when none is ticked) must be able to
carry a publication — otherwise the form is shown again with a message naming the
outlet, and nothing is saved.
"""

from __future__ import annotations

from django.db.models import Q
from wagtail.models import Page


def _outlet_rules():
    """cms.outlets: it imports cms.models, which imports this module (through cms.forms)
    while it loads, so the rules are handed over by CmsConfig.ready(), not imported."""
    from django.apps import apps

    return apps.get_app_config("cms").outlet_rules


#: submit buttons of the page editor that publish or move the page towards publication
PUBLISHING_ACTIONS = (
    "action-publish",
    "action-submit",
    "action-restart-workflow",
    "action-workflow-action",
)


class OutletChoiceFormMixin:
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields.get("outlets")
        if field is None:
            return
        rules = _outlet_rules()
        Outlet = field.queryset.model  # noqa: N806 (cms.forms may not import cms.models)

        chosen = [o.pk for o in self.instance.outlets.all()]
        other_sections = Q(kind=Outlet.Kind.PORTAL) & ~Q(section__path=self._section_path())
        closed = Q(status=Outlet.Status.CLOSED) & ~Q(pk__in=chosen)
        field.queryset = (
            field.queryset.exclude(other_sections)
            .exclude(closed)
            .select_related("owner_unit", "section")
            .order_by("owner_unit__path", "kind", "name")
        )
        field.label_from_instance = _label
        if not chosen and not self.is_bound:
            defaults = rules.outlets_default_for(section_path=self._section_path())
            self.initial["outlets"] = [o.pk for o in defaults]

    def _section_path(self) -> str | None:
        if self.instance.path:
            return self.instance.path[: -Page.steplen]
        parent = getattr(self, "parent_page", None)
        return parent.path if parent is not None else None

    def _publishing_requested(self) -> bool:
        return any(self.data.get(name) for name in PUBLISHING_ACTIONS)

    def clean(self):
        cleaned = super().clean()
        if "outlets" not in self.fields or "outlets" in self.errors:
            return cleaned
        rules = _outlet_rules()
        section_path = self._section_path()
        outlets = list(cleaned.get("outlets") or []) or rules.outlets_default_for(
            section_path=section_path
        )
        where = {"unit": cleaned.get("publishing_unit"), "section_path": section_path}
        if self._publishing_requested():
            problems = rules.publication_problems(outlets, **where)
        else:  # a draft may wait for a suspended outlet; never for another unit's
            problems = rules.outlet_placement_problems(outlets, **where)
        for problem in problems:
            self.add_error("outlets", problem)
        return cleaned


def _label(outlet) -> str:
    state = "" if outlet.status == "active" else f"（{outlet.get_status_display()}）"
    return f"{outlet.name} · {outlet.get_kind_display()} · {outlet.owner_unit.name}{state}"
