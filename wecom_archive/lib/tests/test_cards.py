import json

import pytest

from wecom_archive.lib.cards import (
    KIND_OF,
    KINDS,
    TYPE_LABELS,
    card,
    duration,
    human_size,
    safe_url,
    snippet,
    yuan,
)
from wecom_archive.lib.normalize import KNOWN_TYPES

from .samples import CUSTOMER, EXPECTED_TEXT, MEMBER, SAMPLES, T0, item

HOSTILE = "<img src=x onerror=alert(1)>"
NAMES = {MEMBER: "王明乐", "zhutiantian": "朱甜甜"}

# msgtype → (kind, type label)
EXPECTED_KIND = {
    "text": ("text", "文本"),
    "image": ("image", "图片"),
    "voice": ("voice", "语音"),
    "video": ("video", "视频"),
    "card": ("card", "名片"),
    "location": ("location", "位置"),
    "emotion": ("emotion", "表情"),
    "file": ("file", "文件"),
    "link": ("link", "链接"),
    "weapp": ("weapp", "小程序"),
    "chatrecord": ("chatrecord", "会话记录"),
    "todo": ("todo", "待办"),
    "vote": ("vote", "投票"),
    "collect": ("collect", "填表"),
    "redpacket": ("redpacket", "红包"),
    "external_redpacket": ("redpacket", "互通红包"),
    "meeting": ("meeting", "会议邀请"),
    "docmsg": ("docmsg", "在线文档"),
    "markdown": ("markdown", "markdown"),
    "news": ("news", "图文"),
    "calendar": ("calendar", "日程"),
    "mixed": ("mixed", "混合消息"),
    "meeting_voice_call": ("meeting_voice_call", "音频存档"),
    "voip_doc_share": ("file", "共享文档"),
    "sphfeed": ("sphfeed", "视频号"),
    "voiptext": ("voip", "音视频通话"),
    "qydiskfile": ("qydiskfile", "微盘文件"),
    "agree": ("consent", "同意会话存档"),
    "disagree": ("consent", "不同意会话存档"),
    "revoke": ("revoke", "撤回"),
    "switch": ("switch", "切换企业"),
    "hologram": ("unknown", "未知类型"),
}

# msgtype → [label, value] pairs its card's fields must hold
EXPECTED_FIELDS = {
    "image": [["文件大小", "10 B"]],
    "voice": [["时长", "00:03"], ["文件大小", "10 B"]],
    "video": [["时长", "00:09"]],
    "file": [["文件大小", "10 B"], ["文件类型", "xlsx"]],
    "card": [["企业", "独秀馒头"], ["成员", "朱甜甜"]],
    "location": [["地址", "上海市黄浦区"], ["经纬度", "31.23, 121.47"]],
    "emotion": [["尺寸", "100×100"]],
    "weapp": [["小程序", "九果商城"]],
    "redpacket": [["金额", "¥1.00"], ["红包类型", "普通红包"], ["个数", "1"]],
    "external_redpacket": [["金额", "¥8.88"]],
    "meeting": [["开始时间", 1613300000], ["结束时间", 1613303600], ["地址", "3号会议室"]],
    "calendar": [["参与人", "王胤、花英杰"], ["地点", "客户公司"], ["开始时间", 1613300000]],
    "vote": [["选项", "杭州、苏州"], ["投票类型", "发起投票"]],
    "collect": [["群名称", "销售群"], ["创建人", "王明乐"], ["表项", "姓名"]],
    "docmsg": [["创建人", "王明乐"]],
    "voiptext": [["时长", "01:01"], ["通话类型", "单人视频通话"]],
    "sphfeed": [["视频号", "九果玩具"], ["内容类型", "视频"]],
    "meeting_voice_call": [["结束时间", 1613300000]],
    "agree": [["时间", T0 + 28 * 60_000]],
    "revoke": [["被撤回的消息", "0001_text_1613263768"]],
}

EXPECTED_MEDIA = {
    "image": ("img01", "image"),
    "voice": ("voc01", "voice"),
    "video": ("vid01", "video"),
    "file": ("fil01", "file"),
    "emotion": ("emo01", "emotion"),
    "meeting_voice_call": ("mvc01", "voice"),
    "voip_doc_share": ("vds01", "file"),
}


def _type(sample):
    return sample.get("msgtype", "switch")


def _all_text(c):
    """Everything a card shows as text: title, text, field values and its children's."""
    parts = [c["title"], c["text"], *(str(value) for _label, value in c["fields"])]
    parts += [_all_text(child) for child in c["children"]]
    return "\n".join(parts)


