"""Daily chat statistics, folded message by message, and working time.

Plain Python, shared by the pipeline's upkeep (which folds a batch's new messages into the
stored state of each chat's day) and by the rebuild job (which folds a day's messages read
back from the archive): both fold the same way, so they cannot disagree.

A chat's day (:class:`ChatDay`) is the chat's messages of one local day, in (time, id)
order. In a 1:1 chat with a customer, a *wait* opens at a customer message when none is
open, and the member's next message closes it: one first reply, timed in working time
(:func:`working_seconds`), counted on the day of the reply. The wait still open at the end
of a day is carried into the chat's next day.
"""

import functools
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from .normalize import id_kind

# Messages that are no message of the chat: a recall notice (its target stays counted, it
# was delivered) and the customer's archive consent.
NOT_COUNTED_TYPES = ("agree", "disagree")


def counted(action, msgtype):
    """Whether a stored message counts in the statistics (given it belongs to a chat)."""
    return action == "send" and (msgtype or "") not in NOT_COUNTED_TYPES


@dataclass(frozen=True)
class Schedule:
    """When a corp works: local hours on some weekdays, in the corp's time zone."""

    tz: str = "Asia/Shanghai"
    weekdays: frozenset = frozenset(range(5))  # Monday is 0
    start: float = 9.0  # hours after local midnight
    end: float = 18.0


def _naive_utc(moment):
    """A naive UTC datetime (how Odoo stores them) of a naive or aware one."""
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)


def local_day(moment, tz):
    """The local date of a moment (naive = UTC) in time zone ``tz``."""
    return _naive_utc(moment).replace(tzinfo=UTC).astimezone(ZoneInfo(tz)).date()


@functools.lru_cache(maxsize=4096)
def _local_times(day, tz, hours):
    """The naive UTC datetimes of local wall-clock times of a day, in hours after
    midnight (adding to an aware datetime keeps the wall clock; 24 is the next midnight)."""
    midnight = datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(tz))
    return tuple(
        (midnight + timedelta(hours=hour)).astimezone(UTC).replace(tzinfo=None) for hour in hours
    )


def day_bounds(day, tz):
    """(start, end) of a local day as naive UTC datetimes, end excluded."""
    return _local_times(day, tz, (0.0, 24.0))


class LocalDays:
    """local_day for many moments (naive UTC) in one time zone, mostly close together
    (a batch of messages): the bounds of the last day found answer most of them."""

    def __init__(self, tz):
        self.tz = tz
        self.day, self.start, self.end = None, None, None

    def __call__(self, moment):
        if self.day is None or not self.start <= moment < self.end:
            self.day = local_day(moment, self.tz)
            self.start, self.end = day_bounds(self.day, self.tz)
        return self.day


def working_seconds(start, end, schedule):
    """Seconds of working time between two moments (naive = UTC): the overlap of
    [start, end] with the schedule's hours on its weekdays, in local time. A night or a
    weekend between a customer's message and the reply does not count."""
    start, end = _naive_utc(start), _naive_utc(end)
    if end <= start or not schedule.weekdays or schedule.end <= schedule.start:
        return 0.0
    hours = (schedule.start, schedule.end)
    day = local_day(start, schedule.tz)
    # most replies come the same day: its bounds spare a second conversion
    last = day if end < day_bounds(day, schedule.tz)[1] else local_day(end, schedule.tz)
    total = 0.0
    while day <= last:
        if day.weekday() in schedule.weekdays:
            opens, closes = _local_times(day, schedule.tz, hours)
            total += max((min(closes, end) - max(opens, start)).total_seconds(), 0.0)
        day += timedelta(days=1)
    return total


@dataclass
class ChatDay:
    """The statistics of one chat on one local day, and the state the next message needs."""

    waiting_in: datetime | None = None  # the wait open when the day began (carried in)
    waiting_since: datetime | None = None  # the wait open after the day's last message
    message_count: int = 0
    customer_message_count: int = 0
    speakers: set = field(default_factory=set)  # ids of those who wrote
    first_sender: str | None = None
    last_time: datetime | None = None
    last_id: int = 0
    customer_wrote: bool = False  # a customer message this day
    answered: bool = False  # one of them followed by a member message this day
    unanswered: int = 0  # customer messages after the member's last message of the day
    reply_count: int = 0  # waits closed this day
    reply_seconds: int = 0  # their working seconds

    @classmethod
    def start(cls, carried=None):
        """A day not folded yet, with the wait carried in from the chat's previous day."""
        return cls(waiting_in=carried, waiting_since=carried)

    def after(self, when, message_id):
        """Whether a message comes after every message folded so far."""
        return self.last_time is None or (self.last_time, self.last_id) < (when, message_id)


def fold(day, messages, schedule, customer_chat):
    """Fold messages — (time, id, sender) with time a naive UTC datetime — coming after
    every message folded into ``day`` so far; ``customer_chat``: a 1:1 chat with a
    customer, the only kind with waits and replies."""
    for when, message_id, sender in sorted(messages):
        side = id_kind(sender)
        day.message_count += 1
        day.speakers.add(sender)
        if day.first_sender is None:
            day.first_sender = sender
        day.last_time, day.last_id = when, message_id
        if side == "external":
            day.customer_message_count += 1
        if not customer_chat:
            continue
        if side == "external":
            day.customer_wrote = True
            day.unanswered += 1
            if day.waiting_since is None:
                day.waiting_since = when
        elif side == "member":
            day.answered = day.answered or day.unanswered > 0
            day.unanswered = 0
            if day.waiting_since is not None:
                day.reply_count += 1
                day.reply_seconds += round(working_seconds(day.waiting_since, when, schedule))
                day.waiting_since = None
    return day
