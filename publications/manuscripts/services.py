"""Writes for manuscripts: write and submit (to an upper unit only), attach, register
(登记号), return with comments, resubmit, decide (adopt in the bulletin / as news / not
adopted), score by the rules. Each step writes its history row; each decision and return
is told to the sender's editors. Every step is one transaction: a refused step writes
nothing."""

from __future__ import annotations

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from organizations.models import OrgUnit
from organizations.selectors import access_unit_by_id
from publications.errors import PublicationError
from publications.manuscripts import selectors
from publications.manuscripts.attachments import check_manuscript_file
from publications.manuscripts.models import (
    Manuscript,
    ManuscriptAttachment,
    ManuscriptEvent,
    ManuscriptScore,
    TargetKind,
)
from publications.manuscripts.notify import notify_sender
from publications.manuscripts.scoring import rule_for, text_length

S = Manuscript.Status
A = ManuscriptEvent.Action
EDITABLE = (S.DRAFT, S.RETURNED)
OPEN = (S.REGISTERED, S.RESUBMITTED)
FIELDS = (
    "title",
    "body",
    "body_format",
    "target_kind",
    "column",
    "leader_endorsed",
    "endorsement_note",
)


def _event(m: Manuscript, action: str, user, old: str, comment: str = "") -> None:
    ManuscriptEvent.objects.create(
        manuscript=m,
        action=action,
        from_status=old,
        to_status=m.status,
        comment=comment,
        actor=user if getattr(user, "pk", None) else None,
    )


def _apply(m: Manuscript, fields: dict) -> None:
    """Set the writable `fields` on `m` (a rich body sanitised) and check the content."""
    for k, v in fields.items():
        if k in FIELDS:
            setattr(m, k, v.strip() if k == "title" and isinstance(v, str) else v)
    if m.body_format == Manuscript.BodyFormat.RICH:
        from core.richtext import sanitize_html

        m.body = sanitize_html(m.body or "")
    _check_content(m)


def _check_upper(sender: OrgUnit, receiver: OrgUnit) -> None:
    """The receiver must be an ancestor of the sender (not the sender itself)."""
    if receiver.pk == sender.pk or not sender.path.startswith(receiver.path):
        raise PublicationError(
            f"“{receiver.name}”不是“{sender.name}”的上级组织，只能向上级组织投稿",
            code="not_upper_unit",
        )


def _check_content(m: Manuscript) -> None:
    if not m.title:
        raise PublicationError("稿件须有标题", code="no_title")
    if len(m.title) > 200:
        raise PublicationError("标题不能超过 200 字", code="title_too_long")
    if m.target_kind not in TargetKind.values:
        raise PublicationError("投稿去向只能是简报或新闻", code="bad_target")
    if m.body_format not in Manuscript.BodyFormat.values:
        raise PublicationError("正文格式只能是纯文本或富文本", code="bad_body_format")
    if len(m.column) > 64:
        raise PublicationError("栏目名称不能超过 64 字", code="column_too_long")
    if len(m.endorsement_note) > 500:
        raise PublicationError("批示内容不能超过 500 字", code="note_too_long")


# --- the sender's side ------------------------------------------------------------------
def manuscript_validate(
    *, user, manuscript=None, sender_unit_id=None, receiver_unit_id=None, **fields
):
    """What a new item (sender and receiver units given) or a change to `manuscript`
    would be, checked: the sender inside the user's subtree (else ObjectNotFound), the
    receiver an upper unit of it, the item still editable, the content complete.
    Answers the unsaved item; PublicationError names what is wrong."""
    if manuscript is None:
        sender = access_unit_by_id(user, sender_unit_id, roles=selectors.MANAGER_ROLES)
        receiver = OrgUnit.objects.filter(pk=receiver_unit_id).first() if receiver_unit_id else None
        if receiver is None:
            raise PublicationError("收稿单位不存在", code="no_receiver")
        _check_upper(sender, receiver)
        m = Manuscript(sender_unit=sender, receiver_unit=receiver)
    else:
        m = selectors.access_manuscript_by_id(user, manuscript.pk, action="send")
        if m.status not in EDITABLE:
            raise PublicationError("只有草稿或退回修改的稿件可以修改", code="not_editable")
    _apply(m, fields)
    return m


@transaction.atomic
def manuscript_create(*, user, sender_unit_id, receiver_unit_id, submit=False, **fields):
    """A draft from a unit of the user's sender subtree to one of its upper units (and
    submitted at once when `submit`)."""
    m = manuscript_validate(
        user=user, sender_unit_id=sender_unit_id, receiver_unit_id=receiver_unit_id, **fields
    )
    m.save()
    if submit:
        return manuscript_submit(user=user, manuscript_id=m.pk)
    return m


@transaction.atomic
def manuscript_update(*, user, manuscript_id, **fields) -> Manuscript:
    m = selectors.access_manuscript_by_id(user, manuscript_id, action="send")
    m = manuscript_validate(user=user, manuscript=m, **fields)
    m.save()
    return m


@transaction.atomic
def manuscript_attach(*, user, manuscript_id, name: str, data: bytes) -> ManuscriptAttachment:
    m = selectors.access_manuscript_by_id(user, manuscript_id, action="send")
    if m.status not in EDITABLE:
        raise PublicationError("只有草稿或退回修改的稿件可以添加附件", code="not_editable")
    name = (name or "").strip().replace("/", "_").replace("\\", "_")[:200]
    if not name:
        raise PublicationError("附件须有文件名", code="no_name")
    kind, is_image = check_manuscript_file(name, data)
    attachment = ManuscriptAttachment(
        manuscript=m, name=name, kind=kind, is_image=is_image, size=len(data)
    )
    attachment.file.save(name, ContentFile(data), save=False)
    attachment.save()
    return attachment


