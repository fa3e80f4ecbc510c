"""Wagtail admin for manuscripts: the sender side and the receiver side (editors,
secretaries, unit admins) see their items in one scoped list (list, export, edit, copy,
history, usage answer 404 outside both sides); writing goes through the services — the
form's check is `manuscript_validate`, its save `manuscript_create`/`manuscript_update`,
and the "处理" view runs submit, register, return, resubmit, decide and score. The
scoring rules are data, kept by superusers (a model without a unit)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import path, reverse
from django.views.generic import TemplateView
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, FieldRowPanel, ObjectList
from wagtail.admin.views.generic.base import BaseObjectMixin, WagtailAdminTemplateMixin
from wagtail.admin.viewsets.model import ModelViewSet

from core.errors import DomainError, ObjectNotFound
from organizations.permissions import (
    UnitScopedPermissionPolicy,
    UnitScopedViewSetMixin,
    scope_unit_fields,
)
from publications.manuscripts import selectors, services
from publications.manuscripts.models import Manuscript, ManuscriptScoreRule


class ManuscriptPolicy(UnitScopedPermissionPolicy):
    """The scope of both sides; deleting is for the sender side, and only a draft (a
    submitted item is a record of the receiving unit)."""

    def user_has_permission_for_instance(self, user, action, instance):
        if not super().user_has_permission_for_instance(user, action, instance):
            return False
        if action != "delete":
            return True
        return instance.status == Manuscript.Status.DRAFT and (
            Manuscript.objects.filter(selectors.sender_q(user), pk=instance.pk).exists()
        )


MANUSCRIPT_POLICY = ManuscriptPolicy(
    Manuscript,
    scope_field="sender_unit__path",
    roles=selectors.MANAGER_ROLES,
    model_perms=False,
    extra_q=selectors.receiver_q,  # the receiving side sees what was submitted to it
)
WRITABLE = (
    "title",
    "body",
    "body_format",
    "target_kind",
    "column",
    "leader_endorsed",
    "endorsement_note",
)


class ManuscriptAdminForm(WagtailAdminModelForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = getattr(self, "for_user", None)
        if self.instance.pk:  # who sends to whom is fixed once written
            for name in ("sender_unit", "receiver_unit"):
                if name in self.fields:
                    self.fields[name].disabled = True
        elif user is not None:
            scope_unit_fields(
                self, user, roles=selectors.MANAGER_ROLES, names=("sender_unit",), required=True
            )

    def _fields(self, data) -> dict:
        return {k: data[k] for k in WRITABLE if k in data}

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        user = self.for_user
        try:
            if self.instance.pk:
                services.manuscript_validate(
                    user=user, manuscript=self.instance, **self._fields(data)
                )
            else:
                services.manuscript_validate(
                    user=user,
                    sender_unit_id=data["sender_unit"].pk,
                    receiver_unit_id=data["receiver_unit"].pk,
                    **self._fields(data),
                )
        except ObjectNotFound:
            raise ValidationError("只有投稿方的编辑、书记或组织管理员可以修改稿件") from None
        except DomainError as exc:
            raise ValidationError(exc.message) from None
        return data

    def save(self, commit=True):
        data, user = self.cleaned_data, self.for_user
        if self.instance.pk:
            m = services.manuscript_update(
                user=user, manuscript_id=self.instance.pk, **self._fields(data)
            )
        else:
            m = services.manuscript_create(
                user=user,
                sender_unit_id=data["sender_unit"].pk,
                receiver_unit_id=data["receiver_unit"].pk,
                **self._fields(data),
            )
        self.instance = m
        return m

    def save_m2m(self):  # no many-to-many fields; the service saved everything
        pass


class ManuscriptProcessView(BaseObjectMixin, WagtailAdminTemplateMixin, TemplateView):
    """The steps the user's side may take on a manuscript (GET: the forms; POST: one step
    through the service)."""

    model = Manuscript
    template_name = "publications/admin/manuscript_process.html"
    page_title = "稿件处理"
    header_icon = "tick"
    STEPS = {
        "submit": ("send", services.manuscript_submit, (), "稿件已投出"),
        "resubmit": ("send", services.manuscript_resubmit, ("comment",), "稿件已重新投出"),
        "register": ("receive", services.manuscript_register, (), "已登记"),
        "return": ("receive", services.manuscript_return, ("comment",), "已退回修改"),
        "decide": ("receive", services.manuscript_decide, ("decision", "comment"), "已处理"),
        "score": ("receive", services.manuscript_score, (), "已计分"),
    }

    def _side(self, action: str) -> bool:
        try:
            selectors.access_manuscript_by_id(self.request.user, self.object.pk, action=action)
        except ObjectNotFound:
            return False
        return True

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        m = self.object
        context.update(
            m=m,
            is_sender=self._side("send"),
            is_receiver=self._side("receive"),
            scored=selectors.is_scored(m),
            adopted=m.status in Manuscript.ADOPTED,
            decisions=[(d, Manuscript.Status(d).label) for d in services.DECISIONS],
            events=m.events.select_related("actor"),
            edit_url=reverse("publications_manuscripts:edit", args=[m.pk]),
        )
        return context

    def post(self, request, *args, **kwargs):
        step = self.STEPS.get(request.POST.get("step", ""))
        if step is None:
            messages.error(request, "未知的操作")
            return redirect("publications_manuscripts:process", self.object.pk)
        side, call, fields, done = step
        data = {f: request.POST.get(f, "") for f in fields}
        try:
            call(user=request.user, manuscript_id=self.object.pk, **data)
        except ObjectNotFound:
            messages.error(request, "你不能对这篇稿件进行该操作")
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, done)
        return redirect("publications_manuscripts:process", self.object.pk)


class ManuscriptViewSet(UnitScopedViewSetMixin, ModelViewSet):
    scope_policy = MANUSCRIPT_POLICY
    model = Manuscript
    icon = "doc-full-inverse"
    menu_label = "稿件"
    copy_view_enabled = False
    inspect_view_enabled = True
    list_display = [
        "register_number",
        "title",
        "sender_unit",
        "receiver_unit",
        "target_kind",
        "status",
        "submitted_at",
    ]
    list_filter = ["status", "target_kind", "submitted_at"]
    search_fields = ["title", "register_number", "column"]
    list_export = [
        "register_number",
        "title",
        "sender_unit",
        "receiver_unit",
        "target_kind",
        "column",
        "status",
        "leader_endorsed",
        "submitted_at",
        "decided_at",
    ]
    export_filename = "稿件"
    edit_handler = ObjectList(
        [
            FieldRowPanel([FieldPanel("sender_unit"), FieldPanel("receiver_unit")]),
            FieldRowPanel([FieldPanel("target_kind"), FieldPanel("column")]),
            FieldPanel("title"),
            FieldPanel("body_format"),
            FieldPanel("body"),
            FieldRowPanel([FieldPanel("leader_endorsed"), FieldPanel("endorsement_note")]),
        ],
        base_form_class=ManuscriptAdminForm,
    )

    @property
    def process_view(self):
        return self.construct_view(ManuscriptProcessView)

    def get_urlpatterns(self):
        return super().get_urlpatterns() + [
            path("process/<str:pk>/", self.process_view, name="process"),
        ]


class ManuscriptScoreRuleViewSet(ModelViewSet):
    model = ManuscriptScoreRule
    icon = "list-ol"
    menu_label = "稿件计分规则"
    list_display = ["kind", "column", "min_length", "max_length", "points", "endorsement_extra"]
    list_filter = ["kind", "is_active"]
    form_fields = [
        "kind",
        "column",
        "min_length",
        "max_length",
        "points",
        "endorsement_extra",
        "is_active",
    ]
    list_export = list_display
    export_filename = "稿件计分规则"
