"""Retention, legal holds, and the rights to purge and export: on data stored by the real
pipeline, with real files; and a purge SIGKILLed midway, then run again."""

import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from datetime import timedelta

from odoo import SUPERUSER_ID, api, fields, sql_db
from odoo.exceptions import AccessError, UserError
from odoo.tests import BaseCase, get_db_name, new_test_user, tagged
from odoo.tools import config

from ..lib import integrity as lib
from ..lib.tests.samples import SAMPLES, T0
from ..models import links, wecom_retention
from ..models.wecom_corp import PULL_LOCK
from .common import WecomCase, build_test_corpus, fake_sdk_library, key_pair

DAY_MS = 86_400_000
NEW = int(time.time() * 1000) - DAY_MS  # yesterday: within any retention
MID = int(time.time() * 1000) - 100 * DAY_MS  # past the media limit, not the messages'
FILES = {  # sdkfileid: content (distinct: Odoo stores equal files once)
    "fileA": b"\xff\xd8\xff file A, deleted with its message",
    "fileB": b"\xff\xd8\xff file B, its message held",
    "fileC": b"\xff\xd8\xff file C, past the media limit",
    "fileD": b"\xff\xd8\xff file D, recent",
    "mix01": b"\xff\xd8\xff-image!",  # inside the mixed sample (10 bytes announced)
}
MIXED = next(s for s in SAMPLES if s["msgtype"] == "mixed")


def text(n, sender, to, content="你好", when=T0, roomid=""):
    return {
        "msgid": f"r{n:02d}",
        "action": "send",
        "from": sender,
        "tolist": [to],
        "roomid": roomid,
        "msgtime": when + n * 1000,
        "msgtype": "text",
        "text": {"content": content},
    }


def image(n, sender, to, fileid, when=T0):
    message = text(n, sender, to, when=when)
    del message["text"]
    return dict(
        message,
        msgtype="image",
        image={"sdkfileid": fileid, "md5sum": "", "filesize": len(FILES[fileid])},
    )


# r01…r17, and what the retention (365 days of messages, 30 of media files) does to them
LINES = [
    text(1, "lisi", "wmFree"),  # deleted
    text(2, "zhangsan", "wmFree"),  # held: member zhangsan
    text(3, "lisi", "wmHeld"),  # held: customer wmHeld, their chat
    text(4, "wmHeld", "lisi"),  # held: customer wmHeld, their chat
    text(5, "wangwu", "wmOther"),  # held: this conversation
    text(6, "lisi", "wmFree", "私下转账吧"),  # deleted, its violation kept
    text(7, "lisi", "wmOther2", "私下转账吗"),  # held: its violation case
    text(8, "lisi", "wmFree", when=NEW),  # kept: recent
    image(9, "lisi", "wmFree", "fileA"),  # deleted with its file
    image(10, "zhangsan", "wmFree", "fileB"),  # held, file kept
    image(11, "lisi", "wmFree", "fileC", when=MID),  # kept, its file deleted
    text(12, "lisi", "", roomid="wrHeld"),  # held: a group chat customer wmHeld is in
    text(13, "zhaoliu", "wmFree"),  # deleted: the hold on zhaoliu ended
    text(14, "sunqi", "wmFree"),  # deleted: the hold on sunqi was lifted
    image(15, "lisi", "wmFree", "fileD", when=NEW),  # kept with its file
    "2\t" + json.dumps(text(16, "lisi", "wmFree")),  # kept: undecryptable, stored today
    dict(MIXED, msgid="r17", **{"from": "lisi"}, tolist=["wmFree"], msgtime=T0),  # deleted
]
GONE = {"r01", "r06", "r09", "r13", "r14", "r17"}
HELD = {"r02", "r03", "r04", "r05", "r07", "r10", "r12"}


