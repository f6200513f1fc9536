"""A stored message → a small typed *card*: the one rendering every view uses.

The chat thread, search snippets, violation details, alerts, the Excel export and the evidence
PDF all show messages through :func:`card` (and :func:`snippet` for one line), so they can never
disagree about what a message says. Plain Python (no odoo), JSON-serialisable output.

A card is a dict::

    kind        one of KINDS (text, image, …, unknown, failed)
    msgtype     the WeCom msgtype ("" when the message could not be read)
    type_label  the Chinese name of the type (文本, 图片, 会话记录, …)
    msgid, sender, time   the message's id, sender id and time (int, as WeCom gives it)
    title, text plain text, never HTML (the views escape it)
    fields      [[label_zh, value], …]; values are str, except times: int epoch
                (seconds or ms, see :func:`epoch_ms`), formatted by the views in the user's tz
    media       {sdkfileid, filename, size, size_text, md5, kind, **caller's dict} or None
    link        {url, title, description} with an http(s) url, or None
    children    [cards] of a chatrecord / mixed message (or of a multi-item news)
    people      [{id, name, unsynced}] of the ids the message mentions, sender first
    recalled, system, unknown (+ raw), failed (+ reason)

Untrusted text stays text: nothing here builds markup, control and bidi-override characters
are removed, and a URL is kept only when it is http(s) (``javascript:``, ``data:``… dropped).
"""

import json
import re
from urllib.parse import urlsplit

from .normalize import KNOWN_TYPES, _dict, _embedded, _int, _list, _media, render_text

KINDS = (
    "text",
    "markdown",
    "image",
    "voice",
    "video",
    "file",
    "emotion",
    "link",
    "weapp",
    "news",
    "location",
    "card",
    "redpacket",
    "chatrecord",
    "mixed",
    "meeting",
    "meeting_voice_call",
    "voip",
    "docmsg",
    "todo",
    "vote",
    "collect",
    "calendar",
    "sphfeed",
    "qydiskfile",
    "consent",
    "switch",
    "revoke",
    "unknown",
    "failed",
)

# msgtype → card kind (a msgtype not listed here is its own kind)
KIND_OF = {
    "external_redpacket": "redpacket",
    "voiptext": "voip",
    "voip_doc_share": "file",
    "agree": "consent",
    "disagree": "consent",
}

TYPE_LABELS = {
    "text": "文本",
    "image": "图片",
    "voice": "语音",
    "video": "视频",
    "file": "文件",
    "emotion": "表情",
    "link": "链接",
    "weapp": "小程序",
    "news": "图文",
    "location": "位置",
    "card": "名片",
    "redpacket": "红包",
    "external_redpacket": "互通红包",
    "chatrecord": "会话记录",
    "mixed": "混合消息",
    "meeting": "会议邀请",
    "meeting_voice_call": "音频存档",
    "voiptext": "音视频通话",
    "voip_doc_share": "共享文档",
    "docmsg": "在线文档",
    "todo": "待办",
    "vote": "投票",
    "collect": "填表",
    "calendar": "日程",
    "markdown": "markdown",
    "sphfeed": "视频号",
    "qydiskfile": "微盘文件",
    "agree": "同意会话存档",
    "disagree": "不同意会话存档",
    "switch": "切换企业",
    "revoke": "撤回",
}
UNKNOWN_LABEL = "未知类型"
FAILED_LABELS = {"no_key": "缺少密钥", "decrypt_error": "解密失败", "parse_error": "格式错误"}
FAILED_STATES = frozenset(FAILED_LABELS)

# media kind of a msgtype whose media normalize._media finds
_MEDIA_KIND = {
    "image": "image",
    "voice": "voice",
    "video": "video",
    "file": "file",
    "emotion": "emotion",
    "meeting_voice_call": "voice",
    "voip_doc_share": "file",
}

