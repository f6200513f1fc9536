from odoo import fields, models


class WecomDepartment(models.Model):
    """A WeCom department (部门)."""

    _name = "wecom.department"
    _description = "WeCom Department"
    _parent_store = True
    _order = "corp_id, parent_path"

    corp_id = fields.Many2one("wecom.corp", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="corp_id.company_id", store=True, index=True)
    department_id = fields.Integer("WeCom Department ID", required=True)
    name = fields.Char(required=True)
    parent_id = fields.Many2one("wecom.department", ondelete="set null", index=True)
    parent_path = fields.Char(index=True)
    member_ids = fields.Many2many("wecom.member", string="Members")

    _sql_constraints = [
        ("department_uniq", "unique(corp_id, department_id)", "This department already exists."),
    ]
