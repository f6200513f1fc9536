"""Masking (脱敏) on every output path: the chat viewer (thread, context, chat previews,
violations' words), 查看原文 and its access-log row, search snippets, ORM reads (lists,
forms, a case's context messages), exports (plain only with the right 查看敏感信息原文), the
Odoo alert, the WeCom alert text and the daily digest; the right granted on 账号权限."""

import json
from datetime import datetime

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import Form, HttpCase, new_test_user, tagged

from .common import WecomCase, key_pair, use_zh_cn
from .common import text_message as text

AILUN, X = "mask_ailun", "wmMaskX000000001"
MOBILE, MOBILE_MASKED = "13812345678", "138****5678"
EMAIL, EMAIL_MASKED = "zhangsan@example.com", "z*******@example.com"
CARD, CARD_MASKED = "6222021001123456789", "6222***********6789"
ORIGINALS = (MOBILE, EMAIL, CARD, "12345678", "zhangsan")


@tagged("post_install", "-at_install")
class TestMasking(WecomCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["wecom.corp.key"].create(
            {"corp_id": cls.corp.id, "version": 1, "private_key": key_pair(1)[0]}
        )
        cls.env["wecom.keyword.rule"].search([]).active = False
        cls.plain = new_test_user(
            cls.env,
            login="mask_plain",
            groups="base.group_user,base.group_allow_export,"
            "wecom_archive.group_wecom_archive_super",
        )
        cls.right = new_test_user(
            cls.env,
            login="mask_right",
            groups="base.group_user,base.group_allow_export,"
            "wecom_archive.group_wecom_archive_super,wecom_archive.group_wecom_sensitive_view",
        )
        cls.rule = cls.env["wecom.keyword.rule"].create(
            {
                "name": "私下联系",
                "category": "私下联系",
                "words_input": "手机",
                "notify_user_ids": [(6, 0, cls.plain.ids)],
            }
        )
        cls.member = cls.env["wecom.member"].create(
            {"corp_id": cls.corp.id, "userid": AILUN, "name": "艾伦", "archive_status": "archiving"}
        )
        cls.build_corpus(
            [
                text("m1", 1, AILUN, [X], "您好"),
                text("m2", 2, X, [AILUN], f"我的手机 {MOBILE}，邮箱 {EMAIL}"),
                text("m3", 3, AILUN, [X], f"卡号 {CARD} 收到"),
                text("m4", 4, X, [AILUN], "好的"),
            ]
        )
        cls.corp._pull()
        cls.msg = {
            m.msgid: m for m in cls.env["wecom.message"].search([("corp_id", "=", cls.corp.id)])
        }
        cls.chat = cls.msg["m2"].conversation_id
        cls.case = cls.env["wecom.violation"].search([("message_id", "=", cls.msg["m2"].id)])

    def assert_masked(self, value):
        dumped = json.dumps(value, ensure_ascii=False, default=str)
        for original in ORIGINALS:
            self.assertNotIn(original, dumped)
        return dumped

    def viewer(self, user):
        return self.env["wecom.viewer"].with_user(user)

    def test_corpus(self):
        self.assertEqual(len(self.msg), 4)
        self.assertEqual(len(self.case), 1)
        self.assertIn(MOBILE, self.msg["m2"].text)  # stored as it was written

    # -- the chat viewer ---------------------------------------------------------------------
    def test_viewer_masks_thread_context_and_previews(self):
        for user in (self.plain, self.right):
            with self.subTest(user=user.login):
                Viewer = self.viewer(user)
                page = Viewer.thread(self.chat.id, member_id=self.member.id)
                self.assert_masked(page)
                by_msgid = {m["msgid"]: m for m in page["messages"]}
                m2 = by_msgid["m2"]
                self.assertEqual(
                    m2["card"]["text"], f"我的手机 {MOBILE_MASKED}，邮箱 {EMAIL_MASKED}"
                )
                self.assertTrue(m2["card"]["masked"])
                self.assertEqual(m2["card"]["can_unmask"], user == self.right)
                self.assertEqual(by_msgid["m3"]["card"]["text"], f"卡号 {CARD_MASKED} 收到")
                self.assertFalse(by_msgid["m1"]["card"]["masked"])
                self.assertFalse(by_msgid["m1"]["card"]["can_unmask"])
                # the violation's spans still fall on its words in the masked text
                [hit] = m2["violations"]
                self.assertEqual([m2["card"]["text"][a:b] for a, b in hit["spans"]], ["手机"])
                self.assert_masked(Viewer.context(self.msg["m3"].id))
                chats = Viewer.chats(self.member.id, "external")["chats"]
                self.assert_masked(chats)

    def test_unmask_needs_the_right_and_is_logged(self):
        Log = self.env["wecom.access.log"]
        with self.assertRaises(AccessError):
            self.viewer(self.plain).unmask(self.msg["m2"].id)
        self.assertFalse(Log.search([("action", "=", "unmask")]))
        shown = self.viewer(self.right).unmask(self.msg["m2"].id, member_id=self.member.id)
        self.assertEqual(shown["id"], self.msg["m2"].id)
        self.assertEqual(shown["card"]["text"], f"我的手机 {MOBILE}，邮箱 {EMAIL}")
        self.assertNotIn("can_unmask", shown["card"])
        [hit] = shown["violations"]
        self.assertEqual([shown["card"]["text"][a:b] for a, b in hit["spans"]], ["手机"])
        [log] = Log.search([("action", "=", "unmask")])
        self.assertEqual((log.user_id, log.res_model), (self.right, "wecom.message"))
        self.assertEqual((log.res_id, log.conversation_id), (self.msg["m2"].id, self.chat))
        self.assertEqual(log.member_ids, self.member)
        # unmasking one message leaves the others and the next page masked
        self.assert_masked(self.viewer(self.right).thread(self.chat.id))
        # the right does not widen the scope: out of it, nothing is shown nor logged
        scoped = new_test_user(
            self.env,
            login="mask_scoped_right",
            groups="base.group_user,wecom_archive.group_wecom_archive_admin,"
            "wecom_archive.group_wecom_sensitive_view",
        )
        with self.assertRaises(AccessError):
            self.viewer(scoped).unmask(self.msg["m2"].id)
        self.assertEqual(Log.search_count([("action", "=", "unmask")]), 1)

    # -- search across chats ------------------------------------------------------------------
    def test_search_snippets(self):
        for user in (self.plain, self.right):
            Message = self.env["wecom.message"].with_user(user)
            for query in ("手机", "卡号", MOBILE):
                with self.subTest(user=user.login, query=query):
                    results = Message.search_messages(query)["results"]
                    if query == MOBILE and user == self.plain:
                        # found only inside what the mask hides: no hit, or it would tell
                        self.assertEqual(results, [])
                        continue
                    [result] = results
                    self.assert_masked(result)
                    self.assertIn("****", result["snippet"])
                    self.assertTrue(result["highlights"])
            [result] = Message.search_messages("手机")["results"]
            [(start, end)] = result["highlights"]
            self.assertEqual(result["snippet"][start:end], "手机")

    # -- the ORM's searches: a list's search box, counts, groupings --------------------------
    def test_orm_searches_match_what_the_mask_shows(self):
        """What a mask hides cannot be searched for: to a user without the right, a text
        condition on a masked field matches the masked text (search, count and grouping
        alike, negations too), so the hidden digits find nothing and the shown ones still
        do; a user with the right searches the originals."""
        m1, m2, m3, m4 = (self.msg[msgid].id for msgid in ("m1", "m2", "m3", "m4"))
        chat = [("conversation_id", "in", (self.chat | self.msg["m3"].conversation_id).ids)]
        expected = {  # value: (found by the plain user, by the user with the right)
            "1234": (set(), {m2, m3}),  # inside the mobile's and the card's masks
            MOBILE: (set(), {m2}),
            "zhangsan": (set(), {m2}),  # the e-mail's masked local part
            "5678": ({m2}, {m2, m3}),  # shown at the mobile's end, hidden in the card
            "@EXAMPLE.com": ({m2}, {m2}),
            "手机": ({m2}, {m2}),  # no letter nor digit: searched as it is
        }
        for user, right in ((self.plain, 0), (self.right, 1)):
            Message = self.env["wecom.message"].with_user(user)
            for value, found in expected.items():
                with self.subTest(user=user.login, value=value):
                    domain = [*chat, ("text", "ilike", value)]
                    self.assertEqual(set(Message.search(domain).ids), found[right])
                    self.assertEqual(Message.search_count(domain), len(found[right]))
                    groups = Message.read_group(domain, ["conversation_id"], ["conversation_id"])
                    self.assertEqual(
                        sum(group["conversation_id_count"] for group in groups), len(found[right])
                    )
                    negated = [*chat, ("text", "not ilike", value)]
                    self.assertEqual(
                        set(Message.search(negated).ids), {m1, m2, m3, m4} - found[right]
                    )
            with self.subTest(user=user.login, operator="=like"):
                self.assertEqual(
                    Message.search([*chat, ("text", "=like", "我的手机 138%")]).ids, [m2]
                )
                self.assertEqual(
                    bool(Message.search([*chat, ("text", "=like", "我的手机 1381234%")])),
                    bool(right),
                )
            # a case's content alike
            Case = self.env["wecom.violation"].with_user(user)
            self.assertEqual(
                Case.search([("content", "ilike", "1234")]).ids, self.case.ids if right else []
            )

    # -- ORM reads: lists, forms, a case's context messages ----------------------------------
    def test_reads(self):
        for user in (self.plain, self.right):
            with self.subTest(user=user.login):
                Message = self.env["wecom.message"].with_user(user)
                rows = Message.search_read(
                    [("id", "=", self.msg["m2"].id)], ["text", "summary", "body", "raw_text"]
                )
                self.assert_masked(rows)
                self.assertEqual(
                    rows[0]["summary"], f"我的手机 {MOBILE_MASKED}，邮箱 {EMAIL_MASKED}"
                )
                self.assertEqual(rows[0]["body"]["text"]["content"], rows[0]["summary"])
                self.assertEqual(rows[0]["body"]["msgid"], "m2")
                listed = Message.web_search_read(
                    [("conversation_id", "=", self.chat.id)], {"summary": {}, "text": {}}
                )
                self.assert_masked(listed)
                self.assertEqual(len(listed["records"]), 4)
                form = (
                    self.env["wecom.violation"]
                    .with_user(user)
                    .browse(self.case.id)
                    .web_read(
                        {
                            "content": {},
                            "words_display": {},
                            "context_message_ids": {"fields": {"summary": {}, "text": {}}},
                            "message_id": {"fields": {"text": {}, "display_name": {}}},
                        }
                    )
                )
                dumped = self.assert_masked(form)
                self.assertIn(MOBILE_MASKED, dumped)
                self.assertEqual(len(form[0]["context_message_ids"]), 4)
        # superuser code (the pipeline, the detectors) reads originals
        self.assertIn(MOBILE, self.msg["m2"].read(["text"])[0]["text"])

    # -- exports -------------------------------------------------------------------------------
    def test_exports_follow_the_right(self):
        message_fields = ["msgid", "text", "summary", "body", "conversation_id/display_name"]
        case_fields = ["name", "content", "words_display", "message_id/text"]
        messages = self.env["wecom.message"].browse(self.msg[k].id for k in ("m1", "m2", "m3"))
        chat_fields = ["display_name", "message_ids/msgid", "message_ids/text"]
        for user, masked in ((self.plain, True), (self.right, False)):
            with self.subTest(user=user.login):
                rows = messages.with_user(user).export_data(message_fields)["datas"]
                case_rows = self.case.with_user(user).export_data(case_fields)["datas"]
                chat_rows = self.chat.with_user(user).export_data(chat_fields)["datas"]
                self.assertEqual([row[0] for row in rows], ["m1", "m2", "m3"])
                self.assertEqual(len(chat_rows), 4)  # one line per message
                if masked:
                    self.assert_masked([rows, case_rows, chat_rows])
                    self.assertEqual(rows[1][1], f"我的手机 {MOBILE_MASKED}，邮箱 {EMAIL_MASKED}")
                    self.assertEqual(rows[2][2], f"卡号 {CARD_MASKED} 收到")
                    self.assertEqual(case_rows[0][3], rows[1][1])
                    self.assertIn(CARD_MASKED, json.dumps(chat_rows, ensure_ascii=False))
                else:
                    self.assertEqual(rows[1][1], f"我的手机 {MOBILE}，邮箱 {EMAIL}")
                    self.assertIn(CARD, rows[2][2])
                    self.assertIn(MOBILE, case_rows[0][1])
                    self.assertIn(CARD, json.dumps(chat_rows, ensure_ascii=False))
                self.assertEqual(rows[0][1], "您好")

    # -- alerts --------------------------------------------------------------------------------
    def test_alerts_and_digest(self):
        Violation = self.env["wecom.violation"]
        Violation._cron_alert()
        notes = self.env["mail.message"].search([("partner_ids", "in", self.plain.partner_id.ids)])
        self.assertTrue(notes)
        dumped = self.assert_masked(notes.mapped("body"))
        self.assertIn(MOBILE_MASKED, dumped)
        wecom_text = Violation._wecom_alert_text(self.case)
        self.assert_masked(wecom_text)
        self.assertIn(MOBILE_MASKED, wecom_text)
        self.plain.tz = "UTC"
        before = self.env["mail.message"].search([]).ids
        self.env["wecom.digest"]._send_odoo(Violation.sudo(), datetime(2026, 1, 2, 9, 0))
        digest = self.env["mail.message"].search([("id", "not in", before)])
        self.assertTrue(digest)
        self.assert_masked(digest.mapped("body"))

    # -- the right, granted on 账号权限 -----------------------------------------------------------
    def test_right_granted_in_the_permissions_wizard(self):
        user = new_test_user(self.env, login="mask_granted", groups="base.group_user")
        Wizard = self.env["wecom.scope.wizard"]
        group = "wecom_archive.group_wecom_sensitive_view"
        with Form(Wizard) as wizard:
            wizard.user_id = user
            wizard.role = "super"
            wizard.view_originals = True
        wizard.record.action_apply()
        self.assertTrue(user.has_group(group))
        self.assertTrue(user.wecom_view_originals)
        log = self.env["wecom.access.log"].search([("action", "=", "scope_change")], limit=1)
        self.assertIn("View Sensitive Originals", log.detail)
        with Form(Wizard.with_context(**Wizard._action_open(user)["context"])) as wizard:
            self.assertTrue(wizard.view_originals)
            wizard.role = "none"
        wizard.record.action_apply()
        self.assertFalse(user.has_group(group))
        self.assertFalse(
            self.env.ref("wecom_archive.group_wecom_archive_super").implied_ids.filtered(
                lambda g: g == self.env.ref(group)
            ),
            "no role implies the right",
        )


@tagged("post_install", "-at_install")
class TestMaskingTour(WecomCase, HttpCase):
    """查看原文 in the chat viewer, in headless Chromium, for an admin with the right."""

    corpid = "wwmaskingtour001"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        use_zh_cn(cls.env)
        cls.env["wecom.corp.key"].create(
            {"corp_id": cls.corp.id, "version": 1, "private_key": key_pair(1)[0]}
        )
        cls.env["wecom.member"].create(
            {
                "corp_id": cls.corp.id,
                "userid": "linxiao",
                "name": "林晓",
                "archive_status": "archiving",
            }
        )
        cls.env["wecom.contact"].create(
            {"corp_id": cls.corp.id, "external_userid": "wmMaskTourZhou001", "name": "周女士"}
        )
        pair = ("linxiao", "wmMaskTourZhou001")
        cls.build_corpus(
            [
                text("t1", 1, pair[1], [pair[0]], "您好"),
                text("t2", 2, pair[1], [pair[0]], f"我的电话 {MOBILE}"),
                text("t3", 3, pair[1], [pair[0]], "再确认 13900000000"),
            ]
        )
        cls.corp._pull()
        cls.env.ref("base.user_admin").groups_id = [
            Command.link(cls.env.ref("wecom_archive.group_wecom_sensitive_view").id)
        ]

    def test_view_original(self):
        self.start_tour("/odoo/chat-records", "wecom_archive_masking", login="admin")
        [log] = self.env["wecom.access.log"].search([("action", "=", "unmask")])
        message = self.env["wecom.message"].search([("msgid", "=", "t2")])
        self.assertEqual((log.user_id.login, log.res_id), ("admin", message.id))

    def test_searching_over_rpc_finds_only_what_the_mask_shows(self):
        """A list's search sent by a real client (JSON-RPC, as the web client sends it):
        the digits a mask hides find nothing, the ones it shows are found."""
        new_test_user(
            self.env,
            login="mask_rpc",
            password="mask_rpc_pw",
            groups="base.group_user,wecom_archive.group_wecom_archive_super",
        )
        self.authenticate("mask_rpc", "mask_rpc_pw")

        def found(value):
            result = self.make_jsonrpc_request(
                "/web/dataset/call_kw/wecom.message/web_search_read",
                {
                    "model": "wecom.message",
                    "method": "web_search_read",
                    "args": [[("text", "ilike", value)]],
                    "kwargs": {"specification": {"msgid": {}, "text": {}}},
                },
            )
            self.assertEqual(result["length"], len(result["records"]))
            return [record["msgid"] for record in result["records"]]

        self.assertEqual(found("1234"), [])  # inside 138****5678
        self.assertEqual(found(MOBILE), [])
        self.assertEqual(found("5678"), ["t2"])
        self.assertEqual(found("电话"), ["t2"])
