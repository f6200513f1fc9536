import time

from odoo import api, fields, models

from ..lib.qr_login import TICKET_TTL, digest, new_ticket


class WecomQrLoginTicket(models.Model):
    """One-time tickets of the WeCom QR login: issued by the login callback once WeCom said
    who scanned, consumed by ``res.users._check_credentials`` in the same request.

    Only digests are stored: of the ticket and of the browser session it was issued to. No
    access rights: only the code reads it, sudo.
    """

    _name = "wecom.qr.login.ticket"
    _description = "WeCom QR Login Ticket"
    _log_access = False

    user_id = fields.Many2one("res.users", required=True, ondelete="cascade", index=True)
    ticket_hash = fields.Char(required=True, index=True)
    session_hash = fields.Char(required=True)
    expires_at = fields.Float(required=True, help="Unix time")

    @api.model
    def _issue(self, user, session_id):
        """A new ticket for ``user`` in the browser session ``session_id`` (returned in
        clear, once; never stored, shown or logged)."""
        now = time.time()
        self.env.cr.execute("DELETE FROM wecom_qr_login_ticket WHERE expires_at < %s", [now])
        ticket, ticket_hash = new_ticket()
        self.sudo().create(
            {
                "user_id": user.id,
                "ticket_hash": ticket_hash,
                "session_hash": digest(session_id),
                "expires_at": now + TICKET_TTL,
            }
        )
        self.env.flush_all()
        return ticket

    @api.model
    def _consume(self, user_id, ticket, session_id):
        """Whether ``ticket`` is a live ticket of ``user_id`` issued to ``session_id``. The
        DELETE takes it atomically: of two concurrent logins with one ticket, one at most gets
        it; once the login commits, it is gone (a refused login rolls back, and an unused
        ticket expires after TICKET_TTL)."""
        if not (ticket and session_id and isinstance(ticket, str)):
            return False
        self.env.cr.execute(
            """DELETE FROM wecom_qr_login_ticket
                WHERE ticket_hash = %s
            RETURNING user_id, session_hash, expires_at""",
            [digest(ticket)],
        )
        row = self.env.cr.fetchone()
        return bool(
            row and row[0] == user_id and row[1] == digest(session_id) and row[2] >= time.time()
        )
