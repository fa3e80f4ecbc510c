"""Names for 中图法 (CLC) class codes, so readers see "文学 › 报告文学" where the catalogue
stores "I25". The 22 basic classes are complete (cms.validators.CLC_CLASSES); below them
only the subclasses a party organisation's bookshelf commonly files under are named
(class T's two-letter subclasses in full). A code is named by its longest known prefix,
so "D262.6" reads as 党的建设 and an unknown "Q95" as 生物科学."""

from __future__ import annotations

from cms.validators import CLC_CLASSES

CLC_SUBCLASSES = {
    "A1": "马克思、恩格斯著作",
    "A2": "列宁著作",
    "A4": "毛泽东著作",
    "A49": "邓小平著作",
    "A8": "马克思主义、列宁主义、毛泽东思想、邓小平理论的学习和研究",
    "D2": "中国共产党",
    "D23": "党史",
    "D26": "党的建设",
    "D4": "工人、农民、青年、妇女运动与组织",
    "D6": "中国政治",
    "D9": "法律",
    "F2": "经济计划与管理",
    "F4": "工业经济",
    "F7": "贸易经济",
    "G2": "信息与知识传播",
    "G4": "教育",
    "G78": "家庭教育",
    "H1": "汉语",
    "H3": "常用外国语",
    "I2": "中国文学",
    "I24": "小说",
    "I25": "报告文学",
    "I26": "散文",
    "K2": "中国史",
    "K81": "传记",
    "K82": "中国人物传记",
    "K9": "地理",
    "R1": "预防医学、卫生学",
    "R3": "基础医学",
    "TB": "一般工业技术",
    "TD": "矿业工程",
    "TE": "石油、天然气工业",
    "TF": "冶金工业",
    "TG": "金属学与金属工艺",
    "TH": "机械、仪表工业",
    "TJ": "武器工业",
    "TK": "能源与动力工程",
    "TL": "原子能技术",
    "TM": "电工技术",
    "TN": "无线电电子学、电信技术",
    "TP": "自动化技术、计算机技术",
    "TQ": "化学工业",
    "TS": "轻工业、手工业",
    "TU": "建筑科学",
    "TV": "水利工程",
    "U2": "铁路运输",
    "U4": "公路运输",
    "U6": "水路运输",
}


def clc_path(code: str) -> list[dict]:
    """The named classes above and at `code`, broadest first: ``I25`` →
    ``[{"code": "I", "name": "文学"}, {"code": "I2", …}, {"code": "I25", …}]``.
    Empty for an empty or unknown code."""
    code = (code or "").strip().upper()
    top = CLC_CLASSES.get(code[:1])
    if not top:
        return []
    path = [{"code": code[:1], "name": top}]
    for end in range(2, len(code) + 1):
        name = CLC_SUBCLASSES.get(code[:end])
        if name:
            path.append({"code": code[:end], "name": name})
    return path


def clc_name(code: str) -> str:
    """The most specific name known for `code` ("" when none)."""
    path = clc_path(code)
    return path[-1]["name"] if path else ""
