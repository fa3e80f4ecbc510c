import io

import pytest
from django.core.management import CommandError, call_command

from organizations.models import Member, OrgUnit
from organizations.selectors import subtree_member_total
from organizations.services import unit_create

pytestmark = pytest.mark.django_db


def test_generate_org_builds_a_valid_tree_with_members(org):
    out = io.StringIO()
    call_command("generate_org", units=260, members=900, no_progress=True, stdout=out)
    assert "260 个党组织" in out.getvalue()
    root = OrgUnit.objects.get(code="S")
    assert root.depth == 1 and OrgUnit.objects.filter(path__startswith=root.path).count() == 260
    # treebeard's own consistency check: paths, depths and child counts all agree
    assert all(not problems for problems in OrgUnit.find_problems())
    assert subtree_member_total(root) == 900
    assert Member.objects.filter(member_no__startswith="SM").count() == 900
    # every member sits in a branch, some of them abroad with a real time zone
    assert (
        not Member.objects.filter(member_no__startswith="SM").exclude(unit__kind="branch").exists()
    )
    abroad = OrgUnit.objects.filter(path__startswith=root.path).exclude(country="CN").first()
    assert abroad is not None and abroad.timezone != "Asia/Shanghai"
    # the tree is usable by treebeard afterwards: sorted inserts land in the right place
    committee = OrgUnit.objects.get(code="S01")
    new = unit_create(parent=committee, code="S01-00", name="新党总支", kind="general_branch")
    assert new.get_parent() == committee
    assert [c.code for c in committee.get_children()][0] == "S01-00"
    assert all(not problems for problems in OrgUnit.find_problems())
    # the pre-existing tree is untouched
    org.refresh()
    assert org.root.get_descendant_count() == 4


def test_generate_org_refuses_to_run_twice_with_the_same_prefix(db):
    call_command("generate_org", units=5, members=5, no_progress=True, stdout=io.StringIO())
    with pytest.raises(CommandError, match="已存在"):
        call_command("generate_org", units=5, members=5, no_progress=True, stdout=io.StringIO())
