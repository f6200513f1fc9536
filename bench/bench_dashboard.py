# ruff: noqa: F821 (odoo shell provides env)
"""数据报表 (wecom.dashboard.dashboard) on WECOM_BENCH_DASHBOARD_MESSAGES messages (default
1,000,000) loaded at the pipeline's shape by bench/loader.py (load_viewer: 1,000 members in 20
departments, 23,000 chats, a message every 30 seconds: a year of a million), the statistics
of the 180 days the dashboard reads written by the rebuild job (wecom.stat.chat.day._rebuild, a
month at a time), all vacuumed.

Timed as a super admin, as an archive admin whose scope is the busiest member's department,
and as the super admin filtering on that department (real users: record rules apply): the
whole screen — the KPIs of the last 90 days beside the 90 days before, the trend, the four
rankings and the filter options — p50/p95 of 20 runs after 3 warm-ups, the ORM's cache emptied
before each run. Beside it, the same figures where one query can give them (messages and
violations per day, active employees and customers, of both periods) computed from the message
table directly, their answer checked against the dashboard's. Run inside `odoo shell`, in the
repository's root (it imports bench/loader.py as bench.loader).
"""

import functools
import os
import time
from datetime import timedelta

from bench import loader
from odoo import Command
from odoo.addons.wecom_archive.lib.stats import NOT_COUNTED_TYPES, day_bounds, local_day

DAYS = 90
GOAL_MS = 300
messages = int(os.environ.get("WECOM_BENCH_DASHBOARD_MESSAGES", 1_000_000))
cr = env.cr
started = time.perf_counter()
shape = loader.load_viewer(env, messages)
cr.commit()
loaded = time.perf_counter()

# -- the statistics, as the rebuild job writes them ----------------------------------------
corp, busy = shape["corp"], shape["busy"]
tz = corp._stat_tz()
cr.execute("SELECT min(msgtime), max(msgtime) FROM wecom_message WHERE corp_id = %s", [corp.id])
first, last = (local_day(moment, tz) for moment in cr.fetchone())
# the days the dashboard reads: the range and the period before (the rebuild takes the
# wait a chat carries in from its last day before, none here)
day = max(first, last - timedelta(days=2 * DAYS - 1))
while day <= last:
    end = min(day + timedelta(days=29), last)
    env["wecom.stat.chat.day"]._rebuild(corp, day, end)
    cr.commit()
    day = end + timedelta(days=1)
built = time.perf_counter()
STAT_TABLES = ("wecom_stat_chat_day", "wecom_stat_member_day")
loader.vacuum_analyze(cr, (*loader.VIEWER_TABLES, *STAT_TABLES))
vacuumed = time.perf_counter()

super_admin = loader.archive_user(env, "bench_dashboard_super", "bench dashboard super", "super")
scoped_admin = loader.archive_user(
    env,
    "bench_dashboard_scoped",
    "bench dashboard scoped",
    "admin",
    wecom_scope_department_ids=[Command.set(busy.department_ids.ids)],
)
cr.commit()
date_to = last
date_from = date_to - timedelta(days=DAYS - 1)
previous_from = date_from - timedelta(days=DAYS)
rows = {}
for table in ("wecom_message", "wecom_violation", *STAT_TABLES):
    cr.execute(f"SELECT count(*) FROM {table}")
    rows[table] = cr.fetchone()[0]
print(
    f"BENCH dashboard data: {rows['wecom_message']} messages from {first} to {last}, "
    f"{rows['wecom_violation']} violations; statistics of {previous_from} to {date_to}: "
    f"{rows['wecom_stat_chat_day']} chats' days, {rows['wecom_stat_member_day']} members' days"
)
print(
    f"BENCH dashboard load: messages {loaded - started:.1f} s, statistics (rebuild) "
    f"{built - loaded:.1f} s, VACUUM ANALYZE {vacuumed - built:.1f} s"
)

# -- the dashboard, as each user -----------------------------------------------------------
department = {"department_ids": busy.department_ids.ids}
CALLS = (
    ("super admin", super_admin, {}),
    ("scoped admin", scoped_admin, {}),
    ("super admin, one department", super_admin, department),
)
answers = {}
for role, user, filters in CALLS:
    call = functools.partial(
        env["wecom.dashboard"].with_user(user).dashboard,
        date_from.isoformat(),
        date_to.isoformat(),
        **filters,
    )
    p50, p95 = loader.timed(env, call)
    answers[role] = {kpi["key"]: (kpi["value"], kpi["previous"]) for kpi in call()["kpis"]}
    verdict = "ok" if p95 <= GOAL_MS else "OVER"
    print(
        f"BENCH dashboard {DAYS} days, {role}: p50 {p50:.0f} ms, p95 {p95:.0f} ms "
        f"(goal p95 <= {GOAL_MS} ms: {verdict})"
    )
print(f"BENCH dashboard KPIs, super admin (range, previous period): {answers['super admin']}")
print(f"BENCH dashboard KPIs, scoped admin (range, previous period): {answers['scoped admin']}")


# -- the same figures from the message table ----------------------------------------------
def from_messages():
    """Messages and violations per day, active employees, customers who wrote (per chat and
    day), of both periods, read from the messages (as superuser: no scope), in one query per
    figure."""
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
    current = [day for day in per_day if day >= date_from]
    return {
        "messages": (
            sum(per_day[day] for day in current),
            sum(n for day, n in per_day.items() if day < date_from),
        ),
        "violations": (
            sum(n for day, n in violations.items() if day >= date_from),
            sum(n for day, n in violations.items() if day < date_from),
        ),
        "active_members": members,
        "active_customers": customers,
    }


p50, p95 = loader.timed(env, from_messages, runs=5, warmups=1)
direct = from_messages()
same = all(tuple(answers["super admin"][key]) == tuple(value) for key, value in direct.items())
print(
    f"BENCH dashboard figures from the message table ({', '.join(direct)}, both periods): "
    f"p50 {p50:.0f} ms, p95 {p95:.0f} ms (5 runs); the same as the dashboard's: {same}"
)
print(f"BENCH dashboard whole bench: {time.perf_counter() - started:.0f} s")
