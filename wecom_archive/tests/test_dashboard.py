"""数据报表 (issue #13): every KPI of wecom.dashboard against a hand count on a small corpus
pulled through the real pipeline, the previous period and the change, the trend and the
rankings; each number equal to the rows its drill-down lists, for a super admin and for a
scoped archive admin, with and without filters; and a Chromium tour in zh_CN."""

import json
from datetime import date, datetime, timedelta

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, new_test_user, tagged

from .common import WecomCase, key_pair, use_zh_cn
from .test_stats import msg

ALICE, BOB, CAROL = "alice", "bob", "carol"
CUST1, CUST2, CUST3, CUST4 = "wmDashCust1", "wmDashCust2", "wmDashCust3", "wmDashCust4"
ROOM = "wrDashRoom"
# The range: a week; the previous period: the week before.
MON, TUE, WED, THU, FRI = (date(2024, 6, 10) + timedelta(days=n) for n in range(5))
PREV_TUE, PREV_WED = date(2024, 6, 4), date(2024, 6, 5)
RANGE = ("2024-06-10", "2024-06-16")

MESSAGES = [
    # the range: Alice and CUST1, answered after 10 and 30 working minutes (the second
    # reply a violation); CUST2 never answered; Bob answers CUST3 after an hour, with two
    # violations; Carol writes to Alice; Bob and CUST1 in a group with Alice
    msg("C1", MON, 10, 0, CUST1, [ALICE]),
    msg("C2", MON, 10, 10, ALICE, [CUST1]),
    msg("C3", TUE, 11, 0, CUST1, [ALICE]),
    msg("C4", TUE, 11, 30, ALICE, [CUST1], "可以转账"),
    msg("C5", WED, 14, 0, CUST2, [ALICE]),
    msg("C6", MON, 9, 0, CUST3, [BOB]),
    msg("C7", MON, 10, 0, BOB, [CUST3], "转账"),
    msg("C8", MON, 10, 5, BOB, [CUST3], "转账吧"),
    msg("C9", THU, 10, 0, CAROL, [ALICE]),
    msg("C10", FRI, 15, 0, BOB, [ALICE, CUST1], room=ROOM),
    msg("C11", FRI, 15, 1, CUST1, [ALICE, BOB], room=ROOM),
    # the previous period: CUST1 answered after two hours; Bob's violation
    msg("P1", PREV_TUE, 10, 0, CUST1, [ALICE]),
    msg("P2", PREV_TUE, 12, 0, ALICE, [CUST1]),
    msg("P3", PREV_WED, 10, 0, BOB, [CUST3], "转账"),
]

# The hand count: (range, previous period) per KPI, for each reader.
SUPER = {
    "messages": (11, 3),  # C1-C11; P1-P3
    "active_members": (3, 2),  # Alice, Bob, Carol; Alice, Bob
    "active_customers": (4, 1),  # CUST1 Monday and Tuesday, CUST2, CUST3; CUST1
    "customers_added": (2, 2),  # Alice+CUST2, Bob+CUST3; Alice+CUST1, Carol+CUST4
    "customers_lost": (1, 1),  # Bob+CUST3; Carol+CUST4
    "violations": (3, 1),  # C4 C7 C8; P3
    "first_reply": (33.3, 120.0),  # (600 + 1800 + 3600) s / 3; 7200 s / 1
    "reply_rate": (75.0, 100.0),  # 3 of the 4 active customers answered; 1 of 1
}
# The scope 销售部 (with 华东销售): Alice and Carol; Bob's chat with CUST3 is out of it.
SCOPED = {
    "messages": (8, 2),
    "active_members": (2, 1),
    "active_customers": (3, 1),
    "customers_added": (1, 2),
    "customers_lost": (0, 1),
    "violations": (1, 0),
    "first_reply": (20.0, 120.0),
    "reply_rate": (66.7, 100.0),
}


def _ms(day, hour):
    moment = datetime(day.year, day.month, day.day, hour) - timedelta(hours=8)
    return fields.Datetime.to_string(moment)


