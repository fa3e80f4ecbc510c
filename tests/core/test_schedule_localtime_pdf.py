import datetime as dt
import subprocess

import pytest

from core.pdf import render_pdf
from core.schedule import Periodic
from organizations.localtime import zones_past_local_hour

UTC = dt.UTC


def test_periodic_slots_follow_interval_and_offset():
    daily_at_1 = Periodic(
        name="x", task="t", every=dt.timedelta(days=1), offset=dt.timedelta(hours=1)
    )
    now = dt.datetime(2026, 12, 7, 0, 30, tzinfo=UTC)
    assert daily_at_1.slot_at_or_before(now) == dt.datetime(2026, 12, 6, 1, 0, tzinfo=UTC)
    assert daily_at_1.next_after(now) == dt.datetime(2026, 12, 7, 1, 0, tzinfo=UTC)
    quarter = Periodic(name="q", task="t", every=dt.timedelta(minutes=15))
    assert quarter.slot_at_or_before(
        dt.datetime(2026, 12, 7, 9, 44, 59, tzinfo=UTC)
    ) == dt.datetime(2026, 12, 7, 9, 30, tzinfo=UTC)


@pytest.mark.django_db
def test_zones_past_nine_differ_by_zone():
    from organizations.models import OrgUnit

    root = OrgUnit.add_root(code="R", name="根", timezone="Asia/Shanghai")
    for i, zone in enumerate(
        ["Africa/Dar_es_Salaam", "Asia/Riyadh", "Asia/Jakarta", "America/Sao_Paulo"]
    ):
        root.add_child(code=f"C{i}", name=zone, timezone=zone)
    # 02:00 UTC: Beijing 10:00, Jakarta 09:00, Riyadh/Dar es Salaam 05:00, São Paulo 23:00 the day before
    zones = zones_past_local_hour(hour=9, now=dt.datetime(2026, 12, 7, 2, 0, tzinfo=UTC))
    # São Paulo's 6 December 09:00 has passed (a missed run still sends that day's greeting)
    assert zones == {
        "Asia/Shanghai": dt.date(2026, 12, 7),
        "Asia/Jakarta": dt.date(2026, 12, 7),
        "America/Sao_Paulo": dt.date(2026, 12, 6),
    }
    late = zones_past_local_hour(hour=9, now=dt.datetime(2026, 12, 7, 12, 0, tzinfo=UTC))
    assert late["America/Sao_Paulo"] == dt.date(2026, 12, 7)
    assert late["Africa/Dar_es_Salaam"] == dt.date(2026, 12, 7)


def test_pdf_has_chinese_text_and_fetches_nothing_outside(tmp_path):
    pdf = render_pdf("<h1>政工情况 第一期</h1><img src='file:///etc/hostname'>", base_dir=tmp_path)
    path = tmp_path / "x.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout
    assert "政工情况 第一期" in text


def test_apps_register_their_jobs_under_their_names_with_existing_tasks():
    """register_jobs names each job `<app>.<name>` and points it at `<app>.tasks.<task>`;
    every registered supervision and academy job resolves to a real task."""
    from importlib import import_module

    from core import schedule

    expected = {
        "supervision.ledger_reminders": ("supervision.tasks.ledger_reminders", 60, 5),
        "supervision.rectifications_escalate": (
            "supervision.tasks.rectifications_escalate",
            60,
            10,
        ),
        "elearning.attempts_close_overdue": ("elearning.tasks.attempts_close_overdue", 1, 0),
        "elearning.points_unit_paths_sync": ("elearning.tasks.points_unit_paths_sync", 5, 0),
        "elearning.assignment_reminders": ("elearning.tasks.assignment_reminders_send", 15, 0),
        "elearning.openings": ("elearning.tasks.openings_announce", 5, 0),
    }
    for name, (task, every_minutes, offset_minutes) in expected.items():
        job = schedule.get(name)
        assert job.task == task and job.description
        assert job.every == dt.timedelta(minutes=every_minutes)
        assert job.offset == dt.timedelta(minutes=offset_minutes)
        module, attr = task.rsplit(".", 1)
        assert hasattr(import_module(module), attr)
    with pytest.raises(ValueError, match="registered twice"):
        schedule.register_jobs(
            "supervision", ("ledger_reminders", "other_task", dt.timedelta(hours=1), "x")
        )
