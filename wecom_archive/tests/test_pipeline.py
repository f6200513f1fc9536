import base64
import hashlib
import json
import os
import random
import resource
import subprocess
import tempfile
import threading
import time
from datetime import datetime, timedelta
from unittest.mock import patch

from psycopg2 import IntegrityError

from odoo import fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import new_test_user, tagged
from odoo.tools import config, mute_logger

from ..lib import pgarray
from ..lib.decrypt import Decryptor
from ..lib.tests.samples import CUSTOMER, EXPECTED_TEXT, MEMBER, ROOM, SAMPLES
from ..models import links
from ..native.errors import SdkNotTrustedError
from .common import WecomCase, key_pair


@tagged("post_install", "-at_install")
class TestPipeline(WecomCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["wecom.corp.key"].create(
            {"corp_id": cls.corp.id, "version": 1, "private_key": key_pair(1)[0]}
        )
        cls.Message = cls.env["wecom.message"]

    def messages(self, corp=None):
        return self.Message.search([("corp_id", "=", (corp or self.corp).id)], order="seq")

    def test_array_literals_read_back(self):
        """What the pipeline sends as one array literal per column (lib.pgarray) is what
        PostgreSQL reads: quotes, backslashes, braces, commas, blanks, the word NULL,
        emoji, times, booleans."""
        texts = ['a "b"', "c\\d", "{x,y}", " lead", "tab\tnew\nline", "", "NULL", "好的👍🏻", None]
        self.env.cr.execute(
            "SELECT array_agg(t) FROM unnest(%s::text[]) t", [pgarray.literal(texts)]
        )
        self.assertEqual(self.env.cr.fetchone()[0], texts)
        times = [datetime(2026, 12, 6, 23, 59, 59, 999999), datetime(2026, 1, 1), None]
        self.env.cr.execute(
            "SELECT array_agg(t) FROM unnest(%s::timestamp[]) t", [pgarray.literal(times)]
        )
        self.assertEqual(self.env.cr.fetchone()[0], times)
        flags, numbers = [True, False, None], [2**40, -3, None]
        self.env.cr.execute(
            "SELECT array_agg(b), array_agg(n) FROM unnest(%s::bool[], %s::int8[]) AS x(b, n)",
            [pgarray.literal(flags), pgarray.literal(numbers)],
        )
        self.assertEqual(self.env.cr.fetchone(), (flags, numbers))
        body = json.dumps({"text": {"content": 'say "hi" \\ {ok}'}}, ensure_ascii=False)
        self.env.cr.execute("SELECT (%s::jsonb[])[1]", [pgarray.literal([body])])
        self.assertEqual(self.env.cr.fetchone()[0], json.loads(body))

    def test_every_type_stored_and_rendered(self):
        nul = dict(SAMPLES[0], msgid="n\u0000ul", text={"content": "NUL\u0000 and \x01 control"})
        raw_control = json.dumps(dict(SAMPLES[0], msgid="ctl", text={"content": "a@b"}))
        raw_control = raw_control.replace("a@b", "a\x01b")  # a raw control character
        lines = [*SAMPLES, nul, raw_control, '{"msgid": "broken", "msgtype": "text", "text": {"con']
        self.build_corpus(lines)
        self.corp.batch_size = 7  # several batches
        self.assertEqual(self.corp._pull(), len(lines))
        messages = self.messages()
        self.assertEqual(len(messages), len(lines))
        self.assertEqual(self.corp.seq, len(lines))
        odd_ids = ("nul", "ctl")
        by_type = {m.msgtype: m for m in messages if m.state == "done" and m.msgid not in odd_ids}
        for msgtype, words in EXPECTED_TEXT.items():
            for word in words:
                self.assertIn(word, by_type[msgtype].text, msgtype)
        self.assertEqual(by_type["text"].body, SAMPLES[0])
        odd = messages.filtered(lambda m: m.msgid == "nul")  # PostgreSQL text holds no NUL
        self.assertEqual(odd.sender, SAMPLES[0]["from"])
        self.assertEqual(odd.text, "NUL and \x01 control")
        self.assertEqual(odd.body["text"]["content"], "NUL and \x01 control")
        control = messages.filtered(lambda m: m.msgid == "ctl")
        self.assertEqual((control.state, control.text), ("done", "a\x01b"))
        self.assertEqual(by_type["text"].msgtime, datetime(2021, 2, 14, 0, 50, 28, 356000))
        # a message's name where it is a link: who and when (the reader's time zone), no id
        shanghai = by_type["text"].with_context(tz="Asia/Shanghai")
        self.assertEqual(shanghai.display_name, f"{shanghai.sender_name} · 2021-02-14 08:50:28")
        self.assertNotIn(shanghai.msgid, shanghai.display_name)
        self.assertEqual(by_type["image"].media_state, "pending")
        self.assertFalse(by_type["hologram"].known_type)
        self.assertEqual(
            by_type["hologram"].body["hologram"], {"content": "a type WeCom adds later"}
        )
        broken = messages.filtered(lambda m: m.state == "parse_error")
        self.assertEqual(len(broken), 1)
        self.assertIn("malformed JSON", broken.error)
        self.assertTrue(broken.raw_text.startswith('{"msgid": "broken"'))
        self.assertTrue(broken.encrypt_chat_msg, "the encrypted payload is kept")
        self.assertEqual((broken.media_state, broken.recalled), ("none", False))
        # The recall marks its target; consent: the latest of agree/disagree wins.
        self.assertTrue(by_type["text"].recalled)
        contact = self.env["wecom.contact"].search([("external_userid", "=", CUSTOMER)])
        self.assertEqual(contact.consent_status, "disagree")
        # Conversations and their members.
        self.assertFalse(by_type["switch"].conversation_id)
        external = by_type["text"].conversation_id
        self.assertEqual(external.kind, "external")
        self.assertEqual(external.contact_id, contact)
        self.assertEqual(external.member_ids.userid, MEMBER)
        group = by_type["vote"].conversation_id
        self.assertEqual((group.kind, group.roomid, group.message_count), ("group", ROOM, 2))
        self.assertEqual(set(group.member_ids.mapped("userid")), {MEMBER, "wangyin"})
        in_external = messages.filtered(lambda m: m.conversation_id == external)
        self.assertEqual(external.message_count, len(in_external))
        self.assertEqual(external.first_msgtime, min(in_external.mapped("msgtime")))
        self.assertEqual(external.last_msgtime, max(in_external.mapped("msgtime")))
        self.assertEqual(by_type["text"].member_ids.userid, MEMBER)

    def test_recall_arriving_before_its_target(self):
        target = dict(SAMPLES[0])
        recall = next(s for s in SAMPLES if s.get("msgtype") == "revoke")
        self.build_corpus([recall, target])
        self.corp.batch_size = 1
        self.corp._pull()
        stored = self.messages()
        self.assertEqual(stored.mapped("msgtype"), ["revoke", "text"])
        self.assertTrue(stored[1].recalled)
        self.assertFalse(stored[0].recalled)
        self.env.cr.execute("SELECT count(*) FROM wecom_recall_pending")
        self.assertEqual(self.env.cr.fetchone()[0], 0, "the recall waits no more")

    def test_recall_of_a_message_decrypted_later(self):
        """A recall stored while its message waits for its key marks it; the message,
        decrypted later, stays recalled."""
        target = dict(SAMPLES[0])
        recall = next(s for s in SAMPLES if s.get("msgtype") == "revoke")
        self.build_corpus(["2\t" + json.dumps(target), json.dumps(recall)], versions=(1, 2))
        self.corp._pull()
        waiting = self.messages()[0]
        self.assertEqual((waiting.state, waiting.recalled), ("no_key", True))
        self.env["wecom.corp.key"].create(
            {"corp_id": self.corp.id, "version": 2, "private_key": key_pair(2)[0]}
        )
        waiting.invalidate_recordset()
        self.assertEqual((waiting.state, waiting.recalled), ("done", True))

    def test_recall_whose_message_never_comes_waits_alone(self):
        """A recall of a message the archive never got waits in wecom_recall_pending, and
        marks nothing else."""
        recall = next(s for s in SAMPLES if s.get("msgtype") == "revoke")
        self.build_corpus([recall, dict(SAMPLES[0], msgid="another")])
        self.corp._pull()
        self.assertFalse(any(self.messages().mapped("recalled")))
        self.env.cr.execute("SELECT corp_id, msgid FROM wecom_recall_pending")
        self.assertEqual(self.env.cr.fetchall(), [(self.corp.id, recall["revoke"]["pre_msgid"])])

    def test_links_follow_deletions_without_foreign_keys(self):
        """A message's and a case's links to members and departments have no foreign keys
        (models/links.py); deleting either end deletes its links, whatever deletes it."""
        self.env.cr.execute(
            """SELECT conrelid::regclass::text FROM pg_constraint WHERE contype = 'f'
                AND conrelid::regclass::text IN ('wecom_message_member_rel',
                    'wecom_message_department_rel', 'wecom_violation_member_rel')"""
        )
        self.assertEqual(self.env.cr.fetchall(), [])
        department = self.env["wecom.department"].create(
            {"corp_id": self.corp.id, "department_id": 7, "name": "销售部"}
        )
        member = self.env["wecom.member"].create(
            {"corp_id": self.corp.id, "userid": MEMBER, "department_ids": [(6, 0, department.ids)]}
        )
        self.env["wecom.keyword.rule"].create(
            {"name": "词", "category": "私下交易", "words_input": "转账,回访"}
        )
        self.build_corpus(SAMPLES)
        self.corp._pull()
        messages = self.messages().filtered("member_ids")
        self.assertTrue(messages.department_ids)
        cases = self.env["wecom.violation"].search([("member_ids", "=", member.id)])
        self.assertTrue(cases)

        def links(table, column, ids):
            self.env.cr.execute(f"SELECT count(*) FROM {table} WHERE {column} = ANY(%s)", [ids])
            return self.env.cr.fetchone()[0]

        # a message deleted (the ORM, in the pipeline's context): its links go with it
        first = messages[0]
        first.with_context(wecom_pipeline=True).unlink()
        self.assertEqual(links("wecom_message_member_rel", "wecom_message_id", first.ids), 0)
        self.assertEqual(links("wecom_message_department_rel", "wecom_message_id", first.ids), 0)
        # a case deleted by SQL (as a cascade from its rule deletes it)
        self.env.cr.execute("DELETE FROM wecom_violation WHERE id = %s", [cases[0].id])
        self.assertEqual(links("wecom_violation_member_rel", "violation_id", cases[:1].ids), 0)
        # a department and a member deleted: every link naming them goes
        self.assertTrue(links("wecom_message_member_rel", "wecom_member_id", member.ids))
        self.env.cr.execute("DELETE FROM wecom_department WHERE id = %s", department.ids)
        self.assertEqual(
            links("wecom_message_department_rel", "wecom_department_id", department.ids), 0
        )
        self.env.cr.execute("DELETE FROM wecom_member WHERE id = %s", member.ids)
        self.assertEqual(links("wecom_message_member_rel", "wecom_member_id", member.ids), 0)
        self.assertEqual(links("wecom_violation_member_rel", "member_id", member.ids), 0)
        # the corp deleted: its messages and cases cascade, and their links with them
        ids = self.messages().ids
        self.env.cr.execute("DELETE FROM wecom_corp WHERE id = %s", self.corp.ids)
        self.assertEqual(links("wecom_message_member_rel", "wecom_message_id", ids), 0)
        self.assertEqual(links("wecom_message_department_rel", "wecom_message_id", ids), 0)
        self.env.invalidate_all()

    def test_case_references_follow_deletions_without_foreign_keys(self):
        """A case's corp, rule, message, employee, customer and department have no foreign
        key (models/links.py): deleting the record does what the key did (a corp's and a
        rule's cases go, the other references are emptied), whatever deletes it, and what
        the ORM writes is checked as the key checked it."""
        cr = self.env.cr
        cr.execute(
            """SELECT a.attname FROM pg_constraint c
                 JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
                WHERE c.contype = 'f' AND c.conrelid = 'wecom_violation'::regclass"""
        )
        self.assertEqual(
            sorted(column for (column,) in cr.fetchall()),
            ["company_id", "create_uid", "reviewer_id", "user_id", "write_uid"],
        )
        # every LinkMany2one has its delete trigger, doing what its ondelete says
        declared = {
            (model._table, field.name, self.env[field.comodel_name]._table, field.ondelete)
            for model in self.env.registry.values()
            if not model._abstract
            for field in model._fields.values()
            if isinstance(field, links.LinkMany2one)
        }
        self.assertEqual(len(declared), 6)
        self.assertLessEqual(declared, set(links.LINKS))
        department = self.env["wecom.department"].create(
            {"corp_id": self.corp.id, "department_id": 7, "name": "销售部"}
        )
        member = self.env["wecom.member"].create(
            {"corp_id": self.corp.id, "userid": MEMBER, "department_ids": [(6, 0, department.ids)]}
        )
        Rule = self.env["wecom.keyword.rule"]
        # a behaviour case names its customer; a word rule's cases go with the rule
        card = Rule.create(
            {"name": "名片", "category": "敏感行为", "rule_type": "behavior", "behavior": "card"}
        )
        rule = Rule.create({"name": "词", "category": "私下交易", "words_input": "转账,回访"})
        self.build_corpus(SAMPLES)
        self.corp._pull()
        Violation = self.env["wecom.violation"]
        case = Violation.search([("rule_id", "=", card.id)])
        self.assertEqual(len(case), 1)
        self.assertTrue(case.contact_id)
        self.assertEqual((case.member_id, case.department_id), (member, department))

        def reference(case, column):
            cr.execute(f"SELECT {column} FROM wecom_violation WHERE id = %s", case.ids)
            return cr.fetchone()[0]

        # the ORM: a record that does not exist is refused, one that does is written
        cr.execute("SELECT max(id) + 1 FROM wecom_message")
        missing = cr.fetchone()[0]
        with (
            self.assertRaisesRegex(ValidationError, f"#{missing} does not exist"),
            cr.savepoint(),
        ):
            case.write({"message_id": missing})
            case.flush_recordset()
        self.env.invalidate_all()
        cr.execute("SELECT max(id) + 1 FROM wecom_keyword_rule")
        missing = cr.fetchone()[0]
        with self.assertRaisesRegex(ValidationError, f"#{missing} does not exist"), cr.savepoint():
            Violation.create(
                {
                    "name": "x",
                    "company_id": self.corp.company_id.id,
                    "corp_id": self.corp.id,
                    "rule_id": missing,
                }
            )
        other = self.messages().filtered(lambda m: m != case.message_id)[0]
        with cr.savepoint():
            case.write({"message_id": other.id})
            case.flush_recordset()
            self.assertEqual(reference(case, "message_id"), other.id)
        self.env.invalidate_all()
        # a message, a customer, a member, a department deleted: the cases stay, unnamed
        message, contact = case.message_id, case.contact_id
        message.with_context(wecom_pipeline=True).unlink()
        self.assertIsNone(reference(case, "message_id"))
        cr.execute("DELETE FROM wecom_contact WHERE id = %s", contact.ids)
        self.assertIsNone(reference(case, "contact_id"))
        cr.execute("DELETE FROM wecom_department WHERE id = %s", department.ids)
        self.assertIsNone(reference(case, "department_id"))
        cr.execute("DELETE FROM wecom_member WHERE id = %s", member.ids)
        self.assertIsNone(reference(case, "member_id"))
        self.env.invalidate_all()
        self.assertTrue(case.exists())
        # a rule deleted (the ORM): its cases go, the other rule's stay
        rule_cases = Violation.search([("rule_id", "=", rule.id)])
        self.assertTrue(rule_cases)
        rule.unlink()
        self.assertFalse(rule_cases.exists())
        self.assertTrue(case.exists())
        # the corp deleted: its cases go
        cr.execute("DELETE FROM wecom_corp WHERE id = %s", self.corp.ids)
        self.env.invalidate_all()
        self.assertFalse(case.exists())

    def test_replayed_batches_insert_nothing_twice(self):
        self.build_corpus(SAMPLES[:10])
        self.corp._pull()
        chat = self.messages()[0].conversation_id
        count = chat.message_count
        self.env.cr.execute("UPDATE wecom_corp SET seq = 0 WHERE id = %s", [self.corp.id])
        self.corp.invalidate_recordset()
        self.corp._pull()
        self.assertEqual(len(self.messages()), 10)
        chat.invalidate_recordset()
        self.assertEqual(chat.message_count, count)
        self.assertEqual(self.corp.seq, 10)
        # An empty answer never moves the cursor back.
        self.corp._pull()
        self.assertEqual(self.corp.seq, 10)

    def test_a_msgid_delivered_twice_in_one_batch_counts_once(self):
        text = dict(SAMPLES[0], msgid="twice")
        self.build_corpus([text, dict(SAMPLES[0], msgid="other"), text])
        self.assertEqual(self.corp._pull(), 2)
        messages = self.messages()
        self.assertEqual(messages.mapped("msgid"), ["twice", "other"])
        self.assertEqual(messages.conversation_id.message_count, 2)
        self.assertEqual(self.corp.seq, 3)

    def test_decryption_processes_setting(self):
        """0 uses every core; a smaller number leaves cores to the web workers."""
        with self.corp._decryptor() as decryptor:
            self.assertEqual(len(decryptor._workers), os.cpu_count())
        self.corp.decrypt_processes = 1
        with self.corp._decryptor() as decryptor:
            self.assertEqual(len(decryptor._workers), 1)
        self.build_corpus(SAMPLES[:10])
        self.assertEqual(self.corp._pull(), 10)
        with self.assertRaises(IntegrityError), mute_logger("odoo.sql_db"), self.cr.savepoint():
            self.corp.decrypt_processes = -1
            self.corp.flush_recordset()

    def test_scheduled_pull_stays_within_odoo_time_limits(self):
        """Odoo kills a cron past limit_time_real_cron (-1: limit_time_real; 0: never) or
        past the CPU cap (RLIMIT_CPU) a prefork worker sets from limit_time_cpu."""
        Corp = self.env["wecom.corp"]
        for cron_limit, real_limit, workers, share, budget in (
            (-1, 120, 0, 1, 90),
            (-1, 120, 0, 1 / 2, 45),
            (0, 120, 0, 1, 240),
            (1000, 120, 0, 1, 240),
            (20, 120, 0, 1, 15),
            (-1, 0, 0, 1, 240),
            # prefork: the worker's watchdog also counts its sleep (60 s + up to 10) first
            (-1, 120, 2, 1, 37.5),
            (-1, 120, 2, 1 / 4, 9.375),
            (30, 120, 2, 1, 0),
        ):
            limits = {
                "limit_time_real_cron": cron_limit,
                "limit_time_real": real_limit,
                "workers": workers,
            }
            with patch.dict(config.options, limits):
                self.assertEqual(Corp._cron_time_budget(share), budget, limits)
        with patch.dict(config.options, {"limit_time_real": 30}):  # the button's limits
            self.assertEqual(Corp._time_budget(60, config["limit_time_real"]), 22.5)
            # In a threaded server, time is counted from the start of the request or round.
            thread = threading.current_thread()
            thread.start_time = time.time() - 10
            try:
                budget = Corp._time_budget(60, config["limit_time_real"])
            finally:
                del thread.start_time
            self.assertAlmostEqual(budget, 15, delta=0.5)
        # Under a CPU cap, as in a prefork worker: 3/4 of the CPU time this process has left.
        cap = resource.getrlimit(resource.RLIMIT_CPU)
        used = resource.getrusage(resource.RUSAGE_SELF)
        resource.setrlimit(resource.RLIMIT_CPU, (int(used.ru_utime + used.ru_stime) + 41, cap[1]))
        try:
            self.assertAlmostEqual(Corp._cron_time_budget(1), 30, delta=1)
        finally:
            resource.setrlimit(resource.RLIMIT_CPU, cap)
        # Every corp gets its share of what is left (time a corp does not use passes to
        # the next): a long backlog does not starve the others, and all ends in time.
        Corp.create({"name": "Second", "corpid": "wwsecondcorp0001", "secret": self.secret})
        budgets, ends = [], []

        def pull(corp, time_budget=None, max_batches=None):
            budgets.append(time_budget)
            ends.append(time.monotonic() + time_budget)
            return 0

        limits = {"limit_time_real_cron": 40, "limit_time_real": 120}
        with patch.object(type(Corp), "_pull", pull), patch.dict(config.options, limits):
            Corp._cron_pull()
        finished = time.monotonic()
        corps = Corp.search([])
        self.assertEqual(len(budgets), len(corps))
        self.assertGreater(len(corps), 1)
        self.assertAlmostEqual(budgets[0], 15 / len(corps), delta=1)
        self.assertLessEqual(max(ends), finished + 15)  # 1/2 of 3/4 of 40 s

    def test_missing_key_version_waits_then_decrypts(self):
        lines = [
            json.dumps(SAMPLES[0]),
            "2\t" + json.dumps(SAMPLES[1]),
            "2\t" + json.dumps(SAMPLES[4]),
        ]
        self.build_corpus(lines, versions=(1, 2))
        self.corp._pull()
        waiting = self.messages().filtered(lambda m: m.state == "no_key")
        self.assertEqual(len(waiting), 2)
        self.assertIn("key version 2", waiting[0].error)
        self.assertEqual(self.corp.seq, 3, "the cursor moves on: nothing waits in WeCom")
        self.assertEqual(self.corp.message_failed, 2)
        self.env["wecom.corp.key"].create(
            {"corp_id": self.corp.id, "version": 2, "private_key": key_pair(2)[0]}
        )
        self.messages().invalidate_recordset()
        self.assertEqual(set(self.messages().mapped("state")), {"done"})
        card = self.messages().filtered(lambda m: m.msgtype == "card")
        self.assertIn("独秀馒头", card.text)
        self.assertFalse(card.encrypt_chat_msg)
        self.assertEqual(card.conversation_id.message_count, 3)

    def test_wrong_key_is_a_decryption_error_kept_for_later(self):
        self.build_corpus([SAMPLES[0]], versions=(2,))
        key = self.env["wecom.corp.key"].create(
            {"corp_id": self.corp.id, "version": 2, "private_key": key_pair(1)[0]}
        )
        self.corp._pull()
        message = self.messages()
        self.assertEqual(message.state, "decrypt_error")
        key.private_key = key_pair(2)[0]
        message.invalidate_recordset()
        self.assertEqual(message.state, "done")

    def test_retryable_storm_loses_nothing(self):
        self.build_corpus([dict(SAMPLES[0], msgid=f"m{n}") for n in range(25)])
        self.set_faults("chatdata_error=10001\nchatdata_error_every=2\n")
        self.corp.batch_size = 5
        self.corp._pull()
        self.assertEqual(len(self.messages()), 25)
        self.assertEqual(self.corp.seq, 25)

    def test_fatal_error_recorded_and_alarm(self):
        self.build_corpus([SAMPLES[0]])
        self.set_faults("ip_untrusted=1\n")
        # Not assertRaises: it would roll back what _pull records before raising.
        try:
            self.corp._pull()
        except SdkNotTrustedError:
            pass
        else:
            self.fail("an untrusted IP must stop the pull")
        self.assertIn("trusted-IP", self.corp.last_error)
        self.corp.last_pull_ok = fields.Datetime.now() - timedelta(hours=13)
        self.env["wecom.corp"]._cron_check_lag()
        alarm = self.corp.message_ids.filtered(lambda m: "5 days" in (m.body or ""))
        self.assertEqual(len(alarm), 1)
        self.assertIn(self.env.ref("base.user_admin").partner_id, alarm.partner_ids)
        self.env["wecom.corp"]._cron_check_lag()
        self.assertEqual(
            len(self.corp.message_ids.filtered(lambda m: "5 days" in (m.body or ""))), 1
        )
        self.set_faults("")
        self.corp._pull()
        self.assertFalse(self.corp.last_error)
        self.assertFalse(self.corp.lag_alarm_sent)

    def test_poison_records_and_killed_workers_lose_nothing(self):
        # 2,000 good records and three that would stop the archive with Tencent's SDK: an
        # empty and a too-short encrypt_chat_msg (DecryptData aborts the process on them), and
        # one that crashes only inside DecryptData. Workers are also killed mid-batch.
        good = [dict(SAMPLES[0], msgid=f"good{n:04d}") for n in range(2000)]
        poison_at = {150: "", 480: "QUJDRA==", 820: None}  # None: crashes inside the SDK
        lines = list(good)
        for index in sorted(poison_at):
            lines.insert(index, dict(SAMPLES[0], msgid=f"poison{index}"))
        corpus = self.build_corpus(lines)
        chatdata = os.path.join(corpus, "chatdata.jsonl")
        with open(chatdata, encoding="utf-8") as handle:
            wire = [json.loads(line) for line in handle]
        for index, payload in poison_at.items():
            if payload is None:
                wire[index]["encrypt_chat_msg"] = "CRASHINSIDE" + wire[index]["encrypt_chat_msg"]
            else:
                wire[index]["encrypt_chat_msg"] = payload
        with open(chatdata, "w", encoding="utf-8") as handle:
            handle.writelines(json.dumps(record) + "\n" for record in wire)
        with open(os.path.join(self.corpus_root, "faults.conf"), "w") as handle:
            handle.write("decrypt_abort_msg=CRASHINSIDE\n")
        self.addCleanup(os.unlink, os.path.join(self.corpus_root, "faults.conf"))
        poison_seqs = {wire[i]["seq"] for i in poison_at}

        killed = []
        started = threading.Event()
        decryptors = []
        untouched_enter = Decryptor.__enter__

        def enter(decryptor):
            untouched_enter(decryptor)
            decryptors.append(decryptor)
            started.set()
            return decryptor

        def kill_two_workers():
            """SIGKILL the pull's two decryption workers once they serve, mid-batch."""
            if not started.wait(60):
                return
            for worker in list(decryptors[0]._workers):
                time.sleep(0.15)
                worker.process.kill()
                killed.append(worker.process.pid)

        self.corp.batch_size = 500
        self.corp.decrypt_processes = 2
        killer = threading.Thread(target=kill_two_workers)
        killer.start()
        try:
            with patch.object(Decryptor, "__enter__", enter):
                stored = self.corp._pull(max_batches=2)
        finally:
            started.set()
            killer.join()
        self.assertEqual(len(killed), 2, "the workers were not killed mid-pull")
        self.assertEqual(stored, 1000)
        self.assertEqual(self.corp.seq, 1000)

        def check(messages, good_count):
            done = messages.filtered(lambda m: m.state == "done")
            self.assertEqual(len(done), good_count)
            self.assertEqual(len(set(done.mapped("msgid"))), good_count)  # none twice
            failed = messages - done
            self.assertEqual(set(failed.mapped("seq")), poison_seqs)
            for message in failed:
                index = next(i for i, r in enumerate(wire) if r["seq"] == message.seq)
                self.assertEqual(message.state, "decrypt_error")
                self.assertEqual(message.msgid, wire[index]["msgid"])
                self.assertEqual(message.encrypt_random_key, wire[index]["encrypt_random_key"])
                self.assertEqual(message.encrypt_chat_msg or "", wire[index]["encrypt_chat_msg"])
            by_seq = {m.seq: m for m in failed}
            self.assertIn("aborts the process", by_seq[wire[150]["seq"]].error)
            self.assertIn("aborts the process", by_seq[wire[480]["seq"]].error)
            self.assertIn("crashed on this record", by_seq[wire[820]["seq"]].error)

        check(self.messages(), 997)
        crashed = wire[820]
        self.assertIn(f"seq {crashed['seq']} (msgid {crashed['msgid']})", self.corp.isolated_error)
        # Retrying them goes through the same isolation: nothing stops, nothing changes …
        self.corp.action_reprocess()
        check(self.messages(), 997)
        self.assertIn(f"seq {crashed['seq']}", self.corp.isolated_error)
        # … and the next pull takes the rest.
        self.assertEqual(self.corp._pull(), 1003)
        self.assertEqual(self.corp.seq, 2003)
        check(self.messages(), 2000)

    def test_media_downloaded_byte_exact(self):
        big = bytes(range(256)) * 6000 + b"\0\0tail"  # 1.5 MB, three chunks, NUL bytes
        small = b"GIF89a\0\0\0small"
        image = dict(
            SAMPLES[1],
            image={
                "sdkfileid": "bigimage",
                "md5sum": hashlib.md5(big).hexdigest(),
                "filesize": len(big),
            },
        )
        emotion = dict(
            SAMPLES[6],
            emotion={"type": 1, "sdkfileid": "smallgif", "md5sum": "", "imagesize": len(small)},
        )
        missing = dict(SAMPLES[2], voice={"sdkfileid": "gone", "voice_size": 5, "md5sum": ""})
        huge = dict(
            SAMPLES[3], video={"sdkfileid": "huge", "filesize": 200 * 1024 * 1024, "md5sum": ""}
        )
        self.build_corpus(
            [image, emotion, missing, huge], media={"bigimage": big, "smallgif": small}
        )
        self.corp._pull()
        self.Message._cron_download_media(time_budget=30)
        by_type = {m.msgtype: m for m in self.messages()}
        self.assertEqual(by_type["image"].media_state, "done")
        self.assertEqual(base64.b64decode(by_type["image"].attachment_id.datas), big)
        self.assertEqual(by_type["emotion"].attachment_id.raw, small)
        self.assertTrue(by_type["emotion"].attachment_id.name.endswith(".gif"))
        self.assertEqual(by_type["voice"].media_state, "failed")
        self.assertIn("10005", by_type["voice"].media_error)
        self.assertEqual(by_type["video"].media_state, "too_large")
        # 重新下载媒体: a WeCom administrator's button (they read messages, never write them)
        voice = by_type["voice"]
        reader = new_test_user(
            self.env,
            "media_reader",
            groups="base.group_user,wecom_archive.group_wecom_archive_super",
        )
        with self.assertRaises(AccessError):
            voice.with_user(reader).action_retry_media()
        manager = new_test_user(
            self.env, "media_manager", groups="base.group_user,wecom_archive.group_wecom_manager"
        )
        voice.with_user(manager).action_retry_media()
        self.assertEqual((voice.media_state, voice.media_attempts), ("pending", 0))

    def test_media_without_md5_or_size_cut_short_is_downloaded_again(self):
        # A meeting recording: WeCom sends no md5sum or size. Every other chunk arrives cut
        # short; each is fetched again, and the file is stored whole but marked unverified.
        recording = bytes(range(256)) * 4096 + b"end"  # 1 MB: three chunks
        meeting = next(s for s in SAMPLES if s["msgtype"] == "meeting_voice_call")
        meeting = dict(meeting, meeting_voice_call=dict(meeting["meeting_voice_call"]))
        image = dict(SAMPLES[1], image={"sdkfileid": "img", "md5sum": "", "filesize": 3})
        self.build_corpus([meeting, image], media={"mvc01": recording, "img": b"abc"})
        self.set_faults("media_truncate_every=2\n")
        self.corp._pull()
        self.Message._cron_download_media(time_budget=30)
        by_type = {m.msgtype: m for m in self.messages()}
        stored = by_type["meeting_voice_call"]
        self.assertEqual(stored.media_state, "done")
        self.assertEqual(stored.attachment_id.raw, recording)
        self.assertEqual(stored.media_check, "none")
        self.assertEqual(stored.media_size, len(recording))
        self.assertEqual(stored.media_md5, hashlib.md5(recording).hexdigest())
        self.assertEqual(by_type["image"].media_check, "size")

    def test_voice_is_converted_once_for_the_browser(self):
        rng = random.Random(5)
        amr = b"#!AMR\n" + b"".join(b"\x3c" + rng.randbytes(31) for _ in range(100))  # 2 s
        voice = dict(SAMPLES[2], voice={"sdkfileid": "v1", "voice_size": len(amr), "md5sum": ""})
        broken = dict(SAMPLES[2], msgid="broken-voice", voice={"sdkfileid": "v2", "md5sum": ""})
        image = dict(SAMPLES[1], image={"sdkfileid": "img", "md5sum": "", "filesize": 4})
        self.build_corpus(
            [voice, broken, image],
            media={"v1": amr, "v2": b"#!AMR\nnot frames", "img": b"\xff\xd8x"},
        )
        self.corp._pull()
        self.Message._cron_download_media(time_budget=30)
        by_msgid = {m.msgid: m for m in self.messages()}
        stored = by_msgid[voice["msgid"]]
        self.assertEqual(stored.media_state, "done")
        self.assertEqual(stored.attachment_id.raw, amr)  # the original is kept
        playable = stored.playable_attachment_id
        self.assertEqual(playable.mimetype, "audio/mpeg")
        self.assertTrue(playable.name.endswith(".mp3"))
        with tempfile.NamedTemporaryFile(suffix=".mp3") as handle:
            handle.write(playable.raw)
            handle.flush()
            probe = ["ffprobe", "-v", "error", "-show_entries", "format=duration"]
            seconds = subprocess.run(
                [*probe, "-of", "csv=p=0", handle.name],
                capture_output=True,
                check=True,
                text=True,
            ).stdout
        self.assertAlmostEqual(float(seconds), 2.0, delta=0.2)
        self.assertFalse(by_msgid[image["msgid"]].playable_attachment_id)

    def test_media_inside_mixed_messages_and_chat_records(self):
        rng = random.Random(9)
        amr = b"#!AMR\n" + b"".join(b"\x3c" + rng.randbytes(31) for _ in range(50))
        picture = b"\xff\xd8\xff-image!"  # the 10 bytes the mixed sample announces
        mixed = next(s for s in SAMPLES if s["msgtype"] == "mixed")  # its image: mix01
        record = dict(
            SAMPLES[0],
            msgid="record",
            msgtype="chatrecord",
            chatrecord={
                "title": "聊天记录",
                "item": [
                    {"type": "ChatRecordText", "content": json.dumps({"content": "你好"})},
                    {"type": "ChatRecordVoice", "content": json.dumps({"sdkfileid": "rv"})},
                    {"type": "ChatRecordImage", "content": json.dumps({"sdkfileid": "mix01"})},
                ],
            },
        )
        self.build_corpus([mixed, record], media={"mix01": picture, "rv": amr})
        self.corp._pull()
        self.Message._cron_download_media(time_budget=30)
        by_msgid = {m.msgid: m for m in self.messages()}
        image = by_msgid[mixed["msgid"]].media_part_ids
        self.assertEqual((image.kind, image.media_state), ("image", "done"))
        self.assertEqual(image.attachment_id.raw, picture)
        self.assertEqual(image.attachment_id.res_model, "wecom.message.media")
        voice, forwarded = by_msgid["record"].media_part_ids
        self.assertEqual((voice.sequence, voice.kind, voice.media_state), (1, "voice", "done"))
        self.assertEqual(voice.attachment_id.raw, amr)
        self.assertEqual(voice.playable_attachment_id.mimetype, "audio/mpeg")
        self.assertEqual((forwarded.sequence, forwarded.attachment_id.raw), (2, picture))
        # a replayed batch adds no part twice
        self.env.cr.execute("UPDATE wecom_corp SET seq = 0 WHERE id = %s", [self.corp.id])
        self.corp.invalidate_recordset()
        self.corp._pull()
        self.assertEqual(len(self.env["wecom.message.media"].search([])), 3)

    def test_media_retried_after_transient_failure(self):
        data = b"\xff\xd8\xff" + bytes(700_000)
        image = dict(
            SAMPLES[1],
            image={
                "sdkfileid": "img",
                "md5sum": hashlib.md5(data).hexdigest(),
                "filesize": len(data),
            },
        )
        self.build_corpus([image], media={"img": data})
        self.corp._pull()
        self.set_faults("media_error=10001\n")
        self.Message._cron_download_media(time_budget=5)
        message = self.messages()
        self.assertEqual(message.media_state, "pending")
        self.assertEqual(message.media_attempts, 1)
        self.assertTrue(message.media_next_try > fields.Datetime.now())
        self.set_faults("")
        message.with_context(wecom_pipeline=True).write({"media_next_try": False})
        # The job's budget comes from Odoo's cron time limit: none left, nothing fetched.
        with patch.dict(config.options, {"limit_time_real_cron": 1e-9}):
            self.Message._cron_download_media()
        self.assertEqual(message.media_state, "pending")
        self.Message._cron_download_media()
        self.assertEqual(message.media_state, "done")
        self.assertEqual(message.attachment_id.raw, data)

    def test_corp_of_another_company_untouched(self):
        other_company = self.env["res.company"].create({"name": "Other Co"})
        other = self.env["wecom.corp"].create(
            {
                "name": "Other",
                "corpid": "wwothercorp00001",
                "secret": self.secret,
                "company_id": other_company.id,
                "sdk_library_path": self.corp.sdk_library_path,
            }
        )
        self.env["wecom.corp.key"].create(
            {"corp_id": other.id, "version": 1, "private_key": key_pair(1)[0]}
        )
        self.build_corpus(SAMPLES[:3])
        self.build_corpus(SAMPLES[:5], corpid=other.corpid)
        self.corp._pull()
        self.assertEqual(len(self.messages()), 3)
        self.assertEqual(len(self.messages(other)), 0)
        self.assertEqual(other.seq, 0)
        other._pull()
        self.assertEqual(len(self.messages(other)), 5, "the same msgids exist in both corps")
        self.assertEqual(self.messages(other).company_id, other_company)
        self.assertNotEqual(self.messages(other).conversation_id, self.messages().conversation_id)

    def test_super_admin_reads_what_the_pipeline_stored(self):
        self.build_corpus(SAMPLES)
        self.corp._pull()
        user = new_test_user(
            self.env, "wecom_super_reader", groups="wecom_archive.group_wecom_archive_super"
        )
        for model in ("wecom.message", "wecom.conversation", "wecom.member", "wecom.contact"):
            records = self.env[model].with_user(user).search([])
            self.assertTrue(records, model)
            records.read(["display_name"])
        chats = self.env["wecom.conversation"].with_user(user).search([("kind", "=", "external")])
        self.assertIn(CUSTOMER, chats[0].display_name)

    def test_archived_messages_are_immutable(self):
        self.build_corpus(SAMPLES[:1])
        self.corp._pull()
        message = self.messages()
        with self.assertRaises(UserError):
            message.write({"text": "changed"})
        with self.assertRaises(UserError):
            message.unlink()
