"""巡检周报: each employee's week against hand counts of a small corpus fed through the real
pipeline (statistics kept by it, cases recorded by it and by the reply-timeout job), weeks in
the corp's time zone, false positives left out, zero timeouts, the violations per rule, a
scoped archive admin's rows and the Excel export's rows."""

from datetime import date, datetime, timedelta

from dateutil.relativedelta import relativedelta
from lxml import etree

from odoo import Command
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools.safe_eval import safe_eval

from .common import WecomCase, key_pair

AILUN, BAIXUE = "week_ailun", "week_baixue"
X, Y = "wmWeekX000000001", "wmWeekY000000001"
ROOM = "wrWeekRoom1"
SHANGHAI = timedelta(hours=8)
W02, W03 = date(2026, 1, 5), date(2026, 1, 12)  # Mondays: ISO weeks 2026-W02, 2026-W03


def at(day, hour, minute=0):
    """Epoch ms of a Shanghai local time on 2026-01-``day``."""
    local = datetime(2026, 1, day, hour, minute)
    return int((local - SHANGHAI - datetime(1970, 1, 1)).total_seconds() * 1000)


def text(msgid, when, sender, to, content, roomid=""):
    return {
        "msgid": msgid,
        "action": "send",
        "from": sender,
        "tolist": to,
        "roomid": roomid,
        "msgtime": when,
        "msgtype": "text",
        "text": {"content": content},
    }


CORPUS = [
    # week 2026-W02 (Monday 5 to Sunday 11 January, Shanghai time)
    text("ax1", at(5, 10), X, [AILUN], "你好"),
    text("ax2", at(5, 10, 5), AILUN, [X], "您好"),  # a reply
    text("ax3", at(5, 10, 6), AILUN, [X], "私下转账吧"),  # 转账: a case
    text("ax4", at(6, 10), X, [AILUN], "在吗"),
    text("ax5", at(6, 10, 10), AILUN, [X], "在"),  # a reply
    text("ay1", at(7, 9), Y, [AILUN], "请问"),  # never answered: the timeout
    text("r1", at(8, 11), AILUN, [BAIXUE], "转账的事不行", ROOM),  # a case, false positive
    text("r2", at(8, 11, 1), BAIXUE, [AILUN], "好", ROOM),
    text("bx1", at(9, 15), X, [BAIXUE], "hi"),
    text("bx2", at(9, 15, 2), BAIXUE, [X], "hello"),  # a reply
    text("bx3", at(9, 15, 3), BAIXUE, [X], "加微信聊"),  # 微信: a case
    # week 2026-W03: Monday 00:30 in Shanghai is still Sunday in UTC
    text("ax6", at(12, 0, 30), X, [AILUN], "早"),
    text("ax7", at(12, 9), AILUN, [X], "早上好"),  # a reply
]


