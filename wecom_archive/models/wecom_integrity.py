"""The archive's integrity in the database: each message's hash (``body_sha256``), the hash
chain of each corp (``wecom.integrity.block``), extended by the pipeline and superseded by
the retention job, and the check that walks it. lib/integrity.py explains the design."""

import bisect
import logging
import time

from psycopg2.extras import execute_values

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import config
from odoo.tools.sql import create_index

from ..lib import integrity as lib
from .bigint import BigInteger
from .wecom_corp import PULL_LOCK

_logger = logging.getLogger(__name__)

KINDS = [
    ("pull", "Stored Batch"),
    ("join", "Decrypted Later"),
    ("purge", "After a Purge"),
    ("adopt", "Stored Before the Chain"),
]
INTEGRITY_STATES = [("unknown", "Not Checked Yet"), ("ok", "Intact"), ("broken", "Broken")]
MIN_SEQ, MAX_SEQ = -(2**63), 2**63 - 1
ROWS = 2000  # messages a check reads at a time
BLOCKS = 100  # blocks read at a time
ADOPT_ROWS = 5000  # messages per block when chaining what was stored before the chain
_BLOCK_COLUMNS = (
    "id, kind, first_seq, last_seq, member_runs, pending_seqs, member_count, content_sha256, "
    "replaced_digests, digest"
)


