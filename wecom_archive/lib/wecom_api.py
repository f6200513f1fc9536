"""Client of WeCom's server API (https://qyapi.weixin.qq.com/cgi-bin), plain Python.

One access token per (corp id, secret), cached with its expiry in a :class:`TokenStore`
(in memory by default; the Odoo side plugs in a store shared by every worker), refreshed once
on 40014/42001; -1 (busy), 45009 (rate limited), HTTP 5xx, timeouts and malformed answers are
retried with exponential backoff a bounded number of times; every call has a timeout.
Failures raise :class:`WecomApiError` with WeCom's errcode and errmsg and a plain explanation
in English and Chinese. Neither the secret nor the access token ever appears in an exception
or in a log line: request URLs are redacted in urllib3's debug log too.
"""

import hashlib
import logging
import random
import re
import threading
import time

import requests

DEFAULT_BASE_URL = "https://qyapi.weixin.qq.com/cgi-bin"

TOKEN_ERRORS = frozenset({40014, 42001, 42007, 42009})
BUSY_ERRORS = frozenset({-1, 45009, 45033})

# errcode: (English, 简体中文)
EXPLANATIONS = {
    -1: ("WeCom is busy; the call will be retried.", "企业微信系统繁忙，将自动重试。"),
    40001: (
        "WeCom rejected the secret: check the Secret configured for this application.",
        "企业微信拒绝了 Secret：请检查该应用配置的 Secret。",
    ),
    40013: ("WeCom does not know this corp id.", "企业 ID（corpid）无效。"),
    40014: ("The access token is invalid.", "access_token 无效。"),
    40029: ("The login code is invalid, used or expired.", "登录 code 无效、已使用或已过期。"),
    40058: ("WeCom rejected a parameter of the call.", "企业微信拒绝了调用参数。"),
    41001: ("The call carried no access token.", "缺少 access_token 参数。"),
    42001: ("The access token expired.", "access_token 已过期。"),
    45009: (
        "WeCom's rate limit for this API was reached; the call will be retried later.",
        "接口调用超过频率限制，将稍后重试。",
    ),
    48002: (
        "The secret lacks the permission for this API: grant it in the WeCom admin console "
        "(e.g. the 客户联系 or 通讯录 API permission).",
        "该 Secret 没有调用此接口的权限：请在企业微信管理后台开通"
        "（如“客户联系”或“通讯录”的 API 权限）。",
    ),
    60011: (
        "The member or department is outside this application's visible scope.",
        "成员或部门不在该应用的可见范围内。",
    ),
    60020: (
        "This server's IP is not on the application's trusted-IP list (企业可信IP).",
        "服务器出口 IP 不在应用的企业可信 IP 列表中。",
    ),
    60111: ("WeCom does not know this userid.", "企业微信中不存在该 userid。"),
    84061: (
        "This customer is not an external contact of the member.",
        "该客户不是成员的外部联系人。",
    ),
    301052: ("The archive service of this corp has expired.", "会话内容存档服务已过期。"),
}
_NETWORK = (
    "WeCom could not be reached (%(detail)s); the call will be retried later.",
    "无法连接企业微信（%(detail)s），将稍后重试。",
)
_MALFORMED = (
    "WeCom's answer was not valid JSON; nothing was changed.",
    "企业微信返回的数据不是有效的 JSON，未做任何修改。",
)
_GENERIC = ("WeCom answered errcode %(code)s.", "企业微信返回错误码 %(code)s。")

_SECRET_PARAMS = re.compile(r"((?:corpsecret|access_token|code)=)[^&\s\"']+")


def redact(text):
    """``text`` with the values of secret-bearing URL parameters replaced."""
    return _SECRET_PARAMS.sub(r"\1***", str(text))


class _RedactFilter(logging.Filter):
    def filter(self, record):
        record.msg = redact(record.getMessage())
        record.args = ()
        return True


logging.getLogger("urllib3.connectionpool").addFilter(_RedactFilter())


class WecomApiError(Exception):
    """A failed API call: ``errcode`` is WeCom's (``None`` for network/malformed failures)."""

    def __init__(self, errcode, errmsg="", *, api="", kind="wecom", detail=""):
        self.errcode = errcode
        self.errmsg = errmsg
        self.api = api
        self.kind = kind  # wecom | network | malformed
        self.detail = detail
        super().__init__(self.message("en"))

    @property
    def retryable(self):
        return self.kind in ("network", "malformed") or self.errcode in BUSY_ERRORS

    def message(self, lang="en"):
        if self.kind == "network":
            texts = _NETWORK
        elif self.kind == "malformed":
            texts = _MALFORMED
        else:
            texts = EXPLANATIONS.get(self.errcode, _GENERIC)
        chinese = str(lang or "").startswith("zh")
        text = (texts[1] if chinese else texts[0]) % {"code": self.errcode, "detail": self.detail}
        code = "" if self.errcode is None else f" {self.errcode}"
        wecom = f" — {self.errmsg}" if self.errmsg else ""
        return redact(f"[{self.api}{code}] {text}{wecom}")


