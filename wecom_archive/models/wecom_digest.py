import pytz
from markupsafe import Markup

from odoo import api, fields, models, tools
from odoo.exceptions import UserError

from ..lib.wecom_api import WecomApiError
from .wecom_corp_sync import MissingSecret
from .wecom_violation import CASE_ORDER, OPEN_STATES

DIGEST_HOUR = 8  # the digest goes out from 08:00 in its recipient's time zone
LISTED = 20  # cases listed in an Odoo notification
LISTED_IN_WECOM = 5  # a WeCom text message holds 2048 bytes


class WecomDigest(models.Model):
    """每日汇总: the daily digest of the open violation cases, one per recipient and day. An
    Odoo notification is sent with its row; a WeCom message that failed leaves its row pending,
    and it is sent at the next run."""

    _name = "wecom.digest"
    _description = "Daily Digest of Violation Cases"
    _order = "date desc, id desc"

    date = fields.Date(required=True, readonly=True, index=True, help="The recipient's day.")
    channel = fields.Selection(
        [("odoo", "Odoo Notification"), ("wecom", "WeCom Message")], required=True, readonly=True
    )
    user_id = fields.Many2one("res.users", "Recipient", readonly=True, ondelete="cascade")
    corp_id = fields.Many2one("wecom.corp", readonly=True, ondelete="cascade")
    userid = fields.Char("WeCom UserID", readonly=True)
    state = fields.Selection(
        [("pending", "Pending"), ("sent", "Sent")], default="pending", required=True, readonly=True
    )
    open_count = fields.Integer("Open Cases", readonly=True)
    overdue_count = fields.Integer("Overdue Cases", readonly=True)
    error = fields.Char("Last Error", readonly=True)

    def init(self):
        tools.create_unique_index(
            self.env.cr,
            "wecom_digest_recipient_day_uniq",
            self._table,
            [
                "date",
                "channel",
                "COALESCE(user_id, 0)",
                "COALESCE(corp_id, 0)",
                "COALESCE(userid, '')",
            ],
        )

    @api.model
    def _cron_send(self, now=None):
        """Hourly, each supervisor's digest of the open cases, once a day from DIGEST_HOUR in
        their time zone: an Odoo notification to the rules' users and the assignees, of the
        cases they may read; a WeCom message to the rules' WeCom recipients. Returns the
        number of digests sent."""
        now = now or fields.Datetime.now()
        cases = self.env["wecom.violation"].sudo()
        return self._send_odoo(cases, now) + self._send_wecom(cases, now)

    @api.model
    def _due_day(self, now, tz):
        """The day of ``now`` (naive UTC) in ``tz``, once the digest is due on it, or None."""
        local = pytz.utc.localize(now).astimezone(pytz.timezone(tz))
        return local.date() if local.hour >= DIGEST_HOUR else None

    @api.model
    def _send_odoo(self, cases, now):
        open_domain = [("state", "in", OPEN_STATES)]
        pairs = cases._read_group(open_domain, ["rule_id", "user_id"])
        users = (
            self.env["res.users"]
            .union(*(rule.notify_user_ids | user for rule, user in pairs))
            .filtered("active")
        )
        corp = self.env["wecom.corp"].sudo().search([], limit=1)
        fallback_tz = corp._stat_tz() if corp else "UTC"
        sent = 0
        for user in users:
            day = self._due_day(now, user.tz or fallback_tz)
            if not day or self.search_count(
                [("channel", "=", "odoo"), ("user_id", "=", user.id), ("date", "=", day)]
            ):
                continue
            # what the user reads, in their language: their scope's cases only
            theirs = cases.with_user(user).with_context(lang=user.lang)
            if not theirs.has_access("read"):
                continue
            domain = [
                *open_domain,
                "|",
                ("user_id", "=", user.id),
                ("rule_id.notify_user_ids", "in", user.ids),
            ]
            open_count = theirs.search_count(domain)
            if not open_count:
                continue
            overdue_count = theirs.search_count([*domain, ("deadline", "<", day)])
            listed = theirs.search(domain, order=CASE_ORDER, limit=LISTED)
            env = theirs.env
            lines = Markup("").join(
                Markup("<li>%s · %s</li>")
                % (case._get_html_link(title=case.name), " · ".join(self._facts(env, case, day)))
                for case in listed
            )
            body = Markup("<p>%s</p><ul>%s</ul>") % (
                env._(
                    "Open violation cases: %(open)s, overdue: %(overdue)s.",
                    open=open_count,
                    overdue=overdue_count,
                ),
                lines,
            )
            if open_count > LISTED:
                body += Markup("<p>%s</p>") % env._(
                    "… and %(more)s more.", more=open_count - LISTED
                )
            self.env["mail.thread"].message_notify(
                partner_ids=user.partner_id.ids,
                subject=env._("Daily digest of violation cases"),
                body=body,
            )
            self.create(
                {
                    "date": day,
                    "channel": "odoo",
                    "user_id": user.id,
                    "state": "sent",
                    "open_count": open_count,
                    "overdue_count": overdue_count,
                }
            )
            sent += 1
        return sent

    @api.model
    def _send_wecom(self, cases, now):
        """Per corp, one message to each WeCom recipient not served today; a failure stops
        the corp's round, shows on the corp, and leaves the rest pending for the next run."""
        open_domain = [("state", "in", OPEN_STATES)]
        sent = 0
        for [corp] in cases._read_group(open_domain, ["corp_id"]):
            day = self._due_day(now, corp._stat_tz())
            if not day:
                continue
            corp_cases = cases.search([*open_domain, ("corp_id", "=", corp.id)])
            rows = self.search(
                [("channel", "=", "wecom"), ("corp_id", "=", corp.id), ("date", "=", day)]
            )
            served = set(rows.filtered(lambda row: row.state == "sent").mapped("userid"))
            todo = {
                userid: ids
                for userid, ids in corp_cases._wecom_recipient_map().items()
                if userid not in served
            }
            if not todo:
                continue
            overdue = set(
                cases.search([*open_domain, ("corp_id", "=", corp.id), ("deadline", "<", day)]).ids
            )
            pending = self.browse()
            for userid, ids in todo.items():
                row = rows.filtered(lambda r, u=userid: r.userid == u) or self.create(
                    {"date": day, "channel": "wecom", "corp_id": corp.id, "userid": userid}
                )
                row.write({"open_count": len(ids), "overdue_count": len(overdue.intersection(ids))})
                pending |= row
            env = cases._wecom_env()
            try:
                api = cases._wecom_app_api(corp, todo)
                for row in pending:
                    text = self._wecom_text(env, cases.browse(todo[row.userid]), row, day)
                    api.send_text(corp.agent_id, [row.userid], text)
                    row.write({"state": "sent", "error": False})
                    sent += 1
            except (WecomApiError, MissingSecret, UserError) as error:
                text = cases._wecom_alert_failed(corp, error)
                pending.filtered(lambda row: row.state == "pending").error = text
                continue
            corp.sudo().alert_error = False
        return sent

    @api.model
    def _wecom_text(self, env, items, row, day):
        lines = [
            env._(
                "[Conversation Archive] Daily digest: open violation cases: %(open)s, "
                "overdue: %(overdue)s.",
                open=row.open_count,
                overdue=row.overdue_count,
            )
        ]
        listed = items.search([("id", "in", items.ids)], order=CASE_ORDER, limit=LISTED_IN_WECOM)
        lines += ["· " + " · ".join(self._facts(env, case, day)) for case in listed]
        if row.open_count > LISTED_IN_WECOM:
            lines.append(env._("… and %(more)s more.", more=row.open_count - LISTED_IN_WECOM))
        return "\n".join(lines)

    @api.model
    def _facts(self, env, case, day):
        """What a digest says of a case, in ``env``'s language."""
        states = dict(case._fields["state"]._description_selection(env))
        facts = [case.category or "", case.sender_name or case.sender or "", states[case.state]]
        if case.deadline:
            facts.append(env._("due %(date)s", date=fields.Date.to_string(case.deadline)))
            if case.deadline < day:
                facts.append(env._("overdue"))
        return facts
