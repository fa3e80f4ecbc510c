"""Page types. Content pages inherit `UnitScopedPage` (publishing + audience unit).

Over 400 lines: every Wagtail page type of the site in one module — Wagtail's
parent/subpage rules refer to each other, and the content pages share `UnitScopedPage`.
"""

from __future__ import annotations

from django import forms
from django.db import models
from modelcluster.contrib.taggit import ClusterTaggableManager
from modelcluster.fields import ParentalKey, ParentalManyToManyField
from taggit.models import TaggedItemBase
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel
from wagtail.fields import StreamField
from wagtail.models import Orderable, Page
from wagtail.search import index

from cms.blocks import BodyBlock
from cms.forms import UnitScopedPageForm
from cms.models.slugged import AsciiSlugPageMixin
from core.richtext import SanitisedRichTextField
from organizations.registry import scoped


def _outlet_rules():
    """cms.outlets (it imports these models; CmsConfig.ready() hands it over)."""
    from django.apps import apps

    return apps.get_app_config("cms").outlet_rules


class HomePage(AsciiSlugPageMixin, Page):
    """The site root: channels, exemplar stories and digests hang below it."""

    intro = SanitisedRichTextField(
        "首页简介",
        blank=True,
        features=["bold", "italic", "link"],
        help_text="显示在门户首页顶部的简短介绍",
    )

    content_panels = Page.content_panels + [FieldPanel("intro")]
    subpage_types = [
        "cms.NewsIndexPage",
        "cms.ExemplarIndexPage",
        "cms.DigestIndexPage",
        "publications.BulletinIndexPage",  # the bulletin 《政工情况》 (publications.bulletins)
    ]
    max_count = 1

    class Meta:
        verbose_name = "首页"
        verbose_name_plural = "首页"


#: URLs that take the id of any content page, whatever its type: the auditors' trace of an
#: item in the API (`api:audit-content-trace`) and in the admin (`cms_content_trace`)
PAGE_ROUTES = ("audit-content", "cms-content-trace")


class UnitScopedPage(AsciiSlugPageMixin, Page):
    """Abstract base of content pages: who publishes (and answers for) it, who may read it.

    The publishing unit decides who may edit and review (editors/reviewers whose role unit
    is that unit or an ancestor); the audience unit decides which members see it once
    published (members of the audience unit's subtree)."""

    publishing_unit = models.ForeignKey(
        "organizations.OrgUnit",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="发布单位",
        help_text="负责本内容的党组织；只有该组织（或上级）的编辑、审核员可以编辑和审核",
    )
    audience_unit = models.ForeignKey(
        "organizations.OrgUnit",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="可见范围",
        help_text="该党组织及其下级组织的党员可以看到；范围超出发布单位时需上级审核",
    )

    outlets = ParentalManyToManyField(
        "cms.Outlet",
        blank=True,
        related_name="+",
        verbose_name="发布阵地",
        help_text="本内容通过哪些已备案的阵地发出；留空则为所在门户栏目和党建e家 App",
    )

    scope_panels = [
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("publishing_unit"), FieldPanel("audience_unit")]),
                FieldPanel("outlets", widget=forms.CheckboxSelectMultiple),
            ],
            heading="发布单位、可见范围与发布阵地",
        )
    ]

    base_form_class = UnitScopedPageForm

    class Meta:
        abstract = True

    def permissions_for_user(self, user):
        from cms.permissions import UnitScopedPagePermissionTester

        return UnitScopedPagePermissionTester(user, self)

    preview_modes = [("", "网页"), ("app", "App 视图（JSON）")]

    def publish(self, revision, *args, **kwargs):
        # No publication through an outlet that is suspended, closed, unapproved or has no
        # accountable owner, by any route (cms.outlets; the admin turns the refusal into a
        # message before anything is saved).
        publication_refuse_unavailable = _outlet_rules().publication_refuse_unavailable

        publication_refuse_unavailable(page=revision.as_object())
        return super().publish(revision, *args, **kwargs)

    def visible_to(self, user, *, through: str = "portal") -> bool:
        """Readable by `user` on the web portal: in their audience, and its live version
        went out through a portal outlet that still carries it (cms.outlets.served_q)."""
        served_q = _outlet_rules().served_q
        from organizations.selectors import audience_q

        rows = type(self).objects.filter(pk=self.pk).filter(audience_q(user))
        return rows.filter(served_q(through)).exists()

    def serve(self, request, *args, **kwargs):
        # published pages are still audience-scoped on the web: out of scope = 404
        from django.http import Http404

        if not self.visible_to(request.user):
            raise Http404
        return super().serve(request, *args, **kwargs)

    def serve_preview(self, request, mode_name):
        if mode_name == "app":
            from django.apps import apps
            from django.core.serializers.json import DjangoJSONEncoder
            from django.http import JsonResponse

            # the app's JSON is built a layer above the models (cms.representations);
            # CmsConfig.ready() plugs it in, so the models never import it
            preview_payload = apps.get_app_config("cms").preview_payload
            data = {
                "type": self._meta.model_name,
                "preview": True,
                "data": preview_payload(self, request.user),
            }
            return JsonResponse(
                data, encoder=DjangoJSONEncoder, json_dumps_params={"ensure_ascii": False}
            )
        return super().serve_preview(request, mode_name)

    def audience_wider_than_publisher(self) -> bool:
        """True when readers outside the publishing unit's subtree would see it."""
        return not self.audience_unit.path.startswith(self.publishing_unit.path)


