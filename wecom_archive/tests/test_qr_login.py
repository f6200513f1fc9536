"""WeCom QR login (扫码登录) end to end over real HTTP, against the fake WeCom server API."""

import json
import logging
import re
import time
from urllib.parse import parse_qs, urlencode, urlsplit

import odoo
from odoo.exceptions import AccessDenied
from odoo.tests import HttpCase, new_test_user, tagged

from ..controllers.qr_login import LOGIN_URL_PARAM, SESSION_KEY
from ..models.wecom_access_token import token_store
from ..native.fake_api.server import FakeWecomServer

CORPID = "wwqrlogin0000001"
OTHER_CORPID = "wwqrlogin0000002"
APP_SECRET = "qr-login-app-secret"
AGENT_ID = "1000017"
LOGGER = "odoo.addons.wecom_archive.controllers.qr_login"


@tagged("post_install", "-at_install")
class TestQrLogin(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        company = {
            "corp": {"corpid": CORPID, "corp_name": "扫码企业"},
            "departments": [],
            "users": [],
        }
        cls.server = FakeWecomServer(company, secrets={APP_SECRET: {"auth"}}).start()
        cls.addClassCleanup(cls.server.stop)
        # Failed password logins of these tests must not put 127.0.0.1 on cooldown.
        cls.env["ir.config_parameter"].set_param("base.login_cooldown_after", 0)
        cls.company = cls.env.ref("base.main_company")
        cls.other_company = cls.env["res.company"].create({"name": "扫码其他公司"})
        corp_values = {
            "sdk_library_path": "/nonexistent/libWeWorkFinanceSdk_C.so",
            "api_base_url": cls.server.base_url,
            "timeout": 2,
        }
        cls.corp = cls.env["wecom.corp"].create(
            {
                **corp_values,
                "name": "扫码企业",
                "corpid": CORPID,
                "company_id": cls.company.id,
                "agent_id": AGENT_ID,
                "app_secret": APP_SECRET,
            }
        )
        cls.other_corp = cls.env["wecom.corp"].create(
            {
                **corp_values,
                "name": "其他企业",
                "corpid": OTHER_CORPID,
                "company_id": cls.other_company.id,
                "agent_id": "1000018",
                "app_secret": "other-app-secret",
            }
        )
        cls.unconfigured_corp = cls.env["wecom.corp"].create(
            {**corp_values, "name": "无应用企业", "corpid": "wwqrlogin0000003"}
        )
        cls.alice = new_test_user(cls.env, "qr_alice", groups="base.group_user")
        cls.carol = new_test_user(cls.env, "qr_carol", groups="base.group_user")
        cls.carol.active = False
        cls.dave = new_test_user(
            cls.env,
            "qr_dave",
            groups="base.group_user",
            company_id=cls.other_company.id,
            company_ids=[(6, 0, cls.other_company.ids)],
        )
        cls.erin = new_test_user(cls.env, "qr_erin", groups="base.group_user")
        members = cls.env["wecom.member"]
        members.create({"corp_id": cls.corp.id, "userid": "alice", "user_id": cls.alice.id})
        members.create({"corp_id": cls.corp.id, "userid": "bob"})
        members.create({"corp_id": cls.corp.id, "userid": "carol", "user_id": cls.carol.id})
        members.create({"corp_id": cls.corp.id, "userid": "dave", "user_id": cls.dave.id})
        members.create({"corp_id": cls.other_corp.id, "userid": "erin", "user_id": cls.erin.id})

    def setUp(self):
        super().setUp()
        self.server.clear_faults()
        self.server.clear_requests()
        token_store(self.env.cr.dbname)._tokens.clear()
        self.new_browser()

    # -- helpers -----------------------------------------------------------------------------
    def new_browser(self):
        """A fresh anonymous browser session (its cookie in ``self.opener``)."""
        self.authenticate(None, None)
        # As the browser would keep it: for the server's host, so the cookie of the new
        # session a login rotates to replaces it instead of following it.
        cookies = self.opener.cookies
        sid = cookies["session_id"]
        cookies.clear(domain="", path="/", name="session_id")
        cookies.set("session_id", sid, domain=urlsplit(self.base_url()).hostname, path="/")

    def session_uid(self):
        """The uid of this browser's session, as the web client asks for it (None: anonymous)."""
        response = self.url_open(
            "/web/session/get_session_info",
            data=json.dumps({"jsonrpc": "2.0", "method": "call", "id": 1, "params": {}}),
            headers={"Content-Type": "application/json"},
        )
        self.assertEqual(response.status_code, 200)
        return (response.json().get("result") or {}).get("uid")

    def click(self, corp=None, **params):
        """Click the login button: (parsed redirect to WeCom, its query as a dict)."""
        query = f"?{urlencode(params)}" if params else ""
        response = self.url_open(
            f"/wecom_archive/login/{(corp or self.corp).id}{query}", allow_redirects=False
        )
        self.assertEqual(response.status_code, 303, response.text[:500])
        location = urlsplit(response.headers["Location"])
        fields = parse_qs(location.query, keep_blank_values=True)
        self.assertTrue(all(len(values) == 1 for values in fields.values()), fields)
        return location, {key: values[0] for key, values in fields.items()}

    def come_back(self, **params):
        """WeCom's redirect back to our callback."""
        return self.url_open(
            f"/wecom_archive/login/callback?{urlencode(params)}",
            allow_redirects=False,
            timeout=30,  # the timeout case: Odoo's tests raise client timeouts to 10 s
        )

    def scan(self, userid, **click_params):
        """The whole flow for a member scanning in this browser."""
        _location, query = self.click(**click_params)
        return self.come_back(code=self.server.issue_login_code(userid), state=query["state"])

    def assert_refused(self, response, text, status=403):
        self.assertEqual(response.status_code, status, response.text[:1000])
        self.assertIn("o_wecom_qr_login_refused", response.text)
        self.assertIn(text, response.text)
        self.assertIn('href="/web/login"', response.text)
        self.assertIsNone(self.session_uid())

    def userinfo_calls(self):
        return [r for r in self.server.requests if r["path"] == "auth/getuserinfo"]

    def csrf_token(self):
        page = self.url_open("/web/login")
        return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)

    def post_login(self, **fields):
        return self.url_open(
            "/web/login",
            data={"csrf_token": self.csrf_token(), **fields},
            allow_redirects=False,
        )

    # -- the login page and the redirect ------------------------------------------------------
    def test_login_page_has_button(self):
        page = self.url_open("/web/login")
        self.assertEqual(page.status_code, 200)
        self.assertIn("Log in with WeCom", page.text)
        self.assertIn(f'href="/wecom_archive/login/{self.corp.id}"', page.text)
        self.assertIn(f'href="/wecom_archive/login/{self.other_corp.id}"', page.text)
        self.assertNotIn(f"/wecom_archive/login/{self.unconfigured_corp.id}", page.text)
        self.assertIn("扫码企业", page.text)  # several corps: each button names its corp
        # The buttons come first, the password form stays.
        self.assertLess(
            page.text.index("o_wecom_qr_login_button"), page.text.index('name="password"')
        )
        # The page's redirect is carried through the button (local paths only).
        page = self.url_open("/web/login?redirect=/odoo/discuss")
        self.assertIn(
            f'href="/wecom_archive/login/{self.corp.id}?redirect=%2Fodoo%2Fdiscuss"', page.text
        )
        page = self.url_open("/web/login?redirect=https://evil.example/")
        self.assertIn(f'href="/wecom_archive/login/{self.corp.id}"', page.text)
        self.assertNotIn("evil.example", page.text.split("o_wecom_qr_login")[1].split("</div>")[0])

    def test_login_page_without_configured_corp(self):
        (self.corp | self.other_corp).write({"agent_id": False})
        page = self.url_open("/web/login")
        self.assertEqual(page.status_code, 200)
        self.assertNotIn("o_wecom_qr_login_button", page.text)
        self.assertIn('name="password"', page.text)

    def test_redirect_to_wecom(self):
        location, query = self.click()
        self.assertEqual(
            (location.scheme, location.netloc, location.path),
            ("https", "login.work.weixin.qq.com", "/wwlogin/sso/login"),
        )
        self.assertEqual(query["login_type"], "CorpApp")
        self.assertEqual(query["appid"], CORPID)
        self.assertEqual(query["agentid"], AGENT_ID)
        self.assertEqual(query["redirect_uri"], f"{self.base_url()}/wecom_archive/login/callback")
        self.assertRegex(query["state"], r"^[0-9a-f]{32}$")
        self.assertNotIn(APP_SECRET, location.geturl())
        _location, again = self.click()
        self.assertNotEqual(again["state"], query["state"])
        # The page's base URL is a system parameter.
        self.env["ir.config_parameter"].set_param(LOGIN_URL_PARAM, "https://sso.example.test/x")
        location, query = self.click()
        self.assertEqual((location.netloc, location.path), ("sso.example.test", "/x"))
        self.assertEqual(query["appid"], CORPID)

    def test_unconfigured_corp(self):
        for corp_id in (self.unconfigured_corp.id, 999999):
            response = self.url_open(f"/wecom_archive/login/{corp_id}", allow_redirects=False)
            self.assert_refused(response, "WeCom login is not configured for this corp.", 404)

    # -- the happy path ---------------------------------------------------------------------
    def test_login(self):
        self.assertIsNone(self.session_uid())
        _location, query = self.click()
        code = self.server.issue_login_code("alice")
        with self.assertLogs(LOGGER, logging.INFO) as logs:
            response = self.come_back(code=code, state=query["state"])
        self.assertEqual(response.status_code, 303, response.text[:1000])
        self.assertEqual(urlsplit(response.headers["Location"]).path, "/odoo")
        self.assertEqual(self.session_uid(), self.alice.id)
        [call] = self.userinfo_calls()
        self.assertEqual((call["query"]["code"], call["errcode"]), (code, 0))
        text = "\n".join(logs.output)
        for secret in (code, query["state"], APP_SECRET):
            self.assertNotIn(secret, text)
        # The one-time ticket is consumed.
        self.env.cr.execute("SELECT count(*) FROM wecom_qr_login_ticket")
        self.assertEqual(self.env.cr.fetchone()[0], 0)
        # The state is spent: WeCom's redirect replayed in this session is refused.
        response = self.come_back(code=self.server.issue_login_code("alice"), state=query["state"])
        self.assertEqual(response.status_code, 403)
        self.assertIn("invalid or was already used", response.text)

    def test_login_goes_to_requested_page(self):
        response = self.scan("alice", redirect="/odoo/discuss")
        self.assertEqual(response.status_code, 303, response.text[:1000])
        self.assertEqual(urlsplit(response.headers["Location"]).path, "/odoo/discuss")
        self.assertEqual(self.session_uid(), self.alice.id)
        self.new_browser()
        response = self.scan("alice", redirect="https://evil.example/steal")
        self.assertEqual(response.status_code, 303, response.text[:1000])
        location = urlsplit(response.headers["Location"])
        self.assertIn(location.netloc, ("", urlsplit(self.base_url()).netloc))
        self.assertEqual(location.path, "/odoo")

    # -- refusals: the state ----------------------------------------------------------------
    def test_missing_or_forged_state(self):
        self.click()
        response = self.come_back(code=self.server.issue_login_code("alice"))
        self.assert_refused(response, "This login request is invalid or was already used.")
        _location, query = self.click()
        response = self.come_back(code=self.server.issue_login_code("alice"), state="0" * 32)
        self.assert_refused(response, "This login request is invalid or was already used.")
        # A wrong guess spends the session's state: the right one no longer works either.
        response = self.come_back(code=self.server.issue_login_code("alice"), state=query["state"])
        self.assert_refused(response, "This login request is invalid or was already used.")
        # No click at all in this browser.
        self.new_browser()
        response = self.come_back(code=self.server.issue_login_code("alice"), state="1" * 32)
        self.assert_refused(response, "This login request is invalid or was already used.")
        self.assertEqual(self.userinfo_calls(), [])  # WeCom was never asked

    def test_state_of_another_session(self):
        _location, theirs = self.click()
        self.new_browser()
        _location, _ours = self.click()
        response = self.come_back(code=self.server.issue_login_code("alice"), state=theirs["state"])
        self.assert_refused(response, "This login request is invalid or was already used.")
        self.assertEqual(self.userinfo_calls(), [])

    def test_state_expired(self):
        _location, query = self.click()
        store = odoo.http.root.session_store
        session = store.get(self.session.sid)
        pending = dict(session[SESSION_KEY])
        self.assertEqual(pending["state"], query["state"])
        pending["created"] -= 11 * 60
        session[SESSION_KEY] = pending
        store.save(session)
        response = self.come_back(code=self.server.issue_login_code("alice"), state=query["state"])
        self.assert_refused(response, "This login request has expired.")
        self.assertIn(f'href="/wecom_archive/login/{self.corp.id}"', response.text)  # scan again
        self.assertEqual(self.userinfo_calls(), [])

    def test_missing_code(self):
        _location, query = self.click()
        response = self.come_back(state=query["state"])
        self.assert_refused(response, "WeCom did not send a login code.")

    # -- refusals: the code -----------------------------------------------------------------
    def test_code_used_twice(self):
        _location, query = self.click()
        code = self.server.issue_login_code("alice")
        self.assertEqual(self.come_back(code=code, state=query["state"]).status_code, 303)
        self.assertEqual(self.session_uid(), self.alice.id)
        self.new_browser()
        _location, query = self.click()
        with self.assertLogs(LOGGER, logging.INFO) as logs:
            response = self.come_back(code=code, state=query["state"])
        self.assert_refused(response, "The login code is invalid, used or expired.")
        self.assertIn("40029", response.text)
        self.assertNotIn(code, response.text)
        self.assertNotIn(code, "\n".join(logs.output))
        self.assertIn("40029", "\n".join(logs.output))

    def test_code_expired(self):
        _location, query = self.click()
        code = self.server.issue_login_code("alice")
        with self.server.lock:
            self.server._codes[code] = ("alice", time.time() - 1)
        response = self.come_back(code=code, state=query["state"])
        self.assert_refused(response, "The login code is invalid, used or expired.")

    def test_chinese(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(["wecom_archive"], ["zh_CN"])
        self.session.context["lang"] = "zh_CN"
        odoo.http.root.session_store.save(self.session)
        page = self.url_open("/web/login")
        self.assertIn("企业微信扫码登录", page.text)
        self.assertNotIn("Log in with WeCom", page.text)
        _location, query = self.click()
        response = self.come_back(code="not-a-code", state=query["state"])
        self.assert_refused(response, "企业微信登录失败：")
        self.assertIn("登录 code 无效、已使用或已过期。", response.text)  # WeCom's explanation

    # -- refusals: who scanned --------------------------------------------------------------
    def test_members_refused(self):
        cases = [
            ("zoe", "The WeCom member zoe is not known in Odoo for the corp 扫码企业."),
            ("bob", "The WeCom member bob is not linked to an Odoo user."),
            ("carol", "The Odoo user linked to the WeCom member carol is archived."),
            ("dave", "has no access to the company of the corp 扫码企业."),
            ("erin", "The WeCom member erin is not known in Odoo for the corp 扫码企业."),
        ]
        for userid, text in cases:
            with self.subTest(userid=userid):
                self.new_browser()
                self.assert_refused(self.scan(userid), text)
        # A member known to the other corp logs in only through that corp.
        self.assertTrue(
            self.env["wecom.member"].search(
                [("corp_id", "=", self.other_corp.id), ("user_id", "=", self.erin.id)]
            )
        )

    def test_not_a_member(self):
        _location, query = self.click()
        code = self.server.issue_login_code("alice")
        with self.server.lock:
            self.server._codes[code] = ("", time.time() + 300)  # an answer without userid
        response = self.come_back(code=code, state=query["state"])
        self.assert_refused(response, "This WeCom account is not a member of the corp 扫码企业.")

    def test_member_deactivated_in_odoo(self):
        member = self.env["wecom.member"].search(
            [("corp_id", "=", self.corp.id), ("userid", "=", "alice")]
        )
        member.active = False
        self.assert_refused(self.scan("alice"), "The WeCom member alice is not known in Odoo")

    # -- refusals: WeCom errors -------------------------------------------------------------
    def test_wecom_errors(self):
        cases = [
            ({"kind": "errcode", "errcode": 60020}, 403, "60020"),
            ({"kind": "errcode", "errcode": 48002}, 403, "48002"),
            ({"kind": "http_500"}, 502, "HTTP 500"),
            ({"kind": "slow", "seconds": 11}, 502, "timeout"),
            ({"kind": "malformed"}, 502, "not valid JSON"),
        ]
        for fault, status, text in cases:
            with self.subTest(fault=fault):
                self.new_browser()
                self.server.add_fault("auth/getuserinfo", times=1, **fault)
                started = time.monotonic()
                response = self.scan("alice")
                self.assert_refused(response, text, status)
                self.assertIn("The WeCom login failed:", response.text)
                self.assertNotIn("retried", response.text)  # nothing retries a login
                # No retry of a single-use code (tests raise the client's timeout to 10 s).
                self.assertLess(time.monotonic() - started, 18)

    def test_wrong_app_secret(self):
        self.corp.app_secret = "not-the-secret"
        self.assert_refused(self.scan("alice"), "40001")

    # -- the credential cannot be forged ---------------------------------------------------
    def test_password_login_still_works(self):
        response = self.post_login(login="qr_alice", password="wrong")
        self.assertEqual(response.status_code, 200)
        self.assertIn("Wrong login/password", response.text)
        self.assertIsNone(self.session_uid())
        response = self.post_login(login="qr_alice", password="qr_alice")
        self.assertEqual(response.status_code, 303, response.text[:1000])
        self.assertEqual(self.session_uid(), self.alice.id)

    def test_forged_credentials(self):
        tickets = self.env["wecom.qr.login.ticket"]
        # /web/login passes login, password and type: a QR credential without a ticket.
        response = self.post_login(login="qr_alice", type="wecom_qr", password="x")
        self.assertIn("Wrong login/password", response.text)
        self.assertIsNone(self.session_uid())
        # A real ticket of this very session, even if it leaked, is no password, and
        # /web/login does not forward it as a ticket.
        ticket = tickets._issue(self.alice, self.session.sid)
        for fields in (
            {"password": ticket},
            {"type": "wecom_qr", "password": ticket, "wecom_ticket": ticket},
        ):
            response = self.post_login(login="qr_alice", **fields)
            self.assertIn("Wrong login/password", response.text)
            self.assertIsNone(self.session_uid())
        # Outside a browser session (RPC, scripts) a ticket is refused too.
        db = self.env.cr.dbname
        users = self.registry["res.users"]
        for credential in (
            {"type": "wecom_qr", "login": "qr_alice", "wecom_ticket": ticket},
            {"type": "password", "login": "qr_alice", "password": ticket},
        ):
            with self.assertRaises(AccessDenied):
                users.authenticate(db, credential, {"interactive": True})

    def test_tickets(self):
        tickets = self.env["wecom.qr.login.ticket"]
        ticket = tickets._issue(self.alice, "sid-1")
        self.assertFalse(tickets._consume(self.alice.id, ticket, "sid-2"))  # other session
        ticket = tickets._issue(self.alice, "sid-1")
        self.assertFalse(tickets._consume(self.erin.id, ticket, "sid-1"))  # other user
        ticket = tickets._issue(self.alice, "sid-1")
        self.assertFalse(tickets._consume(self.alice.id, ticket + "x", "sid-1"))
        self.assertTrue(tickets._consume(self.alice.id, ticket, "sid-1"))
        self.assertFalse(tickets._consume(self.alice.id, ticket, "sid-1"))  # single use
        ticket = tickets._issue(self.alice, "sid-1")
        self.env.cr.execute("UPDATE wecom_qr_login_ticket SET expires_at = %s", [time.time() - 1])
        self.assertFalse(tickets._consume(self.alice.id, ticket, "sid-1"))  # expired
        # Only digests are stored.
        ticket = tickets._issue(self.alice, "sid-1")
        self.env.cr.execute("SELECT ticket_hash, session_hash FROM wecom_qr_login_ticket")
        for ticket_hash, session_hash in self.env.cr.fetchall():
            self.assertNotIn(ticket, (ticket_hash, session_hash))
            self.assertNotEqual(session_hash, "sid-1")