class WecomIntegrityBlock(models.Model):
    """A link of a corp's hash chain: what a range of seqs held when it was written.
    Written by the archive alone, never edited (a later block supersedes it)."""

    _name = "wecom.integrity.block"
    _description = "Archive Integrity Block"
    _order = "id"

    corp_id = fields.Many2one("wecom.corp", required=True, readonly=True, ondelete="cascade")
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    kind = fields.Selection(KINDS, required=True, readonly=True)
    first_seq = BigInteger(readonly=True)
    last_seq = BigInteger(readonly=True)
    member_runs = fields.Json(
        "Member Seqs", readonly=True, help="The seqs of the messages it chains, as runs."
    )
    pending_seqs = fields.Json(
        "Pending Seqs",
        readonly=True,
        help="Records stored undecryptable (key missing): they join the chain once decrypted.",
    )
    member_count = fields.Integer("Messages", readonly=True)
    content_sha256 = fields.Char("Content SHA-256", readonly=True)
    replaced_digests = fields.Json(readonly=True, help="The digests of the blocks it supersedes.")
    digest = fields.Char(readonly=True)
    superseded_by = fields.Many2one("wecom.integrity.block", readonly=True, index="btree_not_null")

    def init(self):
        create_index(self.env.cr, "wecom_integrity_block_head_idx", self._table, ["corp_id", "id"])
        create_index(
            self.env.cr,
            "wecom_integrity_block_active_idx",
            self._table,
            ["corp_id", "last_seq", "id"],
            where="superseded_by IS NULL",
        )

    @api.model_create_multi
    def create(self, vals_list):
        raise UserError(self.env._("The integrity chain is written by the archive only."))

    def write(self, vals):
        raise UserError(self.env._("The integrity chain is written by the archive only."))

    def unlink(self):
        raise UserError(self.env._("The integrity chain is written by the archive only."))

    # -- reading -----------------------------------------------------------------------------
    def _lock(self, corp):
        """The corp's pipeline lock, waited for: the chain grows one block at a time (a pull
        or a reprocessing run already holds it)."""
        self.env.cr.execute("SELECT pg_advisory_xact_lock(%s, %s)", [PULL_LOCK, corp.id])

    def _head(self, corp):
        """The digest of the corp's last block (None: no chain yet)."""
        self.env.cr.execute(
            "SELECT digest FROM wecom_integrity_block WHERE corp_id = %s ORDER BY id DESC LIMIT 1",
            [corp.id],
        )
        row = self.env.cr.fetchone()
        return row[0] if row else None

    def _active(self, corp, lo, hi):
        """The blocks in force (not superseded) over seqs lo..hi, in seq order."""
        found, after = [], (MIN_SEQ, 0)
        if lo > MIN_SEQ:
            after = (lo - 1, 2**31 - 1)
        while True:
            self.env.cr.execute(
                f"""SELECT {_BLOCK_COLUMNS} FROM wecom_integrity_block
                     WHERE corp_id = %s AND superseded_by IS NULL AND (last_seq, id) > (%s, %s)
                     ORDER BY last_seq, id LIMIT %s""",
                [corp.id, *after, BLOCKS],
            )
            blocks = self.env.cr.dictfetchall()
            for block in blocks:
                if block["first_seq"] > hi:
                    return found
                found.append(block)
            if len(blocks) < BLOCKS:
                return found
            after = (blocks[-1]["last_seq"], blocks[-1]["id"])

    def _rows(self, corp, lo, hi, body=False):
        """The corp's messages with a seq in lo..hi, in (seq, id) order, read ROWS at a time:
        (id, seq, msgid, done, body_sha256, body::text when ``body``)."""
        key = (lo, 0)
        column = "body::text" if body else "NULL"
        while True:
            self.env.cr.execute(
                f"""SELECT id, seq, msgid, state = 'done', body_sha256, {column}
                      FROM wecom_message
                     WHERE corp_id = %s AND (seq, id) > (%s, %s) AND seq <= %s
                     ORDER BY seq, id LIMIT %s""",
                [corp.id, *key, hi, ROWS],
            )
            rows = self.env.cr.fetchall()
            yield from rows
            if len(rows) < ROWS:
                return
            key = (rows[-1][1], rows[-1][0])

    # -- writing -----------------------------------------------------------------------------
    def _append(self, corp, kind, first_seq, last_seq, entries, pending, replaced=()):
        """Add a block over first_seq..last_seq chaining ``entries`` ((seq, msgid, hash) in
        seq order) and ``pending`` seqs, superseding the ``replaced`` blocks."""
        runs = lib.runs_of([seq for seq, _msgid, _hash in entries])
        count, content = lib.content_of(entries)
        replaces = [block["digest"] for block in replaced]
        digest = lib.block_digest(
            self._head(corp) or lib.GENESIS,
            kind=kind,
            first_seq=first_seq,
            last_seq=last_seq,
            runs=runs,
            pending=pending,
            count=count,
            content=content,
            replaces=replaces,
        )
        cr = self.env.cr
        cr.execute(
            """INSERT INTO wecom_integrity_block (corp_id, company_id, kind, first_seq, last_seq,
                   member_runs, pending_seqs, member_count, content_sha256, replaced_digests,
                   digest, create_uid, create_date, write_uid, write_date)
               VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s,
                       %s, now() at time zone 'UTC', %s, now() at time zone 'UTC')
               RETURNING id""",
            [
                corp.id,
                corp.company_id.id,
                kind,
                first_seq,
                last_seq,
                lib.canonical_dumps(runs).decode(),
                lib.canonical_dumps(pending).decode(),
                count,
                content,
                lib.canonical_dumps(replaces).decode(),
                digest,
                self.env.uid,
                self.env.uid,
            ],
        )
        block_id = cr.fetchone()[0]
        if replaced:
            cr.execute(
                "UPDATE wecom_integrity_block SET superseded_by = %s WHERE id = ANY(%s)",
                [block_id, [block["id"] for block in replaced]],
            )
        return block_id

    @api.model
    def _chain_stored(self, corp, stored):
        """Chain the messages a pull batch just inserted (the pipeline's hook, in its
        transaction): one block over their seqs; the undecryptable ones wait as pending.
        ``stored``: (id, seq, msgid, decrypted, body hash) of each, as the insert returned
        them (not read back)."""
        rows = sorted(
            (row for row in stored if row[1] is not None), key=lambda row: (row[1], row[0])
        )
        if not rows:
            return
        message_ids = [row[0] for row in stored]
        cr = self.env.cr
        self._lock(corp)
        members = [(seq, msgid, digest) for _id, seq, msgid, done, digest in rows if done]
        pending = [seq for _id, seq, _msgid, done, _digest in rows if not done]
        lo, hi = rows[0][1], rows[-1][1]
        head = self._head(corp)
        overlapped = self._active(corp, lo, hi) if head else []
        if not overlapped:
            self._append(corp, "pull", lo, hi, members, pending)
            if head is None:
                # Nothing was stored before this batch: nothing predates the chain.
                cr.execute(
                    """UPDATE wecom_corp SET integrity_adopted = true
                        WHERE id = %s AND NOT EXISTS (
                              SELECT 1 FROM wecom_message
                               WHERE corp_id = %s AND NOT (id = ANY(%s)))""",
                    [corp.id, corp.id, list(message_ids)],
                )
            return
        # Seqs stored again over a chained range (a seq moved back by hand): one block
        # states the range anew.
        problems = self._supersede(
            corp,
            "pull",
            overlapped,
            {block["id"] for block in overlapped},
            add=(members, pending, {row[0] for row in rows}),
            extend=(lo, hi),
        )
        if problems:
            _logger.warning("corp %s: batch %s-%s left out of the chain", corp.corpid, lo, hi)

    @api.model
    def _chain_joined(self, corp, message_ids):
        """Chain records decrypted after they were stored (the reprocessing hook, in its
        transaction): their hash, and the blocks that held them pending superseded."""
        if not message_ids:
            return
        cr = self.env.cr
        cr.execute(
            """SELECT id, seq, msgid, body::text FROM wecom_message
                WHERE id = ANY(%s) AND state = 'done' AND seq IS NOT NULL ORDER BY seq, id""",
            [list(message_ids)],
        )
        rows = cr.fetchall()
        if not rows:
            return
        digests = [lib.body_hash(text) for _id, _seq, _msgid, text in rows]
        execute_values(
            cr,
            """UPDATE wecom_message m SET body_sha256 = v.digest
                 FROM (VALUES %s) AS v(id, digest) WHERE m.id = v.id""",
            [(row[0], digest) for row, digest in zip(rows, digests, strict=True)],
        )
        self._lock(corp)
        joined = {
            seq: (msgid, digest)
            for (_id, seq, msgid, _text), digest in zip(rows, digests, strict=True)
        }
        blocks = self._active(corp, rows[0][1], rows[-1][1])
        affected = {block["id"] for block in blocks if joined.keys() & set(block["pending_seqs"])}
        if affected and self._supersede(corp, "join", blocks, affected, join=joined):
            _logger.warning("corp %s: decrypted records left out of the chain", corp.corpid)

    def _supersede(
        self,
        corp,
        kind,
        blocks,
        affected,
        *,
        drop=frozenset(),
        join=None,
        add=None,
        extend=None,
    ):
        """Supersede the ``affected`` blocks among ``blocks`` (in force, in seq order): each
        run of consecutive ones by one block over their range, holding what stays of their
        members and pending seqs, less the ``drop`` seqs (deleted next), with the ``join``
        ones ({seq: (msgid, hash)}) decrypted and an ``add`` = (members, pending, row ids)
        batch stored over ``extend`` (lo, hi).

        Each range is checked first against what its blocks claim, from the stored hashes:
        every claimed message there, no other, its stored hash the one chained. (A body
        altered under its stored hash is the integrity check's to find: hashing every body
        again would halve the retention job's rate.) With a problem nothing is written,
        and the problems are returned."""
        runs, run = [], []
        for block in blocks:
            if block["id"] in affected:
                run.append(block)
            elif run:
                runs.append(run)
                run = []
        if run:
            runs.append(run)
        plans, problems = [], []
        for group in runs:
            group_problems, plan = self._plan(corp, group, drop, join or {}, add, extend)
            problems += group_problems
            plans.append(plan)
        if problems:
            return sorted(problems)
        for plan in plans:
            self._append(corp, kind, *plan)
        return []

    def _plan(self, corp, group, drop, join, add, extend):
        """(problems, (first_seq, last_seq, entries, pending, group)) of one run of blocks."""
        lo, hi = group[0]["first_seq"], group[-1]["last_seq"]
        if extend:
            lo, hi = min(lo, extend[0]), max(hi, extend[1])
        added_ids = add[2] if add else ()
        checks = [
            lib.BlockCheck(
                block["first_seq"],
                block["member_runs"],
                block["pending_seqs"],
                joining=join.keys(),
            )
            for block in group
        ]
        problems, index = [], 0
        for row_id, seq, msgid, done, stored, _text in self._rows(corp, lo, hi):
            if row_id in added_ids:
                continue
            while index < len(group) and seq > group[index]["last_seq"]:
                index += 1
            if index == len(group) or seq < group[index]["first_seq"]:
                problems.append((seq, lib.INSERTED))
                continue
            checks[index].row(seq, msgid, done, stored)
        entries, pending = [], []
        for block, check in zip(group, checks, strict=True):
            problems += check.finish(block["member_count"], block["content_sha256"])
            entries += [entry for entry in check.entries if entry[0] not in drop]
            for seq in block["pending_seqs"]:
                if seq in drop:
                    continue
                if seq in join:
                    entries.append((seq, *join[seq]))
                else:
                    pending.append(seq)
        if add:
            entries += add[0]
            pending += add[1]
        return problems, (lo, hi, sorted(entries), sorted(pending), group)

    # -- what predates the chain -------------------------------------------------------------
    @api.model
    def _adopt(self, corp, deadline=None):
        """Chain the messages stored before the chain existed (an archive upgraded to it):
        the rows below the first stored batch, in blocks of ADOPT_ROWS, one transaction
        each. Returns whether all are chained (False: out of time, to go on later)."""
        cr = self.env.cr
        while not corp.integrity_adopted:
            if deadline is not None and time.monotonic() > deadline:
                return False
            corp._begin()
            self._lock(corp)
            cr.execute(
                """SELECT min(first_seq) FILTER (WHERE kind IN ('pull', 'join')),
                          max(last_seq) FILTER (WHERE kind = 'adopt')
                     FROM wecom_integrity_block WHERE corp_id = %s""",
                [corp.id],
            )
            bound, done_up_to = cr.fetchone()
            cr.execute(
                """SELECT id, seq, msgid, state = 'done', body::text FROM wecom_message
                    WHERE corp_id = %s AND seq > %s AND seq < %s
                    ORDER BY seq, id LIMIT %s""",
                [
                    corp.id,
                    MIN_SEQ if done_up_to is None else done_up_to,
                    MAX_SEQ if bound is None else bound,
                    ADOPT_ROWS + 1,
                ],
            )
            rows = cr.fetchall()
            if len(rows) > ADOPT_ROWS:  # a block ends with all the rows of its last seq
                last = rows[-1][1]
                rows = [row for row in rows if row[1] != last] or rows
            if not rows:
                cr.execute(
                    "UPDATE wecom_corp SET integrity_adopted = true WHERE id = %s", [corp.id]
                )
                corp.invalidate_recordset(["integrity_adopted"])
                corp._commit()
                break
            hashed = [
                (row_id, lib.body_hash(text))
                for row_id, _seq, _msgid, done, text in rows
                if done and text is not None
            ]
            if hashed:
                execute_values(
                    cr,
                    """UPDATE wecom_message m SET body_sha256 = v.digest
                         FROM (VALUES %s) AS v(id, digest) WHERE m.id = v.id""",
                    hashed,
                )
            digests = dict(hashed)
            entries = [
                (seq, msgid, digests[row_id])
                for row_id, seq, msgid, *_r in rows
                if row_id in digests
            ]
            pending = [seq for row_id, seq, *_r in rows if row_id not in digests]
            self._append(corp, "adopt", rows[0][1], rows[-1][1], entries, pending)
            corp._commit()
        return True

    # -- the check ---------------------------------------------------------------------------
    @api.model
    def _check(self, corp, deadline=None):
        """Walk the corp's chain and its messages. Returns (problems, cursor): the sorted
        (seq, kind) found (a message without a seq as None, last), and the last seq checked
        when out of time (None: the check went to the end). The content check resumes
        after the corp's integrity_cursor."""
        problems = self._check_chain(corp)
        if problems:
            return problems, None
        cr = self.env.cr
        prev_last = corp.integrity_cursor
        after = (MIN_SEQ, 0) if prev_last is None else (prev_last, 2**31 - 1)
        while True:
            cr.execute(
                f"""SELECT {_BLOCK_COLUMNS} FROM wecom_integrity_block
                     WHERE corp_id = %s AND superseded_by IS NULL AND (last_seq, id) > (%s, %s)
                     ORDER BY last_seq, id LIMIT %s""",
                [corp.id, *after, BLOCKS],
            )
            blocks = cr.dictfetchall()
            for block in blocks:
                problems = self._check_block(corp, block, prev_last)
                if problems:
                    return problems, None
                prev_last = block["last_seq"]
                if deadline is not None and time.monotonic() > deadline:
                    return [], prev_last
            if len(blocks) < BLOCKS:
                break
            after = (blocks[-1]["last_seq"], blocks[-1]["id"])
        cr.execute(
            """SELECT seq FROM wecom_message
                WHERE corp_id = %s AND (seq > %s OR seq IS NULL)
                ORDER BY seq NULLS LAST LIMIT 1""",
            [corp.id, MIN_SEQ if prev_last is None else prev_last],
        )
        row = cr.fetchone()
        return ([(row[0], lib.INSERTED)] if row else []), None

    def _check_chain(self, corp):
        """Every block's digest follows from the previous one and from its header, and the
        blocks marked superseded are exactly those their successors name."""
        cr, prev, after = self.env.cr, lib.GENESIS, 0
        while True:
            cr.execute(
                f"""SELECT {_BLOCK_COLUMNS} FROM wecom_integrity_block
                     WHERE corp_id = %s AND id > %s ORDER BY id LIMIT 1000""",
                [corp.id, after],
            )
            blocks = cr.dictfetchall()
            if not blocks:
                return []
            cr.execute(
                """SELECT superseded_by, array_agg(digest) FROM wecom_integrity_block
                    WHERE superseded_by = ANY(%s) GROUP BY superseded_by""",
                [[block["id"] for block in blocks]],
            )
            superseded = {block_id: sorted(digests) for block_id, digests in cr.fetchall()}
            for block in blocks:
                expected = lib.block_digest(
                    prev,
                    kind=block["kind"],
                    first_seq=block["first_seq"],
                    last_seq=block["last_seq"],
                    runs=block["member_runs"],
                    pending=block["pending_seqs"],
                    count=block["member_count"],
                    content=block["content_sha256"],
                    replaces=block["replaced_digests"],
                )
                replaces = sorted(block["replaced_digests"])
                if expected != block["digest"] or superseded.get(block["id"], []) != replaces:
                    return [(block["first_seq"], lib.CHAIN)]
                prev = block["digest"]
            after = blocks[-1]["id"]

    def _check_block(self, corp, block, prev_last):
        """The problems of one block in force: a message in the gap before it, or in its
        range anything but what it claims, as it claims it."""
        cr = self.env.cr
        cr.execute(
            """SELECT seq FROM wecom_message
                WHERE corp_id = %s AND seq > %s AND seq < %s ORDER BY seq LIMIT 1""",
            [corp.id, MIN_SEQ if prev_last is None else prev_last, block["first_seq"]],
        )
        row = cr.fetchone()
        if row:
            return [(row[0], lib.INSERTED)]
        check = lib.BlockCheck(block["first_seq"], block["member_runs"], block["pending_seqs"])
        for _id, seq, msgid, done, stored, text in self._rows(
            corp, block["first_seq"], block["last_seq"], body=True
        ):
            recomputed = (lib.body_hash(text) if text is not None else "") if done else None
            check.row(seq, msgid, done, stored, recomputed)
        return check.finish(block["member_count"], block["content_sha256"])

    @api.model
    def _affected(self, corp, seqs):
        """(blocks in force over ``seqs``' span, ids of those holding one of them, seqs in
        no block's range) of ascending seqs, for a purge."""
        blocks = self._active(corp, seqs[0], seqs[-1])
        firsts = [block["first_seq"] for block in blocks]
        affected, outside = set(), []
        for seq in seqs:
            index = bisect.bisect_right(firsts, seq) - 1
            if index >= 0 and seq <= blocks[index]["last_seq"]:
                affected.add(blocks[index]["id"])
            else:
                outside.append(seq)
        return blocks, affected, outside


