"""One archived message of every type of reference section 2 (shared by the tests)."""

import json

T0 = 1613263768356  # 2021-02-14 00:49:28 UTC
MEMBER, OTHER_MEMBER, CUSTOMER = "wangmingle", "wangyin", "wmJ4aXhCQAAAZ2xvYmFs"
ROOM = "wrjc7bDwYAAAhDnGiMABx7dtPQe2uKJA"


def _msg(n, msgtype, body_key=None, body=None, **extra):
    message = {
        "msgid": f"{n:04d}_{msgtype}_1613263768",
        "action": "send",
        "from": MEMBER,
        "tolist": [CUSTOMER],
        "roomid": "",
        "msgtime": T0 + n * 60_000,
        "msgtype": msgtype,
    }
    if body is not None:
        message[body_key or msgtype] = body
    message.update(extra)
    return message


def item(kind, content):
    return {"type": kind, "content": json.dumps(content, ensure_ascii=False)}


SAMPLES = [
    _msg(1, "text", body={"content": "你好，请问有什么可以帮您"}),
    _msg(2, "image", body={"sdkfileid": "img01", "md5sum": "", "filesize": 10}),
    _msg(3, "voice", body={"sdkfileid": "voc01", "voice_size": 10, "play_length": 3, "md5sum": ""}),
    _msg(4, "video", body={"sdkfileid": "vid01", "filesize": 10, "play_length": 9, "md5sum": ""}),
    _msg(5, "card", body={"corpname": "独秀馒头", "userid": "zhutiantian"}),
    _msg(
        6,
        "location",
        body={
            "longitude": 121.47,
            "latitude": 31.23,
            "address": "上海市黄浦区",
            "title": "人民广场",
            "zoom": 15,
        },
    ),
    _msg(
        7,
        "emotion",
        body={
            "type": 2,
            "width": 100,
            "height": 100,
            "imagesize": 10,
            "sdkfileid": "emo01",
            "md5sum": "",
        },
    ),
    _msg(
        8,
        "file",
        body={
            "filename": "报价单.xlsx",
            "fileext": "xlsx",
            "sdkfileid": "fil01",
            "filesize": 10,
            "md5sum": "",
        },
    ),
    _msg(
        9,
        "link",
        body={
            "title": "企业微信收款说明",
            "description": "如何查询收款",
            "link_url": "https://work.weixin.qq.com",
            "image_url": "",
        },
    ),
    _msg(
        10,
        "weapp",
        body={
            "title": "九果玩具乐园商城",
            "description": "新品上架",
            "username": "gh_1",
            "displayname": "九果商城",
        },
    ),
    _msg(
        11,
        "chatrecord",
        body={
            "title": "群聊的聊天记录",
            "item": [
                {
                    "type": "ChatRecordText",
                    "msgtime": T0,
                    "from_chatroom": False,
                    "content": json.dumps(
                        {"content": "这是转发的私下转账记录"}, ensure_ascii=False
                    ),
                },
                {
                    "type": "ChatRecordFile",
                    "msgtime": T0,
                    "from_chatroom": False,
                    "content": json.dumps({"filename": "合同.pdf"}, ensure_ascii=False),
                },
            ],
        },
    ),
    _msg(12, "todo", body={"title": "回访客户", "content": "周五前回访东业明财务"}),
    _msg(
        13,
        "vote",
        votetitle="团建去哪里",
        voteitem=["杭州", "苏州"],
        votetype=101,
        voteid="v1",
        roomid=ROOM,
        tolist=[OTHER_MEMBER],
    ),
    _msg(
        14,
        "collect",
        body={
            "room_name": "销售群",
            "creator": MEMBER,
            "create_time": "2021",
            "title": "年会报名",
            "details": [{"id": 1, "ques": "姓名", "type": "Text"}],
        },
        roomid=ROOM,
        tolist=[OTHER_MEMBER],
    ),
    _msg(
        15,
        "redpacket",
        body={"type": 1, "wish": "恭喜发财，大吉大利", "totalcnt": 1, "totalamount": 100},
    ),
    _msg(
        16,
        "external_redpacket",
        body_key="redpacket",
        body={"type": 1, "wish": "新年快乐", "totalcnt": 1, "totalamount": 888},
    ),
    _msg(
        17,
        "meeting",
        body={
            "topic": "季度复盘会",
            "starttime": 1613300000,
            "endtime": 1613303600,
            "address": "3号会议室",
            "remarks": "带电脑",
            "meetingtype": 102,
            "meetingid": 1,
            "status": 1,
        },
    ),
    _msg(
        18,
        "docmsg",
        body_key="doc",
        body={"title": "客户跟进表", "link_url": "https://doc", "doc_creator": MEMBER},
    ),
    _msg(19, "markdown", body_key="info", body={"content": "**加急**：今天发货"}),
    _msg(
        20,
        "news",
        body_key="info",
        body={
            "item": [
                {
                    "title": "春节放假通知",
                    "description": "2月11日至17日放假",
                    "url": "https://n",
                    "picurl": "",
                }
            ]
        },
    ),
    _msg(
        21,
        "calendar",
        body={
            "title": "拜访客户",
            "creatorname": "王明乐",
            "attendeename": ["王胤", "花英杰"],
            "starttime": 1613300000,
            "endtime": 1613303600,
            "place": "客户公司",
            "remarks": "带样品",
        },
    ),
    _msg(
        22,
        "mixed",
        body={
            "item": [
                item("text", {"content": "看下这个图"}),
                item("image", {"sdkfileid": "mix01", "md5sum": "", "filesize": 10}),
            ]
        },
    ),
    _msg(
        23,
        "meeting_voice_call",
        voiceid="voice01",
        body={
            "endtime": 1613300000,
            "sdkfileid": "mvc01",
            "demofiledata": [],
            "sharescreendata": [],
        },
    ),
    _msg(
        24,
        "voip_doc_share",
        voipid="voip01",
        body={"filename": "方案.pptx", "md5sum": "", "filesize": 10, "sdkfileid": "vds01"},
    ),
    _msg(25, "sphfeed", body={"feed_type": 4, "sph_name": "九果玩具", "feed_desc": "新品开箱"}),
    _msg(26, "voiptext", body_key="info", body={"callduration": 61, "invitetype": 1}),
    _msg(27, "qydiskfile", body_key="info", body={"filename": "产品手册.pdf"}),
    _msg(
        28,
        "agree",
        body={"userid": CUSTOMER, "agree_time": T0 + 28 * 60_000},
        **{"from": CUSTOMER, "tolist": [MEMBER]},
    ),
    _msg(
        29,
        "disagree",
        body={"userid": CUSTOMER, "disagree_time": T0 + 29 * 60_000},
        **{"from": CUSTOMER, "tolist": [MEMBER]},
    ),
    _msg(30, "revoke", body={"pre_msgid": "0001_text_1613263768"}, action="recall"),
    {
        "msgid": "0031_switch_1613263768",
        "action": "switch",
        "time": T0 + 31 * 60_000,
        "user": MEMBER,
    },
    _msg(32, "hologram", body={"content": "a type WeCom adds later"}),
]

