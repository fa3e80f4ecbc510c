"""The e-bookshelf (电子书屋): books, periodicals and periodical issues as snippets.

A catalogue of 100,000+ items is not a page tree: these are plain models registered as
Wagtail snippets (see cms/wagtail_hooks.py). ISBN/ISSN are stored normalised (ISBN
without hyphens, ISSN as NNNN-NNNC) and are the natural keys the importer matches on.
"""

from __future__ import annotations

import posixpath
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel
from wagtail.search import index

from cms.forms import CatalogueItemForm
from cms.validators import validate_book_file, validate_clc, validate_isbn, validate_issn
from organizations.registry import scoped


class Language(models.TextChoices):
    ZH = "zh", "中文"
    EN = "en", "英文"
    BO = "bo", "藏文"
    UG = "ug", "维吾尔文"
    MN = "mn", "蒙古文"
    FR = "fr", "法文"
    AR = "ar", "阿拉伯文"
    OTHER = "other", "其他"


def book_file_path(instance, filename: str) -> str:
    """`bookshelf/<book|periodicalissue>/<name>.<random>.<ext>`: the random part keeps the
    storage key unguessable (a name like `<isbn>.pdf` could be enumerated). The files are
    protected anyway — served only through audience-checked views (core/files.py)."""
    stem, ext = posixpath.splitext(posixpath.basename(filename or "file"))
    return (
        f"bookshelf/{type(instance).__name__.lower()}/"
        f"{stem[:60] or 'file'}.{secrets.token_urlsafe(16)}{ext[:10].lower()}"
    )


class PublicationReview(models.Model):
    """Who last edited a bookshelf item and which reviewer published it (separation of
    duties: the reviewer may not be the last editor; cms.review)."""

    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        db_index=False,  # never looked up by; keeps the 100,000-row import as fast
        verbose_name="最后修改人",
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        db_index=False,
        verbose_name="发布审核人",
    )
    reviewed_at = models.DateTimeField("审核发布时间", null=True, blank=True, editable=False)

    class Meta:
        abstract = True


class CatalogueItem(PublicationReview):
    """Fields shared by books and periodicals."""

    title = models.CharField(
        "书名", max_length=300, db_index=True, help_text="完整书名（刊名），不含书名号"
    )
    language = models.CharField(
        "语种", max_length=8, choices=Language.choices, default=Language.ZH, help_text="正文语种"
    )
    category = models.CharField(
        "中图法分类号",
        max_length=40,
        blank=True,
        validators=[validate_clc],
        db_index=True,
        help_text="《中国图书馆分类法》分类号，如 D26（中国共产党）、TU（建筑科学）",
    )
    publisher = models.CharField("出版社", max_length=200, blank=True, help_text="出版单位全称")
    description = models.TextField("简介", blank=True, help_text="内容简介，显示在详情页")
    cover = models.ForeignKey(
        "wagtailimages.Image",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="封面",
        help_text="封面图片，建议 3:4",
    )
    audience_unit = models.ForeignKey(
        "organizations.OrgUnit",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="可见范围",
        help_text="该党组织及下级组织的党员可以阅读；留空则仅管理员可见",
    )
    owner_unit = models.ForeignKey(
        "organizations.OrgUnit",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="管理单位",
        help_text="负责维护本条目的党组织；该组织（或上级）的编辑可以修改；留空则仅系统管理员可改",
    )
    is_published = models.BooleanField(
        "已发布",
        default=False,
        db_index=True,
        help_text="勾选后党员才能看到。须由管理单位（可见范围更大时为可见范围所在单位）"
        "或其上级的审核员勾选，且不能是最后修改人；已发布的条目须先取消发布才能修改",
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True, db_index=True)

    base_form_class = CatalogueItemForm

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.title


@scoped(unit="owner_unit", audience="audience_unit")
class Book(index.Indexed, CatalogueItem):
    """A book (图书) with its EPUB or PDF file."""

    subtitle = models.CharField("副书名", max_length=300, blank=True, help_text="可留空")
    authors = models.CharField(
        "作者", max_length=300, blank=True, help_text="多位作者用顿号“、”分隔，译者写“某某 译”"
    )
    isbn = models.CharField(
        "ISBN",
        max_length=13,
        blank=True,
        validators=[validate_isbn],
        help_text="10 位或 13 位 ISBN，可带连字符，保存时去掉；导入时按 ISBN 匹配已有图书",
    )
    pub_year = models.PositiveSmallIntegerField(
        "出版年", null=True, blank=True, help_text="如 2021"
    )
    file = models.FileField(
        "电子书文件",
        upload_to=book_file_path,
        blank=True,
        max_length=255,
        validators=[validate_book_file],
        help_text="EPUB 或 PDF（按内容检查格式）；大小上限见系统设置 EHOME_BOOK_MAX_UPLOAD_BYTES",
    )
    file_format = models.CharField("文件格式", max_length=8, blank=True, editable=False)

    panels = [
        FieldPanel("title"),
        FieldPanel("subtitle"),
        FieldRowPanel([FieldPanel("authors"), FieldPanel("publisher")]),
        FieldRowPanel([FieldPanel("isbn"), FieldPanel("pub_year")]),
        FieldRowPanel([FieldPanel("language"), FieldPanel("category")]),
        FieldPanel("description"),
        FieldPanel("cover"),
        FieldPanel("file"),
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("owner_unit"), FieldPanel("audience_unit")]),
                FieldPanel("is_published"),
            ],
            heading="管理与发布",
        ),
    ]
    search_fields = [
        index.SearchField("title", boost=3),
        index.SearchField("subtitle"),
        index.SearchField("authors"),
        index.SearchField("description"),
        index.FilterField("category"),
        index.FilterField("language"),
        index.FilterField("is_published"),
    ]

    class Meta:
        verbose_name = "图书"
        verbose_name_plural = "图书"
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["isbn"], condition=~Q(isbn=""), name="cms_book_unique_isbn"
            )
        ]
        indexes = [models.Index(fields=["is_published", "audience_unit"], name="cms_book_pub_aud")]

    def save(self, *args, **kwargs):
        from cms.validators import normalize_isbn, sniff_book_format

        self.isbn = normalize_isbn(self.isbn)
        if self.file and not self.file_format:
            try:
                self.file_format = sniff_book_format(self.file.file) or ""
            except (OSError, ValueError):
                self.file_format = ""
        super().save(*args, **kwargs)


