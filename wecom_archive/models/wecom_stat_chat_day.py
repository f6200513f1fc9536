import dataclasses
from collections import Counter, defaultdict
from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

from ..lib import pgarray
from ..lib.normalize import conversation_key, id_kind
from ..lib.stats import NOT_COUNTED_TYPES, ChatDay, LocalDays, counted, day_bounds, fold
from .wecom_conversation import KINDS
from .wecom_message import _ms_to_datetime
from .wecom_stat_member_day import copy_rows

# The stored columns of a chat's day, as lib.stats.ChatDay holds them, and their types.
_CELL_COLUMNS = {
    "waiting_in": "timestamp",
    "waiting_since": "timestamp",
    "message_count": "int",
    "customer_message_count": "int",
    "speaker_count": "int",
    "speakers": "jsonb",
    "first_sender": "varchar",
    "last_msgtime": "timestamp",
    "last_message_id": "int",
    "customer_wrote": "bool",
    "answered": "bool",
    "unanswered": "int",
    "first_reply_count": "int",
    "first_reply_seconds": "int",
}
# A written row: the chat's day, its kind and member, then _CELL_COLUMNS.
_ROW_COLUMNS = {
    "conversation_id": "int",
    "day": "date",
    "kind": "varchar",
    "member_id": "int",
    **_CELL_COLUMNS,
}

# The column types whose values an array literal quotes (lib.pgarray.literal; the others
# are written as they print: lib.pgarray.numbers).
_QUOTED = {"varchar", "timestamp", "jsonb"}
# The message counters of a member's day, and the total each one adds to.
_TOTAL_OF = {
    f"{way}_{kind}": f"{way}_count" for way in ("sent", "received") for kind, _label in KINDS
}
_SENT = {kind: f"sent_{kind}" for kind, _label in KINDS}
_RECEIVED = {kind: f"received_{kind}" for kind, _label in KINDS}


def _cell_values(cell):
    """A ChatDay as the values of _CELL_COLUMNS (the speakers a sorted list)."""
    return (
        cell.waiting_in,
        cell.waiting_since,
        cell.message_count,
        cell.customer_message_count,
        len(cell.speakers),
        sorted(cell.speakers),
        cell.first_sender,
        cell.last_time,
        cell.last_id,
        cell.customer_wrote,
        cell.answered,
        cell.unanswered,
        cell.reply_count,
        cell.reply_seconds,
    )


def _cell_from_row(row):
    """A ChatDay from the values of _CELL_COLUMNS (speaker_count left out)."""
    (waiting_in, waiting_since, messages, customer_messages, _speaker_count, speakers) = row[:6]
    first_sender, last_time, last_id, wrote, answered, unanswered, replies, seconds = row[6:]
    return ChatDay(
        waiting_in=waiting_in,
        waiting_since=waiting_since,
        message_count=messages,
        customer_message_count=customer_messages,
        speakers=set(speakers or ()),
        first_sender=first_sender,
        last_time=last_time,
        last_id=last_id,
        customer_wrote=wrote,
        answered=answered,
        unanswered=unanswered,
        reply_count=replies,
        reply_seconds=seconds,
    )


def _customer_counters(cell):
    """What a chat's day with a customer counts for its member."""
    return {
        "customers_wrote": int(cell.customer_wrote),
        "customers_answered": int(cell.answered),
        "unanswered_count": cell.unanswered,
        "first_reply_count": cell.reply_count,
        "first_reply_seconds": cell.reply_seconds,
    }


def _message_totals(totals, messages, members):
    """Add to ``totals`` — {(member, day): Counter} — what messages — (chat kind, local
    day, sender, the ids of their archived members) — count on the members' days: sent by
    their sender, when a member (``members``: {userid: member id or None}), received by
    their other members."""
    counts = Counter()
    for kind, day, sender, member_ids in messages:
        sender_id = members.get(sender)
        if sender_id:
            counts[sender_id, day, _SENT[kind]] += 1
        received = _RECEIVED[kind]
        for member_id in member_ids:
            if member_id != sender_id:
                counts[member_id, day, received] += 1
    for (member_id, day, counter), count in counts.items():
        totals[member_id, day][counter] += count
        totals[member_id, day][_TOTAL_OF[counter]] += count


