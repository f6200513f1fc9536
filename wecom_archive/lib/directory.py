"""Reading the corp's directory from WeCom's server API into plain, validated records.

Each ``fetch_*`` function reads everything it needs first and returns plain dicts, so the
caller writes nothing until the whole answer is known to be well-formed: a malformed or
partial answer raises :class:`~.wecom_api.WecomApiError` (kind ``malformed``) and leaves the
stored directory untouched.
"""

from .normalize import id_kind
from .wecom_api import WecomApiError

# add_way of a follow relation (how the member added the customer), as WeCom numbers it.
ADD_WAYS = {
    0: "Unknown",
    1: "Scanned QR code",
    2: "Searched mobile number",
    3: "Shared business card",
    4: "Group chat",
    5: "Phone contacts",
    6: "WeChat contacts",
    8: "Customer service of a third-party app",
    9: "Searched email",
    10: "WeChat Channels",
    11: "Schedule participant",
    12: "Meeting participant",
    13: "WeChat friend's WeCom account",
    14: "Smart hardware customer service",
    15: "On-site service",
    16: "Customer acquisition link",
    17: "Custom development",
    18: "Reply to a request",
    21: "Third-party pre-sales service",
    22: "Possible business partner",
    24: "Friend request to a WeChat account",
    201: "Shared by a colleague",
    202: "Assigned by an administrator",
}
CONSENT = {"Agree": "agree", "Disagree": "disagree", "Default_Agree": "default_agree"}
CHUNK = 100  # userid_list / info entries per call


def _malformed(api, detail):
    return WecomApiError(None, api=api, kind="malformed", detail=detail)


def _list(answer, key, api):
    value = answer.get(key)
    if value is None:
        value = []
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise _malformed(api, f"{key} is not a list of objects")
    return value


def _require(item, keys, api):
    missing = [key for key in keys if item.get(key) in (None, "")]
    if missing:
        raise _malformed(api, f"missing {', '.join(missing)}")


def _chunks(items, size=CHUNK):
    items = list(items)
    for start in range(0, len(items), size):
        yield items[start : start + size]


def fetch_departments(api):
    """Every department visible to the secret: {id, name, parentid, order, leaders}."""
    departments = []
    for item in _list(api.get("department/list"), "department", "department/list"):
        _require(item, ("id", "name"), "department/list")
        departments.append(
            {
                "id": int(item["id"]),
                "name": str(item["name"]),
                "parentid": int(item.get("parentid") or 0),
                "order": int(item.get("order") or 0),
                "leaders": [str(u) for u in item.get("department_leader") or []],
            }
        )
    return departments


def fetch_users(api, departments):
    """Every member of the departments' trees, once each, with their departments."""
    ids = {d["id"] for d in departments}
    roots = [d["id"] for d in departments if d["parentid"] not in ids]
    users = {}
    for root in roots:
        answer = api.get("user/list", department_id=root, fetch_child=1)
        for item in _list(answer, "userlist", "user/list"):
            _require(item, ("userid",), "user/list")
            departments_of = [int(d) for d in item.get("department") or []]
            leader_flags = item.get("is_leader_in_dept") or []
            users[item["userid"]] = {
                "userid": str(item["userid"]),
                "name": str(item.get("name") or ""),
                "position": str(item.get("position") or ""),
                "departments": departments_of,
                "main_department": int(item.get("main_department") or 0) or None,
                "leader_of": [
                    d for d, flag in zip(departments_of, leader_flags, strict=False) if flag
                ],
                "status": int(item.get("status") or 1),
                "gender": str(item.get("gender") or "0"),
                "avatar": str(item.get("avatar") or ""),
                "email": str(item.get("email") or item.get("biz_mail") or ""),
            }
    return list(users.values())


def fetch_permit(api):
    """The userids inside the archive scope (开启范围)."""
    answer = api.post("msgaudit/get_permit_user_list", {})
    ids = answer.get("ids")
    if not isinstance(ids, list):
        raise _malformed("msgaudit/get_permit_user_list", "ids is not a list")
    return {str(userid) for userid in ids}


def _contact(item, api):
    _require(item, ("external_userid",), api)
    return {
        "external_userid": str(item["external_userid"]),
        "name": str(item.get("name") or ""),
        "type": int(item.get("type") or 1),
        "corp_name": str(item.get("corp_name") or item.get("corp_full_name") or ""),
        "avatar": str(item.get("avatar") or ""),
        "gender": int(item.get("gender") or 0),
    }


def _follow(item, api):
    _require(item, ("userid",), api)
    return {
        "userid": str(item["userid"]),
        "remark": str(item.get("remark") or ""),
        "description": str(item.get("description") or ""),
        "createtime": int(item.get("createtime") or 0),
        "add_way": int(item.get("add_way") or 0),
        "mobiles": [str(m) for m in item.get("remark_mobiles") or []],
    }


