"""Violations as cases (工单): the workflow and its history, repeat counts, bulk assign and
close, the migration of the old review states, and the supervisors' daily digest."""

import itertools
from datetime import date, datetime, timedelta

from odoo import Command, fields
from odoo.exceptions import UserError
from odoo.modules.migration import load_script
from odoo.tests import new_test_user, tagged

from ..native.fake_api.server import FakeWecomServer
from .common import WecomCase, fake_api_company

NOW = datetime(2030, 1, 10, 2, 0)  # 10:00 in Shanghai, the corp's and the users' time zone
DAY = date(2030, 1, 10)
HOUR = timedelta(hours=1)
SUBJECT = "Daily digest of violation cases"


@tagged("post_install", "-at_install")
class TestCases(WecomCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Department, Member = cls.env["wecom.department"], cls.env["wecom.member"]
        cls.sales = Department.create(
            {"corp_id": cls.corp.id, "department_id": 3, "name": "销售部"}
        )
        support = Department.create({"corp_id": cls.corp.id, "department_id": 5, "name": "客服部"})
        cls.seller, cls.helper, cls.boss = (
            Member.create(
                {
                    "corp_id": cls.corp.id,
                    "userid": userid,
                    "name": name,
                    "department_ids": [Command.set(department.ids)],
                }
            )
            for userid, name, department in (
                ("seller", "王销售", cls.sales),
                ("helper", "李客服", support),
                ("boss", "赵经理", cls.sales),
            )
        )
        cls.sales.leader_ids = cls.boss
        Rule = cls.env["wecom.keyword.rule"]
        cls.rule = Rule.create(
            {"name": "私下交易", "category": "私下交易监控", "words_input": "转账"}
        )
        cls.other_rule = Rule.create({"name": "飞单", "category": "飞单", "words_input": "私单"})
        cls.Case = cls.env["wecom.violation"]
        cls.Digest = cls.env["wecom.digest"]
        cls.worker = cls.super_admin("case_worker")
        cls._seq = itertools.count(1)

    @classmethod
    def super_admin(cls, login):
        return new_test_user(
            cls.env,
            login,
            groups="wecom_archive.group_wecom_archive_super",
            tz="Asia/Shanghai",
        )

    def make_case(self, member, when, rule=None, **values):
        """A violation of ``rule`` by ``member`` at ``when``, in a chat of that member."""
        n = next(self._seq)
        rule = rule or self.rule
        message = (
            self.env["wecom.message"]
            .with_context(wecom_pipeline=True)
            .create(
                {
                    "corp_id": self.corp.id,
                    "company_id": self.corp.company_id.id,
                    "msgid": f"case-{n}",
                    "state": "done",
                    "msgtype": "text",
                    "sender": member.userid,
                    "msgtime": when,
                    "text": "私下转账",
                    "member_ids": [Command.set(member.ids)],
                }
            )
        )
        case = self.Case.create(
            {
                "name": f"CASE-{n:03}",
                "company_id": self.corp.company_id.id,
                "corp_id": self.corp.id,
                "message_id": message.id,
                "rule_id": rule.id,
                "category": rule.category,
                "sender": member.userid,
                "sender_role": "member",
                "msgtime": when,
                "content": "私下转账",
                "words_hit": "转账",
                "member_ids": [Command.set(member.ids)],
                **values,
            }
        )
        # as if committed: changes made in the transaction that created a record are not
        # tracked (the pipeline inserts violations in SQL, and they are changed later)
        self.env.cr.flush()
        return case

    def last_tracking(self, case):
        """{field: (old, new)} of the case's newest tracking message, and its author."""
        self.env.flush_all()
        self.env.cr.flush()  # the tracking messages are written before the commit
        case = case.sudo()  # tracking values are read by system administrators
        case.invalidate_recordset(["message_ids"])
        message = case.message_ids.filtered("tracking_value_ids")[:1]
        changes = {
            value.field_id.name: (value.old_value_char, value.new_value_char)
            for value in message.tracking_value_ids
        }
        return changes, message.author_id

    def digests_of(self, user):
        return self.env["mail.message"].search(
            [("partner_ids", "in", user.partner_id.ids), ("subject", "=", SUBJECT)]
        )

    # -- the case workflow -------------------------------------------------------------------
    def test_workflow_and_its_history(self):
        case = self.make_case(self.seller, NOW).with_user(self.worker)
        self.assertEqual((case.state, case.user_id), ("new", self.env["res.users"]))
        case.action_start()
        self.assertEqual((case.state, case.user_id), ("in_progress", self.worker))
        changes, author = self.last_tracking(case)
        self.assertEqual(
            changes,
            {"state": ("To Do", "In Progress"), "user_id": ("", self.worker.name)},
        )
        self.assertEqual(author, self.worker.partner_id)

        with self.assertRaises(UserError) as caught:
            case.action_done()
        self.assertIn("outcome", str(caught.exception))
        self.assertIn(case.name, str(caught.exception))
        self.assertEqual(case.state, "in_progress")

        case.write({"outcome": "trained", "review_note": "约谈，安排培训"})
        case.action_done()
        self.assertEqual((case.state, case.reviewer_id), ("done", self.worker))
        self.assertTrue(case.review_date)
        changes, _author = self.last_tracking(case)
        self.assertEqual(changes["state"], ("In Progress", "Handled"))
        self.assertEqual(changes["outcome"], ("", "Training Arranged"))
        self.assertIn("review_note", changes)

        case.action_reopen()
        self.assertEqual(case.state, "new")
        self.assertFalse(case.reviewer_id or case.review_date, "open again: closed by nobody")
        self.assertEqual(case.outcome, "trained", "the outcome stays on record")
        self.assertEqual(self.last_tracking(case)[0]["state"], ("Handled", "To Do"))

        case.write({"outcome": False})
        case.action_false_positive()  # no outcome needed
        self.assertEqual((case.state, case.reviewer_id), ("false_positive", self.worker))
        self.assertEqual(self.last_tracking(case)[0]["state"], ("To Do", "False Positive"))
        case.action_start()
        case.action_done()
        self.assertEqual(case.state, "false_positive", "only open cases move")

    def test_old_states_migrate(self):
        confirmed, dismissed, untouched = (
            self.make_case(self.seller, NOW - n * HOUR) for n in (1, 2, 3)
        )
        reviewed = datetime(2029, 12, 1, 8, 0)
        self.env.flush_all()
        for case, state in ((confirmed, "confirmed"), (dismissed, "dismissed")):
            self.env.cr.execute(
                """UPDATE wecom_violation SET state = %s, reviewer_id = %s, review_date = %s
                    WHERE id = %s""",
                [state, self.worker.id, reviewed, case.id],
            )
        script = load_script(
            "wecom_archive/migrations/18.0.1.1.0/pre-migrate.py", "wecom_archive_pre_migrate"
        )
        script.migrate(self.env.cr, "18.0.1.0.0")
        cases = confirmed | dismissed | untouched
        cases.invalidate_recordset()
        self.assertEqual(cases.mapped("state"), ["done", "false_positive", "new"])
        self.assertEqual((confirmed.reviewer_id, confirmed.review_date), (self.worker, reviewed))
        self.assertEqual(dismissed.reviewer_id, self.worker, "who closed it, and when, stay")

    def test_migration_gives_cases_their_members(self):
        """18.0.1.2.0: a case's members come from its message, or, once the retention
        deleted it, from the members the purge kept aside; its employee and department too."""
        with_message = self.make_case(self.seller, NOW)
        purged = self.make_case(self.helper, NOW)
        self.env.cr.execute(
            """CREATE TABLE wecom_violation_purged_member_rel (violation_id int, member_id int);
               INSERT INTO wecom_violation_purged_member_rel VALUES (%s, %s);
               DELETE FROM wecom_violation_member_rel;
               UPDATE wecom_violation SET member_id = NULL, department_id = NULL""",
            [purged.id, self.helper.id],
        )
        purged.message_id.with_context(wecom_pipeline=True).unlink()
        script = load_script(
            "wecom_archive/migrations/18.0.1.2.0/post-migrate.py", "wecom_archive_post_migrate"
        )
        script.migrate(self.env.cr, "18.0.1.1.0")
        self.env.invalidate_all()
        self.assertEqual(
            [
                (case.member_ids, case.member_id, case.department_id)
                for case in (with_message, purged)
            ],
            [
                (self.seller, self.seller, self.sales),
                (self.helper, self.helper, self.helper.department_ids),
            ],
        )

    def test_repeat_counts_in_one_query(self):
        days = timedelta(days=1)
        cases = self.Case.concat(
            *(self.make_case(self.seller, NOW - n * days) for n in (0, 12, 45, 100))
        )
        self.make_case(self.seller, NOW + days)  # later: not a repeat of the earlier ones
        self.make_case(self.helper, NOW - 5 * days)  # another sender
        other_rule = self.make_case(self.seller, NOW - 5 * days, rule=self.other_rule)
        cases.invalidate_recordset()
        self.env.flush_all()
        queries = self.env.cr.sql_log_count
        counts = [(case.repeat_30d, case.repeat_90d) for case in cases]
        self.assertEqual(self.env.cr.sql_log_count - queries, 1, "one query for the recordset")
        # today: day -12 within 30 days, days -12 and -45 within 90; day -12: days -45 and
        # -100 within 90 days; day -45: day -100; day -100: none before it
        self.assertEqual(counts, [(1, 2), (0, 2), (0, 1), (0, 0)])
        self.assertEqual((other_rule.repeat_30d, other_rule.repeat_90d), (0, 0))

    def test_overdue_filter(self):
        today = fields.Date.context_today(self.Case)
        late = self.make_case(self.seller, NOW, deadline=today - timedelta(days=1))
        due_today = self.make_case(self.seller, NOW, deadline=today)
        no_deadline = self.make_case(self.seller, NOW)
        closed_late = self.make_case(self.seller, NOW, deadline=today - timedelta(days=1))
        closed_late.action_false_positive()
        cases = late | due_today | no_deadline | closed_late
        self.assertEqual(cases.mapped("overdue"), [True, False, False, False])
        mine = [("id", "in", cases.ids)]
        self.assertEqual(self.Case.search([*mine, ("overdue", "=", True)]), late)
        self.assertEqual(
            self.Case.search([*mine, ("overdue", "=", False)]), cases - late, "the complement"
        )
        self.assertEqual(self.Case.search([*mine, ("overdue", "!=", True)]), cases - late)

    def test_bulk_assign_and_close(self):
        cases = self.Case.concat(*(self.make_case(self.seller, NOW - n * HOUR) for n in (1, 2, 3)))
        closed = self.make_case(self.seller, NOW - 4 * HOUR)
        closed.action_false_positive()
        notices = self.env["mail.message"].search_count(
            [("partner_ids", "in", self.worker.partner_id.ids)]
        )
        action = (cases | closed).action_assign_wizard()
        self.assertEqual(action["res_model"], "wecom.violation.case.wizard")
        wizard = (
            self.env[action["res_model"]]
            .with_context(action["context"])
            .create({"user_id": self.worker.id, "deadline": DAY, "comment": "本周内处理"})
        )
        self.assertEqual((wizard.mode, wizard.case_count), ("assign", 4))
        wizard.action_apply()
        self.assertEqual(set(cases.mapped("user_id")), {self.worker})
        self.assertEqual(set(cases.mapped("deadline")), {DAY})
        self.assertEqual(set(cases.mapped("review_note")), {"本周内处理"})
        self.assertEqual(set(cases.mapped("state")), {"new"})
        self.assertIn(self.worker.partner_id, cases[0].message_partner_ids, "they follow it")
        self.assertEqual(
            self.env["mail.message"].search_count(
                [("partner_ids", "in", self.worker.partner_id.ids)]
            ),
            notices,
            "no notice per case: the digest tells them",
        )
        changes, _author = self.last_tracking(cases[0])
        self.assertEqual(set(changes), {"user_id", "deadline", "review_note"})
        self.assertEqual(changes["user_id"], ("", self.worker.name))

        action = (cases | closed).action_close_wizard()
        Wizard = self.env[action["res_model"]].with_context(action["context"])
        with self.assertRaises(UserError):
            Wizard.create({}).action_apply()  # no outcome, on the wizard or the cases
        self.assertEqual(set(cases.mapped("state")), {"new"})
        # without an outcome of its own, the wizard closes each case with the one it has
        cases[0].outcome = "escalated"
        Wizard.with_context(default_violation_ids=cases[0].ids).create({}).action_apply()
        self.assertEqual((cases[0].state, cases[0].outcome), ("done", "escalated"))
        Wizard.create({"outcome": "warned", "comment": "已警告"}).action_apply()
        self.assertEqual(set(cases.mapped("state")), {"done"})
        self.assertEqual(cases.mapped("outcome"), ["escalated", "warned", "warned"])
        self.assertEqual(set(cases.mapped("reviewer_id")), {self.env.user})
        self.assertEqual(cases[1:].mapped("review_note"), ["已警告", "已警告"])
        self.assertEqual((closed.state, closed.outcome), ("false_positive", False))

    # -- the daily digest --------------------------------------------------------------------
    def test_digest_once_a_day_to_supervisors_and_assignees(self):
        supervisor, assignee = self.super_admin("supervisor"), self.super_admin("assignee")
        self.rule.notify_user_ids = supervisor
        late = self.make_case(self.seller, NOW - 48 * HOUR, deadline=DAY - timedelta(days=1))
        assigned = self.make_case(
            self.seller, NOW - 24 * HOUR, user_id=assignee.id, deadline=DAY + timedelta(days=2)
        )
        not_told = self.make_case(self.helper, NOW - 3 * HOUR, rule=self.other_rule)
        closed = self.make_case(self.seller, NOW - 96 * HOUR)
        closed.action_false_positive()

        self.assertEqual(self.Digest._cron_send(now=NOW - 3 * HOUR), 0, "07:00: too early")
        self.assertEqual(self.Digest._cron_send(now=NOW), 2)
        self.assertEqual(self.Digest._cron_send(now=NOW + HOUR), 0, "once a day")
        note = self.digests_of(supervisor)
        self.assertEqual(len(note), 1)
        self.assertIn("Open violation cases: 2, overdue: 1.", note.body)
        self.assertLess(note.body.index(late.name), note.body.index(assigned.name))
        self.assertIn("due 2030-01-09 · overdue", note.body)
        for other in (not_told, closed):
            self.assertNotIn(other.name, note.body)
        note = self.digests_of(assignee)
        self.assertEqual(len(note), 1)
        self.assertIn("Open violation cases: 1, overdue: 0.", note.body)
        self.assertIn(assigned.name, note.body)
        rows = self.Digest.search([("channel", "=", "odoo")])
        self.assertEqual(
            sorted((row.user_id.login, row.date, row.state, row.open_count) for row in rows),
            [("assignee", DAY, "sent", 1), ("supervisor", DAY, "sent", 2)],
        )
        self.Digest._cron_send(now=NOW + 24 * HOUR)
        self.assertEqual(len(self.digests_of(supervisor)), 2, "the next day's digest")

    def test_digest_lists_only_the_users_scope(self):
        scoped = new_test_user(
            self.env,
            "scoped_admin",
            groups="wecom_archive.group_wecom_archive_admin",
            tz="Asia/Shanghai",
        )
        scoped.wecom_scope_member_ids = self.seller
        employee = new_test_user(self.env, "plain_employee", groups="base.group_user")
        self.rule.notify_user_ids = scoped | employee
        in_scope = self.make_case(self.seller, NOW - HOUR)
        out_of_scope = self.make_case(self.helper, NOW - 2 * HOUR)
        self.assertEqual(self.Digest._cron_send(now=NOW), 1)
        note = self.digests_of(scoped)
        self.assertIn("Open violation cases: 1, overdue: 0.", note.body)
        self.assertIn(in_scope.name, note.body)
        self.assertNotIn(out_of_scope.name, note.body)
        self.assertFalse(self.digests_of(employee), "no access to violations, no digest")

    def test_digest_in_wecom_retried_after_a_failure(self):
        company = fake_api_company(self.corpid, ("seller", "boss", "helper"))
        server = FakeWecomServer(company, secrets={"digest-app-secret": {"message"}}).start()
        self.addCleanup(server.stop)
        self.corp.write(
            {"api_base_url": server.base_url, "app_secret": "digest-app-secret", "agent_id": "7"}
        )
        self.rule.write(
            {"notify_leaders": True, "notify_member_ids": [Command.set(self.helper.ids)]}
        )
        self.make_case(self.seller, NOW - 48 * HOUR, deadline=DAY - timedelta(days=1))
        self.make_case(self.seller, NOW - 24 * HOUR)
        self.make_case(self.helper, NOW - 2 * HOUR, rule=self.other_rule)  # nobody to tell

        server.add_fault("message/send", "errcode", errcode=60020)
        self.assertEqual(self.Digest._cron_send(now=NOW), 0)
        self.assertIn("trusted-IP", self.corp.alert_error)
        self.assertFalse(server.sent_messages)
        rows = self.Digest.search([("channel", "=", "wecom")])
        self.assertEqual(sorted(rows.mapped("userid")), ["boss", "helper"])
        self.assertEqual(set(rows.mapped("state")), {"pending"})
        self.assertTrue(all(rows.mapped("error")))

        self.assertEqual(self.Digest._cron_send(now=NOW + HOUR), 2, "the next run catches up")
        self.assertFalse(self.corp.alert_error)
        sent = {message["touser"]: message for message in server.sent_messages}
        self.assertEqual(len(server.sent_messages), 2)
        self.assertEqual(set(sent), {"boss", "helper"})
        for message in sent.values():
            self.assertEqual(message["agentid"], 7)
            header, *lines = message["text"]["content"].splitlines()
            self.assertIn("2", header)
            self.assertEqual(len(lines), 2)
            self.assertIn("私下交易监控 · 王销售", lines[0])
        self.assertEqual(set(rows.mapped("state")), {"sent"})
        self.assertEqual(rows.mapped("overdue_count"), [1, 1])

        self.assertEqual(self.Digest._cron_send(now=NOW + 2 * HOUR), 0)
        self.assertEqual(len(server.sent_messages), 2, "one message a day")
