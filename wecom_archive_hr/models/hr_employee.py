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
        Conversation = self.env["wecom.conversation"]
        for employee in self:
            employee.wecom_conversation_count = Conversation.search_count(
                [("member_ids.employee_id", "=", employee.id)]
            )

    def action_view_wecom_conversations(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "wecom_archive.wecom_conversation_action"
        )
        action["domain"] = [("member_ids.employee_id", "=", self.id)]
        action["context"] = {}
        return action


class HrEmployee(models.Model):
    _name = "hr.employee"
    _inherit = ["hr.employee", "wecom.employee.chats.mixin"]


class HrEmployeePublic(models.Model):
    _name = "hr.employee.public"
    _inherit = ["hr.employee.public", "wecom.employee.chats.mixin"]
