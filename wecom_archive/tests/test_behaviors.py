"""Sensitive behaviours and built-in detectors as cases, through the real pipeline, the
directory sync and WeCom's callbacks: each kind's hits and near-misses on small fixed
corpora, the case without a message (a deletion) in the views, the scope and the viewer."""

from odoo.exceptions import ValidationError
from odoo.tests import new_test_user, tagged

from ..lib.tests.samples import CUSTOMER, T0
from ..models.wecom_access_token import token_store
from ..native.fake_api.server import FakeWecomServer
from .common import WecomCase, key_pair

REFUSER = "wmRefusedArchive000000000000001"
ROOM = "wrBehaviourGroup0001"


def msg(n, msgtype, body, sender="seller", to=(CUSTOMER,), roomid="", key=None):
    return {
        "msgid": f"b{n}",
        "action": "send",
        "from": sender,
        "tolist": list(to),
        "roomid": roomid,
        "msgtime": T0 + n * 1000,
        "msgtype": msgtype,
        key or msgtype: body,
    }


def text(n, content, sender="seller", to=(CUSTOMER,), roomid=""):
    return msg(n, "text", {"content": content}, sender, to, roomid)


def packet(n, amount, to=(CUSTOMER,), roomid=""):
    body = {"type": 1, "wish": "恭喜发财", "totalcnt": 1, "totalamount": amount}
    return msg(n, "redpacket", body, to=to, roomid=roomid)


def file(n, name, size):
    body = {
        "filename": name,
        "fileext": name.rsplit(".", 1)[-1],
        "sdkfileid": f"file{n}",
        "filesize": size,
        "md5sum": "",
    }
    return msg(n, "file", body)