# Where a type's body lives when it is not under a key named like the type.
_BODY_KEY = {
    "markdown": "info",
    "news": "info",
    "voiptext": "info",
    "qydiskfile": "info",
    "docmsg": "doc",
    "external_redpacket": "redpacket",
}

# chatrecord item types ("ChatRecordText", …) after the prefix is dropped and lowered
_ITEM_ALIASES = {
    "": "chatrecord",
    "chatrecord": "chatrecord",
    "sharing": "link",
    "miniprogram": "weapp",
    "doc": "docmsg",
    "ocmsg": "docmsg",
}

_REDPACKET_TYPES = {1: "普通红包", 2: "拼手气群红包", 3: "激励群红包"}
_VOTE_TYPES = {101: "发起投票", 102: "参与投票"}
_MEETING_TYPES = {101: "发起会议邀请", 102: "处理会议邀请"}
_MEETING_STATUS = {
    1: "参加",
    2: "拒绝",
    3: "待定",
    4: "未被邀请",
    5: "会议已取消",
    6: "会议已过期",
    7: "不在房间内",
}
_SPHFEED_TYPES = {2: "图片", 4: "视频", 9: "直播"}
_VOIP_TYPES = {1: "单人视频通话", 2: "单人语音通话", 3: "多人视频通话", 4: "多人语音通话"}

_MAX_DEPTH = 8  # nested chatrecords deeper than this are summarised, not expanded

# C0/C1 controls (tab and newline kept), bidi overrides/isolates, zero-width no-break space
_UNSAFE_CHARS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ufeff]")


# ---------------------------------------------------------------------------------------------
# small helpers


def _s(value):
    """A clean str of ``value`` (numbers as text; dicts/lists/None as "")."""
    if value is None or isinstance(value, dict | list | bool):
        return ""
    text = value if isinstance(value, str) else str(value)
    return _UNSAFE_CHARS.sub("", text).replace("\r\n", "\n").replace("\r", "\n")


def _join(*parts, sep="\n"):
    return sep.join(part for part in (_s(p).strip() for p in parts) if part)


def yuan(fen):
    """'¥12.50' from an amount in fen."""
    fen = _int(fen)
    sign = "-" if fen < 0 else ""
    fen = abs(fen)
    return f"{sign}¥{fen // 100}.{fen % 100:02d}"


def human_size(size):
    """'10 B', '1.5 KB', '2.0 MB'… ("" when unknown)."""
    size = _int(size)
    if size <= 0:
        return ""
    if size < 1024:
        return f"{size} B"
    value = float(size)
    for unit in ("KB", "MB", "GB", "TB"):
        value /= 1024
        if value < 1024 or unit == "TB":
            return f"{value:.1f} {unit}"
    return ""  # pragma: no cover


def duration(seconds):
    """'mm:ss' ('h:mm:ss' from an hour on) of a number of seconds ("" when unknown)."""
    seconds = _int(seconds)
    if seconds <= 0:
        return ""
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


def epoch_ms(value):
    """Milliseconds since the epoch of a card time (WeCom gives seconds or ms)."""
    value = _int(value)
    return value * 1000 if 0 < value < 100_000_000_000 else value


def safe_url(url):
    """``url`` when it is an absolute http(s) URL, else ""."""
    url = url.strip() if isinstance(url, str) else ""
    if not url or any(ord(c) <= 0x20 or 0x7F <= ord(c) <= 0x9F for c in url):
        return ""
    if _UNSAFE_CHARS.search(url):
        return ""
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return ""
    return url


def _link(url, title="", description=""):
    url = safe_url(url)
    if not url:
        return None
    return {"url": url, "title": _s(title).strip(), "description": _s(description).strip()}


# ---------------------------------------------------------------------------------------------
# the card


class _Ctx:
    def __init__(self, names, media):
        self.names = names or {}
        self.media = media or {}

    def name(self, userid):
        userid = _s(userid)
        return _s(self.names.get(userid)) or userid


