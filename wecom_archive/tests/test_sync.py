"""Directory sync over real HTTP against the fake WeCom server, after a real pull."""

import copy
import json
import logging
import os

from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from ..lib.directory import ADD_WAYS
from ..models.wecom_access_token import token_store
from ..models.wecom_corp_sync import SYNC_LOCK
from ..native.corpus.build import build
from ..native.corpus.generate import generate
from ..native.fake_api.server import FakeWecomServer
from .common import WecomCase, key_pair

SECRETS = {
    "test-contact-secret": {"contact"},
    "test-customer-secret": {"externalcontact"},
    "test-app-secret": {"message", "auth"},
}


class SyncCase(WecomCase):
    """A generated company: its chats pulled through the fake SDK, its directory served by
    a fresh fake WeCom server for every test."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        source = os.path.join(cls.corpus_root, "source")
        generate(source, messages=400, seed=11, days=3, media_scale=0.001, corpid=cls.corpid)
        with open(os.path.join(source, "company.json"), encoding="utf-8") as handle:
            cls.company = json.load(handle)
        build(
            {1: key_pair(1)[1]},
            os.path.join(source, "messages.jsonl"),
            os.path.join(source, "media"),
            os.path.join(cls.corpus_root, cls.corpid),
            corpid=cls.corpid,
            secret=cls.secret,
        )
        cls.env["wecom.corp.key"].create(
            {"corp_id": cls.corp.id, "version": 1, "private_key": key_pair(1)[0]}
        )
        cls.corp._pull()
        cls.corp.write(
            {
                "contact_secret": "test-contact-secret",
                "customer_secret": "test-customer-secret",
                "app_secret": "test-app-secret",
                "agent_id": "1000002",
            }
        )

    def setUp(self):
        super().setUp()
        secrets = {**SECRETS, self.secret: {"msgaudit"}}
        self.server = FakeWecomServer(copy.deepcopy(self.company), secrets=secrets).start()
        self.addCleanup(self.server.stop)
        self.corp.api_base_url = self.server.base_url
        token_store(self.env.cr.dbname)._tokens.clear()

    def member(self, userid):
        return self.env["wecom.member"].search(
            [("corp_id", "=", self.corp.id), ("userid", "=", userid)]
        )

    def contact(self, external_userid):
        return self.env["wecom.contact"].search(
            [("corp_id", "=", self.corp.id), ("external_userid", "=", external_userid)]
        )

    def customer(self, predicate):
        """The first customer of the fixture, with chats, matching ``predicate``."""
        for entry in self.company["external_contacts"]:
            contact = self.contact(entry["external_contact"]["external_userid"])
            if contact.conversation_count and predicate(entry):
                return entry, contact
        raise AssertionError("no such customer in the fixture")

    def calls(self, path):
        return [r for r in self.server.requests if r["path"] == path]


@tagged("post_install", "-at_install")
class TestDirectorySync(SyncCase):
    def test_unsynced_chats_show_raw_ids_then_names(self):
        chat = self.env["wecom.conversation"].search(
            [("corp_id", "=", self.corp.id), ("kind", "=", "external")], limit=1
        )
        external = chat.contact_id.external_userid
        self.assertIn(external, chat.display_name)
        self.assertFalse(chat.contact_id.synced_on)
        self.assertEqual(self.corp._sync(full=True), [])
        chat.invalidate_recordset()
        names = {
            c["external_contact"]["external_userid"]: c["external_contact"]["name"]
            for c in self.company["external_contacts"]
        }
        self.assertIn(names[external], chat.display_name)
        self.assertNotIn(external, chat.display_name)

    def test_cases_recorded_before_the_sync_get_their_employees_department(self):
        """A case recorded while its employee's departments were unknown (chats pulled
        before the directory sync) gets the employee's main department at the sync; a
        case recorded with a department keeps it."""
        Violation = self.env["wecom.violation"]
        rule = self.env["wecom.keyword.rule"].create(
            {"name": "词", "category": "私下交易", "words_input": "转账"}
        )
        Message = self.env["wecom.message"]
        member = next(
            member
            for member in (self.member(user["userid"]) for user in self.company["users"])
            if member and Message.search_count([("member_ids", "=", member.id)])
        )
        self.assertFalse(member.department_ids)
        message = Message.search([("member_ids", "=", member.id)], limit=1)
        other = self.env["wecom.department"].create(
            {"corp_id": self.corp.id, "department_id": 99999, "name": "旧部门"}
        )
        rows = [
            {
                "name": f"t-{n}",
                "company_id": self.corp.company_id.id,
                "corp_id": self.corp.id,
                "message_id": message.id if n else None,
                "rule_id": rule.id,
                "kind": "keyword",
                "member_id": member.id,
                "department_id": other.id if n else None,
                "member_ids": [member.id],
            }
            for n in range(2)
        ]
        unknown, known = Violation.browse(Violation._record_cases(rows))
        self.assertFalse(unknown.department_id)
        self.assertEqual(self.corp._sync(full=True), [])
        self.assertTrue(member.main_department_id)
        self.assertEqual(unknown.department_id, member.main_department_id)
        self.assertEqual(known.department_id, other)

    def test_full_sync(self):
        self.assertEqual(self.corp._sync(full=True), [])
        users = {u["userid"]: u for u in self.company["users"]}
        departments = self.env["wecom.department"].search([("corp_id", "=", self.corp.id)])
        self.assertEqual(len(departments), len(self.company["departments"]))
        support = departments.filtered(lambda d: d.name == "技术支持部")
        self.assertEqual(support.parent_id.name, "客服部")
        self.assertEqual(support.complete_name, "九州贸易 / 客服部 / 技术支持部")
        for userid, user in users.items():
            member = self.member(userid)
            self.assertEqual(member.name, user["name"])
            self.assertEqual(member.position, user["position"])
            self.assertEqual(
                sorted(member.department_ids.mapped("department_id")), sorted(user["department"])
            )
        for department in self.company["departments"]:
            record = departments.filtered(lambda d, i=department["id"]: d.department_id == i)
            self.assertEqual(record.leader_ids.mapped("userid"), department["department_leader"])
        # Every chat participant now resolves to a name.
        unnamed = self.env["wecom.member"].search(
            [("corp_id", "=", self.corp.id), ("name", "=", False)]
        )
        self.assertFalse(unnamed.filtered(lambda m: not m.userid.startswith("wb")))
        # Archive scope: 归档中 inside, 曾归档 outside with customer chats, else not archived.
        permit = set(self.company["permit_user_list"])
        for userid in users:
            member = self.member(userid)
            if userid in permit:
                self.assertEqual(member.archive_status, "archiving")
            elif self.env["wecom.conversation"].search_count(
                [("member_ids", "in", member.ids), ("kind", "=", "external")]
            ):
                self.assertEqual(member.archive_status, "archived")
            else:
                self.assertEqual(member.archive_status, "none")
        left = self.member(self.company["users"][-1]["userid"])
        self.assertEqual(left.wecom_status, "4")
        # Customers and their followers, as the API reports them.
        deleted = {(d["external_userid"], d["userid"]) for d in self.company["deleted_follow_user"]}
        for entry in self.company["external_contacts"]:
            info = entry["external_contact"]
            contact = self.contact(info["external_userid"])
            current = [
                f
                for f in entry["follow_user"]
                if (info["external_userid"], f["userid"]) not in deleted
            ]
            self.assertEqual(contact.name, info["name"])
            self.assertEqual(contact.contact_type, str(info["type"]))
            self.assertEqual(contact.corp_name or "", info["corp_name"])
            self.assertEqual(contact.follower_count, len(current))
            first = min(current, key=lambda f: f["createtime"])
            self.assertEqual(contact.add_way, str(first["add_way"]))
            self.assertEqual(
                dict(contact._fields["add_way"]._description_selection(self.env))[contact.add_way],
                ADD_WAYS[first["add_way"]],
            )
        # Groups: names, owners, members with join time; group chats are named.
        for group in self.company["external_groups"]:
            record = self.env["wecom.group"].search([("roomid", "=", group["chat_id"])])
            self.assertEqual(record.name, group["name"])
            self.assertEqual(record.kind, "external")
            self.assertEqual(record.owner_id.userid, group["owner"])
            self.assertEqual(len(record.line_ids), len(group["member_list"]))
            self.assertTrue(all(record.line_ids.mapped("join_time")))
        chats = self.env["wecom.conversation"].search(
            [("corp_id", "=", self.corp.id), ("kind", "=", "group")]
        )
        self.assertTrue(chats)
        for chat in chats:
            self.assertTrue(chat.group_id.name, chat.roomid)
            self.assertEqual(chat.display_name, chat.group_id.name)
        internal = self.env["wecom.group"].search([("kind", "=", "internal")])
        self.assertTrue(internal)
        # Consent: the latest entry of each pair; a refusal interrupts the conversation.
        latest = {}
        for item in self.company["agree"]:
            latest[item["exteranalopenid"]] = item["agree_status"]
        for external, status in latest.items():
            contact = self.contact(external)
            expected = {"Agree": "agree", "Disagree": "disagree"}[status]
            self.assertEqual(contact.consent_status, expected)
            if status == "Disagree":
                self.assertEqual(contact.session_status, "interrupted")
        # The generator's chats are within the last 3 days: in conversation.
        _entry, chatty = self.customer(
            lambda e: (
                e["external_contact"]["external_userid"] in latest
                and latest[e["external_contact"]["external_userid"]] == "Agree"
            )
        )
        self.assertEqual(chatty.session_status, "active")
        self.assertFalse(self.corp.sync_error)
        self.assertTrue(self.corp.last_sync_ok)

    def test_sync_twice_is_stable(self):
        self.corp._sync(full=True)
        counts = {
            model: self.env[model].search_count([])
            for model in (
                "wecom.member",
                "wecom.contact",
                "wecom.contact.follow",
                "wecom.group",
                "wecom.group.member",
                "wecom.department",
            )
        }
        self.corp._sync(full=True)
        self.corp._sync(full=False)
        for model, count in counts.items():
            self.assertEqual(self.env[model].search_count([]), count, model)

    def test_member_leaving_archive_scope(self):
        self.corp._sync(full=True)
        _entry, contact = self.customer(lambda e: True)
        userid = contact.follow_ids[0].member_id.userid
        member = self.member(userid)
        self.assertEqual(member.archive_status, "archiving")
        chats = self.env["wecom.conversation"].search([("member_ids", "in", member.ids)])
        messages = self.env["wecom.message"].search_count([("member_ids", "in", member.ids)])
        self.server.set_permit([u for u in self.company["permit_user_list"] if u != userid])
        self.assertEqual(self.corp._sync(full=False), [])
        self.assertEqual(member.archive_status, "archived")
        self.assertTrue(member.archive_until)
        self.assertEqual(
            self.env["wecom.conversation"].search([("member_ids", "in", member.ids)]), chats
        )
        self.assertEqual(
            self.env["wecom.message"].search_count([("member_ids", "in", member.ids)]), messages
        )
        self.assertIn(member, self.env["wecom.member"].search([("archive_status", "!=", "none")]))

    def test_follower_deletes_customer(self):
        self.corp._sync(full=True)
        _entry, contact = self.customer(lambda e: len(e["follow_user"]) == 1)
        follow = contact.follow_ids
        self.server.delete_follow(contact.external_userid, follow.member_id.userid)
        self.assertEqual(self.corp._sync(full=True), [])
        self.assertEqual(follow.state, "former")
        self.assertTrue(follow.removed_on)
        self.assertEqual((contact.follower_count, contact.former_follower_count), (0, 1))
        self.assertEqual(contact.session_status, "interrupted")
        self.assertNotIn(
            contact, follow.member_id.follow_ids.filtered(lambda f: f.state == "current").contact_id
        )

    def test_consent_flips(self):
        self.corp._sync(full=True)
        _entry, contact = self.customer(lambda e: not e.get("refuses"))
        userid = contact.follow_ids[0].member_id.userid
        start = int(contact.consent_time.timestamp()) if contact.consent_time else 1
        self.server.set_agree(userid, contact.external_userid, "Disagree", start + 60)
        self.assertEqual(self.corp._sync(full=False), [])
        self.assertEqual(contact.consent_status, "disagree")
        self.assertEqual(contact.session_status, "interrupted")
        self.server.set_agree(userid, contact.external_userid, "Agree", start + 120)
        self.corp._sync(full=False)
        self.assertEqual(contact.consent_status, "agree")
        self.assertEqual(contact.session_status, "active")
        # An older answer never overrides a newer change (e.g. from an agree message).
        self.server.set_agree(userid, contact.external_userid, "Disagree", start + 90)
        self.corp._sync(full=False)
        self.assertEqual(contact.consent_status, "agree")

    def test_token_expiry_mid_sync(self):
        self.corp._sync(full=True)
        self.server.clear_requests()
        self.server.expire_tokens()
        self.server.add_fault("externalcontact/batch/get_by_user", "errcode", errcode=42001)
        self.assertEqual(self.corp._sync(full=True), [])
        self.assertGreaterEqual(len(self.calls("gettoken")), 3)  # every secret refreshed once

    def test_rate_limited_then_served(self):
        self.server.add_fault("user/list", "errcode", times=2, errcode=45009)
        self.server.add_fault("department/list", "http_500", times=1)
        self.assertEqual(self.corp._sync(full=True), [])
        self.assertEqual(len(self.calls("user/list")), 3)
        self.assertTrue(self.member(self.company["users"][0]["userid"]).name)

    def test_malformed_answer_leaves_data_untouched(self):
        self.corp._sync(full=True)
        member = self.member(self.company["users"][0]["userid"])
        self.server.upsert_user({**self.company["users"][0], "name": "改过的名字"})
        self.server.add_fault("user/list", "malformed", times=None)
        errors = self.corp._sync(full=True)
        self.assertEqual(len(errors), 1)
        self.assertIn("JSON", errors[0])
        self.assertEqual(member.name, self.company["users"][0]["name"])
        self.assertEqual(self.corp.sync_error, errors[0])
        # The other steps still ran.
        self.assertTrue(self.calls("externalcontact/batch/get_by_user"))
        self.server.clear_faults()
        self.assertEqual(self.corp._sync(full=True), [])
        self.assertEqual(member.name, "改过的名字")
        self.assertFalse(self.corp.sync_error)

    def test_wrong_secret_and_untrusted_ip_reported(self):
        self.corp.customer_secret = "wrong-secret"
        self.server.add_fault("department/list", "errcode", times=None, errcode=60020)
        errors = self.corp.with_context(lang="en_US")._sync(full=True)
        text = "\n".join(errors)
        self.assertIn("trusted-IP", text)
        self.assertIn("rejected the secret", text)
        self.assertNotIn("wrong-secret", text)

    def test_secrets_never_logged(self):
        with self.assertLogs(level=logging.DEBUG) as logs:
            logging.getLogger("urllib3").setLevel(logging.DEBUG)
            self.addCleanup(logging.getLogger("urllib3").setLevel, logging.WARNING)
            self.server.add_fault("department/list", "errcode", errcode=40001)
            self.corp._sync(full=True)
        # Not ours to judge: Odoo's test harness logs every outgoing URL (odoo.tests.*), and
        # its SQL tracing (odoo.sql_db, only at --log-level=debug_sql) every query parameter.
        text = "\n".join(
            line
            for line, record in zip(logs.output, logs.records, strict=True)
            if not record.name.startswith(("odoo.tests", "odoo.sql_db"))
        )
        self.assertIn("gettoken", text)  # urllib3 did log the requests...
        for secret in (self.secret, *SECRETS):
            self.assertNotIn(secret, text)  # ...without the secrets
        tokens = [token for token, _at in token_store(self.env.cr.dbname)._tokens.values()]
        self.assertTrue(tokens)
        for token in tokens:
            self.assertNotIn(token, text)

    def test_members_linked_to_users(self):
        first, second, third = self.company["users"][:3]
        by_login = new_test_user(self.env, first["userid"])  # mixed case, as WeCom's
        self.server.upsert_user({**second, "email": "Zhang.Wei@Example.cn"})
        by_email = new_test_user(self.env, "zhang.wei", email="zhang.wei@example.cn")
        other_company = self.env["res.company"].create({"name": "别的公司"})
        new_test_user(
            self.env,
            third["userid"].lower(),
            company_id=other_company.id,
            company_ids=[other_company.id],
        )
        self.assertEqual(self.corp._sync(full=True), [])
        self.assertEqual(self.member(first["userid"]).user_id, by_login)
        self.assertEqual(self.member(second["userid"]).user_id, by_email)
        self.assertFalse(self.member(third["userid"]).user_id)  # a user of another company

    def test_sync_button_for_wecom_administrators_only(self):
        manager = new_test_user(
            self.env, "sync_manager", groups="base.group_user,wecom_archive.group_wecom_manager"
        )
        self.corp.with_user(manager).action_sync()
        self.assertTrue(self.member(self.company["users"][0]["userid"]).name)
        super_admin = new_test_user(
            self.env, "sync_super", groups="base.group_user,wecom_archive.group_wecom_archive_super"
        )
        with self.assertRaises(AccessError):
            self.corp.with_user(super_admin).action_sync()

    def test_concurrent_sync_skips(self):
        with self.env.registry.cursor() as other:
            other.execute("SELECT pg_advisory_lock(%s, %s)", [SYNC_LOCK, self.corp.id])
            try:
                self.assertIsNone(self.corp._sync(full=True))
            finally:
                other.execute("SELECT pg_advisory_unlock(%s, %s)", [SYNC_LOCK, self.corp.id])
        self.assertEqual(self.corp._sync(full=True), [])

    def test_not_a_customer(self):
        self.corp._sync(full=True)
        stranger = "wmNOTACUSTOMER000000000000000001"
        contact_id = self.corp._ensure("wecom.contact", "external_userid", [stranger])[stranger]
        contact = self.env["wecom.contact"].browse(contact_id)
        self.assertFalse(contact.synced_on)
        self.corp._sync(full=False)
        self.assertTrue(contact.synced_on)
        self.assertEqual((contact.follower_count, contact.former_follower_count), (0, 0))
        self.assertIn(["externalcontact/get"], [[r["path"]] for r in self.server.requests])

    def test_callback_event_handling(self):
        self.corp._sync(full=True)
        _entry, contact = self.customer(lambda e: len(e["follow_user"]) >= 1)
        follow = contact.follow_ids[0]
        self.corp._handle_callback(
            {
                "Event": "change_external_contact",
                "ChangeType": "del_follow_user",
                "UserID": follow.member_id.userid,
                "ExternalUserID": contact.external_userid,
            }
        )
        self.assertEqual((follow.state, follow.removed_by), ("former", "customer"))
        pull_cron = self.env.ref("wecom_archive.ir_cron_wecom_pull")
        before = self.env["ir.cron.trigger"].search_count([("cron_id", "=", pull_cron.id)])
        self.corp._handle_callback({"Event": "msgaudit_notify"})
        self.assertEqual(
            self.env["ir.cron.trigger"].search_count([("cron_id", "=", pull_cron.id)]), before + 1
        )
        group = self.env["wecom.group"].search([("kind", "=", "external")], limit=1)
        self.corp._handle_callback(
            {"Event": "change_external_chat", "ChatId": group.roomid, "ChangeType": "dismiss"}
        )
        self.assertTrue(group.dismissed)


@tagged("post_install", "-at_install")
class TestPartnerLinking(SyncCase):
    def test_suggest_link_create_and_partner_button(self):
        self.corp._sync(full=True)
        _entry, contact = self.customer(lambda e: e["external_contact"]["corp_name"])
        partner = self.env["res.partner"].create({"name": contact.name})
        self.assertIn(partner, contact.partner_suggestion_ids)
        partner.with_context(wecom_contact_id=contact.id).action_wecom_link_contact()
        self.assertEqual(contact.partner_id, partner)
        self.assertFalse(contact.partner_suggestion_ids)
        self.assertEqual(partner.wecom_conversation_count, contact.conversation_count)
        action = partner.action_view_wecom_conversations()
        chats = self.env["wecom.conversation"].search(action["domain"])
        self.assertEqual(
            chats, self.env["wecom.conversation"].search([("contact_id", "=", contact.id)])
        )
        contact.action_unlink_partner()
        _entry, other = self.customer(
            lambda e: (
                e["external_contact"]["corp_name"]
                and e["external_contact"]["external_userid"] != contact.external_userid
            )
        )
        other.action_create_partner()
        self.assertEqual(other.partner_id.name, other.name)
        self.assertEqual(other.partner_id.parent_id.name, other.corp_name)
        self.assertTrue(other.partner_id.parent_id.is_company)
