"""Writes for content: read counts, digest proposals, preview tokens, editor groups and
the review workflow. Book imports live in cms/importing.py (`books_import`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.core import signing
from django.db import connection, transaction
from django.db.models import OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from wagtail.models import (
    GroupPagePermission,
    Page,
    Revision,
    Site,
    Workflow,
    WorkflowPage,
    WorkflowTask,
)

from cms.models import (
    Book,
    DigestIndexPage,
    DigestIssue,
    DigestItem,
    ExemplarIndexPage,
    HomePage,
    NewsIndexPage,
    NewsPage,
    PageReadCount,
    Periodical,
    PeriodicalIssue,
    UnitReviewTask,
    UpperReviewTask,
)
from cms.review import ReviewRefused
from core.errors import DomainError
from core.model_permissions import model_permissions
from organizations.models import OrgUnit, UnitRole

EDITORS_GROUP = "内容编辑"
REVIEWERS_GROUP = "内容审核"
WORKFLOW_NAME = "单位审核流程"
PREVIEW_SALT = "cms.preview"


# --- reads ---------------------------------------------------------------------------
def page_read_record(*, page_id: int) -> None:
    """Count one read: ONE statement (an upsert), no read-modify-write race."""
    table = PageReadCount._meta.db_table
    with connection.cursor() as cur:
        cur.execute(
            f"INSERT INTO {table} (page_id, count, updated_at) VALUES (%s, 1, %s) "  # noqa: S608
            f"ON CONFLICT (page_id) DO UPDATE SET count = {table}.count + 1, updated_at = excluded.updated_at",
            [page_id, timezone.now()],
        )


# --- digest --------------------------------------------------------------------------
@transaction.atomic
def digest_propose(
    *,
    week_start: date,
    index: DigestIndexPage | None = None,
    publishing_unit: OrgUnit | None = None,
    audience_unit: OrgUnit | None = None,
    user=None,
    limit: int = 8,
) -> DigestIssue:
    """Draft (not published) digest issue for the week starting `week_start`: pinned news
    of that week first, then the most-read, newest first on ties. Editors adjust the draft
    in the admin and send it through review. The news must be visible to the digest's
    audience (its audience unit is the digest's audience unit or an ancestor of it)."""
    index = index or DigestIndexPage.objects.first()
    if index is None:
        raise ValueError("没有手机报栏目，无法生成手机报")
    audience_unit = audience_unit or publishing_unit or OrgUnit.get_first_root_node()
    publishing_unit = publishing_unit or audience_unit
    week_end = week_start + timedelta(days=7)
    read_counts = PageReadCount.objects.filter(page_id=OuterRef("pk"))
    news = list(
        NewsPage.objects.live()
        .filter(date__gte=week_start, date__lt=week_end)
        .filter(audience_unit__path__in=audience_unit.ancestor_paths())
        .annotate(reads=Coalesce(Subquery(read_counts.values("count")[:1]), 0))
        .order_by("-pinned", "-reads", "-date", "-id")[:limit]
    )
    last = (
        DigestIssue.objects.order_by("-issue_number").values_list("issue_number", flat=True).first()
    )
    number = (last or 0) + 1
    issue = DigestIssue(
        title=f"手机报 第{number}期（{week_start:%Y年%m月%d日}当周）",
        slug=f"digest-{number}",
        issue_number=number,
        issue_date=week_end - timedelta(days=1),
        publishing_unit=publishing_unit,
        audience_unit=audience_unit,
        live=False,
        owner=user,
    )
    issue.items = [
        DigestItem(news=n, summary=(n.summary or n.title)[:120], sort_order=i)
        for i, n in enumerate(news)
    ]
    index.add_child(instance=issue)
    issue.save_revision(user=user, log_action=True)
    return issue


# --- review --------------------------------------------------------------------------------
@transaction.atomic
def page_review_run(
    *, page: Page, submitted_by, reviewers: Sequence, comment: str = "同意发布"
) -> Page:
    """Submit the page's latest revision for review as `submitted_by`, then approve each
    step in turn as the first of `reviewers` the step's rules allow (cms.review: the
    step's level, separation of duties); the last approval publishes. The operator path
    for content published outside the admin (the demo): the same rules and the same
    audit trail (提交审核, 审核通过, 发布 by named people) as in the admin. Raises
    ReviewRefused, and nothing is published, when no reviewer may approve a step."""
    from wagtail.models import WorkflowState

    workflow = page.get_workflow()
    if workflow is None:
        raise ReviewRefused("本内容没有审核流程，不能发布")
    state = workflow.start(page, submitted_by)
    while state.status == WorkflowState.STATUS_IN_PROGRESS:
        task_state = state.current_task_state
        task = task_state.task.specific
        refusals = [task.refusal_for(page, r, task_state) for r in reviewers]
        if None not in refusals:
            raise ReviewRefused(refusals[0] if refusals else "没有审核员")
        reviewer = reviewers[refusals.index(None)]
        task.on_action(task_state, reviewer, "approve", comment=comment)
        state.refresh_from_db()
    return type(page).objects.get(pk=page.pk)


# --- headless preview ----------------------------------------------------------------
def preview_token_make(*, page: Page, revision: Revision | None = None) -> str:
    """A signed, short-lived token naming one revision of a page (the latest draft by
    default). The API's /preview/ endpoint honours it; it cannot be forged or widened."""
    revision = revision or page.get_latest_revision()
    if revision is None:
        revision = page.save_revision()
    return signing.dumps({"p": page.pk, "r": revision.pk}, salt=PREVIEW_SALT, compress=True)


class PreviewTokenInvalid(DomainError):
    """The preview link is forged, expired or names a revision that is gone."""

    code = "invalid_token"
    status = 404


def preview_token_load(token: str):
    """→ the draft page object the token names. Raises PreviewTokenInvalid."""
    max_age = getattr(settings, "EHOME_PREVIEW_TOKEN_MAX_AGE", 600)
    try:
        data = signing.loads(token or "", salt=PREVIEW_SALT, max_age=max_age)
    except signing.SignatureExpired as exc:
        raise PreviewTokenInvalid("预览链接已过期，请在后台重新生成") from exc
    except signing.BadSignature as exc:
        raise PreviewTokenInvalid("预览链接无效") from exc
    revision = Revision.page_revisions.filter(
        pk=data.get("r"), object_id=str(data.get("p"))
    ).first()
    if revision is None:
        raise PreviewTokenInvalid("预览的版本不存在")
    return revision.as_object()


# --- editors, reviewers and the workflow ------------------------------------------------
@dataclass
class ContentSetup:
    editors: Group
    reviewers: Group
    workflow: Workflow


def _snippet_perms() -> tuple[list, list]:
    """(model, actions) the editors and the reviewers are given. Reviewers open bookshelf
    items to publish (tick 已发布) or withdraw them (cms.review)."""
    from wagtail.documents import get_document_model
    from wagtail.images import get_image_model

    editors = [
        (Book, ("add", "change", "delete", "view")),
        (Periodical, ("add", "change", "delete", "view")),
        (PeriodicalIssue, ("add", "change", "delete", "view")),
        (get_image_model(), ("add", "change", "choose")),
        (get_document_model(), ("add", "change", "choose")),
    ]
    reviewers = [(model, ("change", "view")) for model in (Book, Periodical, PeriodicalIssue)]
    return editors, reviewers


@transaction.atomic
def content_setup_ensure(*, home: Page | None = None) -> ContentSetup:
    """Idempotent: the editor and reviewer groups (what they may do — WHERE is decided by
    unit roles in cms.permissions), and the unit review workflow on the site root."""
    editors, _ = Group.objects.get_or_create(name=EDITORS_GROUP)
    reviewers, _ = Group.objects.get_or_create(name=REVIEWERS_GROUP)
    access_admin = Permission.objects.get(
        content_type__app_label="wagtailadmin", codename="access_admin"
    )
    editors.permissions.add(access_admin)
    reviewers.permissions.add(access_admin)
    for group, perm_list in zip((editors, reviewers), _snippet_perms(), strict=True):
        for model, actions in perm_list:
            group.permissions.add(*model_permissions(model, actions=actions))
    # No group publishes directly: the workflow's last approval publishes (cms.review).
    # Installs set up before this rule held gave reviewers publish_page: take it away.
    GroupPagePermission.objects.filter(
        group__in=[editors, reviewers], permission__codename="publish_page"
    ).delete()
    home = home or Page.objects.filter(depth=2).order_by("path").first()
    if home is not None:
        # Editors draft and submit; reviewers approve (and may take content down). WHERE
        # both may act is decided by cms.permissions.
        for group, codenames in (
            (editors, ("add_page", "change_page")),
            (reviewers, ("change_page",)),
        ):
            for codename in codenames:
                GroupPagePermission.objects.get_or_create(
                    group=group,
                    page=home,
                    permission=Permission.objects.get(
                        content_type__app_label="wagtailcore", codename=codename
                    ),
                )
    unit_task, _ = UnitReviewTask.objects.get_or_create(name="本单位审核")
    upper_task, _ = UpperReviewTask.objects.get_or_create(name="上级审核")
    workflow, created = Workflow.objects.get_or_create(name=WORKFLOW_NAME)
    if created or not workflow.workflow_tasks.exists():
        WorkflowTask.objects.create(workflow=workflow, task=unit_task, sort_order=0)
        WorkflowTask.objects.create(workflow=workflow, task=upper_task, sort_order=1)
    if home is not None:
        WorkflowPage.objects.update_or_create(page=home, defaults={"workflow": workflow})
    return ContentSetup(editors=editors, reviewers=reviewers, workflow=workflow)


# The site's fixed sections: (model, slug, fields). Editors file news under a channel.
CHANNELS = [
    ("headline", "要闻"),
    ("grassroots", "基层动态"),
    ("overseas", "海外项目"),
    ("notice", "通知公告"),
]


def site_home_ensure() -> HomePage:
    """Idempotent: the site root (HomePage) as the default site's root page, replacing
    Wagtail's "Welcome" placeholder page."""
    home = HomePage.objects.first()
    if home:
        return home
    root = Page.get_first_root_node()
    home = HomePage(title="党建e家", slug="ehome", intro="<p>党建e家</p>")
    root.add_child(instance=home)
    home.save_revision().publish()
    site = Site.objects.filter(is_default_site=True).first()
    old_root = site.root_page if site else None
    if site:
        site.root_page = home
        site.site_name = "党建e家"
        site.save()
    else:
        Site.objects.create(
            hostname="localhost", port=80, root_page=home, is_default_site=True, site_name="党建e家"
        )
    if old_root and old_root.specific_class is Page and old_root.depth == 2:
        old_root.delete()  # Wagtail's "Welcome" placeholder page
    return HomePage.objects.get(pk=home.pk)


def _section(parent, model, slug, **fields) -> bool:
    if model.objects.child_of(parent).filter(slug=slug).exists():
        return False
    page = model(slug=slug, **fields)
    parent.add_child(instance=page)
    page.save_revision().publish()
    return True


def site_sections_ensure(home: HomePage) -> int:
    """Idempotent: the news channels, the exemplar section and the digest section under
    `home` (matched by slug; existing ones are left as they are). → how many were created."""
    created = 0
    for code, title in CHANNELS:
        created += _section(
            home, NewsIndexPage, code, title=title, channel_code=code, intro=f"{title}频道"
        )
    created += _section(
        home, ExemplarIndexPage, "exemplars", title="先进典型", intro="学习身边的榜样"
    )
    created += _section(home, DigestIndexPage, "digest", title="手机报", intro="每周一期")
    return created


def setup_ensure(stdout=None) -> dict:
    """`ehome_setup` step: the site root and its sections, the editor/reviewer groups
    with their permissions, the review workflow and its assignment to the site root."""
    home = site_home_ensure()
    sections = site_sections_ensure(home)
    setup = content_setup_ensure(home=home)
    return {
        "groups": f"{setup.editors.name},{setup.reviewers.name}",
        "workflow": setup.workflow.name,
        "sections_created": sections,
    }


def user_content_groups_sync(*, user) -> None:
    """Put a user into the editor/reviewer groups exactly when they hold that unit role;
    connected to organizations.signals.unit_roles_changed."""
    roles = set(UnitRole.objects.filter(user=user).values_list("role", flat=True))
    for role, name in (("editor", EDITORS_GROUP), ("reviewer", REVIEWERS_GROUP)):
        group = Group.objects.filter(name=name).first()
        if group is None:
            continue
        if role in roles:
            user.groups.add(group)
        else:
            user.groups.remove(group)
