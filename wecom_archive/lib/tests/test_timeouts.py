from datetime import datetime, timedelta

from wecom_archive.lib.stats import Schedule, working_seconds
from wecom_archive.lib.timeouts import (
    DEFAULT_NO_REPLY_WORDS,
    Deadlines,
    Openers,
    _compared,
    fold,
    is_due,
    needs_reply,
    no_reply_words,
    normalize_word,
    waited_minutes,
    waited_seconds,
)

OFFICE = Schedule()  # Asia/Shanghai, Monday to Friday, 09:00-18:00
MEMBER, OTHER, CUSTOMER = "zhangsan", "lisi", "wmCustomer01"
WORDS = no_reply_words(DEFAULT_NO_REPLY_WORDS)


def shanghai(*args):
    """A naive UTC datetime from a Shanghai wall-clock time (UTC+8)."""
    return datetime(*args) - timedelta(hours=8)


MON = (2024, 6, 3)


def test_no_reply_words_compare_without_punctuation_blanks_and_case():
    assert normalize_word(" 好的！！ ") == "好的"
    assert normalize_word("OK.") == "ok"
    assert normalize_word("👍🏻") == "👍"
    words = no_reply_words("好的，谢谢、收到\n👍, ,")
    assert words == {"好的", "谢谢", "收到", "👍"}
    assert not needs_reply("谢谢！", WORDS)
    assert not needs_reply("[强]", WORDS)
    assert not needs_reply("ok", WORDS)
    assert not needs_reply("好的，谢谢！", WORDS)  # several of them
    assert not needs_reply("不客气[微笑]", WORDS)
    assert not needs_reply("👍️", WORDS)  # with a variation selector
    assert needs_reply("好的，那什么时候发货？", WORDS)
    assert needs_reply("太好了，多少钱", WORDS)
    assert needs_reply("", WORDS)  # a picture, a voice: an answer is due


def test_fold_opens_at_the_first_customer_message_and_closes_at_an_answerer():
    m = [
        (shanghai(*MON, 10, 0), 1, CUSTOMER, "在吗"),
        (shanghai(*MON, 10, 1), 2, CUSTOMER, "想问下价格"),
        (shanghai(*MON, 10, 5), 3, OTHER, "我看看"),  # not an answerer
        (shanghai(*MON, 10, 9), 4, MEMBER, "您好"),
        (shanghai(*MON, 10, 10), 5, CUSTOMER, "好的"),  # needs no reply
        (shanghai(*MON, 10, 20), 6, CUSTOMER, "那就这样"),
    ]
    state, answers = fold(None, m, {MEMBER}, WORDS)
    assert answers == [(m[0][0], 1, m[3][0], 4)]
    assert state == (m[5][0], 6)
    # the same messages folded in two batches: the same result
    state, first = fold(None, m[:2], {MEMBER}, WORDS)
    state, second = fold(state, m[2:], {MEMBER}, WORDS)
    assert (state, first + second) == ((m[5][0], 6), answers)


def test_deadlines_in_working_minutes():
    friday = shanghai(2024, 6, 7, 17, 50)
    monday = shanghai(2024, 6, 10, 9, 19)
    assert waited_minutes(friday, monday, OFFICE) == 29  # the weekend does not count
    assert not is_due(friday, monday, 30, OFFICE)
    assert is_due(friday, monday + timedelta(minutes=1), 30, OFFICE)
    night = shanghai(*MON, 23, 0)
    assert waited_minutes(night, shanghai(2024, 6, 4, 9, 30), OFFICE) == 30  # from 09:00


def test_long_waits_count_whole_days_as_working_seconds_does():
    since = shanghai(2024, 6, 3, 17, 30)  # a Monday
    sundays = Schedule(weekdays=frozenset({6, 0}), start=8.5, end=20.0)
    for schedule in (OFFICE, sundays):
        for days in (0, 1, 2, 3, 4, 6, 7, 8, 13, 30, 95):
            until = since + timedelta(days=days, hours=days % 5, minutes=7 * days)
            assert waited_seconds(since, until, schedule) == working_seconds(since, until, schedule)


def test_openers_shared_by_rules_fold_as_each_rule_alone():
    m = [
        (shanghai(*MON, 10, 0), 1, CUSTOMER, "好的！"),
        (shanghai(*MON, 10, 1), 2, CUSTOMER, "收到"),
        (shanghai(*MON, 10, 2), 3, "wmOther02", ""),  # a picture: needs an answer
        (shanghai(*MON, 10, 5), 4, OTHER, "在吗"),  # a member: never opens
        (shanghai(*MON, 10, 9), 5, MEMBER, "您好"),
        (shanghai(*MON, 10, 10), 6, CUSTOMER, "好的，那什么时候发货？"),
    ]
    openers = Openers(m)
    for words in (WORDS, no_reply_words("收到"), frozenset()):
        for answerers in ({MEMBER}, {OTHER}, {MEMBER, OTHER}, set()):
            for state in (None, (m[0][0], 1)):
                shared = fold(state, m, answerers, words, openers)
                assert shared == fold(state, m, answerers, words)
                # the rule-by-rule reference: needs_reply on each customer message
                alone, answers = state, []
                for when, message_id, sender, text in m:
                    if sender in answerers:
                        if alone is not None:
                            answers.append((*alone, when, message_id))
                            alone = None
                    elif alone is None and sender.startswith("wm") and needs_reply(text, words):
                        alone = (when, message_id)
                assert shared == (alone, answers)
    assert [openers.opens(i, WORDS) for i in range(6)] == [False, False, True, False, False, True]
    assert [openers.opens(i, frozenset()) for i in range(6)] == [True] * 3 + [False] * 2 + [True]
    # a text is normalised in one pass: its segments joined are normalize_word's
    for text in (" 好的！！ ", "好 的", "👍🏻", "OK.", "不客气[微笑]", "好的，那什么时候发货？"):
        assert _compared(text)[0] == normalize_word(text)
    assert _compared("") is None


def test_deadlines_decide_as_is_due():
    since = shanghai(2024, 6, 7, 17, 50)  # a Friday
    sundays = Schedule(weekdays=frozenset({6, 0}), start=0.0, end=24.0)
    for schedule in (OFFICE, sundays):
        deadlines = Deadlines(schedule)
        for minutes in (1, 10, 30, 120, 600, 2880, 4320):
            for offset in (-5, 0, 9, 10, 29, 30, 31, 119, 120, 600, 2879, 2880, 2881, 5000):
                until = since + timedelta(minutes=offset)
                assert deadlines.is_due(since, until, minutes) == is_due(
                    since, until, minutes, schedule
                ), (minutes, offset)
