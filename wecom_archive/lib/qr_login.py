"""WeCom QR login (扫码登录), plain Python: the state bound to a browser session, WeCom's
web-login URL, the answer of ``auth/getuserinfo`` and the one-time login tickets.

Flow: the login button stores a random ``state`` in the browser's session and sends the
browser to WeCom's login page; WeCom sends it back with a single-use ``code`` and that
``state``; the server checks the state, asks ``auth/getuserinfo`` who scanned, finds the
member's Odoo user and logs it in with a one-time ticket that never leaves the server.
"""

import hashlib
import hmac
import secrets
import time
from urllib.parse import urlencode

DEFAULT_LOGIN_URL = "https://login.work.weixin.qq.com/wwlogin/sso/login"
STATE_TTL = 600  # seconds between the click on the button and WeCom's redirect back
TICKET_TTL = 60  # seconds a login ticket lives: it is used in the request that issues it


def new_state():
    """A random state: WeCom accepts a-zA-Z0-9, up to 128 bytes."""
    return secrets.token_hex(16)


def pending_state(state, corp_id, redirect=None, now=None):
    """What the session keeps between the click and WeCom's redirect back."""
    return {
        "state": state,
        "corp_id": corp_id,
        "created": time.time() if now is None else now,
        "redirect": safe_redirect(redirect),
    }


def check_state(pending, state, now=None, ttl=STATE_TTL):
    """Why ``state`` (from WeCom's redirect) does not match ``pending`` (from the session),
    as a short reason (``missing``, ``unknown``, ``mismatch``, ``expired``), or None."""
    if not state:
        return "missing"
    if not isinstance(pending, dict) or not pending.get("state"):
        return "unknown"
    if not hmac.compare_digest(str(pending["state"]).encode(), str(state).encode()):
        return "mismatch"
    now = time.time() if now is None else now
    created = pending.get("created")
    if not isinstance(created, int | float) or not created <= now < created + ttl:
        return "expired"
    return None


def authorize_url(base_url, corpid, agent_id, redirect_uri, state):
    """WeCom's web login page (企业微信 Web 登录) of a self-built application."""
    query = urlencode(
        {
            "login_type": "CorpApp",
            "appid": corpid,
            "agentid": agent_id,
            "redirect_uri": redirect_uri,
            "state": state,
        }
    )
    return f"{(base_url or DEFAULT_LOGIN_URL).rstrip('?')}?{query}"


def userid_of(answer):
    """The member's userid in an ``auth/getuserinfo`` answer (``userid``; ``UserId`` in the
    old API), or None: a non-member (``openid``, ``external_userid``) has none."""
    userid = answer.get("userid") or answer.get("UserId")
    return str(userid) if userid else None


def safe_redirect(url):
    """``url`` if it is a path of this server, else None (no open redirect)."""
    if not isinstance(url, str) or not url.startswith("/") or url.startswith(("//", "/\\")):
        return None
    if any(ord(char) < 32 for char in url):
        return None
    return url


def new_ticket():
    """A one-time login ticket (256 random bits) and the digest stored in its place."""
    ticket = secrets.token_urlsafe(32)
    return ticket, digest(ticket)


def digest(value):
    return hashlib.sha256(str(value).encode()).hexdigest()
