from odoo import fields, models


class WecomEmployeeChats(models.AbstractModel):
    """The "Archived Chats" button of an employee's form, for archive admins: on the full
    employee form (HR officers) and on the public one (everyone else), whose records share
    their ids. Counted with the reader's rights, so an archive admin counts their scope."""

    _name = "wecom.employee.chats.mixin"
    _description = "Archived WeCom chats of an employee"

    wecom_conversation_count = fields.Integer(
        "Archived Chats",
        compute="_compute_wecom_conversation_count",
        groups="wecom_archive.group_wecom_archive_admin",
    )

    def _compute_wecom_conversation_count(self):
        # One search for all the employees; a chat between two members of one employee
        # counts once.
        counts = dict.fromkeys(self.ids, 0)
        chats = self.env["wecom.conversation"].search([("member_ids.employee_id", "in", self.ids)])
        for chat in chats:
            for employee_id in set(chat.member_ids.employee_id.ids) & counts.keys():
                counts[employee_id] += 1
        for employee in self:
            employee.wecom_conversation_count = counts.get(employee.id, 0)

    def action_view_wecom_conversations(self):
        self.ensure_one()
        return self.env["wecom.conversation"]._action_open(
            [("member_ids.employee_id", "=", self.id)]
        )


class HrEmployee(models.Model):
    _name = "hr.employee"
    _inherit = ["hr.employee", "wecom.employee.chats.mixin"]


class HrEmployeePublic(models.Model):
    _name = "hr.employee.public"
    _inherit = ["hr.employee.public", "wecom.employee.chats.mixin"]
