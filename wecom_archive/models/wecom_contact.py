from odoo import api, fields, models

CONSENT = [
    ("agree", "Agreed"),
    ("disagree", "Refused"),
    ("default_agree", "Agreed by Default"),
    ("unknown", "Unknown"),
]


class WecomContact(models.Model):
    """An external contact (客户): a WeChat or WeCom user outside the corp."""

    _name = "wecom.contact"
    _description = "WeCom External Contact"
    _order = "name, external_userid"

    corp_id = fields.Many2one("wecom.corp", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="corp_id.company_id", store=True, index=True)
    external_userid = fields.Char("External UserID", required=True, index=True)
    name = fields.Char()
    consent_status = fields.Selection(
        CONSENT, default="unknown", required=True, string="Archive Consent"
    )
    consent_time = fields.Datetime("Consent Changed On")

    _sql_constraints = [
        (
            "external_userid_uniq",
            "unique(corp_id, external_userid)",
            "This external contact already exists.",
        ),
    ]

    @api.depends("name", "external_userid")
    def _compute_display_name(self):
        for contact in self:
            contact.display_name = contact.name or contact.external_userid
