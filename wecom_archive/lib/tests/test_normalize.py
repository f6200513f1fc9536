import json

import pytest

from wecom_archive.lib.normalize import (
    KNOWN_TYPES,
    MessageParseError,
    conversation_key,
    id_kind,
    normalize,
    parse,
)

from .samples import CUSTOMER, EXPECTED_TEXT, MEMBER, ROOM, SAMPLES


def test_samples_cover_every_known_type():
    assert {s.get("msgtype", "switch") for s in SAMPLES} >= KNOWN_TYPES


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda s: s.get("msgtype", "switch"))
def test_each_type(sample):
    message = normalize(parse(json.dumps(sample, ensure_ascii=False).encode()))
    assert message.msgid == sample["msgid"]
    assert message.body == sample
    for words in EXPECTED_TEXT.get(message.msgtype, []):
        assert words in message.text
    if message.msgtype not in EXPECTED_TEXT:
        assert message.text == ""
    assert message.known == (message.msgtype != "hologram")


def test_unknown_type_text_leaves_ids_aside():
    message = normalize(
        {
            "msgid": "u1",
            "msgtype": "newthing",
            "from": MEMBER,
            "newthing": {
                "title": "新功能",
                "parts": [{"content": "第一段", "sdkfileid": "CtYBMzA2", "md5sum": "abc"}, 3],
            },
        }
    )
    assert message.text == "新功能\n第一段"
    assert not message.known


def test_media_inside_mixed_and_chat_records():
    image = {"sdkfileid": "mix-img", "md5sum": "ABC", "filesize": 10}
    voice = {"sdkfileid": "rec-voice", "voice_size": 300, "md5sum": ""}
    nested = {"item": [{"type": "ChatRecordVoice", "content": json.dumps(voice)}]}
    message = normalize(
        {
            "msgid": "m1",
            "msgtype": "chatrecord",
            "chatrecord": {
                "title": "聊天记录",
                "item": [
                    {"type": "ChatRecordText", "content": json.dumps({"content": "你好"})},
                    {"type": "ChatRecordImage", "content": json.dumps(image)},
                    {"type": "ChatRecordMixed", "content": json.dumps(nested)},
                    {"type": "ChatRecordFile", "content": json.dumps({"filename": "无文件.pdf"})},
                ],
            },
        }
    )
    assert message.media is None
    assert [(p.kind, p.sdkfileid, p.md5sum, p.size) for p in message.parts] == [
        ("image", "mix-img", "abc", 10),
        ("voice", "rec-voice", "", 300),
    ]
    assert [p.filename for p in message.parts] == ["m1-1.jpg", "m1-2.amr"]
    mixed = by_type("mixed")
    assert [(p.kind, p.sdkfileid) for p in mixed.parts] == [("image", "mix01")]
    assert by_type("image").parts == []


def by_type(msgtype):
    return normalize(next(s for s in SAMPLES if s.get("msgtype") == msgtype))


def test_media():
    expected = {
        "image": ("img01", "jpg"),
        "voice": ("voc01", "amr"),
        "video": ("vid01", "mp4"),
        "emotion": ("emo01", "png"),
        "file": ("fil01", "xlsx"),
        "meeting_voice_call": ("mvc01", "amr"),
        "voip_doc_share": ("vds01", "pptx"),
    }
    for msgtype, (sdkfileid, extension) in expected.items():
        media = by_type(msgtype).media
        assert media.sdkfileid == sdkfileid
        assert media.filename.endswith(extension)
        assert media.size == (0 if msgtype == "meeting_voice_call" else 10)
    assert by_type("text").media is None


def test_revoke_consent_switch():
    assert by_type("revoke").revoke_msgid == "0001_text_1613263768"
    assert by_type("revoke").action == "recall"
    consent = by_type("agree").consent
    assert consent[0] == CUSTOMER and consent[1] == "agree"
    assert by_type("disagree").consent[1] == "disagree"
    switch = normalize(SAMPLES[-2])
    assert (switch.msgtype, switch.sender, switch.action) == ("switch", MEMBER, "switch")
    assert switch.msgtime > 0


def test_control_characters_and_malformed_json():
    raw = (
        '{"msgid":"c1","action":"send","from":"a","tolist":["b"],"roomid":"",'
        '"msgtime":1,"msgtype":"text","text":{"content":"line\x01\nbreak\ttab"}}'
    )
    assert normalize(parse(raw.encode())).text == "line\x01\nbreak\ttab"
    with pytest.raises(MessageParseError):
        parse(b'{"msgid": "x", "text": ')
    with pytest.raises(MessageParseError):
        parse(b"[1, 2]")
    assert parse(b'{"a": "\xff"}') == {"a": "\ufffd"}


def test_ids_and_conversations():
    assert id_kind(CUSTOMER) == "external"
    assert id_kind("woAJ2GCAAAXtWyujaWJHDDGi0mACHAAA") == "external"
    assert id_kind("wbABC") == "robot"
    assert id_kind(MEMBER) == "member"
    assert conversation_key("", MEMBER, [CUSTOMER]) == conversation_key("", CUSTOMER, [MEMBER])
    assert conversation_key("", MEMBER, [CUSTOMER])[0] == "external"
    assert conversation_key("", MEMBER, ["wangyin"]) == ("internal", "wangmingle|wangyin")
    assert conversation_key(ROOM, MEMBER, [CUSTOMER]) == ("group", f"room:{ROOM}")
