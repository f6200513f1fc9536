"""Masking what is shown: mask_text, mask_json (a stored body) and mask_card (every text of a
card, its children's too), lengths kept."""

import json

from wecom_archive.lib.cards import card, snippet
from wecom_archive.lib.detectors import mask_card, mask_json, mask_text

from .samples import SAMPLES

MOBILE, MOBILE_MASKED = "13812345678", "138****5678"
EMAIL, EMAIL_MASKED = "zhangsan@example.com", "z*******@example.com"
ID, ID_MASKED = "11010519491231002X", "110105********002X"


def test_mask_text():
    text = (
        f"电话{MOBILE}，邮箱 {EMAIL}，身份证 {ID}，微信号：wxid_abcdef，见 https://evil.example/x"
    )
    masked = mask_text(text)
    assert masked == (
        f"电话{MOBILE_MASKED}，邮箱 {EMAIL_MASKED}，身份证 {ID_MASKED}，微信号：wx********f，"
        "见 https://evil.example/x"
    )
    assert len(masked) == len(text)
    assert mask_text("没有个人信息") == "没有个人信息"
    assert mask_text("") == ""
    assert mask_text(None) is None
    assert mask_text(42) == 42


def test_mask_json_keeps_ids():
    body = {
        "msgid": f"id{MOBILE}x",
        "from": MOBILE,
        "tolist": [MOBILE],
        "msgtype": "text",
        "msgtime": 1,
        "text": {"content": f"打 {MOBILE}"},
        "file": {"filename": f"{MOBILE}.pdf", "sdkfileid": f"A{MOBILE}B", "md5sum": "x"},
        "item": [{"content": json.dumps({"content": MOBILE})}],
    }
    masked = mask_json(body)
    assert masked["msgid"] == body["msgid"]
    assert (masked["from"], masked["tolist"]) == (MOBILE, [MOBILE])
    assert masked["text"]["content"] == f"打 {MOBILE_MASKED}"
    assert masked["file"] == {
        "filename": f"{MOBILE_MASKED}.pdf",
        "sdkfileid": f"A{MOBILE}B",
        "md5sum": "x",
    }
    assert MOBILE not in masked["item"][0]["content"]
    assert body["text"]["content"] == f"打 {MOBILE}", "the original is not changed"


def _text(content, **extra):
    return {
        "msgid": "m",
        "msgtype": "text",
        "from": "a",
        "msgtime": 1,
        "text": {"content": content},
        **extra,
    }


def test_mask_card_text_and_flag():
    shown = card(_text(f"我的手机 {MOBILE}"))
    masked = mask_card(shown)
    assert masked["text"] == f"我的手机 {MOBILE_MASKED}"
    assert masked["masked"] is True
    assert shown["text"] == f"我的手机 {MOBILE}", "the card is not changed"
    assert mask_card(card(_text("您好")))["masked"] is False
    assert snippet(masked) == f"我的手机 {MOBILE_MASKED}"


def test_mask_card_every_text_and_children():
    link = {
        "msgid": "l",
        "msgtype": "link",
        "from": "a",
        "msgtime": 1,
        "link": {
            "title": f"联系 {MOBILE}",
            "description": f"写信 {EMAIL}",
            "link_url": f"https://example.com/?mail={EMAIL}",
        },
    }
    masked = mask_card(card(link))
    assert masked["title"] == f"联系 {MOBILE_MASKED}"
    assert masked["text"] == f"写信 {EMAIL_MASKED}"
    assert EMAIL not in json.dumps(masked["link"])
    assert masked["masked"]
    file = {
        "msgid": "f",
        "msgtype": "file",
        "from": "a",
        "msgtime": 1,
        "file": {"filename": f"{ID}.pdf", "sdkfileid": "abc", "filesize": 3},
    }
    masked = mask_card(card(file))
    assert masked["title"] == masked["text"] == f"{ID_MASKED}.pdf"
    assert masked["media"]["filename"] == f"{ID_MASKED}.pdf"
    assert masked["media"]["sdkfileid"] == "abc"
    # a chat record: each child masked, the parent's text too
    record = next(s for s in SAMPLES if s["msgtype"] == "chatrecord")
    record = json.loads(
        json.dumps(record, ensure_ascii=False).replace("私下转账", f"私下转账 {MOBILE}")
    )
    shown = card(record)
    assert MOBILE in json.dumps(shown, ensure_ascii=False)
    masked = mask_card(shown)
    dumped = json.dumps(masked, ensure_ascii=False)
    assert MOBILE not in dumped and MOBILE_MASKED in dumped
    assert masked["masked"] and any(child["masked"] for child in masked["children"])


def test_mask_card_unknown_and_fields():
    shown = card(
        {
            "msgid": "u",
            "msgtype": "calendar",
            "from": "a",
            "msgtime": 1,
            "calendar": {"title": "会", "place": f"电话 {MOBILE}", "starttime": 5},
        }
    )
    masked = mask_card(shown)
    assert MOBILE not in json.dumps(masked, ensure_ascii=False)
    assert ["开始时间", 5] in masked["fields"], "numbers (times) are kept"
