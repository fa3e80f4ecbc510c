"""Transfers as a handshake: start, accept/reject by the in-unit side, letter, expiry,
notifications, counts."""

import datetime as dt
import subprocess

import pytest
from django.utils import timezone

from core.errors import ObjectNotFound
from notifications.models import Notification
from organizations.models import Member, Transfer, UnitRole
from organizations.transfers import (
    TransferError,
    access_transfer_by_id,
    transfer_accept,
    transfer_counts,
    transfer_letter_pdf,
    transfer_reject,
    transfer_start,
    transfers_expire,
    transfers_visible,
)
from tests.factories import add_unit, member_in, user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def sides(org):
    """A1's secretary starts; B1's secretary (another subtree) decides."""
    return user_with_role(org.a1, "secretary"), user_with_role(org.b1, "secretary")


def _start(member, by, to_unit, **kw):
    return transfer_start(member=member, started_by=by, to_unit=to_unit, **kw)


def test_member_moves_only_when_the_in_unit_accepts(org, sides, django_capture_on_commit_callbacks):
    out_sec, in_sec = sides
    m = member_in(org.a1, name="欧阳建国")
    with django_capture_on_commit_callbacks(execute=True):
        t = _start(m, out_sec, org.b1, reason="调往海外项目")
    m.refresh_from_db()
    assert (m.unit, t.status) == (org.a1, Transfer.Status.PENDING)
    year = timezone.localdate().year
    assert t.letter_no == f"组转〔{year}〕000001号"
    # the in-unit's secretary was told, and the member
    assert (
        Notification.objects.filter(recipient=in_sec.member, kind="transfer_incoming").count() == 1
    )
    assert Notification.objects.filter(recipient=m, kind="transfer_state").count() == 1

    # B1's secretary sees it and may decide it; A1's secretary sees it but may not decide
    decidable = access_transfer_by_id(in_sec, t.pk, action="decide")
    with pytest.raises(ObjectNotFound):
        access_transfer_by_id(out_sec, t.pk, action="decide")
    with django_capture_on_commit_callbacks(execute=True):
        transfer_accept(transfer=decidable, accepted_by=in_sec)
    m.refresh_from_db()
    t.refresh_from_db()
    assert (m.unit, m.is_overseas) == (org.b1, True)
    assert (t.status, t.approved_by, t.from_unit, t.to_unit) == ("accepted", in_sec, org.a1, org.b1)
    assert t.transferred_at is not None
    # both sides keep the history
    assert t in transfers_visible(out_sec) and t in transfers_visible(in_sec)
    assert Notification.objects.filter(recipient=m, kind="transfer_state").count() == 2
    assert Notification.objects.filter(recipient=out_sec.member, kind="transfer_state").count() == 1


def test_accepting_twice_is_a_409_and_changes_nothing(org, sides):
    out_sec, in_sec = sides
    m = member_in(org.a1)
    t = _start(m, out_sec, org.b1)
    transfer_accept(transfer=t, accepted_by=in_sec)
    with pytest.raises(TransferError) as err:
        transfer_accept(transfer=t, accepted_by=in_sec)
    assert err.value.status == 409 and "已接收" in err.value.message
    with pytest.raises(TransferError) as err:
        transfer_reject(transfer=t, rejected_by=in_sec, reason="x")
    assert err.value.status == 409
    assert Transfer.objects.get(pk=t.pk).status == "accepted"


def test_common_upper_unit_secretary_may_accept(org, sides):
    out_sec, _ = sides
    upper = user_with_role(org.root, "secretary")
    t = _start(member_in(org.a1), out_sec, org.b1)
    transfer_accept(transfer=access_transfer_by_id(upper, t.pk, action="decide"), accepted_by=upper)
    assert Transfer.objects.get(pk=t.pk).status == "accepted"