def company(corpid):
    """Two members in two departments; CUSTOMER followed by both, REFUSER by the seller."""

    def customer(external, name, followers):
        return {
            "external_contact": {"external_userid": external, "name": name, "type": 1},
            "follow_user": [
                {"userid": u, "remark": name, "createtime": T0 // 1000, "add_way": 1}
                for u in followers
            ],
        }

    return {
        "corp": {"corpid": corpid, "corp_name": "测试企业"},
        "departments": [
            {"id": 1, "name": "测试企业", "parentid": 0},
            {"id": 3, "name": "销售部", "parentid": 1},
            {"id": 5, "name": "客服部", "parentid": 1},
        ],
        "users": [
            {
                "userid": "seller",
                "name": "王销售",
                "department": [3],
                "main_department": 3,
                "status": 1,
            },
            {
                "userid": "helper",
                "name": "李客服",
                "department": [5],
                "main_department": 5,
                "status": 1,
            },
        ],
        "permit_user_list": ["seller", "helper"],
        "external_contacts": [
            customer(CUSTOMER, "张客户", ["seller", "helper"]),
            customer(REFUSER, "赵客户", ["seller"]),
        ],
        "deleted_follow_user": [],
        "external_groups": [],
        "internal_groups": [],
        "agree": [],
    }


class BehaviorCase(WecomCase):
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
        cls.support = Department.create(
            {"corp_id": cls.corp.id, "department_id": 5, "name": "客服部"}
        )
        Member = cls.env["wecom.member"]
        cls.seller, cls.helper = (
            Member.create(
                {
                    "corp_id": cls.corp.id,
                    "userid": userid,
                    "name": name,
                    "department_ids": [(6, 0, department.ids)],
                }
            )
            for userid, name, department in (
                ("seller", "王销售", cls.sales),
                ("helper", "李客服", cls.support),
            )
        )
        cls.Rule = cls.env["wecom.keyword.rule"]
        cls.Rule.search([]).active = False  # the demo rules: each test brings its own
        cls.Violation = cls.env["wecom.violation"]

    def behavior(self, kind, **values):
        return self.Rule.create(
            {
                "name": kind,
                "category": f"类别 {kind}",
                "rule_type": "behavior",
                "behavior": kind,
                **values,
            }
        )

    def pull(self, messages):
        self.build_corpus(messages)
        self.corp._pull()
        return self.Violation.search([("corp_id", "=", self.corp.id)], order="msgtime, rule_id")

    def contact(self, external):
        return self.env["wecom.contact"].search(
            [("corp_id", "=", self.corp.id), ("external_userid", "=", external)]
        )


@tagged("post_install", "-at_install")
class TestBehaviors(BehaviorCase):
    def test_message_behaviours_hits_and_near_misses(self):
        money = self.behavior("redpacket", behavior_min_amount=100, severity="high")
        card = self.behavior("card")
        files = self.behavior("file", behavior_max_file_mb=10, behavior_file_exts="exe, .apk")
        refused = self.behavior("refused_consent")
        found = self.pull(
            [
                packet(1, 20000),  # ¥200 to a customer: a hit
                packet(2, 9999),  # ¥99.99: below the amount
                packet(3, 50000, to=("helper",)),  # to a colleague
                msg(4, "card", {"corpname": "测试企业", "userid": "helper"}),  # a hit
                text(5, "名片我晚点发你"),  # words about a card are no card
                file(6, "工具.exe", 2048),  # a type: a hit
                file(7, "报价.pdf", 1024 * 1024),  # small, allowed type
                file(8, "演示.mp4", 30 * 1024 * 1024),  # too big: a hit
                text(9, "在吗", sender=REFUSER, to=("seller",)),  # before the refusal
                msg(
                    10,
                    "disagree",
                    {"userid": REFUSER, "disagree_time": T0 + 10000},
                    REFUSER,
                    ("seller",),
                ),
                text(11, "您好，还在考虑吗", to=(REFUSER,)),  # after it: a hit
                text(12, "好的", sender=CUSTOMER, to=("seller",)),  # another customer
                packet(13, 30000, to=("helper", CUSTOMER), roomid=ROOM),  # a group: a hit
            ]
        )
        self.assertEqual(
            [(case.message_id.msgid, case.rule_id) for case in found],
            [
                ("b1", money),
                ("b4", card),
                ("b6", files),
                ("b8", files),
                ("b11", refused),
                ("b13", money),
            ],
        )
        self.assertEqual(set(found.mapped("kind")), {"behavior"})
        first = found[0]
        self.assertEqual(first.words_display, "红包 ¥200.00")
        self.assertEqual((first.category, first.severity), ("类别 redpacket", "high"))
        self.assertEqual((first.member_id, first.department_id), (self.seller, self.sales))
        self.assertEqual(first.contact_id, self.contact(CUSTOMER))
        self.assertEqual(first.member_ids, self.seller)
        self.assertFalse(first.offsets)
        self.assertEqual(found[1].words_display, "名片 helper")
        self.assertEqual(found[2].words_display, "文件 工具.exe（2.0 KB）")
        self.assertEqual(found[3].words_display, "文件 演示.mp4（30.0 MB）")
        self.assertEqual(found[4].contact_id, self.contact(REFUSER))
        self.assertEqual(found[4].words_display, "拒绝存档后仍发消息")
        self.assertEqual(found[5].chat_kind, "group")
        # each case counts on its chat's day, as word hits do
        chat_days = self.env["wecom.stat.chat.day"].search(
            [("conversation_id", "=", found[0].conversation_id.id)]
        )
        self.assertEqual(sum(chat_days.mapped("violation_count")), 4)
        # a pull of the same messages again records nothing twice
        self.corp._pull()
        self.assertEqual(self.Violation.search_count([("corp_id", "=", self.corp.id)]), 6)

    def test_scope_and_inactive_rules(self):
        self.behavior("card", department_ids=[(6, 0, self.support.ids)])
        self.behavior("card", active=False)
        found = self.pull(
            [
                msg(1, "card", {"userid": "x"}),
                msg(2, "card", {"userid": "x"}, sender="helper"),
            ]
        )
        self.assertEqual(found.mapped("sender"), ["helper"])

    def test_rule_without_behaviour_watches_nothing(self):
        self.Rule.create({"name": "empty", "category": "空", "rule_type": "behavior"})
        self.assertFalse(self.pull([packet(1, 20000)]))


@tagged("post_install", "-at_install")
class TestDetectorRules(BehaviorCase):
    def detector(self, *codes):
        return self.env["wecom.detector"].search([("code", "in", codes)])

    def test_detector_hits_are_cases_with_offsets(self):
        personal = self.Rule.create(
            {
                "name": "个人信息",
                "category": "联系方式外泄",
                "detector_ids": [(6, 0, self.detector("mobile", "bank_card", "wechat_id").ids)],
            }
        )
        links = self.Rule.create(
            {
                "name": "外链",
                "category": "引流",
                "detector_ids": [(6, 0, self.detector("url").ids)],
                "allowed_domains": "example.com，weixin.qq.com",
            }
        )
        found = self.pull(
            [
                text(1, "我电话13812345678，卡号 4111 1111 1111 1111"),
                text(2, "订单号 4111111111111112 已发货，金额 12345 元"),  # fails Luhn
                text(3, "加我微信：lm_2024abc"),
                text(4, "官网 https://shop.example.com/a 和 https://doc.weixin.qq.com/x"),
                text(5, "去 http://cheap-deal.cn/p/1 下单"),
                text(6, "微信支付已到账，谢谢"),  # a cue without an ID
            ]
        )
        self.assertEqual(
            [(case.message_id.msgid, case.rule_id) for case in found],
            [("b1", personal), ("b3", personal), ("b5", links)],
        )
        first = found[0]
        self.assertEqual(first.kind, "keyword")
        self.assertEqual(first.words_display, "手机号、银行卡号")
        self.assertEqual(
            [first.content[start:end] for start, end in first.offsets],
            ["13812345678", "4111 1111 1111 1111"],
        )
        self.assertEqual(found[1].words_display, "微信号")
        self.assertEqual(found[2].words_display, "外部链接")
        self.assertEqual(
            [found[2].content[s:e] for s, e in found[2].offsets], ["http://cheap-deal.cn/p/1"]
        )

    def test_words_and_detectors_in_one_rule(self):
        self.Rule.create(
            {
                "name": "私下交易",
                "category": "私下交易监控",
                "words_input": "返点",
                "detector_ids": [(6, 0, self.detector("mobile").ids)],
                "side": "member",
            }
        )
        found = self.pull(
            [
                text(1, "返点打给13812345678"),
                text(2, "我的号码13812345678", sender=CUSTOMER, to=("seller",)),  # a side
            ]
        )
        self.assertEqual(found.mapped("words_display"), ["返点、手机号"])

    def test_a_word_rule_needs_words_a_pattern_or_a_detector(self):
        with self.assertRaises(ValidationError):
            self.Rule.create({"name": "空", "category": "空"})
        rule = self.Rule.create(
            {
                "name": "邮箱",
                "category": "外泄",
                "detector_ids": [(6, 0, self.detector("email").ids)],
            }
        )
        with self.assertRaises(ValidationError):
            rule.detector_ids = False
        # a rule change reaches the cached matcher
        self.assertEqual(len(self.pull([text(1, "发到 a.b@example.com")])), 1)
        rule.active = False
        found = self.pull([text(1, "发到 a.b@example.com"), text(2, "发到 c.d@example.com")])
        self.assertEqual(found.message_id.mapped("msgid"), ["b1"])


@tagged("post_install", "-at_install")
class TestDeletionCases(BehaviorCase):
    def setUp(self):
        super().setUp()
        self.server = FakeWecomServer(company(self.corpid)).start()
        self.addCleanup(self.server.stop)
        self.corp.write(
            {
                "api_base_url": self.server.base_url,
                "contact_secret": "test-contact-secret",
                "customer_secret": "test-customer-secret",
            }
        )
        token_store(self.env.cr.dbname)._tokens.clear()
        self.pull([text(1, "您好"), text(2, "您好", to=(REFUSER,))])  # their chats
        self.assertFalse(self.corp._sync(full=True))

    def follow(self, external, userid):
        return self.contact(external).follow_ids.filtered(lambda f: f.member_id.userid == userid)

    def callback(self, change, userid, external):
        self.corp._handle_callback(
            {
                "Event": "change_external_contact",
                "ChangeType": change,
                "UserID": userid,
                "ExternalUserID": external,
            }
        )

    def cases(self):
        return self.Violation.search([("kind", "=", "behavior")], order="id")

    def test_deletions_from_callbacks_and_the_sync(self):
        by_member = self.behavior("member_deleted_customer")
        by_customer = self.behavior(
            "customer_deleted_member", department_ids=[(6, 0, self.sales.ids)]
        )
        self.assertEqual(len(self.contact(CUSTOMER).follow_ids), 2)
        # the customer deleted the seller (WeCom's callback)
        self.callback("del_follow_user", "seller", CUSTOMER)
        case = self.cases()
        self.assertEqual(case.rule_id, by_customer)
        self.assertFalse(case.message_id)
        self.assertEqual((case.member_id, case.contact_id), (self.seller, self.contact(CUSTOMER)))
        self.assertEqual((case.sender, case.sender_role), (CUSTOMER, "customer"))
        self.assertEqual(case.receivers, "seller")
        self.assertEqual(case.words_display, "客户删除员工")
        self.assertIn("张客户", case.content)
        self.assertIn("王销售", case.content)
        self.assertEqual((case.member_ids, case.department_id), (self.seller, self.sales))
        self.assertEqual(case.msgtime, self.follow(CUSTOMER, "seller").removed_on)
        # told twice: one case
        self.callback("del_follow_user", "seller", CUSTOMER)
        self.assertEqual(self.cases(), case)
        # the seller deleted the other customer (WeCom's callback)
        self.callback("del_external_contact", "seller", REFUSER)
        member_case = self.cases() - case
        self.assertEqual(member_case.rule_id, by_member)
        self.assertEqual((member_case.sender, member_case.sender_role), ("seller", "member"))
        self.assertEqual(member_case.words_display, "员工删除客户")
        # the helper deleted the customer: WeCom stops listing them, the sync notices
        self.server.delete_follow(CUSTOMER, "helper")
        self.assertFalse(self.corp._sync(full=True))
        self.assertEqual(self.follow(CUSTOMER, "helper").state, "former")
        synced = self.cases() - case - member_case
        self.assertEqual(synced.rule_id, by_member)
        self.assertEqual((synced.member_id, synced.department_id), (self.helper, self.support))
        self.assertFalse(self.corp._sync(full=True))
        self.assertEqual(len(self.cases()), 3, "a relation ended once is recorded once")

    def test_case_without_message_in_views_viewer_scope_and_alerts(self):
        rule = self.behavior("customer_deleted_member")
        rule.notify_user_ids = new_test_user(self.env, "reviewer", groups="base.group_user")
        self.callback("del_follow_user", "seller", CUSTOMER)
        self.callback("del_follow_user", "helper", CUSTOMER)
        seller_case, helper_case = self.cases()
        # the viewer opens the employee's chat with the customer, else the employee's chats
        chat = self.env["wecom.conversation"].search(
            [("contact_id", "=", self.contact(CUSTOMER).id)]
        )
        self.assertEqual(seller_case.action_open_conversation()["params"], {"chat": chat.id})
        self.assertEqual(
            helper_case.action_open_conversation()["params"], {"member": self.helper.id}
        )
        # what the list and the form read
        views = self.Violation.get_views([(False, "list"), (False, "form")])
        for view in views["views"].values():
            fields = [name for name in views["models"]["wecom.violation"]["fields"]]
            self.assertTrue(seller_case.read(fields))
            self.assertTrue(view["arch"])
        self.assertFalse(seller_case.context_message_ids)
        self.assertFalse(seller_case.sender_name)
        # only who reads the employee reads the case
        admin = new_test_user(
            self.env, "support_admin", groups="wecom_archive.group_wecom_archive_admin"
        )
        admin.wecom_scope_department_ids = self.support
        self.assertEqual(self.Violation.with_user(admin).search([]), helper_case)
        # the alerts carry it like any case
        self.assertEqual(self.Violation._cron_alert(), 1)
        self.assertTrue(seller_case.alerted)
