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
        if "department_ids" in vals:
            # A member who changes department moves with their chats: scopes are re-read.
            self.env["res.users"]._wecom_scope_changed()
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

    def action_view_customers(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("wecom_archive.wecom_contact_action")
        action["domain"] = [("follow_ids.member_id", "=", self.id)]
        action["context"] = {}
        return action
