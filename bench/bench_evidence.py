# ruff: noqa: F821 (odoo shell provides env)
"""The evidence pack of a big chat: one chat of WECOM_BENCH_EVIDENCE_MESSAGES messages
(default 10,000) between an employee and a customer, 5 % of them pictures with their file in
the filestore (real PNGs of about 30 KB, shown in the PDF and packed as originals), 1 % with a
violation case. Run inside `odoo shell` (which provides env), in the repository's root (it
imports bench.loader), on a fresh database:

    WECOM_BENCH_EVIDENCE_MESSAGES=10000 odoo shell -d DB --no-http < bench/bench_evidence.py

Printed: the time to build the pack as a super admin with the export right (read as them,
cards, PDF through wkhtmltopdf and the page stamp, Excel, media, manifest, ZIP), its size and
its pages, and the time to verify it (every hash, and every message against the archive).
"""

import io
import json
import os
import random
import struct
import time
import zipfile
import zlib

from bench import loader
from odoo import Command
from odoo.addons.wecom_archive.lib.integrity import body_hash

messages = int(os.environ.get("WECOM_BENCH_EVIDENCE_MESSAGES", 10_000))
cr = env.cr
corp, _departments, members, chats = loader.flat_chats(env, "bench evidence", "wwbenchevidence1")
chat = chats[0]
member = members[0]
customer = "wmbenchcustomer0000"
env["wecom.contact"].create(
    {"corp_id": corp.id, "external_userid": customer, "name": "证据客户", "contact_type": "1"}
)
lines = loader.chat_lines()


def png(rng, side=100):
    """A real PNG of ``side``² noisy RGB pixels (about 30 KB: noise does not compress)."""

    def chunk(kind, data):
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    raw = b"".join(b"\x00" + rng.randbytes(side * 3) for _ in range(side))
    header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


rng = random.Random(11)
pictures = [png(rng) for _ in range(8)]
start_ms = int(time.time() * 1000) - 20 * 86_400_000
rows = []
for n in range(1, messages + 1):
    picture = n % 20 == 0
    sender, to = (member.userid, customer) if n % 2 else (customer, member.userid)
    msgid = f"evidence{n:08d}"
    ms = start_ms + n * 60_000
    body = {
        "msgid": msgid,
        "action": "send",
        "from": sender,
        "tolist": [to],
        "roomid": "",
        "msgtime": ms,
    }
    if picture:
        body.update(
            msgtype="image",
            image={"sdkfileid": f"pic{n}", "filesize": 30_000, "md5sum": ""},
        )
    else:
        body.update(msgtype="text", text={"content": lines[n % len(lines)]})
    text = json.dumps(body, ensure_ascii=False)
    rows.append(
        (
            corp.id,
            corp.company_id.id,
            n,
            msgid,
            body["msgtype"],
            sender,
            time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(ms / 1000)),
            None if picture else body["text"]["content"],
            text,
            body_hash(text),
            chat,
            f"pic{n}" if picture else None,
        )
    )
cr.executemany(
    """INSERT INTO wecom_message (corp_id, company_id, seq, msgid, state, action, msgtype,
           known_type, sender, msgtime, text, body, body_sha256, conversation_id, sdkfileid,
           media_state, recalled)
       VALUES (%s, %s, %s, %s, 'done', 'send', %s, true, %s, %s, %s, %s, %s, %s, %s,
               'none', false)""",
    rows,
)
loader.link_message_members(cr, corp)
cr.execute(
    "SELECT id, seq FROM wecom_message WHERE corp_id = %s AND sdkfileid IS NOT NULL", [corp.id]
)
with_file = cr.fetchall()
attachments = env["ir.attachment"].create(
    [
        {
            "name": f"pic{seq}.png",
            "raw": pictures[seq % len(pictures)],
            "mimetype": "image/png",
            "res_model": "wecom.message",
            "res_id": message_id,
        }
        for message_id, seq in with_file
    ]
)
cr.executemany(
    "UPDATE wecom_message SET attachment_id = %s, media_state = 'done' WHERE id = %s",
    [
        (attachment.id, message_id)
        for attachment, (message_id, _seq) in zip(attachments, with_file, strict=True)
    ],
)
rule = env["wecom.keyword.rule"].create(
    {"name": "bench", "category": "bench", "words_input": "返点", "company_id": corp.company_id.id}
)
cr.execute(
    """INSERT INTO wecom_violation (name, company_id, corp_id, message_id, rule_id, sender,
                                    msgtime, content, words_hit, kind, state, alerted)
       SELECT 'bench' || id, company_id, corp_id, id, %s, sender, msgtime, text, 'x',
              'keyword', 'new', true
         FROM wecom_message WHERE corp_id = %s AND seq %% 100 = 7""",
    [rule.id, corp.id],
)
cr.execute("UPDATE wecom_conversation SET message_count = %s WHERE id = %s", [messages, chat])
env.invalidate_all()
cr.commit()
loader.vacuum_analyze(cr, ["wecom_message", "wecom_message_member_rel", "wecom_violation"])

user = loader.archive_user(env, "bench_evidence", "证据导出人", "super", tz="Asia/Shanghai")
user.groups_id = [Command.link(env.ref("base.group_allow_export").id)]
Pack = env["wecom.evidence.pack"].with_user(user)
pack = Pack.create({"scope": "chat", "conversation_id": chat})
cr.commit()
started = time.perf_counter()
pack._build_now(commit=True)
elapsed = time.perf_counter() - started
pack.invalidate_recordset()
assert pack.state == "done", pack.error
data = pack.sudo().attachment_id.raw
with zipfile.ZipFile(io.BytesIO(data)) as archive:
    pdf = archive.read("messages.pdf")
    media = sum(1 for name in archive.namelist() if name.startswith("media/"))
from PyPDF2 import PdfReader  # noqa: E402

pages = len(PdfReader(io.BytesIO(pdf)).pages)
started = time.perf_counter()
pack.action_verify()
verified = time.perf_counter() - started
assert pack.verify_state == "ok", pack.verify_report
print(f"BENCH evidence_pack_{messages}_messages: {elapsed:.1f} s (limit 60 s)")
print(f"BENCH evidence_pack_{messages}_zip: {len(data) / 1e6:.1f} MB ({media} media files)")
print(f"BENCH evidence_pack_{messages}_pdf: {pages} pages")
print(f"BENCH evidence_pack_{messages}_verify: {verified:.1f} s")
cr.commit()
