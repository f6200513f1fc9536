import re

from odoo import api, fields, models
from odoo.osv import expression

from ..lib.directory import ADD_WAYS

CONSENT = [
    ("agree", "Agreed"),
    ("disagree", "Refused"),
    ("default_agree", "Agreed by Default"),
    ("unknown", "Unknown"),
]
SESSION_STATUS = [
    ("active", "In Conversation"),
    ("interrupted", "Conversation Interrupted"),
    ("none", "No Current Conversation"),
]
ADD_WAY = [(str(code), label) for code, label in ADD_WAYS.items()]


class WecomContact(models.Model):
    """An external contact (客户): a WeChat or WeCom user outside the corp."""

    _name = "wecom.contact"
    _inherit = ["wecom.archived.data"]
    _description = "WeCom Customer"
    _order = "name, external_userid"

    corp_id = fields.Many2one("wecom.corp", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="corp_id.company_id", store=True, index=True)
    external_userid = fields.Char("External UserID", required=True, index=True)
    name = fields.Char()
    contact_type = fields.Selection(
        [("1", "WeChat"), ("2", "WeCom")], string="Account", help="客户账号: 微信 / 企业微信"
    )
    corp_name = fields.Char("Customer's Company")
    avatar_url = fields.Char("Avatar")
    gender = fields.Selection([("0", "Unknown"), ("1", "Male"), ("2", "Female")])
    follow_ids = fields.One2many("wecom.contact.follow", "contact_id", string="Followers")
    added_on = fields.Datetime(
        "Added On", readonly=True, help="When the first member added this customer."
    )
    add_way = fields.Selection(ADD_WAY, string="Source", readonly=True, help="How they were added.")
    description = fields.Char(readonly=True, help="The first follower's description.")
    follower_count = fields.Integer("Current Followers", readonly=True, default=0)
    former_follower_count = fields.Integer("Former Followers", readonly=True, default=0)
    consent_status = fields.Selection(
        CONSENT, default="unknown", required=True, string="Archive Consent", readonly=True
    )
    consent_time = fields.Datetime("Consent Changed On", readonly=True)
    session_status = fields.Selection(
        SESSION_STATUS,
        default="none",
        required=True,
        readonly=True,
        index=True,
        help="In Conversation: messages within the corp's window; Interrupted: consent "
        "refused, or no follower left; No Current Conversation: otherwise.",
    )
    last_msgtime = fields.Datetime("Last Message", readonly=True)
    synced_on = fields.Datetime("Synced On", readonly=True)
    partner_id = fields.Many2one("res.partner", string="CRM Contact", index=True)
    partner_suggestion_ids = fields.Many2many(
        "res.partner", compute="_compute_partner_suggestion_ids", string="Possible CRM Contacts"
    )
    conversation_ids = fields.One2many("wecom.conversation", "contact_id", string="Chats")
    conversation_count = fields.Integer(compute="_compute_conversation_count")

    _sql_constraints = [
        (
            "external_userid_uniq",
            "unique(corp_id, external_userid)",
            "This external contact already exists.",
        ),
    ]

    @api.depends("name", "external_userid", "corp_name")
    def _compute_display_name(self):
        for contact in self:
            name = contact.name or contact.external_userid
            contact.display_name = f"{name}@{contact.corp_name}" if contact.corp_name else name

    def _compute_conversation_count(self):
        counts = dict(
            self.env["wecom.conversation"]._read_group(
                [("contact_id", "in", self.ids)], ["contact_id"], ["__count"]
            )
        )
        for contact in self:
            contact.conversation_count = counts.get(contact, 0)

    def _mobiles(self):
        return {m for follow in self.follow_ids for m in (follow.mobiles or "").split(",") if m}

    @api.depends("name", "corp_name", "follow_ids.mobiles", "partner_id")
    def _compute_partner_suggestion_ids(self):
        Partner = self.env["res.partner"]
        for contact in self:
            if contact.partner_id or not (contact.name or contact._mobiles()):
                contact.partner_suggestion_ids = False
                continue
            domains = []
            if contact.name:
                domains.append([("name", "=ilike", contact.name)])
                if contact.corp_name:
                    domains.append(
                        [
                            ("name", "ilike", contact.name),
                            ("commercial_company_name", "ilike", contact.corp_name),
                        ]
                    )
            for mobile in contact._mobiles():
                digits = re.sub(r"\D", "", mobile)[-11:]
                if len(digits) >= 7:
                    domains += [[("phone", "like", digits)], [("mobile", "like", digits)]]
            contact.partner_suggestion_ids = Partner.search(expression.OR(domains), limit=8)

    def _partner_values(self):
        self.ensure_one()
        values = {"name": self.name or self.external_userid, "comment": self.description or False}
        if self.corp_name:
            company = self.env["res.partner"].search(
                [("is_company", "=", True), ("name", "=", self.corp_name)], limit=1
            ) or self.env["res.partner"].create({"name": self.corp_name, "is_company": True})
            values["parent_id"] = company.id
        mobiles = sorted(self._mobiles())
        if mobiles:
            values["mobile"] = mobiles[0]
        return values

    def action_create_partner(self):
        """One click: a CRM contact from this customer, linked to it."""
        for contact in self.filtered(lambda c: not c.partner_id):
            contact.partner_id = self.env["res.partner"].create(contact._partner_values())
        return True

    def action_unlink_partner(self):
        self.partner_id = False
        return True

    def action_view_conversations(self):
        self.ensure_one()
        return self.env["wecom.conversation"]._action_open([("contact_id", "=", self.id)])


class WecomContactFollow(models.Model):
    """A member following a customer (跟进人); kept as a former follower when removed."""

    _name = "wecom.contact.follow"
    _description = "WeCom Customer Follower"
    _order = "state, added_on"
    _rec_names_search = ["contact_id.name", "member_id.name"]

    contact_id = fields.Many2one("wecom.contact", required=True, ondelete="cascade", index=True)
    member_id = fields.Many2one("wecom.member", required=True, ondelete="cascade", index=True)
    corp_id = fields.Many2one(related="contact_id.corp_id", store=True, index=True)
    company_id = fields.Many2one(related="contact_id.company_id", store=True, index=True)
    remark = fields.Char()
    description = fields.Char()
    mobiles = fields.Char("Remark Mobiles", help="Comma-separated")
    added_on = fields.Datetime("Added On")
    add_way = fields.Selection(ADD_WAY, string="Source")
    state = fields.Selection(
        [("current", "Current"), ("former", "Former")], default="current", required=True
    )
    removed_on = fields.Datetime("Removed On")
    removed_by = fields.Selection(
        [
            ("member", "The member deleted the customer"),
            ("customer", "The customer deleted the member"),
        ],
        help="Known when WeCom's callback said who removed whom.",
    )

    _sql_constraints = [
        ("follow_uniq", "unique(contact_id, member_id)", "This member already follows them."),
    ]
