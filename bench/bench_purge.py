# ruff: noqa: F821 (odoo shell provides env)
"""The retention job's rate, and what it costs a pull running at the same time. Run inside
`odoo shell` (which provides env), in the repository's root (it imports bench.loader), on a
fresh database:

    WECOM_BENCH_PURGE_MESSAGES=1000000 WECOM_BENCH_PURGE_PULL=60000 \\
        odoo shell -d DB --no-http < bench/bench_purge.py

One corp holds WECOM_BENCH_PURGE_MESSAGES messages (default 1,000,000) two years old, at
the pipeline's shape (bench/loader.py: 200 members, 2,000 chats, every message linked to its
member; loaded with COPY, not pulled), each with its body's hash, chained in blocks of 1,000
seqs as the pull chains them, 0.5 % with a media file in the filestore, 1 % with a
violation case, and a reply-timeout wait open in each chat. Its retention is 365 days: all
of it goes.

Two other corps get the same corpus of WECOM_BENCH_PURGE_PULL messages (default 60,000)
through the fake SDK and the real pipeline, each pulled by an `odoo shell` process of its
own: the first alone, the second while the purge runs (started once it stores, so both
overlap). Printed, from the same run: the purge's rate (messages deleted per second, with
their links, files and chain blocks), the pull's rate alone, and its rate during the purge
(messages it stored between the purge's start and end, per second).
"""

import csv
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

from bench import loader
from odoo import sql_db
from odoo.addons.wecom_archive.lib.integrity import body_hash
from odoo.addons.wecom_archive.lib.tests.samples import SAMPLES
from odoo.addons.wecom_archive.native.corpus.build import build
from odoo.addons.wecom_archive.native.corpus.keys import new_key_pair
from odoo.tools import config

messages = int(os.environ.get("WECOM_BENCH_PURGE_MESSAGES", 1_000_000))
pulled = int(os.environ.get("WECOM_BENCH_PURGE_PULL", 60_000))
cr = env.cr
Block = env["wecom.integrity.block"]

# -- the corp to purge ----------------------------------------------------------------------
corp, _departments, members, chats = loader.flat_chats(env, "bench purge", "wwbenchpurge0001")
corp.retention_days = 365
userids = members.mapped("userid")
lines = loader.chat_lines()
two_years_ago = int(time.time() * 1000) - 730 * 86_400_000
columns = (
    "corp_id, company_id, seq, msgid, state, action, msgtype, known_type, sender, receivers, "
    "roomid, msgtime, text, body, body_sha256, conversation_id, media_state, recalled"
)
started = time.perf_counter()
CHUNK = 100_000
for first in range(1, messages + 1, CHUNK):
    rows, entries = io.StringIO(), []
    writer = csv.writer(rows)
    for n in range(first, min(first + CHUNK, messages + 1)):
        msgid = f"purge{n:08d}"
        ms = two_years_ago + n * 1000
        sender = userids[n % 2000 % 200]
        body = json.dumps(
            {
                "msgid": msgid,
                "action": "send",
                "from": sender,
                "tolist": [f"wmbenchcustomer{n % 2000:04d}"],
                "roomid": "",
                "msgtime": ms,
                "msgtype": "text",
                "text": {"content": lines[n % len(lines)]},
            },
            ensure_ascii=False,
        )
        digest = body_hash(body)
        entries.append((n, msgid, digest))
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(ms / 1000))
        writer.writerow(
            (
                *(corp.id, corp.company_id.id, n, msgid, "done", "send", "text", "t", sender),
                *(f"wmbenchcustomer{n % 2000:04d}", "", when, lines[n % len(lines)], body),
                *(digest, chats[n % 2000], "none", "f"),
            )
        )
    rows.seek(0)
    cr._obj.copy_expert(f"COPY wecom_message ({columns}) FROM STDIN WITH (FORMAT csv)", rows)
    for start in range(0, len(entries), 1000):
        block = entries[start : start + 1000]
        Block._append(corp, "pull", block[0][0], block[-1][0], block, [])
    cr.commit()
