"""What a several-word or one-character query finds, and in which order (issue 16, item 8),
on the database the suite runs on (SQLite, or PostgreSQL with DATABASE_URL) and in the
Elasticsearch query body.

- every segment of the query must match (工程书屋 = 工程 AND 书屋), and when no document
  has them all the answer is empty — not the documents with one of them;
- a single character finds the words that contain it (党 → 党员, 共产党, 入党…);
- documents that contain the whole phrase come first, however long they are.
"""

from __future__ import annotations

from search.backends import Criteria, Scope, elastic
from search.query import search
from tests.search.conftest import make_doc

FILLER = "项目部组织职工开展技能培训，提升施工组织管理水平。" * 30


def _titles(query, user, **kw):
    return [h.title for h in search(query, user=user, **kw).hits]


def test_every_segment_must_match(index_docs, superuser):
    index_docs(
        make_doc("水利工程概论", "介绍水利工程的基本知识。"),
        make_doc("社区书屋开放", "社区书屋每周开放五天。"),
        make_doc("工程技术书屋", "书屋收藏工程技术类图书。"),
    )
    assert _titles("工程书屋", superuser) == ["工程技术书屋"]


def test_no_document_with_every_segment_finds_nothing(index_docs, superuser):
    index_docs(
        make_doc("水利工程概论", "介绍水利工程的基本知识。"),
        make_doc("社区书屋开放", "社区书屋每周开放五天。"),
    )
    res = search("工程书屋", user=superuser)
    assert (res.total, res.hits) == (0, [])
    assert res.facets == {}


def test_a_single_character_finds_the_words_that_contain_it(index_docs, superuser):
    index_docs(
        make_doc("党员大会召开", "全体党员参加。"),
        make_doc("共产党宣言导读", "经典著作导读。"),
        make_doc("入党誓词", "新同志宣誓。"),
        make_doc("工会活动", "职工文体比赛。"),
    )
    assert sorted(_titles("党", superuser)) == sorted(
        ["党员大会召开", "共产党宣言导读", "入党誓词"]
    )
    # Traditional too, and in the body
    index_docs(make_doc("年度总结", "各支部黨員積極參加志願服務。"))
    assert "年度总结" in _titles("黨", superuser)


def test_a_single_character_next_to_a_word_must_match_too(index_docs, superuser):
    index_docs(
        make_doc("铁路党支部", "铁路项目党支部开展活动。"),
        make_doc("公路党支部", "公路项目党支部开展活动。"),
    )
    assert _titles("铁 党支部", superuser) == ["铁路党支部"]


def test_the_whole_phrase_ranks_first_whatever_the_length(index_docs, superuser):
    index_docs(
        # both words in a short title, not together
        make_doc("书屋 工程", "书屋和工程。", days_ago=0),
        make_doc("工程简讯", "本期介绍书屋建设。", days_ago=1),
        # the phrase itself, deep in a long body with a title that has neither word
        make_doc("年度工作报告", FILLER + "今年建成了“工程书屋”十二个。" + FILLER, days_ago=2),
    )
    titles = _titles("工程书屋", superuser)
    assert titles[0] == "年度工作报告", titles
    assert set(titles) == {"书屋 工程", "工程简讯", "年度工作报告"}


def test_a_phrase_in_the_title_ranks_above_a_phrase_in_the_body(index_docs, superuser):
    index_docs(
        make_doc("年度工作报告", "今年建成了工程书屋十二个。", days_ago=0),
        make_doc("第一工程局工程书屋建设纪实", FILLER, days_ago=3),
        make_doc("书屋 工程", "书屋和工程。", days_ago=1),
    )
    assert _titles("工程书屋", superuser) == [
        "第一工程局工程书屋建设纪实",
        "年度工作报告",
        "书屋 工程",
    ]


def test_a_phrase_with_latin_and_chinese_matches_with_or_without_the_space(index_docs, superuser):
    index_docs(
        make_doc("技术与BIM", "技术和BIM。", days_ago=0),
        make_doc("年度工作报告", FILLER + "推广BIM 技术应用。" + FILLER, days_ago=1),
        make_doc("年度总结", FILLER + "推广BIM技术应用。" + FILLER, days_ago=2),
    )
    assert _titles("BIM 技术", superuser)[-1] == "技术与BIM"
    assert _titles("BIM技术", superuser)[-1] == "技术与BIM"


def test_phrase_first_also_by_the_second_page(index_docs, superuser):
    docs = [make_doc(f"书屋 工程 {i}", "书屋和工程。", days_ago=i) for i in range(12)]
    docs.append(make_doc("长篇通讯", FILLER + "工程书屋" + FILLER, days_ago=30))
    index_docs(*docs)
    first = search("工程书屋", user=superuser, page_size=5)
    assert first.total == 13
    assert first.hits[0].title == "长篇通讯"
    second = search("工程书屋", user=superuser, page=2, page_size=5)
    assert "长篇通讯" not in [h.title for h in second.hits]


# -- the Elasticsearch query body -----------------------------------------------------------
def _es_body(tokens, phrase):
    c = Criteria(tokens=tokens, phrases=(phrase,), scope=Scope(everything=True))
    return elastic.build_search(c, ["news"]).to_dict()


def test_es_body_requires_every_segment():
    body = _es_body(["工程", "书屋"], "工程书屋")
    must = body["query"]["bool"]["must"]
    matches = [m["multi_match"] for m in must[0]["bool"]["should"]]
    assert matches and all(m["operator"] == "and" for m in matches)
    assert must[0]["bool"]["minimum_should_match"] == 1


def test_es_body_boosts_the_whole_phrase():
    body = _es_body(["工程", "书屋"], "工程书屋")
    should = body["query"]["bool"]["should"]
    boosts = {}
    for clause in should:
        ((field, opts),) = clause["constant_score"]["filter"]["match_phrase"].items()
        assert opts == {"query": "工程书屋"}
        boosts[field] = clause["constant_score"]["boost"]
    # a fixed boost far above any BM25 score: phrase documents form the first tier(s)
    assert boosts["title"] > boosts["body"] >= elastic.PHRASE_BOOST
    assert elastic.PHRASE_BOOST >= 100


def test_es_body_for_one_word_has_no_phrase_clause():
    body = _es_body(["党员"], "党员")
    assert "should" not in body["query"]["bool"]
