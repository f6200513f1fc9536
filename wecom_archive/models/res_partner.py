from odoo import fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    wecom_contact_ids = fields.One2many(
        "wecom.contact",
        "partner_id",
        string="WeCom Customers",
        groups="wecom_archive.group_wecom_archive_admin",
    )
    wecom_conversation_count = fields.Integer(
        "Archived Chats",
        compute="_compute_wecom_conversation_count",
        groups="wecom_archive.group_wecom_archive_admin",
    )

    def _compute_wecom_conversation_count(self):
        counts = dict(
            self.env["wecom.conversation"]._read_group(
                [("contact_id.partner_id", "in", self.ids)], ["contact_id"], ["__count"]
            )
        )
        for partner in self:
            partner.wecom_conversation_count = sum(
                n for contact, n in counts.items() if contact.partner_id == partner
            )

    def action_view_wecom_conversations(self):
        """The partner form's button: this CRM contact's archived WeCom chats."""
        self.ensure_one()
        return self.env["wecom.conversation"]._action_open(
            [("contact_id.partner_id", "=", self.id)]
        )

    def action_wecom_link_contact(self):
        """A suggestion's "Link" button on the customer form (the customer is in context)."""
        self.ensure_one()
        contact = self.env["wecom.contact"].browse(self.env.context.get("wecom_contact_id"))
        contact.ensure_one()
        contact.partner_id = self
        return {"type": "ir.actions.client", "tag": "soft_reload"}
