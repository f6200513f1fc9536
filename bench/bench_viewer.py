# ruff: noqa: F821 (odoo shell provides env)
"""The chat viewer's reads (wecom.viewer and search_messages) on WECOM_BENCH_VIEWER_MESSAGES
messages (default 1,000,000) loaded at the pipeline's shape with set-based SQL and vacuumed
(bench/loader.py, load_viewer: 1,000 members in 20 departments, 23,000 chats, one customer
group of 13 % of the messages, a busiest member with 4,100 chats, 1 % violations).

Timed as a super admin and as an archive admin whose scope is the busiest member's
department (real users: record rules apply), p50/p95 of 20 runs after 3 warm-ups, the ORM's
cache emptied before each run: the employee list, the busiest member's chat list (each tab),
the big group's newest page and a page 100,000 messages deep (by cursor), the search of
rare and common words of 2 and 4 characters, the member's statistics, a deep message's
context and the chat's side panel; the worker's memory (VmRSS) before and after these runs.
Then, in the same run, the naive ways beside the deep page (OFFSET), the searches (ILIKE
on a sequential scan) and the statistics (the ORM, record by record), their answers checked
against the viewer's. Run inside `odoo shell` by scripts/bench.sh (which provides env), in
the repository's root.
"""

import functools
import os
import time

from bench import loader

bench_started = time.perf_counter()
messages = int(os.environ.get("WECOM_BENCH_VIEWER_MESSAGES", 1_000_000))
cr = env.cr
started = time.perf_counter()
shape = loader.load_viewer(env, messages)
cr.commit()
loaded = time.perf_counter()
loader.vacuum_analyze(cr, loader.VIEWER_TABLES)
load_s, vacuum_s = loaded - started, time.perf_counter() - loaded

busy, big = shape["busy"], shape["big_chat"]
super_admin = loader.archive_user(env, "bench_viewer_super", "bench viewer super", "super")
scoped_admin = loader.scoped_admin(env, "bench_viewer_scoped", busy.department_ids)
cr.commit()


def one(query, *params):
    cr.execute(query, params)
    return cr.fetchone()


