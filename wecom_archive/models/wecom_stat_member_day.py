from odoo import api, fields, models
from odoo.tools import SQL

from ..lib.stats import NOT_COUNTED_TYPES, day_bounds

# The counters of a member's day, all additive: a range's figure is their sum (the average
# first reply is the sum of the seconds over the sum of the replies).
COUNTERS = (
    "sent_external",
    "sent_internal",
    "sent_group",
    "sent_count",
    "received_external",
    "received_internal",
    "received_group",
    "received_count",
    "chat_count",
    "started_count",
    "customers_wrote",
    "customers_answered",
    "first_reply_count",
    "first_reply_seconds",
    "unanswered_count",
    "violation_count",
    "customers_added",
    "customers_lost",
    "deleted_by_member",
    "deleted_by_customer",
)


def _local_day(column):
    """SQL: the local date of a naive UTC timestamp column, in the %(tz)s time zone."""
    return f"(({column} AT TIME ZONE 'UTC') AT TIME ZONE %(tz)s)::date"


def _counter(string, help_text=None):
    return fields.Integer(string, readonly=True, aggregator="sum", help=help_text)


class WecomStatMemberDay(models.Model):
    """A member's statistics of one local day (corp time zone), kept by the pipeline as
    batches are stored and by the directory sync as customers come and go; rebuilt for a
    range by wecom.stat.rebuild. Read, sliced and exported with the graph, pivot and list
    views: no screen scans the message table."""

    _name = "wecom.stat.member.day"
    _inherit = ["wecom.archived.data"]
    _description = "Member Statistics per Day"
    _order = "day desc, member_id"
    _log_access = False

    member_id = fields.Many2one(
        "wecom.member", string="Member", required=True, readonly=True, ondelete="cascade"
    )
    department_id = fields.Many2one(
        related="member_id.main_department_id", string="Main Department"
    )
    corp_id = fields.Many2one("wecom.corp", required=True, readonly=True, ondelete="cascade")
    company_id = fields.Many2one("res.company", required=True, readonly=True)
    day = fields.Date("Date", required=True, readonly=True, index=True)
    sent_external = _counter("Sent in Customer Chats")
    sent_internal = _counter("Sent in Internal Chats")
    sent_group = _counter("Sent in Group Chats")
    sent_count = _counter("Messages Sent")
    received_external = _counter("Received in Customer Chats")
    received_internal = _counter("Received in Internal Chats")
    received_group = _counter("Received in Group Chats")
    received_count = _counter("Messages Received")
    chat_count = _counter("Active Chats", "Chats in which the member sent a message that day.")
    started_count = _counter(
        "Chats Started", "Chats whose first message of the day the member sent (主动发起)."
    )
    customers_wrote = _counter(
        "Customers Who Wrote", "Customers who wrote to the member in a 1:1 chat that day."
    )
    customers_answered = _counter(
        "Customers Answered",
        "Customers who wrote that day and had a reply from the member later that day.",
    )
    first_reply_count = _counter(
        "First Replies",
        "Replies that day to a customer who was waiting: from the customer's first "
        "unanswered message to the member's next message in that chat.",
    )
    first_reply_seconds = _counter(
        "First Reply Time (s)", "The first replies' waiting time, in working seconds."
    )
    first_reply_avg = fields.Float(
        "Average First Reply (min)",
        compute="_compute_first_reply_avg",
        aggregator="avg",
        digits=(16, 1),
        help="In working minutes: nights and weekends outside the corp's working hours "
        "do not count.",
    )
    unanswered_count = _counter(
        "Unanswered at Day End",
        "Customer messages of that day after the member's last message in the chat.",
    )
    violation_count = _counter("Violation Hits", "Sensitive-word hits of the member's messages.")
    customers_added = _counter("Customers Added")
    customers_lost = _counter("Customers Lost")
    deleted_by_member = _counter(
        "Customers Deleted by Member", "The member deleted the customer (as WeCom said)."
    )
    deleted_by_customer = _counter(
        "Member Deleted by Customers", "The customer deleted the member (as WeCom said)."
    )

    _sql_constraints = [
        ("member_day_uniq", "unique(member_id, day)", "One row per member and day."),
    ]

    def init(self):
        # Updated at every batch that touches the member's day: room on the page for the
        # new row version (a HOT update, no index entry to add).
        self.env.cr.execute(
            SQL("ALTER TABLE %s SET (fillfactor = 70)", SQL.identifier(self._table))
        )

    @api.depends("member_id", "day")
    def _compute_display_name(self):
        for row in self:
            row.display_name = f"{row.member_id.display_name} {row.day}"

    @api.depends("first_reply_count", "first_reply_seconds")
    def _compute_first_reply_avg(self):
        for row in self:
            count = row.first_reply_count
            row.first_reply_avg = row.first_reply_seconds / 60 / count if count else 0.0

    def _read_group_select(self, aggregate_spec, query):
        # The average over any rows is their seconds over their replies, not an average of
        # averages.
        if aggregate_spec != "first_reply_avg:avg":
            return super()._read_group_select(aggregate_spec, query)
        return SQL(
            "COALESCE(SUM(%s)::float / NULLIF(SUM(%s), 0) / 60, 0)",
            self._field_to_sql(self._table, "first_reply_seconds", query),
            self._field_to_sql(self._table, "first_reply_count", query),
        )

    # -- upkeep ------------------------------------------------------------------------------
    @api.model
    def _add(self, corp, totals):
        """Add ``totals`` — {(member id, local day): {counter: delta}} — to the rows, in one
        statement. Increments: safe beside other writers (the pipeline, the sync)."""
        rows = [
            (member_id, day, *(delta.get(c, 0) for c in COUNTERS))
            for (member_id, day), delta in totals.items()
            if any(delta.values())
        ]
        if not rows:
            return
        columns = ", ".join(COUNTERS)
        arrays = ", ".join(["%s::int[]", "%s::date[]"] + ["%s::int[]"] * len(COUNTERS))
        updates = ", ".join(f"{c} = wecom_stat_member_day.{c} + EXCLUDED.{c}" for c in COUNTERS)
        self.env.cr.execute(
            f"""INSERT INTO wecom_stat_member_day (member_id, day, {columns}, corp_id, company_id)
                SELECT *, %s, %s FROM unnest({arrays})
                ON CONFLICT (member_id, day) DO UPDATE SET {updates} RETURNING id""",
            [corp.id, corp.company_id.id, *map(list, zip(*rows, strict=True))],
        )
        ids = [row[0] for row in self.env.cr.fetchall()]
        if any(value < 0 for delta in totals.values() for value in delta.values()):
            # a count taken back (a chat's first sender who changed, a customer re-added)
            self.env.cr.execute(
                f"""DELETE FROM wecom_stat_member_day
                     WHERE id = ANY(%s) AND {" AND ".join(f"{c} = 0" for c in COUNTERS)}""",
                [ids],
            )
        self.invalidate_model()

    @api.model
    def _recompute(self, corp, date_from, date_to):
        """Recompute a corp's rows of local days date_from..date_to (delete + insert) from
        the archive: messages, the chats' days (already recomputed), violations and
        customers' follow relations."""
        tz = corp._stat_tz()
        lo, hi = day_bounds(date_from, tz)[0], day_bounds(date_to, tz)[1]
        counted = """m.state = 'done' AND m.action = 'send'
                     AND COALESCE(m.msgtype, '') NOT IN %(not_counted)s
                     AND m.corp_id = %(corp)s AND m.msgtime >= %(lo)s AND m.msgtime < %(hi)s"""
        # Each part gives (member, day, counter, n); the rows are their sums.
        parts = f"""
            SELECT mem.id AS member_id, {_local_day("m.msgtime")} AS day,
                   x.counter, 1 AS n
              FROM wecom_message m
              JOIN wecom_conversation c ON c.id = m.conversation_id
              JOIN wecom_member mem ON mem.corp_id = m.corp_id AND mem.userid = m.sender
             CROSS JOIN LATERAL (VALUES ('sent_' || c.kind), ('sent_count')) x(counter)
             WHERE {counted}
            UNION ALL
            SELECT mem.id, {_local_day("m.msgtime")}, x.counter, 1
              FROM wecom_message m
              JOIN wecom_conversation c ON c.id = m.conversation_id
              JOIN wecom_message_member_rel r ON r.wecom_message_id = m.id
              JOIN wecom_member mem ON mem.id = r.wecom_member_id AND mem.userid <> m.sender
             CROSS JOIN LATERAL (VALUES ('received_' || c.kind), ('received_count')) x(counter)
             WHERE {counted}
            UNION ALL
            SELECT mem.id, cd.day, 'started_count', 1
              FROM wecom_stat_chat_day cd
              JOIN wecom_conversation c ON c.id = cd.conversation_id
              JOIN wecom_member mem ON mem.corp_id = c.corp_id AND mem.userid = cd.first_sender
             WHERE c.corp_id = %(corp)s AND cd.day BETWEEN %(date_from)s AND %(date_to)s
            UNION ALL
            SELECT mem.id, cd.day, 'chat_count', 1
              FROM wecom_stat_chat_day cd
              JOIN wecom_conversation c ON c.id = cd.conversation_id
             CROSS JOIN LATERAL jsonb_array_elements_text(cd.speakers) s(party)
              JOIN wecom_member mem ON mem.corp_id = c.corp_id AND mem.userid = s.party
             WHERE c.corp_id = %(corp)s AND cd.day BETWEEN %(date_from)s AND %(date_to)s
            UNION ALL
            SELECT cd.member_id, cd.day, x.counter, x.n
              FROM wecom_stat_chat_day cd
              JOIN wecom_conversation c ON c.id = cd.conversation_id
             CROSS JOIN LATERAL (VALUES ('customers_wrote', cd.customer_wrote::int),
                                        ('customers_answered', cd.answered::int),
                                        ('unanswered_count', cd.unanswered),
                                        ('first_reply_count', cd.first_reply_count),
                                        ('first_reply_seconds', cd.first_reply_seconds))
                   x(counter, n)
             WHERE c.corp_id = %(corp)s AND cd.day BETWEEN %(date_from)s AND %(date_to)s
               AND cd.member_id IS NOT NULL
            UNION ALL
            SELECT mem.id, {_local_day("m.msgtime")}, 'violation_count', 1
              FROM wecom_violation v
              JOIN wecom_message m ON m.id = v.message_id
              JOIN wecom_member mem ON mem.corp_id = m.corp_id AND mem.userid = m.sender
             WHERE v.corp_id = %(corp)s AND m.msgtime >= %(lo)s AND m.msgtime < %(hi)s
            UNION ALL
            SELECT f.member_id, {_local_day("f.added_on")}, 'customers_added', 1
              FROM wecom_contact_follow f
             WHERE f.corp_id = %(corp)s AND f.added_on >= %(lo)s AND f.added_on < %(hi)s
            UNION ALL
            SELECT f.member_id, {_local_day("f.removed_on")}, x.counter, 1
              FROM wecom_contact_follow f
             CROSS JOIN LATERAL (VALUES ('customers_lost'),
                                        (CASE f.removed_by
                                              WHEN 'member' THEN 'deleted_by_member'
                                              WHEN 'customer' THEN 'deleted_by_customer'
                                         END)) x(counter)
             WHERE f.corp_id = %(corp)s AND f.state = 'former' AND x.counter IS NOT NULL
               AND f.removed_on >= %(lo)s AND f.removed_on < %(hi)s"""
        sums = ", ".join(f"COALESCE(SUM(n) FILTER (WHERE counter = '{c}'), 0)" for c in COUNTERS)
        self.env.flush_all()
        cr = self.env.cr
        params = {
            "corp": corp.id,
            "company": corp.company_id.id,
            "tz": tz,
            "lo": lo,
            "hi": hi,
            "date_from": date_from,
            "date_to": date_to,
            "not_counted": NOT_COUNTED_TYPES,
        }
        cr.execute(
            """DELETE FROM wecom_stat_member_day
                WHERE corp_id = %(corp)s AND day BETWEEN %(date_from)s AND %(date_to)s""",
            params,
        )
        cr.execute(
            f"""INSERT INTO wecom_stat_member_day (member_id, day, corp_id, company_id,
                                                   {", ".join(COUNTERS)})
                SELECT member_id, day, %(corp)s, %(company)s, {sums}
                  FROM ({parts}) p
                 GROUP BY member_id, day
                HAVING SUM(n) <> 0""",
            params,
        )
        self.invalidate_model()
