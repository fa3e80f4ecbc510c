"""Demo content for `manage.py seed_demo` (idempotent; matched by slug / ISBN / ISSN):
the site root, four news channels with 24 news for different audiences, six exemplar
stories, 60 books and 3 periodicals with generated EPUB/PDF files and Pillow covers, one
published digest issue, and the editor/reviewer groups with the unit review workflow.

Over 500 lines: most of it is the demo's content itself (titles, texts, book rows) in
the order it is seeded; the writes all go through cms.services / cms.outlet_services.
Splitting the content data (news, books, outlets) into a `cms/demo/` package is a known
follow-up."""

from __future__ import annotations

from datetime import date, timedelta

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from wagtail.images import get_image_model

from cms.models import (
    Book,
    DigestIndexPage,
    DigestIssue,
    ExemplarIndexPage,
    ExemplarPage,
    HomePage,
    NewsIndexPage,
    NewsPage,
    Periodical,
    PeriodicalIssue,
    UnitScopedPage,
)
from cms.samples import cover_png, epub_bytes, isbn13, issn, pdf_bytes, wagtail_image
from cms.services import CHANNELS
from organizations.models import OrgUnit

# (slug, channel, title, audience code, pinned, tags, summary)
NEWS = [
    (
        "congress-spirit",
        "headline",
        "集团党委召开专题会议学习贯彻党的二十届四中全会精神",
        "G",
        True,
        ["学习", "党建"],
        "集团党委理论学习中心组深入学习全会精神，部署下一阶段重点工作。",
    ),
    (
        "dues-online",
        "notice",
        "关于开通“一键交党费”功能的通知",
        "G",
        True,
        ["党费"],
        "即日起党员可在党建e家App中在线缴纳党费，支持微信和银行卡。",
    ),
    (
        "dues-standard",
        "notice",
        "关于2026年度党费收缴标准的说明",
        "G",
        False,
        ["党费"],
        "按照党章规定，党员应按月交纳党费，具体标准以本人工资收入为基数计算。",
    ),
    (
        "study-month",
        "headline",
        "集团开展“学习月”活动 全体党员线上学习突破十万人次",
        "G",
        False,
        ["学习"],
        "网络学院上线必修课程十二门，海外项目党员同步参与。",
    ),
    (
        "party-building-quality",
        "headline",
        "以高质量党建引领企业高质量发展",
        "G",
        False,
        ["党建"],
        "集团党委书记在年度党建工作会上作报告。",
    ),
    (
        "discipline-quiz",
        "notice",
        "党纪党规知识竞答活动报名开始",
        "G",
        False,
        ["学习", "党纪"],
        "竞答面向全体党员，设个人赛和团体赛。",
    ),
    (
        "tz-port-milestone",
        "overseas",
        "坦桑尼亚港口项目党支部：在国门之外筑牢战斗堡垒",
        "G02",
        True,
        ["党建", "海外"],
        "项目党支部把“三会一课”开到工地一线，保障港口二期顺利封顶。",
    ),
    (
        "dubai-metro-study",
        "overseas",
        "迪拜地铁项目党员利用App开展“微党课”学习",
        "G02",
        False,
        ["学习", "海外"],
        "时差不再是难题，党员利用休息时间完成必修课程。",
    ),
    (
        "jakarta-hsr-volunteer",
        "overseas",
        "雅万高铁项目党员志愿服务队走进当地社区",
        "G02",
        False,
        ["海外"],
        "志愿服务队为当地学校修缮操场、捐赠图书。",
    ),
    (
        "karachi-safety",
        "overseas",
        "卡拉奇电站项目党支部开展安全生产党员先锋岗活动",
        "G02",
        False,
        ["党建", "海外"],
        "党员带头排查隐患，连续三百天零事故。",
    ),
    (
        "overseas-dues",
        "notice",
        "海外党员党费缴纳方式说明",
        "G02",
        False,
        ["党费", "海外"],
        "海外党员可通过App缴纳党费，汇率按当月第一个工作日折算。",
    ),
    (
        "algeria-mosque",
        "overseas",
        "阿尔及利亚项目党支部举办主题党日活动",
        "G02",
        False,
        ["党建", "海外"],
        "党员重温入党誓词，交流在海外工作的体会。",
    ),
    (
        "overseas-family",
        "overseas",
        "海外事业部启动“亲情档案”结对联系工作",
        "G02",
        False,
        ["海外"],
        "为每一位海外党员家庭确定一名联系人。",
    ),
    (
        "daxing-airport",
        "grassroots",
        "大兴机场配套项目党支部：党员突击队攻坚冬季施工",
        "G01",
        False,
        ["党建"],
        "突击队二十四小时轮班，确保关键节点如期完成。",
    ),
    (
        "xiongan-study",
        "grassroots",
        "雄安市政项目党支部开展“学习强国”学习竞赛",
        "G01",
        False,
        ["学习"],
        "支部党员平均学习积分位列工程局第一。",
    ),
    (
        "g01-organs",
        "grassroots",
        "第一工程局机关党总支召开组织生活会",
        "G01",
        False,
        ["党建"],
        "会上开展批评与自我批评，查摆问题十二条。",
    ),
    (
        "g01-dues-audit",
        "notice",
        "第一工程局关于党费收缴情况专项检查的通知",
        "G01",
        False,
        ["党费"],
        "各支部于本月底前完成自查，填报电子台账。",
    ),
    (
        "shenzhen-qianhai",
        "grassroots",
        "前海项目党支部推行“党建+安全”工作法",
        "G03",
        False,
        ["党建"],
        "把安全责任落实到每一名党员身上。",
    ),
    (
        "chengdu-tianfu",
        "grassroots",
        "天府新区项目党员先锋队助力抢工期",
        "G03",
        False,
        ["党建"],
        "先锋队带头攻坚，项目提前十天完成主体结构。",
    ),
    (
        "reading-week",
        "headline",
        "“党员微书屋”上线百部新书 欢迎党员免费阅读",
        "G",
        False,
        ["学习"],
        "电子书屋新增政治理论、党史和工程技术类图书。",
    ),
    (
        "micro-lesson-launch",
        "headline",
        "微党课《新时代的建设者》正式上线",
        "G",
        False,
        ["学习", "党建"],
        "微党课讲述一线建设者的奋斗故事，时长十分钟。",
    ),
    (
        "constitution-audio",
        "headline",
        "“微听党章”音频专栏开播",
        "G",
        False,
        ["学习"],
        "每天五分钟，听党章、学党章。",
    ),
    (
        "branch-standard",
        "notice",
        "关于开展党支部标准化规范化建设评估的通知",
        "G",
        False,
        ["党建"],
        "评估结果纳入年度党建工作考核。",
    ),
    (
        "winter-care",
        "grassroots",
        "第一工程局党委开展冬季送温暖活动",
        "G01",
        False,
        [],
        "走访慰问困难党员和一线职工一百二十户。",
    ),
]