def _walk(value):
    if isinstance(value, dict):
        for item in value.values():
            yield from _walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item)
    else:
        yield value


def test_kinds_and_labels_cover_every_known_type():
    assert {_type(s) for s in SAMPLES} >= KNOWN_TYPES
    assert set(EXPECTED_KIND) == {_type(s) for s in SAMPLES}
    assert {KIND_OF.get(t, t) for t in KNOWN_TYPES} | {"unknown", "failed"} == set(KINDS)
    assert set(TYPE_LABELS) == KNOWN_TYPES


@pytest.mark.parametrize("sample", SAMPLES, ids=_type)
def test_each_sample(sample):
    msgtype = _type(sample)
    c = card(sample, names=NAMES, media={"img01": {"url": "/media/img01", "state": "done"}})
    json.loads(json.dumps(c))  # JSON-serialisable
    kind, label = EXPECTED_KIND[msgtype]
    assert (c["kind"], c["msgtype"], c["type_label"]) == (kind, msgtype, label)
    assert c["msgid"] == sample["msgid"]
    assert c["failed"] is False and c["recalled"] is False
    assert c["unknown"] is (msgtype == "hologram")
    assert c["system"] is (msgtype in ("agree", "disagree", "revoke", "switch"))
    shown = _all_text(c)
    for words in EXPECTED_TEXT.get(msgtype, []):
        assert words in shown
    for pair in EXPECTED_FIELDS.get(msgtype, []):
        assert pair in c["fields"]
    if msgtype in EXPECTED_MEDIA:
        sdkfileid, media_kind = EXPECTED_MEDIA[msgtype]
        assert c["media"]["sdkfileid"] == sdkfileid
        assert c["media"]["kind"] == media_kind
        assert c["media"]["size"] == (0 if msgtype == "meeting_voice_call" else 10)
    else:
        assert c["media"] is None
    assert c["people"][0]["id"] == (sample.get("user") or sample["from"])
    assert snippet(c)
    assert "\n" not in snippet(c)


def test_media_merges_the_callers_dict():
    c = card(SAMPLES[1], media={"img01": {"url": "/media/img01", "mimetype": "image/jpeg"}})
    assert c["media"] == {
        "sdkfileid": "img01",
        "filename": "0002_image_1613263768.jpg",
        "size": 10,
        "size_text": "10 B",
        "md5": "",
        "kind": "image",
        "url": "/media/img01",
        "mimetype": "image/jpeg",
    }
    assert card(SAMPLES[1])["media"].get("url") is None


def test_system_texts_use_names():
    by_type = {_type(s): s for s in SAMPLES}
    assert card(by_type["switch"], names=NAMES)["text"] == "王明乐 切换了企业"
    assert card(by_type["revoke"], names=NAMES)["text"] == "王明乐 撤回了一条消息"
    agree = card(by_type["agree"], names={CUSTOMER: "东业明"})
    assert agree["text"] == "东业明 同意会话存档"
    assert [p["id"] for p in agree["people"]] == [CUSTOMER, MEMBER]
    assert snippet(agree) == "东业明 同意会话存档"


def test_names_resolved_and_unsynced_flagged():
    sample = next(s for s in SAMPLES if _type(s) == "card")
    c = card(sample, names={MEMBER: "王明乐"})
    assert c["people"] == [
        {"id": MEMBER, "name": "王明乐", "unsynced": False},
        {"id": "zhutiantian", "name": "zhutiantian", "unsynced": True},
        {"id": CUSTOMER, "name": CUSTOMER, "unsynced": True},
    ]
    assert ["成员", "zhutiantian"] in c["fields"]
    assert card(sample)["people"][0] == {"id": MEMBER, "name": MEMBER, "unsynced": True}


