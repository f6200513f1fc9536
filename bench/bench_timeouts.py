# ruff: noqa: F821 (odoo shell provides env)
"""超时未回复: the reply-timeout job (wecom.reply.wait._detect) on WECOM_BENCH_TIMEOUT_MESSAGES
messages (default 1,000,000) loaded at the pipeline's shape by bench/loader.py (load_viewer:
20,000 customer chats, 1,000 groups half of them with customers, a message every 30 seconds),
a timeout rule over everyone (30 working minutes, customer chats and groups, no words that
need no reply), its open waits written from the whole archive by the rule's rebuild (what the
pipeline's upkeep would have left), vacuumed.

Timed: the job's first run (every open wait past its deadline becomes a case) and a steady
run (nothing new: only the waits not recorded yet are read); beside it, in the same run, a
naive pass over every chat: the first customer message after each customer chat's last
member message read from the message table, then the same deadline check, its answer checked
against the job's. Then the pipeline's upkeep of the open waits for a batch of 1,000 new
messages in 1,000 watched chats (half answers, half customer messages), rolled back. Run
inside `odoo shell`, in the repository's root.
"""

import os
import time
from datetime import datetime, timedelta

from bench import loader
from odoo.addons.wecom_archive.lib.normalize import normalize
from odoo.addons.wecom_archive.lib.timeouts import is_due
from odoo.addons.wecom_archive.models.wecom_reply_wait import LATE_MARGIN

GOAL_S = 2.0
messages = int(os.environ.get("WECOM_BENCH_TIMEOUT_MESSAGES", 1_000_000))
cr = env.cr
started = time.perf_counter()
shape = loader.load_viewer(env, messages)
cr.commit()
loaded = time.perf_counter()

corp = shape["corp"]
rule = env["wecom.keyword.rule"].create(
    {
        "name": "30分钟内回复",
        "rule_type": "timeout",
        "category": "超时未回复",
        "timeout_value": 30,
        "watch_internal": False,
        "no_reply_words": False,
        "company_id": corp.company_id.id,
    }
)
Wait = env["wecom.reply.wait"]
Wait._rebuild(rule, window=timedelta(days=3650))
cr.commit()
built = time.perf_counter()
loader.vacuum_analyze(cr, (*loader.VIEWER_TABLES, "wecom_reply_wait", "wecom_violation"))
cr.execute("SELECT count(*) FROM wecom_reply_wait WHERE rule_id = %s", [rule.id])
watched = cr.fetchone()[0]
cr.execute(
    "SELECT count(*) FROM wecom_reply_wait WHERE rule_id = %s AND since IS NOT NULL", [rule.id]
)
open_chats = cr.fetchone()[0]
print(
    f"BENCH timeouts data: {messages} messages, {watched} customer chats watched, "
    f"{open_chats} open (a customer message not answered); load {loaded - started:.1f} s, "
    f"open waits from the whole archive (the rule's rebuild) {built - loaded:.1f} s"
)


def naive():
    """Every customer chat from the message table: its last member message, the first
    customer message after it, and the deadline check: the chats past their deadline."""
    schedule = corp._stat_schedule()  # read before: the ORM's query would take the cursor
    cr.execute("SELECT max(msgtime) FROM wecom_message WHERE corp_id = %s", [corp.id])
    cutoff = cr.fetchone()[0] - LATE_MARGIN
    cr.execute(
        """WITH chat AS (
               SELECT m.conversation_id, m.msgtime, m.id,
                      m.sender LIKE 'wm%%' OR m.sender LIKE 'wo%%' AS customer
                 FROM wecom_message m JOIN wecom_conversation c ON c.id = m.conversation_id
                WHERE m.corp_id = %s AND c.kind IN ('external', 'group')
                  AND m.state = 'done' AND m.action = 'send'),
           answered AS (
               SELECT conversation_id, max(msgtime) AS last FROM chat
                WHERE NOT customer GROUP BY conversation_id)
           SELECT chat.conversation_id, min(chat.msgtime)
             FROM chat LEFT JOIN answered a USING (conversation_id)
            WHERE chat.customer AND (a.last IS NULL OR chat.msgtime > a.last)
            GROUP BY chat.conversation_id""",
        [corp.id],
    )
    return {chat for chat, since in cr.fetchall() if is_due(since, cutoff, 30, schedule)}


def timed(call):
    env.invalidate_all()
    begin = time.perf_counter()
    result = call()
    return time.perf_counter() - begin, result


naive_s, naive_due = timed(naive)
# the share of the first run spent writing the cases (wecom.violation._record_cases & co.)
recording = []
record = type(Wait)._record


def timed_record(self, *args):
    begin = time.perf_counter()
    result = record(self, *args)
    recording.append(time.perf_counter() - begin)
    return result


