import re

import pytest

from wecom_archive.lib.keywords import Matcher, Rule, split_words

SALES, SUPPORT = 3, 5


def test_split_words_accepts_both_commas():
    assert split_words(" 私下转账，返点, 回扣,,  ，返点 , ") == ["私下转账", "返点", "回扣"]
    assert split_words("") == []
    assert split_words("加我微信") == ["加我微信"]


def scan(matcher, text, side="member", kind="external", members=(), departments=()):
    return matcher.scan(
        text, sender_side=side, chat_kind=kind, member_ids=members, department_ids=departments
    )


def test_department_scope():
    matcher = Matcher(
        [
            Rule(1, words=("返点",), department_ids=frozenset({SALES})),
            Rule(2, words=("投诉",), department_ids=frozenset({SUPPORT})),
        ]
    )
    assert [h.rule_id for h in scan(matcher, "这单给你返点", departments={SALES})] == [1]
    assert scan(matcher, "这单给你返点", departments={SUPPORT}) == []
    assert [h.rule_id for h in scan(matcher, "我要投诉", departments={SUPPORT})] == [2]


def test_member_scope_and_everyone():
    matcher = Matcher(
        [Rule(1, words=("私聊",), member_ids=frozenset({7})), Rule(2, words=("私聊",))]
    )
    assert [h.rule_id for h in scan(matcher, "私聊吧", members={7})] == [1, 2]
    assert [h.rule_id for h in scan(matcher, "私聊吧", members={8})] == [2]


def test_sides_and_chat_kinds():
    matcher = Matcher(
        [
            Rule(1, words=("转账",), side="member"),
            Rule(2, words=("转账",), side="customer"),
            Rule(3, words=("转账",), chat_kinds=frozenset({"group"})),
        ]
    )
    assert [h.rule_id for h in scan(matcher, "转账", side="member")] == [1]
    assert [h.rule_id for h in scan(matcher, "转账", side="customer")] == [2]
    assert [h.rule_id for h in scan(matcher, "转账", side="customer", kind="group")] == [2, 3]


def test_words_offsets_overlaps_and_mixed_script():
    matcher = Matcher([Rule(1, words=("私下", "私下转账", "转账", "WeChat", "VX"))])
    text = "加我wechat，私下转账给vx号"
    (hit,) = scan(matcher, text)
    assert hit.words == ["WeChat", "私下", "私下转账", "转账", "VX"]
    assert [text[a:b] for a, b in hit.offsets] == ["wechat", "私下", "私下转账", "转账", "vx"]
    assert hit.offsets == sorted(hit.offsets)


def test_repeated_word_counted_once_with_every_offset():
    (hit,) = scan(Matcher([Rule(1, words=("好",))]), "好的，好")
    assert hit.words == ["好"] and hit.offsets == [(0, 1), (3, 4)]


def test_regex_rules():
    matcher = Matcher([Rule(1, patterns=(r"1[3-9]\d{9}",)), Rule(2, patterns=(r"(?i)v\s*x",))])
    hits = scan(matcher, "我的手机13812345678，加V x")
    assert [(h.rule_id, h.words) for h in hits] == [(1, ["13812345678"]), (2, ["V x"])]
    with pytest.raises(re.error):
        Matcher([Rule(3, patterns=("(unclosed",))])


def test_nothing_to_scan():
    assert scan(Matcher([]), "任何内容") == []
    assert scan(Matcher([Rule(1, words=("a",))]), "") == []


def test_scoped_rule_with_nobody_left_applies_to_nobody():
    everyone = Rule(1, words=("返点",))
    nobody = Rule(2, words=("返点",), scoped=True)
    assert everyone.applies("member", "external", frozenset({7}), frozenset({3}))
    assert not nobody.applies("member", "external", frozenset({7}), frozenset({3}))
    assert Rule(3, member_ids=frozenset({7}), scoped=True).in_scope(frozenset({7}), frozenset())
