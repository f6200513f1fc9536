from odoo import models
from odoo.exceptions import AccessDenied
from odoo.http import request

# The credential type of the WeCom QR login; only the login callback builds such credentials.
QR_CREDENTIAL_TYPE = "wecom_qr"


class ResUsers(models.Model):
    _inherit = "res.users"

    def _check_credentials(self, credential, env):
        """Also accept a WeCom QR login: ``{"type": "wecom_qr", "login": ...,
        "wecom_ticket": ...}`` whose ticket the login callback issued to this user, in this
        browser session, moments ago (see ``wecom.qr.login.ticket``). Any other credential
        type never looks at the tickets: a password equal to a ticket is just a wrong
        password."""
        try:
            return super()._check_credentials(credential, env)
        except AccessDenied:
            if credential.get("type") != QR_CREDENTIAL_TYPE:
                raise
            ticket = credential.get("wecom_ticket")
            user = self.env.user
            if not (ticket and (env or {}).get("interactive") and user.active and request):
                raise
            session_id = getattr(request.session, "sid", None)
            if not self.env["wecom.qr.login.ticket"].sudo()._consume(user.id, ticket, session_id):
                raise
            return {"uid": user.id, "auth_method": "wecom_qr", "mfa": "default"}
