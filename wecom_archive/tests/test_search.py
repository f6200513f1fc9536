"""Keyword search across all chats: search_messages gives exactly the messages a plain
substring match finds (Latin letters in any case), through the bigram index, as the user."""

import random
from datetime import datetime, timedelta

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import TransactionCase, new_test_user, tagged

from ..native.corpus import phrases
from .common import fake_sdk_library

EXTRA = [
    "你直接私下转账给我，便宜点",
    "Please 转账 to ACCOUNT 8899, ok? 100% 确认_done",
    "it's 50% off & free | maybe !not :* (x) \\ back",
    "表情😀😀转账😀好的",
    "PC端后台登录，pc端后台",
    "转转转账账",
    "O'Brien 说：返点 5 个点",
    "a_b a%b a\\b",
]
KEYWORDS = [
    "转账",
    "私下",
    "返点",
    "好的",
    "发票",
    "客户",
    "谢谢",
    "已经发出",
    "您看下这个",
    "私下转账",
    "上次那批货",
    "转转",
    "转账账",
    "pc",
    "PC端",
    "account",
    "Account 88",
    "please",
    "100%",
    "% o",
    "_d",
    "a_b",
    "a%b",
    "a\\b",
    "\\ b",
    "it's",
    "'s",
    "& f",
    "| m",
    "!n",
    ":*",
    "(x)",
    "😀转",
    "😀😀",
    "，便",
    "点 5 ",
    "不存在的词",
    "xyz",
]


