"""Organisation relationship transfers (组织关系转接) as a handshake.

- **Start** (`transfer_start`): a secretary, organizer or unit admin over the member's unit
  (the out-unit side) names the in-unit — any active unit of the organisation — or, for a
  transfer out of the organisation, the other side's name. A transfer *into* the
  organisation from outside is started by the in-unit side for a member record that is not
  active (a member who left and returns, a record entered ahead). Starting issues the
  introduction letter's number (介绍信, unique and sequential per year) and the expiry.
- **Accept / reject** (`transfer_accept`, `transfer_reject`): a role holder over the in-unit
  — its own secretary, or the secretary of a common upper unit, which covers it too — but
  never the person who started it. A transfer out of the organisation is confirmed by a
  role holder over the out-unit (the other side's receipt). Rejecting needs a reason.
  Only acceptance moves the member; the transfer and the member rows are locked, so a
  transfer is accepted once (a second attempt is a 409 naming its state).
- **Expiry** (`transfers_expire`): pending transfers past `expires_at` become expired;
  the periodic job `care.transfers_expire` runs it (idempotent).

Who sees a transfer (`transfers_visible`): role holders over the member's current unit,
the out-unit or the in-unit — the history stays with both sides after the move. The
member sees their own (`member_transfers`). Other apps hear of every step through
`transfer_changed(transfer_id=, event=)` on commit (care sends the notifications).
"""

from __future__ import annotations

import datetime as dt
import html

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Q, QuerySet
from django.dispatch import Signal
from django.utils import timezone

from core.errors import DomainError, ObjectNotFound
from organizations.models import Member, OrgUnit, Transfer, TransferLetterSequence
from organizations.scope import member_for_user, scope_for
from organizations.selectors import object_or_not_found
from organizations.signals import members_moved

#: who starts and decides transfers for the units they hold the role on (and below)
TRANSFER_ROLES = ("secretary", "organizer", "unit_admin")

#: sent on commit after a transfer was started, accepted, rejected or expired
transfer_changed = Signal()

EVENTS = ("started", "accepted", "rejected", "expired")


class TransferError(DomainError):
    """A transfer step the rules refuse; the message says what to do instead."""


def _expiry_days() -> int:
    return int(getattr(settings, "EHOME_TRANSFER_EXPIRY_DAYS", 60))


def _base() -> QuerySet[Transfer]:
    return Transfer.objects.select_related(
        "member", "member__unit", "from_unit", "to_unit", "requested_by", "approved_by"
    )


# --- reads ------------------------------------------------------------------------------
def transfers_visible(user) -> QuerySet[Transfer]:
    """Transfers whose member's unit, out-unit or in-unit lies where `user` holds a
    transfer role (superusers: all)."""
    scope = scope_for(user, roles=TRANSFER_ROLES)
    q = (
        scope.units_q("member__unit__path")
        | scope.units_q("from_unit__path")
        | scope.units_q("to_unit__path")
    )
    return _base().filter(q)


def access_transfer_by_id(user, transfer_id, *, action: str = "view") -> Transfer:
    """A transfer `user` may see (action "view") or decide (action "decide": a role over
    the in-unit; for a transfer out of the organisation, over the out-unit). The same
    not-found for a missing id and one outside scope."""
    if action == "decide":
        scope = scope_for(user, roles=TRANSFER_ROLES)
        q = Q(to_unit__isnull=False) & scope.units_q("to_unit__path")
        q |= Q(direction=Transfer.Direction.OUT) & scope.units_q("from_unit__path")
        return object_or_not_found(_base().filter(q), transfer_id)
    return object_or_not_found(transfers_visible(user), transfer_id)


def member_transfers(member: Member | None) -> QuerySet[Transfer]:
    """A member's own transfers, newest first."""
    if member is None:
        return Transfer.objects.none()
    return _base().filter(member=member)


def my_transfer_by_id(user, transfer_id) -> Transfer:
    return object_or_not_found(member_transfers(member_for_user(user)), transfer_id)