EXEMPLARS = [
    (
        "model-zhang",
        "person",
        "张建国",
        "G02-01",
        "全国优秀共产党员（2021）\n中央企业劳动模范（2019）",
        "扎根非洲十二年的“港口铁人”",
        "他带领项目团队在达累斯萨拉姆港完成了三个泊位的建设，被当地工人称为“港口铁人”。",
    ),
    (
        "model-li",
        "person",
        "李秀英",
        "G01-01",
        "全国三八红旗手（2022）",
        "大兴机场工地上的“铿锵玫瑰”",
        "她是项目上唯一的女性技术负责人，攻克了大跨度钢结构吊装难题。",
    ),
    (
        "model-wang",
        "person",
        "王海燕",
        "G03-01",
        "广东省优秀共产党员（2023）",
        "把党课讲到工人宿舍的支部书记",
        "她创办“工地夜校”，三年培训农民工两千余人次。",
    ),
    (
        "model-dubai",
        "collective",
        "迪拜地铁项目党支部",
        "G02-02",
        "中央企业先进基层党组织（2022）",
        "沙漠里的红色堡垒",
        "支部坚持“支部建在项目上”，在高温环境下保障地铁线路按期通车。",
    ),
    (
        "model-xiongan",
        "collective",
        "雄安新区市政项目党支部",
        "G01-02",
        "河北省先进基层党组织（2024）",
        "未来之城的建设先锋",
        "支部组建党员先锋队十二支，参与建设地下综合管廊四十公里。",
    ),
    (
        "model-chen",
        "person",
        "陈立新",
        "G02-03",
        "集团优秀党务工作者（2025）",
        "雅万高铁线上的“老支书”",
        "他在印尼工作八年，把党员活动室建成了中印尼员工的“连心桥”。",
    ),
]

