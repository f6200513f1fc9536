"""存档健康 (issue #13, item 4): each figure of wecom.health against a small fixed corpus pulled
through the real pipeline — a missing key version, a malformed record, a failed and an
unverified media download, customers who refused archiving, a lagging pull, members in the
archive scope beyond the seats, not synced or never seen — for a super admin and for a
scoped archive admin; the actions that fix each problem or list its rows; the partial indexes
the counts use; and a Chromium tour from the missing key's row to the corp's keys."""

import json
from datetime import datetime, timedelta

import pytz

from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools import SQL

from ..models.wecom_health import _MEDIA_DOMAIN, FAILED_STATES
from .common import WecomCase, key_pair
from .test_stats import msg

ALICE, BOB, CAROL, DAVE, EVE = "alice", "bob", "carol", "dave", "eve"
CUST1, CUST2, CUST3, CUST4 = "wmHealth1", "wmHealth2", "wmHealth3", "wmHealth4"
TODAY = datetime.now(pytz.timezone("Asia/Shanghai")).date()
D2, D1 = TODAY - timedelta(days=2), TODAY - timedelta(days=1)


def _voice(name, day, hour, sender, to):
    message = msg(name, day, hour, 0, sender, to, msgtype="voice")
    message.pop("text")
    message["voice"] = {"sdkfileid": "gone", "voice_size": 5, "md5sum": "", "play_length": 2}
    return message


def _image(name, day, hour, sender, to):
    message = msg(name, day, hour, 0, sender, to, msgtype="image")
    message.pop("text")
    message["image"] = {"sdkfileid": "img", "md5sum": "", "filesize": 0}  # nothing to check
    return message


LINES = [
    json.dumps(msg("H1", D2, 10, 0, CUST1, [ALICE])),
    json.dumps(_voice("H2", D2, 11, ALICE, [CUST1])),  # its file is gone: download fails
    json.dumps(_image("H3", D1, 9, BOB, [CUST2])),  # downloaded, unverified
    "2\t" + json.dumps(msg("H4", D1, 9, 30, BOB, [CUST2])),  # key version 2 missing
    "2\t" + json.dumps(msg("H5", D1, 9, 40, CUST2, [BOB])),
    '{"msgid": "H6", "msgtype": "text", "text": {"con',  # malformed
    json.dumps(msg("H7", D1, 10, 0, ALICE, [BOB])),  # internal
    json.dumps(msg("H8", D1, 11, 0, CUST4, [BOB])),
]
NEWEST = msg("H8", D1, 11, 0, CUST4, [BOB])["msgtime"]


