"""Keyword search across all chats: search_messages' first page (as a super admin, record
rules applied) for rare and common words of 2 and 4 Chinese characters, against the naive
unindexed `text ILIKE '%kw%' ORDER BY msgtime DESC LIMIT 50`, on a message table of
WECOM_BENCH_SEARCH_MESSAGES rows (default 1,000,000) loaded at the pipeline's shape with
set-based SQL (texts from native/corpus/phrases.py, rare words planted in a few messages)
and vacuumed; p50/p95 of 20 runs after 3 warm-ups. Then what the search column costs the
pull: inserting 20,000 messages with it and without it (same rows, same transaction shape).
Run inside `odoo shell` (which provides env).
"""

import os
import statistics
import time

from bench import loader

messages = int(os.environ.get("WECOM_BENCH_SEARCH_MESSAGES", 1_000_000))
RARE, COMMON = loader.RARE, loader.COMMON
cr = env.cr
lines = loader.chat_lines()
corp, _departments, members, chats = loader.flat_chats(env, "bench search", "wwbenchsearch001")
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
        [word, corp.id, loader.rare_seqs(messages, count, planted)],
    )
loader.link_message_members(cr, corp)
cr.commit()
load_s = time.perf_counter() - started
loader.vacuum_analyze(cr, ("wecom_message", "wecom_message_member_rel"))

super_admin = loader.archive_user(env, "bench_search_super", "bench search super", "super")
cr.commit()
Message = env["wecom.message"].with_user(super_admin)


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
    p50, p95 = loader.timed(env, lambda word=word: Message.search_messages(word))
    cr.execute("SET enable_indexscan = off")  # keep it naive: no index at all
    cr.execute("SET enable_bitmapscan = off")
    n50, n95 = loader.timed(env, lambda word=word: naive(word))
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
