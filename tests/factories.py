"""factory_boy factories and a small organisation tree used across the suite."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import factory
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password

from organizations.models import Member, OrgUnit, UnitRole

PASSWORD = "pw-for-tests-only"  # noqa: S105 - test fixture, not a secret


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")

    @factory.post_generation
    def password(obj, create, extracted, **kwargs):
        obj.password = password_hash(extracted or PASSWORD, settings.PASSWORD_HASHERS[0])
        if create:
            obj.save(update_fields=["password"])


@functools.cache
def password_hash(raw: str, hasher: str) -> str:
    """The hash `set_password(raw)` would store under the first of PASSWORD_HASHERS
    (`hasher`, part of the key: some tests switch to a fast hasher), made once per test
    process: a real hash that every process of the install — test servers included — can
    check, without paying PBKDF2's ~10⁶ iterations for every user a test creates (that
    was half of the suite's CPU). Users made with the same password share one salt, which
    nothing in the tests depends on."""
    return make_password(raw)  # with the first of PASSWORD_HASHERS, i.e. `hasher`


class MemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Member

    user = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"党员{n}")
    member_no = factory.Sequence(lambda n: f"T{n:07d}")


def add_unit(
    parent: OrgUnit | None, code: str, name: str, kind="branch", country="CN", tz="Asia/Shanghai"
) -> OrgUnit:
    fields = {"code": code, "name": name, "kind": kind, "country": country, "timezone": tz}
    if parent is None:
        return OrgUnit.add_root(**fields)
    parent.refresh_from_db()
    return parent.add_child(**fields)


def member_in(unit: OrgUnit, username: str | None = None, **kwargs) -> Member:
    user_kwargs = {"username": username} if username else {}
    return MemberFactory(unit=unit, user=UserFactory(**user_kwargs), **kwargs)


def user_with_role(unit: OrgUnit, role: str, username: str | None = None, *, staff=True):
    member = member_in(unit, username=username)
    user = member.user
    user.is_staff = staff
    user.save(update_fields=["is_staff"])
    UnitRole.objects.create(user=user, unit=unit, role=role)
    return user


@dataclass
class OrgTree:
    root: OrgUnit
    a: OrgUnit
    a1: OrgUnit
    b: OrgUnit
    b1: OrgUnit

    def refresh(self):
        for u in (self.root, self.a, self.a1, self.b, self.b1):
            u.refresh_from_db()


def make_org_tree() -> OrgTree:
    root = add_unit(None, "G", "集团党委", kind="committee")
    a = add_unit(root, "A", "第一工程局党委", kind="committee")
    b = add_unit(root, "B", "海外事业部党委", kind="committee")
    a1 = add_unit(a, "A1", "北京项目党支部")
    b1 = add_unit(b, "B1", "坦桑尼亚项目党支部", country="TZ", tz="Africa/Dar_es_Salaam")
    tree = OrgTree(root=root, a=a, a1=a1, b=b, b1=b1)
    tree.refresh()
    return tree
