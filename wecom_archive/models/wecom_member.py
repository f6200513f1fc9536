from collections import Counter

from odoo import api, fields, models

ARCHIVE_STATUS = [
    ("archiving", "Archiving"),
    ("archived", "Formerly Archived"),
    ("none", "Not Archived"),
]
WECOM_STATUS = [
    ("1", "Active"),
    ("2", "Disabled"),
    ("4", "Not Activated"),
    ("5", "Left the Company"),
    ("removed", "Removed from WeCom"),
]


class WecomMember(models.Model):
    """A member (员工) of the corp: from the directory, or first seen in a chat.

    Never deleted: a member who leaves or is removed keeps their chats, and becomes
    Formerly Archived (曾归档) once out of the archive scope.
    """

    _name = "wecom.member"
    _inherit = ["wecom.archived.data"]
    _description = "WeCom Member"
    _order = "name, userid"

    corp_id = fields.Many2one("wecom.corp", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="corp_id.company_id", store=True, index=True)
    userid = fields.Char("UserID", required=True, index=True)
    name = fields.Char(help="Empty until the directory is synced: the userid is shown instead.")
    position = fields.Char("Position", help="职务")
    department_ids = fields.Many2many("wecom.department", string="Departments")
    main_department_id = fields.Many2one("wecom.department", string="Main Department")
    leader_department_ids = fields.Many2many(
        "wecom.department",
        "wecom_department_leader_rel",
        "member_id",
        "department_id",
        string="Leader of",
    )
    wecom_status = fields.Selection(WECOM_STATUS, string="WeCom Status", readonly=True)
    gender = fields.Selection([("0", "Unknown"), ("1", "Male"), ("2", "Female")])
    avatar_url = fields.Char("Avatar")
    email = fields.Char()
    archive_status = fields.Selection(
        ARCHIVE_STATUS,
        default="none",
        required=True,
        readonly=True,
        index=True,
        help="Archiving (归档中): inside the archive scope (开启范围) now; Formerly Archived "
        "(曾归档): out of the scope, with chats archived before.",
    )
    archive_since = fields.Datetime("In Archive Scope Since", readonly=True)
    archive_until = fields.Datetime("Left Archive Scope On", readonly=True)
    synced_on = fields.Datetime("Synced On", readonly=True)
    user_id = fields.Many2one("res.users", string="Odoo User", index=True)
    follow_ids = fields.One2many("wecom.contact.follow", "member_id", string="Customers")
    customer_count = fields.Integer(
        "Current Customers", compute="_compute_customer_count", help="当前负责客户数"
    )
    active = fields.Boolean(default=True)
    # Statistics, all time, read from the tables the pipeline keeps (not from messages).
    stat_customer_total = fields.Integer(
        "Customers Added (All Time)",
        compute="_compute_statistics",
        help="客户总数: the customers the member added, those lost since included.",
    )
    stat_message_count = fields.Integer(
        "Chat Messages",
        compute="_compute_statistics",
        help="总会话消息数: the messages the member sent and received.",
    )
    stat_group_count = fields.Integer(
        "Customer Group Chats",
        compute="_compute_statistics",
        help="客户群总数: the archived customer group chats the member is in.",
    )
    stat_private_chat_count = fields.Integer(
        "Customer Chats",
        compute="_compute_statistics",
        help="客户私聊会话数: the archived 1:1 chats of the member with customers.",
    )
    stat_violation_count = fields.Integer(
        "Violation Hits",
        compute="_compute_statistics",
        help="违规次数: the sensitive-word hits of the member's messages.",
    )
    stat_first_reply_avg = fields.Float(
        "Average First Reply (min)",
        compute="_compute_statistics",
        digits=(16, 1),
        help="平均首次回复时长, in working minutes: from a customer's first unanswered message "
        "to the member's reply.",
    )

    _sql_constraints = [
        ("userid_uniq", "unique(corp_id, userid)", "This member already exists."),
    ]

    @api.model_create_multi
    def create(self, vals_list):
        members = super().create(vals_list)
        if any(vals.get("department_ids") for vals in vals_list):
            self.env["res.users"]._wecom_scope_changed()
        return members

    def write(self, vals):
        result = super().write(vals)
        if "department_ids" in vals or "active" in vals:
            # A member who changes department moves with their chats, and an archived one
            # leaves the rules and scopes that name them (read in the default context):
            # scopes are re-read.
            self.env["res.users"]._wecom_scope_changed()
        return result

    def unlink(self):
        result = super().unlink()
        self.env["res.users"]._wecom_scope_changed()  # they leave the rules and scopes
        return result

    @api.depends("name", "userid")
    def _compute_display_name(self):
        for member in self:
            member.display_name = member.name or member.userid

    def _compute_customer_count(self):
        counts = dict(
            self.env["wecom.contact.follow"]._read_group(
                [("member_id", "in", self.ids), ("state", "=", "current")],
                ["member_id"],
                ["__count"],
            )
        )
        for member in self:
            member.customer_count = counts.get(member, 0)

    def _compute_statistics(self):
        days = {
            member: values
            for member, *values in self.env["wecom.stat.member.day"]._read_group(
                [("member_id", "in", self.ids)],
                ["member_id"],
                [
                    "customers_added:sum",
                    "sent_count:sum",
                    "received_count:sum",
                    "violation_count:sum",
                    "first_reply_count:sum",
                    "first_reply_seconds:sum",
                ],
            )
        }
        private, groups = Counter(), Counter()
        for member, kind, count in self.env["wecom.conversation"]._read_group(
            [
                ("member_ids", "in", self.ids),
                "|",
                ("kind", "=", "external"),
                ("group_id.kind", "=", "external"),
            ],
            ["member_ids", "kind"],
            ["__count"],
        ):
            (private if kind == "external" else groups)[member.id] += count
        for member in self:
            added, sent, received, violations, replies, seconds = days.get(member, [0] * 6)
            member.stat_customer_total = added
            member.stat_message_count = sent + received
            member.stat_violation_count = violations
            member.stat_first_reply_avg = seconds / 60 / replies if replies else 0.0
            member.stat_private_chat_count = private[member.id]
            member.stat_group_count = groups[member.id]

    def action_view_statistics(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "wecom_archive.wecom_stat_member_day_action"
        )
        action["domain"] = [("member_id", "=", self.id)]
        action["context"] = {}  # all their days, not this month's
        return action

    def action_view_customers(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("wecom_archive.wecom_contact_action")
        action["domain"] = [("follow_ids.member_id", "=", self.id)]
        action["context"] = {}
        return action