# -- what the timed calls look for, found as superuser --------------------------------------
(big_count,) = one("SELECT message_count FROM wecom_conversation WHERE id = %s", big)
depth = min(100_000, big_count * 5 // 6)
deep_id, deep_time, deep_seq = one(
    """SELECT id, msgtime, seq FROM wecom_message WHERE conversation_id = %s
        ORDER BY msgtime DESC, seq DESC OFFSET %s LIMIT 1""",
    big,
    depth - 1,
)
deep_cursor = [deep_time.isoformat(sep=" "), deep_seq]  # the depth-th newest, exclusive
cr.execute(
    """SELECT c.kind, count(*) FROM wecom_conversation c
         JOIN wecom_conversation_member_rel r ON r.wecom_conversation_id = c.id
        WHERE r.wecom_member_id = %s GROUP BY c.kind""",
    [busy.id],
)
chats_of_busy = dict(cr.fetchall())
(busy_messages,) = one(
    "SELECT count(*) FROM wecom_message_member_rel WHERE wecom_member_id = %s", busy.id
)
counts = {
    table: one(f"SELECT count(*) FROM {table}")[0]
    for table in (
        "wecom_message",
        "wecom_conversation",
        "wecom_member",
        "wecom_contact",
        "wecom_group",
        "wecom_violation",
        "wecom_message_member_rel",
    )
}
scope = scoped_admin.wecom_scope_all_member_ids
in_scope = env["wecom.message"].with_user(scoped_admin).search_count([])

print(
    f"BENCH viewer data: {counts['wecom_message']} messages, loaded at the pipeline's shape "
    f"with SQL (bench/loader.py) and vacuumed: {counts['wecom_conversation']} chats, "
    f"{counts['wecom_member']} members in {loader.DEPARTMENTS} departments, "
    f"{counts['wecom_contact']} customers, {counts['wecom_group']} groups, "
    f"{counts['wecom_violation']} violations, "
    f"{counts['wecom_message_member_rel']} message-member links"
)
print(
    f"BENCH viewer load: {load_s + vacuum_s:.1f} s (SQL {load_s:.1f} s, VACUUM ANALYZE "
    f"{vacuum_s:.1f} s; messages {shape['timings']['messages']:.1f} s, links and counts "
    f"{shape['timings']['links']:.1f} s)"
)
print(f"BENCH viewer big chat: {big_count} messages (one customer group, 8 members)")
print(
    f"BENCH viewer busiest employee: {sum(chats_of_busy.values())} chats "
    f"({chats_of_busy.get('external', 0)} external, {chats_of_busy.get('internal', 0)} "
    f"internal, {chats_of_busy.get('group', 0)} group), {busy_messages} messages"
)
print(f"BENCH viewer scoped admin's scope: 1 department, {len(scope)} members, {in_scope} messages")

# -- the viewer's reads, timed as each user ------------------------------------------------
WORDS = (
    ("rare, 2 characters", "返点", True),
    ("rare, 4 characters", "私下转账", True),
    ("common, 2 characters", loader.COMMON[0], False),
    ("common, 4 characters", loader.COMMON[1], False),
)
PAGE_MS, SEARCH_MS, STATS_MS, SPEEDUP = 50, 300, 200, 10
ROLES = (("super admin", super_admin), ("scoped admin", scoped_admin))


def reads(user):
    """(what, call, goal in ms, naive way's key, speed-up goal, answer to check) of every
    read of the viewer, as ``user``."""
    Viewer = env["wecom.viewer"].with_user(user)
    Message = env["wecom.message"].with_user(user)
    yield "employee list, first page", Viewer.employees, PAGE_MS, None, None, None
    for kind in ("external", "internal", "group"):
        call = functools.partial(Viewer.chats, busy.id, kind)
        yield f"busiest employee's {kind} chats, first page", call, PAGE_MS, None, None, None
    call = functools.partial(Viewer.thread, big, busy.id)
    yield "big chat, newest page", call, PAGE_MS, None, None, None
    call = functools.partial(Viewer.thread, big, busy.id, cursor=deep_cursor)
    ids = sorted(m["id"] for m in call()["messages"])
    yield f"big chat, a page {depth} messages deep (cursor)", call, PAGE_MS, "page", SPEEDUP, ids
    call = functools.partial(Viewer.context, deep_id, busy.id)
    yield "context of a message deep in the big chat", call, PAGE_MS, None, None, None
    call = functools.partial(Viewer.panel, big, busy.id)
    yield "big chat's side panel", call, PAGE_MS, None, None, None
    for label, word, rare in WORDS:
        call = functools.partial(Message.search_messages, word)
        ids = [r["id"] for r in call()["results"]]
        yield f"search {label} ({word})", call, SEARCH_MS, word, rare and SPEEDUP, ids
    call = functools.partial(Viewer.employee_stats, busy.id)
    yield "busiest employee's statistics", call, STATS_MS, "stats", SPEEDUP, call()


rss_before = loader.rss_mb()
measured = []
for role, user in ROLES:
    for what, call, *rest in reads(user):
        measured.append((role, what, loader.timed(env, call), *rest))
rss_after = loader.rss_mb()


# -- the naive ways, measured after (their ORM reads would blur the memory figure) ----------
def naive_page():
    cr.execute(
        """SELECT id, seq, msgid, msgtime, msgtype, sender, body, state, error, recalled,
                  corp_id, conversation_id, sdkfileid
             FROM wecom_message WHERE conversation_id = %s
            ORDER BY msgtime DESC, seq DESC OFFSET %s LIMIT 40""",
        [big, depth],
    )
    return cr.fetchall()


def naive_search(word):
    cr.execute(
        "SELECT id FROM wecom_message WHERE text ILIKE %s ORDER BY msgtime DESC LIMIT 50",
        [f"%{word}%"],
    )
    return cr.fetchall()


def naive_stats(user):
    """The statistics computed record by record with the ORM: each of the member's chats
    read (message_count, kind), its messages read and their violations counted."""
    Violation = env["wecom.violation"].with_user(user)
    member = env["wecom.member"].with_user(user).browse(busy.id)
    chats = env["wecom.conversation"].with_user(user).search([("member_ids", "in", busy.id)])
    stats = dict.fromkeys(("messages", "groups", "private_chats", "violations"), 0)
    stats["customers"] = len(member.follow_ids.filtered(lambda f: f.state == "current"))
    for chat in chats:
        stats["messages"] += chat.message_count
        stats["groups"] += chat.kind == "group"
        stats["private_chats"] += chat.kind == "external"
        stats["violations"] += Violation.search_count([("message_id", "in", chat.message_ids.ids)])
    return stats


# (p50, p95), runs, name and answer of each naive way; the SQL ones are the same for both
# users, the ORM statistics are computed as each user
naive = {"page": (loader.timed(env, naive_page), 20, "OFFSET", sorted(r[0] for r in naive_page()))}
# Unindexed: a sequential scan of the text column, index and bitmap scans off (neither the
# bigram GIN nor the trigram GIN, nor walking the msgtime index).
cr.execute("SET enable_indexscan = off")
cr.execute("SET enable_bitmapscan = off")
for _label, word, _rare in WORDS:
    figures = loader.timed(env, functools.partial(naive_search, word), runs=10, warmups=1)
    naive[word] = (figures, 10, "unindexed ILIKE", [row[0] for row in naive_search(word)])
cr.execute("RESET enable_indexscan")
cr.execute("RESET enable_bitmapscan")
for role, user in ROLES:
    figures = loader.timed(env, functools.partial(naive_stats, user), runs=5, warmups=1)
    naive[role, "stats"] = (figures, 5, "per-record ORM", naive_stats(user))
hits = {
    word: one("SELECT count(*) FROM wecom_message WHERE text LIKE %s", f"%{word}%")[0]
    for _label, word, _rare in WORDS
}

# -- the figures ----------------------------------------------------------------------------
missed = []
for role, what, (p50, p95), goal_ms, against, speedup_goal, answer in measured:
    goals, met, extra = [f"goal ≤ {goal_ms} ms"], p95 <= goal_ms, ""
    if against:
        (n50, n95), runs, name, expected = naive.get((role, against)) or naive[against]
        ratio = n95 / p95
        times = f"{ratio:.0f}×" if ratio >= 10 else f"{ratio:.1f}×"
        extra = f"; naive {name}: {n95:.1f} ms p95, {n50:.1f} ms p50 ({runs} runs), {times}"
        if speedup_goal:
            goals.append(f"≥ {speedup_goal}×")
            met = met and ratio >= speedup_goal
        if against in hits:
            extra += f"; {hits[against]} hits"
        if against == "stats":
            extra += f"; {answer}"
        # the same answer (a scoped admin's search finds only the scope's messages)
        if answer != expected and (role == "super admin" or against not in hits):
            extra += f"; NOT what the naive way answers: {expected}"
    if not met:
        missed.append(f"{role}: {what}")
    print(
        f"BENCH viewer {role}, {what} p95: {p95:.1f} ms (p50 {p50:.1f} ms{extra}; "
        f"{' and '.join(goals)}: {'met' if met else 'MISSED'})"
    )
print(f"BENCH viewer worker RSS before the timed runs: {rss_before:.0f} MB")
print(
    f"BENCH viewer worker RSS after the timed runs: {rss_after:.0f} MB "
    f"({rss_after - rss_before:+.0f} MB)"
)
verdict = "all met" if not missed else "MISSED: " + "; ".join(missed)
print(f"BENCH viewer goals (set for 1,000,000 messages): {verdict}")
print(f"BENCH viewer bench wall time: {time.perf_counter() - bench_started:.0f} s")
cr.rollback()