def _base(kind, msgtype, label, *, msgid="", sender="", time=0, recalled=False):
    return {
        "kind": kind,
        "msgtype": msgtype,
        "type_label": label,
        "msgid": msgid,
        "sender": sender,
        "time": time,
        "title": "",
        "text": "",
        "fields": [],
        "media": None,
        "link": None,
        "children": [],
        "people": [],
        "recalled": bool(recalled),
        "system": False,
        "unknown": False,
        "raw": "",
        "failed": False,
        "reason": "",
    }


def _add_field(out, label, value):
    if isinstance(value, int) and not isinstance(value, bool):
        if value:
            out["fields"].append([label, value])
        return
    value = _s(value).strip()
    if value:
        out["fields"].append([label, value])


def _people(ids, ctx):
    seen, people = set(), []
    for userid in ids:
        userid = _s(userid).strip()
        if not userid or userid in seen:
            continue
        seen.add(userid)
        name = _s(ctx.names.get(userid)).strip()
        people.append({"id": userid, "name": name or userid, "unsynced": not name})
    return people


def _attach_media(out, msgtype, data, ctx):
    found = _media(msgtype, data)
    if not found:
        return
    media = {
        "sdkfileid": found.sdkfileid,
        "filename": _s(found.filename),
        "size": found.size,
        "size_text": human_size(found.size),
        "md5": found.md5sum,
        "kind": _MEDIA_KIND.get(msgtype, "file"),
    }
    extra = ctx.media.get(found.sdkfileid)
    if isinstance(extra, dict):
        media.update({k: v for k, v in extra.items() if k not in ("sdkfileid", "kind")})
        if "size" in extra:
            media["size_text"] = human_size(media["size"])
    out["media"] = media


def _failed(state, error, msgid, msgtype="", recalled=False):
    error = _s(error).strip()
    if state == "no_key":
        found = re.search(r"(?:version|ver)\D{0,3}(\d+)", error, re.IGNORECASE)
        reason = (
            f"缺少密钥版本 {found.group(1)} 的私钥" if found else _join("缺少私钥", error, sep="：")
        )
    elif state == "decrypt_error":
        reason = _join("解密失败", error, sep="：")
    elif state == "parse_error":
        reason = _join("消息格式错误", error, sep="：")
    else:
        reason = _join("消息内容缺失", error, sep="：")
    out = _base(
        "failed",
        msgtype,
        FAILED_LABELS.get(state, "无法显示"),
        msgid=_s(msgid),
        recalled=recalled,
    )
    out.update(failed=True, reason=reason, text=reason)
    return out


def card(body, *, msgid="", state="done", error="", recalled=False, names=None, media=None):
    """The card of a stored message.

    ``body`` is the decrypted message (a dict; JSON text is parsed too) or None when it could
    not be read (``state`` no_key / decrypt_error / parse_error, ``error`` the stored error).
    ``names`` maps userid / external_userid → display name; ``media`` maps sdkfileid → a dict
    (url, mimetype, size, state…) merged into the card's media.
    """
    if isinstance(body, bytes | str) and state not in FAILED_STATES:
        try:
            body = json.loads(body, strict=False)
        except ValueError as exc:
            return _failed("parse_error", error or str(exc), msgid, recalled=recalled)
        if not isinstance(body, dict):
            return _failed("parse_error", error or "not a JSON object", msgid, recalled=recalled)
    if state in FAILED_STATES or not isinstance(body, dict):
        body = _dict(body)
        msgid = _s(msgid) or _s(body.get("msgid"))
        return _failed(state, error, msgid, _s(body.get("msgtype")), recalled)
    return _card(body, _Ctx(names, media), msgid=msgid, recalled=recalled, depth=0)


