from cryptography.hazmat.primitives import serialization

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import new_test_user, tagged

from .common import WecomCase, key_pair


@tagged("post_install", "-at_install")
class TestCorp(WecomCase):
    def _message(self, msgid="m1"):
        return {
            "msgid": msgid,
            "action": "send",
            "from": "wangmingle",
            "tolist": ["wmXyz"],
            "roomid": "",
            "msgtime": 1613263768356,
            "msgtype": "text",
            "text": {"content": "过年好"},
        }

    def test_private_key_formats(self):
        pkcs1 = key_pair(1)[0]
        key = serialization.load_pem_private_key(pkcs1.encode(), password=None)
        pkcs8 = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
        keys = self.env["wecom.corp.key"].create(
            [
                {"corp_id": self.corp.id, "version": 1, "private_key": pkcs1},
                {"corp_id": self.corp.id, "version": 2, "private_key": pkcs8},
            ]
        )
        self.assertEqual(keys[0].fingerprint, keys[1].fingerprint)
        self.assertEqual(len(keys[0].fingerprint), 16)

    def test_bad_private_keys_rejected_clearly(self):
        public = key_pair(1)[1]
        key = serialization.load_pem_private_key(key_pair(1)[0].encode(), password=None)
        encrypted = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"pw"),
        ).decode()
        damaged = key_pair(1)[0].replace("A", "B", 40)
        cases = [
            (public, "public key"),
            ("hello", "Not a PEM"),
            (encrypted, "password"),
            (damaged, "cannot be read"),
        ]
        for version, (pem, words) in enumerate(cases, start=10):
            with self.subTest(words=words), self.assertRaises(ValidationError) as caught:
                self.env["wecom.corp.key"].create(
                    {"corp_id": self.corp.id, "version": version, "private_key": pem}
                )
            self.assertIn(words, str(caught.exception))
            self.assertNotIn("PRIVATE KEY-----\n", str(caught.exception))

    def test_secrets_readable_only_by_system_admins(self):
        manager = new_test_user(self.env, "wecom_mgr", groups="wecom_archive.group_wecom_manager")
        corp = self.corp.with_user(manager)
        self.assertEqual(corp.corpid, self.corpid)
        for field in ("secret", "proxy_password"):
            with self.subTest(field=field), self.assertRaises(AccessError):
                corp.read([field])
        self.assertNotIn("secret", corp.fields_get())
        self.env["wecom.corp.key"].create(
            {"corp_id": self.corp.id, "version": 1, "private_key": key_pair(1)[0]}
        )
        with self.assertRaises(AccessError):
            corp.key_ids.read(["private_key"])
        # Loading a library runs its code: a WeCom administrator may not choose it.
        with self.assertRaises(AccessError):
            corp.write({"sdk_library_path": "/tmp/evil.so"})
        corp.write({"batch_size": 500})

    def test_connection_ok(self):
        self.build_corpus([self._message()])
        action = self.corp.action_test_connection()
        self.assertEqual(action["params"]["type"], "success")
        self.assertIn("waiting", action["params"]["message"])
        self.corp.seq = 1
        action = self.corp.action_test_connection()
        self.assertIn("No new", action["params"]["message"])

    def test_connection_errors_in_plain_words(self):
        self.build_corpus([self._message()])
        self.corp.secret = "wrong-secret-value"
        with self.assertRaises(UserError) as caught:
            self.corp.action_test_connection()
        self.assertIn("secret", str(caught.exception).lower())
        self.assertNotIn("wrong-secret-value", str(caught.exception))

        self.corp.secret = self.secret
        self.set_faults("ip_untrusted=1\n")
        with self.assertRaises(UserError) as caught:
            self.corp.action_test_connection()
        self.assertIn("trusted-IP", str(caught.exception))
        self.assertIn("10009", str(caught.exception))

        self.set_faults("")
        self.corp.sdk_library_path = "/nonexistent/libWeWorkFinanceSdk_C.so"
        with self.assertRaises(UserError) as caught:
            self.corp.action_test_connection()
        self.assertIn("file not found", str(caught.exception))

    def test_connection_error_in_chinese(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.build_corpus([self._message()])
        self.set_faults("ip_untrusted=1\n")
        with self.assertRaises(UserError) as caught:
            self.corp.with_context(lang="zh_CN").action_test_connection()
        self.assertIn("可信 IP", str(caught.exception))

    def test_corp_of_other_company_invisible(self):
        other_company = self.env["res.company"].create({"name": "Other Co"})
        other = self.env["wecom.corp"].create(
            {"name": "Other", "corpid": "wwother", "company_id": other_company.id}
        )
        user = new_test_user(
            self.env, "wecom_super", groups="wecom_archive.group_wecom_archive_super"
        )
        visible = self.env["wecom.corp"].with_user(user).search([])
        self.assertIn(self.corp, visible)
        self.assertNotIn(other, visible)
