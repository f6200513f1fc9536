"""Reply timeouts (超时未回复, issue #14 item 1): a small fixed corpus pulled through the real
pipeline one batch at a time, the detection job run between batches as the cron would run
between pulls: timeouts across quiet hours, a weekend and midnight, a reply pulled in a later
batch than the customer's message, words that need no reply, a group answered by another
in-scope member (and not by an out-of-scope one), a reply that reaches the archive after its
case was recorded, a rule's scope changed; and a Chromium tour of a case."""

import json
from datetime import date, datetime, timedelta

from odoo.tests import HttpCase, new_test_user, tagged

from ..models.wecom_reply_wait import _waited_text
from .common import WecomCase, key_pair, use_zh_cn

ALICE, BOB, CAROL = "alice", "bob", "carol"
ROOM = "wrTimeoutRoom01"
MON, TUE, FRI, NEXT_MON = date(2024, 6, 3), date(2024, 6, 4), date(2024, 6, 7), date(2024, 6, 10)


def shanghai(day, hour, minute=0):
    """A naive UTC datetime of a Shanghai wall-clock time (UTC+8)."""
    return datetime(day.year, day.month, day.day, hour, minute) - timedelta(hours=8)


def msg(name, day, hour, minute, sender, to, text="", room=""):
    moment = shanghai(day, hour, minute)
    return {
        "msgid": name,
        "action": "send",
        "from": sender,
        "tolist": to,
        "roomid": room,
        "msgtime": int((moment - datetime(1970, 1, 1)).total_seconds() * 1000),
        "msgtype": "text",
        "text": {"content": text or f"{name} 请问"},
    }


def picture(name, day, hour, minute, sender, to):
    message = msg(name, day, hour, minute, sender, to)
    del message["text"]
    return dict(message, msgtype="image", image={"sdkfileid": name, "md5sum": "", "filesize": 3})


# Pulled in this order, one batch per list, the job run after each batch (as the cron runs
# between pulls).
BATCHES = [
    # Alice answers Cust1 in 20 minutes
    [msg("A1", MON, 10, 0, "wmCust1", [ALICE]), msg("A2", MON, 10, 20, ALICE, ["wmCust1"])],
    # Cust4 writes at 14:00 and 14:30; Alice's replies at 14:10 and 14:40 come in a later
    # batch, the first after the customer's second message (late in its chat): the archive
    # had not reached D1's deadline when the job ran in between
    [msg("D1", MON, 14, 0, "wmCust4", [ALICE])],
    [msg("D3", MON, 14, 30, "wmCust4", [ALICE], "还在吗？")],
    [msg("D2", MON, 14, 10, ALICE, ["wmCust4"]), msg("D4", MON, 14, 40, ALICE, ["wmCust4"])],
    # the group: Carol (out of the rule's scope) answering does not count, Bob does;
    # then nobody in scope answers G4 until Alice, the group's owner, at 16:50
    [
        msg("G1", MON, 15, 0, "wmCust5", [ALICE, BOB, CAROL], room=ROOM),
        msg("G2", MON, 15, 10, CAROL, ["wmCust5", ALICE, BOB], room=ROOM),
        msg("G3", MON, 15, 20, BOB, ["wmCust5", ALICE, CAROL], room=ROOM),
        msg("G4", MON, 16, 0, "wmCust5", [ALICE, BOB, CAROL], "还有个问题", room=ROOM),
        msg("G5", MON, 16, 40, CAROL, ["wmCust5", ALICE, BOB], room=ROOM),
    ],
    [msg("G6", MON, 16, 50, ALICE, ["wmCust5", BOB, CAROL], room=ROOM)],
    # 17:50 → Tuesday 09:10: 10 + 10 working minutes, over the night and midnight;
    # Cust2 writes at 23:00: waiting from 09:00 on
    [msg("A3", MON, 17, 50, "wmCust1", [ALICE]), msg("B1", MON, 23, 0, "wmCust2", [ALICE])],
    [msg("A4", TUE, 9, 10, ALICE, ["wmCust1"])],
    [msg("E1", TUE, 9, 40, "wmCust6", [BOB])],
    [msg("B2", TUE, 9, 45, ALICE, ["wmCust2"])],
    # words that need no reply; Bob answers Cust6 after 85 minutes, in one batch: the
    # pipeline records the timeout with its answer
    [
        msg("A5", TUE, 10, 0, "wmCust1", [ALICE], "好的"),
        msg("A6", TUE, 11, 0, "wmCust1", [ALICE], "谢谢！"),
        msg("K1", TUE, 11, 0, "wmCust8", [CAROL]),  # Carol: out of the rule's scope
        msg("E2", TUE, 11, 5, BOB, ["wmCust6"]),
    ],
    # Friday 17:50 → Monday 09:15: 10 + 15 working minutes over the weekend
    [msg("C1", FRI, 17, 50, "wmCust3", [BOB]), msg("C2", NEXT_MON, 9, 15, BOB, ["wmCust3"])],
    [
        msg("C3", NEXT_MON, 10, 0, "wmCust3", [BOB], "在吗？"),
        picture("H1", NEXT_MON, 10, 5, "wmCust7", [ALICE]),  # waits as a text does
        msg("H3", NEXT_MON, 10, 30, "wmCust7", [ALICE], "喂？"),
        msg("X1", NEXT_MON, 11, 0, BOB, [CAROL]),  # moves the archive on to 11:00
    ],
    # Alice's answer to H1 at 10:20 reaches the archive only now, after H1's case
    [msg("H2", NEXT_MON, 10, 20, ALICE, ["wmCust7"])],
]
# The timeouts after a batch — customer message: (member, waited, answered at) — when
# they change.
CASES_AT = {
    3: {},
    4: {"G4": (ALICE, 38, None)},
    5: {"G4": (ALICE, 50, (MON, 16, 50))},
    8: {"G4": (ALICE, 50, (MON, 16, 50)), "B1": (ALICE, 38, None)},
    9: {"G4": (ALICE, 50, (MON, 16, 50)), "B1": (ALICE, 45, (TUE, 9, 45))},
    11: {
        "G4": (ALICE, 50, (MON, 16, 50)),
        "B1": (ALICE, 45, (TUE, 9, 45)),
        "E1": (BOB, 85, (TUE, 11, 5)),
    },
}
FINAL = {
    "G4": (ALICE, 50, (MON, 16, 50), "new"),
    "B1": (ALICE, 45, (TUE, 9, 45), "new"),
    "E1": (BOB, 85, (TUE, 11, 5), "new"),
    "C3": (BOB, 58, None, "new"),  # still waiting at 10:58 (11:00 less the margin)
    # recorded while the archive lacked its answer, answered in 15 minutes: a false positive
    "H1": (ALICE, 15, (NEXT_MON, 10, 20), "false_positive"),
}


