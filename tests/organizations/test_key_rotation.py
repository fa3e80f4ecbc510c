"""Key rotation (`manage.py rotate_field_keys`): a real command process, killed with SIGKILL
halfway, re-run: every value is still readable throughout, nothing is lost, and at the end
every value is under the new key alone."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest
from cryptography.fernet import Fernet
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import override_settings

from organizations.models import KeyRotationProgress, Member, MemberRecord
from organizations.privacy import id_check_char
from tests.factories import make_org_tree
from tests.procs import ROOT, database_url, require_shared_database, wait_for

KEY_A = Fernet.generate_key().decode()
KEY_B = Fernet.generate_key().decode()
N = 160


def _id(i: int) -> str:
    first = f"1101051990010{i:04d}"
    return first + id_check_char(first)


def _populate(unit) -> None:
    users = get_user_model().objects.bulk_create(
        [get_user_model()(username=f"rot{i}") for i in range(N)]
    )
    members = Member.objects.bulk_create(
        [
            Member(user=u, unit=unit, name=f"轮换{i}", member_no=f"R{i:05d}", phone=f"139{i:08d}")
            for i, u in enumerate(users)
        ]
    )
    MemberRecord.objects.bulk_create(
        [
            MemberRecord(member=m, id_number=_id(i), address=f"地址{i}号")
            for i, m in enumerate(members)
        ]
    )


def _expected() -> dict[str, tuple]:
    return {f"R{i:05d}": (f"139{i:08d}", _id(i), f"地址{i}号") for i in range(N)}


def _by_no() -> dict[str, tuple]:
    return {
        m.member_no: (m.phone, m.record.id_number, m.record.address)
        for m in Member.objects.select_related("record").filter(member_no__startswith="R")
    }


def _run(keys: str, *args: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": database_url("rotate-test"),
        "EHOME_FIELD_ENCRYPTION_KEYS": keys,
    }
    return subprocess.Popen(
        [sys.executable, "manage.py", "rotate_field_keys", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


@pytest.mark.pg_only
@pytest.mark.django_db(transaction=True)
def test_rotation_killed_halfway_resumes_and_loses_nothing():
    require_shared_database()
    org = make_org_tree()
    with override_settings(EHOME_FIELD_ENCRYPTION_KEYS=[KEY_A]):
        _populate(org.a1)
        assert _by_no() == _expected()

    proc = _run(f"{KEY_B},{KEY_A}", "--batch-size", "4", "--pause", "0.05")
    try:

        def halfway():
            row = KeyRotationProgress.objects.filter(table="organizations.Member").first()
            return row is not None and row.rows_done >= 40

        assert wait_for(halfway, timeout=120, step=0.05), proc.stdout.read1(4000).decode()
        os.kill(proc.pid, signal.SIGKILL)  # the real command process, mid-run
        proc.wait(timeout=20)
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == -signal.SIGKILL
    progress = KeyRotationProgress.objects.get(table="organizations.Member")
    assert progress.finished_at is None and 40 <= progress.rows_done < Member.objects.count()

    with override_settings(EHOME_FIELD_ENCRYPTION_KEYS=[KEY_B, KEY_A]):
        assert _by_no() == _expected()  # readable mid-rotation: nothing lost
        with pytest.raises(CommandError, match="仍有值未轮换"):
            call_command("rotate_field_keys", "--verify")

    rerun = _run(f"{KEY_B},{KEY_A}", "--batch-size", "50")
    out = rerun.communicate(timeout=300)[0].decode()
    assert rerun.returncode == 0, out
    assert "从上次中断处" in out and "轮换完成" in out

    with override_settings(EHOME_FIELD_ENCRYPTION_KEYS=[KEY_B]):  # the old key removed
        assert _by_no() == _expected()
        call_command("rotate_field_keys", "--verify")
    with connection.cursor() as cursor:
        cursor.execute("SELECT phone FROM organizations_member WHERE member_no LIKE 'R%%'")
        tokens = [r[0] for r in cursor.fetchall()]
    assert all(Fernet(KEY_B.encode()).decrypt(t.encode()) for t in tokens)


@pytest.mark.django_db
def test_a_value_no_configured_key_opens_stops_with_a_clear_message(org):
    with override_settings(EHOME_FIELD_ENCRYPTION_KEYS=[KEY_A]):
        _populate(org.a1)
    other = Fernet.generate_key().decode()
    with override_settings(EHOME_FIELD_ENCRYPTION_KEYS=[other]):
        with pytest.raises(CommandError, match="无法用任何已配置的密钥解密.*旧密钥加回"):
            call_command("rotate_field_keys", "--batch-size", "10")
    with override_settings(EHOME_FIELD_ENCRYPTION_KEYS=[KEY_A]):  # nothing was rewritten
        assert _by_no() == _expected()


@pytest.mark.django_db
def test_rotation_in_process_and_bad_batch_size(org):
    with override_settings(EHOME_FIELD_ENCRYPTION_KEYS=[KEY_A]):
        _populate(org.a1)
    with override_settings(EHOME_FIELD_ENCRYPTION_KEYS=[KEY_B, KEY_A]):
        with pytest.raises(CommandError, match="至少为 1"):
            call_command("rotate_field_keys", "--batch-size", "0")
        call_command("rotate_field_keys", "--batch-size", "7")
        call_command("rotate_field_keys")  # again: finished tables are skipped
    with override_settings(EHOME_FIELD_ENCRYPTION_KEYS=[KEY_B]):
        assert _by_no() == _expected()
