import random

import pytest

from wecom_archive.lib.detectors import (
    DETECTORS,
    Hit,
    detect,
    find_bank_card,
    find_email,
    find_id_card,
    find_mobile,
    find_url,
    find_wechat_id,
    mask,
    mask_spans,
)

ALL = tuple(DETECTORS)
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def with_luhn(body):
    """``body`` + its Luhn check digit (computed here, independently of the module)."""
    total = 0
    for position, char in enumerate(reversed(body)):
        value = int(char) * (2 if position % 2 == 0 else 1)
        total += value // 10 + value % 10
    return body + str(-total % 10)


def with_id_check(first17):
    """``first17`` + its ISO 7064 MOD 11-2 check character (computed here)."""
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(char) * weight for char, weight in zip(first17, weights, strict=True))
    return first17 + "10X98765432"[total % 11]


def values(hits):
    return [hit.value for hit in hits]


CARD = with_luhn("622202020000000")  # 16 digits, UnionPay-style
CARD_19 = with_luhn("622848001234567890")
ID = with_id_check("11010119900307123")


def test_helpers_agree_with_known_numbers():
    assert with_luhn("411111111111111") == "4111111111111111"  # the classic Visa test number
    assert with_id_check("11010519491231002") == "11010519491231002X"  # GB 11643's example


def test_detectors_registry():
    assert [(code, label) for code, (label, _finder) in DETECTORS.items()] == [
        ("mobile", "手机号"),
        ("bank_card", "银行卡号"),
        ("id_card", "身份证号"),
        ("email", "邮箱"),
        ("wechat_id", "微信号"),
        ("url", "外部链接"),
    ]
    with pytest.raises(ValueError, match="nope"):
        detect("13812345678", ["mobile", "nope"])
    assert detect("", ALL) == []


# ---------------------------------------------------------------------------------------------
# mobile


def test_mobile_forms():
    text = "电话13812345678，+86 138-1234-5678 或 0086 139 1234 5678、8615912345678。"
    hits = find_mobile(text)
    assert values(hits) == [
        "13812345678",
        "+86 138-1234-5678",
        "0086 139 1234 5678",
        "8615912345678",
    ]
    assert all(text[h.start : h.end] == h.value and h.code == "mobile" for h in hits)


def test_mobile_false_positives():
    assert find_mobile("订单号202311381234567890已发货") == []  # inside a digit run
    assert find_mobile("138123456789") == []  # 12 digits
    assert find_mobile("12012345678") == []  # second digit not 3-9
    assert find_mobile("138 1234 5678 9") == []  # continues a digit grouping
    assert find_mobile("138-1234 5678") == []  # mixed separators
    assert find_mobile("金额 0.13812345678") == []  # a decimal fraction
    assert find_mobile(CARD) == []


def test_mobile_full_width():
    text = "手机：" + "13812345678".translate(FULL_WIDTH) + "。"
    (hit,) = find_mobile(text)
    assert hit == Hit("mobile", 3, 14, "１３８１２３４５６７８")


# ---------------------------------------------------------------------------------------------
# bank cards


def test_bank_card_plain_grouped_and_19_digits():
    grouped = " ".join(CARD[i : i + 4] for i in range(0, 16, 4))
    dashed = "-".join(CARD_19[i : i + 4] for i in range(0, 19, 4))
    text = f"卡号{CARD}，或 {grouped}；还有{dashed}。"
    assert values(find_bank_card(text)) == [CARD, grouped, dashed]
    assert values(find_bank_card(with_luhn("62220202000000000"))) == [
        with_luhn("62220202000000000")
    ]


def test_bank_card_false_positives():
    bad = CARD[:-1] + str((int(CARD[-1]) + 1) % 10)
    assert find_bank_card(f"订单号{bad}") == []  # 16 digits failing Luhn
    assert find_bank_card("1" + CARD) == []  # inside a longer run (17 digits, Luhn aside)
    assert find_bank_card(CARD + "1234") == []  # 20 digits
    assert find_bank_card(with_luhn("12345678901234")) == []  # 15 digits
    grouped = " ".join(CARD[i : i + 4] for i in range(0, 16, 4))
    assert find_bank_card(grouped + " 1234 5") == []  # the grouping goes on
    assert find_bank_card("6222 0202-0000 0000") == []  # mixed separators


def test_phone_inside_card_is_only_the_card():
    card = with_luhn("621381234567800")  # contains 13812345678
    assert find_mobile(card) == []
    assert [(h.code, h.value) for h in detect(f"卡{card}", ALL)] == [("bank_card", card)]


# ---------------------------------------------------------------------------------------------
# resident ID numbers


def test_id_card_valid():
    x_id = with_id_check("11010519491231002")
    text = f"身份证{ID}，另一个{x_id.lower()}。"
    assert values(find_id_card(text)) == [ID, x_id.lower()]
    assert values(find_id_card(ID.translate(FULL_WIDTH))) == [ID.translate(FULL_WIDTH)]


