"""Wagtail admin for the academy: instructors manage courses, assignments, the question
bank, exams and contests of their own unit subtree (role "instructor"; superusers see all).

Scoping: each model has a unit-scoped permission policy (organizations.permissions) that
every view of its viewset applies — listing and export, edit, copy, history, usage,
delete: an object outside the instructor's subtree is a 404 — and the forms only offer
units, courses, questions, books and media the instructor may use.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.menu import MenuItem
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel, ObjectList
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet

from elearning.exams import question_io
from elearning.models import Assignment, Contest, Course, Exam, PointRule, Question
from organizations.permissions import (
    UnitScopedPermissionPolicy,
    UnitScopedViewSetMixin,
    scope_form_choices,
    scope_unit_fields,
)
from organizations.selectors import units_in_scope

ROLES = ["instructor"]
UNIT_FIELDS = ("audience_unit", "owner_unit")


COURSE_POLICY = UnitScopedPermissionPolicy(
    Course, scope_field="audience_unit__path", roles=ROLES, choose_field="audience_unit__path"
)
ASSIGNMENT_POLICY = UnitScopedPermissionPolicy(
    Assignment, scope_field="audience_unit__path", roles=ROLES
)
QUESTION_POLICY = UnitScopedPermissionPolicy(
    Question, scope_field="owner_unit__path", roles=ROLES, choose_field="owner_unit__path"
)
EXAM_POLICY = UnitScopedPermissionPolicy(Exam, scope_field="audience_unit__path", roles=ROLES)
CONTEST_POLICY = UnitScopedPermissionPolicy(Contest, scope_field="audience_unit__path", roles=ROLES)


def instructor_units(user):
    return units_in_scope(user, roles=ROLES).order_by("path")


class ScopedAdminForm(WagtailAdminModelForm):
    """Unit choices limited to the instructor's subtree; courses, questions, books and
    media (also in the lessons) limited to what the instructor may use."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = getattr(self, "for_user", None)
        if user is None:
            return
        scope_unit_fields(self, user, roles=ROLES, names=UNIT_FIELDS)
        scope_form_choices(self, user)