class WecomMessage(models.Model):
    _inherit = "wecom.message"

    body_sha256 = fields.Char(
        "Body SHA-256",
        readonly=True,
        help="SHA-256 of the canonical JSON of the decrypted message, kept when it was stored: "
        "the integrity check recomputes it.",
    )

    def init(self):
        super().init()
        # the chain's ranges: the integrity check and the retention job read by seq
        create_index(
            self.env.cr, "wecom_message_corp_seq_idx", self._table, ["corp_id", "seq", "id"]
        )


class WecomCorp(models.Model):
    _inherit = "wecom.corp"

    integrity_state = fields.Selection(
        INTEGRITY_STATES,
        "Integrity",
        default="unknown",
        readonly=True,
        copy=False,
        help="Whether the last complete check of the hash chain proved that no archived "
        "message was altered, removed or inserted outside the pipeline and the retention job.",
    )
    integrity_checked = fields.Datetime("Integrity Checked On", readonly=True, copy=False)
    integrity_break_seq = BigInteger("First Bad Seq", readonly=True, copy=False)
    integrity_detail = fields.Char("Integrity Problem", readonly=True, copy=False)
    integrity_head = fields.Char(
        "Chain Head",
        compute="_compute_integrity_head",
        help="The digest of the chain's last block: noted down elsewhere, it proves later "
        "that the chain up to it was not rewritten.",
    )
    # Where a check stopped for lack of time (the next one goes on from there), and whether
    # the messages stored before the chain existed are chained.
    integrity_cursor = BigInteger("Integrity Checked Up To Seq", readonly=True, copy=False)
    integrity_adopted = fields.Boolean("Older Messages Chained", readonly=True, copy=False)

    def _compute_integrity_head(self):
        Block = self.env["wecom.integrity.block"]
        for corp in self:
            corp.integrity_head = Block._head(corp) if corp.id else False

    def _snapshot(self):
        """Start a transaction that sees the archive as of now all along (REPEATABLE READ),
        as a check of the chain against the messages needs."""
        if not config["test_enable"]:
            self.env.cr.commit()  # pylint: disable=invalid-commit
            self.env.cr.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")

    def _verify_integrity(self, time_budget=None):
        """Check the corp's archive against its hash chain, going on from where the last
        check stopped; record and report the outcome. Returns the problems found, or None
        when out of time before the end."""
        self.ensure_one()
        self.env.flush_all()
        deadline = None if time_budget is None else time.monotonic() + time_budget
        Block = self.env["wecom.integrity.block"]
        if not Block._adopt(self, deadline):
            return None
        self._snapshot()
        problems, cursor = Block._check(self, deadline)
        self._begin()
        self._report_integrity(problems, cursor)
        self._commit()
        return None if cursor is not None else problems

    def _report_integrity(self, problems, cursor):
        """Record a check's outcome on the corp; a new break is posted to the WeCom
        administrators with its first bad seq."""
        now = fields.Datetime.now()
        corp = self.sudo()
        if not problems:
            values = {"integrity_cursor": cursor}
            if cursor is None:
                values.update(
                    integrity_state="ok",
                    integrity_checked=now,
                    integrity_break_seq=False,
                    integrity_detail=False,
                )
            corp.write(values)
            return
        seq, kind = problems[0]
        detail = self._integrity_problem(seq, kind, len(problems))
        new = self.integrity_state != "broken" or self.integrity_detail != detail
        corp.write(
            {
                "integrity_state": "broken",
                "integrity_checked": now,
                "integrity_break_seq": seq if seq is not None else False,
                "integrity_detail": detail,
                "integrity_cursor": False,
            }
        )
        if new:
            _logger.warning("corp %s: integrity check failed: %s", self.corpid, detail)
            admins = self.env.ref("wecom_archive.group_wecom_manager").users
            corp.message_post(
                body=self.env._(
                    "The integrity check of the archive of %(corp)s failed: %(detail)s The "
                    "archive is no longer proven complete and unaltered from there on: keep "
                    "the database as it is and find out who changed it.",
                    corp=self.name,
                    detail=detail,
                ),
                partner_ids=admins.partner_id.ids,
                subtype_xmlid="mail.mt_comment",
                message_type="notification",
            )

    def _integrity_problem(self, seq, kind, count):
        what = {
            lib.ALTERED: self.env._("a stored message was altered"),
            lib.REMOVED: self.env._("a stored message was removed"),
            lib.INSERTED: self.env._("a message was inserted"),
            lib.CHAIN: self.env._("the hash chain itself was altered"),
        }[kind]
        if seq is None:
            return self.env._(
                "A message without a seq was inserted (%(count)s problem(s) found).", count=count
            )
        return self.env._(
            "At seq %(seq)s %(what)s outside the pipeline and the retention job (%(count)s "
            "problem(s) found).",
            seq=seq,
            what=what,
            count=count,
        )

    def action_verify_integrity(self):
        """The "Check Integrity" button."""
        self.ensure_one()
        budget = self._time_budget(60, config["limit_time_real"])
        problems = self._verify_integrity(time_budget=budget)
        if problems is None:
            message = self.env._("Checked in part; the scheduled check goes on from there.")
            self.env.ref("wecom_archive.ir_cron_wecom_integrity")._trigger()
        elif problems:
            message = self.integrity_detail
        else:
            message = self.env._("The archive is intact: every message matches its hash chain.")
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Integrity"),
                "message": message,
                "type": "danger" if problems else "success",
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    @api.model
    def _cron_verify_integrity(self):
        """Check every corp's archive, sharing the time budget; a check cut short goes on
        at the job's next run, triggered at once."""
        corps = self.search([])
        deadline = time.monotonic() + self._cron_time_budget(share=1 / 2)
        unfinished = False
        for index, corp in enumerate(corps):
            share = (deadline - time.monotonic()) / (len(corps) - index)
            if corp._verify_integrity(time_budget=max(share, 0)) is None:
                unfinished = True
        if unfinished:
            self.env.ref("wecom_archive.ir_cron_wecom_integrity")._trigger()
