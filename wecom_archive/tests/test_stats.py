"""Daily statistics (issue #13): each figure against a hand count on a small fixed corpus
pulled through the real pipeline — in batches, one reply arriving late, one message waiting
for its key — the rebuild job against the upkeep, and an archive admin's scope."""

import json
from datetime import date, datetime, timedelta

from odoo import fields
from odoo.tests import new_test_user, tagged

from ..lib.stats import local_day
from ..models.wecom_stat_member_day import COUNTERS
from .common import WecomCase, key_pair

ALICE, BOB = "alice", "bob"
CUST1, CUST2, CUST3 = "wmCust1", "wmCust2", "wmCust3"
ROOM_A, ROOM_B = "wrRoomA", "wrRoomB"
MON, TUE, FRI, NEXT_MON = date(2024, 6, 3), date(2024, 6, 4), date(2024, 6, 7), date(2024, 6, 10)


def shanghai_ms(day, hour, minute=0):
    """ms since epoch of a Shanghai wall-clock time (UTC+8)."""
    moment = datetime(day.year, day.month, day.day, hour, minute) - timedelta(hours=8)
    return int((moment - datetime(1970, 1, 1)).total_seconds() * 1000)


def msg(name, day, hour, minute, sender, to, text="", room="", **extra):
    message = {
        "msgid": name,
        "action": "send",
        "from": sender,
        "tolist": to,
        "roomid": room,
        "msgtime": shanghai_ms(day, hour, minute),
        "msgtype": "text",
        "text": {"content": text or name},
    }
    message.update(extra)
    return message


# Alice's chats: A1 with CUST1, A2 with CUST2 (never answered), A3 with CUST3 (who never
# writes back); Bob's chat with CUST3 over a weekend; Alice and Bob; groups A and B.
M = {
    "M1": msg("M1", MON, 10, 0, CUST1, [ALICE]),
    "M2": msg("M2", MON, 10, 1, CUST1, [ALICE]),
    "M3": msg("M3", MON, 10, 6, ALICE, [CUST1], "可以转账给我"),  # arrives late
    "M4": msg("M4", MON, 17, 50, CUST1, [ALICE]),
    "M5": msg("M5", TUE, 0, 30, CUST1, [ALICE]),  # Monday 16:30 in UTC
    "M6": msg("M6", TUE, 9, 20, ALICE, [CUST1], "发货了"),  # over the night and midnight
    "M7": msg("M7", TUE, 9, 21, ALICE, [CUST1]),  # recalled by M8
    "M8": {
        **msg("M8", TUE, 9, 22, ALICE, [CUST1]),
        "action": "recall",
        "msgtype": "revoke",
        "revoke": {"pre_msgid": "M7"},
    },
    "M9": msg("M9", MON, 11, 0, ALICE, [CUST2]),
    "M10": msg("M10", MON, 11, 30, CUST2, [ALICE]),
    "M11": msg("M11", MON, 12, 0, ALICE, [CUST3]),
    "M12": msg("M12", FRI, 17, 30, CUST3, [BOB]),
    "M13": msg("M13", NEXT_MON, 9, 30, BOB, [CUST3]),  # over the weekend
    "M14": msg("M14", MON, 12, 0, BOB, [ALICE]),  # key version 2: processed last
    "M15": msg("M15", MON, 12, 5, ALICE, [BOB]),
    "M16": msg("M16", MON, 14, 0, CUST1, [ALICE, BOB], room=ROOM_A),
    "M17": msg("M17", MON, 14, 10, ALICE, [CUST1, BOB], "转账", room=ROOM_A),
    "M18": msg("M18", MON, 14, 11, BOB, [CUST1, ALICE], room=ROOM_A),
    "M19": {
        **msg("M19", MON, 9, 0, CUST1, [ALICE]),
        "msgtype": "agree",
        "agree": {"userid": CUST1, "agree_time": shanghai_ms(MON, 9)},
    },
    "M20": msg("M20", MON, 15, 0, BOB, [CUST3], room=ROOM_B),
}
# Pulled 4 by 4 in this order: M3 comes after Tuesday's messages of its chat.
ORDER = [
    *("M19", "M1", "M2", "M4"),
    *("M5", "M6", "M7", "M8"),
    *("M9", "M10", "M11", "M14"),
    *("M15", "M16", "M17", "M18"),
    *("M20", "M12", "M13", "M3"),
]