@scoped(unit="owner_unit", audience="audience_unit")
class Periodical(index.Indexed, CatalogueItem):
    """A periodical (期刊); its issues carry the files."""

    class Frequency(models.TextChoices):
        WEEKLY = "weekly", "周刊"
        SEMIMONTHLY = "semimonthly", "半月刊"
        MONTHLY = "monthly", "月刊"
        BIMONTHLY = "bimonthly", "双月刊"
        QUARTERLY = "quarterly", "季刊"

    issn = models.CharField(
        "ISSN",
        max_length=9,
        blank=True,
        validators=[validate_issn],
        help_text="8 位 ISSN，如 1000-0402；导入时按 ISSN 匹配已有期刊",
    )
    cn_number = models.CharField(
        "国内统一刊号", max_length=20, blank=True, help_text="如 CN11-1000/D，可留空"
    )
    frequency = models.CharField(
        "刊期",
        max_length=12,
        choices=Frequency.choices,
        default=Frequency.MONTHLY,
        help_text="出版周期",
    )

    panels = [
        FieldPanel("title"),
        FieldRowPanel([FieldPanel("issn"), FieldPanel("cn_number"), FieldPanel("frequency")]),
        FieldRowPanel([FieldPanel("publisher"), FieldPanel("language"), FieldPanel("category")]),
        FieldPanel("description"),
        FieldPanel("cover"),
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("owner_unit"), FieldPanel("audience_unit")]),
                FieldPanel("is_published"),
            ],
            heading="管理与发布",
        ),
    ]
    search_fields = [index.SearchField("title", boost=3), index.SearchField("description")]

    class Meta:
        verbose_name = "期刊"
        verbose_name_plural = "期刊"
        ordering = ["title"]
        constraints = [
            models.UniqueConstraint(
                fields=["issn"], condition=~Q(issn=""), name="cms_periodical_unique_issn"
            )
        ]

    def save(self, *args, **kwargs):
        from cms.validators import normalize_issn

        self.issn = normalize_issn(self.issn)
        super().save(*args, **kwargs)


@scoped(
    unit="periodical__owner_unit",
    audience="periodical__audience_unit",
    routes=("periodical-issue",),
)
class PeriodicalIssue(PublicationReview):
    """One issue of a periodical, with its EPUB/PDF file. Visible when the periodical is."""

    periodical = models.ForeignKey(
        Periodical,
        on_delete=models.CASCADE,
        related_name="issues",
        verbose_name="期刊",
        help_text="所属期刊",
    )
    label = models.CharField("期次", max_length=40, help_text="如“2026年第11期”")
    issue_date = models.DateField("出版日期", db_index=True, help_text="本期出版日期")
    cover = models.ForeignKey(
        "wagtailimages.Image",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="封面",
        help_text="本期封面，可留空",
    )
    file = models.FileField(
        "电子版文件",
        upload_to=book_file_path,
        max_length=255,
        validators=[validate_book_file],
        help_text="EPUB 或 PDF（按内容检查格式）",
    )
    is_published = models.BooleanField(
        "已发布",
        default=False,
        help_text="勾选后党员才能看到（期刊也须已发布）。须由期刊管理单位或其上级的审核员勾选，"
        "且不能是最后修改人；已发布的期次须先取消发布才能修改",
    )
    updated_at = models.DateTimeField("更新时间", auto_now=True, db_index=True)

    base_form_class = CatalogueItemForm

    panels = [
        FieldPanel("periodical"),
        FieldRowPanel([FieldPanel("label"), FieldPanel("issue_date")]),
        FieldPanel("cover"),
        FieldPanel("file"),
        FieldPanel("is_published"),
    ]

    class Meta:
        verbose_name = "期刊期次"
        verbose_name_plural = "期刊期次"
        ordering = ["-issue_date"]
        constraints = [
            models.UniqueConstraint(fields=["periodical", "label"], name="cms_issue_unique_label")
        ]

    def __str__(self) -> str:
        return f"{self.periodical.title} {self.label}"
