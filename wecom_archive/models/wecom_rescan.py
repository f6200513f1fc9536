import time

from odoo import api, fields, models

from ..lib.normalize import normalize

BATCH = 2000


class WecomRescan(models.Model):
    """Scanning archived history against rules: a background job that resumes where it
    stopped (its cursor is committed with each batch's violations)."""

    _name = "wecom.rescan"
    _description = "Sensitive-Word History Scan"
    _order = "id desc"

    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    rule_ids = fields.Many2many(
        "wecom.keyword.rule",
        string="Rules",
        required=True,
        domain=[("rule_type", "=", "keyword")],
    )
    date_from = fields.Datetime("From", help="Empty: from the first archived message.")
    date_to = fields.Datetime("To", help="Empty: up to now.")
    state = fields.Selection(
        [("queued", "Queued"), ("running", "Running"), ("done", "Done")],
        default="queued",
        required=True,
        readonly=True,
    )
    cursor = fields.Integer(readonly=True, help="Last message id scanned.")
    scanned = fields.Integer(readonly=True)
    found = fields.Integer("Violations Found", readonly=True)

    @api.model_create_multi
    def create(self, vals_list):
        jobs = super().create(vals_list)
        self.env.ref("wecom_archive.ir_cron_wecom_rescan")._trigger()
        return jobs

    def _domain_sql(self):
        clauses, params = (
            ["m.company_id = %s", "m.state = 'done'", "m.id > %s"],
            [
                self.company_id.id,
                self.cursor,
            ],
        )
        if self.date_from:
            clauses.append("m.msgtime >= %s")
            params.append(self.date_from)
        if self.date_to:
            clauses.append("m.msgtime <= %s")
            params.append(self.date_to)
        return " AND ".join(clauses), params

    def _run_batch(self, size=BATCH):
        """Scan the next ``size`` messages; return False when the job is done."""
        self.ensure_one()
        where, params = self._domain_sql()
        self.env.cr.execute(
            f"""SELECT m.id, m.corp_id, m.body, m.conversation_id,
                       ARRAY(SELECT wecom_member_id FROM wecom_message_member_rel r
                              WHERE r.wecom_message_id = m.id),
                       ARRAY(SELECT wecom_department_id FROM wecom_message_department_rel r
                              WHERE r.wecom_message_id = m.id)
                  FROM wecom_message m WHERE {where} ORDER BY m.id LIMIT %s""",
            [*params, size],
        )
        rows = self.env.cr.fetchall()
        if not rows:
            self.state = "done"
            return False
        found = 0
        by_corp = {}
        for message_id, corp_id, body, chat_id, members, departments in rows:
            message = normalize(body)
            by_corp.setdefault(corp_id, []).append(
                (message_id, message, (chat_id, members, departments))
            )
        for corp_id, stored in by_corp.items():
            found += self.env["wecom.violation"]._scan(
                self.env["wecom.corp"].browse(corp_id), stored, rules=self.rule_ids
            )
        self.write(
            {
                "state": "running",
                "cursor": rows[-1][0],
                "scanned": self.scanned + len(rows),
                "found": self.found + found,
            }
        )
        return True

    @api.model
    def _cron_rescan(self, time_budget=None, size=BATCH):
        """Rescan batch by batch within Odoo's time limit for crons, resuming at the cursor."""
        if time_budget is None:
            time_budget = self.env["wecom.corp"]._cron_time_budget(share=1 / 4)
        deadline = time.monotonic() + time_budget
        batches = 0
        for job in self.search([("state", "!=", "done")], order="id"):
            while time.monotonic() < deadline and job._run_batch(size):
                self.env["wecom.corp"]._commit()
                batches += 1
            self.env["wecom.corp"]._commit()
            if time.monotonic() >= deadline:
                # Goes on in the next round: a round's time limits cover all it runs.
                self.env.ref("wecom_archive.ir_cron_wecom_rescan")._trigger()
                break
        self.env["ir.cron"]._notify_progress(done=batches, remaining=0)