# The hand count, per (member, day): counters not listed are 0.
EXPECTED = {
    (ALICE, date(2024, 6, 2)): {"customers_added": 1},
    (ALICE, MON): {
        "sent_external": 3,  # M3 M9 M11
        "sent_internal": 1,  # M15
        "sent_group": 1,  # M17
        "sent_count": 5,
        "received_external": 4,  # M1 M2 M4 M10 (M19 is a consent, not a message)
        "received_internal": 1,  # M14
        "received_group": 2,  # M16 M18
        "received_count": 7,
        "chat_count": 5,  # A1 A2 A3, with Bob, group A
        "started_count": 2,  # A2 A3 (A1 CUST1, the internal chat Bob, group A CUST1)
        "customers_wrote": 2,  # CUST1 CUST2
        "customers_answered": 1,  # CUST1
        "first_reply_count": 1,  # M1 10:00 → M3 10:06
        "first_reply_seconds": 360,
        "unanswered_count": 2,  # M4, M10
        "violation_count": 2,  # M3 M17
        "customers_added": 1,
    },
    (ALICE, TUE): {
        "sent_external": 2,  # M6, M7 (recalled, but delivered); the recall M8 is none
        "sent_count": 2,
        "received_external": 1,  # M5
        "received_count": 1,
        "chat_count": 1,
        "customers_wrote": 1,
        "customers_answered": 1,
        "first_reply_count": 1,  # M4 Monday 17:50 → M6 Tuesday 09:20: 10 + 20 minutes
        "first_reply_seconds": 1800,
        "customers_lost": 1,
        "deleted_by_customer": 1,
    },
    (BOB, MON): {
        "sent_internal": 1,  # M14
        "sent_group": 2,  # M18 M20
        "sent_count": 3,
        "received_internal": 1,  # M15
        "received_group": 2,  # M16 M17
        "received_count": 3,
        "chat_count": 3,
        "started_count": 2,  # the internal chat (M14 before M15), group B
    },
    (BOB, FRI): {
        "received_external": 1,
        "received_count": 1,
        "customers_wrote": 1,
        "unanswered_count": 1,
        "customers_added": 1,
    },
    (BOB, NEXT_MON): {
        "sent_external": 1,
        "sent_count": 1,
        "chat_count": 1,
        "started_count": 1,
        "first_reply_count": 1,  # Friday 17:30 → Monday 09:30: 30 + 30 minutes
        "first_reply_seconds": 3600,
    },
}