@tagged("post_install", "-at_install")
class TestRetention(WecomCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["wecom.corp.key"].create(
            {"corp_id": cls.corp.id, "version": 1, "private_key": key_pair(1)[0]}
        )
        cls.rule = cls.env["wecom.keyword.rule"].create(
            {"name": "私下交易", "category": "私下交易监控", "words_input": "转账"}
        )
        cls.corp.write({"retention_days": 365, "media_retention_days": 30})
        cls.Message = cls.env["wecom.message"].with_context(active_test=False)
        cls.Hold = cls.env["wecom.legal.hold"]

    # -- the archive -------------------------------------------------------------------------
    def archive(self):
        """The corpus pulled, its media downloaded, and the legal holds placed."""
        held_customer = self.env["wecom.contact"].create(
            {"corp_id": self.corp.id, "external_userid": "wmHeld", "name": "许先生"}
        )
        self.env["wecom.group"].create(
            {
                "corp_id": self.corp.id,
                "roomid": "wrHeld",
                "name": "客户群",
                "line_ids": [
                    fields.Command.create(
                        {"party": "wmHeld", "external": True, "contact_id": held_customer.id}
                    )
                ],
            }
        )
        self.build_corpus(LINES, versions=(1, 2), media=FILES)
        self.corp._pull()
        self.Message._cron_download_media(time_budget=30)
        self.by_msgid = {m.msgid: m for m in self.Message.search([("corp_id", "=", self.corp.id)])}
        self.assertEqual(len(self.by_msgid), len(LINES))
        member = self.member
        self.hold("member", member("zhangsan"))
        self.hold("contact", held_customer)
        self.hold("conversation", self.by_msgid["r05"].conversation_id)
        self.hold("violation", self.case("r07"))
        self.hold("member", member("zhaoliu"), end_date=fields.Date.today() - timedelta(days=1))
        self.hold("member", member("sunqi")).action_lift()
        self.files = {
            msgid: self._files(message)
            for msgid, message in self.by_msgid.items()
            if self._files(message)
        }
        self.assertEqual(set(self.files), {"r09", "r10", "r11", "r15", "r17"})

    def member(self, userid):
        return self.env["wecom.member"].search(
            [("corp_id", "=", self.corp.id), ("userid", "=", userid)]
        )

    def case(self, msgid):
        """The violation case of the test's rule on a message (demo rules may hit it too)."""
        return self.env["wecom.violation"].search(
            [("message_id.msgid", "=", msgid), ("rule_id", "=", self.rule.id)]
        )

    def hold(self, kind, target, **values):
        field = {
            "member": "member_id",
            "contact": "contact_id",
            "conversation": "conversation_id",
            "violation": "violation_id",
        }[kind]
        return self.Hold.create(
            {"target_type": kind, field: target.id, "reason": "仲裁 (2026) 12 号", **values}
        )

    @staticmethod
    def _files(message):
        attachments = message.attachment_id | message.media_part_ids.attachment_id
        return [attachments._full_path(a.store_fname) for a in attachments]

    def remaining(self):
        self.env.invalidate_all()
        return set(self.Message.search([("corp_id", "=", self.corp.id)]).mapped("msgid"))

    def purge(self, user=None, action="action_purge"):
        corp = self.corp.with_user(user) if user else self.corp
        result = getattr(corp, action)()
        return self.env["wecom.retention.purge"].browse(result["res_id"])

    # -- what goes, what stays ---------------------------------------------------------------
    def test_retention_deletes_exactly_the_unheld_rows_past_the_limit(self):
        self.archive()
        chats = self.Message.search([("corp_id", "=", self.corp.id)]).conversation_id
        counts = {chat: chat.message_count for chat in chats}
        gone_seqs = [self.by_msgid[msgid].seq for msgid in GONE]
        cases = self.env["wecom.violation"].search([("message_id.msgid", "=", "r06")])
        self.assertIn(self.case("r06"), cases)
        parts = self.by_msgid["r17"].media_part_ids
        kept_seq = self.by_msgid["r03"].seq
        preview = self.purge(action="action_purge_preview")
        self.assertEqual(preview.state, "preview")
        self.assertEqual(len(self.remaining()), len(LINES), "a preview deletes nothing")
        self.assertEqual(
            (preview.message_count, preview.media_count, preview.violation_count),
            (len(GONE), 3, len(cases)),  # files A, the mixed message's picture, C (media limit)
        )
        self.assertEqual(preview.held_count, len(HELD))
        listed = self.env["wecom.message"].search(preview.action_view_messages()["domain"])
        self.assertEqual(set(listed.mapped("msgid")), GONE)

        purge = self.purge()
        self.assertEqual(purge.state, "done")
        self.assertEqual(self.remaining(), set(self.by_msgid) - GONE)
        self.assertEqual(
            (purge.message_count, purge.media_count, purge.violation_count, purge.held_count),
            (preview.message_count, preview.media_count, len(cases), len(HELD)),
        )
        self.assertEqual((purge.first_seq, purge.last_seq), (min(gone_seqs), max(gone_seqs)))
        self.assertEqual(purge.checkpoint_digest, self.corp.integrity_head)
        # the files: gone with their message, or past the media limit; the others stay
        for msgid, paths in self.files.items():
            for path in paths:
                self.assertEqual(os.path.exists(path), msgid not in ("r09", "r11", "r17"), msgid)
        self.assertFalse(
            self.env["ir.attachment"].search_count(
                [("res_model", "=", "wecom.message"), ("res_id", "in", [0, *self._gone_ids()])]
            )
        )
        self.assertFalse(parts.exists())
        kept = self.Message.search([("msgid", "=", "r11")])
        self.assertEqual((kept.media_state, kept.attachment_id.id), ("purged", False))
        # violation cases and statistics stay
        self.assertEqual(cases.exists(), cases)
        case = cases.filtered(lambda c: c.rule_id == self.rule)
        self.assertEqual((case.message_id.id, case.message_purged), (False, True))
        self.assertEqual(case.content, "私下转账吧")
        self.assertEqual(case.member_ids, self.member("lisi"))
        for chat, count in counts.items():
            self.assertEqual(chat.message_count, count)
        # the chain still proves the rest, and still catches a deletion outside the job
        self.assertEqual(self.corp._verify_integrity(), [])
        logged = self.env["wecom.access.log"].search(
            [("res_model", "=", "wecom.corp"), ("res_id", "=", self.corp.id)]
        )
        self.assertEqual(set(logged.mapped("action")), {"purge", "purge_preview"})
        again = self.purge()
        self.assertEqual((again.message_count, again.media_count), (0, 0))
        # lifted, a hold keeps no more
        self.Hold.search([("member_id.userid", "=", "zhangsan")]).action_lift()
        self.assertEqual(self.purge().message_count, 2)
        self.assertNotIn("r10", self.remaining())
        self.assertFalse(any(os.path.exists(path) for path in self.files["r10"]))
        self.assertEqual(self.corp._verify_integrity(), [])
        self.env.cr.execute("DELETE FROM wecom_message WHERE id = %s", [self.by_msgid["r03"].id])
        self.assertEqual(self.corp._verify_integrity(), [(kept_seq, lib.REMOVED)])

    def test_every_row_naming_a_message_goes_first_by_an_index(self):
        """The purge deletes (or lets go of) every row of another table naming its messages
        itself, set-based, as the foreign key would: the key's trigger, fired for each
        deleted message, then finds nothing. Each referencing column leads an index, or
        that trigger scans its table for each message (and, for the tables naming the
        deleted files' attachments, for each file)."""
        cr = self.env.cr
        cr.execute(
            """SELECT c.conrelid::regclass::text, a.attname, c.confdeltype,
                      EXISTS (SELECT 1 FROM pg_index i
                               WHERE i.indrelid = c.conrelid AND i.indkey[0] = a.attnum)
                 FROM pg_constraint c
                 JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
                WHERE c.contype = 'f' AND c.confrelid = %s::regclass""",
            ["wecom_message"],
        )
        keys = cr.fetchall()
        # the links have no key: their delete trigger does what it did (models/links.py)
        for relation, column, table, ondelete in links.LINKS:
            if table == "wecom_message":
                cr.execute(
                    """SELECT EXISTS (SELECT 1 FROM pg_index i
                         JOIN pg_attribute a ON a.attrelid = i.indrelid
                                            AND a.attnum = i.indkey[0]
                        WHERE i.indrelid = %s::regclass AND a.attname = %s)""",
                    [relation, column],
                )
                action = {"cascade": "c", "set null": "n"}[ondelete]
                keys.append((relation, column, action, cr.fetchone()[0]))
        handled = {
            ("wecom_violation", "message_id", "set null"),
            ("wecom_message_media", "message_id", "delete"),
            *wecom_retention.DEPENDENTS,
        }
        actions = {"c": "delete", "n": "set null"}
        self.assertEqual(
            {(table, column, actions.get(action, action)) for table, column, action, _ in keys},
            handled,
        )
        self.assertEqual([key[:2] for key in keys if not key[3]], [], "not indexed")
        cr.execute(
            """SELECT c.conrelid::regclass::text, a.attname
                 FROM pg_constraint c
                 JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
                WHERE c.contype = 'f' AND c.confrelid = 'ir_attachment'::regclass
                  AND c.conrelid::regclass::text LIKE 'wecom%%'
                  AND NOT EXISTS (SELECT 1 FROM pg_index i
                                   WHERE i.indrelid = c.conrelid AND i.indkey[0] = a.attnum)"""
        )
        self.assertEqual(cr.fetchall(), [], "not indexed")
        # and what the purge does to them is what the keys would do
        self.archive()
        gone = self._gone_ids()
        chat = self.by_msgid["r01"].conversation_id
        cr.execute(
            """INSERT INTO wecom_reply_wait (rule_id, conversation_id, corp_id, message_id)
               VALUES (%s, %s, %s, %s) RETURNING id""",
            [self.rule.id, chat.id, self.corp.id, gone[0]],
        )
        wait_id = cr.fetchone()[0]
        cr.execute(
            "SELECT count(*) FROM wecom_message_member_rel WHERE wecom_message_id = ANY(%s)",
            [gone],
        )
        self.assertTrue(cr.fetchone()[0])
        self.assertEqual(self.purge().state, "done")
        for table, column, _action in wecom_retention.DEPENDENTS:
            cr.execute(f"SELECT count(*) FROM {table} WHERE {column} = ANY(%s)", [gone])
            self.assertEqual(cr.fetchone()[0], 0, table)
        cr.execute("SELECT message_id FROM wecom_reply_wait WHERE id = %s", [wait_id])
        self.assertEqual(cr.fetchone(), (None,), "the wait stays, its message gone")

    def _gone_ids(self):
        return [self.by_msgid[msgid].id for msgid in GONE]

    def test_violation_text_removed_by_setting(self):
        self.corp.retention_violation_text = "remove"
        self.archive()
        self.env["wecom.retention.purge"]._cron_purge()  # the scheduled job
        purge = self.env["wecom.retention.purge"].search([("corp_id", "=", self.corp.id)])
        self.assertEqual((purge.state, purge.message_count), ("done", len(GONE)))
        case = self.env["wecom.violation"].search(
            [("message_purged", "=", True), ("rule_id", "=", self.rule.id)]
        )
        self.assertEqual((case.content, case.offsets, case.words_hit), (False, False, "转账"))
        self.assertEqual(self.case("r07").content, "私下转账吗", "a held case is untouched")

    def test_media_files_alone(self):
        self.corp.write({"retention_days": 0, "media_retention_days": 30})
        self.archive()
        purge = self.purge()
        self.assertEqual((purge.message_count, purge.media_count), (0, 3))
        self.assertEqual(self.remaining(), set(self.by_msgid))
        for msgid in ("r09", "r17"):
            self.assertFalse(any(os.path.exists(path) for path in self.files[msgid]), msgid)
        self.assertTrue(all(os.path.exists(path) for path in self.files["r10"]), "held")
        self.assertEqual(self.by_msgid["r17"].media_part_ids.media_state, "purged")

    def test_an_integrity_break_stops_the_purge_before_it_deletes(self):
        self.archive()
        removed = self.by_msgid["r08"]  # a recent message, deleted by someone by hand
        seq = removed.seq
        self.env.cr.execute("DELETE FROM wecom_message WHERE id = %s", [removed.id])
        purge = self.purge()
        self.assertEqual(purge.state, "stopped")
        self.assertEqual(purge.message_count, 0)
        self.assertEqual(self.remaining(), set(self.by_msgid) - {"r08"})
        self.assertEqual(self.corp.integrity_state, "broken")
        self.assertEqual(self.corp.integrity_break_seq, seq)
        self.assertEqual(purge.note, self.corp.integrity_detail)

    # -- legal holds -------------------------------------------------------------------------
    def test_held_data_cannot_be_deleted_by_hand(self):
        self.archive()
        pipeline = self.Message.with_context(wecom_pipeline=True)
        for msgid in HELD:
            with self.assertRaises(UserError, msg=msgid):
                pipeline.browse(self.by_msgid[msgid].id).unlink()
        pipeline.browse(self.by_msgid["r01"].id).unlink()
        held = (
            self.member("zhangsan"),
            self.env["wecom.contact"].search([("external_userid", "=", "wmHeld")]),
            self.by_msgid["r05"].conversation_id,
            *self.env["wecom.violation"].search([("message_id.msgid", "=", "r07")]),
            self.corp,
        )
        held += (self.by_msgid["r10"].attachment_id, self.rule)  # a held file, a rule's cases
        for record in held:
            with self.assertRaises(UserError, msg=record._name):
                record.unlink()
        self.by_msgid["r15"].attachment_id.unlink()  # not held
        self.assertEqual(len(self.Message.search([("legal_hold", "=", True)])), len(HELD))
        self.assertTrue(self.by_msgid["r12"].legal_hold)
        self.assertFalse(self.by_msgid["r13"].legal_hold, "the hold ended")

    def test_placing_changing_and_lifting_a_hold_are_logged(self):
        self.archive()
        Log = self.env["wecom.access.log"]
        member = self.member("lisi")
        hold = self.hold("member", member)
        self.assertEqual(hold.name, f"Member: {member.display_name}")
        self.assertEqual(
            (hold.state, hold.user_id, hold.member_ids), ("in_force", self.env.user, member)
        )
        about = [("res_model", "=", "wecom.member"), ("res_id", "=", member.id)]
        placed = Log.search([("action", "=", "legal_hold"), *about])
        self.assertEqual(placed.detail, "仲裁 (2026) 12 号")
        self.assertEqual(placed.member_ids, member)
        hold.end_date = fields.Date.today() + timedelta(days=30)
        changed = Log.search([("action", "=", "legal_hold"), *about], limit=1)
        self.assertIn("Changed", changed.detail)
        with self.assertRaises(UserError):
            hold.write({"member_id": self.member("zhangsan").id})
        with self.assertRaises(UserError):
            hold.unlink()
        hold.action_archive()  # archiving is lifting
        self.assertEqual(
            (hold.active, hold.state, hold.lifted_by), (False, "lifted", self.env.user)
        )
        self.assertTrue(Log.search([("action", "=", "legal_hold_lifted"), *about]))
        with self.assertRaises(UserError):
            hold.end_date = False
        with self.assertRaises(UserError):
            hold.action_unarchive()
        # a scoped admin reads the holds of their scope, and places none
        scoped = new_test_user(
            self.env,
            "hold_scoped",
            groups="base.group_user,wecom_archive.group_wecom_archive_admin",
        )
        scoped.wecom_scope_member_ids = self.member("zhangsan")
        visible = self.Hold.with_user(scoped).with_context(active_test=False).search([])
        self.assertEqual(visible.member_id, self.member("zhangsan"))
        with self.assertRaises(AccessError):
            self.Hold.with_user(scoped).create(
                {"target_type": "member", "member_id": self.member("zhangsan").id, "reason": "x"}
            )

    # -- rights ------------------------------------------------------------------------------
    def test_purge_is_a_right_and_a_scoped_admin_purges_their_scope(self):
        self.archive()
        groups = "base.group_user,wecom_archive.group_wecom_archive_"
        without = new_test_user(self.env, "no_purge", groups=groups + "super")
        for action in ("action_purge_preview", "action_purge"):
            with self.assertRaises(AccessError):
                self.purge(without, action)
        scoped = new_test_user(
            self.env, "scoped_purge", groups=groups + "admin,wecom_archive.group_wecom_purge"
        )
        scoped.wecom_scope_member_ids = self.member("lisi")
        purge = self.purge(scoped)
        self.assertEqual(purge.scope_member_ids, self.member("lisi"))
        self.assertEqual(self.remaining(), set(self.by_msgid) - {"r01", "r06", "r09", "r17"})
        self.assertEqual(purge.media_count, 3)
        log = self.env["wecom.access.log"].search(
            [("action", "=", "purge"), ("res_id", "=", self.corp.id)]
        )
        self.assertEqual(log.user_id, scoped)
        everything = new_test_user(
            self.env, "super_purge", groups=groups + "super,wecom_archive.group_wecom_purge"
        )
        self.assertEqual(self.purge(everything).message_count, 2)  # zhaoliu's and sunqi's
        self.assertEqual(self.remaining(), set(self.by_msgid) - GONE)

    def test_export_is_a_right_and_exports_only_what_one_reads(self):
        self.archive()
        groups = "base.group_user,wecom_archive.group_wecom_archive_admin"
        mine = self.Message.search([("member_ids", "in", self.member("lisi").ids)])
        other = self.by_msgid["r02"]
        without = new_test_user(self.env, "no_export", groups=groups)
        without.wecom_scope_member_ids = self.member("lisi")
        with self.assertRaises(AccessError):
            mine.with_user(without).export_data(["msgid"])
        scoped = new_test_user(self.env, "export", groups=groups + ",base.group_allow_export")
        scoped.wecom_scope_member_ids = self.member("lisi")
        rows = mine.with_user(scoped).export_data(["msgid"])["datas"]
        self.assertEqual({row[0] for row in rows}, set(mine.mapped("msgid")))
        with self.assertRaises(AccessError):
            other.with_user(scoped).export_data(["msgid"])
        log = self.env["wecom.access.log"].search([("action", "=", "export")])
        self.assertEqual(log.user_id, scoped)


_PURGE_WORKER = b"""
import os
from odoo.addons.wecom_archive.models import wecom_retention
wecom_retention.LOCK_WAIT = 1
corp = env["wecom.corp"].search([("corpid", "=", os.environ["WECOM_WORKER_CORPID"])])
purge = env["wecom.retention.purge"]._run(corp, batch_size=int(os.environ["WECOM_PURGE_BATCH"]))
env.cr.commit()
print(f"WORKER DONE {purge.state} {purge.message_count}", flush=True)
"""
_PULL_WORKER = os.path.join(os.path.dirname(__file__), "pull_worker.py")


@tagged("post_install", "-at_install")
class TestRetentionCrash(BaseCase):
    """The retention job in real processes with real commits, SIGKILLed at random points: the
    next run goes on, nothing is deleted twice or left half deleted, held data untouched."""

    corpid = "wwpurgecrash0001"
    messages = 2000

    def setUp(self):
        super().setUp()
        self.dbname = get_db_name()
        tmp = tempfile.TemporaryDirectory(prefix="wecom_purge_")
        self.addCleanup(tmp.cleanup)
        self.tmp = tmp.name
        lines = [
            text(n, "keeper" if n % 10 == 0 else "mover", "wmCustomer")
            for n in range(self.messages)
        ]
        build_test_corpus(self.tmp, self.corpid, WecomCase.secret, lines)
        self.db = sql_db.db_connect(self.dbname)
        with self.db.cursor() as cr:
            cr.execute("SELECT id FROM res_company ORDER BY id LIMIT 1")
            company = cr.fetchone()[0]
            cr.execute(
                """INSERT INTO wecom_corp (name, corpid, secret, company_id, sdk_library_path,
                                           timeout, batch_size, seq, active, lag_alarm_hours,
                                           max_media_size_mb, api_base_url, session_window_days,
                                           retention_days)
                   VALUES ('purge', %s, %s, %s, %s, 5, 500, 0, true, 12, 100,
                           'http://127.0.0.1:9/cgi-bin', 7, 30) RETURNING id""",
                [self.corpid, WecomCase.secret, company, fake_sdk_library()],
            )
            self.corp_id = cr.fetchone()[0]
            cr.execute(
                "INSERT INTO wecom_corp_key (corp_id, company_id, version, private_key) "
                "VALUES (%s, %s, 1, %s)",
                [self.corp_id, company, key_pair(1)[0]],
            )
        self.addCleanup(self._drop_corp)
        with open(_PULL_WORKER, "rb") as pull_worker:
            output = self._worker(pull_worker.read()).communicate(timeout=300)[0].decode()
        self.assertIn(f"WORKER DONE {self.messages}", output, output[-2000:])
        with self._env() as env:
            messages = env["wecom.message"].search([("corp_id", "=", self.corp_id)])
            for message in messages.filtered(lambda m: m.seq % 4 == 0):
                attachment = env["ir.attachment"].create(
                    {
                        "name": f"{message.msgid}.bin",
                        "raw": f"file of {message.msgid}".encode() * 50,
                        "res_model": "wecom.message",
                        "res_id": message.id,
                    }
                )
                message.with_context(wecom_pipeline=True).attachment_id = attachment
            keeper = env["wecom.member"].search(
                [("corp_id", "=", self.corp_id), ("userid", "=", "keeper")]
            )
            env["wecom.legal.hold"].create(
                {"target_type": "member", "member_id": keeper.id, "reason": "保全"}
            )
            self.files = {
                m.msgid: m.attachment_id._full_path(m.attachment_id.store_fname)
                for m in messages.filtered("attachment_id")
            }
            self.held = set(messages.filtered(lambda m: m.sender == "keeper").mapped("msgid"))

    def _env(self):
        """An environment on a cursor of its own, committed on leaving."""
        db = self.db

        class _Env:
            def __enter__(self):
                self.cr = db.cursor()
                return api.Environment(self.cr, SUPERUSER_ID, {})

            def __exit__(self, *exc):
                if exc[0] is None:
                    self.cr.commit()
                self.cr.close()

        return _Env()

    def _drop_corp(self):
        with self.db.cursor() as cr:
            cr.execute(
                "DELETE FROM ir_attachment WHERE res_model = 'wecom.message' AND res_id IN "
                "(SELECT id FROM wecom_message WHERE corp_id = %s)",
                [self.corp_id],
            )
            cr.execute("DELETE FROM wecom_legal_hold WHERE corp_id = %s", [self.corp_id])
            cr.execute(
                """DELETE FROM wecom_access_log
                    WHERE (res_model = 'wecom.corp' AND res_id = %s)
                       OR id IN (SELECT log_id FROM wecom_access_log_member_rel r
                                   JOIN wecom_member m ON m.id = r.member_id
                                  WHERE m.corp_id = %s)""",
                [self.corp_id, self.corp_id],
            )
            for table in ("wecom_message", "wecom_conversation", "wecom_member", "wecom_contact"):
                cr.execute(f"DELETE FROM {table} WHERE corp_id = %s", [self.corp_id])
            cr.execute("DELETE FROM wecom_corp WHERE id = %s", [self.corp_id])

    def _worker(self, script):
        env = dict(
            os.environ,
            WECOM_FAKE_SDK_CORPUS=self.tmp,
            WECOM_WORKER_CORPID=self.corpid,
            WECOM_PURGE_BATCH="20",
        )
        args = [
            sys.executable,
            "-m",
            "odoo",
            "shell",
            "-d",
            self.dbname,
            "--no-http",
            f"--addons-path={config['addons_path']}",
            "--log-level=warn",
        ]
        for option in ("db_host", "db_port", "db_user", "db_password", "data_dir"):
            if config.get(option):
                args.append(
                    f"--{option.replace('_', '-') if option == 'data_dir' else option}="
                    f"{config[option]}"
                )
        path = os.path.join(self.tmp, "worker.py")
        with open(path, "wb") as source:
            source.write(script)
        with open(path, "rb") as source:
            return subprocess.Popen(
                args, stdin=source, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env
            )

    def _state(self):
        """(messages left, purge records as (state, message count, media count))."""
        with self.db.cursor() as cr:
            cr.execute("SELECT count(*) FROM wecom_message WHERE corp_id = %s", [self.corp_id])
            left = cr.fetchone()[0]
            cr.execute(
                """SELECT state, message_count, media_count FROM wecom_retention_purge
                    WHERE corp_id = %s""",
                [self.corp_id],
            )
            return left, cr.fetchall()

    def _assert_whole(self):
        """Whole batches only: the purge record counts exactly what went, no file of a
        deleted message is left attached, and the chain proves what stays."""
        left, purges = self._state()
        self.assertLessEqual(len(purges), 1, "a killed run is resumed, not started anew")
        counted = purges[0][1] if purges else 0
        self.assertEqual(counted, self.messages - left, "a message counted twice or not at all")
        with self._env() as env:
            env.cr.execute(
                """SELECT count(*) FROM ir_attachment a
                    WHERE a.res_model = 'wecom.message'
                      AND NOT EXISTS (SELECT 1 FROM wecom_message m WHERE m.id = a.res_id)"""
            )
            self.assertEqual(env.cr.fetchone()[0], 0, "a deleted message's file left attached")
            corp = env["wecom.corp"].browse(self.corp_id)
            self.assertEqual(env["wecom.integrity.block"]._check(corp), ([], None))
        return left, purges

    def test_killed_midway_then_run_again(self):
        # a pull of the corp holds its lock: the job deletes nothing, and waits for its turn
        with self.db.cursor() as pull:
            pull.execute("SELECT pg_advisory_lock(%s, %s)", [PULL_LOCK, self.corp_id])
            output = self._worker(_PURGE_WORKER).communicate(timeout=300)[0].decode()
            pull.execute("SELECT pg_advisory_unlock(%s, %s)", [PULL_LOCK, self.corp_id])
        self.assertIn("WORKER DONE running 0", output, output[-2000:])
        self.assertEqual(self._state(), (self.messages, [("running", 0, 0)]))
        rng = random.Random(20261125)
        left, killed_running = self.messages, 0
        for _ in range(3):
            worker = self._worker(_PURGE_WORKER)
            deadline = time.monotonic() + 120
            while self._state()[0] == left and worker.poll() is None:
                self.assertLess(time.monotonic(), deadline, "the purge made no progress")
                time.sleep(0.02)
            time.sleep(rng.uniform(0, 0.3))
            worker.send_signal(signal.SIGKILL)
            worker.wait(30)
            left, purges = self._assert_whole()
            killed_running += purges[0][0] == "running" and left > len(self.held)
        self.assertGreater(killed_running, 0, "no run was killed midway")
        self.assertLess(left, self.messages)
        output = self._worker(_PURGE_WORKER).communicate(timeout=300)[0].decode()
        self.assertIn("WORKER DONE done", output, output[-2000:])
        left, [(state, count, files)] = self._assert_whole()
        self.assertEqual(left, len(self.held))
        self.assertEqual((state, count), ("done", self.messages - len(self.held)))
        gone_files = {msgid: path for msgid, path in self.files.items() if msgid not in self.held}
        self.assertEqual(files, len(gone_files))
        self.assertFalse([path for path in gone_files.values() if os.path.exists(path)])
        self.assertTrue(all(os.path.exists(self.files[m]) for m in self.held if m in self.files))
        with self._env() as env:
            kept = env["wecom.message"].search([("corp_id", "=", self.corp_id)])
            self.assertEqual(set(kept.mapped("msgid")), self.held)
            self.assertEqual(env["wecom.corp"].browse(self.corp_id)._verify_integrity(), [])