def test_id_card_false_positives():
    wrong = ID[:-1] + ("1" if ID[-1] != "1" else "2")
    assert find_id_card(wrong) == []  # wrong check character
    assert find_id_card(with_id_check("11010119990230123")) == []  # 1999-02-30
    assert find_id_card(with_id_check("11010120990101123")) == []  # born in the future
    assert find_id_card(with_id_check("11010118991231123")) == []  # before 1900
    assert find_id_card(with_id_check("91010119900307123")) == []  # region can't start with 9
    assert find_id_card("A" + ID) == []  # inside an alphanumeric run
    assert find_id_card(ID + "7") == []


# ---------------------------------------------------------------------------------------------
# e-mail


def test_email():
    text = "邮箱 li.ming+cn@mail.example.com.cn。或 Boss_1@corp.io. (x@y.cn)，谢谢"
    assert values(find_email(text)) == [
        "li.ming+cn@mail.example.com.cn",
        "Boss_1@corp.io",
        "x@y.cn",
    ]
    full_width = "ｔｅｓｔ＠ｅｘａｍｐｌｅ．ｃｏｍ"
    assert values(find_email(full_width + "，")) == [full_width]


def test_email_false_positives():
    assert find_email("user@localhost") == []
    assert find_email("@example.com") == []
    assert find_email("a@b.c") == []
    assert find_email("张三@公司.中国") == []


# ---------------------------------------------------------------------------------------------
# WeChat IDs


def test_wechat_id_after_cues():
    text = (
        "加我微信：abc_12345，我的微信是 Zhang-San88，微信号:wxid_k2j3h4，"
        "vx 13812345678，VX：lily2024x，微信号码 13912345678，加v：tom_cat9，威信 haha123，"
        "薇信abc-def，v信 kk12345"
    )
    assert values(find_wechat_id(text)) == [
        "abc_12345",
        "Zhang-San88",
        "wxid_k2j3h4",
        "13812345678",
        "lily2024x",
        "13912345678",
        "tom_cat9",
        "haha123",
        "abc-def",
        "kk12345",
    ]


def test_wechat_id_false_positives():
    assert find_wechat_id("微信支付已到账，请查收") == []
    assert find_wechat_id("加我微信：abc12") == []  # too short
    assert find_wechat_id("加我微信：1abc2345") == []  # starts with a digit
    assert find_wechat_id("加我微信：a" + "b" * 20) == []  # too long
    assert find_wechat_id("devx abc12345 和 wxid_abc123") == []  # no cue standing alone
    assert find_wechat_id("看vx视频") == []


# ---------------------------------------------------------------------------------------------
# links


def test_url_allow_list():
    text = (
        "官网 https://example.com/a，帮助 http://help.example.com/x?y=1。"
        "别点 https://badexample.com/login 和 www.example.com.evil.io/p，"
        "还有 http://example.com@evil.cn/ 及 t.cn/A6xYz"
    )
    assert values(find_url(text, allowed_domains=["Example.com"])) == [
        "https://badexample.com/login",
        "www.example.com.evil.io/p",
        "http://example.com@evil.cn/",
        "t.cn/A6xYz",
    ]
    assert len(find_url(text)) == 6
    # admins may type a URL or a wildcard
    for allowed in (["https://example.com/"], ["*.example.com"]):
        assert values(find_url("https://a.example.com/x", allowed_domains=allowed)) == []


def test_url_boundaries():
    text = "见https://zh.wikipedia.org/wiki/A_(B))。和(http://x.com/a?b=1)，www.shop.cn/x!"
    assert values(find_url(text)) == [
        "https://zh.wikipedia.org/wiki/A_(B)",
        "http://x.com/a?b=1",
        "www.shop.cn/x",
    ]
    text = "链接：https://ｅｖｉｌ．ｃｏｍ/ｘ，ｗｗｗ．ｅｖｉｌ．ｃｎ（推荐）"
    assert values(find_url(text)) == ["https://ｅｖｉｌ．ｃｏｍ/ｘ", "ｗｗｗ．ｅｖｉｌ．ｃｎ"]


def test_url_false_positives():
    assert find_url("报价单.xlsx 和 main.py、ASP.NET、v1.2.3、a@mail.com") == []
    assert find_url("http:// 和 https://") == []


# ---------------------------------------------------------------------------------------------
# detect: merging


def test_overlaps():
    # earliest start wins
    assert values(detect("http://bob@example.com", ALL)) == ["http://bob@example.com"]
    # same start: the longer one
    assert [(h.code, h.value) for h in detect("www.abc.com@x.com", ALL)] == [
        ("email", "www.abc.com@x.com")
    ]
    # same span: a number offered as WeChat ID is a WeChat ID
    assert [h.code for h in detect("加我微信 13812345678", ALL)] == ["wechat_id"]
    assert [h.code for h in detect("电话 13812345678", ALL)] == ["mobile"]


