"""The political-work bulletin (《政工情况》).

How the models relate: HomePage → BulletinIndexPage (the bulletin's section of the site;
one per issuing unit if units keep their own) → BulletinIssuePage, one issue (期). An
issue is a content page (`cms.models.UnitScopedPage`): its publishing unit is the
issuing unit, which decides who edits and reviews it; its audience unit is the subtree
that reads it. It goes out only through the project's review workflow — nobody
publishes a unit's page directly (cms.review, cms.permissions).

The issue's `sections` are a StreamField of sections (栏目), each holding items in
order (publications.bulletins.blocks). Its number (第N期) is unique per issuing unit and
year (`issue_year` follows `issue_date`).

`BulletinPdf` is the issue's printed form, made when the issue is published
(publications.bulletins.tasks). It lives outside the page row: publishing a revision
writes the page row from the revision, which would put an old file back.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel
from wagtail.fields import StreamField
from wagtail.models import Page
from wagtail.search import index

from cms.models import UnitScopedPage
from cms.models.pages import PAGE_ROUTES
from cms.models.slugged import AsciiSlugPageMixin
from organizations.registry import scoped
from publications.bulletins.blocks import SectionsBlock
from publications.bulletins.constants import MASTHEAD
from publications.bulletins.panels import BulletinPdfPanel


class BulletinIndexPage(AsciiSlugPageMixin, Page):
    """The bulletin's section of the site (《政工情况》): lists its issues."""

    intro = models.TextField(_("栏目简介"), blank=True, help_text=_("可留空"))

    content_panels = Page.content_panels + [FieldPanel("intro")]
    parent_page_types = ["cms.HomePage"]

    def serve(self, request, *args, **kwargs):
        # readers read the bulletin in the portal's pages (scoped there)
        from django.shortcuts import redirect

        return redirect("portal:bulletins")

    subpage_types = ["publications.BulletinIssuePage"]

    class Meta:
        verbose_name = _("政工情况栏目")
        verbose_name_plural = _("政工情况栏目")


@scoped(unit="publishing_unit", audience="audience_unit", routes=("bulletin", *PAGE_ROUTES))
class BulletinIssuePage(UnitScopedPage):
    """One issue of the bulletin."""

    issue_number = models.PositiveIntegerField(
        _("期号"), help_text=_("第几期；同一发布单位同一年内不能重复")
    )
    issue_date = models.DateField(_("出版日期"), db_index=True, help_text=_("本期的日期"))
    issue_year = models.PositiveIntegerField(_("年份"), editable=False, default=0)
    sections = StreamField(
        SectionsBlock(),
        verbose_name=_("栏目与条目"),
        blank=True,
        help_text=_("每个栏目包含若干条目：编辑部稿或已采用的稿件"),
    )

    content_panels = Page.content_panels + [
        *UnitScopedPage.scope_panels,
        MultiFieldPanel(
            [FieldRowPanel([FieldPanel("issue_number"), FieldPanel("issue_date")])],
            heading=_("期号与日期"),
        ),
        FieldPanel("sections"),
        BulletinPdfPanel(heading=_("PDF")),
    ]
    search_fields = Page.search_fields + [
        index.SearchField("sections"),
        index.FilterField("issue_date"),
    ]
    parent_page_types = ["publications.BulletinIndexPage"]
    subpage_types: list[str] = []

    class Meta:
        verbose_name = _("政工情况")
        verbose_name_plural = _("政工情况")
        indexes = [
            models.Index(
                fields=["publishing_unit", "issue_year", "issue_number"], name="bulletin_number"
            )
        ]

    @property
    def number_label(self) -> str:
        return f"{self.issue_year or self.issue_date.year}年第{self.issue_number}期"

    preview_modes = [("", "网页")]

    def serve(self, request, *args, **kwargs):
        # out of the audience: 404; in it, the portal's page of the issue
        from django.http import Http404
        from django.shortcuts import redirect

        if not self.visible_to(request.user):
            raise Http404
        return redirect("portal:bulletin_detail", self.pk)

    def serve_preview(self, request, mode_name):
        """The draft as the portal will show it (reviewers read it before approving)."""
        from django.template.response import TemplateResponse

        from publications.bulletins.representations import bulletin_detail_as_dict

        data = bulletin_detail_as_dict(self, request.user, image_url=lambda *a: "")
        context = {"nav": "bulletins", "issue": self, "data": data, "masthead": MASTHEAD}
        return TemplateResponse(request, "portal/bulletin.html", context)

    def clean(self):
        super().clean()
        from django.core.exceptions import ValidationError

        from publications.bulletins.rules import issue_problems

        errors = issue_problems(self)
        if errors:
            raise ValidationError(errors)

    def save(self, *args, **kwargs):
        if self.issue_date:
            self.issue_year = self.issue_date.year
        return super().save(*args, **kwargs)


def pdf_path(instance, filename: str) -> str:
    # "protected/…": never served from a public path (core.files)
    return f"protected/bulletins/{instance.issue_id}/{filename}"


@scoped(
    unit="issue__publishing_unit",
    audience="issue__audience_unit",
    routes=("bulletin-printing",),
)
class BulletinPdf(models.Model):
    """The printed issue: the last PDF made and the state of the latest run. A failed
    run keeps the previous file and says why."""

    class Status(models.TextChoices):
        PENDING = "pending", _("排队中")
        RENDERING = "rendering", _("生成中")
        READY = "ready", _("已生成")
        FAILED = "failed", _("生成失败")

    issue = models.OneToOneField(
        BulletinIssuePage,
        on_delete=models.CASCADE,
        related_name="pdf",
        verbose_name=_("期"),
    )
    status = models.CharField(
        _("状态"), max_length=12, choices=Status.choices, default=Status.PENDING
    )
    error = models.TextField(_("失败原因"), blank=True)
    file = models.FileField(_("PDF 文件"), upload_to=pdf_path, max_length=300, blank=True)
    pages = models.PositiveIntegerField(_("页数"), default=0)
    size = models.PositiveIntegerField(_("大小（字节）"), default=0)
    #: the revision the file was made from, and the one the latest run was asked for
    revision_id = models.PositiveIntegerField(null=True, blank=True)
    requested_revision_id = models.PositiveIntegerField(null=True, blank=True)
    seconds = models.FloatField(_("用时（秒）"), default=0)
    rendered_at = models.DateTimeField(_("生成时间"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("政工情况 PDF")
        verbose_name_plural = _("政工情况 PDF")

    def __str__(self) -> str:
        return f"{self.issue_id} · {self.get_status_display()}"

    @property
    def filename(self) -> str:
        issue = self.issue
        return f"{MASTHEAD}-{issue.issue_date.year}-第{issue.issue_number}期.pdf"
