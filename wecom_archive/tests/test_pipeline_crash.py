"""Pulls in real processes, with real commits: killed at random points, and run twice at once."""

import os
import random
import signal
import subprocess
import sys
import tempfile
import time

from odoo import sql_db
from odoo.tests import BaseCase, get_db_name, tagged
from odoo.tools import config

from ..lib.tests.samples import SAMPLES
from .common import WecomCase, build_test_corpus, fake_sdk_library, key_pair

_WORKER = os.path.join(os.path.dirname(__file__), "pull_worker.py")


@tagged("post_install", "-at_install")
class TestPipelineCrash(BaseCase):
    """Not a TransactionCase: the workers must see committed data, and so must the checks."""

    corpid = "wwcrashtest00001"
    messages = 4000

    def setUp(self):
        super().setUp()
        self.dbname = get_db_name()
        tmp = tempfile.TemporaryDirectory(prefix="wecom_crash_")
        self.addCleanup(tmp.cleanup)
        self.tmp = tmp.name
        lines = [dict(SAMPLES[n % 30], msgid=f"crash{n:05d}") for n in range(self.messages)]
        build_test_corpus(self.tmp, self.corpid, WecomCase.secret, lines)
        self.db = sql_db.db_connect(self.dbname)
        with self.db.cursor() as cr:
            cr.execute("SELECT id FROM res_company ORDER BY id LIMIT 1")
            company = cr.fetchone()[0]
            cr.execute(
                """INSERT INTO wecom_corp (name, corpid, secret, company_id, sdk_library_path,
                                           timeout, batch_size, seq, active, lag_alarm_hours,
                                           max_media_size_mb, api_base_url, session_window_days)
                   VALUES ('crash', %s, %s, %s, %s, 5, 50, 0, true, 12, 100,
                           'http://127.0.0.1:9/cgi-bin', 7) RETURNING id""",
                [self.corpid, WecomCase.secret, company, fake_sdk_library()],
            )
            self.corp_id = cr.fetchone()[0]
            cr.execute(
                "INSERT INTO wecom_corp_key (corp_id, company_id, version, private_key) "
                "VALUES (%s, %s, 1, %s)",
                [self.corp_id, company, key_pair(1)[0]],
            )
        self.addCleanup(self._drop_corp)

    def _drop_corp(self):
        with self.db.cursor() as cr:
            cr.execute("DELETE FROM wecom_message WHERE corp_id = %s", [self.corp_id])
            cr.execute("DELETE FROM wecom_conversation WHERE corp_id = %s", [self.corp_id])
            cr.execute("DELETE FROM wecom_member WHERE corp_id = %s", [self.corp_id])
            cr.execute("DELETE FROM wecom_contact WHERE corp_id = %s", [self.corp_id])
            cr.execute("DELETE FROM wecom_corp WHERE id = %s", [self.corp_id])

    def _worker(self):
        env = dict(os.environ, WECOM_FAKE_SDK_CORPUS=self.tmp, WECOM_WORKER_CORPID=self.corpid)
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
        with open(_WORKER, "rb") as script:
            return subprocess.Popen(
                args, stdin=script, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env
            )

    def _state(self):
        with self.db.cursor() as cr:
            cr.execute("SELECT seq FROM wecom_corp WHERE id = %s", [self.corp_id])
            seq = cr.fetchone()[0]
            cr.execute(
                """SELECT count(*), count(DISTINCT msgid), COALESCE(max(seq), 0),
                          count(*) FILTER (WHERE seq <= %s)
                     FROM wecom_message WHERE corp_id = %s""",
                [seq, self.corp_id],
            )
            return (seq, *cr.fetchone())

    def _assert_consistent(self):
        seq, count, distinct, max_seq, upto_seq = self._state()
        self.assertEqual(count, distinct, "a message was stored twice")
        self.assertLessEqual(seq, max_seq if count else 0, "the seq is ahead of stored data")
        self.assertEqual(upto_seq, seq, "a message below the seq is missing")
        self.assertEqual(max_seq, seq, "stored data is ahead of the committed seq")
        return seq

    def test_killed_at_random_points_then_resumed(self):
        rng = random.Random(20261124)
        seqs = [0]
        for _ in range(4):
            worker = self._worker()
            # Once this run has stored something, kill it at a random point of its work.
            deadline = time.monotonic() + 60
            while self._state()[0] == seqs[-1] and time.monotonic() < deadline:
                time.sleep(0.05)
            time.sleep(rng.uniform(0, 0.3))
            worker.send_signal(signal.SIGKILL)
            worker.wait(30)
            seqs.append(self._assert_consistent())
        worker = self._worker()
        output = worker.communicate(timeout=300)[0].decode()
        self.assertIn("WORKER DONE", output, output[-2000:])
        self.assertEqual(self._assert_consistent(), self.messages)
        self.assertTrue(all(0 < seq < self.messages for seq in seqs[1:]), seqs)
        self.assertEqual(seqs, sorted(seqs), "the seq went backwards")

    def test_two_pulls_at_once(self):
        workers = [self._worker(), self._worker()]
        outputs = [w.communicate(timeout=300)[0].decode() for w in workers]
        for output in outputs:
            self.assertIn("WORKER DONE", output, output[-2000:])
        self.assertEqual(self._assert_consistent(), self.messages)
        totals = [int(o.split("WORKER DONE")[1].split()[0]) for o in outputs]
        self.assertEqual(sum(totals), self.messages, f"records pulled twice: {totals}")
