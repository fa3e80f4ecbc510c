"""Manuscripts in the bulletin: the chooser, the section item that holds one, its rules
and how it is shown.

- **The chooser** (`manuscript_bulletin_chooser`, registered in wagtail_hooks) lists the
  manuscripts adopted for the bulletin (status `adopted_bulletin`) that were sent to a
  unit of the editor's subtree; the chosen view answers 404 for any other id.
- **The rule** (`manuscript_problems`, asked by the issue's `clean` on every route): an
  item is a manuscript adopted for the bulletin and received by the issuing unit or a
  unit below it — a guessed id posted past the chooser is refused with a message naming
  the manuscript and what is wrong.
- **What is shown**: the manuscript's title, body (rich or plain), its image attachments
  and the sending unit (with the register number), read in one query for the issue.
"""

from __future__ import annotations

from django.db.models import Prefetch
from django.utils.html import escape
from wagtail.admin.views.generic import chooser as chooser_views
from wagtail.admin.viewsets.chooser import ChooserViewSet

from core.richtext import sanitize_html
from organizations.permissions import UnitScopedViewSetMixin
from organizations.scope import scope_for
from publications.bulletins.shapes import Item
from publications.manuscripts.admin import MANUSCRIPT_POLICY
from publications.manuscripts.models import Manuscript, ManuscriptAttachment

ADOPTED = Manuscript.Status.ADOPTED_BULLETIN
CHOOSER_ROLES = ("editor", "secretary", "unit_admin")


def choosable_manuscripts(user):
    """Adopted for the bulletin, received by a unit of `user`'s subtrees."""
    scope = scope_for(user, roles=CHOOSER_ROLES)
    return (
        Manuscript.objects.filter(status=ADOPTED)
        .filter(scope.units_q("receiver_unit__path"))
        .select_related("sender_unit", "receiver_unit")
        .order_by("-decided_at", "-id")
    )


class _ChooseScoped:
    def get_object_list(self):
        return choosable_manuscripts(self.request.user)


class ManuscriptChooseView(_ChooseScoped, chooser_views.ChooseView):
    pass


class ManuscriptChooseResultsView(_ChooseScoped, chooser_views.ChooseResultsView):
    pass


class ManuscriptChosenView(chooser_views.ChosenView):
    def get_object(self, pk):
        return choosable_manuscripts(self.request.user).get(pk=pk)


class AdoptedManuscriptChooserViewSet(UnitScopedViewSetMixin, ChooserViewSet):
    # the manuscripts' own scope (either side), then only those adopted for the bulletin
    # and received in the editor's subtree (the views above)
    scope_policy = MANUSCRIPT_POLICY
    model = Manuscript
    icon = "doc-full"
    choose_one_text = "选择简报采用的稿件"
    choose_another_text = "选择其他稿件"
    page_title = "简报采用的稿件"
    form_fields = []  # manuscripts are submitted by the lower units, not made here
    choose_view_class = ManuscriptChooseView
    choose_results_view_class = ManuscriptChooseResultsView
    chosen_view_class = ManuscriptChosenView


manuscript_chooser_viewset = AdoptedManuscriptChooserViewSet("manuscript_bulletin_chooser")

ManuscriptChooserBlock = manuscript_chooser_viewset.get_block_class(
    name="ManuscriptChooserBlock", module_path="publications.bulletins.manuscript_items"
)


def manuscript_item_blocks() -> list:
    return [
        (
            "manuscript",
            ManuscriptChooserBlock(
                label="采用稿件",
                help_text="简报采用、投给本单位（或下级单位）的稿件；显示其标题、正文、图片和投稿单位",
            ),
        )
    ]


# --- the rule -------------------------------------------------------------------------------
def _refs(issue) -> list:
    refs = []
    for block in issue.sections or []:
        for child in block.value.get("items") or []:
            if child.block_type == "manuscript":
                refs.append(child.value)
    return refs


def _id(ref):
    return getattr(ref, "pk", ref)


def manuscript_problems(issue) -> list[str]:
    """Messages for each manuscript item that may not be in this issue."""
    refs = _refs(issue)
    if not refs:
        return []
    ids = [_id(r) for r in refs]
    found = Manuscript.objects.select_related("receiver_unit").in_bulk(
        [i for i in ids if isinstance(i, int)]
    )
    unit = issue.publishing_unit if issue.publishing_unit_id else None
    problems = []
    for ref in ids:
        m = found.get(ref) if isinstance(ref, int) else None
        if m is None:
            problems.append("所选稿件不存在或已被删除")
        elif m.status != ADOPTED:
            problems.append(
                f"稿件《{m.title}》的状态是“{m.get_status_display()}”，"
                "只有“简报采用”的稿件可以编入简报"
            )
        elif unit is not None and not m.receiver_unit.path.startswith(unit.path):
            problems.append(
                f"稿件《{m.title}》是投给{m.receiver_unit.name}的，"
                f"不在{unit.name}及其下级收稿范围内，不能编入本期"
            )
    return list(dict.fromkeys(problems))


# --- what is shown ---------------------------------------------------------------------------
def _body_html(m: Manuscript) -> str:
    if m.body_format == Manuscript.BodyFormat.RICH:
        return sanitize_html(m.body)
    paragraphs = [p.strip() for p in m.body.splitlines() if p.strip()]
    return "".join(f"<p>{escape(p)}</p>" for p in paragraphs)


def manuscript_items_of(refs) -> dict:
    """{manuscript id: contents.Item} for the manuscripts referred to — one query for the
    manuscripts, one for their image attachments."""
    ids = [i for i in (_id(r) for r in refs) if isinstance(i, int)]
    if not ids:
        return {}
    images = Prefetch(
        "attachments",
        queryset=ManuscriptAttachment.objects.filter(is_image=True).order_by("id"),
        to_attr="bulletin_images",
    )
    rows = (
        Manuscript.objects.filter(pk__in=ids).select_related("sender_unit").prefetch_related(images)
    )
    out = {}
    for m in rows:
        byline = m.sender_unit.name
        if m.register_number:
            byline = f"{byline}（{m.register_number}）"
        out[m.pk] = Item(
            kind="manuscript",
            title=m.title,
            byline=byline,
            body_html=_body_html(m),
            attachments=list(m.bulletin_images),
            manuscript_id=m.pk,
        )
    return out