# What render_text() must find in each (substrings), by msgtype.
EXPECTED_TEXT = {
    "hologram": ["a type WeCom adds later"],  # an unknown type: every text it carries
    "text": ["你好"],
    "card": ["独秀馒头"],
    "location": ["人民广场", "上海市黄浦区"],
    "file": ["报价单.xlsx"],
    "link": ["企业微信收款说明", "如何查询收款"],
    "weapp": ["九果玩具乐园商城", "九果商城"],
    "chatrecord": ["群聊的聊天记录", "私下转账", "合同.pdf"],
    "todo": ["回访客户", "东业明财务"],
    "vote": ["团建去哪里", "杭州", "苏州"],
    "collect": ["年会报名", "姓名"],
    "redpacket": ["恭喜发财"],
    "external_redpacket": ["新年快乐"],
    "meeting": ["季度复盘会", "3号会议室"],
    "docmsg": ["客户跟进表"],
    "markdown": ["加急"],
    "news": ["春节放假通知", "2月11日"],
    "calendar": ["拜访客户", "客户公司", "王胤"],
    "mixed": ["看下这个图"],
    "voip_doc_share": ["方案.pptx"],
    "sphfeed": ["九果玩具", "新品开箱"],
    "qydiskfile": ["产品手册.pdf"],
}
