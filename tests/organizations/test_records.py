"""Member records: validation, encryption at rest, masking everywhere, reveals with a purpose
(each writes exactly one access-log entry), the append-only access log, consents and the
member's own view, probation reminders."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.urls import NoReverseMatch, reverse
from openpyxl import load_workbook

from notifications.models import Notification
from organizations.models import AccessLog, ConsentRecord, Member, MemberRecord, UnitRole
from organizations.privacy import (
    id_check_char,
    mask_id,
    mask_phone,
    validate_id_number,
    validate_phone,
)
from organizations.records.services import RecordError, consent_set, record_update
from tests.factories import member_in, user_with_role

pytestmark = pytest.mark.django_db

PHONE = "13912345678"
EMERGENCY = "13700001111"


def make_id(first17: str = "42010619900101123") -> str:
    return first17 + id_check_char(first17)


ID = make_id()


def with_record(unit, **kwargs) -> Member:
    member = member_in(unit, phone=PHONE, **kwargs)
    MemberRecord.objects.create(
        member=member,
        id_number=ID,
        address="武汉市江岸区解放大道1号",
        family_situation="父母年迈，女儿在读",
        emergency_contact="李红（配偶）",
        emergency_phone=EMERGENCY,
        education="bachelor",
    )
    return Member.objects.select_related("record", "unit").get(pk=member.pk)


def web(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


# --- validation ---------------------------------------------------------------------------
def test_id_number_checksum_format_and_birth_date():
    validate_id_number(ID)
    wrong = ID[:17] + ("0" if ID[17] != "0" else "1")
    with pytest.raises(ValidationError, match=f"校验码错误：最后一位应为 {ID[17]}"):
        validate_id_number(wrong)
    with pytest.raises(ValidationError, match="18 位"):
        validate_id_number("4201061990")
    with pytest.raises(ValidationError, match="出生日期"):
        validate_id_number(make_id("42010619901301123"))  # month 13
    with pytest.raises(ValidationError, match="出生日期"):
        validate_id_number(make_id("42010621990101123"))  # born in 2199
    validate_id_number("11010519491231002x".upper())  # the GB 11643 example, X check char


def test_phone_validation_names_the_number():
    for ok in ("13812345678", "+255712345678", "010-12345678", "+86 13812345678"):
        validate_phone(ok)
    with pytest.raises(ValidationError, match="“12345”格式不正确"):
        validate_phone("12345")


def test_masks():
    assert mask_phone("13812341234") == "138****1234"
    assert mask_id("420106199001011234") == "4201**********1234"
    assert mask_phone("") == ""


def test_bad_record_input_is_refused_with_a_clear_message_and_nothing_written(org):
    secretary = user_with_role(org.a, UnitRole.Role.SECRETARY)
    member = member_in(org.a1)
    bad_id = ID[:17] + ("0" if ID[17] != "0" else "1")
    with pytest.raises(RecordError, match="身份证号：身份证号校验码错误"):
        record_update(
            user=secretary,
            member_id=member.pk,
            data={"id_number": bad_id, "occupation": "工程师"},
            ip="",
        )
    future = dt.date.today() + dt.timedelta(days=3)
    with pytest.raises(RecordError, match="晚于今天"):
        record_update(user=secretary, member_id=member.pk, data={"converted_on": future}, ip="")
    with pytest.raises(RecordError, match="格式不正确"):
        record_update(user=secretary, member_id=member.pk, data={"emergency_phone": "abc"}, ip="")
    assert not MemberRecord.objects.filter(member=member).exists()
    assert not AccessLog.objects.exists()


def test_api_patch_with_a_bad_id_number_is_400_naming_it(org, client_for):
    secretary = user_with_role(org.a, UnitRole.Role.SECRETARY)
    member = with_record(org.a1)
    r = client_for(secretary).patch(
        f"/api/v1/members/{member.pk}/record/", {"id_number": "420106199001011230"}, format="json"
    )
    if id_check_char("42010619900101123") == "0":  # pragma: no cover - the example's own digit
        pytest.skip("example number ends in 0")
    assert r.status_code == 400, r.content
    assert "校验码" in r.json()["error"]["message"]
    member.record.refresh_from_db()
    assert member.record.id_number == ID


# --- encryption at rest -------------------------------------------------------------------
def test_raw_table_holds_no_plaintext(org):
    member = with_record(org.a1)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id_number, address, family_situation, emergency_contact, emergency_phone "
            "FROM organizations_memberrecord WHERE member_id = %s",
            [member.pk],
        )
        raw = cursor.fetchone()
        cursor.execute("SELECT phone FROM organizations_member WHERE id = %s", [member.pk])
        raw_phone = cursor.fetchone()[0]
    dump = " ".join(str(v) for v in (*raw, raw_phone))
    for plain in (ID, ID[:6], "解放大道", "女儿", "李红", EMERGENCY, PHONE, PHONE[-4:]):
        assert plain not in dump
    assert all(str(v).startswith("gAAAAA") for v in (*raw, raw_phone))  # Fernet tokens
    member = Member.objects.select_related("record").get(pk=member.pk)
    assert (member.phone, member.record.id_number) == (PHONE, ID)


# --- who sees what ------------------------------------------------------------------------
@pytest.mark.parametrize("role", ["editor", "instructor", "reviewer", "auditor", "treasurer"])
def test_roles_without_record_rights_never_see_a_record(org, client_for, role):
    member = with_record(org.a1)
    user = user_with_role(org.a, role)
    c = client_for(user)
    assert c.get(f"/api/v1/members/{member.pk}/record/").status_code == 404
    r = c.post(f"/api/v1/members/{member.pk}/record/reveal/", {"purpose": "查看"}, format="json")
    assert r.status_code == 404
    assert c.get("/api/v1/members/").json()["results"] == []
    assert web(user).get(reverse("member_reveal", args=[member.pk])).status_code in (302, 404)
    assert not AccessLog.objects.exists()


@pytest.mark.parametrize("role", ["organizer", "secretary", "unit_admin"])
def test_record_roles_see_masked_values_in_their_subtree_only(org, client_for, role):
    mine, theirs = with_record(org.a1), with_record(org.b1)
    c = client_for(user_with_role(org.a, role))
    body = c.get(f"/api/v1/members/{mine.pk}/record/").json()
    assert body["masked"] is True
    assert body["record"]["phone"] == "139****5678"
    assert body["record"]["id_number"] == ID[:4] + "*" * 10 + ID[-4:]
    assert body["record"]["address"] == "******"
    assert PHONE not in json.dumps(body) and ID not in json.dumps(body)
    assert c.get(f"/api/v1/members/{theirs.pk}/record/").status_code == 404
    assert (
        c.post(
            f"/api/v1/members/{theirs.pk}/record/reveal/", {"purpose": "核对"}, format="json"
        ).status_code
        == 404
    )
    rows = c.get("/api/v1/members/").json()["results"]
    assert {r["id"] for r in rows} >= {mine.pk} and theirs.pk not in {r["id"] for r in rows}
    row = next(r for r in rows if r["id"] == mine.pk)
    assert (row["phone"], row["id_number"]) == ("139****5678", mask_id(ID))


def test_admin_member_list_edit_and_export_show_only_masks(org):
    member = with_record(org.a1)
    secretary = user_with_role(org.a, UnitRole.Role.SECRETARY)
    c = web(secretary)
    listing = c.get(reverse("org_members:index")).content.decode()
    assert "139****5678" in listing and PHONE not in listing
    edit = c.get(reverse("org_members:edit", args=[member.pk])).content.decode()
    assert PHONE not in edit
    record_edit = c.get(reverse("member_records:edit", args=[member.record.pk])).content.decode()
    assert ID not in record_edit and "解放大道" not in record_edit and EMERGENCY not in record_edit
    assert mask_id(ID) in record_edit
    before = AccessLog.objects.count()
    resp = c.get(reverse("org_members:index") + "?export=xlsx")
    sheet = load_workbook(
        io.BytesIO(b"".join(resp.streaming_content) if resp.streaming else resp.content)
    ).active
    rows = [[str(v) for v in r if v is not None] for r in sheet.iter_rows(values_only=True)]
    assert rows[0][0].startswith("导出人：") and "导出时间" in rows[0][0]
    flat = " ".join(" ".join(r) for r in rows)
    assert PHONE not in flat and "139****5678" in flat
    assert AccessLog.objects.count() == before + 1
    entry = AccessLog.objects.latest("id")
    assert (entry.action, entry.count, entry.actor_id) == (
        "export",
        Member.objects.filter(unit__path__startswith=org.a.path).count(),
        secretary.pk,
    )


def test_admin_record_save_keeps_hidden_values_and_logs_changed_fields(org):
    member = with_record(org.a1)
    secretary = user_with_role(org.a, UnitRole.Role.SECRETARY)
    c = web(secretary)
    url = reverse("member_records:edit", args=[member.record.pk])
    data = {
        "education": "master",
        "occupation": "项目经理",
        "post": "",
        "interests": "",
        "probation_start": "",
        "conversion_due": "",
        "converted_on": "",
        "id_number": "",
        "phones": "",
        "address": "",
        "family_situation": "",
        "emergency_contact": "",
        "emergency_phone": "13800138000",
        "purpose": "年度核对",
    }
    r = c.post(url, data)
    assert r.status_code == 302, r.content.decode()[:2000]
    record = MemberRecord.objects.get(pk=member.record.pk)
    assert (record.id_number, record.address, record.emergency_phone) == (
        ID,
        "武汉市江岸区解放大道1号",
        "13800138000",
    )
    assert record.education == "master"
    entry = AccessLog.objects.get()
    assert entry.action == "edit" and set(entry.fields) == {
        "education",
        "occupation",
        "emergency_phone",
    }
    assert entry.purpose == "年度核对"
    # a bad ID number in the form: the field says why, nothing changes
    r = c.post(url, {**data, "id_number": ID[:17] + ("1" if ID[17] == "0" else "0")})
    assert r.status_code == 200 and "校验码错误" in r.content.decode()
    assert AccessLog.objects.count() == 1


# --- every reveal path writes exactly one entry --------------------------------------------
def _reveal_api(c_api, c_web, member):
    return c_api.post(
        f"/api/v1/members/{member.pk}/record/reveal/",
        {"purpose": "办理组织关系转接", "fields": ["phone", "id_number"]},
        format="json",
        REMOTE_ADDR="10.1.2.3",
    )


def _reveal_api_all(c_api, c_web, member):
    return c_api.post(
        f"/api/v1/members/{member.pk}/record/reveal/",
        {"purpose": "办理组织关系转接"},
        format="json",
        REMOTE_ADDR="10.1.2.3",
    )


def _reveal_admin(c_api, c_web, member):
    return c_web.post(
        reverse("member_reveal", args=[member.pk]),
        {"purpose": "办理组织关系转接", "fields_": ["phone", "id_number"]},
        REMOTE_ADDR="10.1.2.3",
    )


def _photo_api(c_api, c_web, member):
    return c_api.get(f"/api/v1/members/{member.pk}/record/photo/", REMOTE_ADDR="10.1.2.3")


@pytest.mark.parametrize("path", [_reveal_api, _reveal_api_all, _reveal_admin, _photo_api])
def test_every_reveal_path_writes_exactly_one_access_log_entry(
    org, client_for, path, settings, tmp_path
):
    from django.core.files.base import ContentFile

    settings.MEDIA_ROOT = str(tmp_path)
    member = with_record(org.a1)
    member.record.photo.save("p.jpg", ContentFile(b"\xff\xd8\xff jpeg"), save=True)
    organizer = user_with_role(org.a, UnitRole.Role.ORGANIZER)
    before = AccessLog.objects.count()
    r = path(client_for(organizer), web(organizer), member)
    assert r.status_code == 200, getattr(r, "content", b"")[:500]
    assert AccessLog.objects.count() == before + 1
    entry = AccessLog.objects.latest("id")
    assert (entry.actor_id, entry.member_id, entry.unit_id) == (organizer.pk, member.pk, org.a1.pk)
    assert entry.ip == "10.1.2.3" and entry.purpose
    if path is not _photo_api:
        body = r.content.decode()
        assert PHONE in body and ID in body
        assert entry.action == "reveal" and {"phone", "id_number"} <= set(entry.fields)
        assert entry.purpose == "办理组织关系转接"


@pytest.mark.parametrize("purpose", [None, "", "   \n "])
def test_reveal_without_a_purpose_is_400_and_logs_nothing(org, client_for, purpose):
    member = with_record(org.a1)
    organizer = user_with_role(org.a, UnitRole.Role.ORGANIZER)
    payload = {} if purpose is None else {"purpose": purpose}
    r = client_for(organizer).post(
        f"/api/v1/members/{member.pk}/record/reveal/", payload, format="json"
    )
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "purpose_required"
    assert "用途" in r.json()["error"]["message"]
    r = web(organizer).post(reverse("member_reveal", args=[member.pk]), {"purpose": purpose or ""})
    assert r.status_code == 400 and "请说明查看用途" in r.content.decode()
    assert PHONE not in r.content.decode()
    assert not AccessLog.objects.exists()


def test_reveal_of_an_unknown_field_is_400(org, client_for):
    member = with_record(org.a1)
    organizer = user_with_role(org.a, UnitRole.Role.ORGANIZER)
    r = client_for(organizer).post(
        f"/api/v1/members/{member.pk}/record/reveal/",
        {"purpose": "核对", "fields": ["password"]},
        format="json",
    )
    assert r.status_code == 400 and "password" in r.json()["error"]["message"]
    assert not AccessLog.objects.exists()


# --- the access log -----------------------------------------------------------------------
def test_access_log_cannot_be_changed_or_deleted(org, client_for):
    member = with_record(org.a1)
    organizer = user_with_role(org.a, UnitRole.Role.ORGANIZER)
    client_for(organizer).post(
        f"/api/v1/members/{member.pk}/record/reveal/", {"purpose": "核对"}, format="json"
    )
    entry = AccessLog.objects.get()
    entry.purpose = "改写"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    with pytest.raises(PermissionError):
        AccessLog.objects.filter(pk=entry.pk).update(purpose="改写")
    with pytest.raises(PermissionError):
        AccessLog.objects.all().delete()
    admin = web(user_with_role(org.a, UnitRole.Role.UNIT_ADMIN))
    assert admin.get(reverse("record_access_log:index")).status_code == 200
    for action in ("edit", "delete", "copy"):  # the admin has no such pages at all
        with pytest.raises(NoReverseMatch):
            reverse(f"record_access_log:{action}", args=[entry.pk])
        r = admin.post(f"/admin/record_access_log/{action}/{entry.pk}/", {"purpose": "改写"})
        assert r.status_code == 404
    with pytest.raises(NoReverseMatch):
        reverse("record_access_log:add")
    assert AccessLog.objects.get().purpose == "核对"


@pytest.mark.pg_only
def test_database_refuses_updates_to_the_access_log(org, client_for):
    if connection.vendor != "postgresql":
        pytest.skip("the append-only trigger is PostgreSQL's")
    from django.db import DatabaseError, transaction

    member = with_record(org.a1)
    organizer = user_with_role(org.a, UnitRole.Role.ORGANIZER)
    client_for(organizer).post(
        f"/api/v1/members/{member.pk}/record/reveal/", {"purpose": "核对"}, format="json"
    )
    for sql in (
        "UPDATE organizations_accesslog SET purpose = 'x'",
        "DELETE FROM organizations_accesslog",
    ):
        with pytest.raises(DatabaseError, match="访问日志不可修改"), transaction.atomic():
            connection.cursor().execute(sql)


def test_unit_admin_searches_and_exports_the_log_of_their_subtree(org, client_for):
    mine, theirs = with_record(org.a1), with_record(org.b1, name="海外甲")
    organizer = user_with_role(org.root, UnitRole.Role.ORGANIZER)
    c = client_for(organizer)
    for m in (mine, theirs):
        c.post(
            f"/api/v1/members/{m.pk}/record/reveal/", {"purpose": f"核对{m.name}"}, format="json"
        )
    admin = user_with_role(org.a, UnitRole.Role.UNIT_ADMIN)
    rows = client_for(admin).get("/api/v1/access-log/").json()["results"]
    assert [r["member"] for r in rows] == [mine.name]
    assert rows[0]["purpose"] == f"核对{mine.name}" and rows[0]["action"] == "reveal"
    assert client_for(admin).get("/api/v1/access-log/?action=export").json()["results"] == []
    # a secretary (not a unit admin) does not read the log
    assert (
        client_for(user_with_role(org.a, "secretary")).get("/api/v1/access-log/").json()["results"]
        == []
    )
    resp = web(admin).get(reverse("record_access_log:index") + "?export=xlsx")
    sheet = load_workbook(
        io.BytesIO(b"".join(resp.streaming_content) if resp.streaming else resp.content)
    ).active
    values = [[v for v in r] for r in sheet.iter_rows(values_only=True)]
    assert str(values[0][0]).startswith("导出人：")
    flat = json.dumps(values, default=str, ensure_ascii=False)
    assert mine.name in flat and theirs.name not in flat


# --- the member's own record --------------------------------------------------------------
def test_member_sees_own_record_log_downloads_and_withdraws_consent(org, client_for):
    member = with_record(org.a1)
    organizer = user_with_role(org.a, UnitRole.Role.ORGANIZER)
    client_for(organizer).post(
        f"/api/v1/members/{member.pk}/record/reveal/", {"purpose": "转接核对"}, format="json"
    )
    me = client_for(member.user)
    body = me.get("/api/v1/me/record/").json()
    assert body["record"]["phone"] == PHONE and body["record"]["id_number"] == ID
    log = me.get("/api/v1/me/access-log/").json()["results"]
    assert len(log) == 1 and log[0]["purpose"] == "转接核对" and "ip" not in log[0]
    r = me.post("/api/v1/me/consents/", {"purpose": "care", "granted": True}, format="json")
    assert r.status_code == 200
    r = me.post("/api/v1/me/consents/", {"purpose": "care", "granted": False}, format="json")
    care = next(c for c in r.json() if c["purpose"] == "care")
    assert care["granted"] is False and care["policy_version"]
    assert list(
        ConsentRecord.objects.filter(member=member).values_list("granted", flat=True).order_by("id")
    ) == [True, False]
    r = me.post("/api/v1/me/consents/", {"purpose": "management", "granted": False}, format="json")
    assert r.status_code == 400 and "必需" in r.json()["error"]["message"]
    dl = me.get("/api/v1/me/record/download/")
    assert dl["Content-Disposition"].startswith("attachment")
    data = json.loads(dl.content)
    assert data["record"]["id_number"] == ID
    assert {e["purpose"] for e in data["access_log"]} == {"转接核对", "本人下载个人数据"}
    assert [c["granted"] for c in data["consents"]] == [True, False]
    # another member's record is not reachable through "me"
    other = client_for(member_in(org.a1).user).get("/api/v1/me/record/").json()
    assert other["record"]["phone"] == "" and other["record"]["id_number"] == ""


def test_portal_my_record_page(org):
    member = with_record(org.a1)
    c = web(member.user)
    page = c.get(reverse("portal:my_record")).content.decode()
    assert ID in page and "访问记录" in page and "下载我的数据" in page
    r = c.post(reverse("portal:my_record_consent"), {"purpose": "care", "granted": "0"})
    assert r.status_code == 302
    assert ConsentRecord.objects.get(member=member).granted is False
    r = c.post(
        reverse("portal:my_record_consent"), {"purpose": "management", "granted": "0"}, follow=True
    )
    assert "必需" in r.content.decode()
    dl = c.get(reverse("portal:my_record_download"))
    assert json.loads(dl.content)["record"]["phone"] == PHONE


def test_consent_is_recorded_with_policy_version(org, settings):
    settings.EHOME_PRIVACY_POLICY_VERSION = "v9"
    member = member_in(org.a1)
    row = consent_set(member=member, purpose="contact", granted=True, ip="1.2.3.4")
    assert (row.policy_version, row.ip, row.granted) == ("v9", "1.2.3.4", True)


# --- list queries are constant --------------------------------------------------------------
def test_member_list_runs_a_constant_number_of_queries(
    org, client_for, django_assert_max_num_queries
):
    secretary = user_with_role(org.root, UnitRole.Role.SECRETARY)
    c = client_for(secretary)
    for i in range(3):
        with_record(org.a1, name=f"甲{i}")
    c.get("/api/v1/members/")  # warm the caches a request fills once
    with django_assert_max_num_queries(6) as few:
        c.get("/api/v1/members/?page_size=100")
    for i in range(30):
        with_record(org.b1, name=f"乙{i}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        rows = c.get("/api/v1/members/?page_size=100").json()["results"]
    assert len(rows) >= 33 and all("*" in r["phone"] for r in rows if r["phone"])


# --- probation reminders ------------------------------------------------------------------
def test_probation_reminder_reaches_the_secretary_once_at_nine_local(org):
    from care.probation.jobs import probation_reminders_send

    secretary = user_with_role(org.a1, UnitRole.Role.SECRETARY)
    member = member_in(org.a1, category=Member.Category.PROBATIONARY, name="预备甲")
    today = dt.date(2026, 12, 7)
    MemberRecord.objects.create(member=member, conversion_due=today + dt.timedelta(days=20))
    MemberRecord.objects.create(
        member=member_in(org.a1, category="probationary", name="还早"),
        conversion_due=today + dt.timedelta(days=90),
    )
    eight = dt.datetime(2026, 12, 7, 0, 30, tzinfo=dt.UTC)  # 08:30 in Shanghai
    nine = dt.datetime(2026, 12, 7, 1, 10, tzinfo=dt.UTC)  # 09:10 in Shanghai
    assert probation_reminders_send(now=eight) == 0
    assert probation_reminders_send(now=nine) == 1
    assert probation_reminders_send(now=nine) == 0  # idempotent
    assert probation_reminders_send(now=nine + dt.timedelta(days=1)) == 0  # same stage
    note = Notification.objects.get()
    assert note.recipient_id == secretary.member.pk and "预备甲" in note.title
    assert "2026-12-27" in note.body
    # inside 7 days: the second reminder
    assert probation_reminders_send(now=nine + dt.timedelta(days=14)) == 1


def test_probation_job_is_registered():
    from core.schedule import get

    job = get("care.probation_reminders")
    assert job.task == "care.tasks.probation_reminders_send"


def test_production_without_keys_is_refused(settings):
    from organizations.records.checks import field_keys_check, field_keys_deploy_check

    settings.EHOME_FIELD_ENCRYPTION_KEYS = []
    settings.EHOME_FIELD_ENCRYPTION_DEV_KEY = False
    assert [e.id for e in field_keys_check()] == ["organizations.E101"]
    assert [e.id for e in field_keys_deploy_check()] == ["organizations.E103"]
    settings.EHOME_FIELD_ENCRYPTION_KEYS = ["not-a-key"]
    assert [e.id for e in field_keys_check()] == ["organizations.E102"]


def test_production_check_refuses_to_run_without_a_field_key():
    import os
    import subprocess
    import sys

    from django.conf import settings as dj

    env = {
        **{
            k: v
            for k, v in os.environ.items()
            if k not in ("DJANGO_ALLOW_ASYNC_UNSAFE", "EHOME_FIELD_ENCRYPTION_KEYS")
        },
        "DJANGO_ENV": "production",
        "DJANGO_SECRET_KEY": "k" * 20 + "Zq9!x#Lm2@Vb7$Np4%Rt6^Wy8&Hs3*Jd5(Fg1)",
        "DJANGO_ALLOWED_HOSTS": "ehome.example.org",
    }
    proc = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=dj.BASE_DIR,
        capture_output=True,
        text=True,
        env=env,
    )
    assert proc.returncode != 0
    assert "EHOME_FIELD_ENCRYPTION_KEYS" in proc.stderr and "organizations.E101" in proc.stderr


def test_admin_creates_a_record_and_the_reveal_form_alone_logs_nothing(org):
    member = member_in(org.a1, phone=PHONE)
    organizer = user_with_role(org.a, UnitRole.Role.ORGANIZER)
    c = web(organizer)
    data = {
        "member": member.pk,
        "education": "college",
        "occupation": "",
        "post": "",
        "interests": "书法",
        "probation_start": "",
        "conversion_due": "",
        "converted_on": "",
        "id_number": ID,
        "phones": "",
        "address": "",
        "family_situation": "",
        "emergency_contact": "",
        "emergency_phone": "",
        "purpose": "建档",
    }
    r = c.post(reverse("member_records:add"), data)
    assert r.status_code == 302, r.content.decode()[:3000]
    record = MemberRecord.objects.get(member=member)
    assert (record.id_number, record.interests, record.updated_by_id) == (ID, "书法", organizer.pk)
    assert AccessLog.objects.get().fields == ["id_number", "education", "interests"] or set(
        AccessLog.objects.get().fields
    ) == {"id_number", "education", "interests"}
    form = c.get(reverse("member_reveal", args=[member.pk]))
    assert form.status_code == 200 and "139****5678" in form.content.decode()
    assert PHONE not in form.content.decode() and AccessLog.objects.count() == 1
    other = member_in(org.b1)
    assert c.post(reverse("member_records:add"), {**data, "member": other.pk}).status_code == 200
    assert not MemberRecord.objects.filter(member=other).exists()
