# ruff: noqa: F821 (odoo shell provides env)
"""数据报表 (wecom.dashboard.dashboard) at a tenth of WECOM_BENCH_DASHBOARD_MESSAGES messages
(default 1,000,000) and at all of them, in one database: the data set of bench/loader.py
(load_viewer: 1,000 members in 20 departments, 23,000 chats, a message every 30 seconds: a
year of a million) loaded first one message in ten, over the same year, then grown to the
whole (grow_viewer): the same months, ten times the traffic. At each size, the loaded tables
vacuumed as autovacuum would, the statistics of the 180 days the dashboard reads written by
the rebuild job (wecom.stat.rebuild, a week per transaction, timed), then vacuumed too.

Timed as a super admin, as an archive admin whose scope is the busiest member's department,
and as the super admin filtering on that department (real users: record rules apply): the
whole screen — the KPIs of the last 90 days beside the 90 days before, the trend, the four
rankings and the filter options — p50/p95 of 20 runs after 3 warm-ups, the ORM's cache emptied
before each run. Beside it, the same figures where one query can give them (messages and
violations per day, active employees and customers, of both periods) computed from the message
table directly, their answer checked against the dashboard's. Last, each p95 at the full size
over the one at a tenth, beside the same ratio of the statistics' rows: the dashboard's follows
the members' and chats' active days it reads (at most members × days and chats × days: at a
tenth of the traffic most members are idle most days), the message table's the messages.

Then the archive grown by its history rather than its traffic, the case "cheap at any size"
means most: a second corp of the same shape, its messages over HISTORY_DAYS days (a message
every 155 seconds at a million, ending before the first data set's days: no statistics read
twice), its newest tenth loaded first (the last 180 days or so), then the older rest
(grow_viewer): ten times the history, the same traffic per day. Measured the same way at both
sizes, with its own scoped admin (the super admin's filter options list both corps' employees,
at both sizes); the dashboard reads the same rows at both, so its p95 should not move (the
ratio of the statistics' rows read is printed beside).
The message-table figures read the same 180 days by msgtime too: their ratio is printed as
measured, the contrast that matters being the two ways at the same size.
Run inside `odoo shell`, in the repository's root (it imports bench/loader.py as
bench.loader).
"""

import functools
import os
import time
from datetime import datetime, timedelta

from bench import loader
from odoo.addons.wecom_archive.lib.stats import NOT_COUNTED_TYPES, day_bounds, local_day

DAYS = 90
GOAL_MS = 300
SAMPLE = 10  # the first size: one message in SAMPLE, or the newest tenth of the history
HISTORY_DAYS = 1800  # the history scenario's days at the full size
STAT_TABLES = ("wecom_stat_chat_day", "wecom_stat_member_day")
messages = int(os.environ.get("WECOM_BENCH_DASHBOARD_MESSAGES", 1_000_000))
cr = env.cr
started = time.perf_counter()
shape = loader.load_viewer(env, messages, every=SAMPLE)
cr.commit()
corp, busy = shape["corp"], shape["busy"]
tz = corp._stat_tz()
super_admin = loader.archive_user(env, "bench_dashboard_super", "bench dashboard super", "super")
scoped_admin = loader.scoped_admin(env, "bench_dashboard_scoped", busy.department_ids)
cr.commit()
department = {"department_ids": busy.department_ids.ids}
CALLS = (
    ("super admin", super_admin, {}),
    ("scoped admin", scoped_admin, {}),
    ("super admin, one department", super_admin, department),
)


def rebuild_statistics(corp):
    """``corp``'s statistics of the dashboard's days — the range and the period before (the
    rebuild takes the wait a chat carries in from its last day before, none here) — as the
    rebuild job writes them, a chunk per transaction. Returns (first, last) day."""
    cr.execute("SELECT min(msgtime), max(msgtime) FROM wecom_message WHERE corp_id = %s", [corp.id])
    first, last = (local_day(moment, tz) for moment in cr.fetchone())
    job = env["wecom.stat.rebuild"].create(
        {
            "corp_id": corp.id,
            "date_from": max(first, last - timedelta(days=2 * DAYS - 1)),
            "date_to": last,
        }
    )
    cr.commit()
    while job._run_chunk():
        cr.commit()
    cr.commit()
    return first, last


