"""Retention (保存期限) and the rights around archived data.

Per corp, messages are kept N days and, separately, media files M days. The retention job
deletes what is older in batches of BATCH messages, one transaction each, and writes a
purge record (``wecom.retention.purge``): cut-off dates, counts, seq and time range, and
the hash chain's checkpoint, its head digest once the deleted range is superseded
(models/wecom_integrity.py), so the chain stays verifiable. A batch:

1. takes the corp's pipeline lock (a pull of the corp holds it for each of its batches:
   nothing is deleted while one runs; busy for LOCK_WAIT seconds, the job stops and runs
   again later) and a SHARE lock on the legal holds (a hold being placed waits for the batch
   and is seen by the next);
2. picks the next messages past the cut-off by id, up to the newest id that was old enough
   when the run started, none kept by a legal hold (``held_condition``), none outside a
   scoped admin's scope;
3. checks the chain's blocks holding them against what they claim (a message removed or
   slipped in before, or its stored hash changed, is reported, and nothing deleted), and
   supersedes them by blocks holding what stays;
4. deletes the rows naming the messages first, set-based (their media parts, member and
   department links; the reply waits let go of them), so that each foreign key's trigger,
   fired once per deleted message, finds nothing left to do by its index; then deletes the
   messages, keeps their violations (with or without the message text, by the corp's
   setting, and with the members who may read them), unlinks their attachments
   (ir.attachment marks the files for Odoo's filestore garbage collection, which the job
   runs at the end), adds its counts to the purge record, and commits.

A run killed at any point leaves whole batches: the next run of the job goes on with the
same purge record, and deletes nothing twice. Media files past their own limit are deleted
the same way, their messages kept (``media_state`` purged). A preview (dry run) counts what
would go and deletes nothing. Statistics, conversations and violations stay.

Rights: purging (and its preview) is the right of group_wecom_purge on top of an archive
role: a scoped archive admin purges only the chats of the members in their scope. Exporting
archived data needs Odoo's export right (base.group_allow_export), which the archive enforces
on the server, the rows being those the user may read. Both are written to the access log.
"""

import logging
import time
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL, config
from odoo.tools.sql import create_index

from ..lib import integrity as lib
from .bigint import BigInteger
from .wecom_legal_hold import held_condition

_logger = logging.getLogger(__name__)

# messages deleted per transaction: a batch's fixed costs (its lock, its chain block, its
# files' unlink, the commit) spread over more messages; held ~1 s on a loaded 2-core box
BATCH = 20000
# the other rows naming a message (besides its violations and media parts), each column
# indexed: (table, column, what the purge does to them, as their foreign key would)
DEPENDENTS = (
    ("wecom_message_member_rel", "wecom_message_id", "delete"),
    ("wecom_message_department_rel", "wecom_message_id", "delete"),
    ("wecom_reply_wait", "message_id", "set null"),
)
LOCK_WAIT = 10  # seconds a batch waits for a pull of its corp to end before it gives up
STATES = [
    ("preview", "Preview"),
    ("running", "Running"),
    ("done", "Done"),
    ("stopped", "Stopped"),
]


