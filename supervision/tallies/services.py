"""Keeping the roll-ups equal to a recount of their rows.

A change to a meeting or a ledger report recounts the one cell (unit × month, unit ×
period) it left and the one it entered, inside the change's transaction: a recount, not
an increment, so any write path (a service, an admin form, a delete, a cascade) leaves the
cell exact, and a cell that went wrong is repaired by its next change. On PostgreSQL the
recount first takes a transaction-scoped advisory lock on the unit, so two transactions
changing the same unit recount one after the other (the second sees the first's rows);
SQLite runs one writer at a time anyway.

`tallies_rebuild` recounts everything from scratch with two set-based statements (the
bench generator after its bulk INSERTs; a repair tool: `manage.py
supervision_tallies_rebuild`)."""

from __future__ import annotations

from django.db import connection, transaction
from django.db.models import Count, Q, Sum

from supervision.ledger.models import LedgerReport
from supervision.meetings.models import Meeting
from supervision.tallies.models import KIND_COLUMNS, LedgerTally, MeetingTally

#: advisory-lock namespaces (the first key of pg_advisory_xact_lock(int, int))
_LOCK_MEETINGS = 2101
_LOCK_LEDGER = 2102
_LEDGER_STATES = ("accepted", "submitted", "returned")


def _lock(namespace: int, unit_id: int) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s, %s)", [namespace, int(unit_id) % 2**31])


@transaction.atomic
def meeting_tally_refresh(*, unit_id: int, month: int) -> None:
    """Recount the held meetings of `unit_id` in `month` into its MeetingTally row."""
    _lock(_LOCK_MEETINGS, unit_id)
    rows = (
        Meeting.objects.filter(unit_id=unit_id, local_month=month, status=Meeting.Status.HELD)
        .values("kind")
        .annotate(
            n=Count("id"),
            invited=Sum("invited_count"),
            present=Sum("present_count"),
            late=Count("id", filter=Q(minutes_late=True)),
        )
        .order_by()
    )
    values = dict.fromkeys(("held", "invited", "present", "minutes_late", *KIND_COLUMNS), 0)
    for r in rows:
        values["held"] += r["n"]
        values["invited"] += r["invited"] or 0
        values["present"] += r["present"] or 0
        values["minutes_late"] += r["late"]
        if r["kind"] in KIND_COLUMNS:
            values[r["kind"]] += r["n"]
    if not values["held"]:
        MeetingTally.objects.filter(unit_id=unit_id, month=month).delete()
        return
    MeetingTally.objects.bulk_create(
        [MeetingTally(unit_id=unit_id, month=month, **values)],
        update_conflicts=True,
        unique_fields=["unit", "month"],
        update_fields=list(values),
    )


@transaction.atomic
def ledger_tally_refresh(*, unit_id: int, period: str) -> None:
    """Recount the reports of `unit_id` for `period` into its LedgerTally row."""
    _lock(_LOCK_LEDGER, unit_id)
    counts = dict(
        LedgerReport.objects.filter(unit_id=unit_id, period=period)
        .values("status")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("status", "n")
    )
    values = {s: counts.get(s, 0) for s in _LEDGER_STATES}
    if not any(values.values()):
        LedgerTally.objects.filter(unit_id=unit_id, period=period).delete()
        return
    LedgerTally.objects.bulk_create(
        [LedgerTally(unit_id=unit_id, period=period, **values)],
        update_conflicts=True,
        unique_fields=["unit", "period"],
        update_fields=list(values),
    )


def _recounts() -> list[tuple[type, list[str], str]]:
    """(model, its columns, a SELECT of every row recounted from the source table)."""
    per_kind = ", ".join(f"SUM(CASE WHEN kind = '{k}' THEN 1 ELSE 0 END)" for k in KIND_COLUMNS)
    per_state = ", ".join(
        f"SUM(CASE WHEN status = '{s}' THEN 1 ELSE 0 END)" for s in _LEDGER_STATES
    )
    states = ", ".join(f"'{s}'" for s in _LEDGER_STATES)
    return [
        (
            MeetingTally,
            ["unit_id", "month", "held", *KIND_COLUMNS, "invited", "present", "minutes_late"],
            f"""SELECT unit_id, local_month, COUNT(*), {per_kind},
                       SUM(invited_count), SUM(present_count),
                       SUM(CASE WHEN minutes_late THEN 1 ELSE 0 END)
                FROM {Meeting._meta.db_table}
                WHERE status = 'held'
                GROUP BY unit_id, local_month""",
        ),
        (
            LedgerTally,
            ["unit_id", "period", *_LEDGER_STATES],
            f"""SELECT unit_id, period, {per_state}
                FROM {LedgerReport._meta.db_table}
                WHERE status IN ({states})
                GROUP BY unit_id, period""",
        ),
    ]


@transaction.atomic
def tallies_rebuild() -> dict[str, int]:
    """Replace every roll-up row with a recount (idempotent). Answers the row counts."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            # no meeting or report changes while the counters are replaced
            cur.execute(
                f"LOCK TABLE {Meeting._meta.db_table}, {LedgerReport._meta.db_table} IN SHARE MODE"
            )
    out = {}
    with connection.cursor() as cur:
        for model, columns, select in _recounts():
            table = model._meta.db_table
            cur.execute(f"DELETE FROM {table}")
            cur.execute(f"INSERT INTO {table} ({', '.join(columns)}) {select}")
            out[model._meta.model_name] = cur.rowcount
    return out


def tallies_differences() -> dict[str, int]:
    """How many roll-up cells differ from a recount (missing, extra or wrong), per table
    — changing nothing (`supervision_tallies_rebuild --check`)."""
    out = {}
    with transaction.atomic(), connection.cursor() as cur:
        for model, columns, select in _recounts():
            cur.execute(f"SELECT {', '.join(columns)} FROM {model._meta.db_table}")
            stored = {tuple(r[:2]): tuple(int(v) for v in r[2:]) for r in cur.fetchall()}
            cur.execute(select)
            fresh = {tuple(r[:2]): tuple(int(v) for v in r[2:]) for r in cur.fetchall()}
            keys = stored.keys() | fresh.keys()
            out[model._meta.model_name] = sum(stored.get(k) != fresh.get(k) for k in keys)
    return out