@tagged("post_install", "-at_install")
class TestSearch(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.corp = cls.env["wecom.corp"].create(
            {
                "name": "搜索企业",
                "corpid": "wwsearch00000001",
                "secret": "s",
                "sdk_library_path": fake_sdk_library(),
            }
        )
        Department = cls.env["wecom.department"]
        cls.sales = Department.create({"corp_id": cls.corp.id, "department_id": 2, "name": "销售"})
        cls.support = Department.create(
            {"corp_id": cls.corp.id, "department_id": 3, "name": "客服"}
        )
        cls.a = cls._member("ailun", "艾伦", cls.sales)
        cls.b = cls._member("baixue", "白雪", cls.support)
        cls.x = cls.env["wecom.contact"].create(
            {"corp_id": cls.corp.id, "external_userid": "wmX", "name": "许先生"}
        )
        cls.g = cls.env["wecom.group"].create(
            {"corp_id": cls.corp.id, "roomid": "wrG", "name": "客户群"}
        )
        cls.chat_ax = cls._chat("external:ailun-wmX", "external", cls.a, contact=cls.x)
        cls.chat_b = cls._chat("room:wrG", "group", cls.b, group=cls.g)
        lines = [
            line
            for dialog in (*phrases.DIALOGS["external"], *phrases.DIALOGS["group"])
            for line in dialog
        ]
        lines += phrases.SALES_LINES + phrases.SERVICE_LINES + phrases.RISKY_LINES + EXTRA
        rng = random.Random(7)
        base = datetime(2026, 3, 1, 8, 0, 0)
        vals = []
        for n in range(400):
            member = (cls.a, cls.b)[n % 2]
            text = rng.choice(lines)
            if n % 7 == 0:
                text = f"{text} {rng.choice(lines)}"
            vals.append(
                {
                    "corp_id": cls.corp.id,
                    "company_id": cls.corp.company_id.id,
                    "msgid": f"search-{n}",
                    "state": "done",
                    "msgtype": "text" if n % 5 else "chatrecord",
                    "action": "send",
                    "sender": member.userid if n % 3 else "wmX",
                    "text": text,
                    # ties: every four messages share a time, to the millisecond
                    "msgtime": base + timedelta(minutes=n // 4, microseconds=(n // 4) * 1000),
                    "recalled": n % 11 == 0,
                    "conversation_id": (cls.chat_ax if member == cls.a else cls.chat_b).id,
                    "member_ids": [Command.set(member.ids)],
                }
            )
        vals.append(  # a text longer than the index takes: checked exactly anyway
            {
                "corp_id": cls.corp.id,
                "company_id": cls.corp.company_id.id,
                "msgid": "search-long",
                "state": "done",
                "msgtype": "text",
                "text": "长" * 25000 + "私下转账" + "\uffff返点",
                "msgtime": base - timedelta(days=1),
                "conversation_id": cls.chat_ax.id,
                "member_ids": [Command.set(cls.a.ids)],
            }
        )
        cls.messages = cls.env["wecom.message"].with_context(wecom_pipeline=True).create(vals)
        cls.env.flush_all()
        cls.scoped = new_test_user(
            cls.env,
            login="search_scoped",
            groups="base.group_user,wecom_archive.group_wecom_archive_admin",
        )
        cls.scoped.wecom_scope_member_ids = cls.a
        cls.super = new_test_user(
            cls.env,
            login="search_super",
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
            }
        )

    @classmethod
    def _chat(cls, key, kind, members, contact=None, group=None):
        return cls.env["wecom.conversation"].create(
            {
                "corp_id": cls.corp.id,
                "company_id": cls.corp.company_id.id,
                "key": key,
                "kind": kind,
                "member_ids": [Command.set(members.ids)],
                "contact_id": contact.id if contact else False,
                "group_id": group.id if group else False,
                "roomid": group.roomid if group else False,
            }
        )

    # -- helpers -----------------------------------------------------------------------------
    def _all(self, user, query, page=50, **filters):
        """Every page of a search, as ids in order, checking each row's snippet."""
        Message = self.env["wecom.message"].with_user(user)
        ids, cursor = [], None
        while True:
            answer = Message.search_messages(query, cursor=cursor, limit=page, **filters)
            for row in answer["results"]:
                self.assertLessEqual(len(row["snippet"]), len(query.strip()) + 62)
                self.assertTrue(row["highlights"], row)
                for start, end in row["highlights"]:
                    self.assertEqual(row["snippet"][start:end].lower(), query.strip().lower(), row)
            ids += [row["id"] for row in answer["results"]]
            cursor = answer["next_cursor"]
            if not cursor:
                return ids
            self.assertEqual(len(answer["results"]), page)

    def _expected(self, query, messages=None):
        keyword = query.strip().lower()
        found = (messages or self.messages).filtered(lambda m: keyword in m.text.lower())
        return sorted(found, key=lambda m: (m.msgtime, m.id), reverse=True)

    def _ids(self, records):
        return [r.id for r in records]

    # -- tests -------------------------------------------------------------------------------
    def test_equals_substring_match(self):
        for keyword in KEYWORDS:
            with self.subTest(keyword=keyword):
                expected = self._expected(keyword)
                self.assertEqual(self._all(self.super, keyword), self._ids(expected))
        # every 2-, 3- and 4-character window of the texts finds what a substring test finds
        rng = random.Random(3)
        texts = [m.text for m in self.messages if len(m.text) < 200]
        for _ in range(60):
            text = rng.choice(texts)
            size = rng.choice((2, 3, 4))
            start = rng.randrange(0, max(1, len(text) - size))
            keyword = text[start : start + size]
            if len(keyword.strip()) < 2:
                continue
            with self.subTest(keyword=keyword):
                expected = self._ids(self._expected(keyword))
                self.assertEqual(self._all(self.super, keyword), expected)
                self.assertTrue(expected)

    def test_list_search_box_uses_the_bigrams(self):
        """The message list's search box (a text ``ilike`` domain, through the ORM) finds
        what the plain ILIKE finds (Odoo's ``%value%``, its wildcards included), long texts
        and any case included, through the bigram index; one character or Odoo's
        wildcards keep the plain ILIKE."""
        Message = self.env["wecom.message"].with_user(self.super)
        domain, hits = [("corp_id", "=", self.corp.id)], 0
        for keyword in (*KEYWORDS, "PLEASE 转账", "返点", "好"):
            with self.subTest(keyword=keyword):
                found = Message.search([*domain, ("text", "ilike", keyword)])
                self.env.cr.execute(
                    "SELECT id FROM wecom_message WHERE corp_id = %s AND text ILIKE %s",
                    [self.corp.id, f"%{keyword}%"],
                )
                expected = {row[0] for row in self.env.cr.fetchall()}
                self.assertEqual(set(found.ids), expected)
                hits += bool(expected)
        self.assertGreater(hits, 15, "most keywords are found")
        for keyword, uses_bigrams in (("私下转账", True), ("好", False), ("私下%账", False)):
            with self.subTest(keyword=keyword):
                query = Message._search([*domain, ("text", "ilike", keyword)])
                sql = query.select().code
                self.assertEqual("search_bigrams" in sql, uses_bigrams, sql)
        wildcard = Message.search([*domain, ("text", "ilike", "私下%账")])
        self.assertIn(self.messages.filtered(lambda m: m.msgid == "search-long").id, wildcard.ids)
        self.env.cr.execute(
            "SELECT 1 FROM pg_indexes WHERE indexname = 'wecom_message__text_index'"
        )
        self.assertFalse(self.env.cr.fetchone(), "the trigram index is gone")

    def test_long_text_and_case(self):
        long = self.messages.filtered(lambda m: m.msgid == "search-long")
        self.assertIn(long.id, self._all(self.super, "私下转账"))
        self.assertIn(long.id, self._all(self.super, "返点"))
        upper = self._all(self.super, "PLEASE 转账")
        self.assertEqual(upper, self._all(self.super, "please 转账"))
        self.assertTrue(upper)

    def test_snippet(self):
        answer = self.env["wecom.message"].with_user(self.super).search_messages("私下转账")
        long = next(r for r in answer["results"] if r["snippet"].startswith("…"))
        self.assertEqual(long["snippet"], "…" + "长" * 30 + "私下转账\uffff返点")
        self.assertEqual(long["highlights"], [[31, 35]])
        plain = next(r for r in answer["results"] if r["id"] != long["id"])
        self.assertEqual(plain["snippet"][slice(*plain["highlights"][0])], "私下转账")
        self.assertIn(plain["sender_name"], ("艾伦", "白雪", "许先生"))
        self.assertTrue(plain["conversation_name"])

    def test_paging_across_ties(self):
        expected = self._ids(self._expected("好的"))
        self.assertGreater(len(expected), 30)
        for page in (1, 3, 4, 7):
            with self.subTest(page=page):
                self.assertEqual(self._all(self.super, "好的", page=page), expected)

    def test_filters(self):
        cases = [
            ({"member_id": self.a.id}, lambda m: self.a in m.member_ids),
            ({"contact_id": self.x.id}, lambda m: m.conversation_id == self.chat_ax),
            ({"group_id": self.g.id}, lambda m: m.conversation_id == self.chat_b),
            ({"msgtype": "chatrecord"}, lambda m: m.msgtype == "chatrecord"),
            ({"recalled_only": True}, lambda m: m.recalled),
            (
                {"date_from": "2026-03-01 09:00:00", "date_to": "2026-03-01"},
                lambda m: datetime(2026, 3, 1, 9) <= m.msgtime < datetime(2026, 3, 2),
            ),
        ]
        for keyword in ("好的", "转账", "发票"):
            for filters, keep in cases:
                with self.subTest(keyword=keyword, filters=filters):
                    expected = self._ids(self._expected(keyword, self.messages.filtered(keep)))
                    self.assertEqual(self._all(self.super, keyword, page=7, **filters), expected)

    def test_scoped_admin_sees_only_scope(self):
        in_scope = self.messages.filtered(lambda m: self.a in m.member_ids)
        self.assertLess(len(in_scope), len(self.messages))
        for keyword in ("好的", "转账", "私下转账", "发票", "pc"):
            with self.subTest(keyword=keyword):
                expected = self._ids(self._expected(keyword, in_scope))
                self.assertEqual(self._all(self.scoped, keyword, page=9), expected)

    def test_masked_values_found_only_with_the_right(self):
        """A keyword only inside masked spans (a phone number's digits) is no hit to a user
        without the right 查看敏感信息原文: pages stay full and the cursor right."""
        base = datetime(2026, 4, 1, 8, 0, 0)
        texts = [f"客户电话 13812345678 第{n}条" for n in range(12)]
        texts[3] = "订单号 12345678 已发货"
        texts[8] = "13812345678 或订单12345678"
        texts[10] = "订单 12345678 已签收"
        messages = (
            self.env["wecom.message"]
            .with_context(wecom_pipeline=True)
            .create(
                [
                    {
                        "corp_id": self.corp.id,
                        "company_id": self.corp.company_id.id,
                        "msgid": f"masked-{n}",
                        "state": "done",
                        "msgtype": "text",
                        "action": "send",
                        "sender": self.a.userid,
                        "text": text,
                        "msgtime": base + timedelta(minutes=n),
                        "conversation_id": self.chat_ax.id,
                        "member_ids": [Command.set(self.a.ids)],
                    }
                    for n, text in enumerate(texts)
                ]
            )
        )
        newest_first = messages.ids[::-1]
        shown = [messages[n].id for n in (10, 8, 3)]
        for page in (1, 2, 5):
            with self.subTest(page=page):
                self.assertEqual(self._all(self.super, "12345678", page=page), shown)
                self.assertEqual(self._all(self.scoped, "12345678", page=page), shown)
        # the one with both: only the visible order number is highlighted
        answer = self.env["wecom.message"].with_user(self.super).search_messages("12345678")
        both = next(row for row in answer["results"] if row["id"] == messages[8].id)
        self.assertEqual(both["snippet"], "138****5678 或订单12345678")
        self.assertEqual(both["highlights"], [[15, 23]])
        # a holder of the right finds them all (snippets masked all the same)
        reader = new_test_user(
            self.env,
            login="search_reader",
            groups="base.group_user,wecom_archive.group_wecom_archive_super,"
            "wecom_archive.group_wecom_sensitive_view",
        )
        Message = self.env["wecom.message"].with_user(reader)
        answer = Message.search_messages("12345678", limit=5)
        self.assertEqual([row["id"] for row in answer["results"]], newest_first[:5])
        self.assertEqual(answer["results"][0]["snippet"], "客户电话 138****5678 第11条")
        answer = Message.search_messages("12345678", cursor=answer["next_cursor"], limit=50)
        self.assertEqual([row["id"] for row in answer["results"]], newest_first[5:])

    def test_refuses_short_queries_and_logs(self):
        Message = self.env["wecom.message"].with_user(self.super)
        for query in ("转", " 转 ", "", "a", None):
            with self.subTest(query=query), self.assertRaises(UserError):
                Message.search_messages(query)
        Log = self.env["wecom.access.log"].sudo()
        before = Log.search_count([])
        first = Message.search_messages("好的", limit=5)
        Message.search_messages("好的", limit=5, cursor=first["next_cursor"])
        self.assertEqual(Log.search_count([]), before + 1)
