import threading
import time

from odoo import fields, models
from odoo.modules.registry import Registry

from ..lib.wecom_api import TokenStore


class WecomAccessToken(models.Model):
    """Access tokens of WeCom's server API, shared by every worker of the database.

    Keyed by a digest of (corp id, secret); no access rights: only the code reads it, sudo.
    """

    _name = "wecom.access.token"
    _description = "WeCom Access Token"
    _log_access = False

    key = fields.Char(required=True, index=True)
    token = fields.Char(required=True)
    expires_at = fields.Float(required=True, help="Unix time")

    _sql_constraints = [("key_uniq", "unique(key)", "One token per key.")]


class DatabaseTokenStore(TokenStore):
    """This process's memory first, then the database, so every worker (and thread) of a
    database uses the same token until it expires. Writes go through their own committed
    cursor: a token fetched inside a transaction that rolls back stays usable."""

    def __init__(self, db_name):
        super().__init__()
        self.db_name = db_name

    def _cursor(self):
        return Registry(self.db_name).cursor()  # the current registry (test mode aware)

    def get(self, key, margin=300):
        token = super().get(key, margin)
        if token:
            return token
        with self._cursor() as cr:
            cr.execute("SELECT token, expires_at FROM wecom_access_token WHERE key = %s", [key])
            row = cr.fetchone()
        if row and row[1] - margin > time.time():
            super().put(key, *row)
            return row[0]
        return None

    def put(self, key, token, expires_at):
        super().put(key, token, expires_at)
        with self._cursor() as cr:
            cr.execute(
                """INSERT INTO wecom_access_token (key, token, expires_at) VALUES (%s, %s, %s)
                   ON CONFLICT (key) DO UPDATE SET token = EXCLUDED.token,
                                                   expires_at = EXCLUDED.expires_at""",
                [key, token, expires_at],
            )

    def drop(self, key, token):
        super().drop(key, token)
        with self._cursor() as cr:
            cr.execute("DELETE FROM wecom_access_token WHERE key = %s AND token = %s", [key, token])


_STORES = {}
_STORES_LOCK = threading.Lock()


def token_store(db_name):
    """The token store of a database (one per process)."""
    with _STORES_LOCK:
        if db_name not in _STORES:
            _STORES[db_name] = DatabaseTokenStore(db_name)
        return _STORES[db_name]
