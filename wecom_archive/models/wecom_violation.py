import json
import logging

from markupsafe import Markup

from odoo import api, fields, models, tools
from odoo.exceptions import UserError
from odoo.tools import sql

from ..lib.detectors import mask_text
from ..lib.normalize import conversation_key, id_kind
from ..lib.wecom_api import WecomApiError
from .links import LinkMany2many, LinkMany2one, install_link_triggers
from .wecom_conversation import KINDS
from .wecom_corp_sync import MissingSecret
from .wecom_keyword_rule import SEVERITIES
from .wecom_message import _ms_to_datetime, _sql_text
from .wecom_stat_member_day import COUNTERS

_logger = logging.getLogger(__name__)

SIDE_OF = {"member": "member", "external": "customer", "robot": "robot"}
# A violation is a case (工单): worked on while open, closed as handled or as a false positive.
STATES = [
    ("new", "To Do"),
    ("in_progress", "In Progress"),
    ("done", "Handled"),
    ("false_positive", "False Positive"),
]
OPEN_STATES = ("new", "in_progress")
OUTCOMES = [
    ("warned", "Employee Warned"),
    ("trained", "Training Arranged"),
    ("escalated", "Escalated"),
    ("customer_contacted", "Customer Contacted"),
    ("no_action", "No Action Needed"),
]
# The cases most in need first: the earliest deadlines (the overdue ones), then the newest.
CASE_ORDER = "deadline, msgtime desc, id desc"
# A case's kind: the kind of the rule it hit (wecom.keyword.rule.rule_type).
KINDS_OF_CASE = [
    ("keyword", "Sensitive Word"),
    ("timeout", "Reply Timeout"),
    ("behavior", "Sensitive Behaviour"),
]
# A member m's main department, else the first of their departments.
MAIN_DEPARTMENT = """COALESCE(m.main_department_id,
    (SELECT min(d.wecom_department_id) FROM wecom_department_wecom_member_rel d
      WHERE d.wecom_member_id = m.id))"""
# The columns _record_cases writes, besides the links and the bookkeeping ones.
_CASE_COLUMNS = (
    "name",
    "company_id",
    "corp_id",
    "message_id",
    "rule_id",
    "kind",
    "category",
    "severity",
    "sender",
    "sender_role",
    "receivers",
    "msgtime",
    "chat_kind",
    "content",
    "words_hit",
    "offsets",
    "member_id",
    "contact_id",
    "department_id",  # else the employee's main department
    "answered_at",  # a reply timeout's (models/wecom_reply_wait.py)
)


# The keys of a row of _record_cases: the columns, the archived members, the chat (on whose
# day the case is counted) and the customer (an external userid: the contact, when unknown).
_ROW_KEYS = (*_CASE_COLUMNS, "member_ids", "chat_id", "customer")
_ROW_TYPES = {
    "company_id": "int",
    "corp_id": "int",
    "message_id": "int",
    "rule_id": "int",
    "msgtime": "timestamp",
    "member_id": "int",
    "contact_id": "int",
    "department_id": "int",
    "answered_at": "timestamp",
    "member_ids": "int[]",
    "chat_id": "int",
    "n": "int",
}
_ROW_VALUES = {
    "category": "COALESCE(c.category, k.category)",
    "severity": "COALESCE(c.severity, k.severity)",
    "contact_id": "COALESCE(c.contact_id, ct.id)",
    "member_id": "c.employee_id",
    "department_id": f"COALESCE(c.department_id, {MAIN_DEPARTMENT})",
    "offsets": "c.offsets::jsonb",  # a list, or its JSON text
}
# One statement for a batch of cases, given as one JSON document (cheaper to send and parse
# than as many SQL literals): each case with its rule's category and severity (unless given),
# its customer's contact, its employee (the given one, else the sender when a member sent
# it, else the lowest archived member) and department (the given one, else the employee's
# main one) is inserted once, in order, and linked to its archived members.
_RECORD_CASES = f"""
    WITH cases AS (
        SELECT r.*, s.id AS sender_member_id,
               COALESCE(r.member_id, s.id,
                        (SELECT min(x) FROM unnest(r.member_ids) x)) AS employee_id
          FROM json_to_recordset(%(rows)s) AS r(
               {", ".join(f"{key} {_ROW_TYPES.get(key, 'text')}" for key in (*_ROW_KEYS, "n"))})
          LEFT JOIN wecom_member s ON s.corp_id = r.corp_id AND s.userid = r.sender
    ), inserted AS (
        INSERT INTO wecom_violation ({", ".join(_CASE_COLUMNS)}, state, alerted,
                                     create_uid, create_date, write_uid, write_date)
        SELECT {", ".join(_ROW_VALUES.get(column, f"c.{column}") for column in _CASE_COLUMNS)},
               'new', false, %(uid)s, %(now)s, %(uid)s, %(now)s
          FROM cases c JOIN wecom_keyword_rule k ON k.id = c.rule_id
          LEFT JOIN wecom_contact ct ON ct.corp_id = c.corp_id AND ct.external_userid = c.customer
          LEFT JOIN wecom_member m ON m.id = c.employee_id
         ORDER BY c.n
        ON CONFLICT DO NOTHING
        RETURNING id, name
    ), linked AS (
        INSERT INTO wecom_violation_member_rel (violation_id, member_id)
        SELECT i.id, x.member_id  -- (new cases: no link of theirs exists yet)
          FROM inserted i JOIN cases c ON c.name = i.name,
               unnest(c.member_ids) x(member_id)
    )"""
