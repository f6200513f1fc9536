from odoo import api, fields, models


class WecomDepartment(models.Model):
    """A WeCom department (部门), synced from the directory; kept when removed there."""

    _name = "wecom.department"
    _description = "WeCom Department"
    _parent_store = True
    _order = "corp_id, parent_path"

    corp_id = fields.Many2one("wecom.corp", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="corp_id.company_id", store=True, index=True)
    department_id = fields.Integer("WeCom Department ID", required=True)
    name = fields.Char(required=True)
    complete_name = fields.Char(compute="_compute_complete_name", recursive=True, store=True)
    active = fields.Boolean(default=True, help="Cleared when the department leaves WeCom.")
    sequence = fields.Integer(help="WeCom's order among siblings.")
    parent_id = fields.Many2one("wecom.department", ondelete="set null", index=True)
    parent_path = fields.Char(index=True)
    child_ids = fields.One2many("wecom.department", "parent_id", string="Subdepartments")
    member_ids = fields.Many2many("wecom.member", string="Members")
    leader_ids = fields.Many2many(
        "wecom.member",
        "wecom_department_leader_rel",
        "department_id",
        "member_id",
        string="Leaders",
        help="部门负责人: receive the WeCom alerts of their members' violations.",
    )
    member_count = fields.Integer(compute="_compute_member_count")

    _sql_constraints = [
        ("department_uniq", "unique(corp_id, department_id)", "This department already exists."),
    ]

    @api.model_create_multi
    def create(self, vals_list):
        departments = super().create(vals_list)
        if any(vals.get("parent_id") or vals.get("member_ids") for vals in vals_list):
            self.env["res.users"]._wecom_scope_changed()  # scopes hold subdepartments
        return departments

    def write(self, vals):
        result = super().write(vals)
        if {"parent_id", "member_ids", "active"} & vals.keys():
            # scopes hold subdepartments (the active ones, for the word rules)
            self.env["res.users"]._wecom_scope_changed()
        return result

    def unlink(self):
        # its subdepartments lose their parent and its members the department, in SQL
        # (ON DELETE): the scopes that held them are re-read
        result = super().unlink()
        self.env["res.users"]._wecom_scope_changed()
        return result

    @api.depends("name", "parent_id.complete_name")
    def _compute_complete_name(self):
        for department in self:
            parent = department.parent_id.complete_name
            department.complete_name = (
                f"{parent} / {department.name}" if parent else department.name
            )

    def _compute_display_name(self):
        for department in self:
            department.display_name = department.complete_name or department.name

    def _compute_member_count(self):
        counts = dict(
            self.env["wecom.member"]._read_group(
                [("department_ids", "in", self.ids)], ["department_ids"], ["__count"]
            )
        )
        for department in self:
            department.member_count = counts.get(department, 0)