class WecomRetentionPurge(models.Model):
    """One run of the retention job on a corp (or its preview): what went, and the chain's
    checkpoint after it."""

    _name = "wecom.retention.purge"
    _description = "Retention Purge"
    _order = "id desc"

    corp_id = fields.Many2one(
        "wecom.corp", required=True, readonly=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one(related="corp_id.company_id", store=True, index=True)
    user_id = fields.Many2one("res.users", "Run By", readonly=True)
    state = fields.Selection(STATES, required=True, readonly=True, default="running")
    note = fields.Char(readonly=True)
    started_on = fields.Datetime(readonly=True)
    ended_on = fields.Datetime(readonly=True)
    message_cutoff = fields.Datetime("Messages Before", readonly=True)
    media_cutoff = fields.Datetime("Media Files Before", readonly=True)
    scope_member_ids = fields.Many2many(
        "wecom.member",
        "wecom_retention_purge_member_rel",
        "purge_id",
        "member_id",
        string="Scope",
        readonly=True,
        help="Run by a scoped archive admin: only the chats of these members. Empty: the "
        "whole corp.",
    )
    # the newest message ids old enough when the run started: a run never goes past them
    message_upper_id = fields.Integer("Up To Message ID", readonly=True)
    media_upper_id = fields.Integer("Media Up To Message ID", readonly=True)
    message_count = fields.Integer("Messages", readonly=True)
    media_count = fields.Integer("Media Files", readonly=True)
    violation_count = fields.Integer("Violations Kept", readonly=True)
    held_count = fields.Integer(
        "Kept Under Legal Hold",
        readonly=True,
        help="Messages past the limit that a legal hold keeps, when the run started.",
    )
    first_seq = BigInteger("From Seq", readonly=True)
    last_seq = BigInteger("To Seq", readonly=True)
    first_msgtime = fields.Datetime("From", readonly=True)
    last_msgtime = fields.Datetime("To", readonly=True)
    checkpoint_digest = fields.Char(
        "Chain Checkpoint",
        readonly=True,
        help="The hash chain's head digest after the last batch: the chain, deleted ranges "
        "superseded, is verifiable from it.",
    )
    checkpoint_block_id = fields.Many2one("wecom.integrity.block", readonly=True)

    @api.depends("corp_id", "started_on", "state")
    def _compute_display_name(self):
        labels = dict(self._fields["state"]._description_selection(self.env))
        for purge in self:
            when = fields.Datetime.to_string(purge.started_on) if purge.started_on else ""
            purge.display_name = f"{purge.corp_id.name} {when} ({labels[purge.state]})"

    # -- running -----------------------------------------------------------------------------
    @api.model
    def _run(self, corp, scope=None, preview=False, batch_size=BATCH, time_budget=None):
        """Apply the corp's retention (the ``scope`` members' chats only, when given): go on
        with the run left unfinished, else start one. Returns the purge record (none when
        the corp keeps everything); a run out of time or waiting for a pull stays running."""
        corp, purges = corp.sudo(), self.sudo()
        message_cutoff, media_cutoff = corp._retention_cutoffs()
        if not (message_cutoff or media_cutoff):
            return purges
        deadline = None if time_budget is None else time.monotonic() + time_budget
        scope_ids = sorted(scope.ids) if scope is not None else []
        purge = purges
        if not preview:
            running = purges.search([("corp_id", "=", corp.id), ("state", "=", "running")])
            purge = running.filtered(lambda p: sorted(p.scope_member_ids.ids) == scope_ids)[:1]
        if not purge:
            purge = purges._start(corp, scope_ids, message_cutoff, media_cutoff, preview)
            if preview:
                return purge
        purge._go_on(batch_size, deadline)
        return purge

    def _start(self, corp, scope_ids, message_cutoff, media_cutoff, preview):
        self.env.flush_all()
        purge = self.create(
            {
                "corp_id": corp.id,
                "user_id": self.env.uid,
                "state": "preview" if preview else "running",
                "started_on": fields.Datetime.now(),
                "message_cutoff": message_cutoff,
                "media_cutoff": media_cutoff,
                "scope_member_ids": [fields.Command.set(scope_ids)],
                "message_count": 0,
                "media_count": 0,
                "violation_count": 0,
            }
        )
        purge.flush_recordset()
        cr = self.env.cr
        cr.execute(
            """SELECT GREATEST(
                   (SELECT max(id) FROM wecom_message
                     WHERE corp_id = %(corp)s AND msgtime < %(cut)s),
                   (SELECT max(id) FROM wecom_message
                     WHERE corp_id = %(corp)s AND msgtime IS NULL AND create_date < %(cut)s))""",
            {"corp": corp.id, "cut": message_cutoff or "-infinity"},
        )
        message_upper = cr.fetchone()[0] or 0
        cr.execute(
            "SELECT max(id) FROM wecom_message WHERE corp_id = %s AND msgtime < %s",
            [corp.id, media_cutoff or "-infinity"],
        )
        purge.write({"message_upper_id": message_upper, "media_upper_id": cr.fetchone()[0] or 0})
        held = self.env["wecom.legal.hold"]._held()
        cr.execute(
            SQL(
                "SELECT count(*) FROM wecom_message m WHERE %s AND %s",
                purge._past_sql(message_upper, message_cutoff),
                held_condition(held),
            )
        )
        purge.held_count = cr.fetchone()[0]
        if preview:
            purge._preview(held)
        self.env["wecom.access.log"]._log(
            "purge_preview" if preview else "purge", corp, detail=purge._log_detail()
        )
        return purge

    def _log_detail(self):
        none = self.env._("never")
        scope = (
            self.env._(
                "members in scope: %(names)s",
                names=", ".join(self.scope_member_ids.mapped("display_name")),
            )
            if self.scope_member_ids
            else self.env._("the whole corp")
        )
        return self.env._(
            "Messages before %(messages)s, media files before %(media)s (UTC); %(scope)s.",
            messages=self.message_cutoff or none,
            media=self.media_cutoff or none,
            scope=scope,
        )

    def _past_sql(self, upper, cutoff, alias="m"):
        """SQL: message ``alias`` of the corp, old enough, at most ``upper``, in scope."""
        m = SQL.identifier(alias)
        return SQL(
            """%(m)s.corp_id = %(corp)s AND %(m)s.id <= %(upper)s AND %(m)s.seq IS NOT NULL
               AND (%(m)s.msgtime < %(cut)s
                    OR (%(m)s.msgtime IS NULL AND %(m)s.create_date < %(cut)s))
               AND %(scope)s""",
            m=m,
            corp=self.corp_id.id,
            upper=upper,
            cut=cutoff or "-infinity",
            scope=self._scope_sql(alias),
        )

    def _scope_sql(self, alias):
        if not self.scope_member_ids:
            return SQL("TRUE")
        return SQL(
            """EXISTS (SELECT 1 FROM wecom_message_member_rel scope_rel
                        WHERE scope_rel.wecom_message_id = %s.id
                          AND scope_rel.wecom_member_id = ANY(%s))""",
            SQL.identifier(alias),
            self.scope_member_ids.ids,
        )

    def _media_sql(self, alias="m"):
        """SQL: message ``alias`` past the media limit, with a file left."""
        m = SQL.identifier(alias)
        return SQL(
            """%(m)s.corp_id = %(corp)s AND %(m)s.id <= %(upper)s AND %(m)s.msgtime < %(cut)s
               AND %(scope)s
               AND (%(m)s.attachment_id IS NOT NULL OR %(m)s.playable_attachment_id IS NOT NULL
                    OR EXISTS (SELECT 1 FROM wecom_message_media part
                                WHERE part.message_id = %(m)s.id
                                  AND (part.attachment_id IS NOT NULL
                                       OR part.playable_attachment_id IS NOT NULL)))""",
            m=m,
            corp=self.corp_id.id,
            upper=self.media_upper_id,
            cut=self.media_cutoff or "-infinity",
            scope=self._scope_sql(alias),
        )

    def _preview(self, held):
        """Count what the run would delete (a dry run)."""
        cr = self.env.cr
        gone = SQL(
            "SELECT m.id FROM wecom_message m WHERE %s AND NOT %s",
            self._past_sql(self.message_upper_id, self.message_cutoff),
            held_condition(held),
        )
        cr.execute(
            SQL(
                """SELECT count(*), min(seq), max(seq), min(COALESCE(msgtime, create_date)),
                          max(COALESCE(msgtime, create_date))
                     FROM wecom_message WHERE id IN (%s)""",
                gone,
            )
        )
        count, first_seq, last_seq, first_time, last_time = cr.fetchone()
        cr.execute(SQL("SELECT count(*) FROM wecom_violation WHERE message_id IN (%s)", gone))
        violations = cr.fetchone()[0]
        bare = SQL(
            "SELECT m.id FROM wecom_message m WHERE %s AND NOT %s",
            self._media_sql(),
            held_condition(held),
        )
        cr.execute(
            SQL(
                """WITH hit AS (%s UNION %s)
                   SELECT count(*) FROM ir_attachment a
                    WHERE (a.res_model = 'wecom.message' AND a.res_id IN (SELECT id FROM hit))
                       OR (a.res_model = 'wecom.message.media' AND a.res_id IN (
                              SELECT p.id FROM wecom_message_media p
                               WHERE p.message_id IN (SELECT id FROM hit)))""",
                gone,
                bare,
            )
        )
        self.write(
            {
                "message_count": count,
                "violation_count": violations,
                "media_count": cr.fetchone()[0],
                "first_seq": first_seq,
                "last_seq": last_seq,
                "first_msgtime": first_time,
                "last_msgtime": last_time,
                "ended_on": fields.Datetime.now(),
            }
        )

    def _go_on(self, batch_size, deadline):
        """Delete batch after batch until done, out of time, stopped by an integrity break,
        or waiting for a pull."""
        self.ensure_one()
        corp = self.corp_id
        Block = self.env["wecom.integrity.block"]
        if not Block._adopt(corp, deadline):
            return
        for step in (self._message_batch, self._media_batch):
            after = 0
            while after is not None:
                if deadline is not None and time.monotonic() > deadline:
                    return
                if not self._lock():
                    self._note(self.env._("Waiting for a pull of the corp to end."))
                    return
                after = step(after, batch_size)
                if after is False:
                    return
                corp._commit()
        self._collect_files()
        corp._begin()
        self.write({"state": "done", "ended_on": fields.Datetime.now(), "note": False})
        corp._commit()
        self.env.ref("wecom_archive.ir_cron_wecom_pull")._trigger()

    def _lock(self):
        """Start a batch's transaction holding the corp's pipeline lock (waiting up to
        LOCK_WAIT seconds for a pull's batch) and a SHARE lock on the legal holds."""
        corp = self.corp_id
        deadline = time.monotonic() + LOCK_WAIT
        while True:
            corp._begin()
            if corp._try_lock():
                self.env.cr.execute("LOCK TABLE wecom_legal_hold IN SHARE MODE")
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.5)

    def _note(self, note):
        self.note = note
        self.corp_id._commit()

    def _message_batch(self, after, batch_size):
        """Delete the next batch of messages past the limit. Returns the last id done, None
        when none is left, False when an integrity break stopped the run."""
        if not self.message_cutoff:
            return None
        cr, corp = self.env.cr, self.corp_id
        held = self.env["wecom.legal.hold"]._held()
        cr.execute(
            SQL(
                """SELECT m.id, m.seq FROM wecom_message m
                    WHERE m.id > %s AND %s AND NOT %s ORDER BY m.id LIMIT %s""",
                after,
                self._past_sql(self.message_upper_id, self.message_cutoff),
                held_condition(held),
                batch_size,
            )
        )
        rows = cr.fetchall()
        if not rows:
            return None
        ids = [row_id for row_id, _seq in rows]
        seqs = sorted(seq for _id, seq in rows)
        Block = self.env["wecom.integrity.block"]
        blocks, affected, outside = Block._affected(corp, seqs)
        if outside:
            problems = [(outside[0], lib.INSERTED)]
        else:
            problems = Block._supersede(corp, "purge", blocks, affected, drop=set(seqs))
        if problems:
            self._stop(problems)
            return False
        self._delete_messages(ids)
        return ids[-1]

    def _delete_messages(self, ids):
        """Delete the messages ``ids`` (ascending): first, set-based, every row of another
        table naming them (``DEPENDENTS``), so that the foreign keys' triggers, which fire
        once per deleted message, find nothing (one probe of an index each); then the
        messages, and their files' attachments."""
        cr = self.env.cr
        # the rows naming these messages: one range scan of their index (ids ascend), not
        # one descent per message ("+ 0" keeps the list out of the index); the list is one
        # array literal (a constant, not 5,000 of them to parse and plan)
        span = {"lo": ids[0], "hi": ids[-1], "ids": "{" + ",".join(map(str, ids)) + "}"}
        # the violations stay, the text kept or not (their own members say who reads them)
        text = ", content = NULL, offsets = NULL"
        cr.execute(
            f"""UPDATE wecom_violation SET message_purged = true, message_id = NULL
                       {text if self.corp_id.retention_violation_text == "remove" else ""}
                 WHERE message_id BETWEEN %(lo)s AND %(hi)s
                   AND message_id + 0 = ANY(%(ids)s::int4[])""",
            span,
        )
        violations = cr.rowcount
        cr.execute(
            """DELETE FROM wecom_message_media
                WHERE message_id BETWEEN %(lo)s AND %(hi)s AND message_id + 0 = ANY(%(ids)s::int4[])
               RETURNING id, attachment_id, playable_attachment_id""",
            span,
        )
        parts = cr.fetchall()
        for table, column, action in DEPENDENTS:
            change = (
                f"DELETE FROM {table}"
                if action == "delete"
                else f"UPDATE {table} SET {column} = NULL"
            )
            cr.execute(
                f"""{change} WHERE {column} BETWEEN %(lo)s AND %(hi)s
                               AND {column} + 0 = ANY(%(ids)s::int4[])""",
                span,
            )
        cr.execute(
            """DELETE FROM wecom_message WHERE id BETWEEN %(lo)s AND %(hi)s
                                           AND id + 0 = ANY(%(ids)s::int4[])
               RETURNING seq, COALESCE(msgtime, create_date), attachment_id,
                         playable_attachment_id""",
            span,
        )
        rows = cr.fetchall()
        files = self._unlink_files([a for row in (*parts, *rows) for a in row[-2:]])
        seqs = [row[0] for row in rows]
        times = [row[1] for row in rows]
        self._add(len(rows), files, violations, seqs, times)

    def _media_batch(self, after, batch_size):
        """Delete the files of the next batch of messages past the media limit, messages
        kept. Returns the last id done, None when none is left."""
        if not self.media_cutoff:
            return None
        cr = self.env.cr
        cr.execute(
            SQL(
                """SELECT m.id FROM wecom_message m
                    WHERE m.id > %s AND %s AND NOT %s ORDER BY m.id LIMIT %s""",
                after,
                self._media_sql(),
                held_condition(self.env["wecom.legal.hold"]._held()),
                batch_size,
            )
        )
        ids = [row[0] for row in cr.fetchall()]
        if not ids:
            return None
        linked = []
        for table in ("wecom_message", "wecom_message_media"):
            key = "id" if table == "wecom_message" else "message_id"
            cr.execute(
                f"""UPDATE {table} t SET attachment_id = NULL, playable_attachment_id = NULL,
                           media_state = 'purged'
                      FROM (SELECT id, attachment_id, playable_attachment_id FROM {table}
                             WHERE {key} = ANY(%s) FOR UPDATE) old
                     WHERE t.id = old.id
                       AND (old.attachment_id IS NOT NULL OR old.playable_attachment_id IS NOT NULL)
                 RETURNING t.id, old.attachment_id, old.playable_attachment_id""",
                [ids],
            )
            linked.append(cr.fetchall())
        messages, parts = linked
        files = self._unlink_files([a for row in (*messages, *parts) for a in row[1:]])
        self._add(0, files, 0, [], [])
        return ids[-1]

    def _unlink_files(self, attachment_ids):
        """Unlink these attachments (Odoo marks their files for its garbage collection);
        returns how many. A message's files are those it names: the download creates the
        attachment and names it in one transaction."""
        ids = sorted(set(filter(None, attachment_ids)))
        attachments = self.env["ir.attachment"].sudo().browse(ids).exists()
        attachments.unlink()
        return len(attachments)

    def _add(self, messages, files, violations, seqs, times):
        """Add a batch's counts, and the chain's head after it, to the purge record."""
        self.env.cr.execute(
            """SELECT id, digest FROM wecom_integrity_block
                WHERE corp_id = %s ORDER BY id DESC LIMIT 1""",
            [self.corp_id.id],
        )
        head = self.env.cr.fetchone() or (None, None)
        self.env.cr.execute(
            """UPDATE wecom_retention_purge
                  SET message_count = message_count + %s, media_count = media_count + %s,
                      violation_count = violation_count + %s,
                      first_seq = LEAST(first_seq, %s), last_seq = GREATEST(last_seq, %s),
                      first_msgtime = LEAST(first_msgtime, %s),
                      last_msgtime = GREATEST(last_msgtime, %s),
                      checkpoint_block_id = %s, checkpoint_digest = %s
                WHERE id = %s""",
            [
                messages,
                files,
                violations,
                min(seqs, default=None),
                max(seqs, default=None),
                min(times, default=None),
                max(times, default=None),
                *head,
                self.id,
            ],
        )
        self.env.invalidate_all()

    def _stop(self, problems):
        """An integrity break in the range to delete: nothing deleted, the break reported."""
        corp = self.corp_id
        corp._report_integrity(problems, None)
        self.write(
            {"state": "stopped", "ended_on": fields.Datetime.now(), "note": corp.integrity_detail}
        )
        corp._commit()

    def _collect_files(self):
        """Odoo's filestore garbage collection: the files no attachment names any more go."""
        attachments = self.env["ir.attachment"].sudo()
        if config["test_enable"]:
            attachments._gc_file_store_unsafe()
        else:
            attachments._gc_file_store()

    def _action_open(self):
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "current",
        }

    def action_view_messages(self):
        """The messages a preview counts (those still there)."""
        self.ensure_one()
        domain = [
            ("corp_id", "=", self.corp_id.id),
            ("id", "<=", self.message_upper_id),
            ("seq", "!=", False),
            ("legal_hold", "=", False),
            "|",
            ("msgtime", "<", self.message_cutoff),
            "&",
            ("msgtime", "=", False),
            ("create_date", "<", self.message_cutoff),
        ]
        if self.scope_member_ids:
            domain.append(("member_ids", "in", self.scope_member_ids.ids))
        action = self.env["ir.actions.act_window"]._for_xml_id("wecom_archive.wecom_message_action")
        action.update(domain=domain, context={})
        return action

    @api.model
    def _cron_purge(self):
        """The retention job: every corp with a retention, the runs left unfinished first
        (a scoped admin's included), sharing the time budget; out of time or waiting for a
        pull, it runs again."""
        corps = self.env["wecom.corp"].search([]).filtered(lambda c: any(c._retention_cutoffs()))
        deadline = time.monotonic() + self.env["wecom.corp"]._cron_time_budget(share=1)
        cron = self.env.ref("wecom_archive.ir_cron_wecom_retention")
        for index, corp in enumerate(corps):
            share = max((deadline - time.monotonic()) / (len(corps) - index), 0)
            unfinished = self.search([("corp_id", "=", corp.id), ("state", "=", "running")])
            for purge in unfinished:
                self._run(corp, purge.scope_member_ids or None, time_budget=share)
            if not unfinished:
                self._run(corp, time_budget=share)
        if self.search_count([("state", "=", "running")], limit=1):
            cron._trigger(fields.Datetime.now() + timedelta(minutes=5))