class TokenStore:
    """Access tokens by key, in this process's memory; thread-safe.

    ``get`` returns a token still valid for at least ``margin`` seconds, or None; ``put``
    stores one; ``drop`` forgets a token that WeCom refused (only if it is still the stored one,
    so a fresh token fetched meanwhile by another thread is kept).
    """

    def __init__(self):
        self._tokens = {}
        self._lock = threading.Lock()

    def get(self, key, margin=300):
        with self._lock:
            token, expires_at = self._tokens.get(key, (None, 0))
        return token if token and expires_at - margin > time.time() else None

    def put(self, key, token, expires_at):
        with self._lock:
            self._tokens[key] = (token, expires_at)

    def drop(self, key, token):
        with self._lock:
            if self._tokens.get(key, (None,))[0] == token:
                del self._tokens[key]


_DEFAULT_STORE = TokenStore()
_FETCH_LOCKS = {}
_FETCH_LOCKS_GUARD = threading.Lock()


def token_key(corpid, secret):
    """The cache key of a (corp, secret) pair: a digest, so the secret is never a key."""
    return hashlib.sha256(f"{corpid}\0{secret}".encode()).hexdigest()


def _fetch_lock(key):
    with _FETCH_LOCKS_GUARD:
        return _FETCH_LOCKS.setdefault(key, threading.Lock())


class WecomApi:
    """Calls WeCom's server API with one (corp id, secret) pair."""

    def __init__(
        self,
        corpid,
        secret,
        *,
        base_url=DEFAULT_BASE_URL,
        timeout=10,
        store=None,
        retries=4,
        backoff=0.5,
        session=None,
        sleep=time.sleep,
    ):
        self.corpid = corpid
        self._secret = secret
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.store = store or _DEFAULT_STORE
        self.retries = retries
        self.backoff = backoff
        self.session = session or requests.Session()
        self.sleep = sleep
        self._key = token_key(corpid, secret)

    def __repr__(self):
        return f"<WecomApi {self.corpid} {self.base_url}>"

    # --- public calls -----------------------------------------------------------------

    def get(self, api, **params):
        return self._call("GET", api, params=params)

    def post(self, api, body=None, *, idempotent=True):
        """POST ``body``; ``idempotent=False`` (e.g. sending a message) retries only on the
        errcodes that say WeCom did nothing (-1, 45009), never after a timeout or a 5xx."""
        return self._call("POST", api, body=body or {}, idempotent=idempotent)

    def paged(self, api, body, list_key, *, cursor_key="cursor", next_key="next_cursor"):
        """Yield the items of ``list_key`` over every page of a cursor-paged POST API."""
        body = dict(body)
        seen = set()
        while True:
            answer = self.post(api, body)
            yield from answer.get(list_key) or []
            cursor = answer.get(next_key) or ""
            if not cursor or cursor in seen:
                return
            seen.add(cursor)
            body[cursor_key] = cursor

    def send_text(self, agent_id, userids, content):
        """An application message (text) to members; returns the userids WeCom refused.
        Never repeated after an ambiguous failure: a member gets an alert at most once."""
        answer = self.post(
            "message/send",
            {
                "touser": "|".join(userids),
                "msgtype": "text",
                "agentid": int(agent_id),
                "text": {"content": content},
                "safe": 0,
            },
            idempotent=False,
        )
        return [u for u in str(answer.get("invaliduser") or "").split("|") if u]

    def token(self):
        """A valid access token, fetched at most once at a time per (corp, secret)."""
        token = self.store.get(self._key)
        if token:
            return token
        with _fetch_lock(self._key):
            token = self.store.get(self._key)
            if token:
                return token
            answer = self._request(
                "GET", "gettoken", params={"corpid": self.corpid, "corpsecret": self._secret}
            )
            token = answer.get("access_token")
            if not token:
                raise WecomApiError(None, api="gettoken", kind="malformed")
            expires_in = int(answer.get("expires_in") or 7200)
            self.store.put(self._key, token, time.time() + expires_in)
            return token

    # --- plumbing ---------------------------------------------------------------------

    def _call(self, method, api, *, params=None, body=None, idempotent=True):
        refreshed = False
        attempt = 0
        while True:
            token = self.token()
            try:
                return self._request(
                    method, api, params={**(params or {}), "access_token": token}, body=body
                )
            except WecomApiError as error:
                if error.errcode in TOKEN_ERRORS and not refreshed:
                    self.store.drop(self._key, token)
                    refreshed = True
                    continue
                safe = idempotent or error.errcode in BUSY_ERRORS
                if not (error.retryable and safe) or attempt >= self.retries:
                    raise
                attempt += 1
                self.sleep(self.backoff * 2 ** (attempt - 1) * (1 + random.random() / 2))

    def _request(self, method, api, *, params, body=None):
        url = f"{self.base_url}/{api}"
        try:
            response = self.session.request(
                method, url, params=params, json=body, timeout=self.timeout
            )
        except requests.Timeout:
            raise WecomApiError(None, api=api, kind="network", detail="timeout") from None
        except requests.RequestException as error:
            detail = type(error).__name__
            raise WecomApiError(None, api=api, kind="network", detail=detail) from None
        if response.status_code >= 500:
            detail = f"HTTP {response.status_code}"
            raise WecomApiError(None, api=api, kind="network", detail=detail)
        try:
            answer = response.json()
        except ValueError:
            raise WecomApiError(None, api=api, kind="malformed") from None
        if not isinstance(answer, dict):
            raise WecomApiError(None, api=api, kind="malformed")
        errcode = answer.get("errcode", 0)
        if errcode:
            raise WecomApiError(errcode, str(answer.get("errmsg") or "")[:200], api=api)
        return answer
