"""Normalise decrypted archive messages (reference section 2) into flat rows.

Every message keeps its whole JSON; what the archive needs to query — sender, receivers,
room, time, action, type — is lifted out, plus a plain-text rendering of whatever text the
message carries (for search and keyword rules), its media, a recall target and a consent.
Unknown types are kept as they are: only their common fields are lifted.
"""

import json
from dataclasses import dataclass, field

from .integrity import exact_number

# msgtype → where its media lives: (body key, size key, default extension)
MEDIA_TYPES = {
    "image": ("image", "filesize", "jpg"),
    "voice": ("voice", "voice_size", "amr"),
    "video": ("video", "filesize", "mp4"),
    "file": ("file", "filesize", ""),
    "emotion": ("emotion", "imagesize", "gif"),
    "meeting_voice_call": ("meeting_voice_call", "", "amr"),
    "voip_doc_share": ("voip_doc_share", "filesize", ""),
}

KNOWN_TYPES = frozenset(
    {
        "text",
        "image",
        "revoke",
        "agree",
        "disagree",
        "voice",
        "video",
        "card",
        "location",
        "emotion",
        "file",
        "link",
        "weapp",
        "chatrecord",
        "todo",
        "vote",
        "collect",
        "redpacket",
        "external_redpacket",
        "meeting",
        "docmsg",
        "markdown",
        "news",
        "calendar",
        "mixed",
        "meeting_voice_call",
        "voip_doc_share",
        "sphfeed",
        "voiptext",
        "qydiskfile",
        "switch",
    }
)


class MessageParseError(ValueError):
    """The decrypted plaintext is not a message (malformed JSON or not an object)."""


@dataclass
class Media:
    sdkfileid: str
    md5sum: str = ""
    size: int = 0
    filename: str = ""
    kind: str = ""  # the msgtype whose media it is: image, voice, video, file, emotion …


@dataclass
class Message:
    msgid: str
    action: str
    msgtype: str
    sender: str
    tolist: list
    roomid: str
    msgtime: int  # ms since epoch, UTC
    body: dict
    text: str = ""
    known: bool = True
    media: Media | None = None
    # The media inside a mixed message's or a forwarded chat record's items, in order.
    parts: list = field(default_factory=list)
    revoke_msgid: str = ""
    consent: tuple | None = None  # (external userid, "agree" | "disagree", time in ms)
    participants: list = field(default_factory=list)


def parse(plaintext):
    """The JSON object of a decrypted message (raw control characters tolerated)."""
    text = plaintext.decode("utf-8", "replace") if isinstance(plaintext, bytes) else plaintext
    try:
        # numbers by value, as jsonb keeps them: the body hashes as stored (lib.integrity)
        data = json.loads(text, strict=False, parse_float=exact_number)
    except ValueError as error:
        raise MessageParseError(f"malformed JSON: {error}") from None
    if not isinstance(data, dict):
        raise MessageParseError("the message is not a JSON object")
    return data


def _s(value):
    return value if isinstance(value, str) else "" if value is None else str(value)


def _int(value):
    if isinstance(value, bool):
        return 0
    try:
        return int(value)
    except (TypeError, ValueError):
        try:
            return int(float(value))
        except (TypeError, ValueError, OverflowError):
            return 0


def _dict(value):
    return value if isinstance(value, dict) else {}


def _list(value):
    return value if isinstance(value, list) else []


def _join(*parts):
    return "\n".join(part for part in (_s(p).strip() for p in parts) if part)


def _embedded(content):
    """chatrecord/mixed items carry their content as a JSON *string*."""
    if isinstance(content, dict):
        return content
    if isinstance(content, str):
        try:
            value = json.loads(content, strict=False)
        except ValueError:
            return {"content": content}
        return value if isinstance(value, dict) else {"content": _s(value)}
    return {}


_ITEM_TEXT_KEYS = ("content", "title", "description", "filename", "address", "topic", "name")


def _item_text(item):
    data = _embedded(item.get("content"))
    parts = [data.get(key) for key in _ITEM_TEXT_KEYS]
    for nested in _list(data.get("item")):  # a chatrecord inside a chatrecord
        parts.append(_item_text(_dict(nested)))
    return _join(*parts)


def render_text(msgtype, data):
    """Every piece of readable text a message carries, one per line."""
    body = _dict(data.get(msgtype))
    info = _dict(data.get("info"))
    if msgtype == "text":
        return _s(body.get("content"))
    if msgtype == "markdown":
        return _s(info.get("content"))
    if msgtype in ("link", "weapp"):
        return _join(body.get("title"), body.get("description"), body.get("displayname"))
    if msgtype in ("file", "voip_doc_share"):
        return _s(body.get("filename"))
    if msgtype == "qydiskfile":
        return _s(info.get("filename"))
    if msgtype in ("chatrecord", "mixed"):
        items = [_item_text(_dict(item)) for item in _list(body.get("item"))]
        return _join(body.get("title"), *items)
    if msgtype == "news":
        items = _list(info.get("item"))
        return _join(*(_join(_dict(i).get("title"), _dict(i).get("description")) for i in items))
    if msgtype == "calendar":
        attendees = "、".join(_s(name) for name in _list(body.get("attendeename")))
        return _join(body.get("title"), body.get("place"), body.get("remarks"), attendees)
    if msgtype == "vote":
        return _join(data.get("votetitle"), *_list(data.get("voteitem")))
    if msgtype == "todo":
        return _join(body.get("title"), body.get("content"))
    if msgtype == "meeting":
        return _join(body.get("topic"), body.get("address"), body.get("remarks"))
    if msgtype == "location":
        return _join(body.get("title"), body.get("address"))
    if msgtype == "card":
        return _join(body.get("corpname"), body.get("userid"))
    if msgtype == "docmsg":
        return _join(_dict(data.get("doc")).get("title"), _dict(data.get("doc")).get("link_url"))
    if msgtype == "collect":
        questions = (_dict(d).get("ques") for d in _list(body.get("details")))
        return _join(body.get("title"), *questions)
    if msgtype in ("redpacket", "external_redpacket"):
        return _s(_dict(data.get("redpacket")).get("wish"))
    if msgtype == "sphfeed":
        return _join(body.get("sph_name"), body.get("feed_desc"))
    if msgtype not in KNOWN_TYPES:  # a type WeCom added later: every text it carries
        unknown = data[msgtype] if msgtype in data else _without_keys(data, _COMMON_KEYS)
        return _join(*_strings(unknown))
    return ""


