"""Built-in detectors inside rules: a rule's detector hits are hits like its words' (named by
the detector, with offsets), each detector runs once per message, near-misses stay quiet."""

import pytest

from wecom_archive.lib import keywords
from wecom_archive.lib.detectors import id_check_char
from wecom_archive.lib.keywords import Matcher, Rule

ID_17 = "11010519491231002"
ID_NUMBER = ID_17 + id_check_char(ID_17)  # a valid resident ID number
CARD = "6222021234567890128"  # 19 digits, Luhn-valid
ORDER = "6222021234567890127"  # the same with a wrong check digit: an order number


def scan(matcher, text, side="member", kind="external", members=(), departments=()):
    return matcher.scan(
        text, sender_side=side, chat_kind=kind, member_ids=members, department_ids=departments
    )


def only(matcher, text, **kw):
    hits = scan(matcher, text, **kw)
    return [(h.rule_id, h.words, [text[s:e] for s, e in h.offsets]) for h in hits]


# every detector: a line it must find, and a near-miss it must not
CASES = [
    ("mobile", "我的手机13812345678有事打", "13812345678", "订单号12812345678已发出"),
    ("bank_card", f"打到卡号{CARD}就行", CARD, f"订单编号{ORDER}已发货"),
    ("id_card", f"身份证{ID_NUMBER}请核对", ID_NUMBER, f"身份证{ID_17}0请核对"),
    ("email", "发到 li.ming@example.com 吧", "li.ming@example.com", "发到 li.ming@ 吧"),
    ("wechat_id", "加我微信：lm_2024abc 细聊", "lm_2024abc", "微信支付已经到账了"),
    ("url", "看看 http://evil.example.net/x 这个", "http://evil.example.net/x", "版本 v2.3 已更新"),
]


@pytest.mark.parametrize(("code", "line", "value", "near_miss"), CASES)
def test_each_detector_in_a_rule(code, line, value, near_miss):
    matcher = Matcher([Rule(1, detectors=(code,))])
    label = keywords.DETECTORS[code][0]
    assert only(matcher, line) == [(1, [label], [value])]
    assert scan(matcher, near_miss) == []


def test_sixteen_digit_order_number_failing_luhn_is_not_a_card():
    matcher = Matcher([Rule(1, detectors=("bank_card",))])
    assert scan(matcher, "订单号 4111111111111112 请查收") == []
    assert only(matcher, "卡号 4111111111111111 请查收") == [
        (1, ["银行卡号"], ["4111111111111111"])
    ]


def test_words_patterns_and_detectors_of_one_rule_are_one_hit():
    matcher = Matcher([Rule(1, words=("返点",), detectors=("mobile", "email"))])
    text = "返点打给13812345678，或者发到a@b.cn"
    [hit] = scan(matcher, text)
    assert hit.words == ["返点", "手机号", "邮箱"]
    assert [text[s:e] for s, e in hit.offsets] == ["返点", "13812345678", "a@b.cn"]


def test_allowed_domains_per_rule():
    matcher = Matcher(
        [
            Rule(1, detectors=("url",), allowed_domains=("example.com",)),
            Rule(2, detectors=("url",)),
        ]
    )
    inside = "官网 https://shop.example.com/a 下单"
    assert [h.rule_id for h in scan(matcher, inside)] == [2]
    outside = "去 https://pay.other.cn/q 付款"
    assert [h.rule_id for h in scan(matcher, outside)] == [1, 2]


def test_scope_sides_and_chat_kinds_apply_to_detectors():
    matcher = Matcher(
        [Rule(1, detectors=("mobile",), side="member", chat_kinds=frozenset({"external"}))]
    )
    text = "电话13812345678"
    assert scan(matcher, text, side="customer") == []
    assert scan(matcher, text, kind="group") == []
    assert [h.rule_id for h in scan(matcher, text)] == [1]


def test_overlapping_detectors_are_merged_as_detect_merges_them():
    # a number offered as a WeChat ID is a WeChat ID, not also a mobile number
    matcher = Matcher([Rule(1, detectors=("mobile", "wechat_id"))])
    assert only(matcher, "加我微信13812345678") == [(1, ["微信号"], ["13812345678"])]


def test_each_detector_runs_once_per_message(monkeypatch):
    calls = []
    real = keywords.DETECTORS["mobile"]

    def counting(text):
        calls.append(text)
        return real[1](text)

    monkeypatch.setitem(keywords.DETECTORS, "mobile", (real[0], counting))
    matcher = Matcher([Rule(i, detectors=("mobile",)) for i in range(1, 51)])
    assert len(scan(matcher, "电话13812345678")) == 50
    assert len(calls) == 1
    # the prefilter: a line without three digits in a row never reaches the detector
    assert scan(matcher, "好的，明天9点见") == []
    assert len(calls) == 1


def test_full_width_values_keep_their_offsets():
    matcher = Matcher([Rule(1, detectors=("mobile",))])
    text = "电话：１３８１２３４５６７８"
    assert only(matcher, text) == [(1, ["手机号"], ["１３８１２３４５６７８"])]


def test_unknown_detector_is_refused():
    with pytest.raises(ValueError, match="unknown detectors"):
        Matcher([Rule(1, detectors=("passport",))])
