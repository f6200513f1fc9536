"""Sensitive behaviours (敏感行为): what a message or a relation change *does*, whatever it says.

Each behaviour rule watches one :data:`BEHAVIORS` kind, with the scope, sides and chat kinds
of a word rule (:class:`.keywords.Rule`) and its own thresholds:

- ``redpacket``: a red packet (红包 / 互通红包) an employee sent to a customer, of at least
  ``min_amount`` fen (0: any). WeCom's archive has no transfer message (reference section 2):
  a transfer type it adds later is one more entry in :data:`MONEY_TYPES`;
- ``card``: a contact card (名片) an employee sent to a customer;
- ``file``: a file an employee sent to a customer, larger than ``max_file_size`` bytes or of
  one of ``file_exts`` (either that is set; both unset: every file);
- ``refused_consent``: a message in a 1:1 chat with a customer who refused archiving
  (不同意存档), sent at or after the refusal;
- ``member_deleted_customer`` / ``customer_deleted_member``: the employee deleted the
  customer, the customer deleted the employee (from the directory sync and its callbacks,
  see :func:`deletion_rules`).

"Sent to a customer": an employee sent it and a customer is among its receivers (a 1:1
customer chat, or a group with customers). :func:`scan` is plain Python and cheap: most
messages are text, and a text is only looked at when a ``refused_consent`` rule exists.
"""

import re
from dataclasses import dataclass

from .cards import human_size, yuan
from .keywords import Rule
from .normalize import id_kind

BEHAVIORS = {
    "redpacket": "红包",
    "card": "名片",
    "file": "文件",
    "refused_consent": "拒绝存档后仍发消息",
    "member_deleted_customer": "员工删除客户",
    "customer_deleted_member": "客户删除员工",
}
MESSAGE_BEHAVIORS = ("redpacket", "card", "file", "refused_consent")
DELETION_BEHAVIORS = ("member_deleted_customer", "customer_deleted_member")
# msgtype → the label of the money it carries
MONEY_TYPES = {"redpacket": "红包", "external_redpacket": "互通红包"}
_SENT_TO_CUSTOMER = {"redpacket", "card", "file"}
# msgtype → the behaviour kind that looks at it, when sent to a customer
_KIND_OF_TYPE = {**dict.fromkeys(MONEY_TYPES, "redpacket"), "card": "card", "file": "file"}
_NOT_CHAT = {"agree", "disagree", "revoke", "switch"}  # no message to the customer
_LIST_SEPARATORS = re.compile(r"[,，;；、]")


@dataclass(frozen=True)
class Behavior:
    rule: Rule  # the scope, sides and chat kinds, as a word rule has them
    kind: str  # a key of BEHAVIORS
    min_amount: int = 0  # fen
    max_file_size: int = 0  # bytes; 0: no size limit
    file_exts: frozenset = frozenset()  # lower case, no dot


@dataclass
class Finding:
    rule_id: int
    what: str  # what happened, for people: "红包 ¥88.00", "文件 报价.exe（12.0 MB）"
    customer: str = ""  # the customer's external userid


def split_items(text):
    """The items of a list as admins type it: separated by blanks, new lines, "," "，" ";"
    "；" or "、", duplicates dropped (first kept)."""
    return list(dict.fromkeys(_LIST_SEPARATORS.sub(" ", text or "").split()))


def file_exts(text):
    """The extensions an admin typed ("exe, .apk；zip") → {"exe", "apk", "zip"}."""
    return frozenset(item.lstrip(".").lower() for item in split_items(text) if item.strip("."))


def _dict(value):
    return value if isinstance(value, dict) else {}


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _customers(message):
    return [userid for userid in message.tolist if id_kind(userid) == "external"]


def _what(behavior, message):
    """What the message did, when it is the behavior's kind (else None)."""
    body = message.body if isinstance(message.body, dict) else {}
    kind = behavior.kind
    if kind == "redpacket" and message.msgtype in MONEY_TYPES:
        packet = _dict(body.get("redpacket")) or _dict(body.get(message.msgtype))
        amount = _int(packet.get("totalamount"))
        if amount >= behavior.min_amount:
            return f"{MONEY_TYPES[message.msgtype]} {yuan(amount)}"
    elif kind == "card" and message.msgtype == "card":
        userid = str(_dict(body.get("card")).get("userid") or "").strip()
        return f"名片 {userid}".strip()
    elif kind == "file" and message.msgtype == "file":
        data = _dict(body.get("file"))
        name = str(data.get("filename") or "")
        ext = str(data.get("fileext") or "").lstrip(".").lower()
        if not ext and "." in name:
            ext = name.rsplit(".", 1)[-1].lower()
        size = _int(data.get("filesize"))
        too_big = bool(behavior.max_file_size) and size > behavior.max_file_size
        banned = ext in behavior.file_exts
        limited = behavior.max_file_size or behavior.file_exts
        if too_big or banned or not limited:
            shown = human_size(size)
            return f"文件 {name}（{shown}）" if shown else f"文件 {name}"
    return None


def sent_kind(message, sender_side):
    """The kind of behaviour a message sent to a customer may be (None: none of them)."""
    return _KIND_OF_TYPE.get(message.msgtype) if sender_side == "member" else None


def by_sent_kind(behaviors):
    """{sent_kind: the behaviours :func:`scan` may find in such a message, in order}: a
    caller scanning many messages gives scan only these (the others it skips at once)."""
    return {
        kind: [b for b in behaviors if b.kind == kind or b.kind not in _SENT_TO_CUSTOMER]
        for kind in (None, *set(_KIND_OF_TYPE.values()))
    }


def scan(behaviors, message, *, chat_kind, sender_side, member_ids, department_ids, refused):
    """The :class:`Finding` of each behaviour rule ``message`` hits. ``refused``: {external
    userid: time of the refusal in ms} of the corp's customers who refused archiving."""
    if message.action != "send" or message.msgtype in _NOT_CHAT:
        return []
    findings = []
    # what a message sent to a customer does: a behaviour of another kind is skipped at once
    sent = sent_kind(message, sender_side)
    customers = _customers(message) if sent else ()
    for behavior in behaviors:
        rule = behavior.rule
        if behavior.kind in _SENT_TO_CUSTOMER:
            if behavior.kind != sent or not customers:
                continue
            if not rule.applies(sender_side, chat_kind, member_ids, department_ids):
                continue
            what = _what(behavior, message)
            if what is not None:
                findings.append(Finding(rule.id, what, customers[0]))
        elif behavior.kind == "refused_consent" and refused and chat_kind == "external":
            customer = next(
                (p for p in (message.sender, *message.tolist) if id_kind(p) == "external"), ""
            )
            since = refused.get(customer)
            if since is None or message.msgtime < since:
                continue
            if rule.applies(sender_side, chat_kind, member_ids, department_ids):
                findings.append(Finding(rule.id, BEHAVIORS["refused_consent"], customer))
    return findings


def deletion_rules(behaviors, removed_by, member_id, department_ids):
    """The ids of the deletion rules a removed follow relation hits: ``removed_by`` "member"
    (the employee deleted the customer) or "customer" (the customer deleted the employee),
    ``member_id`` the employee, in ``department_ids``."""
    kind = "member_deleted_customer" if removed_by == "member" else "customer_deleted_member"
    return [
        behavior.rule.id
        for behavior in behaviors
        if behavior.kind == kind and behavior.rule.in_scope({member_id}, set(department_ids))
    ]