def test_resident_id_passing_luhn_is_an_id():
    number = next(
        n
        for n in (with_id_check(f"11010119900307{seq:03d}") for seq in range(1000))
        if n[-1] != "X" and with_luhn(n[:-1]) == n
    )
    assert [h.code for h in detect(number, ALL)] == ["id_card"]
    assert [h.code for h in detect(number, ["bank_card"])] == ["bank_card"]


def test_mixed_chinese_text():
    text = (
        f"王经理您好，我的手机 138-1234-5678，身份证{ID}，卡号 {CARD}，"
        "邮件 li@corp.cn。以后加我微信：wang_888 聊，资料在 https://pan.other.com/s/1 。"
        "公司官网 https://www.example.com 就行"
    )
    hits = detect(text, ALL, allowed_domains=["example.com"])
    assert [(h.code, h.value) for h in hits] == [
        ("mobile", "138-1234-5678"),
        ("id_card", ID),
        ("bank_card", CARD),
        ("email", "li@corp.cn"),
        ("wechat_id", "wang_888"),
        ("url", "https://pan.other.com/s/1"),
    ]
    assert all(text[h.start : h.end] == h.value for h in hits)
    assert detect(text, ["email", "url"], allowed_domains=["other.com", "example.com"]) == [hits[3]]


# ---------------------------------------------------------------------------------------------
# masking


@pytest.mark.parametrize(
    ("text", "code", "masked"),
    [
        ("13812345678", "mobile", "138****5678"),
        ("+86 138-1234-5678", "mobile", "+86 138-****-5678"),
        ("１３８１２３４５６７８", "mobile", "１３８****５６７８"),
        ("6222 0202 0000 1234", "bank_card", "6222 **** **** 1234"),
        ("6222020200001234", "bank_card", "6222********1234"),
        ("6222-0202-0000-0000-123", "bank_card", "6222-****-****-***0-123"),
        ("11010519491231002X", "id_card", "110105********002X"),
        ("abcd@example.com", "email", "a***@example.com"),
        ("a@example.com", "email", "a@example.com"),
        ("wxabc1239", "wechat_id", "wx******9"),
        ("13812345678", "wechat_id", "138****5678"),
        ("https://evil.com/a", "url", "https://evil.com/a"),
    ],
)
def test_mask_outputs(text, code, masked):
    hits = [Hit(code, 0, len(text), text)]
    assert mask(text, hits) == masked
    assert len(mask(text, hits)) == len(text)


def test_mask_in_context_and_spans():
    text = f"电话13812345678，卡{CARD}，邮箱 bob@x.cn，链接 http://a.cn"
    hits = detect(text, ALL)
    masked = mask(text, hits)
    assert masked == f"电话138****5678，卡6222********{CARD[-4:]}，邮箱 b**@x.cn，链接 http://a.cn"
    spans = mask_spans(text, hits)
    card, bob = text.index(CARD), text.index("bob")
    assert spans == [(5, 9), (card + 4, card + 12), (bob + 1, bob + 3)]
    assert all(set(masked[a:b]) == {"*"} for a, b in spans)
    assert mask(text, []) == text and mask_spans(text, []) == []
    grouped = "6222 0202 0000 1234"
    assert mask_spans(grouped, [Hit("bank_card", 0, 19, grouped)]) == [(5, 9), (10, 14)]


# ---------------------------------------------------------------------------------------------
# property: never raises, hits are sane, masking keeps the length

ALPHABET = [
    *"0123456789" * 4,
    *"13862 --+.@:/_xX",
    "abc",
    "wx",
    "vx",
    "www.",
    "http://",
    ".com",
    ".cn",
    "微信",
    "加我微信：",
    "你好",
    "。",
    "，",
    "８",
    "１",
    "ａ",
    "＠",
    CARD,
    ID,
    "13812345678",
]


def test_random_strings():
    rng, seen = random.Random(20240518), set()
    for _ in range(3000):
        text = "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 30)))
        allowed = rng.choice([(), ("example.com",), ("cn",)])
        for codes in (ALL, (rng.choice(ALL),)):
            hits = detect(text, codes, allowed_domains=allowed)
            reached = 0
            for hit in hits:
                assert reached <= hit.start < hit.end <= len(text)
                assert hit.value == text[hit.start : hit.end] and hit.code in codes
                reached = hit.end
                seen.add(hit.code)
            masked = mask(text, hits)
            assert len(masked) == len(text)
            for start, end in mask_spans(text, hits):
                assert set(masked[start:end]) == {"*"}
    assert seen == set(ALL)  # the strings do exercise every detector