def _locked(user, manuscript_id, action: str) -> Manuscript:
    m = selectors.access_manuscript_by_id(user, manuscript_id, action=action)
    return (
        Manuscript.objects.select_for_update()
        .select_related("sender_unit", "receiver_unit")
        .get(pk=m.pk)
    )


@transaction.atomic
def manuscript_submit(*, user, manuscript_id) -> Manuscript:
    m = _locked(user, manuscript_id, "send")
    if m.status != S.DRAFT:
        raise PublicationError("稿件已投出，不能重复投稿", code="already_submitted", status=409)
    _check_upper(m.sender_unit, m.receiver_unit)
    _check_content(m)
    old, m.status = m.status, S.SUBMITTED
    m.submitted_at, m.submitted_by = timezone.now(), user
    m.save()
    _event(m, A.SUBMITTED, user, old)
    return m


@transaction.atomic
def manuscript_resubmit(*, user, manuscript_id, comment: str = "", **fields) -> Manuscript:
    m = _locked(user, manuscript_id, "send")
    if m.status != S.RETURNED:
        raise PublicationError("只有退回修改的稿件可以重新投稿", code="not_returned", status=409)
    _apply(m, fields)
    old, m.status = m.status, S.RESUBMITTED
    m.save()
    _event(m, A.RESUBMITTED, user, old, (comment or "").strip()[:2000])
    return m


# --- the receiver's side ----------------------------------------------------------------
@transaction.atomic
def manuscript_register(*, user, manuscript_id) -> Manuscript:
    """Give it the receiving unit's next register number of the year (登记号)."""
    m = _locked(user, manuscript_id, "receive")
    if m.status != S.SUBMITTED:
        raise PublicationError(
            f"稿件已登记（{m.register_number}）" if m.register_number else "稿件不能登记",
            code="already_registered" if m.register_number else "bad_status",
            status=409,
        )
    OrgUnit.objects.select_for_update().filter(pk=m.receiver_unit_id).first()  # one at a time
    year = timezone.localdate().year
    last = Manuscript.objects.filter(
        receiver_unit_id=m.receiver_unit_id, register_year=year
    ).aggregate(n=Max("register_seq"))["n"]
    old = m.status
    m.register_year, m.register_seq = year, (last or 0) + 1
    m.register_number = f"{year}-{m.register_seq:04d}"
    m.status, m.registered_at = S.REGISTERED, timezone.now()
    m.save()
    _event(m, A.REGISTERED, user, old)
    return m


def _need_open(m: Manuscript) -> None:
    if m.status == S.SUBMITTED:
        raise PublicationError("稿件尚未登记，请先登记", code="not_registered", status=409)
    if m.status not in OPEN:
        raise PublicationError(
            f"稿件当前状态为“{m.get_status_display()}”，不能处理", code="bad_status", status=409
        )


@transaction.atomic
def manuscript_return(*, user, manuscript_id, comment: str) -> Manuscript:
    m = _locked(user, manuscript_id, "receive")
    comment = (comment or "").strip()
    if not comment:
        raise PublicationError("退回修改须填写意见", code="no_comment")
    _need_open(m)
    old, m.status = m.status, S.RETURNED
    m.save()
    _event(m, A.RETURNED, user, old, comment[:2000])
    notify_sender(m, comment=comment)
    return m


DECISIONS = (S.ADOPTED_BULLETIN, S.ADOPTED_NEWS, S.NOT_ADOPTED)


@transaction.atomic
def manuscript_decide(*, user, manuscript_id, decision: str, comment: str = "") -> Manuscript:
    """Adopt in the bulletin, adopt as news (a draft NewsPage under the receiving unit,
    for the normal review), or not adopt."""
    if decision not in DECISIONS:
        raise PublicationError("处理结果只能是简报采用、新闻采用或未采用", code="bad_decision")
    m = _locked(user, manuscript_id, "receive")
    _need_open(m)
    old, m.status, m.decided_at = m.status, decision, timezone.now()
    if decision == S.ADOPTED_NEWS:
        from publications.manuscripts.news import draft_news_page

        m.news_page = draft_news_page(m, user=user)
    m.save()
    comment = (comment or "").strip()[:2000]
    _event(m, A.DECIDED, user, old, comment)
    notify_sender(m, comment=comment)
    return m


@transaction.atomic
def manuscript_score(*, user, manuscript_id) -> ManuscriptScore:
    """Score an adopted manuscript once, from the rules (its adoption kind, column and
    length; the leader-endorsement extra)."""
    m = _locked(user, manuscript_id, "receive")
    if m.status not in Manuscript.ADOPTED:
        raise PublicationError("只有采用的稿件可以计分", code="not_adopted", status=409)
    if ManuscriptScore.objects.filter(manuscript=m).exists():
        raise PublicationError("该稿件已计分，不能重复计分", code="already_scored", status=409)
    length = text_length(m)
    rule = rule_for(m, length)
    if rule is None:
        raise PublicationError(
            f"没有适用于“{m.get_status_display()}”、{length} 字的计分规则", code="no_rule"
        )
    extra = rule.endorsement_extra if m.leader_endorsed else 0
    try:
        with transaction.atomic():
            score = ManuscriptScore.objects.create(
                manuscript=m,
                rule=rule,
                length=length,
                base_points=rule.points,
                extra_points=extra,
                points=rule.points + extra,
                scored_by=user,
            )
    except IntegrityError:
        raise PublicationError(
            "该稿件已计分，不能重复计分", code="already_scored", status=409
        ) from None
    _event(m, A.SCORED, user, m.status, f"{score.points} 分")
    return score