BOOK_TITLES = [
    ("中国共产党章程", "D26"),
    ("中国共产党简史", "D23"),
    ("习近平新时代中国特色社会主义思想学习纲要", "D61"),
    ("党支部工作实务", "D267"),
    ("党员教育管理工作手册", "D262"),
    ("党纪党规学习读本", "D262.6"),
    ("中国共产党纪律处分条例释义", "D262.6"),
    ("新时代党建工作创新案例", "D26"),
    ("基层党组织书记培训教材", "D267"),
    ("红色家书", "K26"),
    ("长征：一部伟大的史诗", "K264"),
    ("延安精神读本", "D64"),
    ("毛泽东选集导读", "A4"),
    ("马克思主义基本原理概论", "A81"),
    ("邓小平理论概论", "A49"),
    ("建筑施工安全管理", "TU714"),
    ("混凝土结构设计原理", "TU37"),
    ("钢结构施工技术", "TU758"),
    ("地铁隧道工程", "U231"),
    ("港口工程施工", "U65"),
    ("高速铁路技术概论", "U238"),
    ("国际工程项目管理", "F407.9"),
    ("海外工程合同与风险管理", "F746"),
    ("企业文化建设", "F272"),
    ("大国工匠", "K82"),
    ("平凡的世界", "I247"),
    ("红岩", "I247"),
    ("林海雪原", "I247"),
    ("青春之歌", "I247"),
    ("苦难辉煌", "K26"),
    ("觉醒年代", "I247"),
    ("中国共产党的一百年", "D23"),
    ("党史故事一百讲", "D23"),
    ("学习贯彻党的二十大精神辅导读本", "D22"),
    ("全面从严治党面对面", "D26"),
    ("思想政治工作创新", "D64"),
    ("职工心理健康读本", "R395"),
    ("安全生产法律法规汇编", "D922.5"),
    ("绿色建筑与节能", "TU201"),
    ("BIM 技术应用实务", "TU201"),
    ("工程测量", "TB22"),
    ("建设工程质量管理", "TU712"),
    ("斯瓦希里语入门", "H7"),
    ("阿拉伯语日常会话", "H37"),
    ("法语工程用语", "H32"),
    ("英语工程合同阅读", "H31"),
    ("印度尼西亚概况", "K934"),
    ("坦桑尼亚概况", "K942"),
    ("中国传统文化十五讲", "K203"),
    ("健康生活方式", "R161"),
    ("家庭教育指南", "G78"),
    ("党员读书笔记精选", "D26"),
    ("入党积极分子培训教程", "D262"),
    ("发展党员工作细则解读", "D262"),
    ("三会一课实务", "D267"),
    ("党务干部必读", "D267"),
    ("工会工作实务", "D412"),
    ("共青团工作手册", "D297"),
    ("廉洁从业教育读本", "D630.9"),
    ("新时代的建设者", "I25"),
]