def _card(data, ctx, *, msgid="", recalled=False, depth=0):
    action = _s(data.get("action")) or "send"
    msgtype = _s(data.get("msgtype")) or ("switch" if action == "switch" else "")
    if action == "switch":
        sender, time = _s(data.get("user")), _int(data.get("time"))
    else:
        sender, time = _s(data.get("from")), _int(data.get("msgtime"))
    known = msgtype in KNOWN_TYPES
    kind = KIND_OF.get(msgtype, msgtype) if known else "unknown"
    label = TYPE_LABELS.get(msgtype, UNKNOWN_LABEL) if known else UNKNOWN_LABEL
    out = _base(
        kind,
        msgtype,
        label,
        msgid=_s(msgid) or _s(data.get("msgid")),
        sender=sender,
        time=time,
        recalled=recalled,
    )
    body = _dict(data.get(_BODY_KEY.get(msgtype, msgtype)))
    ids = [sender]
    render = _RENDERERS.get(kind) if known else _unknown
    extra_ids = render(out, msgtype, data, body, ctx, depth) or []
    ids.extend(extra_ids)
    _attach_media(out, msgtype, data, ctx)
    out["people"] = _people(ids, ctx)
    return out


# ---------------------------------------------------------------------------------------------
# one renderer per kind: fills title/text/fields/link/children, returns extra people ids


def _r_text(out, msgtype, data, body, ctx, depth):
    out["text"] = _s(body.get("content"))


def _r_image(out, msgtype, data, body, ctx, depth):
    _add_field(out, "文件大小", human_size(body.get("filesize")))


def _r_voice(out, msgtype, data, body, ctx, depth):
    _add_field(out, "时长", duration(body.get("play_length")))
    _add_field(out, "文件大小", human_size(body.get("voice_size")))


def _r_video(out, msgtype, data, body, ctx, depth):
    _add_field(out, "时长", duration(body.get("play_length")))
    _add_field(out, "文件大小", human_size(body.get("filesize")))


def _r_file(out, msgtype, data, body, ctx, depth):
    out["title"] = out["text"] = _s(body.get("filename")).strip()
    extension = _s(body.get("fileext")).strip()
    if not extension and "." in out["title"]:
        extension = out["title"].rsplit(".", 1)[1]
    _add_field(out, "文件类型", extension.lower())
    _add_field(out, "文件大小", human_size(body.get("filesize")))


def _r_emotion(out, msgtype, data, body, ctx, depth):
    width, height = _int(body.get("width")), _int(body.get("height"))
    if width and height:
        _add_field(out, "尺寸", f"{width}×{height}")
    _add_field(out, "文件大小", human_size(body.get("imagesize")))


def _r_link(out, msgtype, data, body, ctx, depth):
    out["title"] = _s(body.get("title")).strip()
    out["text"] = _s(body.get("description")).strip()
    out["link"] = _link(body.get("link_url"), out["title"], out["text"])


def _r_weapp(out, msgtype, data, body, ctx, depth):
    out["title"] = _s(body.get("title")).strip()
    out["text"] = _s(body.get("description")).strip()
    _add_field(out, "小程序", body.get("displayname"))


def _r_news(out, msgtype, data, body, ctx, depth):
    items = [_dict(item) for item in _list(body.get("item"))]
    if not items:
        return
    first = items[0]
    out["title"] = _s(first.get("title")).strip()
    out["text"] = _join(*(_join(i.get("title"), i.get("description")) for i in items))
    out["link"] = _link(first.get("url"), first.get("title"), first.get("description"))
    if len(items) > 1:
        for item in items:
            child = _base("link", "link", TYPE_LABELS["link"])
            child["title"] = _s(item.get("title")).strip()
            child["text"] = _s(item.get("description")).strip()
            child["link"] = _link(item.get("url"), child["title"], child["text"])
            out["children"].append(child)


def _r_location(out, msgtype, data, body, ctx, depth):
    out["title"] = _s(body.get("title")).strip()
    out["text"] = _join(body.get("title"), body.get("address"))
    _add_field(out, "地址", body.get("address"))
    if body.get("latitude") is not None and body.get("longitude") is not None:
        _add_field(out, "经纬度", f"{_s(body.get('latitude'))}, {_s(body.get('longitude'))}")


