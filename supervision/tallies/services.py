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

from supervision.ledger.models import LedgerReport
from supervision.ledger.tally import LEDGER_STATES, LedgerTally, ledger_tally_refresh
from supervision.meetings.models import Meeting
from supervision.meetings.tally import KIND_COLUMNS, MeetingTally, meeting_tally_refresh

__all__ = [
    "ledger_tally_refresh",
    "meeting_tally_refresh",
    "tallies_differences",
    "tallies_rebuild",
]


def _recounts() -> list[tuple[type, list[str], str]]:
    """(model, its columns, a SELECT of every row recounted from the source table)."""
    per_kind = ", ".join(f"SUM(CASE WHEN kind = '{k}' THEN 1 ELSE 0 END)" for k in KIND_COLUMNS)
    per_state = ", ".join(f"SUM(CASE WHEN status = '{s}' THEN 1 ELSE 0 END)" for s in LEDGER_STATES)
    states = ", ".join(f"'{s}'" for s in LEDGER_STATES)
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
            ["unit_id", "period", *LEDGER_STATES],
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
