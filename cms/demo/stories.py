"""Demo exemplar stories (先进典型): six model members and collectives, each with a
generated portrait and the micro-lesson video."""

from __future__ import annotations

from datetime import date, timedelta

from cms.demo.common import child_page, demo_image, stream_body
from cms.models import ExemplarIndexPage, ExemplarPage

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


def seed_stories(*, home, units: dict, video, today: date) -> None:
    g = units["G"]
    stories, _ = child_page(
        home, ExemplarIndexPage, "exemplars", title="先进典型", intro="学习身边的榜样"
    )
    for i, (slug, kind, name, unit_code, honours, title, text) in enumerate(EXEMPLARS):
        unit = units.get(unit_code, g)
        child_page(
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
            portrait=demo_image(f"先进典型 {name}", 10 + i),
            related_video=video,
            publishing_unit=g,
            audience_unit=g,
            deeds=stream_body(
                [text, "他（她）的事迹在集团上下引起强烈反响。"], quote="共产党员就要冲在最前面。"
            ),
        )
