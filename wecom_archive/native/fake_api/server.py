"""A fake of WeCom's server API on 127.0.0.1, for the tests and the demo.

It serves a company shaped like the corpus generator's ``company.json`` with the answer shapes
of WeCom's API (reference section 3): access tokens with expiry and per-secret permissions,
departments, members, the archive scope, customers with cursor paging, consent, customer and
internal groups, application messages and QR-login codes. Faults can be injected per API
(errcodes, HTTP 500, slow or malformed answers), and the state changed by tests (Python
methods) or by another process (``POST /_fake/<method>`` with JSON keyword arguments).
"""

import base64
import copy
import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

FAMILIES = {
    "department": "contact",
    "user": "contact",
    "msgaudit": "msgaudit",
    "externalcontact": "externalcontact",
    "message": "message",
    "auth": "auth",
}
CONTROL = frozenset(
    {
        "set_permit",
        "delete_follow",
        "set_agree",
        "upsert_user",
        "remove_user",
        "upsert_customer",
        "expire_tokens",
        "issue_login_code",
        "add_fault",
        "clear_faults",
        "clear_requests",
    }
)


class ApiError(Exception):
    def __init__(self, errcode, errmsg):
        super().__init__(errmsg)
        self.errcode = errcode
        self.errmsg = errmsg


def _cursor(offset):
    return base64.urlsafe_b64encode(f"o{offset}".encode()).decode()


def _offset(cursor):
    if not cursor:
        return 0
    try:
        return int(base64.urlsafe_b64decode(cursor.encode()).decode()[1:])
    except ValueError:
        raise ApiError(40058, "invalid cursor") from None


def _page(items, body, default_limit, max_limit):
    limit = int(body.get("limit") or default_limit)
    if not 1 <= limit <= max_limit:
        raise ApiError(40058, f"invalid limit {limit}")
    start = _offset(body.get("cursor"))
    chunk = items[start : start + limit]
    more = start + limit < len(items)
    return chunk, _cursor(start + limit) if more else ""


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # a client that gave up (timeout tests) is not the server's error