def test_starter_cannot_accept_their_own_transfer(org):
    a_sec = user_with_role(org.a, "secretary")
    a2 = add_unit(org.a, "A2", "上海项目党支部")
    m = member_in(org.a1)
    t = _start(m, a_sec, a2)
    decidable = access_transfer_by_id(a_sec, t.pk, action="decide")  # A covers A2
    with pytest.raises(TransferError) as err:
        transfer_accept(transfer=decidable, accepted_by=a_sec)
    assert err.value.status == 403
    a2_sec = user_with_role(a2, "secretary")
    transfer_accept(
        transfer=access_transfer_by_id(a2_sec, t.pk, action="decide"), accepted_by=a2_sec
    )
    m.refresh_from_db()
    assert m.unit == a2


def test_reject_needs_a_reason_and_keeps_the_member(org, sides, django_capture_on_commit_callbacks):
    out_sec, in_sec = sides
    m = member_in(org.a1)
    t = _start(m, out_sec, org.b1)
    with pytest.raises(TransferError, match="退回原因"):
        transfer_reject(transfer=t, rejected_by=in_sec, reason="  ")
    assert Transfer.objects.get(pk=t.pk).status == "pending"
    with django_capture_on_commit_callbacks(execute=True):
        transfer_reject(transfer=t, rejected_by=in_sec, reason="介绍信信息有误")
    t.refresh_from_db()
    m.refresh_from_db()
    assert (t.status, t.decision_note, m.unit) == ("rejected", "介绍信信息有误", org.a1)
    note = Notification.objects.filter(recipient=m, kind="transfer_state").latest("pk")
    assert "已退回" in note.title and "介绍信信息有误" in note.body


def test_bad_starts_are_refused_and_write_nothing(org, sides):
    out_sec, _ = sides
    m = member_in(org.a1, name="司马光")
    with pytest.raises(TransferError, match="不能转接到党员所在的党组织"):
        _start(m, out_sec, org.a1)
    with pytest.raises(TransferError, match="系统外党组织名称"):
        transfer_start(member=m, started_by=out_sec, direction="out")
    _start(m, out_sec, org.b1)
    with pytest.raises(TransferError) as err:  # one pending transfer per member
        _start(m, out_sec, org.b)
    assert err.value.status == 409
    assert Transfer.objects.count() == 1


def test_transfer_out_of_the_organisation_and_back_in(org, sides):
    out_sec, _ = sides
    a_sec = user_with_role(org.a, "secretary")
    m = member_in(org.a1)
    t = transfer_start(
        member=m, started_by=out_sec, direction="out", external_name="某市某区街道党工委"
    )
    assert t.to_side == "某市某区街道党工委"
    transfer_accept(transfer=access_transfer_by_id(a_sec, t.pk, action="decide"), accepted_by=a_sec)
    m.refresh_from_db()
    assert m.status == Member.Status.TRANSFERRED_OUT
    back = transfer_start(
        member=m,
        started_by=a_sec,
        to_unit=org.a1,
        direction="in",
        external_name="某市某区街道党工委",
    )
    assert back.from_unit is None and back.from_side == "某市某区街道党工委"
    transfer_accept(transfer=back, accepted_by=out_sec)
    m.refresh_from_db()
    assert (m.status, m.unit) == (Member.Status.ACTIVE, org.a1)


def test_letter_numbers_are_sequential_and_the_pdf_names_member_and_number(org, sides, tmp_path):
    out_sec, in_sec = sides
    t1 = _start(member_in(org.a1), out_sec, org.b1)
    t2 = _start(member_in(org.a1, name="诸葛明"), out_sec, org.b1)
    assert (t1.letter_seq, t2.letter_seq) == (1, 2)
    pdf = transfer_letter_pdf(Transfer.objects.select_related("member").get(pk=t2.pk))
    path = tmp_path / "letter.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout
    assert "诸葛明" in text and t2.letter_no in text.replace(" ", "")
    assert "党员组织关系介绍信" in text


