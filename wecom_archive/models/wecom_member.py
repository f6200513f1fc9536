from odoo import api, fields, models


class WecomMember(models.Model):
    """A member (员工) of the corp, known from the directory or first seen in a chat."""

    _name = "wecom.member"
    _description = "WeCom Member"
    _order = "name, userid"

    corp_id = fields.Many2one("wecom.corp", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="corp_id.company_id", store=True, index=True)
    userid = fields.Char("UserID", required=True, index=True)
    name = fields.Char(help="Empty until the directory is synced: the userid is shown instead.")
    position = fields.Char("Position", help="职务")
    department_ids = fields.Many2many("wecom.department", string="Departments")
    archive_status = fields.Selection(
        [("archiving", "Archiving"), ("archived", "Formerly Archived"), ("none", "Not Archived")],
        default="none",
        required=True,
        help="Archiving: inside the archive scope (开启范围) now; Formerly Archived: out of "
        "the scope, with chats archived before.",
    )
    user_id = fields.Many2one("res.users", string="Odoo User", index=True)
    active = fields.Boolean(default=True)

    _sql_constraints = [
        ("userid_uniq", "unique(corp_id, userid)", "This member already exists."),
    ]

    @api.depends("name", "userid")
    def _compute_display_name(self):
        for member in self:
            member.display_name = member.name or member.userid
