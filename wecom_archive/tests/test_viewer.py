"""The chat viewer's server side (wecom.viewer), on a corp fed through the real pipeline:
every region's answer, keyset paging across ties, names, media links, violations, and
what a scoped archive admin may see."""

import json
import random

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from ..lib.tests.samples import SAMPLES
from .common import WecomCase, key_pair

T = 1_767_225_600_000  # 2026-01-01 00:00:00 UTC, in ms
AILUN, BAIXUE, CHENCHEN, DINGDING = "ailun", "baixue", "chenchen", "dingding"
X, Y = "wmViewerX0000001", "wmViewerY0000001"  # 许先生, and a customer never synced
ROOM, ROOM_UNSYNCED = "wrViewerG1", "wrViewerNoName"
SWITCH = next(s for s in SAMPLES if s.get("action") == "switch")


def text(msgid, second, sender, to, content, roomid=""):
    return {
        "msgid": msgid,
        "action": "send",
        "from": sender,
        "tolist": to,
        "roomid": roomid,
        "msgtime": T + second,
        "msgtype": "text",
        "text": {"content": content},
    }


def corpus(amr):
    """(messages, media). Chat A (艾伦 ↔ 许先生): 30 texts sharing their time three by three
    (distinct seq), three of them with 转账, then a voice and a mixed message."""
    chat_a = [
        text(
            f"a{n}",
            (n // 3) * 1000,
            AILUN if n % 2 else X,
            [X] if n % 2 else [AILUN],
            f"私下转账 {n}" if n in (4, 13, 22) else f"消息 {n}",
        )
        for n in range(30)
    ]
    voice = dict(
        SAMPLES[2],
        msgid="a-voice",
        tolist=[X],
        msgtime=T + 20_000,
        voice={"sdkfileid": "v1", "voice_size": len(amr), "play_length": 2, "md5sum": ""},
    )
    mixed = next(s for s in SAMPLES if s["msgtype"] == "mixed")  # 看下这个图 + image mix01
    mixed = dict(mixed, msgid="a-mixed", tolist=[X], msgtime=T + 21_000)
    for message in (voice, mixed):
        message["from"] = AILUN
    messages = [
        *chat_a,
        voice,
        mixed,
        text("b1", 30_000, AILUN, [Y], "您好"),
        text("b2", 31_000, Y, [AILUN], "在吗"),
        text("c1", 40_000, AILUN, [BAIXUE], "你好"),
        text("c2", 41_000, BAIXUE, [AILUN], "转账的事"),
        text("c3", 42_000, AILUN, [BAIXUE], "好"),
        text("d1", 50_000, AILUN, [BAIXUE, X], "大家好", ROOM),
        text("d2", 51_000, X, [AILUN, BAIXUE], "私下转账可以吗", ROOM),
        text("d3", 52_000, BAIXUE, [AILUN, X], "不行", ROOM),
        text("d4", 52_000, X, [AILUN, BAIXUE], "好吧", ROOM),
        text("e1", 60_000, CHENCHEN, [AILUN], "测试", ROOM_UNSYNCED),
        text("f1", 70_000, BAIXUE, [X], "您好"),
        text("f2", 71_000, X, [BAIXUE], "转账给你"),
        text("g1", 80_000, CHENCHEN, [Y], "hi"),
        SWITCH,
        # encrypted with a key version the corp does not have: stored as no_key
        "2\t" + json.dumps(text("fail1", 90_000, AILUN, [X], "看不到")),
    ]
    return messages, {"v1": amr, "mix01": b"\xff\xd8\xff-image!"}


@tagged("post_install", "-at_install")
class TestViewer(WecomCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["wecom.corp.key"].create(
            {"corp_id": cls.corp.id, "version": 1, "private_key": key_pair(1)[0]}
        )
        cls.env["wecom.keyword.rule"].search([]).active = False
        cls.rule = cls.env["wecom.keyword.rule"].create(
            {"name": "私下交易", "category": "私下交易监控", "words_input": "转账"}
        )
        Department = cls.env["wecom.department"]
        root = Department.create({"corp_id": cls.corp.id, "department_id": 1, "name": "看板总部"})
        cls.sales = Department.create(
            {"corp_id": cls.corp.id, "department_id": 2, "name": "看板销售部", "parent_id": root.id}
        )
        cls.support = Department.create(
            {"corp_id": cls.corp.id, "department_id": 3, "name": "看板客服部", "parent_id": root.id}
        )
        cls.a = cls._member(AILUN, "艾伦", cls.sales, "archiving", position="销售经理")
        cls.b = cls._member(BAIXUE, "白雪", cls.support, "archiving")
        cls.c = cls._member(CHENCHEN, False, cls.sales, "archived")  # not synced yet
        cls.d = cls._member(DINGDING, "丁丁", cls.sales, "none")
        cls.a.main_department_id = cls.sales
        cls.x = cls.env["wecom.contact"].create(
            {
                "corp_id": cls.corp.id,
                "external_userid": X,
                "name": "许先生",
                "corp_name": "许氏贸易",
                "contact_type": "1",
                "add_way": "1",
                "description": "老客户",
            }
        )
        cls.group = cls.env["wecom.group"].create(
            {
                "corp_id": cls.corp.id,
                "roomid": ROOM,
                "name": "华东客户群",
                "owner_id": cls.b.id,
                "notice": "群公告",
                "line_ids": [
                    Command.create({"party": AILUN, "member_id": cls.a.id}),
                    Command.create(
                        {
                            "party": X,
                            "contact_id": cls.x.id,
                            "external": True,
                            "join_time": "2025-06-01 08:00:00",
                        }
                    ),
                    Command.create(
                        {
                            "party": BAIXUE,
                            "member_id": cls.b.id,
                            "active": False,
                            "left_on": "2025-12-01 09:00:00",
                        }
                    ),
                ],
            }
        )
        rng = random.Random(5)
        amr = b"#!AMR\n" + b"".join(b"\x3c" + rng.randbytes(31) for _ in range(100))
        messages, media = corpus(amr)
        cls.build_corpus(messages, versions=(1, 2), media=media)
        cls.corp._pull()
        cls.env["wecom.message"]._cron_download_media(time_budget=30)
        cls.y = cls.env["wecom.contact"].search([("external_userid", "=", Y)])
        Follow = cls.env["wecom.contact.follow"]
        Follow.create({"contact_id": cls.x.id, "member_id": cls.a.id, "remark": "老许"})
        Follow.create(
            {
                "contact_id": cls.x.id,
                "member_id": cls.b.id,
                "state": "former",
                "removed_on": "2025-11-01 10:00:00",
            }
        )
        Follow.create({"contact_id": cls.y.id, "member_id": cls.a.id, "state": "former"})
        cls.msg = {
            m.msgid: m for m in cls.env["wecom.message"].search([("corp_id", "=", cls.corp.id)])
        }
        cls.chat = {
            key: cls.msg[msgid].conversation_id
            for key, msgid in (
                ("A", "a0"),
                ("B", "b1"),
                ("C", "c1"),
                ("D", "d1"),
                ("E", "e1"),
                ("F", "f1"),
                ("G", "g1"),
            )
        }
        cls.scoped = new_test_user(
            cls.env,
            login="viewer_scoped",
            groups="base.group_user,wecom_archive.group_wecom_archive_admin",
        )
        cls.scoped.wecom_scope_department_ids = cls.sales
        cls.super = new_test_user(
            cls.env,
            login="viewer_super",
            groups="base.group_user,wecom_archive.group_wecom_archive_super",
        )

    @classmethod
    def _member(cls, userid, name, department, status, position=False):
        return cls.env["wecom.member"].create(
            {
                "corp_id": cls.corp.id,
                "userid": userid,
                "name": name,
                "position": position,
                "department_ids": [Command.set(department.ids)],
                "archive_status": status,
            }
        )

    def viewer(self, user=None):
        return self.env["wecom.viewer"].with_user(user or self.super)

    def expected(self, chat):
        """The chat's messages in time order, as msgids."""
        messages = self.env["wecom.message"].search([("conversation_id", "=", chat.id)])
        return [m.msgid for m in messages.sorted(lambda m: (m.msgtime, m.seq))]

    def walk(self, first, next_page, more):
        """``first`` and the pages after it while ``more(page)``: a cursor that does not
        move fails the test instead of looping."""
        pages = [first]
        while more(pages[-1]):
            self.assertLess(len(pages), 100, "the cursor does not move")
            pages.append(next_page(pages[-1]))
        return pages

    # -- the thread --------------------------------------------------------------------------
    def test_thread_pages_both_ways_across_ties(self):
        chat = self.chat["A"]
        expected = self.expected(chat)
        self.assertEqual(len(expected), 32)
        Viewer = self.viewer()

        def follow(direction, limit):
            def next_page(page):
                edge = page["messages"][-1 if direction == "after" else 0]
                return Viewer.thread(
                    chat.id,
                    cursor=[edge["msgtime"], edge["seq"]],
                    direction=direction,
                    limit=limit,
                )

            return next_page

        def msgids(pages):
            return [m["msgid"] for page in pages for m in page["messages"]]

        at = expected.index("a13")
        middle = Viewer.thread(chat.id, limit=40)["messages"][at]
        cursor = [middle["msgtime"], middle["seq"]]  # a13 shares its time with a12 and a14
        for limit in (1, 3, 4, 7, 40):
            with self.subTest(limit=limit):
                first = Viewer.thread(chat.id, limit=limit)
                self.assertFalse(first["has_after"])
                pages = self.walk(first, follow("before", limit), lambda p: p["has_before"])
                self.assertTrue(all(page["has_after"] for page in pages[1:]))
                self.assertEqual(msgids(reversed(pages)), expected)
                # from the middle (a tie), forwards to the end, and backwards to the start
                after = Viewer.thread(chat.id, cursor=cursor, direction="after", limit=limit)
                self.assertTrue(after["has_before"], "the side the cursor came from")
                pages = self.walk(after, follow("after", limit), lambda p: p["has_after"])
                self.assertEqual(msgids(pages), expected[at + 1 :])
                before = Viewer.thread(chat.id, cursor=cursor, direction="before", limit=limit)
                self.assertTrue(before["has_after"], "the side the cursor came from")
                pages = self.walk(before, follow("before", limit), lambda p: p["has_before"])
                self.assertEqual(msgids(reversed(pages)), expected[:at])

    def test_thread_message_rows(self):
        page = self.viewer().thread(self.chat["A"].id, member_id=self.a.id, limit=40)
        by_msgid = {m["msgid"]: m for m in page["messages"]}
        first = by_msgid["a0"]
        self.assertEqual(first["msgtime"], "2026-01-01 00:00:00")
        self.assertEqual((first["sender"], first["sender_name"]), (X, "许先生"))
        self.assertFalse(first["unsynced"])
        self.assertFalse(first["mine"])
        self.assertTrue(by_msgid["a1"]["mine"])
        self.assertEqual(first["card"]["kind"], "text")
        self.assertEqual(first["card"]["text"], "消息 0")
        self.assertFalse(first["recalled"])
        self.assertEqual(first["violations"], [])
        [hit] = by_msgid["a4"]["violations"]
        self.assertEqual(hit["rule"], "私下交易")
        self.assertEqual((hit["severity"], hit["words"], hit["state"]), ("medium", "转账", "new"))
        card_text = by_msgid["a4"]["card"]["text"]
        self.assertEqual([card_text[a:b] for a, b in hit["spans"]], ["转账"])
        # without the employee: the employees' side is "mine" in a customer chat …
        page = self.viewer().thread(self.chat["A"].id, limit=2)
        self.assertEqual([m["mine"] for m in page["messages"]], [True, True])  # voice, mixed
        self.assertEqual(page["messages"][0]["sender_name"], "艾伦")
        # … and the first member's in an internal chat; a group from one member's side
        internal = self.viewer().thread(self.chat["C"].id)["messages"]
        self.assertEqual([m["mine"] for m in internal], [True, False, True])
        group = self.viewer().thread(self.chat["D"].id, member_id=self.b.id)["messages"]
        self.assertEqual([m["mine"] for m in group], [False, False, True, False])
        # an id never synced is shown as it is, marked
        [_b1, b2] = self.viewer().thread(self.chat["B"].id)["messages"]
        self.assertEqual((b2["sender_name"], b2["unsynced"]), (Y, True))

    def test_thread_violations_only_and_access_log(self):
        Log = self.env["wecom.access.log"]
        before = Log.search_count([("action", "=", "open_chat")])
        Viewer = self.viewer()
        page = Viewer.thread(self.chat["A"].id, violations_only=True, limit=2)
        self.assertEqual([m["msgid"] for m in page["messages"]], ["a13", "a22"])
        self.assertTrue(page["has_before"])
        first = page["messages"][0]
        page = Viewer.thread(
            self.chat["A"].id,
            cursor=[first["msgtime"], first["seq"]],
            violations_only=True,
            limit=2,
        )
        self.assertEqual([m["msgid"] for m in page["messages"]], ["a4"])
        self.assertEqual((page["has_before"], page["has_after"]), (False, True))
        # the viewer's "next violation": one message after a cursor
        a4 = page["messages"][0]
        page = Viewer.thread(
            self.chat["A"].id,
            cursor=[a4["msgtime"], a4["seq"]],
            direction="after",
            violations_only=True,
            limit=1,
        )
        self.assertEqual([m["msgid"] for m in page["messages"]], ["a13"])
        self.assertTrue(page["has_after"])
        logged = Log.search([("action", "=", "open_chat")], order="id desc")
        self.assertEqual(len(logged), before + 1, "one row per opening, none per page")
        self.assertEqual(
            (logged[0].conversation_id, logged[0].user_id), (self.chat["A"], self.super)
        )

    def test_media_links(self):
        messages = {
            m["msgid"]: m for m in self.viewer().thread(self.chat["A"].id, limit=2)["messages"]
        }
        voice, mixed = self.msg["a-voice"], self.msg["a-mixed"]
        self.assertTrue(voice.playable_attachment_id)
        media = messages["a-voice"]["card"]["media"]
        url = f"/wecom_archive/media/{voice.id}"
        self.assertEqual(media["url"], url)
        self.assertEqual(media["play_url"], f"{url}?play=1")
        self.assertEqual(media["download_url"], f"{url}?download=1")
        self.assertEqual((media["state"], media["error"]), ("done", ""))
        self.assertEqual(media["size"], voice.media_size)
        self.assertEqual(media["mimetype"], voice.attachment_id.mimetype)
        self.assertEqual(media["kind"], "voice")
        card = messages["a-mixed"]["card"]
        self.assertIsNone(card["media"])
        image = next(child for child in card["children"] if child["kind"] == "image")
        part = mixed.media_part_ids
        self.assertEqual(part.sequence, 1)
        self.assertEqual(image["media"]["url"], f"/wecom_archive/media/{mixed.id}/1")
        self.assertEqual(image["media"]["play_url"], "")
        self.assertEqual(
            image["media"]["download_url"], f"/wecom_archive/media/{mixed.id}/1?download=1"
        )
        self.assertEqual((image["media"]["state"], image["media"]["size"]), ("done", 10))
        self.assertEqual(image["media"]["mimetype"], part.attachment_id.mimetype)

    # -- context ------------------------------------------------------------------------------
    def test_context(self):
        expected = self.expected(self.chat["A"])
        Viewer = self.viewer()
        target = self.msg["a13"]
        answer = Viewer.context(target.id, member_id=self.a.id, around=3)
        at = expected.index("a13")
        self.assertEqual([m["msgid"] for m in answer["messages"]], expected[at - 3 : at + 4])
        self.assertEqual(answer["target_id"], target.id)
        self.assertTrue(answer["has_before"] and answer["has_after"])
        self.assertEqual(answer["conversation"]["id"], self.chat["A"].id)
        self.assertEqual(answer["conversation"]["name"], "许先生")
        self.assertTrue(answer["messages"][3]["violations"])
        near_start = Viewer.context(self.msg["a1"].id, around=3)
        self.assertEqual([m["msgid"] for m in near_start["messages"]], expected[:5])
        self.assertEqual((near_start["has_before"], near_start["has_after"]), (False, True))
        near_end = Viewer.context(self.msg["a-mixed"].id, around=3)
        self.assertEqual([m["msgid"] for m in near_end["messages"]], expected[-4:])
        self.assertEqual((near_end["has_before"], near_end["has_after"]), (True, False))
        # a record still waiting for its key: alone, as the failed placeholder
        failed = self.msg["fail1"]
        self.assertEqual(failed.state, "no_key")
        answer = Viewer.context(failed.id)
        self.assertFalse(answer["conversation"])
        [message] = answer["messages"]
        self.assertEqual(message["id"], failed.id)
        self.assertEqual(message["card"]["kind"], "failed")
        self.assertTrue(message["card"]["failed"])
        self.assertFalse(message["msgtime"])
        self.assertFalse(answer["has_before"] or answer["has_after"])
        switch = Viewer.context(self.msg[SWITCH["msgid"]].id)
        self.assertFalse(switch["conversation"])
        self.assertEqual(switch["messages"][0]["card"]["kind"], "switch")

    # -- chats ---------------------------------------------------------------------------------
    def test_chats_per_tab(self):
        Viewer = self.viewer()
        answer = Viewer.chats(self.a.id, "external")
        self.assertEqual(answer["counts"], {"external": 2, "internal": 1, "group": 2})
        self.assertIsNone(answer["next_cursor"])
        b, a = answer["chats"]  # newest first
        self.assertEqual((a["id"], b["id"]), (self.chat["A"].id, self.chat["B"].id))
        self.assertEqual((a["name"], a["corp_name"], a["unsynced"]), ("许先生", "许氏贸易", False))
        self.assertEqual((a["message_count"], a["last_msgtime"]), (32, "2026-01-01 00:00:21"))
        self.assertEqual((a["preview"], a["preview_sender"]), ("看下这个图 [图片]", "艾伦"))
        self.assertEqual((b["name"], b["unsynced"]), (Y, True))
        self.assertNotIn("corp_name", b)
        self.assertEqual((b["preview"], b["preview_sender"]), ("在吗", Y))
        [internal] = Viewer.chats(self.a.id, "internal")["chats"]
        self.assertEqual((internal["name"], internal["kind"]), ("白雪", "internal"))
        self.assertEqual(internal["preview"], "好")
        [colleague] = Viewer.chats(self.b.id, "internal")["chats"]
        self.assertEqual(colleague["name"], "艾伦", "named from the employee's side")
        groups = Viewer.chats(self.a.id, "group")["chats"]
        label = dict(
            self.env["wecom.conversation"]._fields["kind"]._description_selection(self.env)
        )
        self.assertEqual(
            [(g["name"], g["unsynced"]) for g in groups],
            [(f"{label['group']} ({ROOM_UNSYNCED})", True), ("华东客户群", False)],
        )
        self.assertEqual((groups[0]["preview"], groups[0]["preview_sender"]), ("测试", CHENCHEN))
        self.assertEqual(groups[1]["preview_sender"], "许先生")
        # searched by the other party's name
        found = Viewer.chats(self.a.id, "external", search="许")
        self.assertEqual([c["id"] for c in found["chats"]], [self.chat["A"].id])
        self.assertEqual(found["counts"]["external"], 2, "counts ignore the search")
        self.assertEqual(
            [c["id"] for c in Viewer.chats(self.a.id, "internal", search="白")["chats"]],
            [self.chat["C"].id],
        )
        self.assertFalse(Viewer.chats(self.a.id, "internal", search="艾伦")["chats"])
        self.assertEqual(len(Viewer.chats(self.a.id, "group", search="华东")["chats"]), 1)
        self.assertEqual(len(Viewer.chats(self.a.id, "group", search="NoName")["chats"]), 1)
        # keyset pages: one chat at a time, none lost
        for kind in ("external", "group"):
            pages = self.walk(
                Viewer.chats(self.a.id, kind, limit=1),
                lambda page, kind=kind: Viewer.chats(
                    self.a.id, kind, cursor=page["next_cursor"], limit=1
                ),
                lambda page: page["next_cursor"],
            )
            walked = [c["id"] for page in pages for c in page["chats"]]
            self.assertEqual(walked, [c["id"] for c in Viewer.chats(self.a.id, kind)["chats"]])
            self.assertEqual(len(walked), 2)

    # -- employees -----------------------------------------------------------------------------
    def test_employees(self):
        Viewer = self.viewer()
        answer = Viewer.employees()
        rows = answer["employees"]
        # archiving first, then formerly archived; by name as the database sorts them
        self.env.cr.execute("SELECT %s < %s", ["艾伦", "白雪"])
        archiving = [self.a.id, self.b.id] if self.env.cr.fetchone()[0] else [self.b.id, self.a.id]
        self.assertEqual([r["id"] for r in rows], [*archiving, self.c.id])
        self.assertEqual(answer["total"], 3)
        self.assertIsNone(answer["next_cursor"])
        ailun = next(r for r in rows if r["id"] == self.a.id)
        chenchen = rows[2]
        labels = dict(
            self.env["wecom.member"]._fields["archive_status"]._description_selection(self.env)
        )
        self.assertEqual(
            ailun,
            {
                "id": self.a.id,
                "name": "艾伦",
                "userid": AILUN,
                "unsynced": False,
                "department": "看板销售部",
                "position": "销售经理",
                "archive_status": "archiving",
                "status_label": labels["archiving"],
                "last_msgtime": "2026-01-01 00:01:00",  # the unnamed group, where 陈晨 wrote
            },
        )
        self.assertEqual((chenchen["name"], chenchen["unsynced"]), (CHENCHEN, True))
        self.assertEqual(chenchen["status_label"], labels["archived"])
        self.assertEqual(chenchen["department"], "看板销售部", "no main department: the first")
        # by a department's name, a name or a userid
        for search, expected in (("客服", [self.b]), ("艾", [self.a]), ("chen", [self.c])):
            with self.subTest(search=search):
                found = Viewer.employees(search=search)
                self.assertEqual([r["id"] for r in found["employees"]], [m.id for m in expected])
                self.assertEqual(found["total"], len(expected))
        self.assertEqual(Viewer.employees(search="看板销售")["total"], 2)
        # keyset pages
        pages = self.walk(
            Viewer.employees(limit=1),
            lambda page: Viewer.employees(cursor=page["next_cursor"], limit=1),
            lambda page: page["next_cursor"],
        )
        self.assertEqual(
            [r["id"] for page in pages for r in page["employees"]], [*archiving, self.c.id]
        )
        self.assertEqual({page["total"] for page in pages}, {3})

    def test_employee_stats(self):
        # 艾伦: follows 许先生 now (杨's follow is former); chats A 32 + B 2 + C 3 + D 4 + E 1
        # messages; groups D, E; customer chats A, B; violations a4, a13, a22, c2, d2.
        self.assertEqual(
            self.viewer().employee_stats(self.a.id),
            {"customers": 1, "messages": 42, "groups": 2, "private_chats": 2, "violations": 5},
        )
        # 白雪: no current customer; chats C 3 + D 4 + F 2; violations c2, d2, f2.
        self.assertEqual(
            self.viewer().employee_stats(self.b.id),
            {"customers": 0, "messages": 9, "groups": 1, "private_chats": 1, "violations": 3},
        )

    # -- the side panel ------------------------------------------------------------------------
    def test_panel_external(self):
        panel = self.viewer().panel(self.chat["A"].id, member_id=self.a.id)
        self.assertEqual(panel["kind"], "external")
        contact = panel["contact"]
        Contact = self.env["wecom.contact"]

        def label(field, value):
            return dict(Contact._fields[field]._description_selection(self.env))[value]

        self.assertEqual(
            {k: v for k, v in contact.items() if k != "followers"},
            {
                "id": self.x.id,
                "name": "许先生",
                "unsynced": False,
                "corp_name": "许氏贸易",
                "account": label("contact_type", "1"),
                "added_on": False,
                "source": label("add_way", "1"),
                "description": "老客户",
                "consent": label("consent_status", "unknown"),
                "consent_status": "unknown",
                "consent_time": False,
                "session": label("session_status", self.x.session_status),
                "session_status": self.x.session_status,
                "partner": False,
            },
        )
        states = dict(
            self.env["wecom.contact.follow"]._fields["state"]._description_selection(self.env)
        )
        self.assertEqual(
            [
                (f["member_id"], f["name"], f["remark"], f["state"], f["state_label"])
                for f in contact["followers"]
            ],
            [
                (self.a.id, "艾伦", "老许", "current", states["current"]),
                (self.b.id, "白雪", "", "former", states["former"]),
            ],
        )
        self.assertEqual(contact["followers"][1]["deleted_on"], "2025-11-01 10:00:00")
        self.x.action_create_partner()
        partner = self.viewer().panel(self.chat["A"].id)["contact"]["partner"]
        self.assertEqual(partner, {"id": self.x.partner_id.id, "name": "许先生"})
        unsynced = self.viewer().panel(self.chat["B"].id)["contact"]
        self.assertEqual((unsynced["name"], unsynced["unsynced"]), (Y, True))

    def test_panel_group_and_internal(self):
        panel = self.viewer().panel(self.chat["D"].id)
        self.assertEqual(panel["kind"], "group")
        group = panel["group"]
        self.assertEqual(
            (group["id"], group["name"], group["unsynced"], group["owner"], group["notice"]),
            (self.group.id, "华东客户群", False, "白雪", "群公告"),
        )
        self.assertFalse(group["dismissed"])
        Line = self.env["wecom.group.member"]
        member_label = Line._fields["member_id"]._description_string(self.env)
        customer_label = Line._fields["contact_id"]._description_string(self.env)
        self.assertEqual(
            [(m["name"], m["type"], m["type_label"], m["left"]) for m in group["members"]],
            [
                ("许先生", "customer", customer_label, False),
                ("艾伦", "member", member_label, False),
                ("白雪", "member", member_label, True),
            ],
        )
        self.assertEqual(group["members"][0]["joined_on"], "2025-06-01 08:00:00")
        self.assertEqual(group["members"][2]["left_on"], "2025-12-01 09:00:00")
        self.assertEqual((group["member_count"], group["left_count"]), (2, 1))
        unsynced = self.viewer().panel(self.chat["E"].id)["group"]
        self.assertFalse(unsynced["id"])
        self.assertTrue(unsynced["unsynced"])
        self.assertIn(ROOM_UNSYNCED, unsynced["name"])
        panel = self.viewer().panel(self.chat["C"].id, member_id=self.a.id)
        self.assertEqual(panel["kind"], "internal")
        labels = dict(
            self.env["wecom.member"]._fields["archive_status"]._description_selection(self.env)
        )
        self.assertEqual(
            panel["colleagues"],
            [
                {
                    "id": self.a.id,
                    "name": "艾伦",
                    "userid": AILUN,
                    "position": "销售经理",
                    "departments": ["看板销售部"],
                    "archive_status_label": labels["archiving"],
                },
                {
                    "id": self.b.id,
                    "name": "白雪",
                    "userid": BAIXUE,
                    "position": "",
                    "departments": ["看板客服部"],
                    "archive_status_label": labels["archiving"],
                },
            ],
        )

    def test_labels_in_chinese(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(["wecom_archive"], ["zh_CN"])
        Viewer = self.viewer().with_context(lang="zh_CN")
        labels = [r["status_label"] for r in Viewer.employees()["employees"]]
        self.assertEqual(labels, ["归档中", "归档中", "曾归档"])
        unnamed = Viewer.chats(self.a.id, "group")["chats"][0]
        self.assertEqual(unnamed["name"], f"群聊 ({ROOM_UNSYNCED})")
        group = Viewer.panel(self.chat["D"].id)["group"]
        self.assertEqual([m["type_label"] for m in group["members"]], ["客户", "员工", "员工"])
        contact = Viewer.panel(self.chat["A"].id)["contact"]
        self.assertEqual(contact["account"], "微信")
        self.assertEqual([f["state_label"] for f in contact["followers"]], ["当前", "曾经"])
        colleagues = Viewer.panel(self.chat["C"].id)["colleagues"]
        self.assertEqual(colleagues[0]["archive_status_label"], "归档中")

    # -- a scoped archive admin ------------------------------------------------------------------
    def test_scoped_admin(self):
        Viewer = self.viewer(self.scoped)
        # 销售部: 艾伦 and 陈晨 (丁丁 archives nothing); 白雪 is out of scope
        employees = Viewer.employees()
        self.assertEqual([r["id"] for r in employees["employees"]], [self.a.id, self.c.id])
        self.assertEqual(employees["total"], 2)
        self.assertEqual(
            Viewer.chats(self.a.id, "external")["counts"],
            {"external": 2, "internal": 1, "group": 2},
        )
        self.assertEqual(Viewer.employee_stats(self.a.id)["violations"], 5)
        # her chat with 艾伦 is in scope, and named after her; she is not listed as a colleague
        [internal] = Viewer.chats(self.a.id, "internal")["chats"]
        self.assertEqual(internal["name"], "白雪")
        self.assertEqual(len(Viewer.thread(self.chat["C"].id)["messages"]), 3)
        colleagues = Viewer.panel(self.chat["C"].id)["colleagues"]
        self.assertEqual([c["id"] for c in colleagues], [self.a.id])
        followers = Viewer.panel(self.chat["A"].id)["contact"]["followers"]
        self.assertEqual([f["member_id"] for f in followers], [self.a.id])
        group = Viewer.panel(self.chat["D"].id)["group"]
        self.assertEqual(group["owner"], "白雪")
        self.assertEqual(len(group["members"]), 3)
        # out of scope: her customer chat, its messages, and herself
        out = self.chat["F"]
        for call in (
            lambda: Viewer.thread(out.id),
            lambda: Viewer.panel(out.id),
            lambda: Viewer.context(self.msg["f2"].id),
            lambda: Viewer.context(self.msg["fail1"].id),
            lambda: Viewer.chats(self.b.id, "external"),
            lambda: Viewer.employee_stats(self.b.id),
            lambda: Viewer.thread(self.chat["A"].id, member_id=self.b.id),
        ):
            with self.assertRaises(AccessError):
                call()