# Who wrote them: the literary classics by their authors, the rest by plausible
# editorial groups and authors (a shelf where every book says 本书编写组 reads as fake).
BOOK_AUTHORS = {
    "中国共产党简史": "本书编写组",
    "红色家书": "中央档案馆 编",
    "长征：一部伟大的史诗": "石仲泉",
    "平凡的世界": "路遥",
    "红岩": "罗广斌、杨益言",
    "林海雪原": "曲波",
    "青春之歌": "杨沫",
    "苦难辉煌": "金一南",
    "觉醒年代": "龙平平",
    "大国工匠": "中央电视台《大国工匠》节目组 编",
}
DEMO_AUTHORS = [
    "中共中央党校（国家行政学院）编写组",
    "张建国",
    "李明华、王晓燕",
    "中国建筑工程总公司党群工作部 编",
    "陈志强 主编",
    "刘芳",
    "赵立新、孙伟",
    "国际工程管理研究会 编",
    "周文斌",
    "黄丽 译",
    "党建读物出版社编辑部 编",
    "吴海涛、郑晓明",
    "马建军 主编",
]


def _book_authors(i: int, title: str) -> str:
    return BOOK_AUTHORS.get(title) or DEMO_AUTHORS[i % len(DEMO_AUTHORS)]


PERIODICALS = [
    ("求是", "semimonthly", "D2", 1),
    ("党建研究", "monthly", "D26", 2),
    ("建筑施工", "monthly", "TU7", 3),
]


def _image(title: str, seed: int):
    Image = get_image_model()
    existing = Image.objects.filter(title=title).first()
    if existing:
        return existing
    return wagtail_image(title, cover_png(seed, (640, 360)), f"cms-demo-{seed}.png")


def _home() -> HomePage:
    from cms.services import site_home_ensure

    return site_home_ensure()


def _login(username: str):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(username=username).first()


def _publisher():
    """Site sections (home, channels) are set up once by a named person, the demo
    superuser, so the audit report names an operator for every row."""
    return _login("admin")


def _publish(page) -> None:
    """Demo content goes out the way all content does: the demo editor (王编辑, editor of
    the group) writes and submits it, the demo reviewer (李审核) approves it — a review
    with named people, recorded in the audit trail. Structural pages (channels) have no
    unit and no review; the superuser publishes them."""
    from cms.review import is_reviewed_content
    from cms.services import page_review_run

    if not is_reviewed_content(page):
        user = _publisher()
        page.save_revision(user=user).publish(user=user)
        return
    editor = _login("editor")
    page.save_revision(user=editor)
    page_review_run(page=page, submitted_by=editor, reviewers=[_login("reviewer")])


def _reviewed() -> dict:
    """Bookshelf items of the demo: entered by the demo editor, published by the demo
    reviewer (the same two people a reviewer ≠ editor rule asks for in the admin)."""
    return {
        "is_published": True,
        "edited_by": _login("editor"),
        "reviewed_by": _login("reviewer"),
        "reviewed_at": timezone.now(),
    }


def _child(parent, model, slug, tags=(), **fields):
    page = model.objects.child_of(parent).filter(slug=slug).first()
    if page:
        return page, False
    reviewed = issubclass(model, UnitScopedPage)  # not live until its review is through
    owner = _login("editor") if reviewed else _publisher()
    page = model(slug=slug, owner=owner, live=not reviewed, **fields)
    parent.add_child(instance=page)
    for t in tags:
        page.tags.add(t)
    _publish(page)
    return model.objects.get(pk=page.pk), True