def test_chatrecord_nested_items_and_media():
    inner = {
        "title": "内层记录",
        "item": [
            {"type": "ChatRecordText", "content": json.dumps({"content": "里面的话"})},
            {
                "type": "ChatRecordImage",
                "content": json.dumps({"sdkfileid": "in01", "filesize": 2048, "md5sum": "AB"}),
            },
        ],
    }
    body = {
        "msgid": "cr1",
        "action": "send",
        "from": MEMBER,
        "tolist": [CUSTOMER],
        "msgtime": T0,
        "msgtype": "chatrecord",
        "chatrecord": {
            "title": "外层记录",
            "item": [
                {"type": "ChatRecordText", "msgtime": T0, "content": '{"content":"第一句"}'},
                {"type": "chatrecord", "msgtime": T0, "content": json.dumps(inner)},
                {
                    "type": "ChatRecordLink",
                    "content": json.dumps({"title": "链接", "link_url": "https://a.cn/x"}),
                },
                {"type": "ChatRecordSomethingNew", "content": '{"foo":"新东西"}'},
            ],
        },
    }
    c = card(body, media={"in01": {"url": "/m/in01"}})
    assert c["kind"] == "chatrecord" and c["title"] == "外层记录"
    first, nested, link, new = c["children"]
    assert (first["kind"], first["text"], first["time"]) == ("text", "第一句", T0)
    assert nested["kind"] == "chatrecord" and nested["title"] == "内层记录"
    text, image = nested["children"]
    assert text["text"] == "里面的话"
    assert image["kind"] == "image"
    assert image["media"]["sdkfileid"] == "in01"
    assert image["media"]["md5"] == "ab"
    assert image["media"]["size_text"] == "2.0 KB"
    assert image["media"]["url"] == "/m/in01"
    assert link["kind"] == "link" and link["link"]["url"] == "https://a.cn/x"
    assert new["unknown"] and "新东西" in new["raw"] and "新东西" in new["text"]
    assert "第一句" in c["text"] and "内层记录" in c["text"]
    assert snippet(c) == "[会话记录] 外层记录（4条）"


def test_chatrecord_depth_is_bounded():
    content = {"content": "最深处"}
    for _ in range(12):  # each level escapes the one inside: its size doubles
        content = {"title": "层", "item": [{"type": "chatrecord", "content": json.dumps(content)}]}
    body = {"msgtype": "chatrecord", "from": MEMBER, "chatrecord": content}
    c = card(body)
    depth = 0
    while c["children"]:
        (c,) = c["children"]
        depth += 1
    assert depth == 9  # 8 levels expanded, the 9th summarised
    assert c["unknown"] is True and c["text"] == "…" and c["raw"]


def test_mixed_image_part_is_a_child_with_media():
    sample = next(s for s in SAMPLES if _type(s) == "mixed")
    c = card(sample, media={"mix01": {"url": "/m/mix01", "state": "done"}})
    text, image = c["children"]
    assert (text["kind"], text["text"]) == ("text", "看下这个图")
    assert image["kind"] == "image"
    assert image["media"]["sdkfileid"] == "mix01"
    assert image["media"]["kind"] == "image"
    assert image["media"]["url"] == "/m/mix01" and image["media"]["state"] == "done"
    assert c["media"] is None
    assert snippet(c) == "看下这个图 [图片]"


def test_red_packet_amounts():
    assert yuan(1250) == "¥12.50"
    assert yuan(5) == "¥0.05"
    assert yuan(100) == "¥1.00"
    sample = dict(
        SAMPLES[14], redpacket={"type": 2, "wish": "发", "totalcnt": 3, "totalamount": 1250}
    )
    c = card(sample)
    assert ["金额", "¥12.50"] in c["fields"] and ["红包类型", "拼手气群红包"] in c["fields"]
    assert snippet(c) == "[红包] 发 ¥12.50"


def test_sizes_and_durations():
    assert human_size(10) == "10 B"
    assert human_size(1536) == "1.5 KB"
    assert human_size(5 * 1024 * 1024) == "5.0 MB"
    assert human_size(0) == "" and human_size(None) == ""
    assert duration(3) == "00:03"
    assert duration(61) == "01:01"
    assert duration(600) == "10:00"
    assert duration(3725) == "1:02:05"
    assert duration(None) == ""


def test_unknown_type_keeps_its_raw_json():
    sample = next(s for s in SAMPLES if _type(s) == "hologram")
    c = card(sample)
    assert c["kind"] == "unknown" and c["unknown"] is True
    assert json.loads(c["raw"]) == sample
    assert c["text"] == "a type WeCom adds later"
    assert snippet(c) == "[未知类型 hologram] a type WeCom adds later"


@pytest.mark.parametrize(
    ("state", "error", "reason", "label"),
    [
        ("no_key", "no private key for key version 3", "缺少密钥版本 3 的私钥", "缺少密钥"),
        ("decrypt_error", "SDK error 10002", "解密失败：SDK error 10002", "解密失败"),
        ("parse_error", "malformed JSON: x", "消息格式错误：malformed JSON: x", "格式错误"),
    ],
)
def test_failed_states(state, error, reason, label):
    c = card(None, msgid="m1", state=state, error=error)
    assert c["kind"] == "failed" and c["failed"] is True
    assert (c["reason"], c["type_label"], c["msgid"]) == (reason, label, "m1")
    assert c["media"] is None and c["children"] == [] and c["people"] == []
    assert snippet(c) == f"[{label}] {reason}"
    json.dumps(c)


