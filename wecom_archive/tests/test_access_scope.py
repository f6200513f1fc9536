"""Account permissions (账号权限): what a scoped archive admin and a super admin read, on
every read path, as real users — through the ORM and through HTTP."""

import base64
import io
import json
import re

import openpyxl

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, new_test_user, tagged

from .common import fake_sdk_library

ARCHIVED_MODELS = (
    "wecom.message",
    "wecom.conversation",
    "wecom.member",
    "wecom.contact",
    "wecom.contact.follow",
    "wecom.group",
    "wecom.group.member",
    "wecom.violation",
    "wecom.message.media",
)
PASSWORD = "scope-test-Passw0rd"


@tagged("post_install", "-at_install")
class TestAccessScope(HttpCase):
    """Company 1: departments 总部 → 销售部 → 华东销售, and 客服部. The scoped admin's scope is
    销售部 (with its subdepartment): members 艾伦 (华东销售) and 陈晨 (销售部) are in it, 白雪
    (客服部) is not. Company 2 has its own corp, invisible to both admins."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company2 = cls.env["res.company"].create({"name": "另一家公司"})
        cls.corp = cls._corp("wwscope000000001", cls.env.company)
        cls.corp2 = cls._corp("wwscope000000002", cls.company2)
        Department = cls.env["wecom.department"]
        root = Department.create({"corp_id": cls.corp.id, "department_id": 1, "name": "总部"})
        cls.sales = Department.create(
            {"corp_id": cls.corp.id, "department_id": 2, "name": "销售部", "parent_id": root.id}
        )
        cls.east = Department.create(
            {
                "corp_id": cls.corp.id,
                "department_id": 3,
                "name": "华东销售",
                "parent_id": cls.sales.id,
            }
        )
        cls.support = Department.create(
            {"corp_id": cls.corp.id, "department_id": 4, "name": "客服部", "parent_id": root.id}
        )
        cls.a = cls._member(cls.corp, "ailun", "艾伦", cls.east)
        cls.b = cls._member(cls.corp, "baixue", "白雪", cls.support)
        cls.c = cls._member(cls.corp, "chenchen", "陈晨", cls.sales)
        cls.d = cls._member(cls.corp2, "dingding", "丁丁")
        cls.x = cls._contact(cls.corp, "wmX", "许先生", follower=cls.a)
        cls.y = cls._contact(cls.corp, "wmY", "杨女士", follower=cls.b)
        cls.z = cls._contact(cls.corp2, "wmZ", "赵总", follower=cls.d)
        cls.rule = cls.env["wecom.keyword.rule"].create(
            {"name": "私下交易", "category": "私下交易监控", "words_input": "转账"}
        )
        cls.rule2 = (
            cls.env["wecom.keyword.rule"]
            .with_company(cls.company2)
            .create(
                {
                    "name": "私下交易",
                    "category": "私下交易监控",
                    "words_input": "转账",
                    "company_id": cls.company2.id,
                }
            )
        )
        cls.g1 = cls._group(cls.corp, "wrG1", "华东客户群", [cls.a, cls.x])
        cls.g2 = cls._group(cls.corp, "wrG2", "客服群", [cls.b, cls.y])
        cls.g3 = cls._group(cls.corp2, "wrG3", "别家群", [cls.d, cls.z])
        # (conversation, message, attachment, violation) per chat
        cls.chats = {
            "ax": cls._chat(cls.corp, "external", cls.a, contact=cls.x),
            "by": cls._chat(cls.corp, "external", cls.b, contact=cls.y),
            "ab": cls._chat(cls.corp, "internal", cls.a | cls.b),
            "g1": cls._chat(cls.corp, "group", cls.a, group=cls.g1),
            "g2": cls._chat(cls.corp, "group", cls.b, group=cls.g2),
            "dz": cls._chat(cls.corp2, "external", cls.d, contact=cls.z),
        }
        cls.scoped = new_test_user(
            cls.env,
            login="scoped_admin",
            password=PASSWORD,
            groups="base.group_user,base.group_allow_export,wecom_archive.group_wecom_archive_admin",
            name="范围管理员",
        )
        cls.scoped.wecom_scope_department_ids = cls.sales
        cls.super = new_test_user(
            cls.env,
            login="super_admin",
            password=PASSWORD,
            groups="base.group_user,base.group_allow_export,wecom_archive.group_wecom_archive_super",
            name="超级管理员",
        )
        in_chats = ("ax", "ab", "g1")
        all_chats = ("ax", "by", "ab", "g1", "g2")
        cls.expected = {
            "scoped": cls._records(in_chats, cls.a | cls.c, cls.x, cls.g1),
            "super": cls._records(all_chats, cls.a | cls.b | cls.c, cls.x | cls.y, cls.g1 | cls.g2),
        }
        # a record of each model no admin of company 1 may read
        cls.foreign = cls._records(("dz",), cls.d, cls.z, cls.g3)

    # -- fixtures ----------------------------------------------------------------------------
    @classmethod
    def _corp(cls, corpid, company):
        return cls.env["wecom.corp"].create(
            {
                "name": corpid,
                "corpid": corpid,
                "secret": "s",
                "company_id": company.id,
                "sdk_library_path": fake_sdk_library(),
            }
        )

    @classmethod
    def _member(cls, corp, userid, name, department=None):
        return cls.env["wecom.member"].create(
            {
                "corp_id": corp.id,
                "userid": userid,
                "name": name,
                "department_ids": [Command.set(department.ids if department else [])],
                "archive_status": "archiving",
            }
        )

    @classmethod
    def _contact(cls, corp, external_userid, name, follower):
        contact = cls.env["wecom.contact"].create(
            {"corp_id": corp.id, "external_userid": external_userid, "name": name}
        )
        cls.env["wecom.contact.follow"].create({"contact_id": contact.id, "member_id": follower.id})
        return contact

    @classmethod
    def _group(cls, corp, roomid, name, parties):
        return cls.env["wecom.group"].create(
            {
                "corp_id": corp.id,
                "roomid": roomid,
                "name": name,
                "line_ids": [
                    Command.create(
                        {
                            "party": p.userid if p._name == "wecom.member" else p.external_userid,
                            "member_id": p.id if p._name == "wecom.member" else False,
                            "contact_id": p.id if p._name == "wecom.contact" else False,
                            "external": p._name == "wecom.contact",
                        }
                    )
                    for p in parties
                ],
            }
        )

    @classmethod
    def _chat(cls, corp, kind, members, contact=None, group=None):
        parties = [
            *members.mapped("userid"),
            *(contact.mapped("external_userid") if contact else []),
        ]
        key = f"{kind}:{'-'.join(parties)}"
        chat = cls.env["wecom.conversation"].create(
            {
                "corp_id": corp.id,
                "company_id": corp.company_id.id,
                "key": key,
                "kind": kind,
                "member_ids": [Command.set(members.ids)],
                "contact_id": contact.id if contact else False,
                "group_id": group.id if group else False,
                "roomid": group.roomid if group else False,
            }
        )
        message = (
            cls.env["wecom.message"]
            .with_context(wecom_pipeline=True)
            .create(
                {
                    "corp_id": corp.id,
                    "company_id": corp.company_id.id,
                    "msgid": f"msg-{key}",
                    "state": "done",
                    "msgtype": "image",
                    "text": f"{key} 私下转账",
                    "conversation_id": chat.id,
                    "member_ids": [Command.set(members.ids)],
                    "media_state": "done",
                }
            )
        )
        attachment = cls.env["ir.attachment"].create(
            {
                "name": f"{key}.jpg",
                "raw": b"\xff\xd8\xff image of " + key.encode(),
                "mimetype": "image/jpeg",
                "res_model": "wecom.message",
                "res_id": message.id,
            }
        )
        message.with_context(wecom_pipeline=True).attachment_id = attachment
        part = cls.env["wecom.message.media"].create(
            {
                "message_id": message.id,
                "corp_id": corp.id,
                "company_id": corp.company_id.id,
                "sequence": 1,
                "kind": "image",
                "sdkfileid": f"part-{key}",
                "media_state": "done",
            }
        )
        part.attachment_id = cls.env["ir.attachment"].create(
            {
                "name": f"{key}-1.mp4",
                "raw": b"video inside " + key.encode(),
                "mimetype": "video/mp4",
                "res_model": "wecom.message.media",
                "res_id": part.id,
            }
        )
        violation = cls.env["wecom.violation"].create(
            {
                "name": f"V-{key}",
                "company_id": corp.company_id.id,
                "corp_id": corp.id,
                "message_id": message.id,
                "rule_id": (cls.rule if corp == cls.corp else cls.rule2).id,
                "content": message.text,
                "words_hit": "转账",
                "member_ids": [(6, 0, message.member_ids.ids)],
            }
        )
        cls.parts = getattr(cls, "parts", cls.env["wecom.message.media"]) | part
        return chat, message, attachment, violation

    @classmethod
    def _records(cls, chat_keys, members, contacts, groups):
        chats = [cls.chats[k] for k in chat_keys]
        return {
            "wecom.conversation": cls._union(c[0] for c in chats),
            "wecom.message": cls._union(c[1] for c in chats),
            "ir.attachment": cls._union(c[2] for c in chats),
            "wecom.violation": cls._union(c[3] for c in chats),
            "wecom.message.media": cls.parts.filtered(
                lambda p: p.message_id in cls._union(c[1] for c in chats)
            ),
            "wecom.member": members,
            "wecom.contact": contacts,
            "wecom.contact.follow": contacts.follow_ids.filtered(lambda f: f.member_id in members),
            "wecom.group": groups,
            "wecom.group.member": groups.line_ids,
        }

    @staticmethod
    def _union(records):
        records = list(records)
        result = records[0]
        for record in records[1:]:
            result |= record
        return result

    def _visible(self, user, model):
        """What ``user`` finds of the fixture's records of ``model`` (other data of the
        database, e.g. demo data, left aside)."""
        fixture = self.expected["super"][model] | self.foreign[model]
        domain = [("id", "in", fixture.ids)]
        return self.env[model].with_user(user).search(domain)

    # -- the ORM -----------------------------------------------------------------------------
    def test_orm_search_read_and_out_of_scope_ids(self):
        for role, user in (("scoped", self.scoped), ("super", self.super)):
            for model in (*ARCHIVED_MODELS, "ir.attachment"):
                with self.subTest(role=role, model=model):
                    expected = self.expected[role][model]
                    self.assertEqual(self._visible(user, model), expected.with_user(user))
                    expected.with_user(user).read(["display_name"])
                    hidden = (self.expected["super"][model] | self.foreign[model]) - expected
                    self.assertTrue(hidden, "the fixture must hide something from each role")
                    for record in hidden:
                        with self.assertRaises(AccessError):
                            record.with_user(user).read(["display_name"])

    def test_orm_read_group_name_search_and_export(self):
        for role, user in (("scoped", self.scoped), ("super", self.super)):
            for model in ARCHIVED_MODELS:
                with self.subTest(role=role, model=model):
                    expected = self.expected[role][model]
                    fixture = self.expected["super"][model] | self.foreign[model]
                    Model = self.env[model].with_user(user)
                    [(count,)] = Model._read_group([("id", "in", fixture.ids)], [], ["__count"])
                    self.assertEqual(count, len(expected))
                    groups = Model.read_group([("id", "in", fixture.ids)], ["id"], [])
                    self.assertEqual(groups[0]["__count"], len(expected))
                    found = {i for i, _name in Model.name_search("", limit=10000)}
                    self.assertEqual(found & set(fixture.ids), set(expected.ids))
                    rows = Model.search([("id", "in", fixture.ids)]).export_data(["id"])["datas"]
                    self.assertEqual(len(rows), len(expected))
                    with self.assertRaises(AccessError):
                        (fixture - expected)[:1].with_user(user).export_data(["display_name"])

    def test_violation_context_stays_in_scope(self):
        _chat, _message, _att, violation = self.chats["ab"]
        context = violation.with_user(self.scoped).context_message_ids
        self.assertTrue(context)
        self.assertLessEqual(
            context, self.expected["scoped"]["wecom.message"].with_user(self.scoped)
        )

    def test_a_chat_is_named_after_both_parties(self):
        # 白雪 is out of scope, her chat with 艾伦 is not: it is named after both of them.
        chat = self.chats["ab"][0].with_user(self.scoped)
        self.assertEqual(set(chat.display_name.split(" ↔ ")), {"艾伦", "白雪"})
        [values] = chat.web_read({"member_ids": {"fields": {"display_name": {}}}})
        self.assertEqual(values["member_ids"], [{"id": self.a.id, "display_name": "艾伦"}])

    def test_a_member_who_changes_department_moves_with_their_chats(self):
        messages = self.env["wecom.message"].with_user(self.scoped)
        ids = self.expected["super"]["wecom.message"].ids
        self.assertNotIn(self.chats["by"][1], messages.search([("id", "in", ids)]))
        self.b.department_ids = self.east  # 白雪 moves to 华东销售: now in scope
        self.assertIn(self.chats["by"][1].id, messages.search([("id", "in", ids)]).ids)
        self.a.department_ids = self.support  # 艾伦 leaves the scope, with his chats
        found = messages.search([("id", "in", ids)])
        self.assertNotIn(self.chats["g1"][1], found)  # 艾伦's group: only he is in it
        self.assertIn(self.chats["ab"][1], found)  # still involves 白雪

    def test_scope_by_member_and_change_takes_effect_at_once(self):
        messages = self.env["wecom.message"].with_user(self.scoped)
        ids = self.expected["super"]["wecom.message"].ids
        self.scoped.wecom_scope_department_ids = False
        self.assertFalse(messages.search([("id", "in", ids)]))
        self.scoped.wecom_scope_member_ids = self.b
        found = messages.search([("id", "in", ids)])
        # one chat of each kind (messages without time: no order to rely on)
        self.assertEqual(
            sorted(found.conversation_id.mapped("kind")), ["external", "group", "internal"]
        )
        self.assertNotIn(self.chats["ax"][1], found)

    # -- 修改权限 and the access log ------------------------------------------------------------
    def test_change_permissions_wizard(self):
        manager = new_test_user(
            self.env,
            login="wecom_manager",
            groups="base.group_user,wecom_archive.group_wecom_manager",
        )
        target = new_test_user(self.env, login="new_admin", groups="base.group_user")
        self.assertEqual(target.wecom_role, "none")
        with self.assertRaises(AccessError):
            self.env["wecom.scope.wizard"].with_user(self.scoped).create(
                {"user_id": target.id, "role": "super"}
            ).action_apply()
        Wizard = self.env["wecom.scope.wizard"].with_user(manager)
        Wizard.create(
            {"user_id": target.id, "role": "admin", "member_ids": [Command.set(self.b.ids)]}
        ).action_apply()
        self.assertEqual(target.wecom_role, "admin")
        landing = self.env.ref("wecom_archive.wecom_chat_viewer_action")  # 聊天记录
        self.assertEqual(target.action_id.id, landing.id)
        self.assertEqual(
            self._visible(target, "wecom.conversation"),
            (self.chats["by"][0] | self.chats["ab"][0] | self.chats["g2"][0]).with_user(target),
        )
        log = self.env["wecom.access.log"].search([("action", "=", "scope_change")], limit=1)
        self.assertEqual(log.user_id, manager)
        self.assertIn("白雪", log.detail)
        Wizard.create({"user_id": target.id, "role": "super"}).action_apply()
        self.assertEqual(target.wecom_role, "super")
        Wizard.create({"user_id": target.id, "role": "none"}).action_apply()
        self.assertEqual(target.wecom_role, "none")
        self.assertFalse(target.action_id)
        with self.assertRaises(AccessError):
            self.chats["by"][0].with_user(target).read(["display_name"])
        with self.assertRaises(UserError):  # a WeCom administrator sees everything
            Wizard.create({"user_id": manager.id, "role": "admin"}).action_apply()

    def test_change_permissions_grants_export_and_purge(self):
        """修改权限 also gives the rights on top of a role: export (Odoo's export right),
        purge and 查看敏感信息原文; "no access" takes the archive's rights back and leaves
        Odoo's export right, which other apps use, as ticked."""
        manager = new_test_user(
            self.env,
            login="rights_manager",
            groups="base.group_user,wecom_archive.group_wecom_manager",
        )
        target = new_test_user(self.env, login="rights_admin", groups="base.group_user")
        Wizard = self.env["wecom.scope.wizard"].with_user(manager)
        rights = ("wecom_may_export", "wecom_may_purge", "wecom_view_originals")
        Wizard.create(
            {"user_id": target.id, "role": "super", "may_export": True, "may_purge": True}
        ).action_apply()
        target.invalidate_recordset()
        self.assertEqual([target[f] for f in rights], [True, True, False])
        self.assertTrue(target.has_group("base.group_allow_export"))
        log = self.env["wecom.access.log"].search([("action", "=", "scope_change")], limit=1)
        self.assertIn("May Purge", log.detail)
        context = Wizard._action_open(target)["context"]
        self.assertEqual(
            [context[f"default_{name}"] for name in ("may_export", "may_purge", "view_originals")],
            [True, True, False],
        )
        Wizard.create(
            {"user_id": target.id, "role": "none", "may_export": True, "may_purge": True}
        ).action_apply()
        target.invalidate_recordset()
        self.assertEqual([target[f] for f in rights], [True, False, False])
        Wizard.create({"user_id": target.id, "role": "admin"}).action_apply()
        target.invalidate_recordset()
        self.assertEqual([target[f] for f in rights], [False, False, False])
        self.assertFalse(target.has_group("base.group_allow_export"))

    def test_access_log_is_append_only(self):
        chat = self.chats["ax"][0]
        chat.with_user(self.scoped).web_read({"display_name": {}})
        log = self.env["wecom.access.log"].search([("conversation_id", "=", chat.id)])
        self.assertEqual((log.action, log.user_id), ("open_chat", self.scoped))
        self.assertEqual(log.member_ids, self.a)
        chat_ab, message, _attachment, violation = self.chats["ab"]
        message.with_user(self.scoped).web_read({"text": {}})
        violation.with_user(self.scoped).web_read({"content": {}})
        opened = self.env["wecom.access.log"].search(
            [("conversation_id", "=", chat_ab.id)], order="id"
        )
        self.assertEqual(opened.mapped("action"), ["view_message", "view_violation"])
        self.assertEqual(opened.mapped("res_id"), [message.id, violation.id])
        self.assertEqual(opened[0].member_ids, self.a | self.b)
        # a list of chats, read a page at a time, is not an opening
        self.env["wecom.conversation"].with_user(self.scoped).web_search_read([], {})
        self.assertEqual(self.env["wecom.access.log"].search_count([]), 3)
        admin = self.env.ref("base.user_admin")
        for user in (self.super, admin):
            with self.assertRaises(UserError):
                log.with_user(user).write({"detail": "changed"})
            with self.assertRaises(UserError):
                log.with_user(user).unlink()
            with self.assertRaises(UserError):
                self.env["wecom.access.log"].with_user(user).create({"action": "search"})
        with self.assertRaises(AccessError):
            log.with_user(self.scoped).read(["detail"])  # the log is for super admins
        self.assertEqual(log.with_user(self.super).read(["action"])[0]["action"], "open_chat")

    def test_access_log_retention(self):
        Log = self.env["wecom.access.log"]
        Log._log("search", self.env["wecom.message"], detail="转账")
        old = Log.search([], limit=1)
        self.env.cr.execute(
            "UPDATE wecom_access_log SET create_date = now() - interval '400 days' WHERE id = %s",
            [old.id],
        )
        self.env["ir.config_parameter"].set_param("wecom_archive.access_log_days", "365")
        Log._log("search", self.env["wecom.message"], detail="返点")
        Log._cron_purge()
        Log.invalidate_model()
        self.assertFalse(old.exists())
        self.assertTrue(Log.search([("detail", "=", "返点")]))

    # -- HTTP, as a real client --------------------------------------------------------------
    def _rpc(self, model, method, *args, **kwargs):
        response = self.url_open(
            "/web/dataset/call_kw",
            data=json.dumps(
                {
                    "jsonrpc": "2.0",
                    "method": "call",
                    "params": {"model": model, "method": method, "args": args, "kwargs": kwargs},
                }
            ),
            headers={"Content-Type": "application/json"},
        )
        self.assertEqual(response.status_code, 200)
        return response.json()

    def _csrf_token(self):
        page = self.url_open("/odoo").text
        return re.search(r'csrf_token: "([^"]+)"', page).group(1)

    def test_opening_is_logged_once_not_for_a_many2one_shown(self):
        """A form opened over RPC logs its record; a chat shown as the many2one of another
        form (a case's chat, a legal hold's chat, read on that form's read-only cursor) is
        not an opening, and reading it must not fail."""
        self.authenticate(self.scoped.login, PASSWORD)
        chat, _message, _attachment, violation = self.chats["ax"]
        hold = self.env["wecom.legal.hold"].create(
            {"target_type": "conversation", "conversation_id": chat.id, "reason": "保全"}
        )
        Log = self.env["wecom.access.log"]
        before = Log.search([]).ids
        shown = {"conversation_id": {"fields": {"display_name": {}}}}
        for model, record in (("wecom.violation", violation), ("wecom.legal.hold", hold)):
            answer = self._rpc(model, "web_read", record.ids, shown)
            self.assertNotIn("error", answer)
            self.assertEqual(answer["result"][0]["conversation_id"]["id"], chat.id)
        self._rpc("wecom.conversation", "web_read", chat.ids, {"display_name": {}})
        logged = Log.search([("id", "not in", before)], order="id")
        self.assertEqual(logged.mapped("action"), ["view_violation", "open_chat"])
        self.assertEqual(logged.mapped("user_id"), self.scoped)

    def test_media_route_checks_the_message_and_serves_ranges(self):
        self.authenticate(self.scoped.login, PASSWORD)
        _chat, message, attachment, _violation = self.chats["ax"]
        response = self.url_open(f"/wecom_archive/media/{message.id}")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.content, attachment.raw)
        self.assertEqual(response.headers["Content-Type"], "image/jpeg")
        response = self.url_open(
            f"/wecom_archive/media/{message.id}", headers={"Range": "bytes=0-3"}
        )
        self.assertEqual(response.status_code, 206)
        self.assertEqual(response.content, attachment.raw[:4])
        response = self.url_open(  # a player's next piece: not another download
            f"/wecom_archive/media/{message.id}", headers={"Range": "bytes=4-"}
        )
        self.assertEqual((response.status_code, response.content), (206, attachment.raw[4:]))
        response = self.url_open(f"/wecom_archive/media/{message.id}/1")
        self.assertEqual(response.content, b"video inside external:ailun-wmX")
        self.assertEqual(self.url_open(f"/wecom_archive/media/{message.id}/2").status_code, 404)
        logged = self.env["wecom.access.log"].search([("action", "=", "media")])
        self.assertEqual(len(logged), 3)
        self.assertEqual(set(logged.mapped("res_id")), {message.id})
        for key in ("by", "dz"):  # out of scope, another company
            hidden = self.chats[key][1]
            for url in (f"/wecom_archive/media/{hidden.id}", f"/wecom_archive/media/{hidden.id}/1"):
                response = self.url_open(url)
                self.assertEqual(response.status_code, 403, url)
                self.assertNotIn(b"image of", response.content)
                self.assertNotIn(b"video inside", response.content)
        self.logout()
        response = self.url_open(f"/wecom_archive/media/{message.id}", allow_redirects=False)
        self.assertIn(response.status_code, (302, 303))  # to the login page

    def test_http_json_rpc(self):
        for role, user in (("scoped", self.scoped), ("super", self.super)):
            self.authenticate(user.login, PASSWORD)
            for model in ARCHIVED_MODELS:
                with self.subTest(role=role, model=model):
                    fixture = self.expected["super"][model] | self.foreign[model]
                    answer = self._rpc(
                        model,
                        "web_search_read",
                        [("id", "in", fixture.ids)],
                        {"display_name": {}},
                    )
                    found = {r["id"] for r in answer["result"]["records"]}
                    self.assertEqual(found, set(self.expected[role][model].ids))
                    hidden = (fixture - self.expected[role][model])[:1]
                    answer = self._rpc(model, "read", hidden.ids, ["display_name"])
                    self.assertEqual(answer["error"]["data"]["name"], "odoo.exceptions.AccessError")

    def test_http_search_export_and_media(self):
        self.authenticate(self.scoped.login, PASSWORD)
        # a search of the message texts is logged with its terms
        self._rpc("wecom.message", "web_search_read", [("text", "ilike", "私下转账")], {})
        log = self.env["wecom.access.log"].search([("action", "=", "search")], limit=1)
        self.assertIn("私下转账", log.detail)
        self.assertEqual(log.user_id, self.scoped)
        # /web/export/xlsx exports only what the user can read, and is logged
        fixture = self.expected["super"]["wecom.message"] | self.foreign["wecom.message"]
        response = self.url_open(
            "/web/export/xlsx",
            data={
                "data": json.dumps(
                    {
                        "model": "wecom.message",
                        "fields": [{"name": "msgid", "label": "msgid"}],
                        "ids": False,
                        "domain": [("id", "in", fixture.ids)],
                        "import_compat": False,
                    }
                ),
                "csrf_token": self._csrf_token(),
            },
        )
        self.assertEqual(response.status_code, 200)
        sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
        exported = {row[0] for row in sheet.iter_rows(min_row=2, values_only=True)}
        self.assertEqual(exported, set(self.expected["scoped"]["wecom.message"].mapped("msgid")))
        self.assertTrue(self.env["wecom.access.log"].search([("action", "=", "export")]))
        # media through /web/content and /web/image: in scope 200 (logged), else refused
        for key in ("ax", "by", "dz"):
            attachment = self.chats[key][2]
            allowed = attachment in self.expected["scoped"]["ir.attachment"]
            for url in (f"/web/content/{attachment.id}", f"/web/image/{attachment.id}"):
                with self.subTest(key=key, url=url):
                    response = self.url_open(url)
                    if allowed:
                        self.assertEqual(response.status_code, 200)
                        self.assertEqual(response.content, attachment.raw)
                    elif url.startswith("/web/image"):  # Odoo answers a placeholder
                        self.assertNotIn(b"image of", response.content)
                    else:
                        self.assertEqual(response.status_code, 404)
                        self.assertNotIn(b"image of", response.content)
        media_log = self.env["wecom.access.log"].search([("action", "=", "media")])
        self.assertEqual(media_log.mapped("res_id"), [self.chats["ax"][1].id] * 2)
        # the media's raw bytes through RPC: the same check
        answer = self._rpc("ir.attachment", "read", self.chats["by"][2].ids, ["datas"])
        self.assertIn("error", answer)
        answer = self._rpc("ir.attachment", "read", self.chats["ax"][2].ids, ["datas"])
        self.assertEqual(base64.b64decode(answer["result"][0]["datas"]), self.chats["ax"][2].raw)
