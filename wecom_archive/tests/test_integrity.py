"""The archive's hash chain, fed by the real pipeline: what it proves, and every change it
catches (lib/integrity.py)."""

import contextlib
import json

from odoo.exceptions import UserError
from odoo.tests import tagged

from ..lib import integrity as lib
from ..lib.tests.samples import SAMPLES
from .common import WecomCase, key_pair


@tagged("post_install", "-at_install")
class TestIntegrity(WecomCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["wecom.corp.key"].create(
            {"corp_id": cls.corp.id, "version": 1, "private_key": key_pair(1)[0]}
        )
        cls.Block = cls.env["wecom.integrity.block"]

    def pull(self, lines, versions=(1,), batch_size=7):
        self.build_corpus(lines, versions=versions)
        self.corp.batch_size = batch_size
        self.corp._pull()

    def sql(self, query, *params):
        self.env.flush_all()
        self.env.cr.execute(query, params)
        self.env.invalidate_all()

    @contextlib.contextmanager
    def undone(self):
        """Changes made in the block are undone after it."""
        with contextlib.suppress(_Undo), self.env.cr.savepoint():
            yield
            raise _Undo
        self.env.invalidate_all()

    def verify(self):
        problems = self.corp._verify_integrity()
        self.corp.invalidate_recordset()
        return problems

    def blocks(self, active=True):
        domain = [("corp_id", "=", self.corp.id)]
        if active:
            domain.append(("superseded_by", "=", False))
        return self.Block.search(domain, order="first_seq, id")

    def lines(self, count):
        return [dict(SAMPLES[n % 30], msgid=f"chain{n:03d}") for n in range(count)]

    def test_hash_kept_at_insert_is_what_the_database_gives_back(self):
        nul = dict(SAMPLES[0], msgid="n\u0000ul", text={"content": "NUL\u0000 and \x01 ctl"})
        raw_control = json.dumps(dict(SAMPLES[0], msgid="ctl", text={"content": "a@b"}))
        raw_control = raw_control.replace("a@b", "a\x01b")
        spelled = '{"msgid": "num", "msgtype": "location", "from": "wangmingle", "tolist": '
        spelled += '["wmJ4aXhCQAAAZ2xvYmFs"], "msgtime": 1613263768356, "action": "send", '
        spelled += '"location": {"longitude": 1.210e2, "latitude": 31.230, "zoom": 1.5E1}}'
        lines = [*SAMPLES, nul, raw_control, spelled, '{"msgid": "broken", "msgtype": "te']
        self.pull(lines)
        self.env.cr.execute(
            """SELECT msgid, state, body_sha256, body::text FROM wecom_message
                WHERE corp_id = %s""",
            [self.corp.id],
        )
        rows = self.env.cr.fetchall()
        self.assertEqual(len(rows), len(lines))
        for msgid, state, stored, text in rows:
            if state == "done":
                self.assertEqual(stored, lib.body_hash(text), msgid)
            else:
                self.assertFalse(stored, msgid)
        # the form documented for verifiers: sorted keys, no spaces, UTF-8, numbers by value
        message = self.env["wecom.message"].search([("msgid", "=", SAMPLES[0]["msgid"])])
        plain = json.dumps(message.body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        self.assertEqual(message.body_sha256, lib.hashlib.sha256(plain.encode()).hexdigest())
        self.assertEqual(self.verify(), [])
        self.assertEqual(self.corp.integrity_state, "ok")
        blocks = self.blocks()
        self.assertEqual(len(blocks), -(-len(lines) // 7))  # one per stored batch of 7
        self.assertEqual(sum(blocks.mapped("member_count")), len(lines) - 1)
        self.assertEqual(blocks[0].pending_seqs, [])
        self.assertEqual(blocks[-1].pending_seqs, [len(lines)])  # the malformed one waits
        self.assertEqual(self.corp.integrity_head, blocks[-1].digest)
        self.assertTrue(self.corp.integrity_adopted, "nothing predates the chain")
        with self.assertRaises(UserError):
            blocks[0].write({"member_count": 0})

    def test_an_altered_message_is_reported_at_its_seq(self):
        self.pull(self.lines(30))
        self.sql(
            """UPDATE wecom_message SET body = body || '{"msgtime": 1}'
                WHERE corp_id = %s AND seq = 12""",
            self.corp.id,
        )
        self.assertEqual(self.verify(), [(12, lib.ALTERED)])
        self.assertEqual(self.corp.integrity_state, "broken")
        self.assertEqual(self.corp.integrity_break_seq, 12)
        self.assertIn("seq 12", self.corp.integrity_detail)
        alerts = self.corp.message_ids.filtered(lambda m: "seq 12" in (m.body or ""))
        self.assertEqual(len(alerts), 1)
        self.assertIn(self.env.ref("base.user_admin").partner_id, alerts.partner_ids)
        self.verify()  # the same break is not reported twice
        alerts = self.corp.message_ids.filtered(lambda m: "seq 12" in (m.body or ""))
        self.assertEqual(len(alerts), 1)

    def test_body_and_hash_altered_together_break_the_block(self):
        self.pull(self.lines(30))
        forged = lib.body_hash('{"forged": true}')
        self.sql(
            """UPDATE wecom_message SET body = '{"forged": true}', body_sha256 = %s
                WHERE corp_id = %s AND seq = 12""",
            forged,
            self.corp.id,
        )
        [(seq, kind)] = self.verify()
        self.assertEqual(kind, lib.ALTERED)
        self.assertEqual(seq, 8, "the first seq of the batch of 7 holding seq 12")

    def test_a_removed_message_is_reported_at_its_seq(self):
        self.pull(self.lines(30))
        self.sql("DELETE FROM wecom_message WHERE corp_id = %s AND seq = 9", self.corp.id)
        self.assertEqual(self.verify(), [(9, lib.REMOVED)])
        self.assertEqual(self.corp.integrity_break_seq, 9)

    def test_an_inserted_message_is_reported_at_its_seq(self):
        self.pull(self.lines(30))
        copy = """INSERT INTO wecom_message (corp_id, company_id, msgid, state, seq, body,
                                             body_sha256, media_state, recalled)
                  SELECT corp_id, company_id, %s, state, %s, body, body_sha256, 'none', false
                    FROM wecom_message WHERE corp_id = %s AND seq = 3"""
        with self.undone():
            self.sql(copy, "after-the-head", 31, self.corp.id)
            self.assertEqual(self.verify(), [(31, lib.INSERTED)])
        with self.undone():
            self.sql(copy, "twin", 3, self.corp.id)  # the same seq twice
            self.assertEqual(self.verify(), [(3, lib.INSERTED)])
        with self.undone():
            self.sql(copy, "no-seq", None, self.corp.id)
            [(seq, kind)] = self.verify()
            self.assertEqual((seq, kind), (None, lib.INSERTED))
            self.assertIn("without a seq", self.corp.integrity_detail)

    def test_an_altered_chain_is_reported(self):
        self.pull(self.lines(30))
        blocks = self.blocks()
        self.sql(
            "UPDATE wecom_integrity_block SET member_count = member_count - 1 WHERE id = %s",
            blocks[2].id,
        )
        self.assertEqual(self.verify(), [(blocks[2].first_seq, lib.CHAIN)])
        self.sql(
            "UPDATE wecom_integrity_block SET member_count = member_count + 1 WHERE id = %s",
            blocks[2].id,
        )
        self.assertEqual(self.verify(), [])
        self.assertEqual(self.corp.integrity_state, "ok", "a break repaired is reported so")
        # a block marked superseded by one that does not name it
        self.sql(
            "UPDATE wecom_integrity_block SET superseded_by = %s WHERE id = %s",
            blocks[3].id,
            blocks[1].id,
        )
        self.assertEqual(self.verify(), [(blocks[3].first_seq, lib.CHAIN)])

    def test_records_decrypted_later_join_the_chain(self):
        lines = [json.dumps(line) for line in self.lines(20)]
        for n in (4, 5, 17):
            lines[n] = "2\t" + lines[n]  # key version 2, missing for now
        self.pull(lines, versions=(1, 2))
        waiting = self.env["wecom.message"].search([("state", "=", "no_key")], order="seq")
        self.assertEqual(waiting.mapped("seq"), [5, 6, 18])
        self.assertEqual(self.verify(), [])
        # a record still waiting is removed: caught too
        with self.undone():
            self.sql("DELETE FROM wecom_message WHERE id = %s", waiting[2].id)
            self.assertEqual(self.verify(), [(18, lib.REMOVED)])
        # … or decrypted by someone else than the pipeline
        with self.undone():
            self.sql(
                "UPDATE wecom_message SET state = 'done', body = '{}' WHERE id = %s",
                waiting[0].id,
            )
            self.assertEqual(self.verify(), [(5, lib.ALTERED)])
        pull_blocks = self.blocks()
        self.env["wecom.corp.key"].create(
            {"corp_id": self.corp.id, "version": 2, "private_key": key_pair(2)[0]}
        )
        self.assertEqual(set(waiting.mapped("state")), {"done"})
        for message in waiting:
            self.assertEqual(message.body_sha256, lib.body_hash(json.dumps(message.body)))
        joined = self.blocks()
        self.assertEqual(len(joined), len(pull_blocks))
        self.assertEqual(set(joined.mapped("kind")), {"pull", "join"})
        self.assertFalse(any(block.pending_seqs for block in joined))
        replaced = pull_blocks - joined
        self.assertEqual(replaced.superseded_by, joined.filtered(lambda b: b.kind == "join"))
        self.assertEqual(self.verify(), [])
        self.sql(
            "UPDATE wecom_message SET body = '{}' WHERE corp_id = %s AND seq = 18", self.corp.id
        )
        self.assertEqual(self.verify(), [(18, lib.ALTERED)])

    def test_a_check_out_of_time_goes_on_where_it_stopped(self):
        self.pull(self.lines(30))
        runs = 0
        while (problems := self.corp._verify_integrity(time_budget=0)) is None:
            runs += 1
            self.assertEqual(self.corp.integrity_state, "unknown")
            self.assertTrue(self.corp.integrity_cursor)
        self.assertEqual(problems, [])
        self.assertEqual(runs, len(self.blocks()))  # a block per run at least
        self.assertEqual(self.corp.integrity_state, "ok")
        self.assertFalse(self.corp.integrity_cursor)
        self.sql("DELETE FROM wecom_message WHERE corp_id = %s AND seq = 2", self.corp.id)
        self.env["wecom.corp"]._cron_verify_integrity()
        self.assertEqual(self.corp.integrity_break_seq, 2)

    def test_messages_stored_before_the_chain_are_adopted(self):
        self.pull(self.lines(12))
        # as an archive upgraded to this version: no chain, no hashes
        self.sql("DELETE FROM wecom_integrity_block WHERE corp_id = %s", self.corp.id)
        self.sql(
            """UPDATE wecom_message SET body_sha256 = NULL WHERE corp_id = %s;
               UPDATE wecom_corp SET integrity_adopted = false WHERE id = %s""",
            self.corp.id,
            self.corp.id,
        )
        self.build_corpus(self.lines(20))
        self.corp._pull()  # new batches chain at once, above what predates the chain
        self.assertEqual(self.verify(), [])
        adopted = self.blocks().filtered(lambda b: b.kind == "adopt")
        self.assertEqual((adopted.first_seq, adopted.last_seq), (1, 12))
        unhashed = [("corp_id", "=", self.corp.id), ("body_sha256", "=", False)]
        self.assertEqual(self.env["wecom.message"].search_count(unhashed), 0)
        self.sql("DELETE FROM wecom_message WHERE corp_id = %s AND seq = 4", self.corp.id)
        self.assertEqual(self.verify(), [(4, lib.REMOVED)])


class _Undo(Exception):
    pass
