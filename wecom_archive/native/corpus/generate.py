"""A synthetic company and its archived chats, for the demo, the tests and benchmarks.

``generate(out_dir, messages=N)`` writes, deterministically for a seed:

- ``messages.jsonl``: plaintext archived messages in WeCom's schema (reference section 2), in
  time order, every type of the reference present from 1,000 messages on; with several key
  versions each line is prefixed ``<version>\\t`` (key rotation over the timeline);
- ``media/<sdkfileid>``: the media files, of realistic sizes (scaled by ``media_scale``);
- ``company.json``: the company behind the chats, shaped like WeCom's server API answers
  (departments, users, the archive scope, external contacts with their followers, groups,
  consent), so a fake API server can serve it and every chat resolves to real names;
- ``summary.json``: counts.

Memory stays flat in the number of messages: lines are written as they are made.
"""

import hashlib
import json
import os
import random
import statistics
import struct
import zlib
from datetime import UTC, datetime, timedelta

from . import phrases

# msgtype: weight (per 10,000) — text dominates, as in real chats.
TYPE_WEIGHTS = {
    "text": 7200,
    "image": 800,
    "emotion": 300,
    "voice": 300,
    "file": 200,
    "link": 200,
    "video": 100,
    "revoke": 0,
    "card": 50,
    "location": 50,
    "weapp": 60,
    "chatrecord": 60,
    "mixed": 60,
    "markdown": 30,
    "news": 20,
    "docmsg": 40,
    "todo": 20,
    "calendar": 20,
    "meeting": 20,
    "redpacket": 30,
    "external_redpacket": 20,
    "sphfeed": 20,
    "voiptext": 30,
    "qydiskfile": 15,
    "meeting_voice_call": 10,
    "voip_doc_share": 10,
    "vote": 20,
    "collect": 10,
    "agree": 0,
    "disagree": 0,
    "switch": 5,
}
GROUP_ONLY = {"vote", "collect"}
# type: (size range in bytes at media_scale 1, magic header of the format)
AMR_MAGIC = b"#!AMR\n"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
MEDIA = {
    "image": ((30_000, 600_000), PNG_MAGIC),
    "voice": ((3_000, 60_000), AMR_MAGIC),
    "video": ((500_000, 8_000_000), b"\x00\x00\x00\x18ftypmp42"),
    "file": ((10_000, 5_000_000), b"%PDF-1.4\n"),
    "emotion": ((10_000, 300_000), PNG_MAGIC),
    "meeting_voice_call": ((3_000, 60_000), AMR_MAGIC),
    "voip_doc_share": ((10_000, 2_000_000), b"PK\x03\x04"),
}
_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
SHANGHAI = timedelta(hours=8)


def _ms(moment):
    return int(moment.timestamp() * 1000)


