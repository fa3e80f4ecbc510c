"""Demo documents and bulletin for `manage.py seed_demo` (settings.EHOME_SEED_DEMO_STEPS):
a document for every member, one restricted to the first committee, one for secretaries,
and one issue of 《政工情况》 for the whole organisation, published through the review
workflow like all demo content. Idempotent."""

from __future__ import annotations

import datetime as dt

from organizations.models import OrgUnit
from publications.documents.models import Document

C = Document.Confidentiality

DOCUMENTS = [
    (
        "党建〔2026〕1号",
        "关于深入开展党的创新理论学习的通知",
        C.INTERNAL,
        "各基层党组织：\n请结合项目实际，组织党员每月开展一次集中学习，并在网络学院完成必修课程。",
    ),
    (
        "党建〔2026〕2号",
        "关于做好海外项目党员关怀工作的通知",
        C.RESTRICTED,
        "请海外项目党组织建立亲情档案，按季度联系党员家属，及时反映困难诉求。",
    ),
    (
        "党建〔2026〕3号",
        "关于召开年度组织生活会的通知（书记阅）",
        C.SECRETARIES,
        "各党支部书记：\n请于年底前召开年度组织生活会，会前广泛征求意见。",
    ),
]


def seed(stdout=None) -> dict:
    root = OrgUnit.get_first_root_node()
    if root is None:
        return {"documents": 0}
    first_child = root.get_children().order_by("path").first()
    created = 0
    for i, (number, title, level, body) in enumerate(DOCUMENTS):
        doc, new = Document.objects.get_or_create(
            issuing_unit=root,
            number=number,
            defaults={
                "title": title,
                "confidentiality": level,
                "audience_unit": root,
                "body": body,
                "issued_on": dt.date(2026, 11, 1) + dt.timedelta(days=7 * i),
                "is_published": True,
            },
        )
        created += new
        if new and level == C.RESTRICTED and first_child is not None:
            doc.restricted_units.set([first_child])
    bulletins = _seed_bulletin(root)
    if stdout is not None:
        stdout.write(f"  文件：新建 {created} 份；政工情况：新建 {bulletins} 期\n")
    return {"documents": created, "bulletins": bulletins}


def _seed_bulletin(root: OrgUnit) -> int:
    from cms.demo.common import child_page, site_home
    from cms.demo.outlets import seed_outlets
    from publications.models import BulletinIndexPage, BulletinIssuePage

    index, _ = child_page(site_home(), BulletinIndexPage, "bulletin", title="政工情况")
    seed_outlets()  # the new section's portal outlet (阵地备案), with its accountable owner
    if BulletinIssuePage.objects.child_of(index).exists():
        return 0
    items = [
        {
            "type": "editorial",
            "value": {
                "title": title,
                "author": "党委组织部",
                "body": f"<p>{text}</p>",
                "images": [],
            },
        }
        for title, text in (
            ("集团党委部署年度组织生活会", "各级党组织要在年底前召开组织生活会，认真开展批评和自我批评。"),
            ("海外项目党员关怀工作取得实效", "各海外项目党组织按季度联系党员家属，帮助解决实际困难。"),
        )
    ]  # fmt: skip
    child_page(
        index,
        BulletinIssuePage,
        "2026-1",
        title="《政工情况》2026年第1期",
        issue_number=1,
        issue_date=dt.date(2026, 11, 30),
        publishing_unit=root,
        audience_unit=root,
        sections=[{"type": "section", "value": {"heading": "工作动态", "items": items}}],
    )  # child_page submits it and the demo reviewer approves it (cms.demo.common.publish)
    return 1