class QuestionAdminForm(ScopedAdminForm):
    """Options and answer as text, as in the Excel template — one option a line
    ("A. 内容", "[50%]" for a partial-credit weight) and "ABD" / 正确 / "答案1|答案2" —
    instead of JSON; checked by the import's rules (question_io)."""

    options_text = forms.CharField(
        label="选项",
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="单选/多选题每行一个选项，如“A. 坚持党的领导”；多选题的正确选项可加权重，如“[50%]”。"
        "判断题和填空题留空。",
    )
    answer_text = forms.CharField(
        label="答案",
        max_length=2000,
        required=False,
        help_text="选择题写正确选项字母（如 A 或 ABD）；判断题写“正确”或“错误”；"
        "填空题写可接受的答案，多个用 | 分隔；数值题写“3.14:0.01”（答案:误差）或“1..5”。"
        "配对题在“选项”里每行写“子问题 -> 答案”；问答题和说明留空。",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial.setdefault(
                "options_text",
                question_io.options_as_text(
                    self.instance.options, self.instance.type, self.instance.answer
                ),
            )
            self.initial.setdefault(
                "answer_text", question_io.answer_as_text(self.instance.type, self.instance.answer)
            )

    def clean(self):
        data = super().clean()
        if self.errors.get("type") or self.errors.get("stem") or "answer_text" in self.errors:
            return data
        try:
            options, answer = question_io.question_fields_from_text(
                qtype=data.get("type", ""),
                stem=data.get("stem", ""),
                options_text=data.get("options_text", ""),
                answer_text=data.get("answer_text", ""),
                previous=self.instance if self.instance.pk else None,
            )
        except question_io.QuestionValueError as exc:
            field = {"answer": "answer_text", "options": "options_text"}.get(exc.field, exc.field)
            self.add_error(field if field in self.fields else None, str(exc))
            return data
        self.instance.options, self.instance.answer = options, answer
        return data


def _media_widget():
    from media_pipeline.admin_views import media_asset_chooser_viewset

    return media_asset_chooser_viewset.widget_class


class CourseViewSet(UnitScopedViewSetMixin, ModelViewSet):
    scope_policy = COURSE_POLICY
    model = Course
    icon = "doc-full"
    menu_label = "课程"
    add_to_admin_menu = False
    list_display = ["title", "category", "kind", "audience_unit", "is_published", "updated_at"]
    list_filter = ["kind", "is_published", "category"]
    search_fields = ["title", "description"]
    list_export = ["title", "category", "kind", "credit_hours", "audience_unit", "is_published"]
    export_filename = "课程"
    edit_handler = ObjectList(
        [
            FieldPanel("title"),
            FieldPanel("description"),
            FieldRowPanel([FieldPanel("category"), FieldPanel("credit_hours"), FieldPanel("kind")]),
            FieldPanel("cover"),
            FieldPanel("audience_unit"),
            FieldPanel("is_published"),
            InlinePanel(
                "lessons",
                heading="课时",
                label="课时",
                panels=[
                    FieldPanel("title"),
                    FieldPanel("kind"),
                    FieldPanel("media", widget=_media_widget()),
                    FieldPanel("body"),
                    FieldPanel("book"),
                    FieldPanel("min_seconds"),
                ],
            ),
        ],
        base_form_class=ScopedAdminForm,
    )


class AssignmentViewSet(UnitScopedViewSetMixin, ModelViewSet):
    scope_policy = ASSIGNMENT_POLICY
    model = Assignment
    icon = "date"
    menu_label = "学习任务"
    list_display = ["course", "audience_unit", "due_date", "created_at"]
    list_filter = ["due_date"]
    search_fields = ["course__title"]
    list_export = ["course", "audience_unit", "due_date", "note"]
    export_filename = "学习任务"
    edit_handler = ObjectList(
        [
            FieldPanel("course"),
            FieldPanel("audience_unit"),
            FieldPanel("due_date"),
            FieldPanel("note"),
        ],
        base_form_class=ScopedAdminForm,
    )


class QuestionViewSet(UnitScopedViewSetMixin, ModelViewSet):
    scope_policy = QUESTION_POLICY
    model = Question
    icon = "help"
    menu_label = "题库"
    list_display = ["__str__", "type", "category", "difficulty", "owner_unit"]
    list_filter = ["type", "difficulty", "category"]
    search_fields = ["stem", "title", "tags"]
    list_export = ["type", "stem", "category", "difficulty", "tags"]
    export_filename = "题库"
    edit_handler = ObjectList(
        [
            FieldRowPanel([FieldPanel("type"), FieldPanel("difficulty"), FieldPanel("category")]),
            FieldPanel("title"),
            FieldPanel("stem"),
            FieldPanel("options_text"),
            FieldPanel("answer_text"),
            FieldPanel("explanation"),
            FieldPanel("tags"),
            FieldPanel("owner_unit"),
        ],
        base_form_class=QuestionAdminForm,
    )


class ExamViewSet(UnitScopedViewSetMixin, ModelViewSet):
    scope_policy = EXAM_POLICY
    model = Exam
    icon = "tasks"
    menu_label = "考试"
    list_display = ["title", "course", "time_limit_minutes", "pass_mark", "is_published"]
    list_filter = ["is_published", "review_when"]
    search_fields = ["title"]
    edit_handler = ObjectList(
        [
            FieldPanel("title"),
            FieldPanel("course"),
            FieldPanel("audience_unit"),
            FieldRowPanel(
                [
                    FieldPanel("time_limit_minutes"),
                    FieldPanel("pass_mark"),
                    FieldPanel("attempts_allowed"),
                ]
            ),
            MultiFieldPanel(
                [FieldPanel("review_show"), FieldPanel("review_when")], heading="成绩与答案查看"
            ),
            FieldRowPanel([FieldPanel("opens_at"), FieldPanel("closes_at")]),
            InlinePanel("rules", heading="抽题规则", label="规则"),
            FieldPanel("is_published"),
        ],
        base_form_class=ScopedAdminForm,
    )


class ContestViewSet(UnitScopedViewSetMixin, ModelViewSet):
    scope_policy = CONTEST_POLICY
    model = Contest
    icon = "pick"
    menu_label = "知识竞答"
    list_display = ["title", "mode", "starts_at", "ends_at", "is_published"]
    list_filter = ["mode", "is_published"]
    search_fields = ["title"]
    edit_handler = ObjectList(
        [
            FieldPanel("title"),
            FieldPanel("description"),
            FieldPanel("audience_unit"),
            FieldRowPanel([FieldPanel("starts_at"), FieldPanel("ends_at")]),
            FieldRowPanel(
                [
                    FieldPanel("mode"),
                    FieldPanel("seconds_per_question"),
                    FieldPanel("entries_allowed"),
                ]
            ),
            FieldPanel("questions"),
            FieldPanel("is_published"),
        ],
        base_form_class=ScopedAdminForm,
    )


class PointRuleViewSet(ModelViewSet):
    model = PointRule
    icon = "pick"
    menu_label = "积分规则"
    list_display = ["code", "points", "per_minutes", "daily_cap", "is_active"]
    form_fields = ["code", "points", "per_minutes", "daily_cap", "is_active"]


class AcademyGroup(ViewSetGroup):
    menu_label = "网络学院"
    menu_icon = "doc-full-inverse"
    menu_order = 300
    items = (
        CourseViewSet("elearning_courses"),
        AssignmentViewSet("elearning_assignments"),
        QuestionViewSet("elearning_questions"),
        ExamViewSet("elearning_exams"),
        ContestViewSet("elearning_contests"),
        PointRuleViewSet("elearning_point_rules"),
    )


@hooks.register("register_admin_viewset")
def register_academy():
    return AcademyGroup()


# --- question import / export -------------------------------------------------------------


@permission_required("elearning.add_question", raise_exception=True)
def question_import_view(request):
    units = instructor_units(request.user)
    ctx = {"units": units, "errors": [], "title": "导入试题"}
    if request.method == "POST":
        upload = request.FILES.get("file")
        unit = units.filter(pk=request.POST.get("owner_unit") or 0).first()
        if upload is None:
            ctx["errors"] = ["请选择要导入的文件"]
        elif unit is None:
            ctx["errors"] = ["请选择所属党组织（须在您的管理范围内）"]
        else:
            try:
                drafts = question_io.parse_question_file(name=upload.name, data=upload.read())
                created = question_io.questions_import(drafts=drafts, owner_unit=unit)
            except question_io.ImportErrors as exc:
                ctx["errors"] = exc.errors
            else:
                summary = question_io.drafts_summary(drafts)
                messages.success(request, f"已导入 {len(created)} 道试题（{summary}）")
                return redirect(reverse("elearning_questions:index"))
    return TemplateResponse(request, "elearning/admin/question_import.html", ctx)


@permission_required("elearning.view_question", raise_exception=True)
def question_export_view(request):
    if request.GET.get("template"):
        data, name = question_io.template_excel(), "question-template.xlsx"
    else:
        qs = QUESTION_POLICY.scoped(request.user, Question.objects.order_by("category", "id"))
        data, name = question_io.export_excel(qs), "questions.xlsx"
    resp = HttpResponse(
        data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    resp["Content-Disposition"] = f'attachment; filename="{name}"'
    return resp


@hooks.register("register_admin_urls")
def register_question_io_urls():
    return [
        path("academy/questions/import/", question_import_view, name="elearning_question_import"),
        path("academy/questions/export/", question_export_view, name="elearning_question_export"),
    ]


class QuestionImportMenuItem(MenuItem):
    """Shown only to whoever may import questions (the view needs add_question): editors,
    reviewers and secretaries never see a menu item that leads to 没有权限."""

    def is_shown(self, request):
        return request.user.has_perm("elearning.add_question")


@hooks.register("register_admin_menu_item")
def register_question_import_menu():
    return QuestionImportMenuItem(
        "导入/导出试题", reverse("elearning_question_import"), icon_name="upload", order=310
    )