def _r_card(out, msgtype, data, body, ctx, depth):
    userid = _s(body.get("userid")).strip()
    out["title"] = ctx.name(userid) if userid else ""
    out["text"] = _join(body.get("corpname"), out["title"])
    _add_field(out, "企业", body.get("corpname"))
    _add_field(out, "成员", out["title"])
    return [userid, *_list(data.get("tolist"))]


def _r_redpacket(out, msgtype, data, body, ctx, depth):
    out["title"] = out["text"] = _s(body.get("wish")).strip()
    _add_field(out, "红包类型", _REDPACKET_TYPES.get(_int(body.get("type")), ""))
    if body.get("totalamount") is not None:
        _add_field(out, "金额", yuan(body.get("totalamount")))
    if _int(body.get("totalcnt")):
        _add_field(out, "个数", str(_int(body.get("totalcnt"))))


def _item_type(raw, content):
    name = _s(raw).strip()
    lower = name.lower()
    if lower.startswith("chatrecord"):
        lower = lower[len("chatrecord") :]
    lower = _ITEM_ALIASES.get(lower, lower)
    if lower not in KNOWN_TYPES and isinstance(content.get("item"), list):
        lower = "chatrecord"
    return lower or name


def _children(out, body, ctx, depth):
    children = []
    for raw_item in _list(body.get("item")):
        item = _dict(raw_item)
        content = _embedded(item.get("content"))
        msgtype = _item_type(item.get("type"), content)
        if depth + 1 > _MAX_DEPTH:
            child = _base("unknown", msgtype, UNKNOWN_LABEL)
            child.update(unknown=True, text="…", raw=json.dumps(item, ensure_ascii=False))
            children.append(child)
            continue
        data = {"msgtype": msgtype, "msgtime": _int(item.get("msgtime"))}
        if msgtype == "vote":
            data.update(content)
        else:
            data[_BODY_KEY.get(msgtype, msgtype)] = content
        child = _card(data, ctx, depth=depth + 1)
        if child["unknown"]:
            child["title"] = _s(item.get("type"))
        child["from_chatroom"] = bool(item.get("from_chatroom"))
        children.append(child)
    out["children"] = children
    return children


def _line(child):
    """One line of a child card for its parent's text (no truncation)."""
    return snippet(child, limit=0)


def _r_chatrecord(out, msgtype, data, body, ctx, depth):
    out["title"] = _s(body.get("title")).strip()
    children = _children(out, body, ctx, depth)
    out["text"] = _join(out["title"], *(_line(c) for c in children))
    _add_field(out, "条数", str(len(children)) if children else "")


def _r_mixed(out, msgtype, data, body, ctx, depth):
    children = _children(out, body, ctx, depth)
    out["text"] = _join(*(_line(c) for c in children))


def _r_meeting(out, msgtype, data, body, ctx, depth):
    out["title"] = _s(body.get("topic")).strip()
    out["text"] = _join(body.get("topic"), body.get("address"), body.get("remarks"))
    _add_field(out, "开始时间", _int(body.get("starttime")))
    _add_field(out, "结束时间", _int(body.get("endtime")))
    _add_field(out, "地址", body.get("address"))
    _add_field(out, "备注", body.get("remarks"))
    _add_field(out, "类型", _MEETING_TYPES.get(_int(body.get("meetingtype")), ""))
    _add_field(out, "状态", _MEETING_STATUS.get(_int(body.get("status")), ""))