class ChannelIndexMixin:
    """An index page (channel) whose portal page lists its newest children the reader
    may see — published, audience in the reader's scope, served through the portal.
    A subclass names its child model (`item_model_name`, a model of this app: it is
    defined below the index) and `item_ordering`."""

    item_model_name: str
    item_ordering: tuple[str, ...]
    ITEMS_SHOWN = 50

    def get_context(self, request, *args, **kwargs):
        from django.apps import apps

        from organizations.selectors import scope_for

        served_q = _outlet_rules().served_q
        context = super().get_context(request, *args, **kwargs)
        model = apps.get_model("cms", self.item_model_name)
        context["items"] = (
            model.objects.live()
            .child_of(self)
            .filter(scope_for(request.user).audience_q())
            .filter(served_q("portal"))
            .order_by(*self.item_ordering)[: self.ITEMS_SHOWN]
        )
        return context


class NewsIndexPage(ChannelIndexMixin, AsciiSlugPageMixin, Page):
    """A news channel (要闻, 基层动态, 海外项目, 通知公告): lists its NewsPages."""

    channel_code = models.SlugField(
        "频道代码",
        max_length=40,
        unique=True,
        help_text="API 里按频道筛选用的英文代码，如 headline",
    )
    intro = models.TextField("频道简介", blank=True, help_text="可留空")

    content_panels = Page.content_panels + [FieldPanel("channel_code"), FieldPanel("intro")]
    item_model_name = "NewsPage"
    item_ordering = ("-pinned", "-date")
    parent_page_types = ["cms.HomePage"]
    subpage_types = ["cms.NewsPage"]

    class Meta:
        verbose_name = "新闻频道"
        verbose_name_plural = "新闻频道"


class NewsPageTag(TaggedItemBase):
    content_object = ParentalKey(
        "cms.NewsPage", on_delete=models.CASCADE, related_name="tagged_items"
    )