def from_messages(corp, date_from, date_to):
    """Messages and violations per day, active employees, customers who wrote (per chat and
    day), of both periods, read from ``corp``'s messages (as superuser: no scope), in one
    query per figure."""
    previous_from = date_from - timedelta(days=DAYS)
    lo, hi = day_bounds(previous_from, tz)[0], day_bounds(date_to, tz)[1]
    middle = day_bounds(date_from, tz)[0]
    local = "((m.msgtime AT TIME ZONE 'UTC') AT TIME ZONE %(tz)s)::date"
    counted = """m.corp_id = %(corp)s AND m.msgtime >= %(lo)s AND m.msgtime < %(hi)s
                 AND m.state = 'done' AND m.action = 'send' AND m.conversation_id IS NOT NULL
                 AND COALESCE(m.msgtype, '') NOT IN %(not_counted)s"""
    params = {
        "corp": corp.id,
        "lo": lo,
        "hi": hi,
        "middle": middle,
        "date_from": date_from,
        "tz": tz,
        "not_counted": NOT_COUNTED_TYPES,
    }
    cr.execute(f"SELECT {local}, count(*) FROM wecom_message m WHERE {counted} GROUP BY 1", params)
    per_day = dict(cr.fetchall())
    cr.execute(
        f"""SELECT {local}, count(*) FROM wecom_violation v
              JOIN wecom_message m ON m.id = v.message_id
              JOIN wecom_member mem ON mem.corp_id = m.corp_id AND mem.userid = m.sender
             WHERE {counted} GROUP BY 1""",
        params,
    )
    violations = dict(cr.fetchall())
    cr.execute(
        f"""SELECT count(DISTINCT mem.id) FILTER (WHERE m.msgtime >= %(middle)s),
                   count(DISTINCT mem.id) FILTER (WHERE m.msgtime < %(middle)s)
              FROM wecom_message m
              JOIN wecom_member mem ON mem.corp_id = m.corp_id AND mem.userid = m.sender
             WHERE {counted}""",
        params,
    )
    members = cr.fetchone()
    cr.execute(
        f"""SELECT count(*) FILTER (WHERE day >= %(date_from)s),
                   count(*) FILTER (WHERE day < %(date_from)s)
              FROM (SELECT DISTINCT m.conversation_id, {local} AS day
                      FROM wecom_message m JOIN wecom_conversation c ON c.id = m.conversation_id
                     WHERE {counted} AND c.kind = 'external'
                       AND (m.sender LIKE 'wm%%' OR m.sender LIKE 'wo%%')) customer_days""",
        params,
    )
    customers = cr.fetchone()
    return {
        "messages": (
            sum(n for day, n in per_day.items() if day >= date_from),
            sum(n for day, n in per_day.items() if day < date_from),
        ),
        "violations": (
            sum(n for day, n in violations.items() if day >= date_from),
            sum(n for day, n in violations.items() if day < date_from),
        ),
        "active_members": members,
        "active_customers": customers,
    }


def measure(size, corp=corp, calls=CALLS, label=""):
    """``corp``'s statistics rebuilt, then the dashboard as each user of ``calls`` and the
    figures from its message table, at the data set's current size; ``label`` after
    "BENCH dashboard " in each line. Returns {role or "messages": (p50, p95)}, the
    statistics' rows of the days read {table: rows} and the days of the messages (first,
    last)."""
    loader.vacuum_analyze(cr, loader.VIEWER_TABLES)
    rebuilding = time.perf_counter()
    first, last = rebuild_statistics(corp)
    built = time.perf_counter()
    loader.vacuum_analyze(cr, STAT_TABLES)
    date_to = last
    date_from = date_to - timedelta(days=DAYS - 1)
    previous_from = date_from - timedelta(days=DAYS)
    rows = {}
    for table in ("wecom_message", "wecom_violation"):
        cr.execute(f"SELECT count(*) FROM {table} WHERE corp_id = %s", [corp.id])
        rows[table] = cr.fetchone()[0]
    # the statistics of the days read (another corp's, if any, are of other days)
    for table in STAT_TABLES:
        cr.execute(
            f"SELECT count(*) FROM {table} WHERE day BETWEEN %s AND %s", [previous_from, date_to]
        )
        rows[table] = cr.fetchone()[0]
    print(
        f"BENCH dashboard {label}data at {size:,} messages: {rows['wecom_message']} messages from "
        f"{first} to {last}, {rows['wecom_violation']} violations; statistics of "
        f"{previous_from} to {date_to}: {rows['wecom_stat_chat_day']} chats' days, "
        f"{rows['wecom_stat_member_day']} members' days, rebuilt in {built - rebuilding:.1f} s "
        f"(the rebuild job, a week per transaction)"
    )
    figures_ms, answers = {}, {}
    for role, user, filters in calls:
        call = functools.partial(
            env["wecom.dashboard"].with_user(user).dashboard,
            date_from.isoformat(),
            date_to.isoformat(),
            **filters,
        )
        figures_ms[role] = p50, p95 = loader.timed(env, call)
        answers[role] = {kpi["key"]: (kpi["value"], kpi["previous"]) for kpi in call()["kpis"]}
        verdict = "ok" if p95 <= GOAL_MS else "OVER"
        print(
            f"BENCH dashboard {label}{DAYS} days at {size:,} messages, {role}: p50 {p50:.0f} ms, "
            f"p95 {p95:.0f} ms (goal p95 <= {GOAL_MS} ms: {verdict})"
        )
    print(
        f"BENCH dashboard {label}KPIs at {size:,}, super admin (range, previous): "
        f"{answers['super admin']}"
    )
    print(
        f"BENCH dashboard {label}KPIs at {size:,}, scoped admin (range, previous): "
        f"{answers['scoped admin']}"
    )
    direct = functools.partial(from_messages, corp, date_from, date_to)
    figures_ms["messages"] = p50, p95 = loader.timed(env, direct, runs=5, warmups=1)
    figures = direct()
    same = all(tuple(answers["super admin"][key]) == tuple(value) for key, value in figures.items())
    print(
        f"BENCH dashboard {label}figures from the message table at {size:,} messages "
        f"({', '.join(figures)}, both periods): p50 {p50:.0f} ms, p95 {p95:.0f} ms "
        f"(5 runs); the same as the dashboard's: {same}"
    )
    return figures_ms, {table: rows[table] for table in STAT_TABLES}, (first, last)