# The same, the new cases of messages counted in the statistics as well: on their chat's day
# and on their sender's day when a member sent it, local days of the corp's time zone.
_RECORD_AND_COUNT_CASES = f"""{_RECORD_CASES}, counted AS (
        SELECT c.chat_id, c.sender_member_id,
               ((c.msgtime AT TIME ZONE 'UTC') AT TIME ZONE %(tz)s)::date AS day
          FROM inserted i JOIN cases c ON c.name = i.name
         WHERE c.message_id IS NOT NULL AND c.msgtime IS NOT NULL
    ), chat_days AS (
        UPDATE wecom_stat_chat_day d SET violation_count = d.violation_count + v.n
          FROM (SELECT chat_id, day, count(*) AS n FROM counted
                 WHERE chat_id IS NOT NULL GROUP BY chat_id, day) v
         WHERE d.conversation_id = v.chat_id AND d.day = v.day
    ), member_days AS (
        INSERT INTO wecom_stat_member_day (member_id, day, corp_id, company_id,
                                           {", ".join(COUNTERS)})
        SELECT sender_member_id, day, %(corp)s, %(company)s,
               {", ".join("count(*)" if c == "violation_count" else "0" for c in COUNTERS)}
          FROM counted WHERE sender_member_id IS NOT NULL
         GROUP BY sender_member_id, day
        ON CONFLICT (member_id, day) DO UPDATE
           SET violation_count = wecom_stat_member_day.violation_count
                                 + EXCLUDED.violation_count
    )
    SELECT id FROM inserted"""
_RECORD_CASES += "\n    SELECT id FROM inserted"


def _customer_of(message, side, chat_kind):
    """The customer a message's case is about (an external userid), or None: its sender
    when a customer wrote it, else the customer of a 1:1 customer chat (in a group, the
    customers an employee writes to are many)."""
    if side == "customer":
        return message.sender
    if chat_kind == "external":
        return next((p for p in message.tolist if id_kind(p) == "external"), None)
    return None


# The indexes of fields once indexed that no query needs (see init).
_UNUSED_INDEXES = (
    "wecom_violation__message_id_index",
    "wecom_violation__rule_id_index",
    "wecom_violation__company_id_index",
)


def _cases_json(rows):
    """_record_cases' rows as one JSON document, numbered in order: each row as it is
    given (json_to_recordset reads a missing key as NULL, and ignores the keys it was
    not asked for)."""
    return json.dumps(
        [{**row, "n": n} for n, row in enumerate(rows)],
        default=_json_value,
        ensure_ascii=False,
    )


def _json_value(value):
    """Sets of ids as lists, times as PostgreSQL reads them."""
    return sorted(value) if isinstance(value, set | frozenset) else str(value)


# The cases a notification lists one by one (the rest are counted).
NOTIFIED_CASES = 20


def assignee_domain(model):
    """Whom a case can be assigned to: the archive admins, who read violations."""
    return [("groups_id", "in", model.env.ref("wecom_archive.group_wecom_archive_admin").ids)]