loader.link_message_members(cr, corp)
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
cr.execute(
    """INSERT INTO wecom_violation_member_rel (violation_id, member_id)
       SELECT v.id, r.wecom_member_id FROM wecom_violation v
         JOIN wecom_message_member_rel r ON r.wecom_message_id = v.message_id"""
)
# a reply-timeout rule's open wait in every chat, on its last message (the purge lets go)
cr.execute(
    """INSERT INTO wecom_reply_wait (rule_id, conversation_id, corp_id, since, message_id)
       SELECT %s, conversation_id, corp_id, max(msgtime), max(id) FROM wecom_message
        WHERE corp_id = %s GROUP BY conversation_id, corp_id""",
    [rule.id, corp.id],
)
cr.execute("SELECT id FROM wecom_message WHERE corp_id = %s AND seq %% 200 = 3", [corp.id])
with_file = [row[0] for row in cr.fetchall()]
attachments = env["ir.attachment"].create(
    [
        {
            "name": f"{message_id}.bin",
            # not an image: as "….jpg", random bytes went to PIL, which failed on 1 file in
            # ~9,000 (those starting "P1".."P7" opened as PPM)
            "raw": b"bench file " + os.urandom(2048),
            "mimetype": "application/octet-stream",
            "res_model": "wecom.message",
            "res_id": message_id,
        }
        for message_id in with_file
    ]
)
paths = [attachment._full_path(attachment.store_fname) for attachment in attachments]
cr.execute(
    """UPDATE wecom_message m SET attachment_id = a.id, media_state = 'done'
         FROM ir_attachment a
        WHERE a.res_model = 'wecom.message' AND a.res_id = m.id AND m.id = ANY(%s)""",
    [with_file],
)
cr.execute("UPDATE wecom_corp SET integrity_adopted = true WHERE id = %s", [corp.id])
cr.commit()
load_s = time.perf_counter() - started
loader.vacuum_analyze(
    cr,
    (
        "wecom_message",
        "wecom_message_member_rel",
        "wecom_integrity_block",
        "wecom_violation",
        "wecom_reply_wait",
    ),
)

# -- the corps to pull ----------------------------------------------------------------------
corpus_root = tempfile.mkdtemp(prefix="wecom_bench_purge_")
private_pem, public_pem = new_key_pair()
# the fake SDK (scripts/common.sh names it; not tests/common.py: odoo.tests is for tests)
sdk_library = os.environ.get("WECOM_FAKE_SDK_LIB") or os.path.abspath(
    os.path.join("build", "libWeWorkFinanceSdk_C.so")
)
pull_corps = []
for corpid in ("wwbenchpullalone", "wwbenchpullpurge"):
    source = os.path.join(corpus_root, f"source-{corpid}")
    os.makedirs(os.path.join(source, "media"))
    with open(os.path.join(source, "messages.jsonl"), "w", encoding="utf-8") as handle:
        for n in range(pulled):
            message = dict(SAMPLES[n % 30], msgid=f"{corpid}-{n}")
            handle.write(json.dumps(message, ensure_ascii=False) + "\n")
    build(
        {1: public_pem},
        os.path.join(source, "messages.jsonl"),
        os.path.join(source, "media"),
        os.path.join(corpus_root, corpid),
        corpid=corpid,
        secret="bench-secret",
    )
    pull_corp = env["wecom.corp"].create(
        {
            "name": corpid,
            "corpid": corpid,
            "secret": "bench-secret",
            "sdk_library_path": sdk_library,
            "timeout": 5,
        }
    )
    env["wecom.corp.key"].create(
        {"corp_id": pull_corp.id, "version": 1, "private_key": private_pem}
    )
    pull_corps.append(pull_corp)
cr.commit()

PULL = b"""
import os, time
corp = env["wecom.corp"].search([("corpid", "=", os.environ["WECOM_WORKER_CORPID"])])
started, total = time.perf_counter(), 0
while stored := corp._pull():
    total += stored
print(f"PULLED {total} {time.perf_counter() - started:.3f}", flush=True)
"""