class WecomCorp(models.Model):
    _inherit = "wecom.corp"

    retention_days = fields.Integer(
        "Keep Messages (days)",
        help="Archived messages older than this are deleted, with their media files, by the "
        "daily retention job, except what a legal hold keeps. 0: kept forever.",
    )
    media_retention_days = fields.Integer(
        "Keep Media Files (days)",
        help="Media files (images, voice, video, files) older than this are deleted, their "
        "messages kept. 0: as long as their messages.",
    )
    retention_violation_text = fields.Selection(
        [("keep", "Keep the Message Text"), ("remove", "Remove the Message Text")],
        "Violations of Deleted Messages",
        default="keep",
        help="Violation cases stay when the retention deletes their message; their copy of "
        "the message text stays too, or goes with it.",
    )
    purge_count = fields.Integer("Purges", compute="_compute_purge_count")

    _sql_constraints = [
        (
            "retention_days_positive",
            "check(retention_days >= 0 and media_retention_days >= 0)",
            "Retention periods cannot be negative.",
        ),
    ]

    def _compute_purge_count(self):
        counts = dict(
            self.env["wecom.retention.purge"]._read_group(
                [("corp_id", "in", self.ids)], ["corp_id"], ["__count"]
            )
        )
        for corp in self:
            corp.purge_count = counts.get(corp, 0)

    def _retention_cutoffs(self):
        """(messages before, media files before) the retention deletes, False when kept;
        media files go with their messages when their limit is not the shorter."""
        self.ensure_one()
        now = fields.Datetime.now()
        messages = media = False
        if self.retention_days > 0:
            messages = now - timedelta(days=self.retention_days)
        if self.media_retention_days > 0:
            media = now - timedelta(days=self.media_retention_days)
        if messages and media and media <= messages:
            media = False
        return messages, media

    def _purge_scope(self):
        """The scope of a purge by the current user: None for the whole corp (super admin),
        their members for a scoped archive admin; refused without the purge right."""
        user = self.env.user
        if not user.has_group("wecom_archive.group_wecom_purge") or user.wecom_role == "none":
            raise AccessError(
                self.env._(
                    "Purging archived data is a right of its own: ask a WeCom administrator."
                )
            )
        return user.wecom_scope_all_member_ids if user.wecom_role == "admin" else None

    def _purge_or_explain(self, purge):
        if not purge:
            raise UserError(
                self.env._("This corp keeps its archive forever: set a retention first.")
            )
        return purge._action_open()

    def action_purge_preview(self):
        """ "Preview Purge": what the retention would delete now, nothing deleted."""
        self.ensure_one()
        scope = self._purge_scope()
        purge = self.env["wecom.retention.purge"]._run(self, scope=scope, preview=True)
        return self._purge_or_explain(purge)

    def action_purge(self):
        """ "Purge Now": apply the retention now (the scheduled job goes on if it is long)."""
        self.ensure_one()
        scope = self._purge_scope()
        budget = self._time_budget(60, config["limit_time_real"])
        purge = self.env["wecom.retention.purge"]._run(self, scope=scope, time_budget=budget)
        if purge.state == "running":
            self.env.ref("wecom_archive.ir_cron_wecom_retention")._trigger()
        return self._purge_or_explain(purge)

    def action_view_purges(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "wecom_archive.wecom_retention_purge_action"
        )
        action["domain"] = [("corp_id", "=", self.id)]
        return action


