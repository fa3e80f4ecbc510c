"""The organisation admin stops at the edge of the user's subtree: listings, edit and
delete URLs (even with guessed ids) and the unit choices offered in forms."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from organizations.models import Member, OrgUnit, Transfer
from organizations.services import ADMIN_GROUP_NAME, unit_role_revoke
from organizations.signals import unit_roles_changed
from tests.factories import UserFactory, member_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def secretary_a(org, grant, client):
    user = grant(org.a, "secretary", username="sec_a")
    client.force_login(user)
    return user


def test_role_grant_gives_admin_access_and_revoke_takes_it_away(
    org, grant, client, django_capture_on_commit_callbacks
):
    received = []

    def listener(sender, user, **kw):
        received.append(user.pk)

    unit_roles_changed.connect(listener)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            user = grant(org.a, "secretary")
        assert received == [user.pk]
        assert user.groups.filter(name=ADMIN_GROUP_NAME).exists()
        assert user.has_perm("wagtailadmin.access_admin")
        client.force_login(user)
        assert client.get("/admin/").status_code == 200
        with django_capture_on_commit_callbacks(execute=True):
            assert unit_role_revoke(user=user, unit=org.a) == 1
        assert received == [user.pk, user.pk]
    finally:
        unit_roles_changed.disconnect(listener)
    assert not Group.objects.get(name=ADMIN_GROUP_NAME).user_set.filter(pk=user.pk).exists()
    user = type(user).objects.get(pk=user.pk)  # drop the permission cache
    assert not user.has_perm("wagtailadmin.access_admin")
    assert client.get("/admin/").status_code == 302  # back to the login page


def test_unit_listing_shows_only_the_subtree(org, secretary_a, client):
    html = client.get(reverse("org_units:index")).content.decode()
    assert "北京项目党支部" in html and "第一工程局党委" in html
    assert "坦桑尼亚项目党支部" not in html and "海外事业部党委" not in html
    # the group committee only appears as A's parent, never as an editable row
    assert reverse("org_units:edit", args=[org.root.pk]) not in html
    assert reverse("org_units:edit", args=[org.a.pk]) in html


def test_unit_listing_links_to_children_and_filters(org, secretary_a, client):
    url = reverse("org_units:index")
    html = client.get(url, {"parent": org.a.pk}).content.decode()
    assert reverse("org_units:edit", args=[org.a1.pk]) in html
    assert reverse("org_units:edit", args=[org.a.pk]) not in html
    assert f"?parent={org.a.pk}" in client.get(url).content.decode()
    # a parent outside the scope lists nothing
    html = client.get(url, {"parent": org.b.pk}).content.decode()
    assert "坦桑尼亚" not in html


def test_out_of_scope_units_answer_404_by_guessed_id(org, secretary_a, client):
    for name in ("edit", "delete", "history", "usage"):
        assert client.get(reverse(f"org_units:{name}", args=[org.b1.pk])).status_code == 404
        assert client.get(reverse(f"org_units:{name}", args=[org.root.pk])).status_code == 404
    resp = client.post(reverse("org_units:edit", args=[org.b1.pk]), {"name": "被篡改"})
    assert resp.status_code == 404
    resp = client.post(reverse("org_units:delete", args=[org.b1.pk]))
    assert resp.status_code == 404
    org.b1.refresh_from_db()
    assert org.b1.name == "坦桑尼亚项目党支部"


def _unit_post(unit, **over):
    data = {
        "code": unit.code,
        "name": unit.name,
        "kind": unit.kind,
        "country": unit.country,
        "timezone": unit.timezone,
        "is_active": "on" if unit.is_active else "",
    }
    data.update(over)
    return {k: v for k, v in data.items() if v != ""}


def test_secretary_edits_units_inside_scope(org, secretary_a, client):
    resp = client.post(
        reverse("org_units:edit", args=[org.a1.pk]),
        _unit_post(org.a1, name="北京新机场项目党支部", parent=org.a.pk),
    )
    assert resp.status_code == 302, resp.content.decode()[:2000]
    org.a1.refresh_from_db()
    assert org.a1.name == "北京新机场项目党支部"


def test_parent_choices_are_limited_to_scope(org, secretary_a, client):
    html = client.get(reverse("org_units:edit", args=[org.a1.pk])).content.decode()
    assert "第一工程局党委" in html
    assert "海外事业部党委" not in html
    # moving A1 under B (out of scope) is rejected by the form and nothing moves
    resp = client.post(
        reverse("org_units:edit", args=[org.a1.pk]), _unit_post(org.a1, parent=org.b.pk)
    )
    assert resp.status_code == 200
    org.a1.refresh_from_db()
    assert org.a1.path.startswith(org.a.path)


def test_secretary_creates_a_unit_under_scope_but_not_a_root(org, secretary_a, client):
    data = {
        "code": "A2",
        "name": "雄安项目党支部",
        "kind": "branch",
        "country": "cn",
        "timezone": "Asia/Shanghai",
        "is_active": "on",
    }
    resp = client.post(reverse("org_units:add"), data)
    assert resp.status_code == 200  # no parent → must choose one
    assert not OrgUnit.objects.filter(code="A2").exists()
    resp = client.post(reverse("org_units:add"), {**data, "parent": org.a.pk})
    assert resp.status_code == 302
    a2 = OrgUnit.objects.get(code="A2")
    assert a2.get_parent() == org.a and a2.country == "CN"


def test_bad_timezone_in_unit_form_is_a_form_error(org, secretary_a, client):
    resp = client.post(
        reverse("org_units:edit", args=[org.a1.pk]),
        _unit_post(org.a1, timezone="Mars/Olympus", parent=org.a.pk),
    )
    assert resp.status_code == 200
    assert "IANA" in resp.content.decode()
    org.a1.refresh_from_db()
    assert org.a1.timezone == "Asia/Shanghai"


def test_unit_cannot_move_below_itself(org, grant, client):
    admin = UserFactory(is_superuser=True)
    client.force_login(admin)
    resp = client.post(
        reverse("org_units:edit", args=[org.a.pk]), _unit_post(org.a, parent=org.a1.pk)
    )
    assert resp.status_code == 200  # A1 is not a valid choice for A
    org.a.refresh_from_db()
    assert org.a.depth == 2


def test_unit_with_members_is_not_deleted(org, secretary_a, client):
    member_in(org.a1)
    resp = client.post(reverse("org_units:delete", args=[org.a1.pk]))
    assert resp.status_code == 302
    assert OrgUnit.objects.filter(pk=org.a1.pk).exists()


def test_member_listing_and_search_stay_in_scope(org, secretary_a, client):
    member_in(org.a1, name="欧阳建国")
    member_in(org.b1, name="司马建国")
    url = reverse("org_members:index")
    html = client.get(url).content.decode()
    assert "欧阳建国" in html and "司马建国" not in html
    # two Chinese characters inside a longer name
    html = client.get(url, {"q": "建国"}).content.decode()
    assert "欧阳建国" in html and "司马建国" not in html
    # two characters inside the unit name
    html = client.get(url, {"q": "北京"}).content.decode()
    assert "欧阳建国" in html
    html = client.get(url, {"q": "坦桑"}).content.decode()
    assert "司马建国" not in html


def test_member_filter_by_unit_code_includes_subtree(org, secretary_a, client):
    member_in(org.a1, name="欧阳建国")
    member_in(org.a, name="上官明")
    html = client.get(reverse("org_members:index"), {"unit_code": "A1"}).content.decode()
    assert "欧阳建国" in html and "上官明" not in html


def test_out_of_scope_members_answer_404_by_guessed_id(org, secretary_a, client):
    outsider = member_in(org.b1, name="司马建国")
    for name in ("edit", "delete", "history"):
        url = reverse(f"org_members:{name}", args=[outsider.pk])
        assert client.get(url).status_code == 404
    assert client.post(reverse("org_members:delete", args=[outsider.pk])).status_code == 404
    assert Member.objects.filter(pk=outsider.pk).exists()


def _member_post(m, **over):
    data = {
        "name": m.name,
        "member_no": m.member_no,
        "unit": m.unit_id,
        "gender": m.gender,
        "category": m.category,
        "phone": m.phone,
        "status": m.status,
    }
    data.update(over)
    return {k: v for k, v in data.items() if v not in ("", None)}


def test_secretary_edits_member_in_scope_but_a_move_needs_a_transfer(org, secretary_a, client):
    m = member_in(org.a1, name="欧阳建国")
    resp = client.post(
        reverse("org_members:edit", args=[m.pk]),
        _member_post(m, phone="13800000000", unit=org.a.pk),
    )
    assert resp.status_code == 302, resp.content.decode()[:3000]
    m.refresh_from_db()
    # the unit field is read-only on edit: the phone changed, the unit did not
    assert (m.phone, m.unit_id) == ("13800000000", org.a1.pk)
    assert not Transfer.objects.filter(member=m).exists()
    page = client.get(reverse("org_members:edit", args=[m.pk])).content.decode()
    assert "组织关系转接" in page


def test_member_cannot_be_moved_out_of_scope(org, secretary_a, client):
    m = member_in(org.a1)
    resp = client.post(reverse("org_members:edit", args=[m.pk]), _member_post(m, unit=org.b1.pk))
    assert resp.status_code in (200, 302)  # the posted unit is ignored: the field is read-only
    m.refresh_from_db()
    assert m.unit_id == org.a1.pk


def test_secretary_deletes_member_in_scope(org, secretary_a, client):
    m = member_in(org.a1)
    resp = client.post(reverse("org_members:delete", args=[m.pk]))
    assert resp.status_code == 302
    assert not Member.objects.filter(pk=m.pk).exists()


def test_secretary_adds_member_in_scope(org, secretary_a, client):
    resp = client.post(
        reverse("org_members:add"),
        {
            "name": "诸葛红梅",
            "member_no": "N0001",
            "unit": org.a1.pk,
            "category": "full",
            "status": "active",
        },
    )
    assert resp.status_code == 302, resp.content.decode()[:3000]
    m = Member.objects.get(member_no="N0001")
    assert m.unit == org.a1 and m.user.username == "N0001"


def test_plain_member_and_editor_cannot_open_org_admin(org, grant, client):
    editor = grant(org.a, "editor")
    client.force_login(editor)
    # Wagtail answers "permission denied" with a redirect to the dashboard
    for url in (reverse("org_units:index"), reverse("org_units:edit", args=[org.a1.pk])):
        resp = client.get(url)
        assert resp.status_code in (302, 403, 404)
        assert "北京项目党支部" not in resp.content.decode()
    client.post(reverse("org_units:edit", args=[org.a1.pk]), {"name": "被篡改"})
    org.a1.refresh_from_db()
    assert org.a1.name == "北京项目党支部"


def test_unit_listing_filters_by_kind_and_country(org, client):
    client.force_login(UserFactory(is_superuser=True))
    url = reverse("org_units:index")
    html = client.get(url, {"kind": "branch"}).content.decode()
    assert reverse("org_units:edit", args=[org.a1.pk]) in html
    assert reverse("org_units:edit", args=[org.a.pk]) not in html
    html = client.get(url, {"country": "tz"}).content.decode()
    assert reverse("org_units:edit", args=[org.b1.pk]) in html
    assert reverse("org_units:edit", args=[org.a1.pk]) not in html


def test_member_listing_query_count_does_not_grow_with_rows(org, secretary_a, client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    member_in(org.a1)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("org_members:index"))
    for _ in range(15):
        member_in(org.a1)
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("org_members:index"))
    assert len(many.captured_queries) == len(few.captured_queries)


def test_new_member_whose_number_is_a_taken_login_gets_a_form_error(org, secretary_a, client):
    resp = client.post(
        reverse("org_members:add"),
        {
            "name": "重名",
            "member_no": "sec_a",
            "unit": org.a1.pk,
            "category": "full",
            "status": "active",
        },
    )
    assert resp.status_code == 200 and "已被占用" in resp.content.decode()
    assert not Member.objects.filter(member_no="sec_a").exists()


def test_member_export_contains_only_the_scope(org, secretary_a, client):
    member_in(org.a1, name="欧阳建国")
    member_in(org.b1, name="司马建国")
    resp = client.get(reverse("org_members:index"), {"export": "csv"})
    body = b"".join(resp.streaming_content).decode("utf-8-sig")
    assert resp.status_code == 200 and "党员编号" in body
    assert "欧阳建国" in body and "北京项目党支部" in body
    assert "司马建国" not in body
    resp = client.get(reverse("org_members:index"), {"export": "xlsx"})
    assert resp.status_code == 200
    assert resp["Content-Type"].startswith("application/vnd.openxmlformats")
