"""Evidence packs (issue #15 item 1) on a corp fed through the real pipeline: a chat's pack
holds what it must and verifies; one byte altered in any file, or one stored message
altered or deleted, is named by verify; the export right, the scope and the requester-only
rule; the background build and the expiry; the PDF as the viewer shows the thread."""

import io
import json
import zipfile
from datetime import timedelta
from unittest.mock import patch

from PyPDF2 import PdfReader

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, new_test_user, tagged

from ..lib import cards
from ..lib import evidence_verify as verify_lib
from ..lib.integrity import body_hash
from ..lib.tests.samples import SAMPLES
from ..models import wecom_evidence_pack
from .common import NEW_YEAR_2026_MS as T
from .common import WecomCase, key_pair, use_zh_cn
from .common import text_message as text

AILUN, BAIXUE, X = "ailun", "baixue", "wmEvidenceX00001"
PICTURE = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99"
    b"=\x1d\x00\x00\x00\x00IEND\xaeB`\x82"
)


def corpus():
    chat_a = [
        text(f"a{n}", n * 3600, AILUN if n % 2 else X, [X] if n % 2 else [AILUN], f"消息 {n}")
        for n in range(20)
    ]
    chat_a[5]["text"]["content"] = "可以私下转账吗"
    image = {
        "msgid": "a-image",
        "action": "send",
        "from": AILUN,
        "tolist": [X],
        "roomid": "",
        "msgtime": T + 21 * 3600_000,
        "msgtype": "image",
        "image": {"sdkfileid": "img1", "filesize": len(PICTURE), "md5sum": ""},
    }
    mixed = next(s for s in SAMPLES if s["msgtype"] == "mixed")
    mixed = dict(mixed, msgid="a-mixed", tolist=[X], msgtime=T + 22 * 3600_000)
    mixed["from"] = AILUN
    revoke = {
        "msgid": "a-revoke",
        "action": "recall",
        "from": AILUN,
        "tolist": [X],
        "roomid": "",
        "msgtime": T + 23 * 3600_000,
        "msgtype": "revoke",
        "revoke": {"pre_msgid": "a1"},
    }
    return [
        *chat_a,
        image,
        mixed,
        revoke,
        text("c1", 30 * 3600, AILUN, [BAIXUE], "你好"),
        text("c2", 31 * 3600, BAIXUE, [AILUN], "好的，我的电话 13812345678"),
    ], {"img1": PICTURE, "mix01": PICTURE}


