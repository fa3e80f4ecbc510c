"""Demo digest (手机报): the digest section and one published issue proposed from the
week's news (cms.services.digest_propose)."""

from __future__ import annotations

from datetime import date, timedelta

from cms.demo.common import child_page, publish
from cms.models import DigestIndexPage, DigestIssue


def seed_digests(*, home, units: dict, today: date) -> None:
    from cms.services import digest_propose

    g = units["G"]
    digests, _ = child_page(home, DigestIndexPage, "digest", title="手机报", intro="每周一期")
    if not DigestIssue.objects.exists():
        # the seven days up to today: the demo news are dated within the last ten days
        issue = digest_propose(
            week_start=today - timedelta(days=6), index=digests, publishing_unit=g, audience_unit=g
        )
        issue.editor_note = "本期聚焦学习贯彻全会精神和海外项目党建。"
        publish(issue)
