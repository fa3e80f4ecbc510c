"""One year of published news with workflow history and engagement, for the assessment
report of bench/engagement.py (docs/benchmarks.md "Interaction (#18)").

One NewsPage is created the Wagtail way (with its channel and home page); `pages` clones of
its rows are written with COPY (as bench/api.py does for 100,000 news): each owned by one
of `editors` existing users, published by that editor's team (a unit of the top three
levels of the tree) at a random time of the last 365 days; every page has an approved
workflow state, and one in five a "needs changes" state before it (not passed first time).
Each page gets `rows_per_page` ItemDay rows (random units of the tree, the 14 days after
publication), then the month roll-ups are rebuilt from the days.
"""

from __future__ import annotations

import datetime as dt
import random
import time
import uuid

CHANNEL = "engbench"


def ensure_pages(root, *, pages: int, editors: int, rows_per_page: int) -> dict:
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection, transaction
    from django.utils import timezone
    from wagtail.models import Page, Workflow

    from cms.models import HomePage, NewsIndexPage, NewsPage
    from interaction.engagement.months import months_rebuild
    from organizations.models import Member, OrgUnit

    channel = NewsIndexPage.objects.filter(channel_code=CHANNEL).first()
    if channel is None:
        home = HomePage(title="互动压测首页", slug="eng-bench-home")
        Page.get_first_root_node().add_child(instance=home)
        home.save_revision().publish()
        channel = NewsIndexPage(title="压测要闻", slug="eng-bench-news", channel_code=CHANNEL)
        home.add_child(instance=channel)
        channel.save_revision().publish()
    have = NewsPage.objects.filter(path__startswith=channel.path).count()
    if have >= pages:
        print(f"[assessment] reusing {have} news pages")
        return {"pages": have}
    t0 = time.perf_counter()
    sample = NewsPage(
        title="压测样例新闻",
        slug="eng-bench-sample",
        date=dt.date.today(),
        publishing_unit=root,
        audience_unit=root,
        summary="样例摘要",
        body=[("rich_text", "<p>样例正文</p>")],
    )
    channel.add_child(instance=sample)
    sample.save_revision().publish()
    channel.refresh_from_db()
    owners = list(
        Member.objects.filter(unit__path__startswith=root.path, user__isnull=False)
        .order_by("pk")
        .values_list("user_id", flat=True)[:editors]
    )
    teams = list(
        OrgUnit.objects.filter(path__startswith=root.path, depth__lte=root.depth + 2)
        .order_by("path")
        .values_list("pk", flat=True)
    )
    units = list(OrgUnit.objects.filter(path__startswith=root.path).values_list("pk", flat=True))
    workflow, _ = Workflow.objects.get_or_create(name="压测审核流程")
    page_ct = ContentType.objects.get_for_model(Page).pk
    news_ct = ContentType.objects.get_for_model(NewsPage).pk
    rng = random.Random(22)
    now = timezone.now()
    todo = pages - have
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SELECT * FROM wagtailcore_page WHERE id = %s", [sample.pk])
        page_cols = [c.name for c in cur.description]
        page_row = dict(zip(page_cols, cur.fetchone(), strict=True))
        cur.execute("SELECT * FROM cms_newspage WHERE page_ptr_id = %s", [sample.pk])
        news_cols = [c.name for c in cur.description]
        news_row = dict(zip(news_cols, cur.fetchone(), strict=True))
        cur.execute("SELECT COALESCE(MAX(id), 0) FROM wagtailcore_page")
        next_id = cur.fetchone()[0] + 1
        raw = cur.cursor
        plan = []  # (page id, owner, team, published at)
        for i in range(todo):
            editor = rng.randrange(len(owners))
            at = now - dt.timedelta(seconds=rng.randrange(365 * 86400))
            plan.append((next_id + i, owners[editor], teams[editor % len(teams)], at))
        with raw.copy(f"COPY wagtailcore_page ({', '.join(page_cols)}) FROM STDIN") as copy:
            for i, (pid, owner, _team, at) in enumerate(plan):
                slug = f"eng-bench-{pid}"
                row = dict(page_row)
                row.update(
                    id=pid,
                    path=NewsIndexPage._get_path(channel.path, channel.depth + 1, channel.numchild + 1 + i),
                    depth=channel.depth + 1,
                    numchild=0,
                    title=f"压测新闻 {pid}",
                    draft_title=f"压测新闻 {pid}",
                    slug=slug,
                    url_path=f"{channel.url_path}{slug}/",
                    translation_key=uuid.uuid4(),
                    live_revision_id=None,
                    latest_revision_id=None,
                    owner_id=owner,
                    first_published_at=at,
                    last_published_at=at,
                )  # fmt: skip
                copy.write_row([row[c] for c in page_cols])
        with raw.copy(f"COPY cms_newspage ({', '.join(news_cols)}) FROM STDIN") as copy:
            for pid, _owner, team, at in plan:
                row = dict(news_row)
                row.update(page_ptr_id=pid, date=at.date(), publishing_unit_id=team)
                copy.write_row([row[c] for c in news_cols])
        with raw.copy(
            "COPY wagtailcore_workflowstate (status, created_at, object_id, requested_by_id, "
            "workflow_id, content_type_id, base_content_type_id) FROM STDIN"
        ) as copy:
            for pid, owner, _team, at in plan:
                if rng.random() < 0.2:
                    copy.write_row(
                        ("needs_changes", at - dt.timedelta(days=2), str(pid), owner,
                         workflow.pk, news_ct, page_ct)
                    )  # fmt: skip
                copy.write_row(
                    ("approved", at - dt.timedelta(hours=3), str(pid), owner, workflow.pk,
                     news_ct, page_ct)
                )  # fmt: skip
        today = dt.date.today()
        with raw.copy(
            "COPY interaction_itemday (day, kind, item_id, unit_id, channel, reads, "
            "new_readers, likes, unlikes, shares, clicks) FROM STDIN"
        ) as copy:
            for pid, _owner, _team, at in plan:
                seen = set()
                for _ in range(rows_per_page):
                    day = min(today, at.date() + dt.timedelta(days=rng.randrange(14)))
                    unit = rng.choice(units)
                    if (day, unit) in seen:
                        continue
                    seen.add((day, unit))
                    reads = rng.randint(1, 15)
                    shares = rng.randint(0, 2) if rng.random() < 0.3 else 0
                    copy.write_row(
                        (day, "news", pid, unit, CHANNEL, reads, max(1, reads // 2),
                         rng.randint(0, 3), 0, shares, shares * rng.randint(0, 4))
                    )  # fmt: skip
        cur.execute(
            "UPDATE wagtailcore_page SET numchild = numchild + %s WHERE id = %s",
            [todo, channel.pk],
        )
        cur.execute(
            "SELECT setval(pg_get_serial_sequence('wagtailcore_page', 'id'), "
            "(SELECT MAX(id) FROM wagtailcore_page))"
        )
    n_months = months_rebuild()
    with connection.cursor() as cur:
        for table in ("wagtailcore_page", "cms_newspage", "wagtailcore_workflowstate"):
            cur.execute(f"ANALYZE {table}")
        cur.execute("ANALYZE interaction_itemday")
        cur.execute("ANALYZE interaction_itemmonth")
    print(
        f"[assessment] {todo} news pages by {len(owners)} editors in {len(teams)} teams, "
        f"workflow states and {rows_per_page} ItemDay rows each (COPY), {n_months} ItemMonth "
        f"rows rebuilt, in {time.perf_counter() - t0:.0f} s"
    )
    return {"pages": pages}
