"""巡检周报: each member's inspection figures per ISO week (Monday to Sunday, in the corp's
statistics time zone), read from the daily statistics tables and the cases, never from the
message table. Two SQL-view reports (like Odoo's im_livechat/report): one row per member and
week, and its violations per rule; listed, pivoted and exported to Excel with Odoo's views,
under the scope rules of the member statistics."""

from odoo import fields, models, tools
from odoo.tools import SQL

from .wecom_corp import STAT_TZ
from .wecom_violation import KINDS_OF_CASE

# A case's week: the ISO week of its time in its corp's statistics time zone. A case closed
# as a false positive (误报) counts for nothing.
_CASE_WEEKS = SQL(
    """SELECT v.id, v.member_id, v.rule_id, v.kind, v.corp_id,
              date_trunc('week', (v.msgtime AT TIME ZONE 'UTC')
                                 AT TIME ZONE COALESCE(c.tz, %s))::date AS week_start
         FROM wecom_violation v JOIN wecom_corp c ON c.id = v.corp_id
        WHERE v.member_id IS NOT NULL AND v.msgtime IS NOT NULL
          AND v.state != 'false_positive'""",
    STAT_TZ,
)
_ISO_WEEK = "to_char(%s, 'IYYY-\"W\"IW')"
# The Monday of a date's ISO week: an immutable expression, indexed on the statistics tables
# so that a week's rows are read through the index (the report's filter is pushed down).
_MONDAY = "(day - (EXTRACT(ISODOW FROM day)::int - 1))"


def _count(string, help_text):
    return fields.Integer(string, readonly=True, aggregator="sum", help=help_text)