class TimeoutCorpus(WecomCase):
    """The corp, its members and the timeout rule: Alice's department and Bob."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        env["wecom.corp.key"].create(
            {"corp_id": cls.corp.id, "version": 1, "private_key": key_pair(1)[0]}
        )
        Department = env["wecom.department"]
        cls.sales = Department.create({"corp_id": cls.corp.id, "department_id": 2, "name": "销售"})
        cls.east = Department.create(
            {"corp_id": cls.corp.id, "department_id": 4, "name": "华东", "parent_id": cls.sales.id}
        )
        cls.other = Department.create({"corp_id": cls.corp.id, "department_id": 3, "name": "行政"})
        cls.alice, cls.bob, cls.carol = env["wecom.member"].create(
            [
                {
                    "corp_id": cls.corp.id,
                    "userid": userid,
                    "name": name,
                    "department_ids": [department.id],
                    "main_department_id": department.id,
                }
                for userid, name, department in (
                    (ALICE, "艾丽", cls.east),  # in a subdepartment of the rule's
                    (BOB, "鲍勃", cls.other),
                    (CAROL, "卡罗", cls.other),
                )
            ]
        )
        cls.members = {ALICE: cls.alice, BOB: cls.bob, CAROL: cls.carol}
        env["wecom.group"].create(
            {
                "corp_id": cls.corp.id,
                "roomid": ROOM,
                "name": "客户群",
                "kind": "external",
                "owner_id": cls.alice.id,
            }
        )
        # the demo data's rule would watch these chats too
        env["wecom.keyword.rule"].search([("rule_type", "=", "timeout")]).active = False
        cls.rule = env["wecom.keyword.rule"].create(
            {
                "name": "30分钟内回复",
                "rule_type": "timeout",
                "category": "超时未回复",
                "timeout_value": 30,
                "timeout_unit": "minutes",
                "watch_internal": False,
                "department_ids": [cls.sales.id],
                "member_ids": [cls.bob.id],
            }
        )
        cls.Wait = env["wecom.reply.wait"]
        cls.Violation = env["wecom.violation"]
        cls.build_corpus([json.dumps(m) for batch in BATCHES for m in batch])
        cls.corp.batch_size = 1

    @classmethod
    def pull(cls, batch):
        cls.corp._pull(max_batches=len(batch))

    def cases(self):
        """{customer msgid: (member userid, waited, answered at, state)} of the timeouts."""
        self.env.invalidate_all()
        cases = self.Violation.search([("kind", "=", "timeout"), ("corp_id", "=", self.corp.id)])
        return {
            case.message_id.msgid: (
                case.member_id.userid,
                case.waited_minutes,
                case.answered_at or None,
                case.state,
            )
            for case in cases
        }


@tagged("post_install", "-at_install")
class TestTimeouts(TimeoutCorpus):
    def expect(self, wanted):
        return {
            name: (member, waited, shanghai(*answered) if answered else None, state)
            for name, (member, waited, answered, *rest) in wanted.items()
            for state in [rest[0] if rest else "new"]
        }

    def test_batch_by_batch(self):
        for index, batch in enumerate(BATCHES):
            self.pull(batch)
            self.Wait._detect(self.corp)
            if index in CASES_AT:
                self.assertEqual(self.cases(), self.expect(CASES_AT[index]), f"batch {index}")
        self.assertEqual(self.cases(), self.expect(FINAL))
        # the job run again records nothing twice, and a replayed pull changes nothing
        self.assertEqual(self.Wait._detect(self.corp), [])
        self.assertEqual(self.cases(), self.expect(FINAL))

        cases = {
            case.message_id.msgid: case
            for case in self.Violation.search(
                [("kind", "=", "timeout"), ("corp_id", "=", self.corp.id)]
            )
        }
        # the case closed as a false positive by its late answer says so in its chatter,
        # once (the replayed job above logged nothing more)
        notes = self.env["mail.message"].search(
            [
                ("model", "=", "wecom.violation"),
                ("res_id", "in", [case.id for case in cases.values()]),
                ("body", "ilike", "closed automatically"),
            ]
        )
        self.assertEqual(notes.mapped("res_id"), cases["H1"].ids)
        self.assertIn("the answer at 2024-06-10 10:20:00 came in time", notes.body)
        self.assertEqual(notes.subtype_id, self.env.ref("mail.mt_note"))
        group_case = cases["G4"]
        self.assertEqual(group_case.chat_kind, "group")
        self.assertEqual(group_case.member_id, self.alice)  # the group's owner
        self.assertEqual(group_case.department_id, self.east)
        # who may read it: the members the rule applies to in the group (not Carol)
        self.assertEqual(group_case.member_ids, self.alice | self.bob)
        self.assertEqual(group_case.content, "还有个问题")
        self.assertEqual((group_case.sender, group_case.sender_role), ("wmCust5", "customer"))
        self.assertEqual(cases["E1"].member_ids, self.bob)
        self.assertEqual(cases["H1"].content, "[图片]")  # as every list names a picture
        # the case opens the chat viewer at the customer's message
        action = cases["C3"].action_open_conversation()
        self.assertEqual(action["tag"], "wecom_archive.chat_viewer")
        self.assertEqual(action["params"]["msg"], cases["C3"].message_id.id)
        self.assertEqual(action["params"]["chat"], cases["C3"].message_id.conversation_id.id)

        # the job read only the open waits: the waits of the chats watched, one per chat
        self.env.flush_all()
        self.env.cr.execute(
            """SELECT m.msgid FROM wecom_reply_wait w JOIN wecom_message m ON m.id = w.message_id
                WHERE w.rule_id = %s AND w.since IS NOT NULL ORDER BY m.msgid""",
            [self.rule.id],
        )
        self.assertEqual([row[0] for row in self.env.cr.fetchall()], ["C3", "H3"])

        # an archive admin whose scope is Bob reads the timeouts Bob is in (G4: a member
        # of the group the rule applies to), waiting times included
        admin = new_test_user(
            self.env, "timeout_admin", groups="wecom_archive.group_wecom_archive_admin"
        )
        admin.wecom_scope_member_ids = self.bob
        seen = self.Violation.with_user(admin).search([("kind", "=", "timeout")])
        self.assertEqual(
            {case.message_id.msgid: case.waited_minutes for case in seen},
            {"G4": 50, "E1": 85, "C3": 58},
        )
        # and reads them as hours and minutes
        self.assertEqual(
            {case.message_id.msgid: case.waited_display for case in seen},
            {"G4": "50 min", "E1": "1 h 25 min", "C3": "58 min"},
        )

        # a scope that takes Carol in finds her chat's open wait again from the archive
        self.rule.member_ids = self.bob | self.carol
        self.Wait._detect(self.corp)
        final = self.expect(FINAL)
        # Tuesday 11:00 → Monday 10:58: 7 hours, 3 days of 9, 1:58
        final["K1"] = (CAROL, 420 + 3 * 540 + 118, None, "new")
        self.assertEqual(self.cases(), final)

    def test_rebuild_matches_upkeep(self):
        for batch in BATCHES:
            self.pull(batch)
        self.env.flush_all()
        query = """SELECT conversation_id, since, message_id, last_message_id
                     FROM wecom_reply_wait WHERE rule_id = %s ORDER BY conversation_id"""
        self.env.cr.execute(query, [self.rule.id])
        upkept = self.env.cr.fetchall()
        self.Wait._rebuild(self.rule, window=timedelta(days=30))
        self.env.cr.execute(query, [self.rule.id])
        self.assertEqual(self.env.cr.fetchall(), upkept)

    def test_employee_alerted_in_wecom(self):
        for batch in BATCHES[:7]:
            self.pull(batch)
        self.rule.notify_employee = True
        self.Wait._detect(self.corp)
        case = self.Violation.search([("kind", "=", "timeout"), ("corp_id", "=", self.corp.id)])
        self.assertEqual(case.message_id.msgid, "G4")
        self.assertEqual(case._wecom_recipient_map(), {ALICE: case.ids})
        text = case._wecom_alert_text(case)
        self.assertIn("艾丽", text)
        self.assertIn("还有个问题", text)
        # the supervisors' notification names it a timeout: who, how long
        supervisor = new_test_user(self.env, "timeout_supervisor", groups="base.group_user")
        self.rule.notify_user_ids = supervisor
        self.assertEqual(self.Violation._cron_alert(), 1)
        note = self.env["mail.message"].search([], order="id desc", limit=1)
        self.assertEqual(note.subject, "Reply timeouts")
        self.assertIn("1 customers waited too long", note.body)
        self.assertIn("艾丽 · 50 min", note.body)
        self.assertTrue(case.alerted)
        self.assertEqual(self.Violation._cron_alert(), 0, "nobody is told twice")
        # in WeCom, in Chinese, a wait reads as hours and minutes
        use_zh_cn(self.env)
        self.assertIn("· 艾丽 · 50分钟：还有个问题", case._wecom_alert_text(case))
        zh = self.env(context=dict(self.env.context, lang="zh_CN"))
        self.assertEqual(
            [_waited_text(zh, minutes) for minutes in (135, 120, 7, 0)],
            ["2小时15分钟", "2小时", "7分钟", "0分钟"],
        )
        self.assertEqual(_waited_text(self.env, 135), "2 h 15 min")

    def test_watches_follow_rule_and_scope_changes(self):
        """The watches are built once per worker (the pipeline reads them at each batch):
        a rule's change, a member's departments and the department tree renew them, and
        what is kept holds plain values only (no records of a closed cursor)."""

        def watch():
            found = [item for item in self.Wait._watches(self.corp) if item[0] == self.rule]
            return found and found[0][1:]

        words = watch()[1]
        self.assertIn("好的", words)
        self.assertEqual(watch(), (30, words, {"external", "group"}, {self.alice.id, self.bob.id}))
        for item in self.Wait._company_watches(self.corp.company_id.id):
            self.assertTrue(all(isinstance(part, int | frozenset) for part in item[:4]), item)
            self.assertIsInstance(item[4], frozenset)
        self.carol.department_ids = self.east  # Carol joins a subdepartment of the rule's
        self.assertEqual(watch()[3], {self.alice.id, self.bob.id, self.carol.id})
        self.east.parent_id = self.other  # the subdepartment moves out of the rule's
        self.assertEqual(watch()[3], {self.bob.id})
        self.rule.write({"timeout_value": 2, "timeout_unit": "hours", "watch_group": False})
        self.assertEqual(watch()[:2], (120, words))
        self.assertEqual(watch()[2], {"external"})
        self.rule.active = False
        self.assertFalse(watch())

    def test_kinds_and_words_are_the_rules(self):
        # without group chats and with 在吗 needing no reply: C3 and G4 are no timeouts
        self.rule.write({"watch_group": False, "no_reply_words": "好的,谢谢,在吗"})
        for batch in BATCHES:
            self.pull(batch)
            self.Wait._detect(self.corp)
        self.assertEqual(set(self.cases()), {"B1", "E1", "H1"})


@tagged("post_install", "-at_install")
class TestTimeoutTour(TimeoutCorpus, HttpCase):
    def test_timeout_tour(self):
        use_zh_cn(self.env)
        for batch in BATCHES:
            self.pull(batch)
            self.Wait._detect(self.corp)
        case = self.Violation.search(
            [("message_id.msgid", "=", "C3"), ("corp_id", "=", self.corp.id)]
        )
        self.start_tour(
            "/odoo/action-wecom_archive.wecom_timeout_case_action",
            "wecom_timeout_tour",
            login="admin",
        )
        case.invalidate_recordset()
        self.assertEqual(case.state, "done")
        self.assertEqual(case.user_id, self.env.ref("base.user_admin"))
        self.assertEqual(case.outcome, "warned")
