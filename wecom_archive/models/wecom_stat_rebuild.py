import time
from datetime import timedelta

from odoo import api, fields, models

from ..lib.stats import local_day

CHUNK_DAYS = 7  # days rebuilt per transaction


class WecomStatRebuild(models.Model):
    """Rebuilding a corp's daily statistics from the archive for a range of days: after a
    change of keyword rules, working hours or time zone, or an upgrade. A background job
    that resumes where it stopped: a week per transaction, under the corp's pipeline lock,
    its cursor committed with the rows."""

    _name = "wecom.stat.rebuild"
    _description = "Statistics Rebuild"
    _order = "id desc"

    corp_id = fields.Many2one("wecom.corp", required=True, ondelete="cascade")
    company_id = fields.Many2one(related="corp_id.company_id", store=True, index=True)
    date_from = fields.Date(
        "From",
        required=True,
        default=lambda self: fields.Date.context_today(self) - timedelta(days=30),
    )
    date_to = fields.Date("To", required=True, default=fields.Date.context_today)
    state = fields.Selection(
        [("queued", "Queued"), ("running", "Running"), ("done", "Done")],
        default="queued",
        required=True,
        readonly=True,
    )
    next_day = fields.Date("Next Day", readonly=True, help="The first day not rebuilt yet.")

    _sql_constraints = [
        ("range_ordered", "check(date_from <= date_to)", "The range ends after it starts."),
    ]

    @api.model_create_multi
    def create(self, vals_list):
        jobs = super().create(vals_list)
        self.env.ref("wecom_archive.ir_cron_wecom_stat_rebuild")._trigger()
        return jobs

    def _run_chunk(self):
        """Rebuild the job's next days; False when the job is done, None when a pull of
        the corp holds the lock."""
        self.ensure_one()
        corp = self.corp_id
        if not corp._try_lock():
            return None
        start = self.next_day or self.date_from
        end = min(start + timedelta(days=CHUNK_DAYS - 1), self.date_to)
        self.env["wecom.stat.chat.day"]._rebuild(corp, start, end)
        done = end >= self.date_to
        self.write({"state": "done" if done else "running", "next_day": end + timedelta(days=1)})
        return not done

    @api.model
    def _cron_rebuild(self, time_budget=None):
        """Run the queued rebuilds, a chunk per transaction, within Odoo's time limit for
        crons; a job stopped by the budget or by a running pull goes on in the next round."""
        Corp = self.env["wecom.corp"]
        if time_budget is None:
            time_budget = Corp._cron_time_budget(share=1 / 4)
        deadline = time.monotonic() + time_budget
        chunks = 0
        for job in self.search([("state", "!=", "done")], order="id"):
            more = True
            while more and time.monotonic() < deadline:
                Corp._begin()
                more = job._run_chunk()
                Corp._commit()
                chunks += more is not None
            if more is not False:  # out of time, or a pull holds the lock: next round
                self.env.ref("wecom_archive.ir_cron_wecom_stat_rebuild")._trigger()
                break
        self.env["ir.cron"]._notify_progress(done=chunks, remaining=0)

    @api.model
    def _queue_missing(self):
        """Queue a rebuild of every corp with archived messages and no statistics yet, nor
        a rebuild under way (the statistics installed on an existing archive): from its
        first message or customer to today."""
        self.env.cr.execute(
            """SELECT c.id FROM wecom_corp c
                WHERE EXISTS (SELECT 1 FROM wecom_message m WHERE m.corp_id = c.id)
                  AND NOT EXISTS (SELECT 1 FROM wecom_stat_chat_day d
                                    JOIN wecom_conversation cv ON cv.id = d.conversation_id
                                   WHERE cv.corp_id = c.id)
                  AND NOT EXISTS (SELECT 1 FROM wecom_stat_rebuild j
                                   WHERE j.corp_id = c.id AND j.state != 'done')"""
        )
        jobs = []
        for corp in self.env["wecom.corp"].browse([row[0] for row in self.env.cr.fetchall()]):
            self.env.cr.execute(
                """SELECT min(first) FROM (
                       SELECT min(msgtime) AS first FROM wecom_message WHERE corp_id = %(corp)s
                       UNION ALL
                       SELECT min(added_on) FROM wecom_contact_follow WHERE corp_id = %(corp)s
                   ) f""",
                {"corp": corp.id},
            )
            first = self.env.cr.fetchone()[0]
            if first:
                tz = corp._stat_tz()
                today = fields.Date.context_today(self.with_context(tz=tz))
                jobs.append(
                    {"corp_id": corp.id, "date_from": local_day(first, tz), "date_to": today}
                )
        self.create(jobs)
