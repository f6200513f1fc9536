from odoo import api, fields, models

KINDS = [("external", "External Chat"), ("internal", "Internal Chat"), ("group", "Group Chat")]


class WecomConversation(models.Model):
    """A chat: a member with an external contact, two members, or a group (roomid)."""

    _name = "wecom.conversation"
    _inherit = ["wecom.archived.data"]
    _access_log_open = "open_chat"
    _description = "WeCom Conversation"
    _order = "last_msgtime desc, id desc"
    _rec_names_search = ["key", "contact_id.name", "group_id.name", "member_ids.name"]

    corp_id = fields.Many2one("wecom.corp", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one("res.company", required=True, index=True)
    key = fields.Char(required=True, help="room:<roomid>, or the two parties of a 1:1 chat.")
    kind = fields.Selection(KINDS, required=True, index=True)
    roomid = fields.Char(index=True)
    party_ids = fields.Char("Parties", help="The raw ids of a 1:1 chat's two parties.")
    member_ids = fields.Many2many(
        "wecom.member", "wecom_conversation_member_rel", string="Archived Members"
    )
    department_ids = fields.Many2many(
        "wecom.department", "wecom_conversation_department_rel", string="Departments"
    )
    contact_id = fields.Many2one("wecom.contact", string="External Contact", index=True)
    group_id = fields.Many2one("wecom.group", string="Group Chat", index=True)
    first_msgtime = fields.Datetime("First Message", readonly=True)
    last_msgtime = fields.Datetime("Last Message", readonly=True, index=True)
    message_count = fields.Integer("Messages", readonly=True)
    message_ids = fields.One2many("wecom.message", "conversation_id")

    _sql_constraints = [
        ("key_uniq", "unique(corp_id, key)", "This conversation already exists."),
    ]

    @api.depends("key", "kind", "contact_id.name", "member_ids.name", "group_id.name")
    def _compute_display_name(self):
        # A chat is named after both parties, also for an archive admin whose scope holds
        # only one of them: the names, not the other party's chats. Read in one query, and
        # not through member_ids as superuser, whose unfiltered value would then be what
        # the reader's own forms get.
        names = {}
        if self.ids:
            self.flush_model(["member_ids"])
            self.env["wecom.member"].flush_model(["name", "userid"])
            self.env.cr.execute(
                """SELECT rel.wecom_conversation_id, COALESCE(m.name, m.userid)
                     FROM wecom_conversation_member_rel rel
                     JOIN wecom_member m ON m.id = rel.wecom_member_id
                    WHERE rel.wecom_conversation_id = ANY(%s)
                    ORDER BY COALESCE(m.name, m.userid)""",
                [list(self.ids)],
            )
            for chat_id, name in self.env.cr.fetchall():
                names.setdefault(chat_id, []).append(name)
        for chat, chat_sudo in zip(self, self.sudo(), strict=True):
            if chat.kind == "group":
                chat.display_name = chat_sudo.group_id.name or chat.roomid
            else:
                parts = list(names.get(chat.id, []))
                if chat_sudo.contact_id:
                    parts.append(chat_sudo.contact_id.display_name)
                chat.display_name = " ↔ ".join(parts) or chat.key

    @api.model
    def _action_open(self, domain):
        """The chats list restricted to ``domain``: the "Archived Chats" buttons of
        customers, partners and employees."""
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "wecom_archive.wecom_conversation_action"
        )
        action["domain"] = domain
        action["context"] = {}
        return action
