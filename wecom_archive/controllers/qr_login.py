"""WeCom QR login (扫码登录): the login page's button, the redirect to WeCom's login page and
WeCom's redirect back (see lib/qr_login.py for the flow)."""

import logging
from urllib.parse import urlencode

from odoo import http
from odoo.addons.web.controllers.home import Home
from odoo.addons.web.controllers.utils import _get_login_redirect_url
from odoo.exceptions import AccessDenied
from odoo.http import request

from ..lib import qr_login
from ..lib.wecom_api import WecomApiError
from ..models.res_users_qr_login import QR_CREDENTIAL_TYPE
from ..models.wecom_corp_sync import MissingSecret

_logger = logging.getLogger(__name__)

SESSION_KEY = "wecom_qr_login"
LOGIN_URL_PARAM = "wecom_archive.qr_login_url"
CALLBACK_PATH = "/wecom_archive/login/callback"


class QrLoginRefused(Exception):
    """A refused QR login: ``reason`` is logged, ``message`` (translated) is shown."""

    def __init__(self, reason, message, corp=None, status=403):
        super().__init__(reason)
        self.reason = reason
        self.message = message
        self.corp = corp
        self.status = status


def _qr_corps(domain=()):
    """The corps whose self-built application is configured (AgentId and Secret)."""
    return (
        request.env["wecom.corp"]
        .sudo()
        .search([*domain, ("agent_id", "!=", False), ("app_secret", "!=", False)])
    )


class WecomQrLoginHome(Home):
    @http.route()
    def web_login(self, redirect=None, **kw):
        response = super().web_login(redirect=redirect, **kw)
        if response.is_qweb:
            target = qr_login.safe_redirect(redirect)
            suffix = f"?{urlencode({'redirect': target})}" if target else ""
            response.qcontext["wecom_qr_logins"] = [
                {"name": corp.name, "url": f"/wecom_archive/login/{corp.id}{suffix}"}
                for corp in _qr_corps()
            ]
        return response