class WecomViolation(models.Model):
    """A hit of an inspection rule — a message with sensitive words (敏感词违规), a customer
    left waiting (超时未回复), a sensitive behaviour (敏感行为) — archived again, and the case
    its reviewers work through: assignee, deadline, status, outcome, comment, history.

    Its archived members (``member_ids``) are written with it and stay when its message is
    deleted by the retention: they decide who reads it, as for every archived record."""

    _name = "wecom.violation"
    _inherit = ["wecom.archived.data", "mail.thread"]
    _access_log_open = "view_violation"
    _access_log_search_fields = ("content", "words_hit")
    _description = "Sensitive-Word Violation"
    _order = "msgtime desc, id desc"

    name = fields.Char("Reference", required=True, readonly=True)
    kind = fields.Selection(
        KINDS_OF_CASE, "Type", default="keyword", required=True, readonly=True, index=True
    )
    # not indexed: one company has all the cases, or nearly (the record rules' filter is
    # not selective)
    company_id = fields.Many2one("res.company", required=True, readonly=True)
    # LinkMany2one: references without foreign keys, which the case's recording statement
    # resolves itself (models/links.py)
    corp_id = LinkMany2one("wecom.corp", required=True, readonly=True, ondelete="cascade")
    # None for a case that has no message: a deletion (客户删除员工 / 员工删除客户), which
    # names its employee (member_id) and customer (contact_id) instead
    # (the unique index on message and rule serves its searches and the retention's purge)
    message_id = LinkMany2one("wecom.message", readonly=True, ondelete="set null")
    contact_id = LinkMany2one(
        "wecom.contact",
        "Customer",
        readonly=True,
        index="btree_not_null",
        help="The customer the case is about, when there is one.",
    )
    conversation_id = fields.Many2one(related="message_id.conversation_id")
    # (the index on rule, sender and time serves its searches and the rule's deletion)
    rule_id = LinkMany2one("wecom.keyword.rule", required=True, readonly=True, ondelete="cascade")
    member_ids = LinkMany2many(  # (models/links.py)
        "wecom.member",
        "wecom_violation_member_rel",
        "violation_id",
        "member_id",
        string="Archived Members",
        readonly=True,
        help="The archived members the case involves: who may read it.",
    )
    member_id = LinkMany2one(
        "wecom.member",
        "Employee",
        readonly=True,
        index="btree_not_null",
        help="The employee the case is about: the sender when an employee sent the message, "
        "else the employee in the chat.",
    )
    department_id = LinkMany2one(
        "wecom.department",
        "Department",
        readonly=True,
        help="The employee's main department when the case was recorded.",
    )
    category = fields.Char(readonly=True)
    severity = fields.Selection(SEVERITIES, readonly=True)
    sender = fields.Char("Sender ID", readonly=True)
    sender_role = fields.Selection(
        [("member", "Member"), ("customer", "Customer"), ("robot", "Robot")], readonly=True
    )
    receivers = fields.Char("Receiver IDs", readonly=True)
    sender_name = fields.Char("Sender", related="message_id.sender_name")
    receiver_names = fields.Char("Receivers", related="message_id.receiver_names")
    msgtime = fields.Datetime("Time", readonly=True, index=True)
    chat_kind = fields.Selection(KINDS, readonly=True)
    content = fields.Text(readonly=True)
    words_hit = fields.Char("Words Hit", readonly=True)
    words_display = fields.Char(
        "Words", compute="_compute_words_display", help="The words hit, as people read them."
    )
    offsets = fields.Json(readonly=True, help="[start, end] of each hit in the content.")
    state = fields.Selection(
        STATES, default="new", required=True, readonly=True, index=True, tracking=True
    )
    user_id = fields.Many2one(
        "res.users", "Assignee", domain=assignee_domain, index="btree_not_null", tracking=True
    )
    deadline = fields.Date(tracking=True)
    overdue = fields.Boolean(
        compute="_compute_overdue",
        search="_search_overdue",
        help="The deadline has passed and the case is still open.",
    )
    outcome = fields.Selection(OUTCOMES, tracking=True, help="What was done about it.")
    alerted = fields.Boolean(readonly=True, help="The rule's recipients were told.")
    wecom_alerted = fields.Boolean(
        "Alerted in WeCom", readonly=True, help="The rule's WeCom recipients got the message."
    )
    reviewer_id = fields.Many2one("res.users", "Closed By", readonly=True)
    review_date = fields.Datetime("Closed On", readonly=True)
    review_note = fields.Text("Comment", tracking=True)
    repeat_30d = fields.Integer(
        "Repeats in 30 Days",
        compute="_compute_repeat_counts",
        help="Earlier violations of the same rule by the same sender in the 30 days before "
        "this one.",
    )
    repeat_90d = fields.Integer(
        "Repeats in 90 Days",
        compute="_compute_repeat_counts",
        help="Earlier violations of the same rule by the same sender in the 90 days before "
        "this one.",
    )

    _sql_constraints = [
        ("message_rule_uniq", "unique(message_id, rule_id)", "One violation per message and rule."),
        ("name_uniq", "unique(name)", "A case's reference is unique."),
    ]

    context_message_ids = fields.Many2many(
        "wecom.message",
        compute="_compute_context_message_ids",
        string="Context",
        help="The messages around this one in its conversation.",
    )

    @api.depends("words_hit")
    def _compute_words_display(self):
        # stored "$"-joined (a separator no word holds); shown joined by 、
        for violation in self:
            words = (violation.words_hit or "").split("$")
            violation.words_display = "、".join(word for word in words if word)

    @api.depends("message_id")
    def _compute_context_message_ids(self, around=5):
        Message = self.env["wecom.message"]
        for violation in self:
            message = violation.message_id
            if not message.conversation_id:
                violation.context_message_ids = message
                continue
            chat = [("conversation_id", "=", message.conversation_id.id)]
            before = Message.search(
                [*chat, ("msgtime", "<=", message.msgtime), ("id", "!=", message.id)],
                order="msgtime desc, id desc",
                limit=around,
            )
            after = Message.search(
                [*chat, ("msgtime", ">=", message.msgtime), ("id", "!=", message.id)],
                order="msgtime, id",
                limit=around,
            )
            # in time order, as the chat reads, the hit among its neighbours
            violation.context_message_ids = (before | message | after).sorted(
                lambda m: (m.msgtime, m.seq or 0, m.id)
            )

    def init(self):
        # the repeat counts: a sender's earlier hits of a rule, by time
        tools.create_index(
            self.env.cr,
            "wecom_violation_rule_sender_msgtime_idx",
            self._table,
            ["rule_id", "sender", "msgtime"],
        )
        # the alert job's cases still to announce: few, whatever the table's size (the
        # predicate as the ORM writes alerted = False, so that the planner can match it)
        tools.create_index(
            self.env.cr,
            "wecom_violation_to_alert_idx",
            self._table,
            ["id"],
            where="alerted IS NULL OR alerted = false",
        )
        install_link_triggers(self.env.cr)
        # Every index is written by each case the pipeline records: those that no query
        # needs go (Odoo keeps the index of a field no longer indexed). The message's and
        # the rule's are the first columns of the two above; the company's is not selective.
        for index in _UNUSED_INDEXES:
            sql.drop_index(self.env.cr, index, self._table)

    @api.depends("deadline", "state")
    def _compute_overdue(self):
        today = fields.Date.context_today(self)
        for case in self:
            case.overdue = bool(
                case.deadline and case.deadline < today and case.state in OPEN_STATES
            )

    def _search_overdue(self, operator, value):
        if operator not in ("=", "!="):
            raise UserError(self.env._("Overdue is searched with = or != only."))
        today = fields.Date.context_today(self)
        if (operator == "=") == bool(value):
            return [("state", "in", OPEN_STATES), ("deadline", "<", today)]
        return [
            "|",
            "|",
            ("state", "not in", OPEN_STATES),
            ("deadline", "=", False),
            ("deadline", ">=", today),
        ]

    @api.depends("rule_id", "sender", "msgtime")
    def _compute_repeat_counts(self):
        """The sender's earlier violations of the same rule, for the whole recordset in one
        query (the index on rule, sender and time serves it)."""
        counts = {}
        if self._origin.ids:
            self.flush_model(["corp_id", "rule_id", "sender", "msgtime"])
            self.env.cr.execute(
                """SELECT v.id,
                          count(*) FILTER (WHERE o.msgtime >= v.msgtime - interval '30 days'),
                          count(*)
                     FROM wecom_violation v
                     JOIN wecom_violation o
                       ON o.rule_id = v.rule_id AND o.sender = v.sender
                      AND o.corp_id = v.corp_id
                      AND o.msgtime >= v.msgtime - interval '90 days'
                      AND (o.msgtime, o.id) < (v.msgtime, v.id)
                    WHERE v.id = ANY(%s)
                    GROUP BY v.id""",
                [list(self._origin.ids)],
            )
            counts = {id_: (days30, days90) for id_, days30, days90 in self.env.cr.fetchall()}
        for case in self:
            case.repeat_30d, case.repeat_90d = counts.get(case._origin.id, (0, 0))

    # -- the case workflow -------------------------------------------------------------------
    def _open_cases(self):
        return self.filtered(lambda case: case.state in OPEN_STATES)

    def action_start(self):
        """开始处理: the open cases are being worked on, by whoever starts an unassigned one."""
        cases = self.filtered(lambda case: case.state == "new")
        cases.filtered(lambda case: not case.user_id).user_id = self.env.user
        cases.state = "in_progress"

    def action_done(self):
        """已处理: closed, with the outcome it had."""
        cases = self._open_cases()
        missing = cases.filtered(lambda case: not case.outcome)
        if missing:
            names = ", ".join(missing[:10].mapped("name"))
            raise UserError(
                self.env._(
                    "Choose an outcome before marking a case as handled: %(cases)s",
                    cases=names + (" …" if len(missing) > 10 else ""),
                )
            )
        cases._close("done")

    def action_false_positive(self):
        """误报: closed as not a violation at all; no outcome needed."""
        self._open_cases()._close("false_positive")

    def _close(self, state):
        self.write(
            {"state": state, "reviewer_id": self.env.uid, "review_date": fields.Datetime.now()}
        )

    def action_reopen(self):
        """重新打开: back to the to-do list, its outcome and comment kept for the record."""
        closed = self - self._open_cases()
        closed.write({"state": "new", "reviewer_id": False, "review_date": False})

    def action_assign_wizard(self):
        return self._case_wizard("assign", self.env._("Assign Cases"))

    def action_close_wizard(self):
        return self._case_wizard("close", self.env._("Close Cases"))

    def _case_wizard(self, mode, title):
        return {
            "type": "ir.actions.act_window",
            "name": title,
            "res_model": "wecom.violation.case.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_mode": mode, "default_violation_ids": self.ids},
        }

    @api.model
    def _cron_alert(self, limit=5000):
        """Tell each rule's recipients about new violations: one notification per recipient
        and run, however many hits, so a flood of hits cannot flood anyone."""
        violations = self.search([("alerted", "=", False)], order="id", limit=limit)
        by_user = {}
        for violation in violations:
            for user in violation.rule_id.notify_user_ids:
                by_user.setdefault(user, self.browse())
                by_user[user] |= violation
        for user, items in by_user.items():
            self._notify_cases(
                user,
                self.env._("New Violations"),
                self.env._(
                    "%(count)s new violations (sensitive words and behaviours).", count=len(items)
                ),
                [
                    f"{item.name} · {item.category} · {item.sender}: "
                    f"{mask_text(item.content or '')[:80]}"
                    for item in items[:NOTIFIED_CASES]
                ],
                len(items),
            )
        violations.alerted = True
        self._alert_in_wecom(limit)
        return len(by_user)

    @api.model
    def _notify_cases(self, user, subject, intro, lines, total):
        """One Odoo notification to ``user``: ``intro``, a line for each of the first cases
        (``lines``, plain text) and how many more there are of ``total``."""
        body = Markup("<p>%s</p><ul>%s</ul>") % (
            intro,
            Markup("").join(Markup("<li>%s</li>") % line for line in lines),
        )
        if total > len(lines):
            more = total - len(lines)
            body += Markup("<p>%s</p>") % self.env._("… and %(more)s more.", more=more)
        self.env["mail.thread"].message_notify(
            partner_ids=user.partner_id.ids, subject=subject, body=body
        )

    def _wecom_recipient_map(self):
        """{userid: [violation id]} of the members to tell in WeCom about these violations:
        each rule's members, and when the rule asks for it the leaders of the departments of
        the chat's archived members; active members and departments only, as the ORM reads
        them. One query for the whole recordset."""
        if not self:
            return {}
        self.env.flush_all()
        self.env.cr.execute(
            """SELECT m.userid, array_agg(DISTINCT t.violation_id ORDER BY t.violation_id)
                 FROM (SELECT v.id AS violation_id, n.member_id
                         FROM wecom_violation v
                         JOIN wecom_keyword_rule_notify_member_rel n ON n.rule_id = v.rule_id
                        WHERE v.id = ANY(%(ids)s)
                       UNION ALL
                       SELECT v.id, dl.member_id
                         FROM wecom_violation v
                         JOIN wecom_keyword_rule r ON r.id = v.rule_id AND r.notify_leaders
                         JOIN wecom_violation_member_rel vm ON vm.violation_id = v.id
                         JOIN wecom_member chat_member
                           ON chat_member.id = vm.member_id AND chat_member.active
                         JOIN wecom_department_wecom_member_rel dm
                           ON dm.wecom_member_id = chat_member.id
                         JOIN wecom_department d ON d.id = dm.wecom_department_id AND d.active
                         JOIN wecom_department_leader_rel dl ON dl.department_id = d.id
                        WHERE v.id = ANY(%(ids)s)) t
                 JOIN wecom_member m ON m.id = t.member_id AND m.active
                GROUP BY m.userid""",
            {"ids": list(self.ids)},
        )
        return dict(self.env.cr.fetchall())

    @api.model
    def _alert_in_wecom(self, limit):
        """One WeCom application message per recipient and run; a failure leaves the
        violations pending for the next run and is shown on the corp."""
        pending = self.search(
            [
                ("wecom_alerted", "=", False),
                "|",
                "|",
                ("rule_id.notify_leaders", "=", True),
                ("rule_id.notify_member_ids", "!=", False),
                ("rule_id.notify_employee", "=", True),
            ],
            order="id",
            limit=limit,
        )
        for corp in pending.corp_id:
            items = pending.filtered(lambda v, c=corp: v.corp_id == c)
            by_userid = items._wecom_recipient_map()
            try:
                api = self._wecom_app_api(corp, by_userid)
                for userid, ids in by_userid.items():
                    api.send_text(corp.agent_id, [userid], self._wecom_alert_text(self.browse(ids)))
            except (WecomApiError, MissingSecret, UserError) as error:
                self._wecom_alert_failed(corp, error)
                continue
            items.wecom_alerted = True
            corp.sudo().alert_error = False

    @api.model
    def _wecom_app_api(self, corp, recipients):
        """The corp's application API, to send messages to ``recipients``."""
        api = corp._api("app")
        if recipients and not corp.agent_id:
            raise UserError(self.env._("The application's AgentId is not configured."))
        return api

    @api.model
    def _wecom_alert_failed(self, corp, error):
        """Show why a WeCom message could not be sent on the corp (it is sent again later);
        returns the reason."""
        text = (
            error.message(self.env.lang)
            if isinstance(error, WecomApiError)
            else corp._missing_secret_message("app")
            if isinstance(error, MissingSecret)
            else str(error)
        )
        _logger.warning("corp %s: WeCom alert failed: %s", corp.corpid, text)
        corp.sudo().alert_error = text
        return text

    @api.model
    def _wecom_env(self):
        """WeCom's readers read Chinese first, when it is installed."""
        chinese = self.env["res.lang"].search_count([("code", "=", "zh_CN")])
        return self.with_context(lang="zh_CN").env if chinese else self.env

    def _wecom_alert_text(self, hits):
        env = self._wecom_env()
        lines = [env._("[Conversation Archive] %(count)s new violations:", count=len(hits))]
        for hit in hits[:5]:
            lines.append(
                f"· {hit.category} · {hit.sender} · {mask_text(hit.words_display)}: "
                f"{mask_text(hit.content or '')[:40]}"
            )
        if len(hits) > 5:
            lines.append(env._("… and %(more)s more.", more=len(hits) - 5))
        return "\n".join(lines)

    @api.model
    def _scan(self, corp, stored, rules=None):
        """Record the cases of newly stored messages — the sensitive words and detectors of
        the word rules, and (wecom_behavior.py) the sensitive behaviours — with one
        _record_cases, set-based (re-scanning inserts nothing twice), counted on their
        sender's and chat's days. ``stored``: (message id, lib Message, link) triples as
        the pipeline has them; ``rules``: only these rules (default: every active rule).
        Returns the number of cases recorded."""
        return len(self._record_cases(self._scan_rows(corp, stored, rules), count=corp))

    @api.model
    def _scan_rows(self, corp, stored, rules=None):
        """The case rows (as _record_cases takes them) of the word rules' hits in
        ``stored``. The side, chat kind and scope of a message are worked out only when
        the matcher found something in it (most messages: nothing)."""
        matcher = self.env["wecom.keyword.rule"]._matcher(corp.company_id.id)
        wanted = set(rules.ids) if rules is not None else set(matcher.rules)
        if not wanted:
            return []
        rows = []
        company_id, corp_id = corp.company_id.id, corp.id
        find = matcher.find
        for message_id, message, (chat_id, member_ids, department_ids) in stored:
            if not chat_id:
                continue
            found = find(message.text)
            if not found:
                continue
            chat_kind = conversation_key(message.roomid, message.sender, message.tolist)[0]
            side = SIDE_OF[id_kind(message.sender)]
            customer = _customer_of(message, side, chat_kind)
            hits = matcher.hits(
                found,
                sender_side=side,
                chat_kind=chat_kind,
                member_ids=member_ids,
                department_ids=department_ids,
            )
            for hit in hits:
                if hit.rule_id not in wanted:
                    continue
                rows.append(
                    {
                        "name": f"cv{message.msgtime}-{message_id}-{hit.rule_id}",
                        "company_id": company_id,
                        "corp_id": corp_id,
                        "message_id": message_id,
                        "rule_id": hit.rule_id,
                        "kind": "keyword",
                        "sender": message.sender,
                        "sender_role": side,
                        "receivers": " ".join(message.tolist),
                        "msgtime": _ms_to_datetime(message.msgtime),
                        "chat_kind": chat_kind,
                        "content": message.text.replace("\x00", ""),
                        "words_hit": "$".join(hit.words),
                        "offsets": hit.offsets,
                        "member_ids": member_ids,
                        "chat_id": chat_id,
                        "customer": customer,
                    }
                )
        return rows

    @api.model
    def _backfill_departments(self, member_ids):
        """The cases of these employees recorded while their departments were unknown (a
        member new to the archive, whose chats came before the directory sync told their
        departments) get the employee's main department, else the first of their
        departments; a case that has one keeps it (the department when it was recorded)."""
        self.env.cr.execute(
            f"""UPDATE wecom_violation v SET department_id = {MAIN_DEPARTMENT}
                  FROM wecom_member m
                 WHERE m.id = ANY(%s) AND v.member_id = m.id AND v.department_id IS NULL""",
            [list(member_ids)],
        )

    @api.model
    def _record_cases(self, rows, count=None):
        """Insert cases with their archived members in one statement, set-based; a case
        recorded before (the same message and rule, or the same reference) is not recorded
        twice. ``rows``: dicts of the _CASE_COLUMNS (missing or None where unknown) and
        ``member_ids`` (distinct ids). An unknown ``category`` or ``severity`` is the rule's;
        an unknown ``contact_id`` the customer's whose external userid is ``customer``; an
        unknown ``member_id`` (the employee) the sender when a member sent it, else the
        lowest of ``member_ids``; an unknown ``department_id`` the employee's main
        department, else the first of their departments.

        ``count``: the corp whose statistics count the new cases of messages, in the same
        statement: on their chat's day (a row's ``chat_id``) and on their sender's day when
        a member sent it (local days of the corp's statistics time zone). Returns the ids of
        the new cases."""
        if not rows:
            return []
        unique = {}  # a reference given twice is one case: its first row
        for row in rows:
            unique.setdefault(row["name"], row)
        document = _cases_json(unique.values())
        if "\\u0000" in document:  # rare: a NUL, which PostgreSQL's text cannot hold
            document = _cases_json(
                {key: _sql_text(value) for key, value in row.items()} for row in unique.values()
            )
        now, uid = fields.Datetime.now(), self.env.uid
        params = {"rows": document, "uid": uid, "now": now}
        if count:
            params.update(tz=count._stat_tz(), corp=count.id, company=count.company_id.id)
        self.env.cr.execute(_RECORD_AND_COUNT_CASES if count else _RECORD_CASES, params)
        new_ids = [id_ for (id_,) in self.env.cr.fetchall()]
        if count and new_ids:
            self.env["wecom.stat.chat.day"].invalidate_model(["violation_count"])
            self.env["wecom.stat.member.day"].invalidate_model(["violation_count"])
        return new_ids