def member_current_transfer(member: Member | None) -> Transfer | None:
    """The member's pending transfer, else their latest one."""
    qs = member_transfers(member)
    return qs.filter(status=Transfer.Status.PENDING).first() or qs.first()


# --- writes -----------------------------------------------------------------------------
def _letter_number(year: int) -> int:
    """The next introduction-letter sequence of `year`, with the year's row locked (so
    two starts never share a number and the numbers have no gaps)."""
    try:
        with transaction.atomic():
            TransferLetterSequence.objects.get_or_create(year=year)
    except IntegrityError:  # created by a concurrent start: it exists now
        pass
    seq = TransferLetterSequence.objects.select_for_update().get(year=year)
    seq.last += 1
    seq.save(update_fields=["last"])
    return seq.last


def _notify(transfer_id: int, event: str) -> None:
    transaction.on_commit(
        lambda: transfer_changed.send(sender=Transfer, transfer_id=transfer_id, event=event),
        robust=True,
    )


@transaction.atomic
def transfer_start(
    *,
    member: Member,
    started_by,
    to_unit: OrgUnit | None = None,
    direction: str = Transfer.Direction.INTERNAL,
    external_name: str = "",
    reason: str = "",
) -> Transfer:
    """Start a transfer of `member` (already loaded in the starter's scope by the caller:
    the out-unit for internal and outgoing transfers, the in-unit for incoming ones)."""
    if direction not in Transfer.Direction.values:
        raise TransferError(f"未知的转接类型：{direction}")
    external_name = (external_name or "").strip()
    reason = (reason or "").strip()
    if len(reason) > 500 or len(external_name) > 200:
        raise TransferError("转接原因不超过 500 字，对方党组织名称不超过 200 字")
    locked = Member.objects.select_for_update().select_related("unit").get(pk=member.pk)
    from_unit = locked.unit
    if direction == Transfer.Direction.OUT:
        if to_unit is not None:
            raise TransferError("转出本系统时不选择转入组织，请填写对方党组织名称")
        if not external_name:
            raise TransferError("请填写转入的系统外党组织名称")
        if locked.status != Member.Status.ACTIVE:
            raise TransferError("只有状态正常的党员才能转出组织关系")
    elif direction == Transfer.Direction.IN:
        if not external_name:
            raise TransferError("请填写转出的系统外党组织名称")
        if to_unit is None:
            raise TransferError("请选择转入的党组织")
        if locked.status == Member.Status.ACTIVE:
            raise TransferError(
                f"{locked.name}的组织关系已在本系统内，请发起系统内转接", code="invalid"
            )
        from_unit = None
    else:
        if to_unit is None:
            raise TransferError("请选择转入的党组织")
        if external_name:
            raise TransferError("系统内转接不填写系统外党组织名称")
        if to_unit.pk == locked.unit_id:
            raise TransferError(f"{locked.name}已在“{to_unit.name}”，不能转接到党员所在的党组织")
        if locked.status != Member.Status.ACTIVE:
            raise TransferError("只有状态正常的党员才能转接组织关系")
    if to_unit is not None and not to_unit.is_active:
        raise TransferError(f"转入组织“{to_unit.name}”已停用")
    if Transfer.objects.filter(member=locked, status=Transfer.Status.PENDING).exists():
        raise TransferError(
            f"{locked.name}已有一条待接收的组织关系转接，请等对方处理或过期后再发起",
            code="conflict",
            status=409,
        )
    now = timezone.now()
    year = timezone.localdate(now).year
    transfer = Transfer.objects.create(
        member=locked,
        direction=direction,
        status=Transfer.Status.PENDING,
        from_unit=from_unit,
        to_unit=to_unit,
        external_name=external_name,
        requested_by=started_by,
        reason=reason,
        started_at=now,
        expires_at=now + dt.timedelta(days=_expiry_days()),
        letter_year=year,
        letter_seq=_letter_number(year),
    )
    _notify(transfer.pk, "started")
    return transfer


