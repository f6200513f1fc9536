"""数据报表: the dashboard's one screen query and the lists behind its numbers.

Everything is read from the statistics the pipeline keeps (wecom.stat.member.day, and the
chats' days through wecom.dashboard.chat), as the user: record rules apply, so an archive
admin's dashboard counts their scope only, and each number's drill-down lists, under the
same rules, exactly the rows it counts."""

from collections import Counter, defaultdict
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.osv import expression
from odoo.tools import SQL

from ..lib.stats import NOT_COUNTED_TYPES, day_bounds
from .wecom_conversation import KINDS
from .wecom_viewer_actions import viewer_action

TOP = 10  # members per ranking
MAX_DAYS = 366  # the longest range (and previous period) one call reads
# The KPIs in the order the screen shows them, and which way is good news.
BETTER = {
    "messages": "up",
    "active_members": "up",
    "active_customers": "up",
    "customers_added": "up",
    "customers_lost": "down",
    "violations": "down",
    "first_reply": "down",
    "reply_rate": "up",
}
# The members' counters the KPIs and the trend add up (wecom.stat.member.day).
MEMBER_SUMS = (
    "sent_external",
    "received_external",
    "customers_added",
    "customers_lost",
    "violation_count",
    "first_reply_count",
    "first_reply_seconds",
    "customers_wrote",
    "customers_answered",
)


RANKING_SUMS = (
    "sent_count",
    "first_reply_count",
    "first_reply_seconds",
    "violation_count",
    "customers_lost",
)


def _minutes(seconds, replies):
    return seconds / replies / 60 if replies else None


def _percent(part, whole):
    return part * 100 / whole if whole else None


def _kpis(sums):
    """The KPIs of a period from its sums of the members' and chats' counters."""
    return {
        "messages": sums["messages"],
        "active_members": sums["active_members"],
        "active_customers": sums["customers_wrote"],
        "customers_added": sums["customers_added"],
        "customers_lost": sums["customers_lost"],
        "violations": sums["violation_count"],
        "first_reply": _minutes(sums["first_reply_seconds"], sums["first_reply_count"]),
        "reply_rate": _percent(sums["customers_answered"], sums["customers_wrote"]),
    }


def _rounded(value):
    return round(value, 1) if isinstance(value, float) else value


def _change(key, value, previous):
    """The change of a KPI against the previous period: in percent of the previous value,
    for the reply rate in percentage points; None when there is nothing to compare with."""
    if value is None or previous is None:
        return None
    if key == "reply_rate":
        return round(value - previous, 1)
    return round((value - previous) * 100 / previous, 1) if previous else None


