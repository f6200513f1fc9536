"""WeCom's signed, encrypted callbacks through the real HTTP controller."""

import base64
import os
from urllib.parse import urlencode

from odoo.tests import HttpCase, tagged

from ..lib.callback import CallbackCrypto

TOKEN = "cbToken123"
AES_KEY = base64.b64encode(os.urandom(32)).decode().rstrip("=")


@tagged("post_install", "-at_install")
class TestCallback(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.corp = cls.env["wecom.corp"].create(
            {
                "name": "回调企业",
                "corpid": "wwcallback000001",
                "sdk_library_path": "/nonexistent/libWeWorkFinanceSdk_C.so",
                "callback_token": TOKEN,
                "callback_aes_key": AES_KEY,
            }
        )
        cls.crypto = CallbackCrypto(TOKEN, AES_KEY, "wwcallback000001")
        cls.url = f"/wecom_archive/callback/{cls.corp.id}"
        cls.pull_cron = cls.env.ref("wecom_archive.ir_cron_wecom_pull")

    def triggers(self):
        return self.env["ir.cron.trigger"].search_count([("cron_id", "=", self.pull_cron.id)])

    def post_event(self, inner, signature=None):
        body = self.crypto.encrypt_message(inner, "1700000000", "nonce42")
        encrypt = body.decode().split("<Encrypt><![CDATA[")[1].split("]]>")[0]
        signature = signature or self.crypto.signature("1700000000", "nonce42", encrypt)
        return self.url_open(
            f"{self.url}?msg_signature={signature}&timestamp=1700000000&nonce=nonce42",
            data=body,
            headers={"Content-Type": "text/xml"},
        )

    def test_url_verification(self):
        echostr = self.crypto.encrypt("echo-4242")
        signature = self.crypto.signature("1700000000", "n1", echostr)
        query = {
            "msg_signature": signature,
            "timestamp": "1700000000",
            "nonce": "n1",
            "echostr": echostr,
        }
        response = self.url_open(f"{self.url}?{urlencode(query)}")
        self.assertEqual((response.status_code, response.text), (200, "echo-4242"))
        query["msg_signature"] = "0" * 40
        bad = self.url_open(f"{self.url}?{urlencode(query)}")
        self.assertEqual(bad.status_code, 403)

    def test_msgaudit_notify_triggers_pull(self):
        inner = (
            "<xml><ToUserName><![CDATA[wwcallback000001]]></ToUserName>"
            "<FromUserName><![CDATA[sys]]></FromUserName><CreateTime>1700000000</CreateTime>"
            "<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[msgaudit_notify]]></Event>"
            "<AgentID>2000004</AgentID></xml>"
        )
        before = self.triggers()
        response = self.post_event(inner)
        self.assertEqual((response.status_code, response.text), (200, "success"))
        self.assertEqual(self.triggers(), before + 1)

    def test_bad_signature_rejected(self):
        inner = "<xml><MsgType>event</MsgType><Event>msgaudit_notify</Event></xml>"
        before = self.triggers()
        response = self.post_event(inner, signature="f" * 40)
        self.assertEqual(response.status_code, 403)
        self.assertEqual(self.triggers(), before)

    def test_other_corps_key_rejected(self):
        other = CallbackCrypto(
            TOKEN, base64.b64encode(os.urandom(32)).decode().rstrip("="), "wwcallback000001"
        )
        body = other.encrypt_message("<xml><Event>msgaudit_notify</Event></xml>", "1", "n")
        encrypt = body.decode().split("<Encrypt><![CDATA[")[1].split("]]>")[0]
        signature = other.signature("1", "n", encrypt)  # right token, wrong AES key
        before = self.triggers()
        response = self.url_open(
            f"{self.url}?msg_signature={signature}&timestamp=1&nonce=n", data=body
        )
        self.assertEqual(response.status_code, 403)
        self.assertEqual(self.triggers(), before)

    def test_unknown_corp_is_not_found(self):
        response = self.url_open("/wecom_archive/callback/999999", data=b"<xml/>")
        self.assertEqual(response.status_code, 404)

    def test_contact_change_marks_customer_for_sync(self):
        inner = (
            "<xml><ToUserName>wwcallback000001</ToUserName><MsgType>event</MsgType>"
            "<Event>change_external_contact</Event><ChangeType>edit_external_contact</ChangeType>"
            "<UserID>zhangsan</UserID><ExternalUserID>wmCALLBACK0000000000000000000001</ExternalUserID>"
            "</xml>"
        )
        response = self.post_event(inner)
        self.assertEqual(response.status_code, 200)
        contact = self.env["wecom.contact"].search(
            [("external_userid", "=", "wmCALLBACK0000000000000000000001")]
        )
        self.assertTrue(contact)
        self.assertFalse(contact.synced_on)