def _r_meeting_voice_call(out, msgtype, data, body, ctx, depth):
    _add_field(out, "结束时间", _int(body.get("endtime")))
    demos = [_dict(d) for d in _list(body.get("demofiledata"))]
    shares = [_dict(s) for s in _list(body.get("sharescreendata"))]
    _add_field(out, "演示文件", "、".join(f for f in (_s(d.get("filename")) for d in demos) if f))
    if shares:
        _add_field(out, "屏幕共享", f"{len(shares)} 次")
    out["text"] = _join(*(d.get("filename") for d in demos))
    return [d.get("demoer") for d in demos] + [s.get("share") for s in shares]


def _r_voip(out, msgtype, data, body, ctx, depth):
    call_type = _VOIP_TYPES.get(_int(body.get("invitetype")), "")
    length = duration(body.get("callduration"))
    out["text"] = _join(call_type, length, sep=" ")
    _add_field(out, "通话类型", call_type)
    _add_field(out, "时长", length)


def _r_docmsg(out, msgtype, data, body, ctx, depth):
    out["title"] = out["text"] = _s(body.get("title")).strip()
    out["link"] = _link(body.get("link_url"), out["title"])
    creator = _s(body.get("doc_creator")).strip()
    _add_field(out, "创建人", ctx.name(creator) if creator else "")
    return [creator]


def _r_todo(out, msgtype, data, body, ctx, depth):
    out["title"] = _s(body.get("title")).strip()
    out["text"] = _join(body.get("title"), body.get("content"))


def _r_vote(out, msgtype, data, body, ctx, depth):
    options = [_s(option).strip() for option in _list(data.get("voteitem"))]
    out["title"] = _s(data.get("votetitle")).strip()
    out["text"] = _join(out["title"], *options)
    _add_field(out, "投票类型", _VOTE_TYPES.get(_int(data.get("votetype")), ""))
    _add_field(out, "选项", "、".join(option for option in options if option))


def _r_collect(out, msgtype, data, body, ctx, depth):
    questions = [_s(_dict(d).get("ques")).strip() for d in _list(body.get("details"))]
    out["title"] = _s(body.get("title")).strip()
    out["text"] = _join(out["title"], *questions)
    creator = _s(body.get("creator")).strip()
    _add_field(out, "群名称", body.get("room_name"))
    _add_field(out, "创建人", ctx.name(creator) if creator else "")
    created = body.get("create_time")
    _add_field(out, "创建时间", created if isinstance(created, int) else _s(created))
    _add_field(out, "表项", "、".join(q for q in questions if q))
    return [creator]


def _r_calendar(out, msgtype, data, body, ctx, depth):
    attendees = [_s(name).strip() for name in _list(body.get("attendeename"))]
    out["title"] = _s(body.get("title")).strip()
    out["text"] = _join(body.get("title"), body.get("place"), body.get("remarks"))
    _add_field(out, "开始时间", _int(body.get("starttime")))
    _add_field(out, "结束时间", _int(body.get("endtime")))
    _add_field(out, "地点", body.get("place"))
    _add_field(out, "组织者", body.get("creatorname"))
    _add_field(out, "参与人", "、".join(name for name in attendees if name))
    _add_field(out, "备注", body.get("remarks"))


def _r_markdown(out, msgtype, data, body, ctx, depth):
    out["text"] = _s(body.get("content"))


def _r_sphfeed(out, msgtype, data, body, ctx, depth):
    out["title"] = _s(body.get("sph_name")).strip()
    out["text"] = _s(body.get("feed_desc")).strip()
    _add_field(out, "视频号", out["title"])
    _add_field(out, "内容类型", _SPHFEED_TYPES.get(_int(body.get("feed_type")), ""))


def _r_qydiskfile(out, msgtype, data, body, ctx, depth):
    out["title"] = out["text"] = _s(body.get("filename")).strip()


def _r_consent(out, msgtype, data, body, ctx, depth):
    external = _s(body.get("userid")).strip() or out["sender"]
    when = _int(body.get(f"{msgtype}_time")) or out["time"]
    out["system"] = True
    out["title"] = ctx.name(external)
    out["text"] = f"{out['title']} {TYPE_LABELS[msgtype]}"
    _add_field(out, "时间", when)
    return [external, *_list(data.get("tolist"))]


