from odoo import api, models


class WecomViolation(models.Model):
    _inherit = "wecom.violation"

    @api.model
    def _scan(self, corp, stored, rules=None):
        """Count the violations recorded on their sender's and chat's days, wherever the
        scan runs (a pull, failed messages processed again, a history scan)."""
        self.env.cr.execute("SELECT COALESCE(max(id), 0) FROM wecom_violation")
        last_id = self.env.cr.fetchone()[0]
        found = super()._scan(corp, stored, rules=rules)
        if found:
            self.env["wecom.stat.chat.day"]._count_violations(corp, stored, last_id)
        return found
