import random
from datetime import date, datetime, timedelta

import pytest

from wecom_archive.lib.stats import (
    ChatDay,
    LocalDays,
    Schedule,
    counted,
    day_bounds,
    fold,
    local_day,
    working_seconds,
)

OFFICE = Schedule()  # Asia/Shanghai, Monday to Friday, 09:00-18:00
ALWAYS = Schedule(weekdays=frozenset(range(7)), start=0.0, end=24.0)
MEMBER, CUSTOMER = "zhangsan", "wmCustomer01"


def shanghai(*args):
    """A naive UTC datetime from a Shanghai wall-clock time (UTC+8, no DST)."""
    return datetime(*args) - timedelta(hours=8)


# 2024-06-03 is a Monday.
@pytest.mark.parametrize(
    ("start", "end", "seconds"),
    [
        ((2024, 6, 3, 10, 0), (2024, 6, 3, 10, 5), 300),  # within the hours
        ((2024, 6, 3, 7, 0), (2024, 6, 3, 9, 30), 1800),  # before opening
        ((2024, 6, 3, 17, 0), (2024, 6, 4, 10, 0), 7200),  # over a night
        ((2024, 6, 3, 23, 50), (2024, 6, 4, 0, 10), 0),  # over midnight, all at night
        ((2024, 6, 3, 23, 50), (2024, 6, 4, 9, 10), 600),  # night, then the morning
        ((2024, 6, 7, 17, 30), (2024, 6, 10, 9, 30), 3600),  # Friday to Monday
        ((2024, 6, 8, 10, 0), (2024, 6, 9, 15, 0), 0),  # a weekend
        ((2024, 6, 3, 9, 0), (2024, 6, 10, 9, 0), 5 * 9 * 3600),  # a whole week
        ((2024, 6, 3, 10, 0), (2024, 6, 3, 9, 0), 0),  # end before start
    ],
)
def test_working_seconds(start, end, seconds):
    assert working_seconds(shanghai(*start), shanghai(*end), OFFICE) == seconds


def test_working_seconds_all_day_is_wall_clock_time():
    start, end = shanghai(2024, 6, 7, 23, 50), shanghai(2024, 6, 9, 0, 10)
    assert working_seconds(start, end, ALWAYS) == (end - start).total_seconds()


def test_working_seconds_takes_aware_times_and_other_zones():
    berlin = Schedule(tz="Europe/Berlin", weekdays=frozenset(range(7)), start=0.0, end=24.0)
    # The night DST began in Berlin (2024-03-31) has 23 hours, in local days as in UTC.
    start, end = datetime(2024, 3, 30, 23, 0), datetime(2024, 3, 31, 22, 0)  # naive UTC
    assert working_seconds(start, end, berlin) == 23 * 3600
    office = Schedule(tz="Europe/Berlin")
    # Monday 2024-06-03 06:00-07:00 UTC is 08:00-09:00 in Berlin (CEST): before opening.
    assert working_seconds(datetime(2024, 6, 3, 6, 0), datetime(2024, 6, 3, 7, 0), office) == 0
    aware = datetime.fromisoformat("2024-06-03T10:00:00+02:00")
    assert working_seconds(aware, aware + timedelta(minutes=30), office) == 1800


def test_no_working_day_counts_nothing():
    never = Schedule(weekdays=frozenset())
    assert working_seconds(shanghai(2024, 6, 3, 10), shanghai(2024, 6, 4, 10), never) == 0


def test_local_days():
    # 23:30 in Shanghai is 15:30 UTC the same day; 00:30 is the previous day in UTC.
    assert local_day(shanghai(2024, 6, 3, 23, 30), "Asia/Shanghai") == date(2024, 6, 3)
    assert local_day(shanghai(2024, 6, 4, 0, 30), "Asia/Shanghai") == date(2024, 6, 4)
    assert day_bounds(date(2024, 6, 4), "Asia/Shanghai") == (
        datetime(2024, 6, 3, 16, 0),
        datetime(2024, 6, 4, 16, 0),
    )