@scoped(unit="publishing_unit", audience="audience_unit", routes=("news", *PAGE_ROUTES))
class NewsPage(UnitScopedPage):
    """A news item (动态资讯)."""

    subtitle = models.CharField("副标题", max_length=200, blank=True, help_text="可留空")
    source = models.CharField(
        "来源", max_length=100, blank=True, help_text="稿件来源，如“集团党委宣传部”"
    )
    author = models.CharField(
        "作者", max_length=100, blank=True, help_text="作者或通讯员姓名，多人用顿号分隔"
    )
    date = models.DateField("发布日期", db_index=True, help_text="新闻日期，列表按此排序")
    cover_image = models.ForeignKey(
        "wagtailimages.Image",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="封面图",
        help_text="列表和分享卡片使用的图片，建议 16:9",
    )
    summary = models.TextField(
        "摘要", max_length=500, blank=True, help_text="列表和手机报里显示的简短摘要，500 字以内"
    )
    tags = ClusterTaggableManager(
        "标签", through=NewsPageTag, blank=True, help_text="用于筛选和推荐，回车分隔"
    )
    pinned = models.BooleanField(
        "置顶", default=False, db_index=True, help_text="置顶新闻排在列表最前，并优先进入手机报"
    )
    body = StreamField(
        BodyBlock(), verbose_name="正文", blank=True, help_text="正文由段落、图片、音视频等模块组成"
    )

    content_panels = Page.content_panels + [
        FieldPanel("subtitle"),
        *UnitScopedPage.scope_panels,
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("source"), FieldPanel("author")]),
                FieldRowPanel([FieldPanel("date"), FieldPanel("pinned")]),
            ],
            heading="稿件信息",
        ),
        FieldPanel("cover_image"),
        FieldPanel("summary"),
        FieldPanel("tags"),
        FieldPanel("body"),
    ]
    search_fields = Page.search_fields + [
        index.SearchField("subtitle"),
        index.SearchField("summary"),
        index.SearchField("body"),
        index.FilterField("date"),
    ]
    parent_page_types = ["cms.NewsIndexPage"]
    subpage_types: list[str] = []

    class Meta:
        verbose_name = "新闻"
        verbose_name_plural = "新闻"
        indexes = [models.Index(fields=["pinned", "date"], name="cms_news_pinned_date")]


class ExemplarIndexPage(ChannelIndexMixin, AsciiSlugPageMixin, Page):
    """The list of exemplar stories (先进典型)."""

    intro = models.TextField("栏目简介", blank=True, help_text="可留空")
    content_panels = Page.content_panels + [FieldPanel("intro")]
    item_model_name = "ExemplarPage"
    item_ordering = ("-date",)
    parent_page_types = ["cms.HomePage"]
    subpage_types = ["cms.ExemplarPage"]

    class Meta:
        verbose_name = "先进典型栏目"
        verbose_name_plural = "先进典型栏目"


@scoped(unit="publishing_unit", audience="audience_unit", routes=("story", *PAGE_ROUTES))
class ExemplarPage(UnitScopedPage):
    """A model member or collective (先进典型) with their honours and deeds."""

    class Kind(models.TextChoices):
        PERSON = "person", "个人"
        COLLECTIVE = "collective", "集体"

    kind = models.CharField(
        "类型",
        max_length=12,
        choices=Kind.choices,
        default=Kind.PERSON,
        help_text="先进个人或先进集体",
    )
    subject_name = models.CharField(
        "姓名/集体名称", max_length=100, help_text="先进个人姓名或先进集体名称"
    )
    subject_unit = models.ForeignKey(
        "organizations.OrgUnit",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="所在单位",
        help_text="先进个人或集体所在的党组织",
    )
    honours = models.TextField(
        "荣誉称号", blank=True, help_text="每行一项，如“全国优秀共产党员（2021）”"
    )
    date = models.DateField("发布日期", db_index=True, help_text="列表按此排序")
    summary = models.TextField("简介", max_length=500, blank=True, help_text="列表中显示的简短介绍")
    portrait = models.ForeignKey(
        "wagtailimages.Image",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="照片",
        help_text="个人肖像或集体合影",
    )
    related_video = models.ForeignKey(
        "media_pipeline.MediaAsset",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="相关视频",
        help_text="可选：介绍事迹的视频（微党课等）",
    )
    deeds = StreamField(
        BodyBlock(),
        verbose_name="先进事迹",
        blank=True,
        help_text="事迹正文，可插入图片、视频、引用",
    )

    content_panels = Page.content_panels + [
        *UnitScopedPage.scope_panels,
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("kind"), FieldPanel("subject_name")]),
                FieldPanel("subject_unit"),
                FieldPanel("honours"),
            ],
            heading="典型信息",
        ),
        FieldPanel("date"),
        FieldPanel("summary"),
        FieldPanel("portrait"),
        FieldPanel("related_video"),
        FieldPanel("deeds"),
    ]
    search_fields = Page.search_fields + [
        index.SearchField("subject_name"),
        index.SearchField("summary"),
        index.SearchField("honours"),
        index.SearchField("deeds"),
    ]
    parent_page_types = ["cms.ExemplarIndexPage"]
    subpage_types: list[str] = []

    class Meta:
        verbose_name = "先进典型"
        verbose_name_plural = "先进典型"

    def honour_list(self) -> list[str]:
        return [line.strip() for line in self.honours.splitlines() if line.strip()]


