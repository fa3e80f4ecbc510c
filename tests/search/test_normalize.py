"""The normaliser shared by indexing and querying."""

from search.highlight import highlight, highlight_all
from search.normalize import index_tokens, query_tokens


def test_traditional_and_simplified_give_the_same_query_tokens():
    assert query_tokens("黨費繳納") == query_tokens("党费缴纳")
    assert "党费" in query_tokens("黨費")


def test_search_mode_emits_words_inside_longer_words():
    tokens = index_tokens("中华人民共和国成立")
    assert {"中华人民共和国", "人民", "共和国"} <= set(tokens)
    assert "党费" in index_tokens("党员们一键交党费很方便")


def test_latin_and_numbers_are_kept_lowercased():
    tokens = index_tokens("The Art of War 孙子兵法 ISO9001")
    assert {"the", "art", "of", "war", "iso9001"} <= set(tokens)


def test_isbn_with_or_without_hyphens_is_one_token():
    assert "9787010123456" in index_tokens("ISBN 978-7-01-012345-6")
    assert query_tokens("9787010123456") == ["9787010123456"]
    assert query_tokens("978-7-01-012345-6") == ["9787010123456"]


def test_plus_suffix_is_searchable():
    assert "互联网plus" in index_tokens("推进互联网+党建")
    assert query_tokens("互联网+") == ["互联网", "互联网plus"]
    assert "互联网plus" not in index_tokens("互联网 发展")


def test_syntax_characters_emoji_and_nul_are_dropped():
    assert query_tokens('"* NEAR AND - : \x00 😀') == ["near", "and"]
    assert query_tokens("😀😀") == []
    assert query_tokens("   ") == []
    for tok in query_tokens('党费"):*\x00(NEAR/3'):
        assert tok.isalnum()


def test_long_query_is_clipped():
    assert len("".join(query_tokens("党" * 10_000))) <= 200


def test_query_stopwords_dropped_only_when_other_words_remain():
    assert "的" not in query_tokens("党的建设")
    assert query_tokens("的") == ["的"]


def test_highlight_marks_the_original_traditional_text():
    tokens = query_tokens("党费")
    html = highlight("支部通知：全體黨員按時繳納黨費，不得拖欠。", tokens)
    assert "<mark>黨費</mark>" in html


def test_highlight_escapes_html_and_maps_isbn_with_hyphens():
    html = highlight_all("<b>书</b> ISBN 978-7-01-012345-6", query_tokens("9787010123456"))
    assert "&lt;b&gt;" in html
    assert "<mark>978-7-01-012345-6</mark>" in html


def test_highlight_window_centres_on_the_match():
    text = "开头" * 200 + "关于党费收缴的通知" + "结尾" * 200
    html = highlight(text, query_tokens("党费"), width=60)
    assert "<mark>党费</mark>" in html
    assert html.startswith("…") and html.endswith("…")
