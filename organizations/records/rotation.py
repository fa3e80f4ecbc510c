"""Re-encrypting every encrypted column under the first configured key, in batches.

Each batch is one transaction: lock the next `batch` rows after the last done primary key
(`SELECT … FOR UPDATE` on PostgreSQL, so a concurrent edit waits rather than being
overwritten), re-encrypt each value (`MultiFernet.rotate`: decrypt with whichever key
opens it, encrypt with the first), write the rows and the progress row
(`KeyRotationProgress`: target key fingerprint, table, last primary key). A run killed at
any instant loses at most its open batch, which rolls back whole; running the command
again resumes after the last committed batch. Readers are never blocked: until the old
key is removed, both old and new tokens decrypt.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from cryptography.fernet import InvalidToken
from django.apps import apps
from django.db import connection, transaction
from django.utils import timezone

from core.encryption import (
    EncryptedCharField,
    EncryptedTextField,
    key_fingerprint,
    reencrypt,
)
from core.errors import DomainError


class RotationError(DomainError):
    code = "rotation_failed"


@dataclass(frozen=True)
class EncryptedTable:
    label: str
    table: str
    pk: str
    columns: tuple[str, ...]


def encrypted_tables() -> list[EncryptedTable]:
    """Every model with an encrypted field (ours), in a stable order."""
    found = []
    for model in apps.get_models():
        cols = tuple(
            f.column
            for f in model._meta.concrete_fields
            if isinstance(f, EncryptedCharField | EncryptedTextField)
        )
        if cols and not model._meta.proxy:
            found.append(
                EncryptedTable(model._meta.label, model._meta.db_table, model._meta.pk.column, cols)
            )
    return sorted(found, key=lambda t: t.label)


def rotate_table(
    t: EncryptedTable,
    *,
    batch: int = 1000,
    pause: float = 0.0,
    progress: Callable[[str], None] = lambda _msg: None,
) -> int:
    """Rotate one table to the current first key; answers rows re-encrypted this run."""
    from organizations.models import KeyRotationProgress

    fp = key_fingerprint()
    state, _ = KeyRotationProgress.objects.get_or_create(key_fingerprint=fp, table=t.label)
    if state.finished_at:
        progress(f"{t.label}：已完成（{state.rows_done} 行），跳过")
        return 0
    if state.last_pk:
        progress(f"{t.label}：从上次中断处（主键 {state.last_pk} 之后）继续")
    q = connection.ops.quote_name
    cols = ", ".join(q(c) for c in t.columns)
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    select = (
        f"SELECT {q(t.pk)}, {cols} FROM {q(t.table)} WHERE {q(t.pk)} > %s "
        f"ORDER BY {q(t.pk)} LIMIT %s{lock}"
    )
    update = (
        f"UPDATE {q(t.table)} SET "
        + ", ".join(f"{q(c)} = %s" for c in t.columns)
        + f" WHERE {q(t.pk)} = %s"
    )
    done = 0
    while True:
        with transaction.atomic():
            state = KeyRotationProgress.objects.select_for_update().get(pk=state.pk)
            with connection.cursor() as cursor:
                cursor.execute(select, [state.last_pk, batch])
                rows = cursor.fetchall()
            if not rows:
                state.finished_at = timezone.now()
                state.save(update_fields=["finished_at", "updated_at"])
                break
            params = []
            for row in rows:
                pk, values = row[0], row[1:]
                new = []
                for col, value in zip(t.columns, values, strict=True):
                    if value is None or value == "":
                        new.append(None)
                        continue
                    try:
                        new.append(reencrypt(value))
                    except InvalidToken:
                        raise RotationError(
                            f"{t.label} 主键 {pk} 的 {col} 无法用任何已配置的密钥解密："
                            "请把加密它的旧密钥加回 EHOME_FIELD_ENCRYPTION_KEYS（新密钥在前）后重新运行"
                        ) from None
                params.append([*new, pk])
            with connection.cursor() as cursor:
                cursor.executemany(update, params)
            state.last_pk = rows[-1][0]
            state.rows_done += len(rows)
            state.save(update_fields=["last_pk", "rows_done", "updated_at"])
        done += len(rows)
        progress(f"{t.label}：{state.rows_done} 行（主键至 {state.last_pk}）")
        if pause:
            time.sleep(pause)
    progress(f"{t.label}：完成，共 {state.rows_done} 行")
    return done


def unrotated_count(t: EncryptedTable) -> int:
    """Values in `t` not encrypted under the first key (0 after a finished rotation)."""
    from core.encryption import is_primary

    q = connection.ops.quote_name
    n = 0
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(q(c) for c in t.columns)} FROM {q(t.table)}")
        for row in cursor.fetchall():
            n += sum(1 for v in row if v not in (None, "") and not is_primary(v))
    return n
