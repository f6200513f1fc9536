import io
import json
from collections import Counter, defaultdict
from datetime import date, datetime

from odoo import api, fields, models
from odoo.tools import SQL

from ..lib import pgarray
from ..lib.stats import day_bounds

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
            [corp.id, corp.company_id.id, *map(pgarray.numbers, zip(*rows, strict=True))],
        )
        ids = [row[0] for row in self.env.cr.fetchall()]
        if any(value < 0 for delta in totals.values() for value in delta.values()):
            # a count taken back (a chat's first sender who changed, a customer re-added)
            self.env.cr.execute(
                f"""DELETE FROM wecom_stat_member_day
                     WHERE id = ANY(%s::int[]) AND {" AND ".join(f"{c} = 0" for c in COUNTERS)}""",
                [pgarray.numbers(ids)],
            )
        self.invalidate_model()

    @api.model
    def _recompute(self, corp, date_from, date_to, totals):
        """Replace a corp's rows of local days date_from..date_to (delete + insert):
        ``totals`` — {(member id, day): Counter} — what the range's messages and chats' days
        count (wecom.stat.chat.day._rebuild counts them as the pipeline's upkeep does), with
        the violations and the customers' follow relations of the range read from the
        archive. The counts are summed in Python and the rows written with COPY: no plan
        to go wrong on tables whose statistics are stale, as they are during a rebuild."""
        tz = corp._stat_tz()
        lo, hi = day_bounds(date_from, tz)[0], day_bounds(date_to, tz)[1]
        params = {"corp": corp.id, "tz": tz, "lo": lo, "hi": hi}
        self.env.flush_all()
        cr = self.env.cr
        # Each part gives (member, day, counter, n), summed per member, day and counter.
        cr.execute(
            f"""SELECT member_id, day, counter, SUM(n) FROM (
                    SELECT mem.id AS member_id, {_local_day("m.msgtime")} AS day,
                           'violation_count' AS counter, 1 AS n
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
                       AND f.removed_on >= %(lo)s AND f.removed_on < %(hi)s) p
                GROUP BY 1, 2, 3""",
            params,
        )
        totals = defaultdict(Counter, totals)
        for member_id, day, counter, count in cr.fetchall():
            totals[member_id, day][counter] += count
        cr.execute(
            """DELETE FROM wecom_stat_member_day
                WHERE corp_id = %s AND day BETWEEN %s AND %s""",
            [corp.id, date_from, date_to],
        )
        copy_rows(
            cr,
            self._table,
            ["member_id", "day", "corp_id", "company_id", *COUNTERS],
            [
                (member_id, day, corp.id, corp.company_id.id, *(counts[c] for c in COUNTERS))
                for (member_id, day), counts in totals.items()
                if any(counts.values())
            ],
        )
        self.invalidate_model()


# COPY's text format of each type of value (a list or dict in JSON), found by the value's
# type: one lookup per value.
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_COPY_TEXT = {
    int: str,
    bool: lambda value: "t" if value else "f",
    type(None): lambda _value: "\\N",
    str: lambda value: value.translate(_COPY_ESCAPES),
    datetime: datetime.isoformat,
    date: date.isoformat,
    list: lambda value: json.dumps(value).translate(_COPY_ESCAPES),
    dict: lambda value: json.dumps(value).translate(_COPY_ESCAPES),
}


def copy_rows(cr, table, columns, rows):
    """Insert ``rows`` (tuples of ``columns``' values; a list or dict in JSON) into
    ``table`` with COPY: the bulk path of a rebuild, many times cheaper per row than
    INSERT from parameters or JSON."""
    if not rows:
        return
    text = _COPY_TEXT
    data = "".join("\t".join([text[type(value)](value) for value in row]) + "\n" for row in rows)
    cr.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", io.StringIO(data))
