"""The Q&A admin: answerers see and answer the questions of their subtree (the answer goes
through `question_answer`, which notifies the asker) and keep the FAQ — scoped by one
UnitScopedPermissionPolicy per model (404 outside the subtree)."""

from __future__ import annotations

from django import forms
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, ObjectList
from wagtail.admin.viewsets.model import ModelViewSet

from interaction.comments.admin import _NoAddPolicy
from interaction.errors import InteractionError
from interaction.qa import selectors, services
from interaction.qa.models import FaqEntry, Question
from interaction.text import plain_text
from organizations.permissions import UnitScopedViewSetMixin

ANSWERERS = selectors.ANSWERER_ROLES
QUESTION_POLICY = _NoAddPolicy(
    Question, scope_field="unit__path", roles=ANSWERERS, model_perms=False
)
FAQ_POLICY = _NoAddPolicy(FaqEntry, scope_field="unit__path", roles=ANSWERERS, model_perms=False)


class QuestionAnswerForm(WagtailAdminModelForm):
    """Only the answer is edited here; saving answers through the service (the asker is
    notified)."""

    def clean_answer(self):
        try:
            return plain_text(
                self.cleaned_data.get("answer", ""),
                label="答复内容",
                max_length=services.ANSWER_MAX,
            )
        except InteractionError as exc:
            raise forms.ValidationError(exc.message) from None

    def save(self, commit=True):
        return services.question_answer(
            user=self.for_user, question_id=self.instance.pk, answer=self.cleaned_data["answer"]
        )


class QuestionViewSet(UnitScopedViewSetMixin, ModelViewSet):
    scope_policy = QUESTION_POLICY
    model = Question
    icon = "help"
    menu_label = "答疑解惑"
    add_to_admin_menu = False
    list_display = ["title", "unit", "status", "due_at", "escalations", "created_at"]
    list_filter = ["status"]
    search_fields = ["title", "body"]
    list_export = ["title", "body", "unit", "status", "due_at", "answer", "answered_at"]
    export_filename = "答疑解惑"
    copy_view_enabled = False
    inspect_view_enabled = True
    edit_handler = ObjectList([FieldPanel("answer")], base_form_class=QuestionAnswerForm)


class FaqViewSet(UnitScopedViewSetMixin, ModelViewSet):
    scope_policy = FAQ_POLICY
    model = FaqEntry
    icon = "list-ul"
    menu_label = "常见问题"
    add_to_admin_menu = False
    list_display = ["question_text", "unit", "is_published", "updated_at"]
    list_filter = ["is_published"]
    search_fields = ["question_text", "answer_text"]
    copy_view_enabled = False
    edit_handler = ObjectList(
        [FieldPanel("question_text"), FieldPanel("answer_text"), FieldPanel("is_published")]
    )
