"""The query side of the bigram search: tsquery literals, LIKE patterns, snippets."""

import pytest

from wecom_archive.lib import search


def test_clean_query():
    assert search.clean_query("  转账 ") == "转账"
    assert search.clean_query("转\x00账") == "转账"
    assert search.clean_query("a b") == "a b"
    for query in ("", None, "转", " 转 ", "\x00a", "😀"):
        with pytest.raises(search.SearchQueryError):
            search.clean_query(query)


def test_bigrams():
    assert search.bigrams("转账") == ["转账"]
    assert search.bigrams("私下转账") == ["私下", "下转", "转账"]
    assert search.bigrams("转转转") == ["转转"]
    assert search.bigrams("a 1") == ["a ", " 1"]
    assert search.bigrams("😀转") == ["😀转"]
    assert search.bigrams("x") == []


def test_tsquery():
    assert search.tsquery("转账") == "('转账') | '!long!'"
    assert search.tsquery("私下转账") == "('私下' & '下转' & '转账') | '!long!'"
    with pytest.raises(search.SearchQueryError):
        search.tsquery("转")


@pytest.mark.parametrize(
    ("keyword", "expected"),
    [
        ("it's", "('it' & 't''' & '''s') | '!long!'"),
        ("a&b", "('a&' & '&b') | '!long!'"),
        ("a|!", "('a|' & '|!') | '!long!'"),
        (":*", "(':*') | '!long!'"),
        ("a\\b", "('a\\\\' & '\\\\b') | '!long!'"),
        ("<->", "('<-' & '->') | '!long!'"),
        ("(x)", "('(x' & 'x)') | '!long!'"),
        ("%_", "('%_') | '!long!'"),
        ("''", "('''''') | '!long!'"),
    ],
)
def test_tsquery_quotes_every_character(keyword, expected):
    assert search.tsquery(keyword) == expected


def test_quote_lexeme():
    assert search.quote_lexeme("a b") == "'a b'"
    assert search.quote_lexeme("'") == "''''"
    assert search.quote_lexeme("\\'") == "'\\\\'''"


def test_long_mark_is_never_a_bigram():
    assert len(search.LONG_MARK) > 2


def test_like_pattern():
    assert search.like_pattern("转账") == "%转账%"
    assert search.like_pattern("100%") == "%100\\%%"
    assert search.like_pattern("a_b") == "%a\\_b%"
    assert search.like_pattern("a\\b") == "%a\\\\b%"
    assert search.like_pattern("it's") == "%it's%"


def test_highlights():
    assert search.highlights("转账转账", "转账") == [[0, 2], [2, 4]]
    assert search.highlights("转转转", "转转") == [[0, 2]]
    assert search.highlights("abc", "x") == []


def test_snippet_short_text():
    text = "Please 转账 TO me"
    snippet, offsets = search.snippet(text, text.lower(), "to")
    assert snippet == text
    assert offsets == [[10, 12]]
    assert snippet[10:12] == "TO"


def test_snippet_cut_both_sides():
    text = "甲" * 50 + "返点" + "乙" * 50 + "返点"
    snippet, offsets = search.snippet(text, text, "返点")
    assert snippet == "…" + "甲" * 30 + "返点" + "乙" * 30 + "…"
    assert offsets == [[31, 33]]


def test_snippet_emoji_and_every_hit():
    text = "😀转账😀转账"
    snippet, offsets = search.snippet(text, text, "转账")
    assert snippet == text
    assert offsets == [[1, 3], [4, 6]]
    assert [snippet[a:b] for a, b in offsets] == ["转账", "转账"]


def test_snippet_is_plain_text():
    text = "<b>转账</b> & more"
    snippet, offsets = search.snippet(text, text, "转账")
    assert snippet == text
    assert offsets == [[3, 5]]
