"""A login carries its member's name: when the member is created, renamed in the admin
or by an import, and for rows written before (ehome_setup)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from organizations.importing import org_import_file
from organizations.models import Member
from organizations.services import setup_ensure
from tests.factories import member_in

pytestmark = pytest.mark.django_db

UNITS = (
    "code,name,kind,parent_code,country,timezone\nC1,第二工程局党委,committee,G,CN,Asia/Shanghai\n"
)


def _import(text: str):
    report = org_import_file(name="members.csv", data=text.encode("utf-8-sig"))
    assert report.ok, report.errors


def test_member_renamed_by_an_import_is_shown_by_the_new_name(org):
    _import(UNITS)
    _import("member_no,name,unit_code\nM001,欧阳建国,C1\n")
    user = Member.objects.get(member_no="M001").user
    assert str(user) == "欧阳建国"
    _import("member_no,name,unit_code\nM001,欧阳建华,C1\n")
    user.refresh_from_db()
    assert (user.get_full_name(), str(user)) == ("欧阳建华", "欧阳建华")


def test_member_saved_names_its_login(org):
    member = member_in(org.a1, username="zhang", name="张三")
    member.user.refresh_from_db()
    assert str(member.user) == "张三"
    member.name = "张三丰"
    member.save()
    member.user.refresh_from_db()
    assert member.user.get_full_name() == "张三丰"


def test_setup_names_logins_written_before(org):
    member = member_in(org.a1, username="li", name="李四")
    get_user_model().objects.filter(pk=member.user_id).update(first_name="", last_name="Li")
    assert setup_ensure()["logins_renamed"] == 1
    member.user.refresh_from_db()
    assert str(member.user) == "李四"


def test_a_login_without_member_prints_its_username(db):
    user = get_user_model().objects.create(username="ops")
    assert str(user) == "ops"
