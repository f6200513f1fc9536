import json
import logging

from markupsafe import Markup
from psycopg2.extras import execute_values

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..lib.normalize import conversation_key, id_kind
from ..lib.wecom_api import WecomApiError
from .wecom_conversation import KINDS
from .wecom_corp_sync import MissingSecret
from .wecom_keyword_rule import SEVERITIES
from .wecom_message import _ms_to_datetime

_logger = logging.getLogger(__name__)

SIDE_OF = {"member": "member", "external": "customer", "robot": "robot"}


class WecomViolation(models.Model):
    """A message that hit a sensitive-word rule (敏感词违规), archived again for review."""

    _name = "wecom.violation"
    _inherit = ["wecom.archived.data"]
    _access_log_open = "view_violation"
    _access_log_search_fields = ("content", "words_hit")
    _description = "Sensitive-Word Violation"
    _order = "msgtime desc, id desc"

    name = fields.Char("Reference", required=True, readonly=True, index=True)
    kind = fields.Selection(
        [("keyword", "Sensitive Word")], default="keyword", required=True, readonly=True
    )
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    corp_id = fields.Many2one("wecom.corp", required=True, readonly=True, ondelete="cascade")
    message_id = fields.Many2one(
        "wecom.message", required=True, readonly=True, ondelete="cascade", index=True
    )
    conversation_id = fields.Many2one(related="message_id.conversation_id")
    rule_id = fields.Many2one(
        "wecom.keyword.rule", required=True, readonly=True, ondelete="cascade", index=True
    )
    category = fields.Char(readonly=True)
    severity = fields.Selection(SEVERITIES, readonly=True)
    sender = fields.Char(readonly=True)
    sender_role = fields.Selection(
        [("member", "Member"), ("customer", "Customer"), ("robot", "Robot")], readonly=True
    )
    receivers = fields.Char(readonly=True)
    sender_name = fields.Char("Sender", related="message_id.sender_name")
    receiver_names = fields.Char("Receivers", related="message_id.receiver_names")
    msgtime = fields.Datetime("Time", readonly=True, index=True)
    chat_kind = fields.Selection(KINDS, readonly=True)
    content = fields.Text(readonly=True)
    words_hit = fields.Char("Words Hit", readonly=True)
    offsets = fields.Json(readonly=True, help="[start, end] of each hit in the content.")
    state = fields.Selection(
        [("new", "New"), ("confirmed", "Confirmed"), ("dismissed", "Dismissed")],
        default="new",
        required=True,
        index=True,
    )
    alerted = fields.Boolean(readonly=True, help="The rule's recipients were told.")
    wecom_alerted = fields.Boolean(
        "Alerted in WeCom", readonly=True, help="The rule's WeCom recipients got the message."
    )
    reviewer_id = fields.Many2one("res.users", readonly=True)
    review_date = fields.Datetime(readonly=True)
    review_note = fields.Text()

    _sql_constraints = [
        ("message_rule_uniq", "unique(message_id, rule_id)", "One violation per message and rule."),
    ]

    context_message_ids = fields.Many2many(
        "wecom.message",
        compute="_compute_context_message_ids",
        string="Context",
        help="The messages around this one in its conversation.",
    )

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

    def _review(self, state):
        self.write(
            {"state": state, "reviewer_id": self.env.uid, "review_date": fields.Datetime.now()}
        )

    def action_confirm(self):
        self._review("confirmed")

    def action_dismiss(self):
        self._review("dismissed")

    def action_reset(self):
        self.write({"state": "new", "reviewer_id": False, "review_date": False})

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
            lines = Markup("").join(
                Markup("<li>%s · %s · %s: %s</li>")
                % (item.name, item.category, item.sender, (item.content or "")[:80])
                for item in items[:20]
            )
            more = len(items) - 20
            body = Markup("<p>%s</p><ul>%s</ul>") % (
                self.env._("%(count)s new sensitive-word violations.", count=len(items)),
                lines,
            )
            if more > 0:
                body += Markup("<p>%s</p>") % self.env._("… and %(more)s more.", more=more)
            self.env["mail.thread"].message_notify(
                partner_ids=user.partner_id.ids,
                subject=self.env._("Sensitive-word violations"),
                body=body,
            )
        violations.alerted = True
        self._alert_in_wecom(limit)
        return len(by_user)

    def _wecom_recipients(self):
        """{userid} to alert in WeCom for these violations of one rule: the rule's members,
        and the leaders of the chat's archived members' departments when asked for."""
        userids = set()
        for violation in self:
            rule = violation.rule_id
            userids |= set(rule.notify_member_ids.filtered("active").mapped("userid"))
            if rule.notify_leaders:
                departments = violation.message_id.member_ids.department_ids
                userids |= set(departments.leader_ids.mapped("userid"))
        return userids

    @api.model
    def _alert_in_wecom(self, limit):
        """One WeCom application message per recipient and run; a failure leaves the
        violations pending for the next run and is shown on the corp."""
        pending = self.search(
            [
                ("wecom_alerted", "=", False),
                "|",
                ("rule_id.notify_leaders", "=", True),
                ("rule_id.notify_member_ids", "!=", False),
            ],
            order="id",
            limit=limit,
        )
        for corp in pending.corp_id:
            items = pending.filtered(lambda v, c=corp: v.corp_id == c)
            by_userid = {}
            for violation in items:
                for userid in violation._wecom_recipients():
                    by_userid.setdefault(userid, self.browse())
                    by_userid[userid] |= violation
            try:
                api = corp._api("app")
                if by_userid and not corp.agent_id:
                    raise UserError(self.env._("The application's AgentId is not configured."))
                for userid, hits in by_userid.items():
                    api.send_text(corp.agent_id, [userid], self._wecom_alert_text(hits))
            except (WecomApiError, MissingSecret, UserError) as error:
                text = (
                    error.message(self.env.lang)
                    if isinstance(error, WecomApiError)
                    else corp._missing_secret_message("app")
                    if isinstance(error, MissingSecret)
                    else str(error)
                )
                _logger.warning("corp %s: WeCom alert failed: %s", corp.corpid, text)
                corp.sudo().alert_error = text
                continue
            items.wecom_alerted = True
            corp.sudo().alert_error = False

    def _wecom_alert_text(self, hits):
        # WeCom's readers read Chinese first, when it is installed.
        chinese = self.env["res.lang"].search_count([("code", "=", "zh_CN")])
        env = self.with_context(lang="zh_CN").env if chinese else self.env
        lines = [
            env._("[Conversation Archive] %(count)s new sensitive-word hits:", count=len(hits))
        ]
        for hit in hits[:5]:
            lines.append(
                f"· {hit.category} · {hit.sender} · {hit.words_hit}: {(hit.content or '')[:40]}"
            )
        if len(hits) > 5:
            lines.append(env._("… and %(more)s more.", more=len(hits) - 5))
        return "\n".join(lines)

    @api.model
    def _scan(self, corp, stored, rules=None):
        """Record the violations of newly stored messages (set-based; re-scanning inserts
        nothing twice). ``stored``: (message id, lib Message, link) triples as the pipeline
        has them; ``rules``: only these rules (default: every active rule). Returns the
        number of violations recorded."""
        matcher = self.env["wecom.keyword.rule"]._matcher(corp.company_id.id)
        wanted = set(rules.ids) if rules is not None else set(matcher.rules)
        if not wanted:
            return 0
        rows = []
        now, uid = fields.Datetime.now(), self.env.uid
        company_id, corp_id = corp.company_id.id, corp.id
        rule_info = {
            rule.id: (rule.category, rule.severity)
            for rule in self.env["wecom.keyword.rule"].browse(sorted(wanted))
        }
        for message_id, message, (chat_id, member_ids, department_ids) in stored:
            if not message.text or not chat_id:
                continue
            chat_kind = conversation_key(message.roomid, message.sender, message.tolist)[0]
            side = SIDE_OF[id_kind(message.sender)]
            hits = matcher.scan(
                message.text,
                sender_side=side,
                chat_kind=chat_kind,
                member_ids=member_ids,
                department_ids=department_ids,
            )
            for hit in hits:
                if hit.rule_id not in wanted:
                    continue
                rows.append(
                    (
                        f"cv{message.msgtime}-{message_id}-{hit.rule_id}",
                        company_id,
                        corp_id,
                        message_id,
                        hit.rule_id,
                        *rule_info[hit.rule_id],
                        message.sender,
                        side,
                        " ".join(message.tolist),
                        _ms_to_datetime(message.msgtime),
                        chat_kind,
                        message.text.replace("\x00", ""),
                        "$".join(hit.words),
                        json.dumps(hit.offsets),
                        "keyword",
                        "new",
                        False,
                        uid,
                        now,
                        uid,
                        now,
                    )
                )
        if not rows:
            return 0
        inserted = execute_values(
            self.env.cr,
            """INSERT INTO wecom_violation (name, company_id, corp_id, message_id, rule_id,
                   category, severity, sender, sender_role, receivers, msgtime, chat_kind,
                   content, words_hit, offsets, kind, state, alerted,
                   create_uid, create_date, write_uid, write_date)
               VALUES %s ON CONFLICT (message_id, rule_id) DO NOTHING RETURNING id""",
            rows,
            page_size=len(rows),
            fetch=True,
        )
        return len(inserted)