class FakeWecomServer:
    """WeCom's server API for one corp, over real HTTP on 127.0.0.1."""

    def __init__(self, company, secrets=None, host="127.0.0.1", port=0, token_ttl=7200):
        self.company = company
        self.corpid = company["corp"]["corpid"]
        self.secrets = secrets  # secret -> set of families; None: any secret, every family
        self.token_ttl = token_ttl
        self.lock = threading.RLock()
        self.requests = []
        self.sent_messages = []
        self._tokens = {}  # token -> (secret, expires_at)
        self._codes = {}  # login code -> (userid, expires_at)
        self._faults = []
        self._httpd = _Server((host, port), self._handler_class())
        self._thread = None

    @property
    def base_url(self):
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}/cgi-bin"

    def start(self):
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *_exc):
        self.stop()

    # -- state changes -------------------------------------------------------------------
    def set_permit(self, userids):
        with self.lock:
            self.company["permit_user_list"] = list(userids)

    def delete_follow(self, external_userid, userid, del_time=None):
        with self.lock:
            self.company.setdefault("deleted_follow_user", []).append(
                {
                    "external_userid": external_userid,
                    "userid": userid,
                    "del_time": del_time or int(time.time()),
                }
            )

    def set_agree(self, userid, external_userid, status, when=None):
        if status not in ("Agree", "Disagree", "Default_Agree"):
            raise ValueError(status)
        with self.lock:
            self.company.setdefault("agree", []).append(
                {
                    "userid": userid,
                    "exteranalopenid": external_userid,
                    "agree_status": status,
                    "status_change_time": when or int(time.time()),
                }
            )

    def upsert_user(self, user):
        with self.lock:
            users = self.company["users"]
            for index, existing in enumerate(users):
                if existing["userid"] == user["userid"]:
                    users[index] = copy.deepcopy(user)
                    return
            users.append(copy.deepcopy(user))

    def remove_user(self, userid):
        with self.lock:
            self.company["users"] = [u for u in self.company["users"] if u["userid"] != userid]

    def upsert_customer(self, entry):
        external = entry["external_contact"]["external_userid"]
        with self.lock:
            customers = self.company["external_contacts"]
            for index, existing in enumerate(customers):
                if existing["external_contact"]["external_userid"] == external:
                    customers[index] = copy.deepcopy(entry)
                    return
            customers.append(copy.deepcopy(entry))

    def expire_tokens(self):
        with self.lock:
            self._tokens = {token: (secret, 0) for token, (secret, _at) in self._tokens.items()}

    def issue_login_code(self, userid):
        code = os.urandom(12).hex()
        with self.lock:
            self._codes[code] = (userid, time.time() + 300)
        return code

    def add_fault(self, path, kind, times=1, **kw):
        if kind not in ("errcode", "http_500", "slow", "malformed"):
            raise ValueError(kind)
        with self.lock:
            self._faults.append({"path": path, "kind": kind, "times": times, **kw})

    def clear_faults(self):
        with self.lock:
            self._faults = []

    def clear_requests(self):
        with self.lock:
            self.requests = []

    # -- request handling ----------------------------------------------------------------
    def _fault_for(self, path):
        with self.lock:
            for fault in self._faults:
                if fault["path"] in (path, "*"):
                    if fault["times"] is not None:
                        fault["times"] -= 1
                        if fault["times"] <= 0:
                            self._faults.remove(fault)
                    return dict(fault)
        return None

    def _check_token(self, query, family):
        token = query.get("access_token")
        if not token:
            raise ApiError(41001, "access_token missing")
        with self.lock:
            secret, expires_at = self._tokens.get(token, (None, None))
        if secret is None:
            raise ApiError(40014, "invalid access_token")
        if expires_at < time.time():
            raise ApiError(42001, "access_token expired")
        if self.secrets is not None and family not in self.secrets.get(secret, ()):
            raise ApiError(48002, "api forbidden")

    def _gettoken(self, query, _body):
        if query.get("corpid") != self.corpid:
            raise ApiError(40013, "invalid corpid")
        secret = query.get("corpsecret") or ""
        if not secret or (self.secrets is not None and secret not in self.secrets):
            raise ApiError(40001, "invalid credential")
        token = os.urandom(24).hex()
        with self.lock:
            self._tokens[token] = (secret, time.time() + self.token_ttl)
        return {"access_token": token, "expires_in": self.token_ttl}

    def dispatch(self, method, path, query, body):
        """The JSON answer to one API call (errcode 0 or a WeCom error)."""
        if path == "gettoken":
            return self._gettoken(query, body)
        family = FAMILIES.get(path.split("/")[0])
        handler = getattr(self, "_api_" + path.replace("/", "_"), None)
        if family is None or handler is None:
            raise ApiError(60003, f"unknown api {path}")
        self._check_token(query, family)
        with self.lock:
            return handler(query, body)

    # departments and members
    def _subtree(self, root):
        ids, frontier = {root}, [root]
        while frontier:
            parent = frontier.pop()
            for department in self.company["departments"]:
                if department["parentid"] == parent and department["id"] not in ids:
                    ids.add(department["id"])
                    frontier.append(department["id"])
        return ids

    def _api_department_list(self, query, _body):
        departments = self.company["departments"]
        if query.get("id"):
            ids = self._subtree(int(query["id"]))
            departments = [d for d in departments if d["id"] in ids]
        return {"department": copy.deepcopy(departments)}

    def _api_user_list(self, query, _body):
        root = int(query.get("department_id") or 0)
        ids = self._subtree(root) if query.get("fetch_child") == "1" else {root}
        users = [u for u in self.company["users"] if set(u["department"]) & ids]
        return {"userlist": copy.deepcopy(users)}

    def _api_user_get(self, query, _body):
        for user in self.company["users"]:
            if user["userid"] == query.get("userid"):
                return copy.deepcopy(user)
        raise ApiError(60111, "userid not found")

    def _api_user_list_id(self, _query, body):
        users = [
            {"userid": u["userid"], "department": u["main_department"]}
            for u in self.company["users"]
        ]
        chunk, cursor = _page(users, body, 1000, 10000)
        return {"dept_user": chunk, "next_cursor": cursor}

    # archive scope, consent, internal groups
    def _api_msgaudit_get_permit_user_list(self, _query, _body):
        return {"ids": list(self.company["permit_user_list"])}

    def _agreement(self, userid, external):
        latest = None
        for item in self.company.get("agree", []):
            if (
                item["exteranalopenid"] == external
                and userid in (None, item["userid"])
                and (latest is None or item["status_change_time"] >= latest["status_change_time"])
            ):
                latest = item
        if latest is None:
            return "Default_Agree", 0
        return latest["agree_status"], latest["status_change_time"]

    def _api_msgaudit_check_single_agree(self, _query, body):
        info = body.get("info")
        if not isinstance(info, list) or len(info) > 100:
            raise ApiError(40058, "invalid info")
        answer = []
        for item in info:
            status, when = self._agreement(item.get("userid"), item.get("exteranalopenid"))
            answer.append(
                {
                    "userid": item.get("userid"),
                    "exteranalopenid": item.get("exteranalopenid"),
                    "agree_status": status,
                    "status_change_time": when,
                }
            )
        return {"agreeinfo": answer}

    def _api_msgaudit_check_room_agree(self, _query, body):
        group = self._external_group(body.get("roomid"))
        answer = []
        for member in group["member_list"]:
            if member["type"] == 2:
                status, when = self._agreement(None, member["userid"])
                answer.append(
                    {
                        "exteranalopenid": member["userid"],
                        "agree_status": status,
                        "status_change_time": when,
                    }
                )
        return {"agreeinfo": answer}

    def _api_msgaudit_groupchat_get(self, _query, body):
        for group in self.company["internal_groups"]:
            if group["roomid"] == body.get("roomid"):
                return copy.deepcopy(group)
        raise ApiError(301052, "room not found")

    # customers and customer groups
    def _deleted(self):
        return {(d["external_userid"], d["userid"]) for d in self.company["deleted_follow_user"]}

    def _follows(self, entry):
        external = entry["external_contact"]["external_userid"]
        deleted = self._deleted()
        return [f for f in entry["follow_user"] if (external, f["userid"]) not in deleted]

    def _api_externalcontact_batch_get_by_user(self, _query, body):
        userids = body.get("userid_list")
        if not isinstance(userids, list) or not 1 <= len(userids) <= 100:
            raise ApiError(40058, "invalid userid_list")
        rows = []
        for entry in self.company["external_contacts"]:
            for follow in self._follows(entry):
                if follow["userid"] in userids:
                    info = {k: v for k, v in follow.items() if k != "tags"}
                    info["tag_id"] = [t.get("tag_id") for t in follow.get("tags", [])]
                    rows.append(
                        {
                            "external_contact": copy.deepcopy(entry["external_contact"]),
                            "follow_info": info,
                        }
                    )
        chunk, cursor = _page(rows, body, 50, 100)
        return {"external_contact_list": chunk, "next_cursor": cursor}

    def _customer(self, external):
        for entry in self.company["external_contacts"]:
            if entry["external_contact"]["external_userid"] == external and self._follows(entry):
                return entry
        raise ApiError(84061, "not external contact")

    def _api_externalcontact_get(self, query, _body):
        entry = self._customer(query.get("external_userid"))
        return {
            "external_contact": copy.deepcopy(entry["external_contact"]),
            "follow_user": copy.deepcopy(self._follows(entry)),
            "next_cursor": "",
        }

    def _api_externalcontact_list(self, query, _body):
        userid = query.get("userid")
        return {
            "external_userid": [
                e["external_contact"]["external_userid"]
                for e in self.company["external_contacts"]
                if any(f["userid"] == userid for f in self._follows(e))
            ]
        }

    def _external_group(self, chat_id):
        for group in self.company["external_groups"]:
            if group["chat_id"] == chat_id:
                return group
        raise ApiError(701008, "chat not found")

    def _api_externalcontact_groupchat_list(self, _query, body):
        owners = (body.get("owner_filter") or {}).get("userid_list")
        groups = [
            {"chat_id": g["chat_id"], "status": 0}
            for g in self.company["external_groups"]
            if not owners or g["owner"] in owners
        ]
        chunk, cursor = _page(groups, body, 100, 1000)
        return {"group_chat_list": chunk, "next_cursor": cursor}

    def _api_externalcontact_groupchat_get(self, _query, body):
        group = copy.deepcopy(self._external_group(body.get("chat_id")))
        if not body.get("need_name"):
            for member in group["member_list"]:
                member.pop("name", None)
        return {"group_chat": group}

    # application messages and QR login
    def _api_message_send(self, _query, body):
        if not body.get("touser") and not body.get("toparty"):
            raise ApiError(40058, "no receiver")
        self.sent_messages.append(copy.deepcopy(body))
        known = {u["userid"] for u in self.company["users"]}
        invalid = [u for u in str(body.get("touser") or "").split("|") if u and u not in known]
        return {"invaliduser": "|".join(invalid)}

    def _api_auth_getuserinfo(self, query, _body):
        userid, expires_at = self._codes.pop(query.get("code") or "", (None, 0))
        if userid is None or expires_at < time.time():
            raise ApiError(40029, "invalid code")
        return {"userid": userid}

    # -- HTTP ----------------------------------------------------------------------------
    def _handler_class(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_args):
                pass

            def _reply(self, status, payload, content_type="application/json"):
                data = (
                    payload
                    if isinstance(payload, bytes)
                    else json.dumps(payload, ensure_ascii=False).encode()
                )
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _body(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                if not raw:
                    return {}
                try:
                    body = json.loads(raw)
                except ValueError:
                    return None
                return body if isinstance(body, dict) else None

            def _handle(self):
                url = urlsplit(self.path)
                query = dict(parse_qsl(url.query))
                body = self._body()
                if url.path.startswith("/_fake/"):
                    return self._control(url.path[len("/_fake/") :], body or {})
                if not url.path.startswith("/cgi-bin/"):
                    return self._reply(404, {"errcode": 404, "errmsg": "not found"})
                path = url.path[len("/cgi-bin/") :]
                entry = {
                    "method": self.command,
                    "path": path,
                    "query": {k: v for k, v in query.items() if k != "access_token"},
                    "body": body,
                }
                fault = server._fault_for(path)
                try:
                    if fault and fault["kind"] == "slow":
                        time.sleep(float(fault.get("seconds", 1)))
                    if fault and fault["kind"] == "http_500":
                        entry["errcode"] = "http_500"
                        return self._reply(500, b"Internal Server Error", "text/plain")
                    if fault and fault["kind"] == "errcode":
                        raise ApiError(fault.get("errcode", -1), fault.get("errmsg", "injected"))
                    if body is None:
                        raise ApiError(47001, "data format error")
                    answer = server.dispatch(self.command, path, query, body)
                    if fault and fault["kind"] == "malformed":
                        entry["errcode"] = "malformed"
                        text = json.dumps({"errcode": 0, **answer}, ensure_ascii=False)
                        return self._reply(200, text[: max(1, len(text) // 2)].encode())
                    entry["errcode"] = 0
                    answer = {"errcode": 0, "errmsg": "ok", **answer}
                except ApiError as error:
                    entry["errcode"] = error.errcode
                    answer = {"errcode": error.errcode, "errmsg": error.errmsg}
                finally:
                    with server.lock:
                        server.requests.append(entry)
                return self._reply(200, answer)

            def _control(self, name, kwargs):
                if self.command == "GET" and name in ("requests", "sent_messages"):
                    with server.lock:
                        return self._reply(200, getattr(server, name))
                if self.command != "POST" or name not in CONTROL:
                    return self._reply(404, {"ok": False, "error": f"unknown control {name}"})
                try:
                    result = getattr(server, name)(**kwargs)
                except (TypeError, ValueError, KeyError) as error:
                    return self._reply(400, {"ok": False, "error": str(error)})
                return self._reply(200, {"ok": True, "result": result})

            do_GET = do_POST = _handle

        return Handler