class WecomQrLogin(http.Controller):
    @http.route(
        "/wecom_archive/login/<int:corp_id>",
        type="http",
        auth="public",
        methods=["GET"],
        sitemap=False,
        readonly=False,
    )
    def qr_login_start(self, corp_id, redirect=None, **_kw):
        """Bind a new state to this browser session and send it to WeCom's login page."""
        corp = _qr_corps([("id", "=", corp_id)])
        if not corp:
            return self._refused(
                QrLoginRefused(
                    "not configured",
                    request.env._("WeCom login is not configured for this corp."),
                    status=404,
                )
            )
        state = qr_login.new_state()
        request.session[SESSION_KEY] = qr_login.pending_state(state, corp.id, redirect)
        base = request.env["ir.config_parameter"].sudo().get_param(LOGIN_URL_PARAM)
        callback = request.httprequest.url_root.rstrip("/") + CALLBACK_PATH
        url = qr_login.authorize_url(base, corp.corpid, corp.agent_id, callback, state)
        return request.redirect(url, code=303, local=False)

    @http.route(
        CALLBACK_PATH,
        type="http",
        auth="public",
        methods=["GET"],
        sitemap=False,
        readonly=False,
    )
    def qr_login_callback(self, code=None, state=None, **_kw):
        """WeCom's redirect back: check the state, ask WeCom who scanned, log that user in."""
        # Single use: whatever happens next, this session's state is spent.
        pending = request.session.pop(SESSION_KEY, None)
        try:
            corp = self._check_state(pending, state)
            user = self._scanned_user(corp, code)
            auth_info = self._log_in(corp, user)
        except QrLoginRefused as refusal:
            return self._refused(refusal)
        url = _get_login_redirect_url(auth_info["uid"], pending.get("redirect"))
        return request.redirect(url, code=303)

    # -- steps -------------------------------------------------------------------------------
    def _check_state(self, pending, state):
        reason = qr_login.check_state(pending, state)
        if reason == "expired":
            raise QrLoginRefused(
                "state expired",
                request.env._("This login request has expired. Please scan the QR code again."),
                _qr_corps([("id", "=", pending.get("corp_id") or 0)]) or None,
            )
        if reason:
            raise QrLoginRefused(
                f"state {reason}",
                request.env._(
                    "This login request is invalid or was already used. Please start again "
                    "from the login page."
                ),
            )
        corp = _qr_corps([("id", "=", pending.get("corp_id") or 0)])
        if not corp:
            raise QrLoginRefused(
                "not configured", request.env._("WeCom login is not configured for this corp.")
            )
        return corp

    def _scanned_user(self, corp, code):
        """The active Odoo user linked to the member WeCom says scanned ``code``."""
        env = request.env
        if not code:
            raise QrLoginRefused(
                "no code", env._("WeCom did not send a login code. Please scan again."), corp
            )
        try:
            client = corp._api("app")
            # Interactive: fail fast, and never repeat a single-use code after a timeout.
            client.retries = 0
            client.timeout = min(client.timeout, 10)
            answer = client.get("auth/getuserinfo", code=code)
        except MissingSecret:
            raise QrLoginRefused(
                "not configured", env._("WeCom login is not configured for this corp."), corp
            ) from None
        except WecomApiError as error:
            if error.kind == "network":  # its own explanation promises a retry: not here
                explanation = env._(
                    "WeCom could not be reached (%(detail)s). Please try again in a moment.",
                    detail=error.detail,
                )
            else:
                explanation = error.message(env.lang or "en_US")
            raise QrLoginRefused(
                f"WeCom error {error.message('en')}",  # redacted: no code, no token
                env._("The WeCom login failed: %(explanation)s", explanation=explanation),
                corp,
                status=502 if error.kind != "wecom" else 403,
            ) from None
        userid = qr_login.userid_of(answer)
        if not userid:
            raise QrLoginRefused(
                "not a member",
                env._("This WeCom account is not a member of the corp %(corp)s.", corp=corp.name),
                corp,
            )
        member = (
            env["wecom.member"]
            .sudo()
            .search([("corp_id", "=", corp.id), ("userid", "=", userid)], limit=1)
        )
        if not member:
            raise QrLoginRefused(
                f"no member {userid}",
                env._(
                    "The WeCom member %(userid)s is not known in Odoo for the corp %(corp)s. "
                    "Ask an administrator to sync the directory.",
                    userid=userid,
                    corp=corp.name,
                ),
                corp,
            )
        user = member.user_id.sudo()
        if not user:
            raise QrLoginRefused(
                f"member {userid} has no user",
                env._(
                    "The WeCom member %(userid)s is not linked to an Odoo user. Ask an "
                    "administrator to set the Odoo user on the member.",
                    userid=userid,
                ),
                corp,
            )
        if not user.active:
            raise QrLoginRefused(
                f"user of member {userid} is archived",
                env._(
                    "The Odoo user linked to the WeCom member %(userid)s is archived.",
                    userid=userid,
                ),
                corp,
            )
        if corp.company_id not in user.company_ids:
            raise QrLoginRefused(
                f"user of member {userid} is not in the corp's company",
                env._(
                    "The Odoo user linked to the WeCom member %(userid)s has no access to the "
                    "company of the corp %(corp)s.",
                    userid=userid,
                    corp=corp.name,
                ),
                corp,
            )
        return user

    def _log_in(self, corp, user):
        ticket = request.env["wecom.qr.login.ticket"].sudo()._issue(user, request.session.sid)
        # authenticate() checks the credential in its own transaction: it must see the ticket.
        request.env.cr.commit()
        credential = {"type": QR_CREDENTIAL_TYPE, "login": user.login, "wecom_ticket": ticket}
        try:
            auth_info = request.session.authenticate(request.db, credential)
        except AccessDenied:
            raise QrLoginRefused(
                f"Odoo refused user {user.id}",
                request.env._("Odoo refused the login of this user."),
                corp,
            ) from None
        _logger.info("WeCom QR login of corp %s: user %s logged in", corp.corpid, user.id)
        return auth_info

    def _refused(self, refusal):
        corp = refusal.corp
        _logger.warning(
            "WeCom QR login refused%s: %s",
            f" (corp {corp.corpid})" if corp else "",
            refusal.reason,
        )
        retry_url = f"/wecom_archive/login/{corp.id}" if corp else None
        return request.render(
            "wecom_archive.qr_login_refused",
            {"error": refusal.message, "retry_url": retry_url, "disable_footer": True},
            status=refusal.status,
        )