class DigestIndexPage(ChannelIndexMixin, AsciiSlugPageMixin, Page):
    """The list of mobile-newspaper issues (手机报)."""

    intro = models.TextField("栏目简介", blank=True, help_text="可留空")
    content_panels = Page.content_panels + [FieldPanel("intro")]
    item_model_name = "DigestIssue"
    item_ordering = ("-issue_date",)
    parent_page_types = ["cms.HomePage"]
    subpage_types = ["cms.DigestIssue"]

    class Meta:
        verbose_name = "手机报栏目"
        verbose_name_plural = "手机报栏目"


@scoped(unit="publishing_unit", audience="audience_unit", routes=("digest", *PAGE_ROUTES))
class DigestIssue(UnitScopedPage):
    """One issue of the mobile newspaper: an ordered selection of news with short
    summaries. `cms.services.digest_propose` drafts one from a week's news."""

    issue_number = models.PositiveIntegerField("期号", help_text="本栏目内递增的期号")
    issue_date = models.DateField("出版日期", db_index=True, help_text="本期手机报的日期")
    editor_note = models.TextField("编者按", blank=True, help_text="可留空")

    content_panels = Page.content_panels + [
        *UnitScopedPage.scope_panels,
        FieldRowPanel([FieldPanel("issue_number"), FieldPanel("issue_date")]),
        FieldPanel("editor_note"),
        InlinePanel("items", label="本期新闻", help_text="拖动调整顺序"),
    ]
    parent_page_types = ["cms.DigestIndexPage"]
    subpage_types: list[str] = []

    class Meta:
        verbose_name = "手机报"
        verbose_name_plural = "手机报"


class DigestItem(Orderable):
    issue = ParentalKey(DigestIssue, on_delete=models.CASCADE, related_name="items")
    news = models.ForeignKey(
        NewsPage,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name="新闻",
        help_text="选择一篇新闻",
    )
    summary = models.CharField(
        "短摘要", max_length=300, blank=True, help_text="手机报里显示的一两句话，留空则用新闻摘要"
    )

    panels = [FieldPanel("news"), FieldPanel("summary")]

    class Meta(Orderable.Meta):
        verbose_name = "手机报条目"
        verbose_name_plural = "手机报条目"


class PageReadCount(models.Model):
    """Reads of a page, kept outside the page row so publishing a revision never
    overwrites the counter; bumped with one INSERT … ON CONFLICT statement."""

    page = models.OneToOneField(
        Page, on_delete=models.CASCADE, primary_key=True, related_name="+", verbose_name="页面"
    )
    count = models.PositiveBigIntegerField("阅读数", default=0)
    updated_at = models.DateTimeField("最后阅读", auto_now=True)

    class Meta:
        verbose_name = "阅读数"
        verbose_name_plural = "阅读数"

    def __str__(self) -> str:
        return f"{self.page_id}: {self.count}"
