"""Secrets are write-only: once saved, no user reads them back — the system administrator
included, through any read path — and the form offers only to replace them."""

import json

from odoo.exceptions import AccessError
from odoo.tests import HttpCase, new_test_user, tagged

from .common import fake_sdk_library, key_pair

SECRETS = {
    "secret": "archive-secret-value",
    "proxy_password": "proxy:password-value",
    "contact_secret": "contact-secret-value",
    "customer_secret": "customer-secret-value",
    "app_secret": "app-secret-value",
    "callback_token": "callback-token-value",
    "callback_aes_key": "callback-aes-key-value",
}
PASSWORD = "secrets-test-Passw0rd"


@tagged("post_install", "-at_install")
class TestSecrets(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sysadmin = new_test_user(
            cls.env,
            login="wecom_sysadmin",
            password=PASSWORD,
            groups="base.group_system,base.group_allow_export,wecom_archive.group_wecom_manager",
        )
        corp = (
            cls.env["wecom.corp"]
            .with_user(cls.sysadmin)
            .create(
                {
                    "name": "密钥测试",
                    "corpid": "wwsecrets0000001",
                    "sdk_library_path": fake_sdk_library(),
                    **{f"{name}_input": value for name, value in SECRETS.items()},
                    "key_ids": [(0, 0, {"version": 3, "private_key_input": key_pair(1)[0]})],
                }
            )
        )
        cls.corp = corp.with_user(cls.env.user)

    def test_secrets_are_stored_and_used(self):
        corp_sudo = self.corp.sudo()
        for name, value in SECRETS.items():
            self.assertEqual(corp_sudo[name], value)
            self.assertTrue(self.corp.with_user(self.sysadmin)[f"{name}_set"])
        key = corp_sudo.key_ids
        self.assertEqual(key.private_key.strip(), key_pair(1)[0].strip())
        self.assertTrue(key.fingerprint)
        self.assertEqual(list(corp_sudo._private_keys()), [3])

    def test_no_read_path_returns_a_secret(self):
        corp = self.corp.with_user(self.sysadmin)
        every_field = list(corp.fields_get())
        self.assertNotIn("secret", every_field)  # not even its existence
        values = json.dumps(corp.read([f for f in every_field if f != "key_ids"]), default=str)
        key = corp.key_ids
        values += json.dumps(key.read(list(key.fields_get())), default=str)
        for value in [*SECRETS.values(), "PRIVATE KEY"]:
            self.assertNotIn(value, values)
        for name in (*SECRETS, "key_ids.private_key"):
            with self.subTest(name=name), self.assertRaises(AccessError):
                if name == "key_ids.private_key":
                    key.read(["private_key"])
                else:
                    corp.read([name])
            with self.subTest(name=name), self.assertRaises(AccessError):
                corp.search([(name, "=", "guess")])  # no oracle either
            with self.subTest(name=name), self.assertRaises(AccessError):
                corp.export_data([name.replace(".", "/")])

    def test_http_form_shows_set_and_replaces(self):
        self.authenticate(self.sysadmin.login, PASSWORD)
        form_fields = {f"{name}_{suffix}": {} for name in SECRETS for suffix in ("set", "input")}
        form_fields["key_ids"] = {"fields": {"private_key_input": {}, "fingerprint": {}}}

        def rpc(method, *args):
            response = self.url_open(
                "/web/dataset/call_kw",
                data=json.dumps(
                    {
                        "jsonrpc": "2.0",
                        "method": "call",
                        "params": {
                            "model": "wecom.corp",
                            "method": method,
                            "args": list(args),
                            "kwargs": {},
                        },
                    }
                ),
                headers={"Content-Type": "application/json"},
            )
            return response.text, response.json()

        text, answer = rpc("web_read", self.corp.ids, form_fields)
        for value in [*SECRETS.values(), "PRIVATE KEY"]:
            self.assertNotIn(value, text)
        record = answer["result"][0]
        for name in SECRETS:
            self.assertIs(record[f"{name}_set"], True)
            self.assertFalse(record[f"{name}_input"])
        self.assertTrue(record["key_ids"][0]["fingerprint"])
        _text, answer = rpc("read", self.corp.ids, ["secret"])
        self.assertEqual(answer["error"]["data"]["name"], "odoo.exceptions.AccessError")
        # replacing one leaves the others as they were
        _text, answer = rpc("web_save", self.corp.ids, {"secret_input": "new-secret"}, {})
        self.assertNotIn("error", answer)
        self.assertEqual(self.corp.sudo().secret, "new-secret")
        self.assertEqual(self.corp.sudo().app_secret, SECRETS["app_secret"])

    def test_only_system_administrators_replace_secrets(self):
        manager = new_test_user(
            self.env,
            login="wecom_mgr_only",
            groups="base.group_user,wecom_archive.group_wecom_manager",
        )
        with self.assertRaises(AccessError):
            self.corp.with_user(manager).write({"secret_input": "stolen"})
        self.assertEqual(self.corp.sudo().secret, SECRETS["secret"])