def _r_switch(out, msgtype, data, body, ctx, depth):
    out["system"] = True
    out["title"] = ctx.name(out["sender"])
    out["text"] = f"{out['title']} 切换了企业" if out["title"] else "切换了企业"


def _r_revoke(out, msgtype, data, body, ctx, depth):
    out["system"] = True
    who = ctx.name(out["sender"])
    out["text"] = f"{who} 撤回了一条消息" if who else "撤回了一条消息"
    _add_field(out, "被撤回的消息", body.get("pre_msgid"))


def _unknown(out, msgtype, data, body, ctx, depth):
    out["unknown"] = True
    out["title"] = msgtype
    out["text"] = _s(render_text(msgtype, data))
    out["raw"] = json.dumps(data, ensure_ascii=False)


_RENDERERS = {
    "text": _r_text,
    "markdown": _r_markdown,
    "image": _r_image,
    "voice": _r_voice,
    "video": _r_video,
    "file": _r_file,
    "emotion": _r_emotion,
    "link": _r_link,
    "weapp": _r_weapp,
    "news": _r_news,
    "location": _r_location,
    "card": _r_card,
    "redpacket": _r_redpacket,
    "chatrecord": _r_chatrecord,
    "mixed": _r_mixed,
    "meeting": _r_meeting,
    "meeting_voice_call": _r_meeting_voice_call,
    "voip": _r_voip,
    "docmsg": _r_docmsg,
    "todo": _r_todo,
    "vote": _r_vote,
    "collect": _r_collect,
    "calendar": _r_calendar,
    "sphfeed": _r_sphfeed,
    "qydiskfile": _r_qydiskfile,
    "consent": _r_consent,
    "switch": _r_switch,
    "revoke": _r_revoke,
}


# ---------------------------------------------------------------------------------------------
# one line


def _one_line(text):
    return " ".join(_s(text).split())


def _truncate(text, limit):
    if limit and len(text) > limit:
        return text[: max(limit - 1, 0)].rstrip() + "…"
    return text


def snippet(card, limit=80):
    """One line for lists, alerts and search results ("[图片]", "[文件] 报价单.xlsx", …).

    ``limit`` (characters, "…" included) 0 means no truncation.
    """
    kind = card.get("kind")
    label = card.get("type_label") or UNKNOWN_LABEL
    if kind == "failed":
        line = f"[{label}] {_one_line(card.get('reason'))}"
    elif kind in ("text", "markdown"):
        line = _one_line(card.get("text"))
    elif kind == "mixed":
        line = " ".join(
            part for part in (snippet(c, 0) for c in card.get("children") or []) if part
        )
        line = line or f"[{label}]"
    elif kind == "chatrecord":
        count = len(card.get("children") or [])
        title = _one_line(card.get("title"))
        line = _join(f"[{label}]", title + (f"（{count}条）" if count else ""), sep=" ")
    elif kind == "unknown":
        head = f"[{label} {card.get('msgtype')}]" if card.get("msgtype") else f"[{label}]"
        line = _join(head, _one_line(card.get("text")), sep=" ")
    elif kind in ("image", "voice", "video", "emotion"):
        length = dict(card.get("fields") or []).get("时长", "")
        line = _join(f"[{label}]", length, sep=" ")
    elif card.get("system"):  # a whole sentence already ("王明乐 切换了企业")
        line = _one_line(card.get("text")) or f"[{label}]"
    else:
        detail = _one_line(card.get("title")) or _one_line(card.get("text"))
        if kind == "redpacket":
            detail = _join(detail, dict(card.get("fields") or []).get("金额", ""), sep=" ")
        line = _join(f"[{label}]", detail, sep=" ")
    if card.get("recalled"):
        line = f"[已撤回] {line}"
    return _truncate(line.strip(), limit)