class WecomDashboard(models.AbstractModel):
    _name = "wecom.dashboard"
    _description = "Data Reports"

    @api.model
    @api.readonly
    def dashboard(self, date_from, date_to, department_ids=None, member_ids=None):
        """What 数据报表 shows for the local days ``date_from``..``date_to`` (in each corp's
        time zone, as the statistics count them) and the employees of ``department_ids``
        (with their subdepartments) and ``member_ids``; each KPI beside its value over the
        previous period of the same length.

        The KPIs, all sums of the statistics rows the user may read (an archive admin: of the
        members, and the chats with a member, in their scope), every customer figure counted
        per employee and day, as WeCom's own statistics count them:

        - messages (消息总数): the messages, customers' included, of the chats with an
          archived member among the employees, each message once: a 1:1 chat with a customer
          has one employee, its messages are the ones they sent and received that day
          (sent_external + received_external of wecom.stat.member.day); the internal and
          group chats' are their days' message_count (wecom.stat.chat.day, one row per chat
          and day);
        - active_members (活跃员工): the employees who sent a message on a day of the range;
        - active_customers (活跃客户): the customers who wrote to an employee in their 1:1
          chat, once per employee and day (customers_wrote): the chats' days of the reply
          rate;
        - customers_added (新增客户), customers_lost (流失客户): the employees' customer
          relations begun, and ended (by either side), on a day of the range;
        - violations (违规次数): the sensitive-word hits of the employees' messages, on the
          day of the message;
        - first_reply (平均首次回复时长): in working minutes, the first replies' working
          seconds over their number (a customer's first unanswered message to the employee's
          next message in that chat, timed in the corp's working hours), on the reply's day;
        - reply_rate (回复率): in percent, the active customers answered — the employee wrote
          after them that day — over the active customers.

        ``change`` is against the previous period: in percent of its value, for the rate in
        percentage points; None when there is nothing to compare with. The trend gives the
        messages and violations of each day of the range; the rankings the top employees by
        messages sent, slowest average first reply, violations and customers lost. Three
        grouped reads of the statistics, whatever the range; nothing reads the messages."""
        date_from, date_to = self._range(date_from, date_to)
        length = (date_to - date_from).days + 1
        previous_from = date_from - timedelta(days=length)
        previous_to = date_from - timedelta(days=1)
        members = self._members(department_ids, member_ids)
        MemberDay, ChatDay = self._statistics()
        trend = {
            date_from + timedelta(days=n): {"messages": 0, "violations": 0} for n in range(length)
        }
        sums = {True: Counter(), False: Counter()}  # in the range, in the previous period
        for day, *values in MemberDay._read_group(
            [*self._days(previous_from, date_to), *self._of_members("member_id", members)],
            ["day:day"],
            [f"{name}:sum" for name in MEMBER_SUMS],
        ):
            counters = dict(zip(MEMBER_SUMS, values, strict=True))
            # a 1:1 chat with a customer is its employee's: all its messages are theirs
            counters["messages"] = counters["sent_external"] + counters["received_external"]
            sums[day >= date_from].update(counters)
            if day in trend:
                trend[day].update(
                    messages=counters["messages"], violations=counters["violation_count"]
                )
        # the internal and group chats' days, found through their chats: a few thousand, whose
        # days the index (conversation_id, day) reads without scanning the customer chats'
        for day, count in ChatDay._read_group(
            [
                *self._days(previous_from, date_to),
                ("conversation_id.kind", "in", ["internal", "group"]),
                *self._of_members("member_ids", members),
            ],
            ["day:day"],
            ["message_count:sum"],
        ):
            sums[day >= date_from]["messages"] += count
            if day in trend:
                trend[day]["messages"] += count
        ranked, sums[False]["active_members"] = self._members_sums(
            previous_from, date_from, date_to, members
        )
        sums[True]["active_members"] = sum(
            1 for _member, figures in ranked if figures["sent_count"]
        )
        current, previous = (_kpis(sums[True]), _kpis(sums[False]))
        labels = self._labels()
        return {
            "date_from": fields.Date.to_string(date_from),
            "date_to": fields.Date.to_string(date_to),
            "previous_from": fields.Date.to_string(previous_from),
            "previous_to": fields.Date.to_string(previous_to),
            "kpis": [
                {
                    "key": key,
                    "label": labels[key],
                    "value": _rounded(current[key]),
                    "previous": _rounded(previous[key]),
                    "change": _change(key, current[key], previous[key]),
                    "better": better,
                }
                for key, better in BETTER.items()
            ],
            "trend": [
                {"day": fields.Date.to_string(day), **figures} for day, figures in trend.items()
            ],
            "rankings": self._rankings(ranked),
            "departments": [
                {"id": department["id"], "name": department["complete_name"]}
                for department in self.env["wecom.department"].search_read(
                    [], ["complete_name"], order="complete_name, id"
                )
            ],
            "members": [
                {"id": member.id, "name": member.display_name}
                for member in self.env["wecom.member"].search(
                    self._members(department_ids, None), order="name, userid, id"
                )
            ],
        }

    def _members_sums(self, previous_from, date_from, date_to, members):
        """([(member id, {RANKING_SUMS counter: sum over the range})], the number of
        employees who sent a message in the previous period): the members' days of both
        periods grouped by member and period in one read (the Query of _search, record rules
        applied), half the cost of a grouped read per period."""
        MemberDay = self._statistics()[0]
        query = MemberDay._search(
            [*self._days(previous_from, date_to), *self._of_members("member_id", members)]
        )

        def column(name):
            return MemberDay._field_to_sql(query.table, name, query)

        in_range = SQL("%s >= %s", column("day"), date_from)
        query.groupby = SQL("%s, %s", column("member_id"), in_range)
        ranked, active_before = [], 0
        for member_id, current, *values in self.env.execute_query(
            query.select(
                column("member_id"),
                in_range,
                *(SQL("SUM(%s)", column(name)) for name in RANKING_SUMS),
            )
        ):
            figures = dict(zip(RANKING_SUMS, values, strict=True))
            if current:
                ranked.append((member_id, figures))
            else:
                active_before += figures["sent_count"] > 0
        return ranked, active_before

    @api.model
    @api.readonly
    def drilldown(
        self, kpi, date_from, date_to, department_ids=None, member_ids=None, member_id=None
    ):
        """The list behind a number of dashboard() with the same arguments — a KPI, or with
        ``member_id`` that employee's row of a ranking — as a window action: its rows are
        what the number counts, read under the same record rules.

        messages: the chats' days (wecom.dashboard.chat), their messages adding up to the
        number; active_members: the employees; active_customers / reply_rate: the customer
        chats' days in which the customer wrote (answered or not); first_reply: those with a
        first reply (their seconds over their replies give the figure); customers_added /
        customers_lost: the customer relations (wecom.contact.follow); violations: the
        violations; sent (a ranking's messages): the messages the employee sent. Each row
        opens the chat viewer."""
        date_from, date_to = self._range(date_from, date_to)
        members = self._members(department_ids, member_ids)
        if member_id:
            members = [*members, ("id", "=", int(member_id))]
        MemberDay = self._statistics()[0]
        days = self._days(date_from, date_to)
        if kpi == "messages":
            action = self._chat_days_action(days + self._of_members("member_ids", members))
        elif kpi in ("active_customers", "reply_rate"):
            action = self._chat_days_action(
                self._customer_chats(date_from, date_to, members),
                view="wecom_archive.wecom_dashboard_chat_view_list_replies",
            )
        elif kpi == "first_reply":
            action = self._chat_days_action(
                [
                    *days,
                    ("first_reply_count", ">", 0),
                    *self._of_members("member_id", members, required=True),
                ],
                view="wecom_archive.wecom_dashboard_chat_view_list_replies",
            )
        elif kpi == "active_members":
            active = MemberDay._read_group(
                [*days, ("sent_count", ">", 0), *self._of_members("member_id", members)],
                ["member_id"],
            )
            action = self._window("wecom_archive.wecom_member_action")
            action["domain"] = [("id", "in", [member.id for (member,) in active])]
            action["context"] = {"active_test": False}  # who left since counts too
        elif kpi in ("customers_added", "customers_lost"):
            field = "added_on" if kpi == "customers_added" else "removed_on"
            state = [("state", "=", "former")] if kpi == "customers_lost" else []
            action = self._window("wecom_archive.wecom_dashboard_follow_action")
            action["domain"] = expression.AND(
                [
                    state + self._of_members("member_id", members),
                    self._moments(field, date_from, date_to),
                ]
            )
        elif kpi in ("violations", "sent"):
            counter = "violation_count" if kpi == "violations" else "sent_count"
            senders = MemberDay._read_group(
                [*days, (counter, ">", 0), *self._of_members("member_id", members)],
                ["member_id"],
            )
            userids = defaultdict(list)
            for (member,) in senders:
                userids[member.corp_id.id].append(member.userid)
            by_sender = expression.OR(
                [[("corp_id", "=", corp), ("sender", "in", ids)] for corp, ids in userids.items()]
            )
            when = self._moments("msgtime", date_from, date_to)
            if kpi == "violations":
                action = self._window("wecom_archive.wecom_violation_action")
                action["domain"] = expression.AND([by_sender, when])
            else:
                action = self._window("wecom_archive.wecom_message_action")
                action["domain"] = expression.AND(
                    [
                        [
                            ("conversation_id", "!=", False),
                            ("state", "=", "done"),
                            ("action", "=", "send"),
                            ("msgtype", "not in", list(NOT_COUNTED_TYPES)),
                        ],
                        by_sender,
                        when,
                    ]
                )
        else:
            raise UserError(self.env._("Unknown figure: %s", kpi))
        figure = self._labels()[kpi]
        if member_id:
            figure = self.env._(
                "%(figure)s of %(employee)s",
                figure=figure,
                employee=self.env["wecom.member"].browse(int(member_id)).display_name,
            )
        # the breadcrumb shows the display name of the action it is given
        action["name"] = action["display_name"] = self.env._(
            "%(figure)s, %(date_from)s – %(date_to)s",
            figure=figure,
            date_from=fields.Date.to_string(date_from),
            date_to=fields.Date.to_string(date_to),
        )
        return action

    # -- helpers ---------------------------------------------------------------------------------
    def _labels(self):
        """The names of the figures: the KPIs', and the messages an employee sent."""
        _ = self.env._
        return {
            "messages": _("Message Total"),
            "active_members": _("Active Employees"),
            "active_customers": _("Active Customers"),
            "customers_added": _("New Customers"),
            "customers_lost": _("Lost Customers"),
            "violations": _("Sensitive-Word Hits"),
            "first_reply": _("Average First Reply Time"),
            "reply_rate": _("Reply Rate"),
            "sent": _("Sent Messages"),
        }

    def _statistics(self):
        """The members' and the chats' days, read as the user; the employees who left
        since (archived members) are counted and filtered on like the others."""
        return (
            self.env["wecom.stat.member.day"].with_context(active_test=False),
            self.env["wecom.dashboard.chat"].with_context(active_test=False),
        )

    def _range(self, date_from, date_to):
        date_from, date_to = fields.Date.to_date(date_from), fields.Date.to_date(date_to)
        if not date_from or not date_to or date_from > date_to:
            raise UserError(self.env._("Choose a start date on or before the end date."))
        if (date_to - date_from).days >= MAX_DAYS:
            raise UserError(self.env._("Choose a range of %s days at most.", MAX_DAYS))
        return date_from, date_to

    @staticmethod
    def _members(department_ids, member_ids):
        """The filter as a domain on wecom.member (empty: every employee)."""
        domain = []
        if member_ids:
            domain.append(("id", "in", [int(id_) for id_ in member_ids]))
        if department_ids:
            domain.append(("department_ids", "child_of", [int(id_) for id_ in department_ids]))
        return domain

    @staticmethod
    def _of_members(field, members, required=False):
        """Rows whose ``field`` (a member, or a chat's members) matches the filter."""
        if members:
            return [(field, "any", members)]
        return [(field, "!=", False)] if required else []

    @staticmethod
    def _days(date_from, date_to):
        return [("day", ">=", date_from), ("day", "<=", date_to)]

    def _customer_chats(self, date_from, date_to, members):
        """The days of the range on which a customer wrote in a 1:1 chat with an employee of
        the filter: what the members' days count as customers_wrote."""
        return [
            *self._days(date_from, date_to),
            ("customer_wrote", "=", True),
            *self._of_members("member_id", members, required=True),
        ]

    def _moments(self, field, date_from, date_to):
        """``field`` (a UTC datetime) within the local days, in each corp's time zone."""
        domains = []
        for corp in self.env["wecom.corp"].with_context(active_test=False).search([]):
            tz = corp._stat_tz()
            domains.append(
                [
                    ("corp_id", "=", corp.id),
                    (field, ">=", fields.Datetime.to_string(day_bounds(date_from, tz)[0])),
                    (field, "<", fields.Datetime.to_string(day_bounds(date_to, tz)[1])),
                ]
            )
        return expression.OR(domains)

    def _rankings(self, ranked):
        """The top employees of each ranking, from (member id, {counter: sum}) rows; ties
        by member id. Only the ranked employees' names are read."""

        def top(value_of):
            scored = [(_rounded(value_of(sums)), member_id) for member_id, sums in ranked]
            return sorted(((v, m) for v, m in scored if v), key=lambda p: (-p[0], p[1]))[:TOP]

        tops = {
            "sent": top(lambda sums: sums["sent_count"]),
            "first_reply": top(
                lambda sums: _minutes(sums["first_reply_seconds"], sums["first_reply_count"])
            ),
            "violations": top(lambda sums: sums["violation_count"]),
            "customers_lost": top(lambda sums: sums["customers_lost"]),
        }
        named = {member_id for rows in tops.values() for _value, member_id in rows}
        names = {
            member.id: member.display_name
            for member in self.env["wecom.member"]
            .with_context(active_test=False)
            .browse(sorted(named))
        }
        return {
            ranking: [
                {"member_id": member_id, "name": names[member_id], "value": value}
                for value, member_id in rows
            ]
            for ranking, rows in tops.items()
        }

    def _window(self, xml_id):
        action = self.env["ir.actions.act_window"]._for_xml_id(xml_id)
        action["context"] = {}
        return action

    def _chat_days_action(self, domain, view="wecom_archive.wecom_dashboard_chat_view_list"):
        action = self._window("wecom_archive.wecom_dashboard_chat_action")
        action["domain"] = domain
        action["views"] = [(self.env.ref(view).id, "list")]
        return action