def _lock_pending(transfer: Transfer, by) -> Transfer:
    locked = Transfer.objects.select_for_update().get(pk=transfer.pk)
    if locked.status != Transfer.Status.PENDING:
        raise TransferError(
            f"该转接{locked.get_status_display()}，不能再次处理", code="conflict", status=409
        )
    if locked.expires_at and locked.expires_at <= timezone.now():
        raise TransferError("该转接已过有效期，请由转出方重新发起", code="conflict", status=409)
    if by is not None and locked.requested_by_id == by.pk:
        raise TransferError(
            "发起人不能自己接收或退回，须由转入组织的书记或共同上级党组织书记办理",
            code="forbidden",
            status=403,
        )
    return locked


@transaction.atomic
def transfer_accept(*, transfer: Transfer, accepted_by, note: str = "") -> Transfer:
    """Accept (the caller loaded `transfer` with action "decide"): the member moves now —
    to the in-unit, or out of the organisation (status 已转出)."""
    locked = _lock_pending(transfer, accepted_by)
    member = Member.objects.select_for_update().get(pk=locked.member_id)
    if locked.from_unit_id and member.unit_id != locked.from_unit_id:
        raise TransferError(
            f"{member.name}已不在转出组织，这条转接不能接收", code="conflict", status=409
        )
    now = timezone.now()
    fields = ["updated_at"]
    if locked.direction == Transfer.Direction.OUT:
        member.status = Member.Status.TRANSFERRED_OUT
        fields.append("status")
    else:
        to_unit = OrgUnit.objects.get(pk=locked.to_unit_id)
        if not to_unit.is_active:
            raise TransferError(f"转入组织“{to_unit.name}”已停用，不能接收")
        member.unit = to_unit
        member.is_overseas = to_unit.country != "CN"
        member.status = Member.Status.ACTIVE
        fields += ["unit", "is_overseas", "status"]
    member.save(update_fields=fields)
    locked.status = Transfer.Status.ACCEPTED
    locked.approved_by = accepted_by
    locked.decided_at = now
    locked.transferred_at = now
    locked.decision_note = (note or "").strip()[:500]
    locked.save()
    member_id = member.pk
    transaction.on_commit(lambda: members_moved.send(sender=Member, member_ids=[member_id]))
    _notify(locked.pk, "accepted")
    return locked


@transaction.atomic
def transfer_reject(*, transfer: Transfer, rejected_by, reason: str) -> Transfer:
    """Reject with a reason (required): the member stays where they are."""
    reason = (reason or "").strip()
    if not reason:
        raise TransferError("退回转接须填写退回原因")
    if len(reason) > 500:
        raise TransferError("退回原因不超过 500 字")
    locked = _lock_pending(transfer, rejected_by)
    locked.status = Transfer.Status.REJECTED
    locked.approved_by = rejected_by
    locked.decided_at = timezone.now()
    locked.decision_note = reason
    locked.save()
    _notify(locked.pk, "rejected")
    return locked


def transfers_expire(*, now: dt.datetime | None = None) -> int:
    """Mark pending transfers past their expiry as expired; answers how many. Running it
    again changes nothing (only pending rows are touched, each in its own update)."""
    now = now or timezone.now()
    done = 0
    ids = list(
        Transfer.objects.filter(status=Transfer.Status.PENDING, expires_at__lte=now).values_list(
            "pk", flat=True
        )
    )
    for pk in ids:
        with transaction.atomic():
            changed = Transfer.objects.filter(pk=pk, status=Transfer.Status.PENDING).update(
                status=Transfer.Status.EXPIRED, decided_at=now
            )
            if changed:
                done += 1
                _notify(pk, "expired")
    return done