class HealthCase(WecomCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        env["wecom.corp.key"].create(
            {"corp_id": cls.corp.id, "version": 1, "private_key": key_pair(1)[0]}
        )
        Department = env["wecom.department"]
        cls.sales = Department.create(
            {"corp_id": cls.corp.id, "department_id": 2, "name": "销售部"}
        )
        support = Department.create({"corp_id": cls.corp.id, "department_id": 4, "name": "客服部"})
        synced = fields.Datetime.now()
        Member = env["wecom.member"]
        cls.alice, cls.bob, cls.carol, cls.dave = Member.create(
            [
                {
                    "corp_id": cls.corp.id,
                    "userid": userid,
                    "name": name,
                    "department_ids": [department.id],
                    "main_department_id": department.id,
                    "archive_status": "archiving",
                    "synced_on": synced if name else False,
                }
                for userid, name, department in (
                    (ALICE, "艾丽", cls.sales),
                    (BOB, "鲍勃", support),
                    (CAROL, False, cls.sales),  # in scope, never synced, never seen
                    (DAVE, "戴夫", support),  # synced, never seen
                )
            ]
        )


@tagged("post_install", "-at_install")
class TestHealth(HealthCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        cls.build_corpus(LINES, versions=(1, 2), media={"img": b"abc"})
        cls.corp._pull()
        env["wecom.message"]._cron_download_media(time_budget=30)
        # the directory sync: WeCom lists a member the directory does not return
        members = {m.userid: m for m in env["wecom.member"].search([("corp_id", "=", cls.corp.id)])}
        cls.corp._write_archive_status(
            members, {ALICE, BOB, CAROL, DAVE, "ghost"}, fields.Datetime.now()
        )
        env["wecom.member"].create(
            {"corp_id": cls.corp.id, "userid": EVE, "name": "伊芙", "archive_status": "archived"}
        )
        # customers: CUST2 (Bob follows, chats), CUST3 (Alice follows) and CUST4 (chats with
        # Bob) refused archiving; CUST1 agreed
        contacts = {
            c.external_userid: c
            for c in env["wecom.contact"].search([("corp_id", "=", cls.corp.id)])
        }
        contacts[CUST3] = env["wecom.contact"].create(
            {"corp_id": cls.corp.id, "external_userid": CUST3, "name": "丙客户"}
        )
        for external, status in ((CUST1, "agree"), (CUST2, "disagree"), (CUST3, "disagree")):
            contacts[external].consent_status = status
        contacts[CUST4].consent_status = "disagree"
        env["wecom.contact.follow"].create(
            [
                {"contact_id": contacts[CUST2].id, "member_id": cls.bob.id},
                {"contact_id": contacts[CUST3].id, "member_id": cls.alice.id},
                {"contact_id": contacts[CUST1].id, "member_id": cls.alice.id},
            ]
        )
        cls.contacts = contacts
        # a lagging pull: none succeeded for 20 hours, the last one failed
        cls.corp.write({"archive_seats": 3, "lag_alarm_hours": 12})
        cls.pulled = fields.Datetime.now() - timedelta(hours=20)
        env.cr.execute(
            "UPDATE wecom_corp SET last_pull_ok = %s, last_error = %s WHERE id = %s",
            [cls.pulled, "This server's IP is not on the trusted-IP list.", cls.corp.id],
        )
        cls.corp.invalidate_recordset()
        groups = "base.group_user,wecom_archive.group_wecom_"
        cls.manager = new_test_user(env, login="health_manager", groups=groups + "manager")
        cls.super_admin = new_test_user(env, login="health_super", groups=groups + "archive_super")
        cls.scoped = new_test_user(env, login="health_scoped", groups=groups + "archive_admin")
        cls.scoped.wecom_scope_department_ids = cls.sales
        env.flush_all()

    def health(self, user):
        return self.env["wecom.health"].with_user(user).health(self.corp.id)

    def problems(self, result):
        return {p["key"]: p for p in result["problems"]}

    def action(self, user, name, arg=None):
        return self.env["wecom.health"].with_user(user).health_action(self.corp.id, name, arg)

    def listed(self, user, action):
        Model = self.env[action["res_model"]].with_user(user).with_context(**action["context"])
        return Model.search(action["domain"])

    # -- the figures -------------------------------------------------------------------------
    def test_the_corpus(self):
        messages = self.env["wecom.message"].search([("corp_id", "=", self.corp.id)])
        states = {m.msgid: (m.state, m.media_state, m.media_check) for m in messages}
        self.assertEqual(states["H2"][1], "failed")
        self.assertEqual(states["H3"][1:], ("done", "none"))
        self.assertEqual(
            sorted(m.state for m in messages if m.state != "done"),
            ["no_key", "no_key", "parse_error"],  # H4 H5 (their msgid is WeCom's); H6
        )

    def test_super_admin_figures(self):
        result = self.health(self.super_admin)
        corp = result["corp"]
        self.assertFalse(result["scoped"])
        self.assertEqual(
            corp["scope"],
            {
                "in_scope": 4,  # Alice, Bob, Carol, Dave
                "formerly": 1,  # Eve
                "not_synced": 1,  # Carol
                "never_seen": 2,  # Carol, Dave
                "seats": 3,
                "wecom_scope": 5,  # and ghost
                "unsynced_userids": ["ghost"],
                "last_sync": False,
            },
        )
        daily = {point["day"]: point["messages"] for point in corp["daily"]}
        self.assertEqual(len(daily), 30)
        self.assertEqual(corp["daily"][-1]["day"], fields.Date.to_string(TODAY))
        self.assertEqual(
            {day: n for day, n in daily.items() if n},
            {fields.Date.to_string(D2): 2, fields.Date.to_string(D1): 3},  # H1 H2; H3 H7 H8
        )
        messages = corp["messages"]
        self.assertEqual(
            (messages["no_key"], messages["decrypt_error"], messages["parse_error"]), (2, 0, 1)
        )
        self.assertEqual(messages["waiting"], [{"version": 2, "count": 2}])
        self.assertEqual(len(messages["reasons"]["parse_error"]), 1)
        self.assertIn("malformed JSON", messages["reasons"]["parse_error"][0]["reason"])
        media = corp["media"]
        self.assertEqual((media["failed"], media["too_large"], media["unverified"]), (1, 0, 1))
        self.assertEqual(media["reasons"][0]["count"], 1)
        self.assertIn("10005", media["reasons"][0]["reason"])
        refused = corp["refused"]
        self.assertEqual(refused["total"], 3)
        self.assertEqual(
            [(row["name"], row["count"]) for row in refused["members"]],
            [("鲍勃", 2), ("艾丽", 1)],  # CUST2 (followed and chatted, once) and CUST4; CUST3
        )
        pull = corp["pull"]
        self.assertEqual(
            pull["newest_msgtime"],
            fields.Datetime.to_string(datetime.utcfromtimestamp(NEWEST / 1000)),
        )
        now = fields.Datetime.now()
        self.assertAlmostEqual(
            pull["lag"], (now - datetime.utcfromtimestamp(NEWEST / 1000)).total_seconds(), delta=60
        )
        self.assertAlmostEqual(pull["since_pull"], 20 * 3600, delta=60)
        self.assertIn("trusted-IP", pull["last_error"])

    def test_super_admin_problems(self):
        result = self.health(self.super_admin)
        problems = self.problems(result)
        self.assertEqual(
            set(problems),
            {
                "pull_error",
                "pull_stalled",
                "no_key_2",
                "parse_error",
                "media_failed",
                "media_unverified",
                "over_seats",
                "scope_unsynced",
                "not_synced",
                "never_seen",
                "refused",
            },
        )
        order = [p["severity"] for p in result["problems"]]
        self.assertEqual(order, sorted(order, key=["danger", "warning", "info"].index))
        self.assertEqual(problems["no_key_2"]["severity"], "danger")
        self.assertEqual(problems["no_key_2"]["count"], 2)
        self.assertIn("version 2", problems["no_key_2"]["reason"])
        self.assertEqual(problems["over_seats"]["count"], 2)  # 5 in the scope, 3 seats
        self.assertIn("ghost", problems["scope_unsynced"]["reason"])
        self.assertEqual(problems["refused"]["count"], 3)
        # a super admin may only look: the fixes are the WeCom administrators'
        self.assertEqual([a["name"] for a in problems["no_key_2"]["actions"]], ["messages"])
        self.assertEqual([a["name"] for a in problems["media_failed"]["actions"]], ["media"])
        # the administrator (a system administrator too) gets the buttons that fix them
        admin = self.problems(self.health(self.env.ref("base.user_admin")))
        self.assertEqual(
            [(a["name"], a["arg"]) for a in admin["no_key_2"]["actions"]],
            [("keys", 2), ("messages", "no_key:2")],
        )
        self.assertEqual(
            [a["name"] for a in admin["parse_error"]["actions"]], ["reprocess", "messages"]
        )
        self.assertEqual([a["name"] for a in admin["pull_error"]["actions"]], ["pull", "corp"])
        manager = self.problems(self.health(self.manager))
        self.assertEqual([a["name"] for a in manager["no_key_2"]["actions"]], ["messages"])
        self.assertIn("ask a system administrator", manager["no_key_2"]["reason"])

    def test_scoped_admin_counts_their_scope(self):
        result = self.health(self.scoped)  # 销售部: Alice and Carol
        corp = result["corp"]
        self.assertTrue(result["scoped"])
        self.assertEqual(
            corp["scope"],
            {
                "in_scope": 2,
                "formerly": 0,
                "not_synced": 1,
                "never_seen": 1,
                "seats": False,
                "wecom_scope": False,
                "unsynced_userids": [],
                "last_sync": False,
            },
        )
        daily = {point["day"]: point["messages"] for point in corp["daily"] if point["messages"]}
        # H1 H2 with CUST1; H7 Alice's internal chat with Bob
        self.assertEqual(daily, {fields.Date.to_string(D2): 2, fields.Date.to_string(D1): 1})
        # undecrypted messages name nobody: outside every scope
        messages = corp["messages"]
        self.assertEqual((messages["no_key"], messages["parse_error"]), (0, 0))
        self.assertEqual((corp["media"]["failed"], corp["media"]["unverified"]), (1, 0))
        self.assertEqual(corp["refused"]["total"], 1)
        self.assertEqual(
            [(row["name"], row["count"]) for row in corp["refused"]["members"]], [("艾丽", 1)]
        )
        self.assertEqual(
            set(self.problems(result)),
            {"pull_error", "pull_stalled", "media_failed", "not_synced", "never_seen", "refused"},
        )
        for problem in result["problems"]:
            self.assertFalse(
                {a["name"] for a in problem["actions"]}
                & {"pull", "reprocess", "retry_media", "keys", "corp", "sync"},
                problem["key"],
            )

    # -- the actions -------------------------------------------------------------------------
    def test_lists_behind_the_numbers(self):
        for user in (self.super_admin, self.scoped):
            result = self.health(user)
            corp = result["corp"]
            checks = {
                ("messages", "no_key:2"): corp["messages"]["no_key"],
                ("messages", "parse_error"): corp["messages"]["parse_error"],
                ("media", "failed"): corp["media"]["failed"],
                ("media", "unverified"): corp["media"]["unverified"],
                ("members", "scope"): corp["scope"]["in_scope"],
                ("members", "not_synced"): corp["scope"]["not_synced"],
                ("members", "never_seen"): corp["scope"]["never_seen"],
                ("refused", None): corp["refused"]["total"],
            }
            for row in corp["refused"]["members"]:
                checks["refused", row["member_id"]] = row["count"]
            for (name, arg), count in checks.items():
                with self.subTest(user=user.login, action=name, arg=arg):
                    action = self.action(user, name, arg)
                    self.assertEqual(action["type"], "ir.actions.act_window")
                    self.assertEqual(len(self.listed(user, action)), count)
        never_seen = self.listed(
            self.super_admin, self.action(self.super_admin, "members", "never_seen")
        )
        self.assertEqual(never_seen, self.carol | self.dave)
        bob = self.listed(self.super_admin, self.action(self.super_admin, "refused", self.bob.id))
        self.assertEqual(set(bob.mapped("external_userid")), {CUST2, CUST4})

    def test_add_key_action_opens_the_corps_keys(self):
        admin = self.env.ref("base.user_admin")
        action = self.action(admin, "keys", 2)
        self.assertEqual((action["res_model"], action["res_id"]), ("wecom.corp", self.corp.id))
        view = self.env.ref("wecom_archive.wecom_health_corp_view_form_keys")
        self.assertEqual(action["views"], [(view.id, "form")])
        self.assertEqual(action["context"], {"wecom_key_version": 2})
        arch = self.env["wecom.corp"].with_user(admin).get_view(view.id)["arch"]
        self.assertIn('autofocus="autofocus"', arch)
        for user in (self.manager, self.scoped):
            with self.assertRaises(AccessError):
                self.action(user, "keys", 2)
        # the key added: the messages are decrypted, the problem is gone
        self.env["wecom.corp.key"].create(
            {"corp_id": self.corp.id, "version": 2, "private_key": key_pair(2)[0]}
        )
        result = self.health(self.super_admin)
        self.assertEqual(result["corp"]["messages"]["waiting"], [])
        self.assertNotIn("no_key_2", self.problems(result))
        self.assertEqual(result["corp"]["messages"]["no_key"], 0)

    def test_fix_actions(self):
        # retry the failed download: pending again, for the media job
        with self.assertRaises(AccessError):
            self.action(self.scoped, "retry_media")
        with self.assertRaises(AccessError):
            self.action(self.super_admin, "reprocess")
        notification = self.action(self.manager, "retry_media")
        self.assertEqual(notification["tag"], "display_notification")
        voice = self.env["wecom.message"].search(
            [("corp_id", "=", self.corp.id), ("msgid", "=", "H2")]
        )
        self.assertEqual((voice.media_state, voice.media_attempts), ("pending", 0))
        self.assertEqual(self.health(self.manager)["corp"]["media"]["failed"], 0)
        # retry the failed messages: the corp's own button
        self.assertEqual(self.action(self.manager, "reprocess")["tag"], "display_notification")
        self.assertEqual(self.health(self.manager)["corp"]["messages"]["parse_error"], 1)
        # pull now: it succeeds, the pull problems are gone
        self.assertEqual(self.action(self.manager, "pull")["tag"], "display_notification")
        problems = self.problems(self.health(self.manager))
        self.assertNotIn("pull_error", problems)
        self.assertNotIn("pull_stalled", problems)
        self.assertEqual(self.action(self.manager, "corp")["res_id"], self.corp.id)

    def test_counts_use_the_partial_indexes(self):
        """The counts of what went wrong can read their rows through partial indexes that
        hold only them: each count's condition implies its index's predicate (checked without
        the corp, whose own indexes PostgreSQL may prefer on a table of a few rows; on a
        large one the partial index is the cheap path)."""
        checks = (
            (
                "wecom.message",
                [("state", "in", list(FAILED_STATES))],
                "wecom_message_to_reprocess_idx",
            ),
            ("wecom.message", _MEDIA_DOMAIN, "wecom_message_media_problem_idx"),
            ("wecom.message.media", _MEDIA_DOMAIN, "wecom_message_media_part_problem_idx"),
            (
                "wecom.contact",
                [("consent_status", "=", "disagree")],
                "wecom_contact_refused_idx",
            ),
        )
        self.env.cr.execute("SET LOCAL enable_seqscan = off")
        self.addCleanup(self.env.cr.execute, "SET LOCAL enable_seqscan = on")
        for model, domain, index in checks:
            with self.subTest(index=index):
                query = self.env[model].sudo()._search(domain)
                self.env.cr.execute(SQL("EXPLAIN %s", query.select(SQL("COUNT(*)"))))
                plan = "\n".join(row[0] for row in self.env.cr.fetchall())
                self.assertIn(index, plan)

    def test_sync_stores_the_scope(self):
        self.assertEqual(self.corp.archive_scope_count, 5)
        self.assertEqual(self.corp.archive_scope_unsynced, "ghost")


@tagged("post_install", "-at_install")
class TestHealthStates(WecomCase):
    """The other problems: a corp never pulled with nobody in the archive scope and no seats
    entered; a wrong private key, records set aside, files over the corp's limit, and pulls
    that succeed while the newest message is days old."""

    corpid = "wwhealthstate001"

    def setUp(self):
        super().setUp()
        groups = "base.group_user,wecom_archive.group_wecom_"
        self.manager = new_test_user(self.env, login="hs_manager", groups=groups + "manager")
        self.scoped = new_test_user(self.env, login="hs_scoped", groups=groups + "archive_admin")

    def problems(self, user):
        result = self.env["wecom.health"].with_user(user).health(self.corp.id)
        return {p["key"]: p for p in result["problems"]}

    def test_a_new_corp(self):
        problems = self.problems(self.manager)
        self.assertEqual(set(problems), {"never_pulled", "no_scope", "seats_unknown"})
        self.assertEqual([a["name"] for a in problems["never_pulled"]["actions"]], ["pull", "corp"])
        self.assertEqual([a["name"] for a in problems["no_scope"]["actions"]], ["sync"])
        self.assertIn("管理工具 → 会话内容存档", problems["no_scope"]["reason"])
        scoped = self.problems(self.scoped)
        self.assertEqual(set(scoped), {"never_pulled", "no_scope"})
        self.assertIn("your scope", scoped["no_scope"]["reason"])

    def test_wrong_key_set_aside_too_large_and_quiet(self):
        env = self.env
        env["wecom.member"].create(
            {
                "corp_id": self.corp.id,
                "userid": ALICE,
                "name": "艾丽",
                "archive_status": "archiving",
            }
        )
        env["wecom.corp.key"].create(
            [
                {"corp_id": self.corp.id, "version": 1, "private_key": key_pair(1)[0]},
                # version 2's private key is version 1's: the wrong one
                {"corp_id": self.corp.id, "version": 2, "private_key": key_pair(1)[0]},
            ]
        )
        old = TODAY - timedelta(days=3)
        huge = msg("Q1", old, 10, 0, ALICE, [CUST1], msgtype="image")
        huge.pop("text")
        huge["image"] = {"sdkfileid": "huge", "md5sum": "", "filesize": 200 * 1024 * 1024}
        self.build_corpus(
            [json.dumps(huge), "2\t" + json.dumps(msg("Q2", old, 11, 0, CUST1, [ALICE]))],
            versions=(1, 2),
        )
        self.corp._pull()
        env["wecom.message"]._cron_download_media(time_budget=30)
        self.corp.write({"archive_seats": 10})
        env.cr.execute(
            "UPDATE wecom_corp SET isolated_error = %s WHERE id = %s",
            ["The Finance SDK crashed on 1 record(s): seq 9", self.corp.id],
        )
        self.corp.invalidate_recordset()
        problems = self.problems(self.manager)
        self.assertEqual(
            set(problems),
            {"decrypt_error", "isolated", "media_too_large", "quiet", "not_synced"},
        )
        self.assertEqual(problems["decrypt_error"]["count"], 1)
        self.assertEqual(
            [a["name"] for a in problems["decrypt_error"]["actions"]], ["reprocess", "messages"]
        )
        self.assertIn("seq 9", problems["isolated"]["reason"])
        self.assertEqual(problems["media_too_large"]["count"], 1)
        self.assertIn("100 MB", problems["media_too_large"]["reason"])
        self.assertIn("hours old", problems["quiet"]["reason"])
        health = env["wecom.health"].with_user(self.manager).health(self.corp.id)["corp"]
        self.assertEqual(len(health["messages"]["reasons"]["decrypt_error"]), 1)
        self.assertEqual(health["messages"]["reasons"]["decrypt_error"][0]["count"], 1)
        # a scoped admin sees neither the undecrypted record nor the corp's set-aside ones
        self.scoped.wecom_scope_member_ids = env["wecom.member"].search(
            [("corp_id", "=", self.corp.id)]
        )
        scoped = self.problems(self.scoped)
        self.assertFalse({"decrypt_error", "isolated"} & set(scoped))
        self.assertIn("media_too_large", scoped)


@tagged("post_install", "-at_install")
class TestHealthTour(HealthCase, HttpCase):
    """Open 存档健康, see the row of the missing key version 2, click its action and land
    on the corp's private keys."""

    corpid = "wwhealthtour0001"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.build_corpus(LINES[:1] + LINES[3:5], versions=(1, 2))
        cls.corp._pull()

    def test_health_tour(self):
        self.start_tour(
            f"/odoo/archive-health?corp={self.corp.id}", "wecom_archive_health", login="admin"
        )