type(Wait)._record = timed_record
cr.rollback()
first_s, new_ids = timed(lambda: Wait._detect(corp))
cr.execute(
    """SELECT DISTINCT m.conversation_id FROM wecom_violation v
         JOIN wecom_message m ON m.id = v.message_id WHERE v.id = ANY(%s)""",
    [new_ids],
)
job_due = {row[0] for row in cr.fetchall()}
cr.commit()
steady_s, again = timed(lambda: Wait._detect(corp))
cr.commit()
verdict = "ok" if first_s <= GOAL_S else "OVER"
print(
    f"BENCH timeout job, first run ({len(new_ids)} cases recorded of {open_chats} open "
    f"chats): {first_s * 1000:.0f} ms (goal <= {GOAL_S:.0f} s: {verdict}), of which writing "
    f"the cases {sum(recording) * 1000:.0f} ms; naive pass over every chat: "
    f"{naive_s * 1000:.0f} ms ({len(naive_due)} due, deciding only: no case written)"
)
print(f"BENCH timeout job, steady run ({len(again)} new): {steady_s * 1000:.0f} ms")
same = "same" if job_due == naive_due else f"DIFFERENT ({len(job_due ^ naive_due)} chats)"
print(f"BENCH timeout job against the naive pass: {same} chats past their deadline")


# -- the upkeep in the pipeline: a batch of 1,000 messages continuing watched chats ---------
cr.execute(
    """SELECT w.conversation_id, COALESCE(c.roomid, ''), array_agg(m.userid ORDER BY m.id),
              array_agg(m.id ORDER BY m.id),
              (SELECT x.sender FROM wecom_message x
                WHERE x.conversation_id = w.conversation_id AND x.sender LIKE 'wm%%' LIMIT 1)
         FROM wecom_reply_wait w JOIN wecom_conversation c ON c.id = w.conversation_id
         JOIN wecom_conversation_member_rel r ON r.wecom_conversation_id = c.id
         JOIN wecom_member m ON m.id = r.wecom_member_id
        WHERE w.rule_id = %s
        GROUP BY w.conversation_id, c.roomid ORDER BY w.conversation_id LIMIT 1000""",
    [rule.id],
)
chats = cr.fetchall()
cr.execute("SELECT max(msgtime) FROM wecom_message WHERE corp_id = %s", [corp.id])
latest = cr.fetchone()[0]
start_ms = int((latest - datetime(1970, 1, 1)).total_seconds() * 1000)
stored = []
for n, (chat_id, roomid, userids, members, customer) in enumerate(chats):
    sender = customer if n % 2 and customer else userids[0]
    parties = [*userids, *([customer] if customer else [])]
    message = normalize(
        {
            "msgid": f"upkeep{n}",
            "action": "send",
            "from": sender,
            "tolist": [p for p in parties if p != sender],
            "roomid": roomid,
            "msgtime": start_ms + (n + 1) * 1000,
            "msgtype": "text",
            "text": {"content": "请问什么时候发货" if n % 2 else "您好，已经安排了"},
        }
    )
    stored.append((message, (chat_id, members, [])))
# the batch's messages stored first, as _store_batch does before the upkeep
cr.execute(
    """INSERT INTO wecom_message (corp_id, company_id, seq, msgid, publickey_ver, state, action,
                                  msgtype, known_type, sender, receivers, roomid, msgtime, text,
                                  recalled, conversation_id, media_state)
       SELECT %s, %s, 10000000 + n, 'upkeep' || n, 1, 'done', 'send', 'text', true, s, '',
              NULLIF(r, ''), t, x, false, c, 'none'
         FROM unnest(%s::text[], %s::text[], %s::timestamp[], %s::text[], %s::int[])
              WITH ORDINALITY AS u(s, r, t, x, c, n)
        ORDER BY n RETURNING id""",
    [
        corp.id,
        corp.company_id.id,
        [message.sender for message, _link in stored],
        [message.roomid for message, _link in stored],
        [datetime(1970, 1, 1) + timedelta(milliseconds=m.msgtime) for m, _link in stored],
        [message.text for message, _link in stored],
        [link[0] for _message, link in stored],
    ],
)
stored = [
    (message_id, message, link)
    for (message_id,), (message, link) in zip(cr.fetchall(), stored, strict=True)
]
env.invalidate_all()
begin = time.perf_counter()
Wait._upkeep(corp, stored)
upkeep_s = time.perf_counter() - begin
cr.rollback()
print(
    f"BENCH timeout upkeep, a batch of {len(stored)} messages in {len(chats)} watched chats: "
    f"{upkeep_s * 1000:.0f} ms"
)
