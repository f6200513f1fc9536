"""What an archive admin's scope costs: a page of 100 messages, the list's first screen, for a
scoped admin against a super admin, on a message table of WECOM_BENCH_SCOPE_MESSAGES rows
(default 1,000,000). Run inside `odoo shell` by scripts/bench.sh (which provides env).

The table is loaded at the pipeline's shape with set-based SQL (bench/loader.py) and vacuumed
as autovacuum would (the pull's own rate is measured by bench_pipeline.py; a million messages
through it would take ten minutes for nothing this bench looks at): 200 members in 10
departments, 2,000 chats of one member each, every message linked to its member as the
pipeline links it. The scoped admin's scope is one department: 20 members, a tenth of the
messages. Timed as the user (record rules applied), on the server, p50 and p95 of 30 runs
after 3 warm-ups: the page (the 100 newest messages with their columns) and, apart, the
pager's count (limited to 10,001 as the web client asks).
"""

import os
import time

from bench import loader

messages = int(os.environ.get("WECOM_BENCH_SCOPE_MESSAGES", 1_000_000))
cr = env.cr
corp, departments, members, chats = loader.flat_chats(
    env, "bench scope", "wwbenchscope0001", departments=10
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
loader.link_message_members(cr, corp)
cr.commit()
load_s = time.perf_counter() - started
loader.vacuum_analyze(cr, ("wecom_message", "wecom_message_member_rel"))

super_admin = loader.archive_user(env, "bench_super", "bench super", "super")
scoped_admin = loader.scoped_admin(env, "bench_scoped", departments[:1])
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


in_scope = env["wecom.message"].with_user(scoped_admin).search_count([])
print(f"BENCH scope_messages: {messages} messages")
print(f"BENCH scope_load: {load_s:.1f} s")
print(f"BENCH scope_messages_in_scope: {in_scope} messages")
figures = {}
for what, call in (("page", page), ("count", list_count)):
    for role, user in (("super", super_admin), ("scoped", scoped_admin)):
        p50, p95 = figures[what, role] = loader.timed(
            env, lambda call=call, user=user: call(user), runs=30
        )
        print(f"BENCH scope_{what}_{role}_p50: {p50:.1f} ms")
        print(f"BENCH scope_{what}_{role}_p95: {p95:.1f} ms")
    ratio = figures[what, "scoped"][0] / figures[what, "super"][0]
    print(f"BENCH scope_{what}_ratio_p50: {ratio:.2f} x")
env.cr.rollback()
