from odoo import api, fields, models

from ..models.wecom_violation import OUTCOMES, assignee_domain


class WecomViolationCaseWizard(models.TransientModel):
    """Bulk assign (批量分配) or bulk close (批量结案) the violation cases selected in the list."""

    _name = "wecom.violation.case.wizard"
    _description = "Assign or Close Violation Cases"

    mode = fields.Selection(
        [("assign", "Assign"), ("close", "Close as Handled")], required=True, default="assign"
    )
    violation_ids = fields.Many2many("wecom.violation", string="Cases", required=True)
    case_count = fields.Integer("Selected Cases", compute="_compute_case_count")
    user_id = fields.Many2one("res.users", "Assignee", domain=assignee_domain)
    deadline = fields.Date()
    outcome = fields.Selection(OUTCOMES, help="Empty: each case keeps the outcome it has.")
    comment = fields.Text(help="Written on every case, replacing its comment.")

    @api.depends("violation_ids")
    def _compute_case_count(self):
        for wizard in self:
            wizard.case_count = len(wizard.violation_ids)

    def action_apply(self):
        self.ensure_one()
        values = {}
        if self.comment:
            values["review_note"] = self.comment
        if self.mode == "assign":
            values["user_id"] = self.user_id.id
            if self.deadline:
                values["deadline"] = self.deadline
            # one assignment notice per case would flood the assignee: the digest tells them
            self.violation_ids.with_context(mail_auto_subscribe_no_notify=True).write(values)
        else:
            if self.outcome:
                values["outcome"] = self.outcome
            cases = self.violation_ids._open_cases()
            cases.write(values)
            cases.action_done()
        return {"type": "ir.actions.act_window_close"}
