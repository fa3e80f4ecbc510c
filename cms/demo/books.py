"""Demo bookshelf: 60 books with generated EPUB/PDF files (Pillow covers for the first
twelve) and 3 periodicals with two issues each, matched by ISBN / ISSN."""

from __future__ import annotations

from datetime import date, timedelta

from django.core.files.base import ContentFile

from cms.demo.common import demo_image, reviewed_fields
from cms.models import Book, Periodical, PeriodicalIssue
from cms.samples import epub_bytes, isbn13, issn, pdf_bytes

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


def seed_books(*, units: dict) -> int:
    """→ how many books were created."""
    g = units["G"]
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
            **reviewed_fields(),
            cover=demo_image(f"封面：{title}", 20 + i) if i < 12 else None,
        )
        book.file.save(f"{isbn}.{fmt}", ContentFile(data), save=False)
        book.file_format = fmt
        book.save()
        books_created += 1
    return books_created


def seed_periodicals(*, units: dict, today: date) -> None:
    g = units["G"]
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
                **reviewed_fields(),
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
                **reviewed_fields(),
            )
            issue.file.save(
                f"{code}-{k + 1}.pdf", ContentFile(pdf_bytes(f"{code} no.{k + 1}")), save=False
            )
            issue.save()