class WecomWeeklyReport(models.Model):
    _name = "wecom.weekly.report"
    _inherit = ["wecom.archived.data"]
    _description = "Weekly Inspection Report"
    _auto = False
    _order = "week_start desc, member_id"
    _rec_name = "week"

    week_start = fields.Date("Week Starting", readonly=True, help="The Monday of the week.")
    week = fields.Char("Week", readonly=True, help="The ISO week, as 2026-W01.")
    member_id = fields.Many2one("wecom.member", "Employee", readonly=True)
    department_id = fields.Many2one("wecom.department", "Main Department", readonly=True)
    corp_id = fields.Many2one("wecom.corp", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    customer_chats = _count(
        "Customer Chats", "Chats with a customer that had messages in the week (客户私聊数)."
    )
    group_chats = _count(
        "Active Group Chats", "Group chats the employee wrote in during the week (群聊数)."
    )
    messages_sent = _count("Messages Sent", "Messages the employee sent in the week.")
    replies = _count(
        "Replies",
        "Replies to a waiting customer: from the customer's first unanswered message to the "
        "employee's next message in that chat (回复数).",
    )
    customer_days = _count(
        "Customer Visits", "Each day a customer wrote to the employee counts once."
    )
    timeout_count = _count(
        "Timeouts", "Reply-timeout cases (超时未回复) of the week, false positives excluded."
    )
    timeout_rate = fields.Float(
        "Timeout Rate (%)",
        readonly=True,
        aggregator=False,
        digits=(16, 1),
        help="Timeouts per hundred customer visits.",
    )
    violation_count = _count(
        "Violation Cases",
        "Cases of sensitive words and behaviours of the week, false positives excluded.",
    )

    @property
    def _table_query(self):
        return SQL(
            """
            WITH days AS NOT MATERIALIZED (
                SELECT member_id, %(monday)s AS week_start,
                       sum(sent_count) AS messages_sent, sum(first_reply_count) AS replies,
                       sum(customers_wrote) AS customer_days
                  FROM wecom_stat_member_day GROUP BY 1, 2
            ), customer_chats AS NOT MATERIALIZED (
                SELECT member_id, %(monday)s AS week_start,
                       count(DISTINCT conversation_id) AS n
                  FROM wecom_stat_chat_day
                 WHERE kind = 'external' AND member_id IS NOT NULL
                 GROUP BY 1, 2
            ), group_chats AS NOT MATERIALIZED (
                SELECT r.wecom_member_id AS member_id, d.week_start,
                       count(DISTINCT d.conversation_id) AS n
                  FROM (SELECT conversation_id, speakers, %(monday)s AS week_start
                          FROM wecom_stat_chat_day WHERE kind = 'group') d
                  JOIN wecom_conversation_member_rel r
                    ON r.wecom_conversation_id = d.conversation_id
                  JOIN wecom_member m ON m.id = r.wecom_member_id
                 WHERE d.speakers ? m.userid
                 GROUP BY 1, 2
            ), cases AS NOT MATERIALIZED (
                SELECT member_id, week_start,
                       count(*) FILTER (WHERE kind = 'timeout') AS timeouts,
                       count(*) FILTER (WHERE kind != 'timeout') AS violations
                  FROM (%(cases)s) c GROUP BY 1, 2
            ), weeks AS NOT MATERIALIZED (
                SELECT member_id, week_start FROM days
                 UNION SELECT member_id, week_start FROM cases
            )
            SELECT ((w.week_start - DATE '2000-01-03') / 7)::bigint * 10000000 + w.member_id
                       AS id,
                   w.week_start, %(iso_week)s AS week, w.member_id,
                   m.main_department_id AS department_id, m.corp_id, m.company_id,
                   COALESCE(cc.n, 0) AS customer_chats, COALESCE(gc.n, 0) AS group_chats,
                   COALESCE(d.messages_sent, 0) AS messages_sent,
                   COALESCE(d.replies, 0) AS replies,
                   COALESCE(d.customer_days, 0) AS customer_days,
                   COALESCE(c.timeouts, 0) AS timeout_count,
                   CASE WHEN COALESCE(d.customer_days, 0) > 0
                        THEN round(100.0 * COALESCE(c.timeouts, 0) / d.customer_days, 1)
                        ELSE 0 END AS timeout_rate,
                   COALESCE(c.violations, 0) AS violation_count
              FROM weeks w
              JOIN wecom_member m ON m.id = w.member_id
              LEFT JOIN days d USING (member_id, week_start)
              LEFT JOIN customer_chats cc USING (member_id, week_start)
              LEFT JOIN group_chats gc USING (member_id, week_start)
              LEFT JOIN cases c USING (member_id, week_start)
            """,
            cases=_CASE_WEEKS,
            iso_week=SQL(_ISO_WEEK, SQL("w.week_start")),
            monday=SQL(_MONDAY),
        )

    def init(self):
        super().init()
        for table in ("wecom_stat_member_day", "wecom_stat_chat_day"):
            tools.create_index(self.env.cr, f"{table}_iso_week_idx", table, [_MONDAY, "member_id"])

    def action_view_rules(self):
        """The week's violations of the employee, per rule."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "wecom_archive.wecom_weekly_report_rule_action"
        )
        action["domain"] = [
            ("member_id", "=", self.member_id.id),
            ("week_start", "=", self.week_start),
        ]
        action["context"] = {"group_by": ["rule_id"]}
        action["display_name"] = f"{self.member_id.display_name} · {self.week}"
        return action


class WecomWeeklyReportRule(models.Model):
    _name = "wecom.weekly.report.rule"
    _inherit = ["wecom.archived.data"]
    _description = "Weekly Violations by Rule"
    _auto = False
    _order = "week_start desc, member_id, violation_count desc"

    week_start = fields.Date("Week Starting", readonly=True, help="The Monday of the week.")
    week = fields.Char("Week", readonly=True, help="The ISO week, as 2026-W01.")
    member_id = fields.Many2one("wecom.member", "Employee", readonly=True)
    department_id = fields.Many2one("wecom.department", "Main Department", readonly=True)
    rule_id = fields.Many2one("wecom.keyword.rule", "Rule", readonly=True)
    kind = fields.Selection(KINDS_OF_CASE, "Type", readonly=True)
    corp_id = fields.Many2one("wecom.corp", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    violation_count = _count(
        "Violation Cases", "Cases of the rule in the week, false positives excluded."
    )

    @property
    def _table_query(self):
        return SQL(
            """SELECT min(c.id) AS id, c.week_start, %(iso_week)s AS week, c.member_id,
                      m.main_department_id AS department_id, c.rule_id, c.kind, c.corp_id,
                      m.company_id, count(*) AS violation_count
                 FROM (%(cases)s) c JOIN wecom_member m ON m.id = c.member_id
                GROUP BY c.week_start, c.member_id, m.main_department_id, c.rule_id, c.kind,
                         c.corp_id, m.company_id""",
            cases=_CASE_WEEKS,
            iso_week=SQL(_ISO_WEEK, SQL("c.week_start")),
        )
