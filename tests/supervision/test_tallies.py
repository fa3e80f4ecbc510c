"""The dashboard's roll-ups (supervision.tallies): after every kind of write — services,
an admin-style edit that moves a meeting to another month, deletes, an UPDATE of the
attendance count — each cell equals a recount from scratch, and the panels read them."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command

from supervision.common import period_parse
from supervision.dashboard import ledger_panel, meetings_panel
from supervision.ledger import services as ledger_services
from supervision.ledger.models import LedgerItem, LedgerReport
from supervision.ledger.selectors import ledger_grid
from supervision.ledger.tally import LedgerTally
from supervision.meetings import services as meeting_services
from supervision.meetings.models import Meeting, MeetingKind
from supervision.meetings.selectors import compliance_report
from supervision.meetings.tally import KIND_COLUMNS, MeetingTally
from supervision.tallies.services import tallies_differences, tallies_rebuild

pytestmark = pytest.mark.django_db

MARCH = 2026 * 12 + 2


def _cells(model) -> list[tuple]:
    fields = [f.attname for f in model._meta.concrete_fields if f.attname != "id"]
    return sorted(model.objects.values_list(*fields))


def _equals_recount() -> None:
    """The stored cells are exactly what a rebuild from scratch writes."""
    stored = {m: _cells(m) for m in (MeetingTally, LedgerTally)}
    assert tallies_differences() == {"meetingtally": 0, "ledgertally": 0}
    tallies_rebuild()
    assert {m: _cells(m) for m in (MeetingTally, LedgerTally)} == stored


def _tally(unit, month) -> MeetingTally | None:
    return MeetingTally.objects.filter(unit=unit, month=month).first()


def _schedule(world, unit, user, local, kind="committee_meeting", **kw):
    return meeting_services.meeting_schedule(
        user=user,
        unit_id=unit.pk,
        kind=kind,
        title="支委会",
        starts_local=local,
        duration_minutes=60,
        place="会议室",
        **kw,
    )


def _file(user, meeting) -> None:
    meeting_services.meeting_minutes_file(
        user=user,
        meeting_id=meeting.pk,
        minutes="记录",
        now=meeting.ends_at + dt.timedelta(hours=1),
    )


def test_every_kind_of_meeting_tally_column_exists():
    assert set(KIND_COLUMNS) == set(MeetingKind.values)
    names = {f.name for f in MeetingTally._meta.get_fields()}
    assert set(KIND_COLUMNS) <= names


def test_meeting_writes_keep_the_monthly_rollup_exact(world, members):
    a1 = members["a1"]
    m = _schedule(world, world.a1, world.sec_a1, dt.datetime(2026, 3, 10, 14, 0))
    assert not MeetingTally.objects.exists()  # scheduled meetings are not counted
    _equals_recount()

    start = m.starts_at
    meeting_services.meeting_check_in(user=a1[0].user, meeting_id=m.pk, now=start)
    _file(world.sec_a1, m)
    t = _tally(world.a1, MARCH)
    invited = Meeting.objects.get(pk=m.pk).invited_count
    assert invited >= 3  # the unit's active members
    assert (t.held, t.committee_meeting, t.invited, t.present) == (1, 1, invited, 1)
    _equals_recount()

    # marked present after the minutes (an UPDATE of present_count, not a save)
    meeting_services.attendance_mark(
        user=world.sec_a1, meeting_id=m.pk, member_id=a1[1].pk, status="present", now=start
    )
    assert _tally(world.a1, MARCH).present == 2
    _equals_recount()

    # rescheduled into April by an edit that saves the meeting (as an admin form does)
    m.refresh_from_db()
    m.starts_at += dt.timedelta(days=31)
    m.ends_at += dt.timedelta(days=31)
    m.save()
    assert _tally(world.a1, MARCH) is None
    assert _tally(world.a1, MARCH + 1).present == 2
    report = meetings_panel(user=world.sec_a, unit=world.a, period=period_parse("2026-04"))
    row = next(r for r in report["rows"] if r["code"] == "A1")
    assert (row["meetings_held"], row["present"], row["held"]) == (1, 2, 1)
    _equals_recount()

    # a second meeting in April, then deleted
    other = _schedule(world, world.a1, world.sec_a1, dt.datetime(2026, 4, 20, 9, 0), "theme_day")
    _file(world.sec_a1, other)
    t = _tally(world.a1, MARCH + 1)
    assert (t.held, t.committee_meeting, t.theme_day) == (2, 1, 1)
    _equals_recount()
    Meeting.objects.get(pk=other.pk).delete()
    assert _tally(world.a1, MARCH + 1).theme_day == 0
    _equals_recount()

    # cancelled meetings never count; a held one cannot be cancelled
    c = _schedule(world, world.b3, world.sec_b3, dt.datetime(2026, 3, 3, 9, 0), "theme_day")
    meeting_services.meeting_cancel(user=world.sec_b3, meeting_id=c.pk)
    assert _tally(world.b3, MARCH) is None
    _equals_recount()

    # set held without minutes by an edit: counted, and late once the grace has passed
    c.status = Meeting.Status.HELD
    c.save()
    assert _tally(world.b3, MARCH).theme_day == 1
    report = meetings_panel(user=world.sec_b, unit=world.b, period=period_parse("2026-03"))
    row = next(r for r in report["rows"] if r["code"] == "B3")
    assert row["meetings_held"] == 1 and row["late_minutes"] == 1
    _equals_recount()

    # deleting the last meeting of a month removes the month's row
    Meeting.objects.filter(pk=m.pk).get().delete()
    assert _tally(world.a1, MARCH + 1) is None
    _equals_recount()


def test_ledger_writes_keep_the_period_rollup_exact(world):
    item, other = LedgerItem.objects.filter(period="quarter", for_branch=True)[:2]
    now = dt.datetime(2026, 5, 1, 8, 0, tzinfo=dt.UTC)

    def submit(it, text="完成"):
        return ledger_services.ledger_report_submit(
            user=world.sec_a1,
            unit_id=world.a1.pk,
            item_id=it.pk,
            period="2026-Q2",
            text=text,
            now=now,
        )

    def cell():
        t = LedgerTally.objects.filter(unit=world.a1, period="2026-Q2").first()
        return (t.accepted, t.submitted, t.returned) if t else None

    r = submit(item)
    assert cell() == (0, 1, 0)
    _equals_recount()
    ledger_services.ledger_report_review(
        user=world.sec_a, report_id=r.pk, accept=False, reason="缺材料"
    )
    assert cell() == (0, 0, 1)
    _equals_recount()
    submit(item, "补充")
    assert cell() == (0, 1, 0)
    ledger_services.ledger_report_review(user=world.sec_a, report_id=r.pk, accept=True)
    r2 = submit(other)
    assert cell() == (1, 1, 0)
    _equals_recount()
    panel = ledger_panel(user=world.sec_g, unit=world.g, period=period_parse("2026-Q2"))
    a = next(row for row in panel["rows"] if row["code"] == "A")
    assert (a["accepted"], a["submitted"]) == (1, 1)
    LedgerReport.objects.get(pk=r2.pk).delete()
    assert cell() == (1, 0, 0)
    _equals_recount()
    LedgerReport.objects.get(pk=r.pk).delete()
    assert cell() is None
    _equals_recount()


def test_rebuild_command_repairs_and_check_reports_drift(world, members):
    m = _schedule(world, world.a1, world.sec_a1, dt.datetime(2026, 3, 10, 14, 0))
    _file(world.sec_a1, m)
    out = io.StringIO()
    call_command("supervision_tallies_rebuild", "--check", stdout=out)
    assert "meetingtally 0" in out.getvalue()
    # drift (a bulk UPDATE of the source rows bypasses the services): detected, then repaired
    Meeting.objects.filter(pk=m.pk).update(present_count=3)
    with pytest.raises(CommandError, match="differ"):
        call_command("supervision_tallies_rebuild", "--check", stdout=io.StringIO())
    for _ in range(2):  # idempotent
        out = io.StringIO()
        call_command("supervision_tallies_rebuild", stdout=out)
        assert "meetingtally 1 rows" in out.getvalue()
        assert _tally(world.a1, MARCH).present == 3
    assert tallies_differences() == {"meetingtally": 0, "ledgertally": 0}


def test_whole_tree_panels_are_one_query_each(world, members, assert_selects):
    m = _schedule(world, world.b1, world.sec_b1, dt.datetime(2026, 3, 10, 14, 0))
    _file(world.sec_b1, m)
    q1 = period_parse("2026-Q1")
    with assert_selects(2):  # the rules, then the report
        meetings = compliance_report(unit=world.g, period=q1)
    with assert_selects(2):  # the items, then the report
        ledger = ledger_grid(unit=world.g, period=q1, by_item=False)
    assert meetings["total"]["meetings_held"] == 1 and ledger["total"]["accepted"] == 0
