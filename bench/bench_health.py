# ruff: noqa: F821 (odoo shell provides env)
"""存档健康 (wecom.health.health) on WECOM_BENCH_HEALTH_MESSAGES messages (default 1,000,000)
loaded at the pipeline's shape by bench/loader.py (load_viewer), with what goes wrong planted
in SQL the way the pipeline leaves it: 0.1 % of the messages waiting for key version 3 and
0.05 % malformed (no body, no member links: nobody's yet), 0.1 % of the messages' media
failed, 2 % of the customers refusing archiving. The statistics of the data's last 30 days
are written by the rebuild job and moved to the last 30 days before today, the days the
screen reads. All vacuumed.

Timed as a super admin and as an archive admin whose scope is the busiest member's
department (real users: record rules apply): the whole screen, p50/p95 of 20 runs after 3
warm-ups, the ORM's cache emptied before each run; each count checked against the planted
rows. Run inside `odoo shell`, in the repository's root (it imports bench/loader.py as
bench.loader).
"""

import os
import time
from datetime import timedelta

from bench import loader
from odoo import fields
from odoo.addons.wecom_archive.lib.stats import local_day

GOAL_MS = 300
messages = int(os.environ.get("WECOM_BENCH_HEALTH_MESSAGES", 1_000_000))
cr = env.cr
started = time.perf_counter()
shape = loader.load_viewer(env, messages)
cr.commit()
loaded = time.perf_counter()
corp, busy = shape["corp"], shape["busy"]
tz = corp._stat_tz()

# -- the statistics of the last 30 days, moved to the days the screen reads -------------------
cr.execute("SELECT max(msgtime) FROM wecom_message WHERE corp_id = %s", [corp.id])
last = local_day(cr.fetchone()[0], tz)
env["wecom.stat.chat.day"]._rebuild(corp, last - timedelta(days=29), last)
shift = (local_day(fields.Datetime.now(), tz) - last).days
for table in ("wecom_stat_chat_day", "wecom_stat_member_day"):
    cr.execute(f"UPDATE {table} SET day = day + %s WHERE day >= %s", [shift, last - timedelta(29)])
cr.commit()
built = time.perf_counter()

# -- what went wrong ---------------------------------------------------------------------------
cr.execute(
    """UPDATE wecom_message
          SET state = CASE WHEN id %% 1000 = 0 THEN 'no_key' ELSE 'parse_error' END,
              publickey_ver = CASE WHEN id %% 1000 = 0 THEN 3 ELSE publickey_ver END,
              error = CASE WHEN id %% 1000 = 0 THEN 'no private key for key version 3'
                           ELSE 'malformed JSON: Expecting value' END,
              body = NULL, conversation_id = NULL
        WHERE corp_id = %s AND (id %% 1000 = 0 OR id %% 2000 = 1) RETURNING state""",
    [corp.id],
)
states = [state for (state,) in cr.fetchall()]
waiting, malformed = states.count("no_key"), states.count("parse_error")
cr.execute(
    """DELETE FROM wecom_message_member_rel r USING wecom_message m
        WHERE m.id = r.wecom_message_id AND m.state != 'done'"""
)
cr.execute(
    """DELETE FROM wecom_message_department_rel r USING wecom_message m
        WHERE m.id = r.wecom_message_id AND m.state != 'done'"""
)
cr.execute(
    """UPDATE wecom_message SET media_state = 'failed', media_error = 'SDK error 10005'
        WHERE corp_id = %s AND state = 'done' AND id %% 1000 = 500 RETURNING id""",
    [corp.id],
)
media_failed = len(cr.fetchall())
cr.execute(
    """UPDATE wecom_contact SET consent_status = 'disagree'
        WHERE corp_id = %s AND id %% 50 = 0 RETURNING id""",
    [corp.id],
)
refused = len(cr.fetchall())
cr.commit()
env.invalidate_all()
loader.vacuum_analyze(cr, (*loader.VIEWER_TABLES, "wecom_stat_chat_day", "wecom_stat_member_day"))
vacuumed = time.perf_counter()
print(
    f"BENCH health data: {messages} messages, {waiting} waiting for a key, {malformed} "
    f"malformed, {media_failed} media failed, {refused} customers refused archiving"
)
print(
    f"BENCH health load: messages {loaded - started:.1f} s, statistics (rebuild) "
    f"{built - loaded:.1f} s, planting and VACUUM ANALYZE {vacuumed - built:.1f} s"
)

super_admin = loader.archive_user(env, "bench_health_super", "bench health super", "super")
scoped_admin = loader.scoped_admin(env, "bench_health_scoped", busy.department_ids)
cr.commit()

for role, user in (("super admin", super_admin), ("scoped admin", scoped_admin)):
    Health = env["wecom.health"].with_user(user)
    p50, p95 = loader.timed(env, lambda Health=Health: Health.health(corp.id))
    result = Health.health(corp.id)["corp"]
    figures = (
        result["messages"]["no_key"],
        result["messages"]["parse_error"],
        result["media"]["failed"],
        result["refused"]["total"],
        sum(point["messages"] for point in result["daily"]),
    )
    verdict = "ok" if p95 <= GOAL_MS else "OVER"
    print(
        f"BENCH health, {role}: p50 {p50:.0f} ms, p95 {p95:.0f} ms (goal p95 <= {GOAL_MS} ms: "
        f"{verdict}); waiting, malformed, media failed, refused, messages in 30 days: {figures}"
    )
    if role == "super admin":
        assert figures[:4] == (waiting, malformed, media_failed, refused), figures

# -- where the time goes: each part of the screen, as the super admin -------------------------
Health = env["wecom.health"].with_user(super_admin)
corp_as_user = corp.with_user(super_admin)
now = fields.Datetime.now()
parts = {
    "scope": lambda: Health._scope(corp_as_user, False),
    "daily": lambda: Health._daily(corp_as_user, now),
    "pull": lambda: Health._pull_state(corp_as_user, now),
    "messages": lambda: Health._messages(corp_as_user),
    "media": lambda: Health._media(corp_as_user),
    "refused": lambda: Health._refused(corp_as_user),
}
print(
    "BENCH health parts, super admin (p50 ms): "
    + ", ".join(f"{name} {loader.timed(env, part)[0]:.0f}" for name, part in parts.items())
)
