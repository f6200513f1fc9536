from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.http import request

ACTIONS = [
    ("open_chat", "Opened a Chat"),
    ("view_message", "Viewed a Message"),
    ("search", "Searched"),
    ("export", "Exported"),
    ("media", "Downloaded Media"),
    ("view_violation", "Viewed a Violation"),
    ("scope_change", "Changed Permissions"),
    ("legal_hold", "Placed a Legal Hold"),
    ("legal_hold_lifted", "Lifted a Legal Hold"),
    ("purge_preview", "Previewed a Purge"),
    ("purge", "Purged Archived Data"),
    ("unmask", "Viewed Sensitive Originals"),
]
# Models whose records the log names as targets, and the archived members they involve.
_MEMBERS_OF = {
    "wecom.conversation": "member_ids",
    "wecom.message": "member_ids",
    "wecom.violation": "member_ids",
    "wecom.member": "id",
    "wecom.contact": "follow_ids.member_id",
}
DEFAULT_RETENTION_DAYS = 730


class WecomAccessLog(models.Model):
    """Who looked at what: append-only. Nobody edits or deletes a row through the ORM or
    RPC, the system administrator included; only the retention job purges old rows."""

    _name = "wecom.access.log"
    _description = "Archive Access Log"
    _order = "id desc"
    _rec_name = "action"

    create_date = fields.Datetime("Time", readonly=True, index=True)
    user_id = fields.Many2one("res.users", string="User", readonly=True, index=True)
    company_id = fields.Many2one("res.company", readonly=True, index=True)
    ip = fields.Char("IP Address", readonly=True)
    action = fields.Selection(ACTIONS, required=True, readonly=True, index=True)
    res_model = fields.Char("Target Model", readonly=True)
    res_id = fields.Integer("Target ID", readonly=True)
    target = fields.Char(readonly=True, help="The target's name when it was logged.")
    detail = fields.Text(readonly=True, help="Search terms, exported fields, scope changes …")
    conversation_id = fields.Many2one(
        "wecom.conversation", readonly=True, index="btree_not_null", ondelete="set null"
    )
    member_ids = fields.Many2many(
        "wecom.member",
        "wecom_access_log_member_rel",
        "log_id",
        "member_id",
        string="Members Concerned",
        readonly=True,
    )

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            raise UserError(self.env._("The access log is written by the system only."))
        return super().create(vals_list)

    def write(self, vals):
        raise UserError(self.env._("The access log cannot be changed."))

    def unlink(self):
        raise UserError(self.env._("The access log cannot be deleted."))

    @api.model
    def _log(self, action, records=None, detail=""):
        """Record that the current user did ``action`` on ``records`` (any model)."""
        records = records if records is not None else self.env["wecom.conversation"]
        records_sudo = records.sudo()
        members = self.env["wecom.member"]
        path = _MEMBERS_OF.get(records._name)
        if path:
            members = records_sudo.mapped(path) if path != "id" else records_sudo
        conversation = self.env["wecom.conversation"]
        if records._name == "wecom.conversation":
            conversation = records_sudo[:1]
        elif records._name in ("wecom.message", "wecom.violation"):
            conversation = records_sudo[:1].conversation_id
        self.sudo().create(
            {
                "user_id": self.env.uid,
                "company_id": self.env.company.id,
                "ip": request.httprequest.remote_addr if request else False,
                "action": action,
                "res_model": records._name,
                "res_id": records[:1].id if len(records) == 1 else False,
                "target": ", ".join(records_sudo[:5].mapped("display_name")) or False,
                "detail": detail or False,
                "conversation_id": conversation.id,
                "member_ids": [(6, 0, members.ids)],
            }
        )

    @api.model
    def _cron_purge(self):
        """Delete rows older than the retention setting (days; 0 keeps them forever)."""
        days = int(
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("wecom_archive.access_log_days", DEFAULT_RETENTION_DAYS)
        )
        if days > 0:
            self.env.cr.execute(
                "DELETE FROM wecom_access_log WHERE create_date < now() at time zone 'UTC' "
                "- make_interval(days => %s)",
                [days],
            )