@tagged("post_install", "-at_install")
class TestWeeklyReport(WecomCase, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.corp.tz = "Asia/Shanghai"
        cls.env["wecom.corp.key"].create(
            {"corp_id": cls.corp.id, "version": 1, "private_key": key_pair(1)[0]}
        )
        Rule = cls.env["wecom.keyword.rule"]
        Rule.search([]).active = False
        cls.transfer = Rule.create(
            {"name": "私下交易", "category": "私下交易", "words_input": "转账"}
        )
        cls.wechat = Rule.create(
            {"name": "私加微信", "category": "私下联系", "words_input": "微信"}
        )
        cls.timeout_rule = Rule.create(
            {
                "name": "回复超时",
                "category": "服务质量",
                "rule_type": "timeout",
                "timeout_value": 30,
                "timeout_unit": "minutes",
            }
        )
        Department = cls.env["wecom.department"]
        root = Department.create({"corp_id": cls.corp.id, "department_id": 1, "name": "周报总部"})
        cls.sales = Department.create(
            {"corp_id": cls.corp.id, "department_id": 2, "name": "周报销售部", "parent_id": root.id}
        )
        cls.support = Department.create(
            {"corp_id": cls.corp.id, "department_id": 3, "name": "周报客服部", "parent_id": root.id}
        )
        cls.a = cls._member(AILUN, "艾伦", cls.sales)
        cls.b = cls._member(BAIXUE, "白雪", cls.support)
        cls.build_corpus(CORPUS)
        cls.corp._pull()
        cls.msg = {
            m.msgid: m for m in cls.env["wecom.message"].search([("corp_id", "=", cls.corp.id)])
        }
        Violation = cls.env["wecom.violation"]
        Violation.search([("message_id", "=", cls.msg["r1"].id)]).action_false_positive()
        # the reply-timeout job: 请问 (Wednesday 09:00) is never answered, a timeout of 艾伦's
        cls.env["wecom.reply.wait"]._detect(cls.corp)
        cls.scoped = new_test_user(
            cls.env,
            login="week_scoped",
            groups="base.group_user,base.group_allow_export,"
            "wecom_archive.group_wecom_archive_admin",
        )
        cls.scoped.wecom_scope_department_ids = cls.sales
        cls.super = new_test_user(
            cls.env,
            login="week_super",
            groups="base.group_user,wecom_archive.group_wecom_archive_super",
        )

    @classmethod
    def _member(cls, userid, name, department):
        return cls.env["wecom.member"].create(
            {
                "corp_id": cls.corp.id,
                "userid": userid,
                "name": name,
                "department_ids": [Command.set(department.ids)],
                "main_department_id": department.id,
                "archive_status": "archiving",
            }
        )

    FIGURES = [
        "week",
        "customer_chats",
        "group_chats",
        "messages_sent",
        "replies",
        "customer_days",
        "timeout_count",
        "timeout_rate",
        "violation_count",
    ]

    def rows(self, user, model="wecom.weekly.report", domain=None, fields=None):
        records = (
            self.env[model]
            .with_user(user)
            .search(domain or [("member_id", "in", (self.a | self.b).ids)])
        )
        return {
            (r.member_id.userid, r.week_start): [r[f] for f in fields or self.FIGURES]
            for r in records
        }

    def test_figures_against_hand_counts(self):
        self.assertEqual(
            self.rows(self.super),
            {
                # 艾伦, W02: chats with X and Y; the group; 4 sent; 2 replies; customers on
                # Mon, Tue, Wed; 1 timeout of 3 customer visits; 1 case (the other one was a
                # false positive)
                (AILUN, W02): ["2026-W02", 2, 1, 4, 2, 3, 1, 33.3, 1],
                # 白雪, W02: no timeout at all
                (BAIXUE, W02): ["2026-W02", 1, 1, 3, 1, 1, 0, 0.0, 1],
                # 艾伦, W03: Monday 00:30 in Shanghai (Sunday in UTC) is W03's
                (AILUN, W03): ["2026-W03", 1, 0, 1, 1, 1, 0, 0.0, 0],
            },
        )
        row = self.env["wecom.weekly.report"].search(
            [("member_id", "=", self.a.id), ("week", "=", "2026-W02")]
        )
        self.assertEqual(row.department_id, self.sales)

    def test_violations_by_rule(self):
        rows = self.env["wecom.weekly.report.rule"].with_user(self.super).search([])
        self.assertEqual(
            sorted(
                (r.member_id.userid, r.week, r.rule_id.name, r.kind, r.violation_count)
                for r in rows
            ),
            [
                (AILUN, "2026-W02", "回复超时", "timeout", 1),
                (AILUN, "2026-W02", "私下交易", "keyword", 1),
                (BAIXUE, "2026-W02", "私加微信", "keyword", 1),
            ],
        )
        # a row of the report opens its rules
        week = self.env["wecom.weekly.report"].search(
            [("member_id", "=", self.a.id), ("week_start", "=", W02)]
        )
        action = week.action_view_rules()
        found = self.env["wecom.weekly.report.rule"].search(action["domain"])
        self.assertEqual(found.rule_id, self.transfer | self.timeout_rule)

    def test_zero_timeouts(self):
        self.env["wecom.violation"].search([("kind", "=", "timeout")]).unlink()
        figures = self.rows(self.super)
        self.assertEqual(figures[AILUN, W02][5:8], [3, 0, 0.0])
        self.assertEqual(len(figures), 3)

    def test_scope_and_export(self):
        # 销售部: 艾伦 only
        self.assertEqual(set(self.rows(self.scoped)), {(AILUN, W02), (AILUN, W03)})
        rules = self.env["wecom.weekly.report.rule"].with_user(self.scoped).search([])
        self.assertEqual(rules.member_id, self.a)
        report = self.env["wecom.weekly.report"].with_user(self.scoped)
        records = report.search([], order="week_start")
        exported = records.export_data(["week", "member_id/name", "replies", "timeout_rate"])
        self.assertEqual(
            exported["datas"], [["2026-W02", "艾伦", 2, 33.3], ["2026-W03", "艾伦", 1, 0.0]]
        )
        # read_group (the list's totals and the pivot) sums the scoped rows
        [total] = report.read_group([], ["replies:sum", "customer_chats:sum"], [])
        self.assertEqual((total["replies"], total["customer_chats"]), (3, 3))

    def test_last_week_filter(self):
        """The menu opens on last week: the search view's filter, evaluated on a Wednesday
        of W03, selects W02's rows."""
        action = self.env.ref("wecom_archive.wecom_weekly_report_action")
        self.assertIn("search_default_last_week", action.context)
        arch = etree.fromstring(
            self.env["wecom.weekly.report"].get_view(view_type="search")["arch"]
        )
        [last_week] = arch.xpath("//filter[@name='last_week']")
        [this_week] = arch.xpath("//filter[@name='this_week']")
        for today in (date(2026, 1, 12), date(2026, 1, 14), date(2026, 1, 18)):  # W03
            with self.subTest(today=today):
                names = {"context_today": lambda t=today: t, "relativedelta": relativedelta}
                found = self.env["wecom.weekly.report"].search(
                    safe_eval(last_week.get("domain"), names)
                )
                self.assertEqual(set(found.mapped("week")), {"2026-W02"})
                self.assertEqual(found.member_id, self.a | self.b)
                found = self.env["wecom.weekly.report"].search(
                    safe_eval(this_week.get("domain"), names)
                )
                self.assertEqual(found.mapped("week"), ["2026-W03"])

    def test_screen(self):
        """The menu's list in the browser: opened on last week (its filter's domain is
        evaluated by the web client too: these weeks of 2026 are not the browser's), then
        every week, a row per employee and week."""
        self.start_tour(
            "/odoo/action-wecom_archive.wecom_weekly_report_action",
            "wecom_archive_weekly_report",
            login="admin",
        )
