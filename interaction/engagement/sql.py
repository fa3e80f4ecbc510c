"""Bulk statements of the fold (PostgreSQL COPY for large batches, VALUES lists else)."""

from __future__ import annotations

from django.db import connection

CHUNK = 1000


def copy_insert(cur, temp_table: str, rows: list, insert_sql: str) -> list[tuple]:
    """PostgreSQL, large batches: COPY the rows into a temporary table dropped at COMMIT,
    then one INSERT … SELECT … ON CONFLICT (several times faster than VALUES lists)."""
    name = temp_table.split(" ", 1)[0]
    cur.execute(f"DROP TABLE IF EXISTS {name}")  # a test's outer transaction never commits
    cur.execute(f"CREATE TEMP TABLE {temp_table} ON COMMIT DROP")
    with cur.cursor.copy(f"COPY {name} FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
    cur.execute(insert_sql)
    return cur.fetchall() if cur.description else []


def use_copy(rows: list) -> bool:
    return connection.vendor == "postgresql" and len(rows) > CHUNK


def chunks(rows: list, size: int = CHUNK):
    for i in range(0, len(rows), size):
        yield rows[i : i + size]