class WecomMessage(models.Model):
    _inherit = "wecom.message"

    def init(self):
        super().init()
        # Deleting an attachment sets these references to NULL: without an index PostgreSQL
        # scans the whole table for each one (the retention job deletes thousands).
        for column in ("attachment_id", "playable_attachment_id"):
            create_index(
                self.env.cr,
                f"wecom_message_{column}_idx",
                self._table,
                [column],
                where=f"{column} IS NOT NULL",
            )


class WecomMessageMedia(models.Model):
    _inherit = "wecom.message.media"

    def init(self):
        super().init()
        for column in ("attachment_id", "playable_attachment_id"):
            create_index(
                self.env.cr,
                f"wecom_message_media_{column}_idx",
                self._table,
                [column],
                where=f"{column} IS NOT NULL",
            )


class WecomViolation(models.Model):
    _inherit = "wecom.violation"

    # a case outlives its message (message_id set null): the retention deletes messages,
    # never cases
    message_purged = fields.Boolean(
        "Message Deleted",
        readonly=True,
        help="The retention deleted the message; the case stays.",
    )


class WecomMediaHolder(models.AbstractModel):
    _inherit = "wecom.media.holder"

    media_state = fields.Selection(
        selection_add=[("purged", "Deleted by Retention")], ondelete={"purged": "set default"}
    )


class WecomArchivedData(models.AbstractModel):
    _inherit = "wecom.archived.data"

    def export_data(self, fields_to_export):
        if not self.env.su and not self.env.user.has_group("base.group_allow_export"):
            raise AccessError(
                self.env._(
                    "Exporting archived data is a right of its own: ask a WeCom administrator."
                )
            )
        return super().export_data(fields_to_export)