@tagged("post_install", "-at_install")
class TestEvidence(WecomCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["wecom.corp.key"].create(
            {"corp_id": cls.corp.id, "version": 1, "private_key": key_pair(1)[0]}
        )
        cls.env["wecom.keyword.rule"].search([]).active = False
        cls.env["wecom.keyword.rule"].create(
            {"name": "私下交易", "category": "私下交易监控", "words_input": "转账"}
        )
        Department = cls.env["wecom.department"]
        cls.sales = Department.create({"corp_id": cls.corp.id, "department_id": 2, "name": "销售"})
        cls.support = Department.create(
            {"corp_id": cls.corp.id, "department_id": 3, "name": "客服"}
        )
        Member = cls.env["wecom.member"]
        cls.a = Member.create(
            {
                "corp_id": cls.corp.id,
                "userid": AILUN,
                "name": "艾伦",
                "department_ids": [Command.set(cls.sales.ids)],
                "archive_status": "archiving",
            }
        )
        cls.b = Member.create(
            {
                "corp_id": cls.corp.id,
                "userid": BAIXUE,
                "name": "白雪",
                "department_ids": [Command.set(cls.support.ids)],
                "archive_status": "archiving",
            }
        )
        cls.env["wecom.contact"].create(
            {"corp_id": cls.corp.id, "external_userid": X, "name": "许先生", "contact_type": "1"}
        )
        messages, media = corpus()
        cls.build_corpus(messages, media=media)
        cls.corp._pull()
        cls.env["wecom.message"]._cron_download_media(time_budget=30)
        cls.env["wecom.message"]._cron_download_media(time_budget=30)
        cls.msg = {
            m.msgid: m for m in cls.env["wecom.message"].search([("corp_id", "=", cls.corp.id)])
        }
        cls.chat_a = cls.msg["a0"].conversation_id
        cls.chat_c = cls.msg["c1"].conversation_id
        groups = "base.group_user,base.group_allow_export,wecom_archive.group_wecom_archive_"
        cls.super = new_test_user(  # with the right to see originals (查看敏感信息原文)
            cls.env,
            login="ev_super",
            name="苏沛",
            groups=groups + "super,wecom_archive.group_wecom_sensitive_view",
            tz="Asia/Shanghai",
        )
        cls.scoped = new_test_user(
            cls.env, login="ev_scoped", name="柯斌", groups=groups + "admin", tz="UTC"
        )
        cls.scoped.wecom_scope_department_ids = cls.support
        cls.no_export = new_test_user(
            cls.env,
            login="ev_no_export",
            groups="base.group_user,wecom_archive.group_wecom_archive_super",
        )

    def request(self, user, **values):
        Pack = self.env["wecom.evidence.pack"].with_user(user)
        pack = Pack.create({"scope": "chat", **values})
        pack.action_build()
        return pack

    def zip_of(self, pack):
        return pack.sudo().attachment_id.raw

    def chat_msgids(self, chat):
        messages = self.env["wecom.message"].search([("conversation_id", "=", chat.id)])
        return [m.msgid for m in messages.sorted(lambda m: (m.msgtime, m.seq))]

    # -- a pack and what it holds ---------------------------------------------------------
    def test_chat_pack_holds_everything_and_verifies(self):
        pack = self.request(self.super, conversation_id=self.chat_a.id, reason="诉讼")
        self.assertEqual(pack.state, "done", pack.error)
        self.assertEqual(pack.progress, 100)
        data = self.zip_of(pack)
        self.assertEqual(pack.zip_sha256, verify_lib.hashlib.sha256(data).hexdigest())
        self.assertEqual(pack.tz, "Asia/Shanghai")
        self.assertTrue(pack.expires_on > fields.Datetime.now() + timedelta(days=6))
        self.corp.evidence_days = 2  # the corp's setting before the system's
        short = self.request(self.super, conversation_id=self.chat_c.id)
        self.assertTrue(short.expires_on < fields.Datetime.now() + timedelta(days=2, minutes=1))
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            manifest = json.loads(archive.read("manifest.json"))
            pdf = archive.read("messages.pdf")
            lines = archive.read("messages.jsonl").split(b"\n")[:-1]
        self.assertTrue(pdf.startswith(b"%PDF"))
        self.assertTrue({"messages.pdf", "messages.xlsx", "messages.jsonl"} <= names)
        media = sorted(name for name in names if name.startswith("media/"))
        # the picture, and the one inside the mixed message once downloaded
        part = self.msg["a-mixed"].media_part_ids
        self.assertEqual(len(media), 1 + len(part.filtered("attachment_id")), media)
        self.assertEqual(pack.media_count, len(media))
        # every message of the chat, in the viewer's order, with its stored hash
        expected = self.chat_msgids(self.chat_a)
        self.assertEqual([m["msgid"] for m in manifest["messages"]], expected)
        for listed, line in zip(manifest["messages"], lines, strict=True):
            message = self.msg[listed["msgid"]]
            self.assertEqual(listed["seq"], message.seq)
            self.assertEqual(listed["sha256"], message.body_sha256)
            self.assertEqual(verify_lib.hashlib.sha256(line).hexdigest(), message.body_sha256)
        self.assertEqual(manifest["exporter"]["login"], "ev_super")
        self.assertIn("苏沛", manifest["watermark"])
        self.assertEqual(manifest["timezone"], "Asia/Shanghai")
        self.assertEqual(manifest["reason"], "诉讼")
        self.assertEqual({f["path"] for f in manifest["files"]}, names - {"manifest.json"})
        # verify: the stored pack, then the same bytes uploaded
        pack.with_user(self.super).action_verify()
        self.assertEqual(pack.verify_state, "ok", pack.verify_report)
        wizard = (
            self.env["wecom.evidence.verify"]
            .with_user(self.super)
            .create({"file": __import__("base64").b64encode(data)})
        )
        wizard.action_verify()
        self.assertEqual(wizard.state, "ok", wizard.report)
        self.assertIn("recorded", wizard.report)
        # written to the access log, the row on the pack
        self.assertEqual(pack.access_log_id.action, "export")
        self.assertEqual(pack.access_log_id.user_id, self.super)
        logs = self.env["wecom.access.log"].search(
            [("user_id", "=", self.super.id), ("action", "=", "export")]
        )
        self.assertTrue(any(pack.zip_sha256 in (log.detail or "") for log in logs))

    def test_pdf_shows_the_thread_as_the_viewer(self):
        pack = (
            self.env["wecom.evidence.pack"]
            .with_user(self.super)
            .create({"scope": "chat", "conversation_id": self.chat_a.id})
        )
        html = self._html(pack)
        self.assertIn("许先生", html)
        self.assertIn("艾伦", html)
        self.assertIn("2026-01-01 08:00:00 +08:00", html)  # a0, in the exporter's time zone
        self.assertIn("已撤回", html)  # a1 was recalled
        self.assertIn("o_ev_violation", html)
        self.assertIn("私下交易", html)
        self.assertIn('src="data:image/', html)  # the picture, shown
        self.assertIn("撤回了一条消息", html)
        self.assertIn("看下这个图", html)  # the mixed message's text part

    def _html(self, pack):
        """The QWeb HTML of the pack's PDF (what wkhtmltopdf prints)."""
        seen = {}
        Report = type(self.env["ir.actions.report"])

        def capture(report_self, bodies, **kwargs):
            seen["html"] = bodies[0]
            return b"%PDF-1.4\n%%EOF"

        with (
            patch.object(Report, "_run_wkhtmltopdf", capture),
            patch.object(wecom_evidence_pack.lib, "stamp_pdf", lambda pdfs, **kw: pdfs[0]),
        ):
            pack.action_build()
        self.assertEqual(pack.state, "done", pack.error)
        return seen["html"]

    def test_large_thread_printed_in_parts(self):
        """A thread cut in parts, each printed by its own wkhtmltopdf, joined and stamped:
        one PDF, the cover once, every page numbered."""
        with (
            patch.object(wecom_evidence_pack, "PDF_PART", 8),
            patch.object(wecom_evidence_pack.os, "cpu_count", lambda: 3),
        ):
            pack = self.request(self.super, conversation_id=self.chat_a.id)
        self.assertEqual(pack.state, "done", pack.error)
        with zipfile.ZipFile(io.BytesIO(self.zip_of(pack))) as archive:
            pdf = archive.read("messages.pdf")
        reader = PdfReader(io.BytesIO(pdf))
        self.assertGreaterEqual(len(reader.pages), 3)
        total = len(reader.pages)
        for number, page in enumerate(reader.pages, start=1):  # the stamp's page numbers
            streams = b"".join(part.get_object().get_data() for part in page["/Contents"])
            self.assertIn(f"({number} / {total}) Tj".encode(), streams)
        pack.with_user(self.super).action_verify()
        self.assertEqual(pack.verify_state, "ok", pack.verify_report)

    def test_every_card_kind_has_its_template(self):
        for kind in cards.KINDS:
            self.assertTrue(self.env.ref(f"wecom_archive.evidence_card_{kind}", False), kind)

    def test_date_range_and_case(self):
        # a0..a7 are on 2026-01-01 in Shanghai (00:00 to 07:00 UTC = 08:00 to 15:00)
        pack = self.request(
            self.super,
            conversation_id=self.chat_a.id,
            date_from="2026-01-01",
            date_to="2026-01-01",
        )
        manifest = self.manifest(pack)
        self.assertEqual([m["msgid"] for m in manifest["messages"]], [f"a{n}" for n in range(16)])
        case = self.env["wecom.violation"].search([("message_id", "=", self.msg["a5"].id)])
        self.assertEqual(len(case), 1)
        action = case.with_user(self.super).action_evidence_pack()
        pack = self.env["wecom.evidence.pack"].browse(action["res_id"])
        self.assertEqual(pack.scope, "case")
        msgids = [m["msgid"] for m in self.manifest(pack)["messages"]]
        self.assertIn("a5", msgids)
        self.assertEqual(msgids, self.chat_msgids(self.chat_a))  # fewer than 50 around it

    def test_search_results(self):
        action = self.env["wecom.evidence.pack"].with_user(self.super).request_search("消息 1")
        pack = self.env["wecom.evidence.pack"].browse(action["res_id"])
        msgids = {m["msgid"] for m in self.manifest(pack)["messages"]}
        self.assertEqual(msgids, {"a1", *(f"a{n}" for n in range(10, 20))})

    def manifest(self, pack):
        self.assertEqual(pack.state, "done", pack.error)
        with zipfile.ZipFile(io.BytesIO(self.zip_of(pack))) as archive:
            return json.loads(archive.read("manifest.json"))

    # -- altered --------------------------------------------------------------------------
    def test_altered_file_or_message_is_named(self):
        pack = self.request(self.super, conversation_id=self.chat_a.id)
        data = self.zip_of(pack)
        Verify = self.env["wecom.evidence.verify"].with_user(self.super)
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            media = next(n for n in archive.namelist() if n.startswith("media/"))
        for name in ("messages.pdf", "messages.xlsx", media):
            altered = self._rewrite(data, name)
            wizard = Verify.create({"file": __import__("base64").b64encode(altered)})
            wizard.action_verify()
            self.assertEqual(wizard.state, "altered")
            self.assertIn(f"file ALTERED: {name}", wizard.report)
            self.assertIn("ALTERED: the pack's SHA-256 differs", wizard.report)
        # one stored message altered in the database, another deleted
        a3, a4 = self.msg["a3"], self.msg["a4"]
        a3_seq, a4_seq = a3.seq, a4.seq
        self.env.cr.execute(
            """UPDATE wecom_message SET body = jsonb_set(body, '{text,content}', '"改过"')
                WHERE id = %s""",
            [a3.id],
        )
        self.env.cr.execute("DELETE FROM wecom_message WHERE id = %s", [a4.id])
        self.env.invalidate_all()
        pack.with_user(self.super).action_verify()
        self.assertEqual(pack.verify_state, "altered")
        report = pack.verify_report
        self.assertIn(f"seq {a3_seq} msgid a3 differs from the archive", report)
        self.assertIn(f"seq {a4_seq} msgid a4 is no longer in the archive", report)
        self.assertNotIn("msgid a5 ", report)

    def _rewrite(self, data, name):
        out = io.BytesIO()
        with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
            for info in src.infolist():
                raw = src.read(info.filename)
                if info.filename == name:
                    at = len(raw) // 2
                    raw = raw[:at] + bytes([raw[at] ^ 1]) + raw[at + 1 :]
                dst.writestr(info, raw)
        return out.getvalue()

    # -- rights and scope -----------------------------------------------------------------
    def test_export_right_scope_and_requester_only(self):
        Pack = self.env["wecom.evidence.pack"]
        with self.assertRaises(AccessError):
            Pack.with_user(self.no_export).create(
                {"scope": "chat", "conversation_id": self.chat_c.id}
            )
        # a scoped admin (客服: 白雪) exports the chat 白雪 is in, not 艾伦's with 许先生
        with self.assertRaises(AccessError):
            Pack.with_user(self.scoped).create({"scope": "chat", "conversation_id": self.chat_a.id})
        action = Pack.with_user(self.scoped).request_chat(self.chat_c.id)
        pack = Pack.browse(action["res_id"])
        self.assertEqual([m["msgid"] for m in self.manifest(pack)["messages"]], ["c1", "c2"])
        self.assertEqual(pack.access_log_id.user_id, self.scoped)
        # a search's pack holds only what the scoped admin may read
        action = Pack.with_user(self.scoped).request_search("消息")
        self.assertEqual(Pack.browse(action["res_id"]).message_count, 0)
        # the pack and its ZIP are the requester's only, the super admin's view included
        self.assertFalse(Pack.with_user(self.super).search([("id", "=", pack.id)]))
        attachment = pack.sudo().attachment_id
        with self.assertRaises(AccessError):
            attachment.with_user(self.super).check("read")
        attachment.with_user(self.scoped).check("read")
        with self.assertRaises(AccessError):
            pack.with_user(self.super).action_build()
        with self.assertRaises(UserError):
            pack.with_user(self.scoped).write({"zip_sha256": "0" * 64})

    # -- background and expiry ------------------------------------------------------------
    def test_large_pack_built_by_the_job_as_its_requester(self):
        with patch.object(wecom_evidence_pack, "SYNC_LIMIT", 1):
            pack = self.request(self.scoped, conversation_id=self.chat_c.id)
        self.assertEqual(pack.state, "queued")
        self.env["wecom.evidence.pack"]._cron_build()
        self.assertEqual(pack.state, "done", pack.error)
        self.assertEqual(pack.message_count, 2)
        self.assertEqual(self.manifest(pack)["exporter"]["login"], "ev_scoped")
        # past its expiry the ZIP is deleted
        pack.sudo().expires_on = fields.Datetime.now() - timedelta(minutes=1)
        attachment = pack.sudo().attachment_id
        self.env["wecom.evidence.pack"]._cron_build()
        self.assertEqual(pack.state, "expired")
        self.assertFalse(attachment.exists())
        # a pack left building by a job that was killed: failed by the next run
        stuck = self.request(self.scoped, conversation_id=self.chat_c.id)
        stuck.sudo().write({"state": "running", "progress": 40})
        self.env["wecom.evidence.pack"]._cron_build()
        self.assertEqual(stuck.state, "failed")
        self.assertTrue(stuck.error)

    def test_message_hash_is_the_stored_one(self):
        message = self.msg["a0"]
        self.env.cr.execute("SELECT body::text FROM wecom_message WHERE id = %s", [message.id])
        self.assertEqual(body_hash(self.env.cr.fetchone()[0]), message.body_sha256)

    def test_masked_without_the_right_to_originals(self):
        """A requester without 查看敏感信息原文 gets the thread masked as the viewer shows it
        them, and no original JSON: the messages are listed with their hashes, and checked
        against the archive."""
        pack = self.request(self.scoped, conversation_id=self.chat_c.id)
        manifest = self.manifest(pack)
        self.assertTrue(manifest["masked"])
        self.assertEqual(manifest["message_bodies"], "withheld")
        data = self.zip_of(pack)
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            self.assertNotIn("messages.jsonl", archive.namelist())
            sheet = archive.read("messages.xlsx")
        with zipfile.ZipFile(io.BytesIO(sheet)) as book:
            cells = "".join(
                book.read(name).decode() for name in book.namelist() if name.startswith("xl/")
            )
        self.assertIn("138****5678", cells)
        self.assertNotIn("13812345678", cells)
        self.assertEqual(manifest["messages"][1]["sha256"], self.msg["c2"].body_sha256)
        pack.with_user(self.scoped).action_verify()
        self.assertEqual(pack.verify_state, "ok", pack.verify_report)
        # with the right, the originals
        pack = self.request(self.super, conversation_id=self.chat_c.id)
        with zipfile.ZipFile(io.BytesIO(self.zip_of(pack))) as archive:
            self.assertIn("13812345678", archive.read("messages.jsonl").decode())


@tagged("post_install", "-at_install")
class TestEvidenceTour(WecomCase, HttpCase):
    corpid = "wwevidencetour01"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        use_zh_cn(env)
        env.ref("base.user_admin").groups_id = [Command.link(env.ref("base.group_allow_export").id)]
        env["wecom.corp.key"].create(
            {"corp_id": cls.corp.id, "version": 1, "private_key": key_pair(1)[0]}
        )
        env["wecom.member"].create(
            {
                "corp_id": cls.corp.id,
                "userid": AILUN,
                "name": "王明乐",
                "archive_status": "archiving",
            }
        )
        env["wecom.contact"].create(
            {"corp_id": cls.corp.id, "external_userid": X, "name": "朱甜甜", "contact_type": "1"}
        )
        messages = [
            text(f"t{n}", n * 60, AILUN if n % 2 else X, [X] if n % 2 else [AILUN], f"证据消息 {n}")
            for n in range(10)
        ]
        cls.build_corpus(messages)
        cls.corp._pull()

    def test_export_and_download(self):
        self.start_tour("/odoo/chat-records", "wecom_archive_evidence", login="admin")
        admin = self.env.ref("base.user_admin")
        packs = self.env["wecom.evidence.pack"].search([("requester_id", "=", admin.id)])
        self.assertEqual(packs.mapped("scope"), ["chat", "search"])  # newest first
        self.assertEqual(packs[1].message_count, 1)  # 证据消息 1 (not 10: there are 10)
        pack = packs[0]
        self.assertEqual((pack.state, pack.message_count, pack.reason), ("done", 10, "合规调查"))
        self.assertEqual(pack.verify_state, "ok")
        downloads = self.env["wecom.access.log"].search(
            [("user_id", "=", admin.id), ("action", "=", "export"), ("detail", "ilike", "EP")]
        )
        self.assertTrue(any("下载" in d.detail or "Downloaded" in d.detail for d in downloads))

    def test_download_is_the_requesters_only(self):
        admin = self.env.ref("base.user_admin")
        chat = self.env["wecom.message"].search([("msgid", "=", "t0")]).conversation_id
        action = self.env["wecom.evidence.pack"].with_user(admin).request_chat(chat.id)
        url = f"/wecom_archive/evidence/{action['res_id']}/download"
        new_test_user(
            self.env,
            login="ev_other",
            password="ev_other_pw",
            groups="base.group_user,base.group_allow_export,wecom_archive.group_wecom_manager",
        )
        self.authenticate("ev_other", "ev_other_pw")
        self.assertEqual(self.url_open(url).status_code, 404)
        self.authenticate("admin", "admin")
        response = self.url_open(url)
        self.assertEqual(response.status_code, 200)
        self.assertTrue(response.content.startswith(b"PK"))
        pack = self.env["wecom.evidence.pack"].browse(action["res_id"])
        self.assertEqual(verify_lib.hashlib.sha256(response.content).hexdigest(), pack.zip_sha256)