def p95_ratios(small, full):
    """Each p95 at the larger size over the one at the smaller, by role."""
    return ", ".join(f"{role} {full[role][1] / small[role][1]:.2f}" for role, *_ in CALLS)


small, small_rows, _days = measure(messages // SAMPLE)
growing = time.perf_counter()
loader.grow_viewer(env, shape)
cr.commit()
print(
    f"BENCH dashboard data grown to {messages:,} messages in {time.perf_counter() - growing:.0f} s"
)
full, full_rows, _days = measure(messages)
print(
    f"BENCH dashboard p95 at {messages:,} over {messages // SAMPLE:,} messages: "
    f"{p95_ratios(small, full)} (flat: close to 1); from the message table: "
    f"{full['messages'][1] / small['messages'][1]:.2f}; "
    f"the statistics' rows of the days read: members' days "
    f"{full_rows['wecom_stat_member_day'] / small_rows['wecom_stat_member_day']:.2f}, chats' days "
    f"{full_rows['wecom_stat_chat_day'] / small_rows['wecom_stat_chat_day']:.2f}"
)

# The archive grown by its history: a second corp, the same traffic per day, its newest
# tenth loaded first (the last HISTORY_DAYS / SAMPLE days), then the older rest.
spacing = HISTORY_DAYS * 86400 // messages
history_end = datetime(2024, 12, 1)  # before the first data set's days: none read twice
loading = time.perf_counter()
history = loader.load_viewer(
    env,
    messages,
    newest=messages // SAMPLE,
    spacing=spacing,
    start=(history_end - timedelta(seconds=spacing * messages)).isoformat(),
    corpid="wwbenchhistory01",
)
cr.commit()
history_busy = history["busy"]
history_scoped = loader.scoped_admin(
    env, "bench_dashboard_history_scoped", history_busy.department_ids
)
cr.commit()
history_calls = (
    ("super admin", super_admin, {}),
    ("scoped admin", history_scoped, {}),
    (
        "super admin, one department",
        super_admin,
        {"department_ids": history_busy.department_ids.ids},
    ),
)
print(
    f"BENCH dashboard history: a second corp, a message every {spacing} s, its newest "
    f"{messages // SAMPLE:,} loaded in {time.perf_counter() - loading:.0f} s"
)


def summary(size, figures_ms, rows, days):
    """One line: the size and its days, each role's p50/p95, the message table's."""
    spans = (days[1] - days[0]).days + 1
    timings = "; ".join(
        f"{role} p50 {figures_ms[role][0]:.0f} ms, p95 {figures_ms[role][1]:.0f} ms"
        for role, *_ in CALLS
    )
    print(
        f"BENCH dashboard history {size} msgs ({spans} days): {timings}; statistics rows read "
        f"{sum(rows.values())}; message table p50 {figures_ms['messages'][0]:.0f} ms, "
        f"p95 {figures_ms['messages'][1]:.0f} ms"
    )


history_corp = history["corp"]
recent, recent_rows, recent_days = measure(
    messages // SAMPLE, history_corp, history_calls, "history "
)
growing = time.perf_counter()
loader.grow_viewer(env, history)
cr.commit()
print(
    f"BENCH dashboard history grown to {messages:,} messages (the older days) in "
    f"{time.perf_counter() - growing:.0f} s"
)
whole, whole_rows, whole_days = measure(messages, history_corp, history_calls, "history ")
summary(messages // SAMPLE, recent, recent_rows, recent_days)
summary(messages, whole, whole_rows, whole_days)
super_p95, scoped_p95, department_p95 = (whole[role][1] / recent[role][1] for role, *_ in CALLS)
print(
    f"BENCH dashboard history p95 ratio {messages // 1000:,}k/{messages // SAMPLE // 1000:,}k: "
    f"super {super_p95:.2f}, scoped {scoped_p95:.2f}, department {department_p95:.2f} "
    f"(statistics rows read: ratio {sum(whole_rows.values()) / sum(recent_rows.values()):.2f}); "
    f"message table: ratio {whole['messages'][1] / recent['messages'][1]:.2f} (flat: close to 1)"
)
print(f"BENCH dashboard whole bench: {time.perf_counter() - started:.0f} s")