class WecomDashboardChat(models.Model):
    """A chat's day as the dashboard counts it and lists it behind its numbers: the chats'
    days the pipeline keeps (wecom.stat.chat.day), in an archive admin's scope when one of
    the chat's archived members is."""

    _name = "wecom.dashboard.chat"
    _inherit = ["wecom.archived.data"]
    _description = "Chat Day"
    _auto = False
    _order = "day desc, message_count desc, id desc"

    conversation_id = fields.Many2one("wecom.conversation", "Chat", readonly=True)
    kind = fields.Selection(KINDS, readonly=True)
    member_id = fields.Many2one(
        "wecom.member",
        "Employee",
        readonly=True,
        help="The employee of a 1:1 chat with a customer.",
    )
    member_ids = fields.Many2many(related="conversation_id.member_ids", string="Archived Members")
    corp_id = fields.Many2one("wecom.corp", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    day = fields.Date("Date", readonly=True)
    message_count = fields.Integer("Messages of the Day", readonly=True, aggregator="sum")
    customer_message_count = fields.Integer("Customer Messages", readonly=True, aggregator="sum")
    violation_count = fields.Integer("Violation Hits", readonly=True, aggregator="sum")
    customer_wrote = fields.Boolean("Customer Wrote", readonly=True)
    answered = fields.Boolean(
        readonly=True, help="The employee wrote after the customer's messages that day."
    )
    first_reply_count = fields.Integer("First Replies", readonly=True, aggregator="sum")
    first_reply_seconds = fields.Integer(
        "First Reply Time (s)", readonly=True, aggregator="sum", help="In working seconds."
    )
    last_msgtime = fields.Datetime("Last Message", readonly=True)

    @property
    def _table_query(self):
        return SQL(
            """SELECT d.id, d.conversation_id, d.kind, d.member_id, c.corp_id, c.company_id,
                      d.day, d.message_count, d.customer_message_count, d.violation_count,
                      d.customer_wrote, d.answered, d.first_reply_count, d.first_reply_seconds,
                      d.last_msgtime
                 FROM wecom_stat_chat_day d JOIN wecom_conversation c ON c.id = d.conversation_id"""
        )

    def action_open_viewer(self):
        self.ensure_one()
        return viewer_action(self.env, chat=self.conversation_id.id)


class WecomContactFollow(models.Model):
    _inherit = "wecom.contact.follow"

    def action_open_viewer(self):
        """The employee's chat with the customer; their chats when there is none."""
        self.ensure_one()
        chat = self.env["wecom.conversation"].search(
            [
                ("kind", "=", "external"),
                ("contact_id", "=", self.contact_id.id),
                ("member_ids", "in", self.member_id.ids),
            ],
            limit=1,
        )
        if chat:
            return viewer_action(self.env, chat=chat.id, member=self.member_id.id)
        return viewer_action(self.env, member=self.member_id.id, tab="external")