def test_local_days_of_many_moments():
    days = LocalDays("Asia/Shanghai")
    rng = random.Random(7)
    moments = sorted(
        shanghai(2024, 6, 3) + timedelta(minutes=rng.randrange(5000)) for _ in range(300)
    )
    for moment in [*moments, *reversed(moments)]:
        assert days(moment) == local_day(moment, "Asia/Shanghai")


def test_counted_messages():
    assert counted("send", "text")
    assert counted("send", "")
    assert not counted("recall", "revoke")
    assert not counted("send", "agree")
    assert not counted("send", "disagree")


def customer_day(messages, carried=None):
    return fold(ChatDay.start(carried), messages, OFFICE, customer_chat=True)


def test_a_customer_day():
    day = customer_day(
        [
            (shanghai(2024, 6, 3, 9, 55), 1, MEMBER),  # the member opens the day
            (shanghai(2024, 6, 3, 10, 0), 2, CUSTOMER),
            (shanghai(2024, 6, 3, 10, 1), 3, CUSTOMER),  # same wait
            (shanghai(2024, 6, 3, 10, 10), 4, MEMBER),  # replies after 10 minutes
            (shanghai(2024, 6, 3, 10, 11), 5, MEMBER),  # not a first reply
            (shanghai(2024, 6, 3, 17, 50), 6, CUSTOMER),
            (shanghai(2024, 6, 3, 21, 0), 7, CUSTOMER),  # left for tomorrow
        ]
    )
    assert day.message_count == 7
    assert day.customer_message_count == 4
    assert day.first_sender == MEMBER
    assert day.speakers == {MEMBER, CUSTOMER}
    assert (day.customer_wrote, day.answered, day.unanswered) == (True, True, 2)
    assert (day.reply_count, day.reply_seconds) == (1, 600)
    assert day.waiting_since == shanghai(2024, 6, 3, 17, 50)
    # The next morning: the wait carried over closes at 09:20, 10 + 20 working minutes.
    tomorrow = customer_day([(shanghai(2024, 6, 4, 9, 20), 8, MEMBER)], day.waiting_since)
    assert (tomorrow.reply_count, tomorrow.reply_seconds) == (1, 1800)
    assert (tomorrow.customer_wrote, tomorrow.answered, tomorrow.unanswered) == (False, False, 0)
    assert tomorrow.waiting_in == shanghai(2024, 6, 3, 17, 50)
    assert tomorrow.waiting_since is None


def test_a_customer_without_reply():
    day = customer_day([(shanghai(2024, 6, 3, 10, 0), 1, CUSTOMER)])
    assert (day.customer_wrote, day.answered, day.unanswered, day.reply_count) == (
        True,
        False,
        1,
        0,
    )


def test_group_and_internal_chats_have_no_waits():
    day = fold(
        ChatDay.start(),
        [(shanghai(2024, 6, 3, 10), 1, CUSTOMER), (shanghai(2024, 6, 3, 11), 2, MEMBER)],
        OFFICE,
        customer_chat=False,
    )
    assert (day.message_count, day.customer_message_count, len(day.speakers)) == (2, 1, 2)
    assert (day.customer_wrote, day.unanswered, day.reply_count, day.waiting_since) == (
        False,
        0,
        0,
        None,
    )


def test_folding_in_batches_equals_folding_at_once():
    """What the upkeep does (fold each batch into the stored state) gives what the rebuild
    does (fold the whole day), however the day is cut into batches."""
    rng = random.Random(13)
    for _round in range(200):
        start = shanghai(2024, 6, 3, rng.randrange(24))
        messages = sorted(
            (start + timedelta(minutes=rng.randrange(600)), n, rng.choice((MEMBER, CUSTOMER)))
            for n in range(rng.randrange(1, 30))
        )
        carried = rng.choice((None, start - timedelta(hours=3)))
        whole = customer_day(messages, carried)
        cuts = sorted(rng.sample(range(len(messages) + 1), k=min(3, len(messages) + 1)))
        day = ChatDay.start(carried)
        for lo, hi in zip([0, *cuts], [*cuts, len(messages)], strict=True):
            assert all(day.after(when, n) for when, n, _sender in messages[lo:hi])
            fold(day, messages[lo:hi], OFFICE, customer_chat=True)
        assert day == whole
