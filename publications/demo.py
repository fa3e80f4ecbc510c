"""Demo documents for `manage.py seed_demo` (settings.EHOME_SEED_DEMO_STEPS): one for
every member, one restricted to the first committee, one for secretaries. Idempotent."""

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
    if stdout is not None:
        stdout.write(f"  文件：新建 {created} 份\n")
    return {"documents": created}
