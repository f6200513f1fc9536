"""Browser tours of the chat viewer (查看聊天记录), in headless Chromium, in zh_CN, on chats
pulled through the real pipeline from the fake SDK (media downloaded, voices converted)."""

import random

from odoo.tests import HttpCase, tagged

from ..native.corpus.generate import _Writer
from .common import WecomCase, key_pair, use_zh_cn

MEMBER, OTHER = "wangmingle", "wangyin"
CUSTOMER = "wmCustomerZhuTianTian0001"
HOSTILE = "wmCustomerHostile00000001"
ROOM = "wrRoomHostile000000000001"
T0 = 1_763_000_000_000  # ms
PAYLOAD = "<img src=x onerror=window.__wecom_xss=1>"


def _msg(n, sender, tolist, msgtype, body, roomid=""):
    return {
        "msgid": f"tour{n:05d}",
        "action": "send",
        "from": sender,
        "tolist": tolist,
        "roomid": roomid,
        "msgtime": T0 + n * 60_000,
        "msgtype": msgtype,
        msgtype: body,
    }


def _text(n, sender, tolist, content, roomid=""):
    return _msg(n, sender, tolist, "text", {"content": content}, roomid)


@tagged("post_install", "-at_install")
class TestViewerTours(WecomCase, HttpCase):
    corpid = "wwviewertour0001"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        use_zh_cn(env)
        env["wecom.corp.key"].create(
            {"corp_id": cls.corp.id, "version": 1, "private_key": key_pair(1)[0]}
        )
        sales = env["wecom.department"].create(
            {"corp_id": cls.corp.id, "department_id": 2, "name": "销售部"}
        )
        for userid, name in ((MEMBER, "王明乐"), (OTHER, "王胤")):
            env["wecom.member"].create(
                {
                    "corp_id": cls.corp.id,
                    "userid": userid,
                    "name": name,
                    "position": "销售经理",
                    "department_ids": [(6, 0, sales.ids)],
                    "main_department_id": sales.id,
                    "archive_status": "archiving",
                }
            )
        env["wecom.contact"].create(
            [
                {
                    "corp_id": cls.corp.id,
                    "external_userid": CUSTOMER,
                    "name": "朱甜甜",
                    "corp_name": "独秀馒头",
                    "contact_type": "1",
                },
                {
                    "corp_id": cls.corp.id,
                    "external_userid": HOSTILE,
                    "name": f"{PAYLOAD}客户",
                    "corp_name": "<script>window.__wecom_xss=2</script>",
                },
            ]
        )
        env["wecom.group"].create(
            {"corp_id": cls.corp.id, "roomid": ROOM, "name": f"{PAYLOAD}群", "kind": "external"}
        )
        env["wecom.keyword.rule"].create(
            {"name": "私下交易", "category": "私下交易监控", "words_input": "私下转账"}
        )
        writer = _Writer(random.Random(7), cls.corpus_root, 1.0, None, [1], 0, None, None)
        voice, image = writer.amr(16_000), writer.png(60_000)
        pair = [MEMBER, CUSTOMER]
        messages = [
            _msg(0, CUSTOMER, [MEMBER], "agree", {"userid": CUSTOMER, "agree_time": T0}),
            _text(1, MEMBER, [CUSTOMER], "最早的一条消息"),
        ]
        for n in range(2, 90):
            sender = pair[n % 2]
            words = "可以私下转账吗" if n == 20 else f"第{n}条：上次那批货的事情"
            messages.append(_text(n, sender, [p for p in pair if p != sender], words))
        messages += [
            _msg(
                90,
                CUSTOMER,
                [MEMBER],
                "voice",
                {
                    "sdkfileid": "tourvoice",
                    "voice_size": len(voice),
                    "play_length": 2,
                    "md5sum": "",
                },
            ),
            _msg(
                91,
                CUSTOMER,
                [MEMBER],
                "image",
                {"sdkfileid": "tourimage", "filesize": len(image), "md5sum": ""},
            ),
            _text(92, MEMBER, [CUSTOMER], "收到，谢谢 https://work.weixin.qq.com/help"),
            # a customer who sends markup everywhere
            _text(100, HOSTILE, [MEMBER], f"{PAYLOAD}<script>window.__wecom_xss=3</script>"),
            _msg(
                101,
                HOSTILE,
                [MEMBER],
                "file",
                {
                    "sdkfileid": "tourfile",
                    "filename": f"{PAYLOAD}.pdf",
                    "fileext": "pdf",
                    "filesize": 3,
                    "md5sum": "",
                },
            ),
            _msg(
                102,
                HOSTILE,
                [MEMBER],
                "link",
                {
                    "title": f"{PAYLOAD}标题",
                    "description": "<b>粗体</b>",
                    "link_url": "javascript:window.__wecom_xss=4",
                    "image_url": "",
                },
            ),
            _text(103, HOSTILE, [MEMBER, OTHER], f"群里的{PAYLOAD}", roomid=ROOM),
        ]
        cls.build_corpus(
            messages, media={"tourvoice": voice, "tourimage": image, "tourfile": b"%PDF"}
        )
        cls.corp._pull()
        env["wecom.message"]._cron_download_media(time_budget=60)

    def test_chat_viewer(self):
        self.start_tour("/odoo/chat-records", "wecom_archive_chat_viewer", login="admin")

    def test_hostile_content_shown_as_text(self):
        self.start_tour("/odoo/chat-records", "wecom_archive_chat_viewer_xss", login="admin")
