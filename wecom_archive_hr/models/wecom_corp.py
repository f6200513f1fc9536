from odoo import models


class WecomCorp(models.Model):
    _inherit = "wecom.corp"

    def _write_members(self, departments, users, permit):
        super()._write_members(departments, users, permit)
        self.env["wecom.member"].search(
            [("corp_id", "=", self.id), ("employee_id", "=", False)]
        )._link_employees()