def test_a_body_that_is_not_an_object_fails():
    assert card("[1, 2]")["reason"].startswith("消息格式错误")
    assert card("{not json")["failed"] is True
    assert card('{"msgtype": "text", "text": {"content": "hi"}}')["text"] == "hi"
    assert card(None)["failed"] is True


def test_hostile_text_file_name_and_link_stay_plain():
    text = card({"msgtype": "text", "from": MEMBER, "text": {"content": HOSTILE}})
    assert text["text"] == HOSTILE
    assert snippet(text) == HOSTILE
    file = card(
        {
            "msgtype": "file",
            "from": MEMBER,
            "file": {"filename": f"{HOSTILE}\u202egpj.exe", "sdkfileid": "f1", "filesize": 1},
        }
    )
    assert file["title"] == f"{HOSTILE}gpj.exe"
    assert file["media"]["filename"] == f"{HOSTILE}gpj.exe"
    link = card(
        {
            "msgtype": "link",
            "from": MEMBER,
            "link": {"title": HOSTILE, "description": HOSTILE, "link_url": "javascript:alert(1)"},
        }
    )
    assert link["title"] == HOSTILE and link["link"] is None
    ok = card({"msgtype": "link", "link": {"title": HOSTILE, "link_url": "https://x.cn/?a=<b>"}})
    assert ok["link"] == {"url": "https://x.cn/?a=<b>", "title": HOSTILE, "description": ""}
    for c in (text, file, link, ok):
        for value in _walk(c):
            if isinstance(value, str):
                assert "javascript:" not in value.lower()
                assert "\u202e" not in value


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        " JavaScript:alert(1)",
        "javascript://example.com/%0Aalert(1)",
        "java\tscript:alert(1)",
        "data:text/html;base64,PHNjcmlwdD4=",
        "vbscript:x",
        "//evil.example/x",
        "/relative",
        "https://",
        "https://a b.cn",
        "",
        None,
        42,
    ],
)
def test_unsafe_urls_are_dropped(url):
    assert safe_url(url) == ""
    c = card({"msgtype": "docmsg", "doc": {"title": "文档", "link_url": url}})
    assert c["link"] is None and c["title"] == "文档"


def test_safe_urls_are_kept():
    assert safe_url("https://work.weixin.qq.com") == "https://work.weixin.qq.com"
    assert safe_url(" HTTP://a.cn/x?y=1 ") == "HTTP://a.cn/x?y=1"


def test_news_link_only_http():
    sample = next(s for s in SAMPLES if _type(s) == "news")
    assert card(sample)["link"]["url"] == "https://n"
    bad = json.loads(json.dumps(sample))
    bad["info"]["item"][0]["url"] = "data:text/html,<script>alert(1)</script>"
    assert card(bad)["link"] is None


def test_snippets():
    by_type = {_type(s): s for s in SAMPLES}
    assert snippet(card(by_type["image"])) == "[图片]"
    assert snippet(card(by_type["file"])) == "[文件] 报价单.xlsx"
    assert snippet(card(by_type["voice"])) == "[语音] 00:03"
    assert snippet(card(by_type["text"])) == "你好，请问有什么可以帮您"
    long = card({"msgtype": "text", "text": {"content": "长" * 200}})
    assert snippet(long) == "长" * 79 + "…"
    assert len(snippet(long, limit=10)) == 10
    assert snippet(long, limit=0) == "长" * 200
    spaced = card({"msgtype": "text", "text": {"content": "第一行\n\n  第二行\t尾"}})
    assert snippet(spaced) == "第一行 第二行 尾"
    exact = card({"msgtype": "text", "text": {"content": "字" * 80}})
    assert snippet(exact) == "字" * 80
    recalled = card(by_type["text"], recalled=True)
    assert recalled["recalled"] is True
    assert snippet(recalled) == "[已撤回] 你好，请问有什么可以帮您"


def test_mixed_item_content_can_be_a_plain_string():
    body = {
        "msgtype": "mixed",
        "mixed": {"item": [{"type": "text", "content": "not json"}, item("emotion", {"x": 1})]},
    }
    c = card(body)
    assert [child["kind"] for child in c["children"]] == ["text", "emotion"]
    assert c["children"][0]["text"] == "not json"
    assert c["children"][1]["media"] is None