# --- reports ----------------------------------------------------------------------------
def transfer_counts(unit: OrgUnit, *, since: dt.date, until: dt.date) -> list[dict]:
    """Accepted transfers in and out per child unit of `unit` (each child counting its
    subtree; the unit's own direct members as a row for the unit itself) between the
    local dates `since` and `until` (inclusive) — ONE SQL query. A move between two units
    of one bucket counts as one out and one in of that bucket."""
    if until < since:
        raise TransferError("结束日期不能早于开始日期")
    zone = timezone.get_default_timezone()
    start = dt.datetime.combine(since, dt.time.min, tzinfo=zone)
    end = dt.datetime.combine(until + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    length = (unit.depth + 1) * OrgUnit.steplen
    # as the database stores them (SQLite: UTC text): the local day's bounds compare right
    # even when that day began the evening before in UTC
    adapt = connection.ops.adapt_datetimefield_value
    params = {"L": length, "prefix": unit.path + "%", "start": adapt(start), "end": adapt(end)}
    sql = """
        WITH moves AS (
            SELECT substr(u.path, 1, %(L)s) AS bucket, 1 AS outs, 0 AS ins
            FROM organizations_transfer t
            JOIN organizations_orgunit u ON u.id = t.from_unit_id
            WHERE t.status = 'accepted' AND u.path LIKE %(prefix)s
              AND t.transferred_at >= %(start)s AND t.transferred_at < %(end)s
            UNION ALL
            SELECT substr(u.path, 1, %(L)s) AS bucket, 0 AS outs, 1 AS ins
            FROM organizations_transfer t
            JOIN organizations_orgunit u ON u.id = t.to_unit_id
            WHERE t.status = 'accepted' AND u.path LIKE %(prefix)s
              AND t.transferred_at >= %(start)s AND t.transferred_at < %(end)s
        )
        SELECT g.id, g.code, g.name, g.path, SUM(m.outs), SUM(m.ins)
        FROM moves m JOIN organizations_orgunit g ON g.path = m.bucket
        GROUP BY g.id, g.code, g.name, g.path
        ORDER BY g.path
    """
    with connection.cursor() as cur:
        cur.execute(sql, params)
        rows = cur.fetchall()
    return [
        {
            "unit_id": uid,
            "code": code,
            "name": name,
            "is_unit_itself": path == unit.path,
            "out": int(outs),
            "in": int(ins),
        }
        for uid, code, name, path, outs, ins in rows
    ]


# --- the introduction letter ------------------------------------------------------------
def transfer_letter_html(transfer: Transfer) -> str:
    e = html.escape
    member = transfer.member
    started = timezone.localtime(transfer.started_at) if transfer.started_at else None
    expires = timezone.localtime(transfer.expires_at) if transfer.expires_at else None
    category = member.get_category_display()
    return f"""<!doctype html><html lang="zh-hans"><head><meta charset="utf-8">
<style>
h1 {{ text-align: center; font-size: 20pt; letter-spacing: 0.3em; }}
.no {{ text-align: right; }} p {{ line-height: 2; text-indent: 2em; }}
.sign {{ text-align: right; margin-top: 3em; }} table {{ width: 100%; border-collapse: collapse; }}
td {{ border: 1px solid #333; padding: 4pt 6pt; }}
</style></head><body>
<h1>党员组织关系介绍信</h1>
<div class="no">编号：{e(transfer.letter_no)}</div>
<p><strong>{e(transfer.to_side)}</strong>：</p>
<p>兹介绍{e(member.name)}同志（{e(category)}，党员编号 {e(member.member_no)}）的党员组织关系由
{e(transfer.from_side)}转去你处，请接洽。</p>
<table>
<tr><td>转接类型</td><td>{e(transfer.get_direction_display())}</td></tr>
<tr><td>转接原因</td><td>{e(transfer.reason or "—")}</td></tr>
<tr><td>状态</td><td>{e(transfer.get_status_display())}</td></tr>
<tr><td>有效期至</td><td>{e(expires.strftime("%Y年%m月%d日") if expires else "—")}</td></tr>
</table>
<div class="sign">{e(transfer.from_side)}（盖章）<br>
{e(started.strftime("%Y年%m月%d日") if started else "")}</div>
</body></html>"""


def transfer_letter_pdf(transfer: Transfer) -> bytes:
    """The introduction letter (介绍信) as a PDF (WeasyPrint with Noto CJK, core.pdf)."""
    from core.pdf import render_pdf

    if not transfer.letter_no:
        raise ObjectNotFound("这条转接没有介绍信")
    return render_pdf(transfer_letter_html(transfer))