@tagged("post_install", "-at_install")
class TestStats(WecomCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["wecom.corp.key"].create(
            {"corp_id": cls.corp.id, "version": 1, "private_key": key_pair(1)[0]}
        )
        Department = cls.env["wecom.department"]
        cls.sales = Department.create({"corp_id": cls.corp.id, "department_id": 2, "name": "销售"})
        cls.support = Department.create(
            {"corp_id": cls.corp.id, "department_id": 3, "name": "客服"}
        )
        cls.alice, cls.bob = cls.env["wecom.member"].create(
            [
                {
                    "corp_id": cls.corp.id,
                    "userid": userid,
                    "name": name,
                    "department_ids": [department.id],
                    "main_department_id": department.id,
                }
                for userid, name, department in (
                    (ALICE, "艾丽", cls.sales),
                    (BOB, "鲍勃", cls.support),
                )
            ]
        )
        cls.members = {ALICE: cls.alice, BOB: cls.bob}
        cls.group_a = cls.env["wecom.group"].create(
            {"corp_id": cls.corp.id, "roomid": ROOM_A, "name": "客户群A", "kind": "external"}
        )
        cls.env["wecom.keyword.rule"].create(
            {"name": "转账", "category": "私下交易监控", "words_input": "转账"}
        )
        lines = [("2\t" if name == "M14" else "") + json.dumps(M[name]) for name in ORDER]
        cls.build_corpus(lines, versions=(1, 2))
        cls.corp.batch_size = 4
        cls.corp._pull()
        # M14 waited for key version 2: processed when the key comes.
        cls.env["wecom.corp.key"].create(
            {"corp_id": cls.corp.id, "version": 2, "private_key": key_pair(2)[0]}
        )
        # Customers added and lost (the sync writes follow relations; the callback
        # tells who deleted whom).
        contacts = {
            external: cls.env["wecom.contact"].search([("external_userid", "=", external)])
            for external in (CUST1, CUST2, CUST3)
        }
        Follow = cls.env["wecom.contact.follow"]
        Follow.create(
            [
                {
                    "contact_id": contacts[CUST1].id,
                    "member_id": cls.alice.id,
                    "added_on": datetime(2024, 6, 3, 2, 0),  # Monday 10:00 in Shanghai
                },
                {
                    "contact_id": contacts[CUST2].id,
                    "member_id": cls.alice.id,
                    "added_on": datetime(2024, 6, 2, 15, 30),  # Sunday 23:30 in Shanghai
                },
                {
                    "contact_id": contacts[CUST3].id,
                    "member_id": cls.bob.id,
                    "added_on": datetime(2024, 6, 7, 1, 0),  # Friday
                },
            ]
        )
        lost = Follow.search([("contact_id", "=", contacts[CUST2].id)])
        lost.write(
            {"state": "former", "removed_on": datetime(2024, 6, 4, 1, 0), "removed_by": "customer"}
        )
        cls.corp._handle_callback(
            {
                "Event": "change_external_contact",
                "ChangeType": "del_external_contact",
                "ExternalUserID": CUST3,
                "UserID": BOB,
            }
        )
        cls.today = local_day(fields.Datetime.now(), "Asia/Shanghai")
        cls.expected = dict(EXPECTED)
        bob_today = dict(cls.expected.get((BOB, cls.today), {}))
        bob_today.update(customers_lost=1, deleted_by_member=1)
        cls.expected[BOB, cls.today] = bob_today

    # -- helpers -------------------------------------------------------------------------------
    def member_days(self, Stat=None):
        """{(userid, day): {counter: value}} of the non-zero counters of every row."""
        if Stat is None:
            Stat = self.env["wecom.stat.member.day"]
        Stat.invalidate_model()
        rows = {}
        for row in Stat.search([("corp_id", "=", self.corp.id)]):
            values = {c: row[c] for c in COUNTERS if row[c]}
            rows[row.member_id.userid, row.day] = values
        return rows

    def chat_days(self):
        self.env.flush_all()
        self.env.cr.execute(
            """SELECT c.key, d.day, d.kind, d.member_id, d.waiting_in, d.waiting_since,
                      d.message_count, d.customer_message_count, d.speaker_count, d.speakers,
                      d.first_sender, d.last_msgtime, d.last_message_id, d.customer_wrote,
                      d.answered, d.unanswered, d.first_reply_count, d.first_reply_seconds,
                      d.violation_count
                 FROM wecom_stat_chat_day d JOIN wecom_conversation c ON c.id = d.conversation_id
                WHERE c.corp_id = %s ORDER BY c.key, d.day""",
            [self.corp.id],
        )
        return self.env.cr.fetchall()

    def rebuild(self):
        self.env["wecom.stat.chat.day"]._rebuild(self.corp, date(2024, 6, 1), self.today)

    # -- the figures -------------------------------------------------------------------------
    def test_member_days_match_the_hand_count(self):
        self.assertEqual(self.member_days(), self.expected)

    def test_group_days(self):
        rows = self.env["wecom.stat.group.day"].search([("corp_id", "=", self.corp.id)])
        got = {
            (row.conversation_id.roomid, row.day): (
                row.message_count,
                row.speaker_count,
                row.customer_message_count,
                row.violation_count,
            )
            for row in rows
        }
        self.assertEqual(got, {(ROOM_A, MON): (3, 3, 1, 1), (ROOM_B, MON): (1, 1, 0, 0)})
        # sliced by the group's owner, and the members' days by department, as the pivot does
        self.group_a.owner_id = self.alice
        by_owner = dict(
            self.env["wecom.stat.group.day"]._read_group([], ["owner_id"], ["message_count:sum"])
        )
        self.assertEqual(by_owner[self.alice], 3)
        by_department = dict(
            self.env["wecom.stat.member.day"]._read_group(
                [("corp_id", "=", self.corp.id)], ["department_id"], ["sent_count:sum"]
            )
        )
        self.assertEqual(by_department, {self.sales: 7, self.support: 4})

    def test_average_first_reply_is_seconds_over_replies(self):
        Stat = self.env["wecom.stat.member.day"]
        [(average,)] = Stat._read_group(
            [("member_id", "=", self.alice.id)], [], ["first_reply_avg:avg"]
        )
        self.assertAlmostEqual(average, (360 + 1800) / 2 / 60)  # not the mean of 6 and 30
        by_member = dict(Stat._read_group([], ["member_id"], ["first_reply_avg:avg"]))
        self.assertAlmostEqual(by_member[self.bob], 60.0)
        row = Stat.search([("member_id", "=", self.alice.id), ("day", "=", TUE)])
        self.assertAlmostEqual(row.first_reply_avg, 30.0)

    def test_employee_statistics(self):
        self.alice.invalidate_recordset()
        alice, bob = self.alice, self.bob
        self.assertEqual(
            (
                alice.stat_customer_total,
                alice.stat_message_count,
                alice.stat_private_chat_count,
                alice.stat_group_count,
                alice.stat_violation_count,
            ),
            (2, 15, 3, 1, 2),
        )
        self.assertAlmostEqual(alice.stat_first_reply_avg, 18.0)
        self.assertEqual(
            (
                bob.stat_customer_total,
                bob.stat_message_count,
                bob.stat_private_chat_count,
                bob.stat_group_count,
                bob.stat_violation_count,
            ),
            (1, 8, 1, 1, 0),
        )
        self.assertAlmostEqual(bob.stat_first_reply_avg, 60.0)

    # -- upkeep and rebuild ------------------------------------------------------------------
    def test_a_replayed_pull_counts_nothing_twice(self):
        before, cells = self.member_days(), self.chat_days()
        self.env.cr.execute("UPDATE wecom_corp SET seq = 0 WHERE id = %s", [self.corp.id])
        self.corp.invalidate_recordset()
        self.corp._pull()
        self.assertEqual(self.member_days(), before)
        self.assertEqual(self.chat_days(), cells)

    def test_the_rebuild_gives_the_upkeep_tables(self):
        cells, days = self.chat_days(), self.member_days()
        self.rebuild()
        self.assertEqual(self.chat_days(), cells)
        self.assertEqual(self.member_days(), days)
        # A rebuild of a part of the range only gives the same tables too.
        self.env["wecom.stat.chat.day"]._rebuild(self.corp, MON, MON)
        self.assertEqual(self.chat_days(), cells)
        self.assertEqual(self.member_days(), days)

    def test_working_hours_change_and_rebuild_of_a_day(self):
        self.corp.write(
            {
                "work_saturday": True,
                "work_sunday": True,
                "work_hour_from": 0.0,
                "work_hour_to": 24.0,
            }
        )
        # Monday alone: the wait it carries into Tuesday is the same, so Tuesday keeps its
        # figures until it is rebuilt too.
        self.env["wecom.stat.chat.day"]._rebuild(self.corp, MON, MON)
        days = self.member_days()
        self.assertEqual(days[ALICE, MON]["first_reply_seconds"], 360)
        self.assertEqual(days[ALICE, TUE]["first_reply_seconds"], 1800)
        self.env["wecom.stat.chat.day"]._rebuild(self.corp, TUE, NEXT_MON)
        days = self.member_days()
        self.assertEqual(days[ALICE, TUE]["first_reply_seconds"], 15 * 3600 + 30 * 60)
        self.assertEqual(days[BOB, NEXT_MON]["first_reply_seconds"], (2 * 24 + 16) * 3600)

    def test_rebuild_job_runs_in_chunks(self):
        job = self.env["wecom.stat.rebuild"].create(
            {"corp_id": self.corp.id, "date_from": date(2024, 6, 1), "date_to": self.today}
        )
        days = self.member_days()
        self.env.cr.execute("DELETE FROM wecom_stat_member_day")
        self.env.cr.execute("DELETE FROM wecom_stat_chat_day")
        self.env["wecom.stat.rebuild"]._cron_rebuild(time_budget=60)
        self.assertEqual(job.state, "done")
        self.assertEqual(self.member_days(), days)

    def test_install_on_an_archive_queues_a_rebuild(self):
        Rebuild = self.env["wecom.stat.rebuild"]
        Rebuild._queue_missing()
        self.assertFalse(Rebuild.search([("corp_id", "=", self.corp.id)]), "it has statistics")
        self.env.cr.execute("DELETE FROM wecom_stat_chat_day")
        Rebuild._queue_missing()
        job = Rebuild.search([("corp_id", "=", self.corp.id)])
        self.assertEqual(
            (job.date_from, job.date_to, job.state), (date(2024, 6, 2), self.today, "queued")
        )
        Rebuild._queue_missing()
        self.assertEqual(Rebuild.search_count([("corp_id", "=", self.corp.id)]), 1)

    def test_a_new_violation_from_a_history_scan_counts_once(self):
        rule = self.env["wecom.keyword.rule"].create(
            {"name": "发货", "category": "测试", "words_input": "发货"}
        )
        scan = self.env["wecom.rescan"].create({"rule_ids": [(6, 0, rule.ids)]})
        while scan._run_batch():
            pass
        scan = self.env["wecom.rescan"].create({"rule_ids": [(6, 0, rule.ids)]})
        while scan._run_batch():
            pass
        days = self.member_days()
        self.assertEqual(days[ALICE, TUE].get("violation_count"), 1)  # M6 "发货", once
        self.rebuild()
        self.assertEqual(self.member_days(), days)

    # -- scope ---------------------------------------------------------------------------------
    def test_an_archive_admin_counts_only_their_scope(self):
        scoped = new_test_user(
            self.env,
            login="stat_scoped",
            groups="base.group_user,base.group_allow_export,wecom_archive.group_wecom_archive_admin",
        )
        scoped.wecom_scope_department_ids = self.sales
        super_admin = new_test_user(
            self.env,
            login="stat_super",
            groups="base.group_user,base.group_allow_export,wecom_archive.group_wecom_archive_super",
        )
        self.env.flush_all()
        for user, userids in ((scoped, {ALICE}), (super_admin, {ALICE, BOB})):
            Stat = self.env["wecom.stat.member.day"].with_user(user)
            rows = self.member_days(Stat)
            self.assertEqual(rows, {k: v for k, v in self.expected.items() if k[0] in userids})
            # The pivot's figures are the sums of the rows its drill-down lists.
            [(sent, violations)] = Stat._read_group(
                [], [], ["sent_count:sum", "violation_count:sum"]
            )
            listed = Stat.search_read([], ["sent_count", "violation_count"])
            self.assertEqual(sent, sum(r["sent_count"] for r in listed))
            self.assertEqual(violations, sum(r["violation_count"] for r in listed))
            self.assertEqual(sent, sum(v.get("sent_count", 0) for v in rows.values()))
            exported = Stat.search([]).export_data(["member_id/id", "day", "sent_count"])
            self.assertEqual(len(exported["datas"]), len(listed))
            groups = self.env["wecom.stat.group.day"].with_user(user).search([])
            self.assertEqual(
                set(groups.mapped("conversation_id.roomid")),
                {ROOM_A} if userids == {ALICE} else {ROOM_A, ROOM_B},
            )
            members = (
                self.env["wecom.member"]
                .with_user(user)
                .search([("userid", "in", [ALICE, BOB]), ("corp_id", "=", self.corp.id)])
            )
            self.assertEqual(set(members.mapped("userid")), userids)
            self.assertEqual(
                {m.userid: m.stat_message_count for m in members},
                {ALICE: 15, BOB: 8} if len(userids) == 2 else {ALICE: 15},
            )