def fetch_customers(api, userids):
    """{external_userid: contact dict with ``follows``} of every customer of ``userids``."""
    customers = {}
    for chunk in _chunks(sorted(userids)):
        body = {"userid_list": chunk, "limit": CHUNK}
        for item in api.paged("externalcontact/batch/get_by_user", body, "external_contact_list"):
            if not isinstance(item.get("external_contact"), dict):
                raise _malformed("externalcontact/batch/get_by_user", "no external_contact")
            contact = _contact(item["external_contact"], "externalcontact/batch/get_by_user")
            follow = _follow(item.get("follow_info") or {}, "externalcontact/batch/get_by_user")
            entry = customers.setdefault(contact["external_userid"], {**contact, "follows": []})
            if all(f["userid"] != follow["userid"] for f in entry["follows"]):
                entry["follows"].append(follow)
    return customers


def fetch_customer(api, external_userid):
    """One customer with all their current followers, or None when WeCom no longer knows
    them as anyone's customer (84061)."""
    try:
        answer = api.get("externalcontact/get", external_userid=external_userid)
    except WecomApiError as error:
        if error.errcode == 84061:
            return None
        raise
    if not isinstance(answer.get("external_contact"), dict):
        raise _malformed("externalcontact/get", "no external_contact")
    contact = _contact(answer["external_contact"], "externalcontact/get")
    follows = [
        _follow(f, "externalcontact/get")
        for f in _list(answer, "follow_user", "externalcontact/get")
    ]
    return {**contact, "follows": follows}


def fetch_consent(api, pairs):
    """{(userid, external_userid): (consent, unix time)} for 1:1 pairs (msgaudit)."""
    consent = {}
    for chunk in _chunks(sorted(pairs)):
        body = {"info": [{"userid": u, "exteranalopenid": e} for u, e in chunk]}
        answer = api.post("msgaudit/check_single_agree", body)
        for item in _list(answer, "agreeinfo", "msgaudit/check_single_agree"):
            status = CONSENT.get(item.get("agree_status"))
            if not status:
                raise _malformed("msgaudit/check_single_agree", "unknown agree_status")
            key = (str(item.get("userid")), str(item.get("exteranalopenid")))
            consent[key] = (status, int(item.get("status_change_time") or 0))
    return consent


def fetch_external_groups(api, only=None):
    """Customer groups (客户群): {chat_id, name, owner, notice, create_time, members[]}.
    ``only``: just these chat ids (callbacks); otherwise every group, paged."""
    if only is None:
        body = {"status_filter": 0, "limit": 1000}
        only = [
            str(item.get("chat_id"))
            for item in api.paged("externalcontact/groupchat/list", body, "group_chat_list")
        ]
    groups = []
    for chat_id in only:
        answer = api.post("externalcontact/groupchat/get", {"chat_id": chat_id, "need_name": 1})
        group = answer.get("group_chat")
        if not isinstance(group, dict):
            raise _malformed("externalcontact/groupchat/get", "no group_chat")
        members = []
        for item in _list(group, "member_list", "externalcontact/groupchat/get"):
            _require(item, ("userid",), "externalcontact/groupchat/get")
            members.append(
                {
                    "id": str(item["userid"]),
                    "external": int(item.get("type") or 1) == 2,
                    "join_time": int(item.get("join_time") or 0),
                    "join_scene": int(item.get("join_scene") or 0),
                }
            )
        groups.append(
            {
                "roomid": chat_id,
                "kind": "external",
                "name": str(group.get("name") or ""),
                "owner": str(group.get("owner") or ""),
                "notice": str(group.get("notice") or ""),
                "create_time": int(group.get("create_time") or 0),
                "members": members,
            }
        )
    return groups


def fetch_internal_group(api, roomid):
    """An internal group (msgaudit/groupchat/get), or None when WeCom does not know it."""
    try:
        answer = api.post("msgaudit/groupchat/get", {"roomid": roomid})
    except WecomApiError as error:
        if error.errcode in (301052, 301060, 40058, 86001):
            return None
        raise
    members = []
    for item in _list(answer, "members", "msgaudit/groupchat/get"):
        _require(item, ("memberid",), "msgaudit/groupchat/get")
        member = str(item["memberid"])
        members.append(
            {
                "id": member,
                "external": id_kind(member) == "external",
                "join_time": int(item.get("jointime") or 0),
                "join_scene": 0,
            }
        )
    return {
        "roomid": roomid,
        "kind": "internal",
        "name": str(answer.get("roomname") or ""),
        "owner": str(answer.get("creator") or ""),
        "notice": str(answer.get("notice") or ""),
        "create_time": int(answer.get("room_create_time") or 0),
        "members": members,
    }
