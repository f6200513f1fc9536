"""Keyword search across all chats: search_messages' first page (as a super admin, record
rules applied) for rare and common words of 2 and 4 Chinese characters, against the naive
unindexed `text ILIKE '%kw%' ORDER BY msgtime DESC LIMIT 50`, on a message table of
WECOM_BENCH_SEARCH_MESSAGES rows (default 1,000,000) loaded at the pipeline's shape with
set-based SQL (texts from native/corpus/phrases.py, rare words planted in a few messages)
and vacuumed; p50/p95 of 20 runs after 3 warm-ups. Then what the search column costs the
pull: inserting 20,000 messages with it and without it (same rows, same transaction shape).
Run inside `odoo shell` (which provides env).
"""

import contextlib
import os
import statistics
import time

import psycopg2

from odoo import Command, sql_db
from odoo.addons.wecom_archive.native.corpus import phrases

messages = int(os.environ.get("WECOM_BENCH_SEARCH_MESSAGES", 1_000_000))
RARE = {"返点": 20, "私下转账": 20}  # planted in this many messages each
COMMON = ("好的", "已经发出")
cr = env.cr
lines = sorted(
    {
        line
        for kind in phrases.DIALOGS.values()
        for dialog in kind
        for line in dialog
        if "返点" not in line and "私下转账" not in line
    }
    | set(phrases.SALES_LINES)
    | set(phrases.SERVICE_LINES)
)
corp = env["wecom.corp"].create(
    {"name": "bench search", "corpid": "wwbenchsearch001", "sdk_library_path": "/nonexistent.so"}
)
members = env["wecom.member"].create(
    [{"corp_id": corp.id, "userid": f"member{n:03d}", "name": f"员工{n}"} for n in range(200)]
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
INSERT = """INSERT INTO {table} (corp_id, company_id, seq, msgid, state, msgtype, action,
                                 sender, text, msgtime, conversation_id, media_state, recalled)
   SELECT %(corp)s, %(company)s, n, %(prefix)s || n, 'done', 'text', 'send',
          'member' || lpad((n %% 200)::text, 3, '0'),
          (%(lines)s::text[])[1 + (n * 7919) %% %(count)s]
              || CASE WHEN n %% 3 = 0
                      THEN '，' || (%(lines)s::text[])[1 + (n * 104729) %% %(count)s]
                      ELSE '' END,
          timestamp '2026-01-01' + n * interval '2 seconds',
          (%(chats)s::int[])[1 + n %% 2000], 'none', false
     FROM generate_series(%(first)s::bigint, %(last)s) n"""
params = {
    "corp": corp.id,
    "company": corp.company_id.id,
    "lines": lines,
    "count": len(lines),
    "chats": chats,
    "prefix": "bench",
}
started = time.perf_counter()
cr.execute(INSERT.format(table="wecom_message"), dict(params, first=1, last=messages))
# rare words, planted in a few messages spread over the whole period
for planted, (word, count) in enumerate(RARE.items()):
    cr.execute(
        """UPDATE wecom_message SET text = text || '，' || %s
            WHERE corp_id = %s AND seq = ANY(%s)""",
        [word, corp.id, [1 + (k * messages) // count + planted for k in range(count)]],
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
_name, dsn = sql_db.connection_info_for(cr.dbname)
with contextlib.closing(psycopg2.connect(**dsn)) as connection:
    connection.autocommit = True
    with connection.cursor() as vacuum:
        for table in ("wecom_message", "wecom_message_member_rel"):
            vacuum.execute(f"VACUUM ANALYZE {table}")

super_admin = env["res.users"].create(
    {
        "name": "bench search super",
        "login": "bench_search_super",
        "groups_id": [Command.set(env.ref("wecom_archive.group_wecom_archive_super").ids)],
    }
)
cr.commit()
Message = env["wecom.message"].with_user(super_admin)


def timed(call, runs=20):
    for _ in range(3):
        call()
    times = []
    for _ in range(runs):
        env.invalidate_all()
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1]


def naive(word):
    cr.execute(
        """SELECT id FROM wecom_message WHERE text ILIKE %s
            ORDER BY msgtime DESC LIMIT 50""",
        [f"%{word}%"],
    )
    return cr.fetchall()


print(f"BENCH search_messages: {messages} messages")
print(f"BENCH search_load: {load_s:.1f} s")
for label, word in (
    ("rare2", "返点"),
    ("rare4", "私下转账"),
    ("common2", COMMON[0]),
    ("common4", COMMON[1]),
):
    cr.execute("SELECT count(*) FROM wecom_message WHERE text LIKE %s", [f"%{word}%"])
    hits = cr.fetchone()[0]
    page = Message.search_messages(word)
    naive_ids = [row[0] for row in naive(word)]
    assert [r["id"] for r in page["results"]] == naive_ids, word  # same page, same order
    p50, p95 = timed(lambda word=word: Message.search_messages(word))
    cr.execute("SET enable_indexscan = off")  # keep it naive: no index at all
    cr.execute("SET enable_bitmapscan = off")
    n50, n95 = timed(lambda word=word: naive(word))
    cr.execute("RESET enable_indexscan")
    cr.execute("RESET enable_bitmapscan")
    print(f"BENCH search_{label}_hits: {hits} messages")
    print(f"BENCH search_{label}_p50: {p50:.1f} ms")
    print(f"BENCH search_{label}_p95: {p95:.1f} ms")
    print(f"BENCH search_{label}_naive_p50: {n50:.1f} ms")
    print(f"BENCH search_{label}_naive_p95: {n95:.1f} ms")
    print(f"BENCH search_{label}_speedup_p50: {n50 / p50:.1f} x")
cr.rollback()

# What the search column costs the pull: 20,000 messages inserted as one INSERT … SELECT
# into the table (its indexes, the bigram column and its GIN index included), against the
# same insert into a copy of the table without the column and its index.
cr.execute("""CREATE TABLE bench_plain (LIKE wecom_message INCLUDING DEFAULTS INCLUDING INDEXES)""")
cr.execute("ALTER TABLE bench_plain DROP COLUMN search_bigrams")
cr.execute(
    """CREATE TABLE bench_bigrams
       (LIKE wecom_message INCLUDING DEFAULTS INCLUDING INDEXES INCLUDING GENERATED)"""
)
for table in ("bench_plain", "bench_bigrams"):
    times = []
    for run in range(5):
        first = messages + 1 + run * 20000
        started = time.perf_counter()
        cr.execute(
            INSERT.format(table=table), dict(params, first=first, last=first + 19999, prefix="i")
        )
        times.append((time.perf_counter() - started) * 1000)
    print(f"BENCH search_insert20k_{table.split('_')[1]}: {statistics.median(times):.0f} ms")
cr.rollback()