# Units' own outlets (阵地备案): (name, kind, unit, owner, deputy, address, approver,
# suspended because …). The built-in outlets (portal sections, the app) answer to the
# group's editor, with its reviewer as deputy.
UNIT_OUTLETS = [
    ("海外事业部党建", "wechat", "G02", "editor_g02", "secretary_g02", "gh_ehome_g02", "admin", ""),
    (
        "达港项目党建",
        "wechat",
        "G02-01",
        "secretary_tz",
        "member",
        "gh_ehome_tz01",
        "secretary_g02",
        "",
    ),
    (
        "第一工程局党建",
        "weibo",
        "G01",
        "secretary_g01",
        "unitadmin_g01",
        "weibo.com/ehome-g01",
        "admin",
        "",
    ),
    (
        "大兴机场项目工地电子屏",
        "screen",
        "G01-01",
        "member_bj",
        None,
        "项目部大门",
        "secretary_g01",
        "屏幕检修",
    ),
]


def _seed_outlets() -> int:
    """Idempotent: the built-in outlets with their accountable owners, and a few units'
    WeChat/Weibo accounts and a screen, registered by the demo superuser and approved by
    the upper level (one of them suspended)."""
    from django.contrib.auth import get_user_model

    from cms.models import Outlet
    from cms.outlet_services import (
        outlet_approve,
        outlet_register,
        outlet_update,
        outlets_builtin_ensure,
    )

    people = {u.username: u for u in get_user_model().objects.all()}
    admin = people.get("admin")
    if admin is None:
        return 0
    outlets_builtin_ensure()
    for outlet in Outlet.objects.filter(code__isnull=False, owner__isnull=True):
        outlet_update(
            outlet=outlet, user=admin, owner=people.get("editor"), deputy=people.get("reviewer")
        )
    units = {u.code: u for u in OrgUnit.objects.all()}
    for name, kind, code, owner, deputy, address, approver, suspended in UNIT_OUTLETS:
        if code not in units or Outlet.objects.filter(name=name, owner_unit=units[code]).exists():
            continue
        outlet = outlet_register(
            user=admin,
            name=name,
            kind=kind,
            owner_unit=units[code],
            owner=people.get(owner),
            deputy=people.get(deputy) if deputy else None,
            address=address,
        )
        outlet_approve(outlet=outlet, user=people.get(approver, admin), note="同意备案")
        if suspended:
            outlet_update(outlet=outlet, user=admin, status="suspended", status_reason=suspended)
    return Outlet.objects.count()


def _body(paragraphs: list[str], quote: str = "", video=None):
    body = [("rich_text", "".join(f"<p>{p}</p>" for p in paragraphs))]
    if quote:
        body.append(("quote", {"text": quote, "attribution": "项目党支部书记"}))
    if video is not None:
        body.append(("video", {"asset": video, "caption": "微党课视频"}))
    return body