class _Company:
    """Departments, members, customers and groups, scaled to the number of messages."""

    def __init__(self, rng, messages, corpid):
        self.rng = rng
        self.corpid = corpid
        self.departments = [dict(d) for d in phrases.DEPARTMENTS]
        n_members = max(18, min(300, messages // 1000))
        names = phrases.member_names(rng, n_members)
        self.users = []
        for index, name in enumerate(names):
            department = self.departments[1 + index % (len(self.departments) - 1)]
            self.users.append(
                {
                    "userid": phrases.userid(name, index),
                    "name": name,
                    "position": rng.choice(phrases.POSITIONS[department["kind"]]),
                    "department": [department["id"]],
                    "main_department": department["id"],
                    "status": 1,
                    "mobile": f"1{rng.choice('3589')}{rng.randrange(10**9):09d}",
                    "gender": str(rng.choice((1, 2))),
                }
            )
        self.users[-1]["status"] = 4  # a member who left: chats stay browsable
        self.permit = [u["userid"] for u in self.users[:-2]]  # the last two: 曾归档
        n_customers = n_members * 10
        self.customers = []
        for index, name in enumerate(phrases.customer_names(rng, n_customers)):
            wecom = rng.random() < 0.25
            prefix = "wo" if wecom else "wm"
            external = prefix + "".join(rng.choice(_B64[:62]) for _ in range(30))
            followers = rng.sample(self.users[:-1], k=1 if rng.random() < 0.8 else 2)
            self.customers.append(
                {
                    "external_contact": {
                        "external_userid": external,
                        "name": name,
                        "type": 2 if wecom else 1,
                        "corp_name": rng.choice(phrases.CUSTOMER_CORPS) if wecom else "",
                        "avatar": f"https://wework.qpic.cn/wwhead/{external[:12]}/0",
                        "gender": rng.choice((0, 1, 2)),
                    },
                    "follow_user": [
                        {
                            "userid": user["userid"],
                            "remark": name,
                            "description": rng.choice(phrases.CUSTOMER_NOTES),
                            "createtime": 0,  # set at the first chat
                            "add_way": rng.choice((0, 1, 2, 3, 4, 5, 6, 16, 8, 9, 10, 201, 202)),
                            "tags": [],
                        }
                        for user in followers
                    ],
                    "refuses": index % 37 == 5,
                }
            )
        self.deleted_follow_user = []
        self.external_groups, self.internal_groups = [], []
        robot = "wb" + "".join(rng.choice(_B64[:62]) for _ in range(20))
        for index in range(max(2, n_members // 4)):
            owner = rng.choice(self.users[:-1])
            members = rng.sample(self.users[:-1], k=min(4, len(self.users) - 1))
            if owner not in members:
                members.append(owner)
            customers = rng.sample(self.customers, k=min(6, len(self.customers)))
            chat_id = "wr" + "".join(rng.choice(_B64[:62]) for _ in range(30))
            self.external_groups.append(
                {
                    "chat_id": chat_id,
                    "name": f"{customers[0]['external_contact']['name']}服务群{index + 1}",
                    "owner": owner["userid"],
                    "notice": "请大家有问题随时在群里沟通",
                    "member_list": [
                        {"userid": m["userid"], "type": 1, "join_scene": 1} for m in members
                    ]
                    + [
                        {
                            "userid": c["external_contact"]["external_userid"],
                            "type": 2,
                            "join_scene": 3,
                        }
                        for c in customers
                    ]
                    + ([{"userid": robot, "type": 1, "join_scene": 1}] if index == 0 else []),
                    "admin_list": [{"userid": owner["userid"]}],
                }
            )
        for department in self.departments[1:]:
            members = [u for u in self.users if department["id"] in u["department"]]
            if len(members) < 3:
                continue
            self.internal_groups.append(
                {
                    "roomid": "wr" + "".join(rng.choice(_B64[:62]) for _ in range(30)),
                    "roomname": f"{department['name']}工作群",
                    "creator": members[0]["userid"],
                    "notice": "",
                    "members": [{"memberid": m["userid"]} for m in members],
                }
            )
        self.agree = []

    def conversations(self):
        """(kind, parties, roomid, group) — the chats the company has."""
        chats = []
        for customer in self.customers:
            for follow in customer["follow_user"]:
                chats.append(
                    (
                        "external",
                        [follow["userid"], customer["external_contact"]["external_userid"]],
                        "",
                        customer,
                    )
                )
        active = [u["userid"] for u in self.users[:-1]]
        for _ in range(len(self.users) * 2):
            a, b = self.rng.sample(active, 2)
            chats.append(("internal", [a, b], "", None))
        for group in self.external_groups:
            parties = [m["userid"] for m in group["member_list"]]
            chats.append(("group", parties, group["chat_id"], group))
        for group in self.internal_groups:
            chats.append(
                ("group", [m["memberid"] for m in group["members"]], group["roomid"], group)
            )
        return chats

    def as_json(self, start_ms):
        for group in self.external_groups:
            group["create_time"] = start_ms // 1000
            for member in group["member_list"]:
                member.setdefault("join_time", start_ms // 1000)
        for group in self.internal_groups:
            group["room_create_time"] = start_ms // 1000
            for member in group["members"]:
                member.setdefault("jointime", start_ms // 1000)
        customers = []
        for customer in self.customers:
            customer = {k: v for k, v in customer.items() if k != "refuses"}
            for follow in customer["follow_user"]:
                follow["createtime"] = follow["createtime"] or start_ms // 1000
            customers.append(customer)
        departments = []
        for department in self.departments:
            department = {k: v for k, v in department.items() if k != "kind"}
            staff = [u["userid"] for u in self.users[:-1] if department["id"] in u["department"]]
            department["department_leader"] = staff[:1]  # 部门负责人
            departments.append(department)
        return {
            "corp": {"corpid": self.corpid, "corp_name": phrases.CORP_NAME},
            "departments": departments,
            "users": self.users,
            "permit_user_list": self.permit,
            "external_contacts": customers,
            "deleted_follow_user": self.deleted_follow_user,
            "external_groups": self.external_groups,
            "internal_groups": self.internal_groups,
            "agree": self.agree,
        }


class _Writer:
    """Makes message bodies and media files, and writes the lines."""

    def __init__(self, rng, out_dir, media_scale, handle, key_versions, total, start, end):
        self.rng = rng
        self.media_dir = os.path.join(out_dir, "media")
        os.makedirs(self.media_dir, exist_ok=True)
        self.media_scale = media_scale
        self.media_budget = int(300_000_000 * max(media_scale, 0.0001))
        self.media_bytes = 0
        self.media_files = {}  # msgtype → [(sdkfileid, size, md5)] for re-sending
        self.handle = handle
        self.key_versions = list(key_versions)
        self.total = total
        self.start, self.end = start, end
        self.count = 0
        self.per_type = {}
        self.last_own = {}  # (chat, sender) → msgid of the last text, for recalls
        self.userids = []

    def msgid(self, moment):
        digits = "".join(str(self.rng.randrange(10)) for _ in range(19))
        suffix = "_external" if self.rng.random() < 0.05 else ""
        return f"{digits}_{_ms(moment) // 1000}{suffix}"

    def amr(self, size):
        """A playable AMR-NB file of about ``size`` bytes: WeCom's voice format. Frames of
        mode 12.2 kbit/s (a TOC byte and 31 bytes, 20 ms each) whose bits are random: any
        decoder plays them, as noise."""
        frames = max(1, (size - len(AMR_MAGIC)) // 32)
        return AMR_MAGIC + b"".join(b"\x3c" + self.rng.randbytes(31) for _ in range(frames))

    def png(self, size):
        """A viewable PNG picture of about ``size`` raw bytes: colour bands that shade from
        top to bottom, as a photo's thumbnail would."""
        side = max(8, int((size / 3) ** 0.5))
        width, height = (side * 4 // 3, side) if self.rng.random() < 0.6 else (side, side * 4 // 3)
        bands = [tuple(self.rng.randrange(40, 256) for _ in range(3)) for _ in range(6)]
        band_width = -(-width // len(bands))
        rows = []
        for y in range(height):
            shade = 0.55 + 0.45 * (1 - y / height)
            row = b"".join(bytes(int(c * shade) for c in colour) * band_width for colour in bands)[
                : width * 3
            ]
            rows.append(b"\x00" + row)

        def chunk(kind, data):
            return (
                struct.pack(">I", len(data))
                + kind
                + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
            )

        header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
        return (
            PNG_MAGIC
            + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"".join(rows), 6))
            + chunk(b"IEND", b"")
        )

    def media(self, msgtype):
        (low, high), magic = MEDIA[msgtype]
        known = self.media_files.setdefault(msgtype, [])
        if known and (self.rng.random() < 0.05 or self.media_bytes > self.media_budget):
            return self.rng.choice(known)  # forwarded again
        size = max(64, int(self.rng.uniform(low, high) * self.media_scale))
        if magic == AMR_MAGIC:
            data = self.amr(size)
        elif magic == PNG_MAGIC:
            data = self.png(size)
        else:
            body = bytearray(magic)
            body += self.rng.randbytes(size - len(magic))
            for offset in range(len(magic), size, 997):  # binary data has NULs
                body[offset] = 0
            data = bytes(body[:size])
        sdkfileid = "Cta" + "".join(
            self.rng.choice(_B64) for _ in range(self.rng.randrange(80, 150))
        )
        with open(os.path.join(self.media_dir, sdkfileid), "wb") as target:
            target.write(data)
        md5 = hashlib.md5(data).hexdigest() if self.rng.random() > 0.03 else ""
        known.append((sdkfileid, len(data), md5))
        self.media_bytes += len(data)
        return sdkfileid, len(data), md5

    def write(self, message, moment):
        line = json.dumps(message, ensure_ascii=False, separators=(",", ":"))
        if len(self.key_versions) > 1:
            span = (self.end - self.start).total_seconds() or 1
            share = (moment - self.start).total_seconds() / span
            version = self.key_versions[
                min(len(self.key_versions) - 1, int(share * len(self.key_versions)))
            ]
            line = f"{version}\t{line}"
        self.handle.write(line + "\n")
        self.count += 1
        msgtype = message.get("msgtype", "switch")
        self.per_type[msgtype] = self.per_type.get(msgtype, 0) + 1

    def scene(self, base, scene):
        """``base`` (a message's common keys) made into one of SCENES."""
        if scene.startswith("line"):
            line = phrases.CONTACT_LINES[int(scene[4:])]
            return {**base, "msgtype": "text", "text": {"content": line}}
        if scene == "redpacket":
            body = {"type": 1, "wish": "感谢支持，一点心意", "totalcnt": 1, "totalamount": 20000}
            return {**base, "msgtype": "redpacket", "redpacket": body}
        if scene == "card":
            body = {"corpname": phrases.CORP_NAME, "userid": self.userids[0]}
            return {**base, "msgtype": "card", "card": body}
        sdkfileid, size, md5 = self.media("file")
        body = {
            "filename": "客户名单.zip",
            "fileext": "zip",
            "sdkfileid": sdkfileid,
            "filesize": size,
            "md5sum": md5,
        }
        return {**base, "msgtype": "file", "file": body}

    def body(self, msgtype, chat_name):
        """(extra top-level keys, body key, body) of a message of this type."""
        rng = self.rng
        if msgtype in MEDIA:
            sdkfileid, size, md5 = self.media(msgtype)
            if msgtype == "image":
                return {}, "image", {"sdkfileid": sdkfileid, "md5sum": md5, "filesize": size}
            if msgtype == "voice":
                return (
                    {},
                    "voice",
                    {
                        "sdkfileid": sdkfileid,
                        "voice_size": size,
                        "play_length": max(1, size // 1600),
                        "md5sum": md5,
                    },
                )
            if msgtype == "video":
                return (
                    {},
                    "video",
                    {
                        "sdkfileid": sdkfileid,
                        "filesize": size,
                        "play_length": max(1, size // 200_000),
                        "md5sum": md5,
                    },
                )
            if msgtype == "file":
                name = rng.choice(phrases.FILE_NAMES)
                return (
                    {},
                    "file",
                    {
                        "filename": name,
                        "fileext": name.rsplit(".", 1)[-1],
                        "sdkfileid": sdkfileid,
                        "filesize": size,
                        "md5sum": md5,
                    },
                )
            if msgtype == "emotion":
                return (
                    {},
                    "emotion",
                    {
                        "type": 1,
                        "width": 240,
                        "height": 240,
                        "imagesize": size,
                        "sdkfileid": sdkfileid,
                        "md5sum": md5,
                    },
                )
            if msgtype == "meeting_voice_call":
                return (
                    {"voiceid": f"voice{rng.randrange(10**8)}"},
                    "meeting_voice_call",
                    {
                        "endtime": 0,
                        "sdkfileid": sdkfileid,
                        "demofiledata": [],
                        "sharescreendata": [],
                    },
                )
            return (
                {"voipid": f"voip{rng.randrange(10**8)}"},
                "voip_doc_share",
                {
                    "filename": rng.choice(phrases.FILE_NAMES),
                    "md5sum": md5,
                    "filesize": size,
                    "sdkfileid": sdkfileid,
                },
            )
        if msgtype == "card":
            return {}, "card", {"corpname": phrases.CORP_NAME, "userid": rng.choice(self.userids)}
        if msgtype == "location":
            place = rng.choice(phrases.PLACES)
            return (
                {},
                "location",
                {
                    "longitude": place[2],
                    "latitude": place[3],
                    "address": place[1],
                    "title": place[0],
                    "zoom": 15,
                },
            )
        if msgtype == "link":
            title, description = rng.choice(phrases.LINKS)
            return (
                {},
                "link",
                {
                    "title": title,
                    "description": description,
                    "link_url": "https://mp.weixin.qq.com/s/" + rng.randbytes(6).hex(),
                    "image_url": "",
                },
            )
        if msgtype == "weapp":
            title = rng.choice(phrases.WEAPPS)
            return (
                {},
                "weapp",
                {
                    "title": title,
                    "description": "点击查看详情",
                    "username": "gh_" + rng.randbytes(6).hex(),
                    "displayname": title[:6],
                },
            )
        if msgtype == "chatrecord":
            items = [
                {
                    "type": "ChatRecordText",
                    "msgtime": 0,
                    "from_chatroom": False,
                    "content": json.dumps(
                        {"content": rng.choice(phrases.SERVICE_LINES)}, ensure_ascii=False
                    ),
                }
                for _ in range(3)
            ]
            return {}, "chatrecord", {"title": f"{chat_name}的聊天记录", "item": items}
        if msgtype == "mixed":  # a line and a picture, as a message pasted in WeCom is
            sdkfileid, size, md5 = self.media("image")
            return (
                {},
                "mixed",
                {
                    "item": [
                        {
                            "type": "text",
                            "content": json.dumps(
                                {"content": rng.choice(phrases.SALES_LINES)}, ensure_ascii=False
                            ),
                        },
                        {
                            "type": "image",
                            "content": json.dumps(
                                {"md5sum": md5, "filesize": size, "sdkfileid": sdkfileid}
                            ),
                        },
                    ]
                },
            )
        if msgtype == "markdown":
            return {}, "info", {"content": "**" + rng.choice(phrases.NOTICES) + "**"}
        if msgtype == "news":
            return (
                {},
                "info",
                {
                    "item": [
                        {
                            "title": rng.choice(phrases.NOTICES),
                            "description": "详情请点击查看",
                            "url": "https://work.weixin.qq.com",
                            "picurl": "",
                        }
                    ]
                },
            )
        if msgtype == "docmsg":
            return (
                {},
                "doc",
                {
                    "title": rng.choice(phrases.DOCS),
                    "link_url": "https://doc.weixin.qq.com/" + rng.randbytes(6).hex(),
                    "doc_creator": "admin",
                },
            )
        if msgtype == "todo":
            return {}, "todo", {"title": "待办", "content": rng.choice(phrases.TODOS)}
        if msgtype == "calendar":
            return (
                {},
                "calendar",
                {
                    "title": rng.choice(phrases.MEETINGS),
                    "creatorname": "",
                    "attendeename": [],
                    "starttime": 0,
                    "endtime": 0,
                    "place": rng.choice(phrases.PLACES)[0],
                    "remarks": "",
                },
            )
        if msgtype == "meeting":
            return (
                {},
                "meeting",
                {
                    "topic": rng.choice(phrases.MEETINGS),
                    "starttime": 0,
                    "endtime": 0,
                    "address": "3号会议室",
                    "remarks": "",
                    "meetingtype": 102,
                    "meetingid": rng.randrange(10**9),
                    "status": 1,
                },
            )
        if msgtype in ("redpacket", "external_redpacket"):
            return (
                {},
                "redpacket",
                {
                    "type": 1,
                    "wish": rng.choice(phrases.WISHES),
                    "totalcnt": 1,
                    "totalamount": rng.choice((88, 666, 888)),
                },
            )
        if msgtype == "sphfeed":
            return (
                {},
                "sphfeed",
                {
                    "feed_type": rng.choice((2, 4, 9)),
                    "sph_name": phrases.CORP_NAME[:4],
                    "feed_desc": "新品发布",
                },
            )
        if msgtype == "voiptext":
            return {}, "info", {"callduration": rng.randrange(10, 900), "invitetype": 1}
        if msgtype == "qydiskfile":
            return {}, "info", {"filename": rng.choice(phrases.FILE_NAMES)}
        if msgtype == "vote":
            return (
                {
                    "votetitle": rng.choice(phrases.VOTES),
                    "voteitem": ["同意", "不同意"],
                    "votetype": rng.choice((101, 102)),
                    "voteid": str(rng.randrange(10**9)),
                },
                None,
                None,
            )
        if msgtype == "collect":
            return (
                {},
                "collect",
                {
                    "room_name": chat_name,
                    "creator": "",
                    "create_time": "",
                    "title": "活动报名",
                    "details": [
                        {"id": 1, "ques": "姓名", "type": "Text"},
                        {"id": 2, "ques": "手机号", "type": "Number"},
                    ],
                },
            )
        raise ValueError(msgtype)


SESSION_TURN_S = 120  # mean seconds between two messages of one session
# What the demo's sensitive-behaviour and detector rules catch, each at least once from
# 1,000 messages on: an employee's turns in customer chats carry them, one every SCENE_GAP
# messages — a red packet of ¥200, a contact card, a .zip file, then each CONTACT_LINES line.
SCENES = ("redpacket", "card", "file", *(f"line{n}" for n in range(len(phrases.CONTACT_LINES))))
SCENE_GAP = 89


def generate(
    out_dir,
    *,
    messages=2000,
    seed=1,
    days=30,
    end=None,
    media_scale=1.0,
    key_versions=(1,),
    corpid="wwdemo0000000001",
):
    """Write a synthetic company and ``messages`` archived messages to ``out_dir``."""
    rng = random.Random(seed)
    os.makedirs(out_dir, exist_ok=True)
    end = end or datetime.now(UTC).replace(second=0, microsecond=0)
    start = end - timedelta(days=days)
    company = _Company(rng, messages, corpid)
    chats = {}
    for chat in company.conversations():
        chats.setdefault(chat[0], []).append(chat)
    kinds, kind_weights = ("external", "internal", "group"), (0.6, 0.2, 0.2)
    names = {u["userid"]: u["name"] for u in company.users}
    members = set(names)
    consented = set()
    scenes, scene_at = list(SCENES), 40
    still_messaged = False  # the first customer who refuses archiving is messaged all the same
    types, weights = zip(*TYPE_WEIGHTS.items(), strict=True)
    unseen = [t for t in types if t not in ("agree", "disagree")]
    path = os.path.join(out_dir, "messages.jsonl")
    with open(path, "w", encoding="utf-8") as handle:
        writer = _Writer(rng, out_dir, media_scale, handle, key_versions, messages, start, end)
        writer.userids = sorted(members)
        # Sessions follow each other in time, from 8:00 to 22:00 (Shanghai), their messages
        # up to 2 minutes apart: before each session the time left until ``end`` is shared
        # out again between the messages and sessions still to come, so the history ends by
        # ``end``, not after it, at any size.
        script_length = statistics.mean(len(s) for ds in phrases.DIALOGS.values() for s in ds)
        moment = start
        while writer.count < messages:
            left = messages - writer.count
            active = max(0.0, (end - moment).total_seconds()) * 14 / 24 * 0.9
            spacing = max(2.0, min(SESSION_TURN_S, active / 2 / left))
            gap = max(1.0, (active - left * spacing) / max(1.0, left / script_length))
            moment = min(end, moment + timedelta(seconds=rng.expovariate(1 / gap)))
            local_hour = (moment + SHANGHAI).hour
            night = timedelta(hours=(8 - local_hour) % 24 or 10)
            if (local_hour < 8 or local_hour >= 22) and moment + night < end:  # quiet nights
                moment += night
            kind, parties, roomid, group = rng.choice(chats[rng.choices(kinds, kind_weights)[0]])
            chat_name = group.get("name") or group.get("roomname", "") if group else ""
            script = rng.choice(phrases.DIALOGS[kind])
            if kind == "external" and parties[1] not in consented:
                consented.add(parties[1])
                refuses = group["refuses"]
                msgtype = "disagree" if refuses else "agree"
                agreement = {"userid": parties[1], f"{msgtype}_time": _ms(moment)}
                writer.write(
                    {
                        "msgid": writer.msgid(moment),
                        "action": "send",
                        "from": parties[1],
                        "tolist": [parties[0]],
                        "roomid": "",
                        "msgtime": _ms(moment),
                        "msgtype": msgtype,
                        msgtype: agreement,
                    },
                    moment,
                )
                company.agree.append(
                    {
                        "userid": parties[0],
                        "exteranalopenid": parties[1],
                        "agree_status": "Disagree" if refuses else "Agree",
                        "status_change_time": _ms(moment) // 1000,
                    }
                )
                for follow in group["follow_user"]:
                    follow["createtime"] = follow["createtime"] or _ms(moment) // 1000 - 60
                if refuses and still_messaged:
                    continue  # no chat without consent…
                still_messaged = still_messaged or refuses  # …but once: the session goes on
            for turn, text in enumerate(script):
                if writer.count >= messages:
                    break
                moment = min(end, moment + timedelta(seconds=rng.uniform(1, 2 * spacing - 1)))
                sender = parties[turn % 2] if kind != "group" else rng.choice(parties)
                if sender.startswith("wb"):
                    sender = parties[0]
                tolist = (
                    [p for p in parties if p != sender]
                    if kind == "group"
                    else [parties[(turn + 1) % 2]]
                )
                msgtype = "text"
                if unseen and writer.count % 17 == 3:
                    candidates = [t for t in unseen if kind == "group" or t not in GROUP_ONLY]
                    msgtype = candidates[0] if candidates else "text"
                elif rng.random() < 0.3:
                    msgtype = rng.choices(types, weights)[0]
                    if msgtype in GROUP_ONLY and kind != "group":
                        msgtype = "text"
                base = {
                    "msgid": writer.msgid(moment),
                    "action": "send",
                    "from": sender,
                    "tolist": tolist,
                    "roomid": roomid,
                    "msgtime": _ms(moment),
                }
                if kind == "external" and turn % 2 == 0 and scenes and writer.count >= scene_at:
                    scene, scene_at = scenes.pop(0), writer.count + SCENE_GAP
                    made = writer.scene(base, scene)
                    writer.write(made, moment)
                    unseen = [t for t in unseen if t != made["msgtype"]]
                    continue
                if msgtype == "switch":
                    if sender in members:
                        writer.write(
                            {
                                "msgid": base["msgid"],
                                "action": "switch",
                                "time": base["msgtime"],
                                "user": sender,
                            },
                            moment,
                        )
                        unseen = [t for t in unseen if t != "switch"]
                    continue
                if msgtype == "revoke":
                    target = writer.last_own.get((roomid or tuple(parties), sender))
                    if not target:
                        continue
                    base.update(action="recall", msgtype="revoke", revoke={"pre_msgid": target})
                    writer.write(base, moment)
                    unseen = [t for t in unseen if t != "revoke"]
                    continue
                if msgtype == "text":
                    content = text
                    if rng.random() < 0.02:
                        content = rng.choice(phrases.RISKY_LINES)
                    base.update(msgtype="text", text={"content": content})
                else:
                    extra, key, body = writer.body(msgtype, chat_name or names.get(sender, ""))
                    base["msgtype"] = msgtype
                    base.update(extra)
                    if key:
                        base[key] = body
                writer.write(base, moment)
                unseen = [t for t in unseen if t != msgtype]
                if msgtype == "text":
                    writer.last_own[(roomid or tuple(parties), sender)] = base["msgid"]
                    if sender in members and rng.random() < 0.01:
                        moment += timedelta(seconds=rng.randrange(3, 100))
                        writer.write(
                            {
                                "msgid": writer.msgid(moment),
                                "action": "recall",
                                "from": sender,
                                "tolist": tolist,
                                "roomid": roomid,
                                "msgtime": _ms(moment),
                                "msgtype": "revoke",
                                "revoke": {"pre_msgid": base["msgid"]},
                            },
                            moment,
                        )
                        unseen = [t for t in unseen if t != "revoke"]
    # A follower who deleted a customer: kept as a former follower.
    followed = [c for c in company.customers if len(c["follow_user"]) > 1]
    if followed:
        customer = followed[0]
        company.deleted_follow_user.append(
            {
                "external_userid": customer["external_contact"]["external_userid"],
                "userid": customer["follow_user"][-1]["userid"],
                "del_time": _ms(end) // 1000,
            }
        )
    with open(os.path.join(out_dir, "company.json"), "w", encoding="utf-8") as target:
        json.dump(company.as_json(_ms(start)), target, ensure_ascii=False, indent=1)
    summary = {
        "messages": writer.count,
        "per_type": dict(sorted(writer.per_type.items())),
        "members": len(company.users),
        "customers": len(company.customers),
        "groups": len(company.external_groups) + len(company.internal_groups),
        "media_files": sum(len(v) for v in writer.media_files.values()),
        "media_bytes": writer.media_bytes,
    }
    with open(os.path.join(out_dir, "summary.json"), "w", encoding="utf-8") as target:
        json.dump(summary, target, ensure_ascii=False, indent=1)
    return summary
