"""Reply timeouts (超时未回复): which customer messages are waiting for an answer, and when a
wait has lasted too long. Plain Python, shared by the pipeline's upkeep (folding a batch's
messages into each watched chat's open wait), the rebuild (folding messages read back from
the archive) and the detection job (deciding deadlines in working time, lib.stats).

A *wait* opens at a customer message when none is open — unless the message is one of the
rule's words that need no reply (好的, 谢谢, 👍 …) — and closes at the next message of an
in-scope member: in a 1:1 chat the employee, in a group any member the rule applies to.
"""

import unicodedata
from datetime import timedelta

from .normalize import id_kind
from .stats import day_bounds, local_day, working_seconds

# What a customer may write without waiting for an answer (editable per rule).
DEFAULT_NO_REPLY_WORDS = (
    "好的,好,好滴,好嘞,谢谢,谢谢你,感谢,多谢,收到,嗯,嗯嗯,哦,知道了,明白,了解,太好了,不客气,"
    "辛苦了,OK,👍,[强],[OK],[微笑],[握手],[抱拳]"
)

# Unicode categories a no-reply word is compared without: punctuation, separators and
# control characters (好的！ is 好的), and emoji modifiers and variation selectors (👍🏻 is 👍).
_SEPARATORS = ("P", "Z", "C")
_MODIFIERS = ("Sk", "Mn")


def _ignored(ch):
    category = unicodedata.category(ch)
    return category[0] in _SEPARATORS or category in _MODIFIERS


def normalize_word(text):
    """A message or word as no-reply words are compared: without punctuation and blanks,
    case-folded."""
    return "".join(ch for ch in (text or "").casefold() if not _ignored(ch))


def _segments(text):
    """The parts of a message between punctuation and blanks, as normalize_word has them."""
    parts, part = [], []
    for ch in (text or "").casefold():
        category = unicodedata.category(ch)
        if category[0] in _SEPARATORS:
            if part:
                parts.append("".join(part))
            part = []
        elif category not in _MODIFIERS:
            part.append(ch)
    if part:
        parts.append("".join(part))
    return parts


def no_reply_words(text):
    """The set of normalised words of a rule's list (commas, '，', '、' or new lines)."""
    for separator in ("，", "、", "\n", ";", "；"):
        text = (text or "").replace(separator, ",")
    return frozenset(word for word in map(normalize_word, text.split(",")) if word)


def _compared(text):
    """(normalised text, segments) of a message, as needs_reply compares them with the
    words; None for a message without text."""
    if not text:
        return None
    segments = _segments(text)
    return "".join(segments), segments  # normalize_word(text): the segments joined


def _needs(compared, words):
    if compared is None:
        return True
    normalized, segments = compared
    if normalized in words:
        return False
    return not segments or not all(segment in words for segment in segments)


def needs_reply(text, words):
    """Whether a customer message opens a wait: anything but no-reply words — one, or
    several between punctuation (好的，谢谢！) — while a message without text (a picture, a
    voice) needs an answer."""
    return _needs(_compared(text), words)


class Openers:
    """Which of a chat's messages — (time, id, sender, text) — open a wait (a customer's
    message needing a reply), for every rule folding them: a text is normalised once, when
    a rule first asks, and the answer kept per list of no-reply words (rules mostly share
    theirs)."""

    def __init__(self, messages):
        self._messages = messages
        self._compared = [_UNSET] * len(messages)
        self._flags = {}

    def opens(self, index, words):
        """Whether message ``index`` opens a wait, for the normalised no-reply ``words``."""
        flags = self._flags.get(words)
        if flags is None:
            flags = self._flags[words] = [None] * len(self._messages)
        flag = flags[index]
        if flag is None:
            compared = self._compared[index]
            if compared is _UNSET:
                _when, _id, sender, text = self._messages[index]
                compared = self._compared[index] = (
                    _compared(text) if id_kind(sender) == "external" else False
                )
            flag = flags[index] = compared is not False and _needs(compared, words)
        return flag


_UNSET = object()


def fold(state, messages, answerers, words, openers=None):
    """Fold messages — (time, id, sender, text), in (time, id) order, coming after every
    message folded before — into a chat's wait ``state``: (since, message id) of the first
    unanswered customer message, or None. ``answerers``: the userids whose message answers;
    ``words``: the normalised no-reply words; ``openers``: Openers(messages), shared by
    the rules folding the same messages (optional). Returns (state, answers): answers are
    the waits closed, as (since, message id, answered at, answer id)."""
    opens = (openers or Openers(messages)).opens
    answers = []
    for index, (when, message_id, sender, _text) in enumerate(messages):
        if sender in answerers:
            if state is not None:
                answers.append((*state, when, message_id))
                state = None
        elif state is None and opens(index, words):
            state = (when, message_id)
    return state, answers


def waited_seconds(since, until, schedule):
    """lib.stats.working_seconds for any span: the first and last days counted by it, the
    whole days between by the schedule's daily hours (a wait of months costs no more than a
    wait of minutes: the job decides thousands of them)."""
    if until - since < timedelta(days=2):
        return working_seconds(since, until, schedule)
    first, last = local_day(since, schedule.tz), local_day(until, schedule.tz)
    if (last - first).days < 3:
        return working_seconds(since, until, schedule)
    head = working_seconds(since, day_bounds(first, schedule.tz)[1], schedule)
    tail = working_seconds(day_bounds(last, schedule.tz)[0], until, schedule)
    between = (last - first).days - 1  # whole days, first + 1 .. last - 1
    weeks, rest = divmod(between, 7)
    days = weeks * len(schedule.weekdays) + sum(
        (first + timedelta(days=1 + k)).weekday() in schedule.weekdays for k in range(rest)
    )
    daily = max(schedule.end - schedule.start, 0.0) * 3600
    return head + days * daily + tail


def waited_minutes(since, until, schedule):
    """Whole working minutes between a customer message and ``until`` (its answer, or the
    archive's high-water mark): nights, weekends and hours off do not count."""
    return int(waited_seconds(since, until, schedule) // 60)


def is_due(since, cutoff, minutes, schedule):
    """Whether a wait open since ``since`` has lasted ``minutes`` working minutes by
    ``cutoff`` — the moment up to which the archive is known to be complete."""
    return waited_seconds(since, cutoff, schedule) >= minutes * 60


class Deadlines:
    """is_due for many waits under one schedule (a batch's closed waits, of many rules):
    the working time of a span is computed once whatever the number of rules asking, and
    not at all when the span is shorter on the clock than the deadline (working time never
    exceeds it: waited_seconds counts the overlap with the working hours under two days)."""

    def __init__(self, schedule):
        self.schedule = schedule
        self._seconds = {}
        self._deadlines = {}  # minutes: as a timedelta

    def is_due(self, since, cutoff, minutes):
        span = cutoff - since
        deadline = self._deadlines.get(minutes)
        if deadline is None:
            deadline = self._deadlines[minutes] = min(timedelta(minutes=minutes), _TWO_DAYS)
        if span < deadline:
            return False
        seconds = self._seconds.get((since, cutoff))
        if seconds is None:
            seconds = self._seconds[since, cutoff] = waited_seconds(since, cutoff, self.schedule)
        return seconds >= minutes * 60


_TWO_DAYS = timedelta(days=2)