class WecomStatChatDay(models.Model):
    """One chat's statistics of one local day, and the state the chat's next messages need
    (the customer's wait carried into the next day): kept by the pipeline in each batch's
    transaction, under the corp's pipeline lock. Not shown as such: the group chat
    statistics (wecom.stat.group.day) and the members' days are read from it."""

    _name = "wecom.stat.chat.day"
    _description = "Chat Statistics per Day"
    _order = "day desc, id desc"
    _log_access = False

    conversation_id = fields.Many2one(
        "wecom.conversation", required=True, readonly=True, ondelete="cascade"
    )
    kind = fields.Selection(KINDS, required=True, readonly=True)
    member_id = fields.Many2one(
        "wecom.member", readonly=True, help="The member of a 1:1 chat with a customer."
    )
    day = fields.Date(required=True, readonly=True)
    waiting_in = fields.Datetime(readonly=True, help="The customer's wait open at day start.")
    waiting_since = fields.Datetime(readonly=True, help="The customer's wait open at day end.")
    message_count = fields.Integer(readonly=True)
    customer_message_count = fields.Integer(readonly=True)
    speaker_count = fields.Integer(readonly=True)
    speakers = fields.Json(readonly=True, help="The ids of those who wrote.")
    first_sender = fields.Char(readonly=True)
    last_msgtime = fields.Datetime(readonly=True)
    last_message_id = fields.Integer("Last Message ID", readonly=True)
    customer_wrote = fields.Boolean(readonly=True)
    answered = fields.Boolean(readonly=True)
    unanswered = fields.Integer(readonly=True)
    first_reply_count = fields.Integer(readonly=True)
    first_reply_seconds = fields.Integer(readonly=True)
    violation_count = fields.Integer("Violation Hits", readonly=True)

    _sql_constraints = [
        ("chat_day_uniq", "unique(conversation_id, day)", "One row per chat and day."),
    ]

    def init(self):
        # Rewritten at every batch that touches the chat: room on the page for the new row
        # version (a HOT update, no index entry to add). Slim rows: the corp and company are
        # the chat's (no columns, no foreign keys to check at each insert).
        self.env.cr.execute(
            SQL("ALTER TABLE %s SET (fillfactor = 70)", SQL.identifier(self._table))
        )

    # -- the pipeline's upkeep ---------------------------------------------------------------
    @api.model
    def _upkeep(self, corp, stored):
        """Count newly stored messages — (message id, lib Message, link) triples, each
        stored once — in the chats' and members' days, inside the batch's transaction: a
        replayed batch stores nothing, so it counts nothing."""
        # one pass over the batch (once per message of the pull): the chats' new messages by
        # day, and what each message counts for members
        day_of, kinds, chats = LocalDays(corp._stat_tz()), {}, {}
        by_cell, counts, senders = defaultdict(list), [], set()
        for message_id, message, (chat_id, member_ids, _departments) in stored:
            if not chat_id or not counted(message.action, message.msgtype):
                continue
            when = _ms_to_datetime(message.msgtime)
            if not when:
                continue
            sender = message.sender
            kind = kinds.get(chat_id)
            if kind is None:
                kind = kinds[chat_id] = conversation_key(message.roomid, sender, message.tolist)[0]
            day = day_of(when)
            by_cell[chat_id, day].append((when, message_id, sender))
            chats[chat_id] = (kind, member_ids[0] if kind == "external" and member_ids else None)
            counts.append((kind, day, sender, member_ids))
            senders.add(sender)
        if not counts:
            return
        old, new = self._fold_cells(corp, chats, by_cell)
        self._write_cells(corp, chats, new)
        totals = defaultdict(Counter)
        members = self._count_cells(corp, chats, old, new, totals, senders)
        _message_totals(totals, counts, members)
        self.env["wecom.stat.member.day"]._add(corp, totals)

    @api.model
    def _member_ids(self, corp, userids):
        """{userid: member id, or None when not a member of the corp} of ``userids``."""
        if not userids:
            return {}
        self.env.cr.execute(
            "SELECT userid, id FROM wecom_member WHERE corp_id = %s AND userid = ANY(%s::text[])",
            [corp.id, pgarray.literal(userids)],
        )
        return dict.fromkeys(userids) | dict(self.env.cr.fetchall())

    def _fold_cells(self, corp, chats, by_cell):
        """Fold new messages — by_cell: {(chat, day): [(time, id, sender)]} — into the
        chats' days. Returns (old, new): the chats' stored days {chat: {day: ChatDay}}, and
        the days changed {(chat, day): ChatDay}.

        A chat whose new messages all come after its last stored one (the pull's order)
        continues from its stored state; any other (a late batch, failed messages
        processed again) has the days concerned folded again from the archive."""
        schedule = corp._stat_schedule()
        days_of = defaultdict(set)
        for chat_id, day in by_cell:
            days_of[chat_id].add(day)
        old = self._last_days(list(days_of))
        new, late = {}, {}
        for chat_id, days in days_of.items():
            timeline = old.get(chat_id, {})
            last = timeline[max(timeline)] if timeline else None
            first_when, first_id, _sender = min(m for day in days for m in by_cell[chat_id, day])
            if last is not None and not last.after(first_when, first_id):
                late[chat_id] = days
                continue
            carried = last.waiting_since if last else None
            for day in sorted(days):
                if day in timeline:
                    cell = dataclasses.replace(timeline[day], speakers=set(timeline[day].speakers))
                else:
                    cell = ChatDay.start(carried)
                fold(cell, by_cell[chat_id, day], schedule, chats[chat_id][0] == "external")
                new[chat_id, day] = cell
                carried = cell.waiting_since
        if late:
            old.update(self._timelines({chat_id: min(days) for chat_id, days in late.items()}))
            self._refold(corp, late, old, new, chats, schedule)
        return old, new

    def _last_days(self, chat_ids):
        """{chat: {day: ChatDay}}: the last stored day of each chat (one index probe each):
        all a chat whose new messages come after it needs."""
        return self._read_cells(
            """SELECT d.* FROM unnest(%s::int[]) AS t(chat_id)
                CROSS JOIN LATERAL (SELECT * FROM wecom_stat_chat_day c
                                     WHERE c.conversation_id = t.chat_id
                                     ORDER BY c.day DESC LIMIT 1) d""",
            [pgarray.numbers(chat_ids)],
        )

    def _timelines(self, first_days):
        """{chat: {day: ChatDay}}: the stored days of each chat from ``first_days[chat]``
        on, and its last day before (whose open wait it carries in)."""
        return self._read_cells(
            """SELECT d.* FROM unnest(%s::int[], %s::date[]) AS t(chat_id, first_day)
                CROSS JOIN LATERAL (
                      (SELECT * FROM wecom_stat_chat_day p
                        WHERE p.conversation_id = t.chat_id AND p.day < t.first_day
                        ORDER BY p.day DESC LIMIT 1)
                      UNION ALL
                      SELECT * FROM wecom_stat_chat_day n
                       WHERE n.conversation_id = t.chat_id AND n.day >= t.first_day) d""",
            [pgarray.numbers(first_days), pgarray.numbers(first_days.values())],
        )

    def _read_cells(self, rows_query, params):
        """{chat: {day: ChatDay}} of the chats' days ``rows_query`` selects (as d.*)."""
        columns = ", ".join(f"d.{column}" for column in _CELL_COLUMNS)
        self.env.cr.execute(
            f"SELECT d.conversation_id, d.day, {columns} FROM ({rows_query}) d", params
        )
        cells = defaultdict(dict)
        for chat_id, day, *row in self.env.cr.fetchall():
            cells[chat_id][day] = _cell_from_row(row)
        return cells

    def _refold(self, corp, pending, old, new, chats, schedule):
        """Fold again, from the archive, the days ``pending`` — {chat: {day}} — and the
        chats' following days whose carried-in wait changed, until it no longer does.
        Updates ``new`` ({(chat, day): ChatDay})."""
        read = {}
        while pending:
            self._read_days(corp, pending, read)
            following = {}
            for chat_id, days in pending.items():
                timeline = old.get(chat_id, {})
                first = min(days)
                known = set(timeline) | {day for chat, day in new if chat == chat_id}
                before = [day for day in known if day < first]
                carried = (
                    self._current(chat_id, max(before), old, new).waiting_since if before else None
                )
                for day in sorted(day for day in known | days if day >= first):
                    if day in days:
                        cell = ChatDay.start(carried)
                        fold(cell, read[chat_id, day], schedule, chats[chat_id][0] == "external")
                        new[chat_id, day] = cell
                    else:
                        cell = self._current(chat_id, day, old, new)
                        if cell.waiting_in != carried:
                            following[chat_id] = {day} | {later for later in days if later > day}
                            break
                    carried = cell.waiting_since
            pending = following

    @staticmethod
    def _current(chat_id, day, old, new):
        return new.get((chat_id, day)) or old[chat_id][day]

    def _read_days(self, corp, pending, read):
        """Read into ``read`` — {(chat, day): [(time, id, sender)]} — the counted messages
        of the chats' days ``pending`` not read yet."""
        wanted = [
            (chat_id, day)
            for chat_id, days in pending.items()
            for day in days
            if (chat_id, day) not in read
        ]
        if not wanted:
            return
        bounds = [day_bounds(day, corp._stat_tz()) for _chat_id, day in wanted]
        for key in wanted:
            read[key] = []
        self.env.cr.execute(
            """SELECT w.chat_id, w.day, m.msgtime, m.id, m.sender
                 FROM unnest(%s::int[], %s::date[], %s::timestamp[], %s::timestamp[])
                      AS w(chat_id, day, lo, hi)
                 JOIN wecom_message m ON m.conversation_id = w.chat_id
                                     AND m.msgtime >= w.lo AND m.msgtime < w.hi
                WHERE m.state = 'done' AND m.action = 'send'
                  AND COALESCE(m.msgtype, '') NOT IN %s""",
            [
                pgarray.numbers([chat_id for chat_id, _day in wanted]),
                pgarray.numbers([day for _chat_id, day in wanted]),
                pgarray.literal([lo for lo, _hi in bounds]),
                pgarray.literal([hi for _lo, hi in bounds]),
                NOT_COUNTED_TYPES,
            ],
        )
        for chat_id, day, when, message_id, sender in self.env.cr.fetchall():
            read[chat_id, day].append((when, message_id, sender))

    def _write_cells(self, corp, chats, cells):
        """Store the chats' days ``cells`` ({(chat, day): ChatDay}): all but their
        violation count, which the cases' recording keeps (wecom.violation._record_cases).
        The rows go as an array literal per column (cheaper to build, send and parse than
        JSON or as many SQL literals)."""
        if not cells:
            return
        rows = [(*key, *chats[key[0]], *_cell_values(cell)) for key, cell in cells.items()]
        columns = ", ".join(_ROW_COLUMNS)
        arrays = ", ".join(f"%s::{kind}[]" for kind in _ROW_COLUMNS.values())
        updates = ", ".join(f"{column} = EXCLUDED.{column}" for column in _CELL_COLUMNS)
        self.env.cr.execute(
            f"""INSERT INTO wecom_stat_chat_day ({columns}, violation_count)
                SELECT *, 0 FROM unnest({arrays})
                ON CONFLICT (conversation_id, day) DO UPDATE SET {updates}""",
            [
                (pgarray.literal if kind in _QUOTED else pgarray.numbers)(column)
                for column, kind in zip(zip(*rows, strict=True), _ROW_COLUMNS.values(), strict=True)
            ],
        )
        self.invalidate_model()

    def _count_cells(self, corp, chats, old, new, totals, userids=()):
        """Add to ``totals`` — {(member, day): Counter} — what the changed days count for
        members, less what they counted before: chats active and started, and the customer
        chats' figures (waits, replies, unanswered messages). Returns the members of the
        days' parties and of ``userids`` (the senders of the messages counted beside), found
        in one lookup: {userid: member id or None}."""
        parties = set()
        for (chat_id, day), cell in new.items():
            before = old.get(chat_id, {}).get(day)
            parties |= cell.speakers
            parties.add(cell.first_sender)
            if before:
                parties.add(before.first_sender)
        members = self._member_ids(
            corp, {p for p in parties if p and id_kind(p) == "member"} | set(userids)
        )
        for (chat_id, day), cell in new.items():
            before = old.get(chat_id, {}).get(day)
            if before is None or before.first_sender != cell.first_sender:
                if before and members.get(before.first_sender):
                    totals[members[before.first_sender], day]["started_count"] -= 1
                if members.get(cell.first_sender):
                    totals[members[cell.first_sender], day]["started_count"] += 1
            for party in cell.speakers - (before.speakers if before else set()):
                if members.get(party):
                    totals[members[party], day]["chat_count"] += 1
            customer_member = chats[chat_id][1]
            if customer_member:
                now = _customer_counters(cell)
                then = _customer_counters(before) if before else {}
                for counter, value in now.items():
                    totals[customer_member, day][counter] += value - then.get(counter, 0)
        return members

    # -- rebuilding ------------------------------------------------------------------------------
    @api.model
    def _rebuild(self, corp, date_from, date_to):
        """Recompute a corp's statistics of local days date_from..date_to from the archive
        (delete + insert): after a change of keyword rules, working hours or time zone, or
        an upgrade. The chats' days after the range whose carried-in wait changed follow.
        The caller holds the corp's pipeline lock (wecom.stat.rebuild takes it).

        One read of the range's messages, each with its archived members; the chats' days
        folded and the members' days counted from them in Python by the upkeep's own code
        (they cannot disagree), written with COPY. Its cost is the range's, whatever the
        archive's size, and no plan depends on the tables' statistics being fresh."""
        self.env.flush_all()
        cr, tz = self.env.cr, corp._stat_tz()
        lo, hi = day_bounds(date_from, tz)[0], day_bounds(date_to, tz)[1]
        # each message with its archived members (an index probe each: a cost of the range,
        # not of the archive)
        cr.execute(
            """SELECT m.conversation_id, m.msgtime, m.id, m.sender,
                      ARRAY(SELECT r.wecom_member_id FROM wecom_message_member_rel r
                             WHERE r.wecom_message_id = m.id)
                 FROM wecom_message m
                WHERE m.corp_id = %s AND m.msgtime >= %s AND m.msgtime < %s
                  AND m.conversation_id IS NOT NULL AND m.state = 'done' AND m.action = 'send'
                  AND COALESCE(m.msgtype, '') NOT IN %s""",
            [corp.id, lo, hi, NOT_COUNTED_TYPES],
        )
        by_cell, links, day_of = defaultdict(list), [], LocalDays(tz)
        for chat_id, when, message_id, sender, member_ids in cr.fetchall():
            day = day_of(when)
            by_cell[chat_id, day].append((when, message_id, sender))
            links.append((chat_id, day, sender, member_ids))
        # The chats' last days in the range as they were: what they carried out.
        cr.execute(
            """SELECT DISTINCT ON (d.conversation_id) d.conversation_id, d.waiting_since
                 FROM wecom_stat_chat_day d JOIN wecom_conversation c ON c.id = d.conversation_id
                WHERE c.corp_id = %s AND d.day BETWEEN %s AND %s
                ORDER BY d.conversation_id, d.day DESC""",
            [corp.id, date_from, date_to],
        )
        carried_out = dict(cr.fetchall())
        cr.execute(
            """DELETE FROM wecom_stat_chat_day d USING wecom_conversation c
                WHERE c.id = d.conversation_id AND c.corp_id = %s
                  AND d.day BETWEEN %s AND %s""",
            [corp.id, date_from, date_to],
        )
        chat_ids = {chat_id for chat_id, _day in by_cell} | set(carried_out)
        chats = self._chats(chat_ids)
        # What the range's first days carry in: the chats' last days before the range (one
        # index probe each, not all their days before).
        cr.execute(
            """SELECT t.chat_id, d.waiting_since FROM unnest(%s::int[]) AS t(chat_id)
                CROSS JOIN LATERAL (SELECT p.waiting_since FROM wecom_stat_chat_day p
                                     WHERE p.conversation_id = t.chat_id AND p.day < %s
                                     ORDER BY p.day DESC LIMIT 1) d""",
            [pgarray.numbers(chat_ids), date_from],
        )
        carried_in = dict(cr.fetchall())
        carried = dict(carried_in)
        schedule = corp._stat_schedule()
        cells = {}
        for chat_id, day in sorted(by_cell):
            cell = fold(
                ChatDay.start(carried.get(chat_id)),
                by_cell[chat_id, day],
                schedule,
                chats[chat_id][0] == "external",
            )
            cells[chat_id, day] = cell
            carried[chat_id] = cell.waiting_since
        cr.execute(
            """SELECT m.conversation_id,
                      ((m.msgtime AT TIME ZONE 'UTC') AT TIME ZONE %s)::date, count(*)
                 FROM wecom_violation v JOIN wecom_message m ON m.id = v.message_id
                WHERE v.corp_id = %s AND m.msgtime >= %s AND m.msgtime < %s
                GROUP BY 1, 2""",
            [tz, corp.id, lo, hi],
        )
        violations = {(chat_id, day): count for chat_id, day, count in cr.fetchall()}
        # the range's rows were deleted: COPY, no conflict to resolve
        copy_rows(
            cr,
            "wecom_stat_chat_day",
            [*_ROW_COLUMNS, "violation_count"],
            [
                (*key, *chats[key[0]], *_cell_values(cell), violations.get(key, 0))
                for key, cell in cells.items()
            ],
        )
        # The days after the range whose carried-in wait changed are folded again.
        changed = {
            chat_id: date_to + timedelta(days=1)
            for chat_id in chat_ids
            if carried.get(chat_id)
            != (carried_out[chat_id] if chat_id in carried_out else carried_in.get(chat_id))
        }
        after = self._timelines(changed)
        pending = {
            chat_id: {min(day for day in after[chat_id] if day > date_to)}
            for chat_id in changed
            if any(day > date_to for day in after.get(chat_id, ()))
        }
        if pending:
            new, totals = {}, defaultdict(Counter)
            self._refold(corp, pending, after, new, chats, schedule)
            self._write_cells(corp, chats, new)
            self._count_cells(corp, chats, after, new, totals)
            self.env["wecom.stat.member.day"]._add(corp, totals)
        # what the range's messages and chats' days count for members, as the upkeep counts it
        totals = defaultdict(Counter)
        members = self._count_cells(
            corp, chats, {}, cells, totals, {sender for _chat, _day, sender, _ids in links}
        )
        _message_totals(
            totals,
            ((chats[chat_id][0], day, sender, ids) for chat_id, day, sender, ids in links),
            members,
        )
        self.env["wecom.stat.member.day"]._recompute(corp, date_from, date_to, totals)
        self.invalidate_model()

    def _chats(self, chat_ids):
        """{chat: (kind, member of a 1:1 chat with a customer)}."""
        self.env.cr.execute(
            """SELECT c.id, c.kind, min(r.wecom_member_id) FILTER (WHERE c.kind = 'external')
                 FROM wecom_conversation c
                 LEFT JOIN wecom_conversation_member_rel r ON r.wecom_conversation_id = c.id
                WHERE c.id = ANY(%s::int[])
                GROUP BY c.id, c.kind""",
            [pgarray.numbers(chat_ids)],
        )
        return {chat_id: (kind, member_id) for chat_id, kind, member_id in self.env.cr.fetchall()}