def pull_process(pull_corp):
    path = os.path.join(corpus_root, f"pull-{pull_corp.corpid}.py")
    with open(path, "wb") as script:
        script.write(PULL)
    args = [sys.executable, "-m", "odoo", "shell", "-d", cr.dbname, "--no-http"]
    args += [f"--addons-path={config['addons_path']}", "--log-level=warn"]
    for option in ("db_host", "db_port", "db_user", "db_password"):
        if config.get(option):
            args.append(f"--{option}={config[option]}")
    environ = dict(os.environ, WECOM_FAKE_SDK_CORPUS=corpus_root)
    environ["WECOM_WORKER_CORPID"] = pull_corp.corpid
    with open(path, "rb") as script:
        return subprocess.Popen(args, stdin=script, stdout=subprocess.PIPE, env=environ)


def stored(watch, pull_corp):
    watch.execute("SELECT count(*) FROM wecom_message WHERE corp_id = %s", [pull_corp.id])
    return watch.fetchone()[0]


alone = pull_process(pull_corps[0])
output = alone.communicate()[0].decode()
total, seconds = output.split("PULLED ")[1].split()[:2]
pull_alone_rate = int(total) / float(seconds)

# -- the purge, a pull running -------------------------------------------------------------
samples, purging = [], threading.Event()


def watch_pull(pull_corp):
    """(time, messages stored) of the pull every 0.2 s while the purge runs."""
    with sql_db.db_connect(cr.dbname).cursor() as sampler:
        sampler.connection.autocommit = True
        while purging.is_set():
            samples.append((time.perf_counter(), stored(sampler, pull_corp)))
            time.sleep(0.2)


with sql_db.db_connect(cr.dbname).cursor() as watch:
    watch.connection.autocommit = True
    during = pull_process(pull_corps[1])
    while stored(watch, pull_corps[1]) < 2000:  # the pull stores: both overlap
        time.sleep(0.05)
    pull_before, purge_started = stored(watch, pull_corps[1]), time.perf_counter()
    purging.set()
    watcher = threading.Thread(target=watch_pull, args=(pull_corps[1],))
    watcher.start()
    purge = env["wecom.retention.purge"]._run(corp)
    purge_ended = time.perf_counter()
    samples.append((purge_ended, stored(watch, pull_corps[1])))
    purging.clear()
    watcher.join()
    purge_s = purge_ended - purge_started
    during.communicate()
    pull_total = stored(watch, pull_corps[1])
# the pull's rate while both ran: until the purge ended, or the pull did if it ended first
pull_done = next((at for at, count in samples if count >= pull_total), purge_ended)
overlap_s = min(pull_done, purge_ended) - purge_started
pull_after = max(
    [count for at, count in samples if at <= purge_started + overlap_s] or [pull_before]
)
shutil.rmtree(corpus_root)
cr.execute("SELECT count(*) FROM wecom_message WHERE corp_id = %s", [corp.id])
left = cr.fetchone()[0]
files_left = sum(os.path.exists(path) for path in paths)
pull_during_rate = (pull_after - pull_before) / overlap_s

rate = purge.message_count / purge_s
print(f"BENCH purge_{messages}_load: {load_s:.1f} s")
print(
    f"BENCH purge_{messages}_run: {purge.state}, {purge.message_count} messages deleted, "
    f"{left} left, {purge.media_count} files deleted, {files_left} left, "
    f"{purge.violation_count} violations kept, {purge_s:.1f} s"
)
print(f"BENCH purge_{messages}_rate: {rate:,.0f} messages/s (target 20,000)")
print(f"BENCH purge_pull_alone: {pull_alone_rate:,.0f} messages/s")
print(f"BENCH purge_pull_during_purge: {pull_during_rate:,.0f} messages/s")
print(
    f"BENCH purge_pull_ratio: {pull_during_rate / pull_alone_rate:.2f} x "
    f"(stored while both ran: {pull_after - pull_before} of {pull_total} in {overlap_s:.1f} s; "
    f"{'done before the purge ended' if pull_done < purge_ended else 'still pulling at its end'})"
)