# The fields every message has, and those that hold ids or hashes rather than text.
_COMMON_KEYS = frozenset({"msgid", "action", "from", "tolist", "roomid", "msgtime", "msgtype"})
_NOT_TEXT_KEYS = frozenset({"sdkfileid", "md5sum", "msgid", "userid", "external_userid"})


def _without_keys(data, keys):
    return {key: value for key, value in data.items() if key not in keys}


def _strings(value):
    """The strings in ``value`` (nested dicts and lists), ids and hashes left aside."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [
            s for key, item in value.items() if key not in _NOT_TEXT_KEYS for s in _strings(item)
        ]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    return []


def _media(msgtype, data):
    spec = MEDIA_TYPES.get(msgtype)
    if not spec:
        return None
    body = _dict(data.get(spec[0]))
    sdkfileid = _s(body.get("sdkfileid"))
    if not sdkfileid:
        return None
    extension = _s(body.get("fileext")) or spec[2]
    if msgtype == "emotion" and _int(body.get("type")) == 2:
        extension = "png"
    filename = _s(body.get("filename"))
    if not filename:
        filename = f"{_s(data.get('msgid')) or 'media'}.{extension}" if extension else "media"
    return Media(
        sdkfileid=sdkfileid,
        md5sum=_s(body.get("md5sum")).lower(),
        size=_int(body.get(spec[1])) if spec[1] else 0,
        filename=filename,
        kind=msgtype,
    )


def _item_kind(item_type):
    """The msgtype of a mixed item ("image") or of a chat record item ("ChatRecordImage")."""
    kind = _s(item_type)
    return (kind[len("ChatRecord") :] if kind.startswith("ChatRecord") else kind).lower()


def _parts(msgtype, data):
    """The media inside the items of a mixed message or a chat record (nested ones too)."""
    if msgtype not in ("mixed", "chatrecord"):
        return []
    parts = []

    def walk(items):
        for item in _list(items):
            item = _dict(item)
            kind, content = _item_kind(item.get("type")), _embedded(item.get("content"))
            if kind in ("", "chatrecord") or "item" in content:
                walk(content.get("item"))
                continue
            name = f"{_s(data.get('msgid')) or 'media'}-{len(parts) + 1}"
            media = _media(kind, {kind: content, "msgid": name})
            if media:
                parts.append(media)

    walk(_dict(data.get(msgtype)).get("item"))
    return parts


def normalize(data):
    """A :class:`Message` from a parsed message object (see :func:`parse`)."""
    action = _s(data.get("action")) or "send"
    msgtype = _s(data.get("msgtype")) or ("switch" if action == "switch" else "")
    if action == "switch":
        sender, tolist, msgtime = _s(data.get("user")), [], _int(data.get("time"))
    else:
        sender = _s(data.get("from"))
        tolist = [_s(t) for t in _list(data.get("tolist")) if _s(t)]
        msgtime = _int(data.get("msgtime"))
    message = Message(
        msgid=_s(data.get("msgid")),
        action=action,
        msgtype=msgtype,
        sender=sender,
        tolist=tolist,
        roomid=_s(data.get("roomid")),
        msgtime=msgtime,
        body=data,
        known=msgtype in KNOWN_TYPES,
    )
    message.text = render_text(msgtype, data)
    message.media = _media(msgtype, data)
    message.parts = _parts(msgtype, data)
    if msgtype == "revoke":
        message.revoke_msgid = _s(_dict(data.get("revoke")).get("pre_msgid"))
    elif msgtype in ("agree", "disagree"):
        body = _dict(data.get(msgtype))
        when = _int(body.get(f"{msgtype}_time")) or msgtime
        external = _s(body.get("userid")) or sender
        message.consent = (external, msgtype, when)
    message.participants = sorted({p for p in [sender, *tolist] if p})
    return message


def id_kind(userid):
    """'external' (external_userid wo…/wm…), 'robot' (wb…) or 'member' (an internal userid)."""
    if userid[:2] in ("wo", "wm"):
        return "external"
    if userid[:2] == "wb":
        return "robot"
    return "member"


def conversation_key(roomid, sender, tolist):
    """(kind, key) of the conversation a message belongs to.

    A group is its roomid; a 1:1 chat is the sorted pair of its two parties, external when
    one of them is an external contact.
    """
    if roomid:
        return "group", f"room:{roomid}"
    parties = sorted({sender, *tolist[:1]} - {""})
    kind = "external" if any(id_kind(p) != "member" for p in parties) else "internal"
    return kind, "|".join(parties)