def test_pending_transfers_expire_once(org, sides, settings, django_capture_on_commit_callbacks):
    out_sec, in_sec = sides
    settings.EHOME_TRANSFER_EXPIRY_DAYS = 3
    m = member_in(org.a1)
    t = _start(m, out_sec, org.b1)
    assert t.expires_at - t.started_at == dt.timedelta(days=3)
    later = timezone.now() + dt.timedelta(days=4)
    assert transfers_expire(now=timezone.now()) == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert transfers_expire(now=later) == 1
        assert transfers_expire(now=later) == 0  # idempotent
    t.refresh_from_db()
    assert t.status == "expired"
    with pytest.raises(TransferError) as err:
        transfer_accept(transfer=t, accepted_by=in_sec)
    assert err.value.status == 409
    assert Notification.objects.filter(recipient=m, title__contains="已过期").count() == 1
    _start(m, out_sec, org.b1)  # a new transfer may be started after expiry


def test_counts_in_and_out_per_unit_in_one_query(org, sides, django_assert_num_queries):
    out_sec, in_sec = sides
    upper = user_with_role(org.root, "secretary")
    for _ in range(2):
        transfer_accept(transfer=_start(member_in(org.a1), out_sec, org.b1), accepted_by=in_sec)
    back = _start(member_in(org.b1), in_sec, org.a1)
    transfer_accept(transfer=back, accepted_by=upper)
    _start(member_in(org.a1), out_sec, org.b1)  # pending: not counted
    today = timezone.localdate()
    with django_assert_num_queries(1):
        rows = transfer_counts(org.root, since=today, until=today)
    by_code = {r["code"]: (r["out"], r["in"]) for r in rows}
    assert by_code == {"A": (2, 1), "B": (1, 2)}
    assert (
        transfer_counts(
            org.root, since=today - dt.timedelta(days=9), until=today - dt.timedelta(days=1)
        )
        == []
    )


def test_out_of_scope_transfer_is_not_found(org, sides):
    out_sec, _ = sides
    t = _start(member_in(org.a1), out_sec, org.a)
    stranger = user_with_role(org.b1, "organizer")
    for action in ("view", "decide"):
        with pytest.raises(ObjectNotFound):
            access_transfer_by_id(stranger, t.pk, action=action)
    assert UnitRole.objects.filter(user=stranger).exists()


@pytest.mark.pg_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_accept_and_reject_decide_once(org):
    """Six deciders press accept or reject at the same moment: one decision wins, the
    others are told 409, the member moved exactly once."""
    import threading

    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL (SQLite serialises all writers)")
    out_sec = user_with_role(org.a1, "secretary")
    deciders = [user_with_role(org.b1, "secretary") for _ in range(6)]
    m = member_in(org.a1)
    t = _start(m, out_sec, org.b1)
    barrier = threading.Barrier(6)
    done, refused, errors = [], [], []

    def press(i, user):
        try:
            barrier.wait()
            row = access_transfer_by_id(user, t.pk, action="decide")
            if i % 2:
                done.append(transfer_accept(transfer=row, accepted_by=user).status)
            else:
                done.append(transfer_reject(transfer=row, rejected_by=user, reason="不符").status)
        except TransferError as exc:
            refused.append(exc.status)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=press, args=(i, u)) for i, u in enumerate(deciders)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == [] and len(done) == 1 and refused == [409] * 5
    t.refresh_from_db()
    m.refresh_from_db()
    assert t.status == done[0]
    assert m.unit == (org.b1 if done[0] == "accepted" else org.a1)


@pytest.mark.pg_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_starts_get_distinct_sequential_letter_numbers(org):
    import threading

    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL (SQLite serialises all writers)")
    sec = user_with_role(org.a1, "secretary")
    members = [member_in(org.a1) for _ in range(8)]
    barrier = threading.Barrier(8)
    errors = []

    def start(member):
        try:
            barrier.wait()
            _start(member, sec, org.b1)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=start, args=(mm,)) for mm in members]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    assert sorted(Transfer.objects.values_list("letter_seq", flat=True)) == list(range(1, 9))
