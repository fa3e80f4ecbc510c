"""Demo news: four channels (cms.services.CHANNELS) with 24 news items for different
audiences, some with a cover image, one with the micro-lesson video."""

from __future__ import annotations

from datetime import date, timedelta

from cms.demo.common import child_page, demo_image, stream_body
from cms.models import NewsIndexPage, NewsPage
from cms.services import CHANNELS

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


def seed_news(*, home, units: dict, video, today: date) -> int:
    """The channels under `home` and their news. → how many news items were created."""
    g = units["G"]
    channels = {}
    for code, title in CHANNELS:
        channels[code], _ = child_page(
            home, NewsIndexPage, code, title=title, channel_code=code, intro=f"{title}频道"
        )
    created_news = 0
    for i, (slug, channel, title, audience, pinned, tags, summary) in enumerate(NEWS):
        unit = units.get(audience, g)
        cover = demo_image(f"新闻封面 {i + 1}", i) if i % 3 == 0 else None
        page, created = child_page(
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
            body=stream_body(
                [summary, f"{title}。广大党员表示，要把学习成果转化为推动工作的强大动力。"],
                quote="把支部建在项目上，把党旗插在工地上。" if i % 4 == 0 else "",
                video=video if slug == "micro-lesson-launch" else None,
            ),
            tags=tags,
        )
        if created:
            created_news += 1
    return created_news
