from odoo import api, fields, models


class WecomGroup(models.Model):
    """A group chat: a customer group (客户群) or an internal group, by its roomid."""

    _name = "wecom.group"
    _inherit = ["wecom.archived.data"]
    _description = "WeCom Group Chat"
    _order = "name, roomid"

    corp_id = fields.Many2one("wecom.corp", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="corp_id.company_id", store=True, index=True)
    roomid = fields.Char("Room ID", required=True, index=True, help="chat_id / roomid")
    name = fields.Char()
    kind = fields.Selection(
        [("external", "Customer Group"), ("internal", "Internal Group")], readonly=True
    )
    owner_id = fields.Many2one("wecom.member", string="Owner", help="群主")
    notice = fields.Text()
    created_on = fields.Datetime("Created On")
    dismissed = fields.Boolean(readonly=True)
    line_ids = fields.One2many("wecom.group.member", "group_id", string="Members")
    member_count = fields.Integer(compute="_compute_member_count")
    conversation_ids = fields.One2many("wecom.conversation", "group_id", string="Chats")
    synced_on = fields.Datetime("Synced On", readonly=True)

    _sql_constraints = [("roomid_uniq", "unique(corp_id, roomid)", "This group already exists.")]

    @api.depends("name", "roomid")
    def _compute_display_name(self):
        for group in self:
            group.display_name = group.name or group.roomid

    @api.depends("line_ids.active")
    def _compute_member_count(self):
        for group in self:
            group.member_count = len(group.line_ids.filtered("active"))


class WecomGroupMember(models.Model):
    """Someone in a group chat, with when they joined; kept inactive once they left."""

    _name = "wecom.group.member"
    _description = "WeCom Group Chat Member"
    _order = "group_id, join_time"
    _rec_names_search = ["party", "member_id.name", "contact_id.name"]

    group_id = fields.Many2one("wecom.group", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="group_id.company_id", store=True, index=True)
    party = fields.Char("Party ID", required=True, help="userid or external_userid")
    external = fields.Boolean()
    member_id = fields.Many2one("wecom.member", index=True)
    contact_id = fields.Many2one("wecom.contact", string="Customer", index=True)
    join_time = fields.Datetime("Joined On")
    join_scene = fields.Selection(
        [
            ("0", "Unknown"),
            ("1", "Invited directly"),
            ("2", "Invited by link"),
            ("3", "Scanned the group QR code"),
        ]
    )
    active = fields.Boolean(default=True)
    left_on = fields.Datetime("Left On")

    _sql_constraints = [("party_uniq", "unique(group_id, party)", "Already in this group.")]

    @api.depends("party", "member_id.name", "contact_id.name")
    def _compute_display_name(self):
        for line in self:
            line.display_name = (line.member_id or line.contact_id).display_name or line.party
