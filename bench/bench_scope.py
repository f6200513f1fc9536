"""What an archive admin's scope costs: a page of 100 messages, the list's first screen, for a
scoped admin against a super admin, on a message table of WECOM_BENCH_SCOPE_MESSAGES rows
(default 1,000,000). Run inside `odoo shell` by scripts/bench.sh (which provides env).

The table is loaded at the pipeline's shape with set-based SQL and vacuumed as autovacuum
would (the pull's own rate is measured by bench_pipeline.py; a million messages through it
would take ten minutes for nothing this bench looks at): 200 members in 10 departments, 2,000
chats of one member each, every message linked to its member as the pipeline links it.
The scoped admin's scope is one department: 20 members, a tenth of the messages. Timed as
the user (record rules applied),
on the server, p50 and p95 of 30 runs after 3 warm-ups: the page (the 100 newest messages with
their columns) and, apart, the pager's count (limited to 10,001 as the web client asks).
"""

import contextlib
import os
import statistics
import time

import psycopg2

from odoo import Command, sql_db

messages = int(os.environ.get("WECOM_BENCH_SCOPE_MESSAGES", 1_000_000))
cr = env.cr
corp = env["wecom.corp"].create(
    {"name": "bench scope", "corpid": "wwbenchscope0001", "sdk_library_path": "/nonexistent.so"}
)
departments = env["wecom.department"].create(
    [{"corp_id": corp.id, "department_id": n + 1, "name": f"部门{n}"} for n in range(10)]
)
members = env["wecom.member"].create(
    [
        {
            "corp_id": corp.id,
            "userid": f"member{n:03d}",
            "name": f"员工{n}",
            "department_ids": [Command.set(departments[n % 10].ids)],
        }
        for n in range(200)
    ]
)
cr.execute(
    """INSERT INTO wecom_conversation (corp_id, company_id, key, kind, message_count)
       SELECT %s, %s, 'bench:' || n, 'external', 0 FROM generate_series(0, 1999) n
       RETURNING id""",
    [corp.id, corp.company_id.id],
)
chats = [row[0] for row in cr.fetchall()]
cr.execute(
    """INSERT INTO wecom_conversation_member_rel (wecom_conversation_id, wecom_member_id)
       SELECT c, (%s::int[])[1 + (i - 1) %% 200]
         FROM unnest(%s::int[]) WITH ORDINALITY AS t(c, i)""",
    [members.ids, chats],
)
started = time.perf_counter()
cr.execute(
    """INSERT INTO wecom_message (corp_id, company_id, seq, msgid, state, msgtype, action,
                                  text, msgtime, conversation_id, media_state, recalled)
       SELECT %(corp)s, %(company)s, n, 'bench' || n, 'done', 'text', 'send',
              '第' || n || '条消息', timestamp '2026-01-01' + n * interval '2 seconds',
              (%(chats)s::int[])[1 + n %% 2000], 'none', false
         FROM generate_series(1, %(n)s) n""",
    {"corp": corp.id, "company": corp.company_id.id, "chats": chats, "n": messages},
)
cr.execute(
    """INSERT INTO wecom_message_member_rel (wecom_message_id, wecom_member_id)
       SELECT m.id, r.wecom_member_id
         FROM wecom_message m
         JOIN wecom_conversation_member_rel r ON r.wecom_conversation_id = m.conversation_id
        WHERE m.corp_id = %s""",
    [corp.id],
)
cr.commit()
load_s = time.perf_counter() - started
# What autovacuum does to a table that stops growing: visibility map and statistics.
_name, dsn = sql_db.connection_info_for(cr.dbname)
with contextlib.closing(psycopg2.connect(**dsn)) as connection:
    connection.autocommit = True
    with connection.cursor() as vacuum:
        for table in ("wecom_message", "wecom_message_member_rel"):
            vacuum.execute(f"VACUUM ANALYZE {table}")

super_admin = env["res.users"].create(
    {
        "name": "bench super",
        "login": "bench_super",
        "groups_id": [Command.set(env.ref("wecom_archive.group_wecom_archive_super").ids)],
    }
)
scoped_admin = env["res.users"].create(
    {
        "name": "bench scoped",
        "login": "bench_scoped",
        "groups_id": [Command.set(env.ref("wecom_archive.group_wecom_archive_admin").ids)],
        "wecom_scope_department_ids": [Command.set(departments[:1].ids)],
    }
)
cr.commit()
# the columns of the message list view (wecom_message_view_list), the chat by its name
spec = {
    name: {"fields": {"display_name": {}}} if name == "conversation_id" else {}
    for name in (
        "msgtime",
        "sender",
        "conversation_id",
        "msgtype",
        "text",
        "recalled",
        "media_state",
        "state",
        "seq",
    )
}


def page(user):
    """The message list's 100 rows, newest first, with the list view's columns."""
    records = env["wecom.message"].with_user(user).search_fetch([], list(spec), limit=100)
    return records.web_read(spec)


def list_count(user):
    """The pager's count, limited as the web client asks for it."""
    return env["wecom.message"].with_user(user).search_count([], limit=10001)


def timed(call, user, runs=30):
    for _ in range(3):
        call(user)
    times = []
    for _ in range(runs):
        env.invalidate_all()
        started = time.perf_counter()
        call(user)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1]


in_scope = env["wecom.message"].with_user(scoped_admin).search_count([])
print(f"BENCH scope_messages: {messages} messages")
print(f"BENCH scope_load: {load_s:.1f} s")
print(f"BENCH scope_messages_in_scope: {in_scope} messages")
figures = {}
for what, call in (("page", page), ("count", list_count)):
    for role, user in (("super", super_admin), ("scoped", scoped_admin)):
        p50, p95 = figures[what, role] = timed(call, user)
        print(f"BENCH scope_{what}_{role}_p50: {p50:.1f} ms")
        print(f"BENCH scope_{what}_{role}_p95: {p95:.1f} ms")
    ratio = figures[what, "scoped"][0] / figures[what, "super"][0]
    print(f"BENCH scope_{what}_ratio_p50: {ratio:.2f} x")
env.cr.rollback()
