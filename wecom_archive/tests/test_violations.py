from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from ..lib.normalize import normalize
from ..lib.tests.samples import CUSTOMER, SAMPLES, T0
from ..models.wecom_violation import _CASE_COLUMNS
from ..native.fake_api.server import FakeWecomServer
from .common import WecomCase, fake_api_company, key_pair

ROOM = "wrSalesGroup0001"


def text(n, sender, to, content, roomid=""):
    return {
        "msgid": f"v{n}",
        "action": "send",
        "from": sender,
        "tolist": to,
        "roomid": roomid,
        "msgtime": T0 + n * 1000,
        "msgtype": "text",
        "text": {"content": content},
    }


@tagged("post_install", "-at_install")
class TestViolations(WecomCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["wecom.corp.key"].create(
            {"corp_id": cls.corp.id, "version": 1, "private_key": key_pair(1)[0]}
        )
        Department = cls.env["wecom.department"]
        cls.sales = Department.create(
            {"corp_id": cls.corp.id, "department_id": 3, "name": "销售部"}
        )
        cls.sales_team = Department.create(
            {
                "corp_id": cls.corp.id,
                "department_id": 31,
                "name": "销售一组",
                "parent_id": cls.sales.id,
            }
        )
        cls.support = Department.create(
            {"corp_id": cls.corp.id, "department_id": 5, "name": "客服部"}
        )
        Member = cls.env["wecom.member"]
        for userid, department in (
            ("seller", cls.sales),
            ("junior", cls.sales_team),
            ("helper", cls.support),
        ):
            Member.create(
                {
                    "corp_id": cls.corp.id,
                    "userid": userid,
                    "name": userid,
                    "department_ids": [(6, 0, department.ids)],
                }
            )
        cls.Rule = cls.env["wecom.keyword.rule"]
        cls.Rule.search([]).active = False  # the demo rules: each test brings its own
        cls.Violation = cls.env["wecom.violation"]

    def pull(self, messages):
        self.build_corpus(messages)
        self.corp._pull()
        return self.Violation.search([("corp_id", "=", self.corp.id)], order="msgtime, rule_id")

    def test_department_scope_with_subdepartments(self):
        rule = self.Rule.create(
            {
                "name": "私下交易",
                "category": "私下交易监控",
                "words_input": "返点",
                "department_ids": [(6, 0, self.sales.ids)],
            }
        )
        found = self.pull(
            [
                text(1, "seller", [CUSTOMER], "这单给你返点"),
                text(2, "junior", [CUSTOMER], "返点照旧"),
                text(3, "helper", [CUSTOMER], "返点的事我不清楚"),
            ]
        )
        self.assertEqual(found.mapped("sender"), ["seller", "junior"])
        self.assertEqual(found.rule_id, rule)
        self.assertEqual(found[0].category, "私下交易监控")
        self.assertEqual(found[0].sender_role, "member")
        self.assertEqual(found[0].chat_kind, "external")
        self.assertTrue(found[0].name.startswith(f"cv{T0 + 1000}-"))

    def test_scope_all_gone_applies_to_nobody(self):
        """A rule whose departments, or members, are all archived (the directory sync
        archives a department that leaves WeCom) applies to nobody: it never turns into a
        rule over everyone."""
        Member = self.env["wecom.member"]
        seller = Member.search([("userid", "=", "seller")])
        support_only = self.Rule.create(
            {
                "name": "客服返点",
                "category": "范围",
                "words_input": "返点",
                "department_ids": [(6, 0, self.support.ids)],
            }
        )
        seller_only = self.Rule.create(
            {
                "name": "销售回扣",
                "category": "范围",
                "words_input": "回扣",
                "member_ids": [(6, 0, seller.ids)],
            }
        )
        waits = self.Rule.create(
            {
                "name": "超时",
                "category": "范围",
                "rule_type": "timeout",
                "timeout_value": 10,
                "member_ids": [(6, 0, seller.ids)],
            }
        )
        self.support.active = False
        seller.active = False
        found = self.pull(
            [text(1, "junior", [CUSTOMER], "返点照旧"), text(2, "junior", [CUSTOMER], "回扣照旧")]
        )
        self.assertFalse(
            found & self.Violation.search([("rule_id", "in", (support_only | seller_only).ids)])
        )
        watches = self.env["wecom.reply.wait"]._company_watches(self.env.company.id)
        self.assertEqual(
            next(watch[4] for watch in watches if watch[0] == waits.id), frozenset(), "nobody"
        )

    def test_scopes_follow_archived_or_deleted_members_and_departments(self):
        """The cached matcher and reply-timeout watches are rebuilt when a member is archived
        or deleted, or a department deleted: the next scan applies the scope as it is."""
        Member = self.env["wecom.member"]
        seller, junior = (Member.search([("userid", "=", u)]) for u in ("seller", "junior"))
        helper = Member.search([("userid", "=", "helper")])
        by_department = self.Rule.create(
            {
                "name": "返点",
                "category": "范围",
                "words_input": "返点",
                "department_ids": [(6, 0, (self.sales | self.support).ids)],
            }
        )
        by_member = self.Rule.create(
            {
                "name": "回扣",
                "category": "范围",
                "words_input": "回扣",
                "member_ids": [(6, 0, (seller | helper).ids)],
            }
        )
        waits = self.Rule.create(
            {
                "name": "超时",
                "category": "范围",
                "rule_type": "timeout",
                "timeout_value": 10,
                "member_ids": [(6, 0, (seller | helper).ids)],
            }
        )
        found = self.pull(
            [text(1, "junior", [CUSTOMER], "返点照旧"), text(2, "seller", [CUSTOMER], "回扣照旧")]
        )
        self.assertEqual(found.rule_id, by_department | by_member)
        stored = [
            (
                case.message_id.id,
                normalize(case.message_id.body),
                (
                    case.message_id.conversation_id.id,
                    case.message_id.member_ids.ids,
                    case.message_id.department_ids.ids,
                ),
            )
            for case in found
        ]
        company = self.env.company.id

        def scope_of_watches():
            watches = self.env["wecom.reply.wait"]._company_watches(company)
            return next(watch[4] for watch in watches if watch[0] == waits.id)

        self.assertEqual(scope_of_watches(), frozenset((seller | helper).ids))
        found.unlink()
        # the sales department goes (its team loses its parent), the seller is archived
        self.sales.unlink()
        seller.active = False
        self.assertEqual(self.Violation._scan(self.corp, stored), 0)
        self.assertEqual(scope_of_watches(), frozenset(helper.ids))
        self.Rule.invalidate_model()
        matcher = self.Rule._matcher(company)
        helper.unlink()
        self.assertIsNot(self.Rule._matcher(company), matcher, "a deleted member: rebuilt")
        self.assertNotIn(helper.id, self.Rule._matcher(company).rules[by_member.id].member_ids)
        self.assertEqual(junior.department_ids, self.sales_team)

    def test_sides_and_chat_kinds(self):
        self.Rule.create(
            {"name": "投诉", "category": "客诉", "words_input": "投诉", "side": "customer"}
        )
        self.Rule.create(
            {
                "name": "群里私聊",
                "category": "飞单",
                "words_input": "私聊",
                "watch_external": False,
                "watch_internal": False,
            }
        )
        found = self.pull(
            [
                text(1, "helper", [CUSTOMER], "请不要投诉"),
                text(2, CUSTOMER, ["helper"], "我要投诉"),
                text(3, "seller", [CUSTOMER], "我们私聊"),
                text(4, "seller", ["helper", CUSTOMER], "私聊吧", roomid=ROOM),
            ]
        )
        self.assertEqual(
            [(v.sender, v.category) for v in found], [(CUSTOMER, "客诉"), ("seller", "飞单")]
        )
        self.assertEqual(found[0].sender_role, "customer")
        self.assertEqual(found[1].chat_kind, "group")

    def test_words_overlaps_mixed_script_chatrecord_and_regex(self):
        rule = self.Rule.create(
            {
                "name": "私下",
                "category": "私下交易监控",
                "words_input": "私下， 私下转账,转账 ,WeChat,,私下",
            }
        )
        self.assertEqual(rule.words, "私下,私下转账,转账,WeChat")
        phone = self.Rule.create(
            {"name": "手机号", "category": "联系方式", "patterns": "1[3-9]\\d{9}"}
        )
        chatrecord = next(s for s in SAMPLES if s["msgtype"] == "chatrecord")
        found = self.pull(
            [
                text(1, "seller", [CUSTOMER], "加我wechat，私下转账 13812345678"),
                dict(chatrecord, **{"from": "seller"}),
            ]
        )
        first = found.filtered(lambda v: v.message_id.msgid == "v1")
        words = first.filtered(lambda v: v.rule_id == rule)
        self.assertEqual(words.words_hit, "WeChat$私下$私下转账$转账")
        self.assertEqual(words.words_display, "WeChat、私下、私下转账、转账")  # as shown
        self.assertEqual(
            [words.content[a:b] for a, b in words.offsets], ["wechat", "私下", "私下转账", "转账"]
        )
        self.assertEqual(first.filtered(lambda v: v.rule_id == phone).words_hit, "13812345678")
        in_record = found.filtered(lambda v: v.message_id.msgtype == "chatrecord")
        self.assertEqual(in_record.rule_id, rule, "words inside forwarded chat records count")

    def test_rescan_inserts_nothing_twice_and_rule_edits_apply(self):
        rule = self.Rule.create({"name": "回扣", "category": "飞单", "words_input": "回扣"})
        matcher = self.Rule._matcher(self.env.company.id)
        found = self.pull([text(1, "seller", [CUSTOMER], "回扣照老规矩，返点另算")])
        self.assertEqual(len(found), 1)
        message = found.message_id
        stored = [
            (
                message.id,
                normalize(message.body),
                (message.conversation_id.id, message.member_ids.ids, message.department_ids.ids),
            )
        ]
        self.assertEqual(self.Violation._scan(self.corp, stored), 0)
        rule.words_input = "回扣,返点"
        self.assertIsNot(
            self.Rule._matcher(self.env.company.id), matcher, "a rule edit rebuilds the automaton"
        )
        self.assertIn(
            "default",
            self.registry.cache_invalidated,
            "other workers are told through the registry's cache signaling",
        )
        self.Violation._scan(self.corp, stored)
        self.assertEqual(found.words_hit, "回扣", "one violation per message and rule")

    def test_several_rules_one_violation_each_and_review(self):
        self.Rule.create({"name": "a", "category": "私下交易监控", "words_input": "转账"})
        self.Rule.create({"name": "b", "category": "飞单", "words_input": "私下"})
        found = self.pull(
            [
                text(1, "seller", [CUSTOMER], "你好"),
                text(2, "seller", [CUSTOMER], "私下转账"),
                text(3, CUSTOMER, ["seller"], "好的"),
            ]
        )
        self.assertEqual(len(found), 2)
        # "View details": the message among the ones around it, and its conversation.
        context = found[0].context_message_ids
        self.assertEqual(context.mapped("msgid"), ["v1", "v2", "v3"])  # in time order
        # names and Chinese type names, not ids and codes; an id without a name is marked
        self.assertEqual(context.mapped("type_label"), ["文本"] * 3)
        self.assertEqual(context[1].summary, "私下转账")
        seller = self.env["wecom.member"].search([("userid", "=", "seller")])
        seller.name = "王销售"
        context.invalidate_recordset()
        self.assertEqual(context[0].sender_name, "王销售")
        self.assertEqual(context[2].receiver_names, "王销售")  # the customer wrote to him
        self.assertEqual(found[0].sender_name, "王销售")
        seller.name = False
        context.invalidate_recordset()
        self.assertEqual(context[0].sender_name, "seller (not synced)")
        chat = found[0].message_id.conversation_id
        action = found[0].action_open_conversation()  # the chat viewer at the hit, highlighted
        self.assertEqual(action["tag"], "wecom_archive.chat_viewer")
        self.assertEqual(
            action["params"], {"chat": chat.id, "msg": found[0].message_id.id, "hl": 1}
        )
        found[0].outcome = "warned"
        found[0].action_done()
        self.assertEqual((found[0].state, found[0].reviewer_id), ("done", self.env.user))

    def test_violations_readable_only_by_archive_admins(self):
        self.Rule.create({"name": "a", "category": "私下交易监控", "words_input": "转账"})
        self.pull([text(1, "seller", [CUSTOMER], "转账")])
        employee = new_test_user(self.env, "plain_employee", groups="base.group_user")
        with self.assertRaises(AccessError):
            self.Violation.with_user(employee).search([])
        admin = new_test_user(
            self.env, "archive_admin", groups="wecom_archive.group_wecom_archive_admin"
        )
        self.assertFalse(self.Violation.with_user(admin).search([]), "nothing in scope yet")
        admin.wecom_scope_member_ids = self.env["wecom.member"].search([("userid", "=", "seller")])
        self.assertEqual(len(self.Violation.with_user(admin).search([])), 1)
        with self.assertRaises(AccessError):
            self.Rule.with_user(admin).create({"name": "x", "category": "x", "words_input": "x"})

    def test_a_case_keeps_its_members_employee_and_department(self):
        """Who reads a case, and whom it is about, are written with it: they hold when its
        message is gone, and for cases that have no message at all (a behaviour)."""
        rule = self.Rule.create({"name": "a", "category": "私下交易监控", "words_input": "转账"})
        found = self.pull(
            [
                text(1, "junior", [CUSTOMER], "转账给我"),
                text(2, CUSTOMER, ["junior"], "我转账了"),
                text(3, "seller", ["helper", CUSTOMER], "别转账", roomid=ROOM),
            ]
        )
        member = {m.userid: m for m in self.env["wecom.member"].search([])}
        self.assertEqual(
            [(v.member_id.userid, v.department_id, v.member_ids) for v in found],
            [
                ("junior", self.sales_team, member["junior"]),
                ("junior", self.sales_team, member["junior"]),  # the customer wrote it
                ("seller", self.sales, member["helper"] | member["seller"]),
            ],
        )
        self.assertEqual(found.mapped("kind"), ["keyword"] * 3)
        # the customer: of the 1:1 chat, whoever wrote; in a group, none an employee wrote to
        self.assertEqual([v.contact_id.external_userid for v in found], [CUSTOMER, CUSTOMER, False])
        # a case without a message, read through its own members only
        row = dict(
            dict.fromkeys(_CASE_COLUMNS),
            name="bh-test-1",
            company_id=self.corp.company_id.id,
            corp_id=self.corp.id,
            rule_id=rule.id,
            kind="behavior",
            member_ids=[member["helper"].id],
        )
        [case_id] = self.Violation._record_cases([row])
        case = self.Violation.browse(case_id)
        self.assertEqual((case.member_id, case.department_id), (member["helper"], self.support))
        self.assertFalse(self.Violation._record_cases([row]), "recorded once")
        admin = new_test_user(
            self.env, "support_admin", groups="wecom_archive.group_wecom_archive_admin"
        )
        admin.wecom_scope_department_ids = self.support
        self.assertEqual(self.Violation.with_user(admin).search([]), case | found[2])

    def test_cases_are_recorded_in_one_statement(self):
        """_record_cases fills what a row leaves unknown from the database — the rule's
        category and severity, the customer's record — records a reference given twice in
        one call once, and drops a NUL (PostgreSQL's text cannot hold one)."""
        rule = self.Rule.create(
            {"name": "b", "category": "敏感行为", "severity": "high", "words_input": "x"}
        )
        contact = self.env["wecom.contact"].create(
            {"corp_id": self.corp.id, "external_userid": "wmRecordCases01", "name": "客户"}
        )
        member = self.env["wecom.member"].search([("userid", "=", "helper")])
        row = dict(
            dict.fromkeys(_CASE_COLUMNS),
            name="bh-test-2",
            company_id=self.corp.company_id.id,
            corp_id=self.corp.id,
            rule_id=rule.id,
            kind="behavior",
            content="名片\x00",
            customer="wmRecordCases01",
            member_ids={member.id},  # a set, as a caller may have them
        )
        ids = self.Violation._record_cases([row, dict(row, content="again")])
        case = self.Violation.browse(ids)
        self.assertEqual(len(case), 1, "one case per reference")
        self.assertEqual(
            (case.category, case.severity, case.contact_id, case.content, case.member_ids),
            ("敏感行为", "high", contact, "名片", member),
        )

    def test_only_word_rules_match_words(self):
        """A rule of another type inspects no words, and needs none."""
        self.Rule.create(
            {"name": "timeout", "category": "超时", "rule_type": "timeout", "words_input": "转账"}
        )
        self.Rule.create({"name": "behaviour", "category": "红包", "rule_type": "behavior"})
        self.assertFalse(self.pull([text(1, "seller", [CUSTOMER], "转账")]))

    def test_history_scan_resumes_and_is_idempotent(self):
        found = self.pull([text(n, "seller", [CUSTOMER], f"第{n}单走私账") for n in range(1, 6)])
        self.assertFalse(found, "no rule yet")
        rule = self.Rule.create({"name": "私账", "category": "私下交易监控", "words_input": "私账"})
        action = rule.action_scan_history()
        self.assertEqual(action["context"]["default_rule_ids"], rule.ids)
        job = self.env["wecom.rescan"].create({"rule_ids": [(6, 0, rule.ids)]})
        self.assertTrue(job._run_batch(size=2))  # two messages, then "stopped" here
        self.assertEqual((job.state, job.scanned, job.found), ("running", 2, 2))
        # No time left in this round: nothing scanned, the job runs again in the next one.
        self.env["wecom.rescan"]._cron_rescan(time_budget=0, size=2)
        self.assertEqual(job.scanned, 2)
        rescan_cron = self.env.ref("wecom_archive.ir_cron_wecom_rescan")
        self.assertTrue(self.env["ir.cron.trigger"].search([("cron_id", "=", rescan_cron.id)]))
        self.env["wecom.rescan"]._cron_rescan(time_budget=30, size=2)  # resumes at the cursor
        self.assertEqual((job.state, job.scanned, job.found), ("done", 5, 5))
        again = self.env["wecom.rescan"].create({"rule_ids": [(6, 0, rule.ids)]})
        self.env["wecom.rescan"]._cron_rescan(time_budget=30, size=2)
        self.assertEqual((again.scanned, again.found), (5, 0), "re-scanning duplicates nothing")
        self.assertEqual(self.Violation.search_count([("rule_id", "=", rule.id)]), 5)

    def test_alerts_are_batched(self):
        recipients = new_test_user(self.env, "alert_a", groups="base.group_user") | new_test_user(
            self.env, "alert_b", groups="base.group_user"
        )
        self.Rule.create(
            {
                "name": "a",
                "category": "私下交易监控",
                "words_input": "转账",
                "notify_user_ids": [(6, 0, recipients.ids)],
            }
        )
        self.pull([text(n, "seller", [CUSTOMER], "转账") for n in range(1, 31)])
        before = self.env["mail.message"].search_count([])
        self.assertEqual(self.Violation._cron_alert(), 2)
        notes = self.env["mail.message"].search([], order="id desc", limit=2)
        self.assertEqual(self.env["mail.message"].search_count([]), before + 2)
        for note in notes:
            self.assertIn("30", note.body)
            self.assertIn("10 more", note.body)
        self.assertEqual(self.Violation._cron_alert(), 0, "nobody is told twice")

    def test_wecom_alerts_batched_to_leaders_and_members(self):
        company = fake_api_company(self.corpid, ("seller", "boss", "helper"))
        server = FakeWecomServer(company, secrets={"alert-app-secret": {"message"}}).start()
        self.addCleanup(server.stop)
        self.corp.write(
            {"api_base_url": server.base_url, "app_secret": "alert-app-secret", "agent_id": "7"}
        )
        boss = self.env["wecom.member"].create(
            {"corp_id": self.corp.id, "userid": "boss", "name": "boss"}
        )
        self.sales.leader_ids = boss
        helper = self.env["wecom.member"].search([("userid", "=", "helper")])
        self.Rule.create(
            {
                "name": "飞单",
                "category": "飞单",
                "words_input": "私下付款",
                "notify_leaders": True,
                "notify_member_ids": [(6, 0, helper.ids)],
            }
        )
        self.pull([text(n, "seller", [CUSTOMER], "可以私下付款") for n in range(1, 31)])
        server.add_fault("message/send", "errcode", errcode=60020)
        self.Violation._cron_alert()
        self.assertIn("trusted-IP", self.corp.alert_error)
        self.assertFalse(server.sent_messages)
        self.assertFalse(self.Violation.search([("wecom_alerted", "=", True)]))
        self.Violation._cron_alert()  # the next run catches up
        self.assertFalse(self.corp.alert_error)
        sent = {m["touser"]: m for m in server.sent_messages}
        self.assertEqual(set(sent), {"boss", "helper"})
        for message in sent.values():
            self.assertEqual(message["agentid"], 7)
            self.assertIn("30", message["text"]["content"])
            self.assertIn("飞单", message["text"]["content"])
        self.Violation._cron_alert()
        self.assertEqual(len(server.sent_messages), 2, "nobody is alerted twice")