@tagged("post_install", "-at_install")
class TestDashboard(WecomCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        env["wecom.corp.key"].create(
            {"corp_id": cls.corp.id, "version": 1, "private_key": key_pair(1)[0]}
        )
        Department = env["wecom.department"]
        root = Department.create({"corp_id": cls.corp.id, "department_id": 1, "name": "总部"})
        cls.sales = Department.create(
            {"corp_id": cls.corp.id, "department_id": 2, "name": "销售部", "parent_id": root.id}
        )
        east = Department.create(
            {
                "corp_id": cls.corp.id,
                "department_id": 3,
                "name": "华东销售",
                "parent_id": cls.sales.id,
            }
        )
        support = Department.create(
            {"corp_id": cls.corp.id, "department_id": 4, "name": "客服部", "parent_id": root.id}
        )
        cls.alice, cls.bob, cls.carol = env["wecom.member"].create(
            [
                {
                    "corp_id": cls.corp.id,
                    "userid": userid,
                    "name": name,
                    "department_ids": [department.id],
                    "main_department_id": department.id,
                    "archive_status": "archiving",
                }
                for userid, name, department in (
                    (ALICE, "艾丽", east),
                    (BOB, "鲍勃", support),
                    (CAROL, "卡罗", cls.sales),
                )
            ]
        )
        env["wecom.group"].create(
            {"corp_id": cls.corp.id, "roomid": ROOM, "name": "客户群", "kind": "external"}
        )
        env["wecom.keyword.rule"].create(
            {"name": "转账", "category": "私下交易监控", "words_input": "转账"}
        )
        cls.build_corpus([json.dumps(message) for message in MESSAGES])
        cls.corp._pull()
        env["wecom.contact"].create(
            {"corp_id": cls.corp.id, "external_userid": CUST4, "name": "丁客户"}
        )
        contacts = {
            contact.external_userid: contact
            for contact in env["wecom.contact"].search([("corp_id", "=", cls.corp.id)])
        }
        Follow = env["wecom.contact.follow"]
        follows = Follow.create(
            [
                {
                    "contact_id": contacts[CUST1].id,
                    "member_id": cls.alice.id,
                    "added_on": _ms(date(2024, 6, 3), 10),
                },
                {
                    "contact_id": contacts[CUST2].id,
                    "member_id": cls.alice.id,
                    "added_on": _ms(WED, 9),
                },
                {
                    "contact_id": contacts[CUST3].id,
                    "member_id": cls.bob.id,
                    "added_on": _ms(MON, 8),
                },
                {
                    "contact_id": contacts[CUST4].id,
                    "member_id": cls.carol.id,
                    "added_on": _ms(PREV_WED, 9),
                },
            ]
        )
        follows[2].write(
            {"state": "former", "removed_on": _ms(date(2024, 6, 15), 10), "removed_by": "customer"}
        )
        follows[3].write(
            {"state": "former", "removed_on": _ms(date(2024, 6, 6), 10), "removed_by": "member"}
        )
        cls.follows = follows
        groups = "base.group_user,wecom_archive.group_wecom_archive_"
        cls.super_admin = new_test_user(env, login="dash_super", groups=groups + "super")
        cls.scoped = new_test_user(env, login="dash_scoped", groups=groups + "admin")
        cls.scoped.wecom_scope_department_ids = cls.sales
        env.flush_all()

    # -- helpers -----------------------------------------------------------------------------
    def dashboard(self, user, **filters):
        return self.env["wecom.dashboard"].with_user(user).dashboard(*RANGE, **filters)

    def kpis(self, result):
        return {kpi["key"]: (kpi["value"], kpi["previous"]) for kpi in result["kpis"]}

    def listed(self, user, kpi, member_id=None, **filters):
        """The figure computed from the rows the drill-down lists, read as ``user``."""
        action = (
            self.env["wecom.dashboard"]
            .with_user(user)
            .drilldown(kpi, *RANGE, member_id=member_id, **filters)
        )
        self.assertEqual(action["type"], "ir.actions.act_window")
        # the list shows what the user may read of the action's domain, as the client asks
        Model = self.env[action["res_model"]].with_user(user).with_context(**action["context"])
        rows = Model.search(action["domain"])
        if kpi == "messages":
            return sum(rows.mapped("message_count"))
        if kpi == "first_reply":
            return round(
                sum(rows.mapped("first_reply_seconds"))
                / sum(rows.mapped("first_reply_count"))
                / 60,
                1,
            )
        if kpi == "reply_rate":
            return round(len(rows.filtered("answered")) * 100 / len(rows), 1)
        return len(rows)

    def assert_drilldowns(self, user, result, **filters):
        for kpi in result["kpis"]:
            with self.subTest(user=user.login, kpi=kpi["key"], **filters):
                self.assertEqual(self.listed(user, kpi["key"], **filters), kpi["value"])
        for ranking, rows in result["rankings"].items():
            for row in rows:
                with self.subTest(user=user.login, ranking=ranking, member=row["name"]):
                    self.assertEqual(
                        self.listed(user, ranking, member_id=row["member_id"], **filters),
                        row["value"],
                    )

    # -- the figures -------------------------------------------------------------------------
    def test_kpis_match_the_hand_count(self):
        for user, expected in ((self.super_admin, SUPER), (self.scoped, SCOPED)):
            result = self.dashboard(user)
            self.assertEqual(self.kpis(result), expected, user.login)
            self.assertEqual((result["date_from"], result["date_to"]), RANGE)
            self.assertEqual(
                (result["previous_from"], result["previous_to"]), ("2024-06-03", "2024-06-09")
            )

    def test_change_against_the_previous_period(self):
        kpis = {kpi["key"]: kpi for kpi in self.dashboard(self.super_admin)["kpis"]}
        changes = {key: kpi["change"] for key, kpi in kpis.items()}
        self.assertEqual(
            changes,
            {
                "messages": 266.7,  # 11 against 3
                "active_members": 50.0,
                "active_customers": 300.0,
                "customers_added": 0.0,
                "customers_lost": 0.0,
                "violations": 200.0,
                "first_reply": -72.2,  # 33.33 against 120 minutes
                "reply_rate": -25.0,  # percentage points
            },
        )
        self.assertEqual(
            {key: kpi["better"] for key, kpi in kpis.items() if kpi["better"] == "down"}.keys(),
            {"customers_lost", "violations", "first_reply"},
        )
        self.assertEqual(kpis["messages"]["label"], "Message Total")
        # nothing to compare with: no change
        scoped = {kpi["key"]: kpi for kpi in self.dashboard(self.scoped)["kpis"]}
        self.assertIsNone(scoped["violations"]["change"])

    def test_trend(self):
        trend = self.dashboard(self.super_admin)["trend"]
        self.assertEqual(
            [(point["day"], point["messages"], point["violations"]) for point in trend],
            [
                ("2024-06-10", 5, 2),
                ("2024-06-11", 2, 1),
                ("2024-06-12", 1, 0),
                ("2024-06-13", 1, 0),
                ("2024-06-14", 2, 0),
                ("2024-06-15", 0, 0),
                ("2024-06-16", 0, 0),
            ],
        )
        today = self.env["wecom.dashboard"].dashboard("2024-06-12", "2024-06-12")
        self.assertEqual(
            (today["previous_from"], today["previous_to"]), ("2024-06-11", "2024-06-11")
        )
        self.assertEqual(len(today["trend"]), 1)

    def test_rankings(self):
        def names(result):
            return {
                ranking: [(row["name"], row["value"]) for row in rows]
                for ranking, rows in result["rankings"].items()
            }

        self.assertEqual(
            names(self.dashboard(self.super_admin)),
            {
                "sent": [("鲍勃", 3), ("艾丽", 2), ("卡罗", 1)],
                "first_reply": [("鲍勃", 60.0), ("艾丽", 20.0)],
                "violations": [("鲍勃", 2), ("艾丽", 1)],
                "customers_lost": [("鲍勃", 1)],
            },
        )
        self.assertEqual(
            names(self.dashboard(self.scoped)),
            {
                "sent": [("艾丽", 2), ("卡罗", 1)],
                "first_reply": [("艾丽", 20.0)],
                "violations": [("艾丽", 1)],
                "customers_lost": [],
            },
        )

    def test_filters(self):
        # a department (with its subdepartments) gives the scope's figures
        by_department = self.dashboard(self.super_admin, department_ids=[self.sales.id])
        self.assertEqual(self.kpis(by_department), SCOPED)
        self.assertEqual([member["name"] for member in by_department["members"]], ["卡罗", "艾丽"])
        bob = self.kpis(self.dashboard(self.super_admin, member_ids=[self.bob.id]))
        self.assertEqual(
            bob,
            {
                "messages": (5, 1),  # his chat with CUST3 (3), the group (2); P3
                "active_members": (1, 1),
                "active_customers": (1, 0),  # CUST3 on Monday
                "customers_added": (1, 0),
                "customers_lost": (1, 0),
                "violations": (2, 1),
                "first_reply": (60.0, None),
                "reply_rate": (100.0, None),
            },
        )
        # the filter options: what the reader may read
        result = self.dashboard(self.scoped)
        self.assertEqual({member["name"] for member in result["members"]}, {"艾丽", "卡罗"})
        self.assertIn("总部 / 销售部 / 华东销售", [d["name"] for d in result["departments"]])
        # out of the scope, a filter on Bob reads nothing
        nothing = self.kpis(self.dashboard(self.scoped, member_ids=[self.bob.id]))
        self.assertEqual({value for value, _previous in nothing.values()}, {0, None})

    # -- drill-downs -------------------------------------------------------------------------
    def test_each_number_is_the_rows_its_drilldown_lists(self):
        for user in (self.super_admin, self.scoped):
            self.assert_drilldowns(user, self.dashboard(user))
            filters = {"department_ids": [self.sales.id]}
            self.assert_drilldowns(user, self.dashboard(user, **filters), **filters)
        filters = {"member_ids": [self.bob.id]}
        self.assert_drilldowns(
            self.super_admin, self.dashboard(self.super_admin, **filters), **filters
        )

    def test_drilldown_rows_open_the_chat_viewer(self):
        action = self.env["wecom.dashboard"].with_user(self.scoped).drilldown("messages", *RANGE)
        self.assertEqual(action["name"], "Message Total, 2024-06-10 – 2024-06-16")
        rows = self.env[action["res_model"]].with_user(self.scoped).search(action["domain"])
        self.assertEqual(
            {row.conversation_id.kind for row in rows}, {"external", "internal", "group"}
        )
        opened = rows[0].action_open_viewer()
        self.assertEqual(opened["tag"], "wecom_archive.chat_viewer")
        self.assertEqual(opened["params"], {"chat": rows[0].conversation_id.id})
        # a customer lost: the employee's chat with them
        lost = self.follows[2].with_user(self.super_admin).action_open_viewer()
        chat = self.env["wecom.conversation"].search(
            [("contact_id", "=", self.follows[2].contact_id.id)]
        )
        self.assertEqual(lost["params"], {"chat": chat.id, "member": self.bob.id})
        # Carol never chatted with CUST4: her customer chats
        self.assertEqual(
            self.follows[3].action_open_viewer()["params"],
            {"member": self.carol.id, "tab": "external"},
        )
        named = self.env["wecom.dashboard"].drilldown("violations", *RANGE, member_id=self.bob.id)
        self.assertEqual(named["name"], "Sensitive-Word Hits of 鲍勃, 2024-06-10 – 2024-06-16")

    def test_scoped_admin_reads_no_other_rows(self):
        Chat = self.env["wecom.dashboard.chat"].with_user(self.scoped)
        self.assertFalse(
            Chat.search([("member_ids", "in", self.bob.ids), ("kind", "=", "external")])
        )
        with self.assertRaises(AccessError):
            self.env["wecom.dashboard"].with_user(
                new_test_user(self.env, login="dash_nobody", groups="base.group_user")
            ).dashboard(*RANGE)

    def test_a_wrong_range_is_refused(self):
        with self.assertRaises(UserError):
            self.env["wecom.dashboard"].dashboard("2024-06-16", "2024-06-10")
        with self.assertRaises(UserError):
            self.env["wecom.dashboard"].dashboard("2023-01-01", "2024-06-10")
        with self.assertRaises(UserError):
            self.env["wecom.dashboard"].drilldown("nonsense", *RANGE)


@tagged("post_install", "-at_install")
class TestDashboardTour(WecomCase, HttpCase):
    """Open 数据报表 in zh_CN, change the range, click 消息总数, land on its chats, open one
    in the chat viewer. The chats are of two and ten days ago: in the last 7 days and the
    last 30 days whatever the browser's time zone."""

    corpid = "wwdashtour000001"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        use_zh_cn(env)
        env["wecom.corp.key"].create(
            {"corp_id": cls.corp.id, "version": 1, "private_key": key_pair(1)[0]}
        )
        env["wecom.member"].create(
            {
                "corp_id": cls.corp.id,
                "userid": "wangmingle",
                "name": "王明乐",
                "archive_status": "archiving",
            }
        )
        env["wecom.contact"].create(
            {"corp_id": cls.corp.id, "external_userid": CUST1, "name": "朱甜甜"}
        )
        now = int(datetime.now().timestamp() * 1000)
        day = 24 * 3600 * 1000
        messages = []
        for n, (sender, to, when) in enumerate(
            [
                (CUST1, "wangmingle", now - 2 * day),
                ("wangmingle", CUST1, now - 2 * day + 60_000),
                (CUST1, "wangmingle", now - 2 * day + 120_000),
                (CUST1, "wangmingle", now - 10 * day),
            ]
        ):
            messages.append(
                {
                    "msgid": f"dash{n}",
                    "action": "send",
                    "from": sender,
                    "tolist": [to],
                    "roomid": "",
                    "msgtime": when,
                    "msgtype": "text",
                    "text": {"content": f"看板消息{n}"},
                }
            )
        cls.build_corpus(messages)
        cls.corp._pull()

    def test_dashboard_tour(self):
        self.start_tour("/odoo/archive-reports", "wecom_archive_dashboard", login="admin")