@transaction.atomic
def seed(stdout=None) -> dict:
    from cms.services import content_setup_ensure, digest_propose, site_sections_ensure
    from media_pipeline.models import MediaAsset

    units = {u.code: u for u in OrgUnit.objects.all()}
    if "G" not in units:
        return {"skipped": "no organisation (run organizations.demo.seed first)"}
    g = units["G"]
    home = _home()
    content_setup_ensure(home=home)
    site_sections_ensure(home)
    outlets = _seed_outlets()
    video = MediaAsset.objects.filter(title="微党课：新时代的建设者").first()

    channels = {}
    for code, title in CHANNELS:
        channels[code], _ = _child(
            home, NewsIndexPage, code, title=title, channel_code=code, intro=f"{title}频道"
        )
    today = date.today()
    created_news = 0
    for i, (slug, channel, title, audience, pinned, tags, summary) in enumerate(NEWS):
        unit = units.get(audience, g)
        cover = _image(f"新闻封面 {i + 1}", i) if i % 3 == 0 else None
        page, created = _child(
            channels[channel],
            NewsPage,
            slug,
            title=title,
            subtitle="",
            source=f"{unit.name}宣传部",
            author="通讯员",
            date=today - timedelta(days=i % 10),
            summary=summary,
            pinned=pinned,
            cover_image=cover,
            publishing_unit=unit,
            audience_unit=unit,
            body=_body(
                [summary, f"{title}。广大党员表示，要把学习成果转化为推动工作的强大动力。"],
                quote="把支部建在项目上，把党旗插在工地上。" if i % 4 == 0 else "",
                video=video if slug == "micro-lesson-launch" else None,
            ),
            tags=tags,
        )
        if created:
            created_news += 1

    stories, _ = _child(
        home, ExemplarIndexPage, "exemplars", title="先进典型", intro="学习身边的榜样"
    )
    for i, (slug, kind, name, unit_code, honours, title, text) in enumerate(EXEMPLARS):
        unit = units.get(unit_code, g)
        _child(
            stories,
            ExemplarPage,
            slug,
            title=title,
            kind=kind,
            subject_name=name,
            subject_unit=unit,
            honours=honours,
            date=today - timedelta(days=7 * i),
            summary=text[:60],
            portrait=_image(f"先进典型 {name}", 10 + i),
            related_video=video,
            publishing_unit=g,
            audience_unit=g,
            deeds=_body(
                [text, "他（她）的事迹在集团上下引起强烈反响。"], quote="共产党员就要冲在最前面。"
            ),
        )

    books_created = 0
    for i, (title, category) in enumerate(BOOK_TITLES):
        isbn = isbn13(i + 1)
        if Book.objects.filter(isbn=isbn).exists():
            continue
        fmt = "epub" if i % 2 == 0 else "pdf"
        data = epub_bytes(title) if fmt == "epub" else pdf_bytes(f"Book {i + 1}")
        book = Book(
            title=title,
            authors=_book_authors(i, title),
            publisher=["人民出版社", "党建读物出版社", "中国建筑工业出版社", "中共党史出版社"][
                i % 4
            ],
            isbn=isbn,
            pub_year=2015 + i % 11,
            language="zh",
            category=category,
            description=f"《{title}》是党员微书屋推荐读物。",
            audience_unit=g if i % 10 else units.get("G02", g),
            owner_unit=g,
            **_reviewed(),
            cover=_image(f"封面：{title}", 20 + i) if i < 12 else None,
        )
        book.file.save(f"{isbn}.{fmt}", ContentFile(data), save=False)
        book.file_format = fmt
        book.save()
        books_created += 1

    for title, freq, category, n in PERIODICALS:
        code = issn(n)
        periodical, _ = Periodical.objects.get_or_create(
            issn=code,
            defaults={
                "title": title,
                "frequency": freq,
                "category": category,
                "publisher": f"{title}杂志社",
                "description": f"《{title}》电子版",
                "audience_unit": g,
                "owner_unit": g,
                **_reviewed(),
            },
        )
        for k in range(2):
            label = f"{today.year}年第{k + 1}期"
            if PeriodicalIssue.objects.filter(periodical=periodical, label=label).exists():
                continue
            issue = PeriodicalIssue(
                periodical=periodical,
                label=label,
                issue_date=today - timedelta(days=30 * (2 - k)),
                **_reviewed(),
            )
            issue.file.save(
                f"{code}-{k + 1}.pdf", ContentFile(pdf_bytes(f"{code} no.{k + 1}")), save=False
            )
            issue.save()

    digests, _ = _child(home, DigestIndexPage, "digest", title="手机报", intro="每周一期")
    if not DigestIssue.objects.exists():
        # the seven days up to today: the demo news are dated within the last ten days
        issue = digest_propose(
            week_start=today - timedelta(days=6), index=digests, publishing_unit=g, audience_unit=g
        )
        issue.editor_note = "本期聚焦学习贯彻全会精神和海外项目党建。"
        _publish(issue)

    counts = {
        "news": NewsPage.objects.count(),
        "news_created": created_news,
        "stories": ExemplarPage.objects.count(),
        "books": Book.objects.count(),
        "books_created": books_created,
        "periodicals": Periodical.objects.count(),
        "digests": DigestIssue.objects.count(),
        "outlets": outlets,
    }
    if stdout is not None:
        stdout.write(f"  内容：{counts}\n")
    return counts
