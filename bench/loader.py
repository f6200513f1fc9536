"""What the benchmarks run inside `odoo shell` share (bench_scope, bench_search, bench_viewer):
their data loaded at the pipeline's shape with set-based SQL and vacuumed as autovacuum would,
the users they read as, and the timing. Imported as ``bench.loader``: scripts/bench.sh runs
odoo shell in the repository's root.

The pull's own rate is measured by bench_pipeline.py; a million messages through it would take
ten minutes for nothing these benches look at, so they write what it writes, row for row.
"""

import contextlib
import random
import statistics
import time

import psycopg2

from odoo import Command, sql_db
from odoo.addons.wecom_archive.native.corpus import phrases

# The two words search benches plant in a few messages, and the common ones they look for.
RARE = {"返点": 20, "私下转账": 20}  # planted in this many messages each
COMMON = ("好的", "已经发出")


def chat_lines():
    """The generator's chat lines, without the rare words (planted apart)."""
    return sorted(
        {
            line
            for kind in phrases.DIALOGS.values()
            for dialog in kind
            for line in dialog
            if not any(word in line for word in RARE)
        }
        | set(phrases.SALES_LINES)
        | set(phrases.SERVICE_LINES)
    )


def rare_seqs(messages, count, planted):
    """The ``count`` message numbers a rare word is planted in, spread over the period."""
    return [1 + (k * messages) // count + planted for k in range(count)]


def vacuum_analyze(cr, tables):
    """What autovacuum does to tables that stop growing: visibility map and statistics
    (VACUUM cannot run in a transaction: a connection of its own)."""
    _name, dsn = sql_db.connection_info_for(cr.dbname)
    with contextlib.closing(psycopg2.connect(**dsn)) as connection:
        connection.autocommit = True
        with connection.cursor() as vacuum:
            for table in tables:
                vacuum.execute(f"VACUUM ANALYZE {table}")


def archive_user(env, login, name, group, **values):
    """A real user (not the superuser: record rules apply) in the archive group ``group``
    (``super`` or ``admin``)."""
    return env["res.users"].create(
        {
            "name": name,
            "login": login,
            "groups_id": [Command.set(env.ref(f"wecom_archive.group_wecom_archive_{group}").ids)],
            **values,
        }
    )


def scoped_admin(env, login, departments):
    """An archive admin whose scope is ``departments`` (with their subdepartments); named
    after the login."""
    return archive_user(
        env,
        login,
        login.replace("_", " "),
        "admin",
        wecom_scope_department_ids=[Command.set(departments.ids)],
    )


def timed(env, call, runs=20, warmups=3):
    """(p50, p95) in ms of ``call()`` over ``runs`` runs after ``warmups``, the ORM's cache
    emptied before each run."""
    for _ in range(warmups):
        call()
    times = []
    for _ in range(runs):
        env.invalidate_all()
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[max(int(len(times) * 0.95) - 1, 0)]


def rss_mb():
    """This process's resident memory (VmRSS), in MB."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


# -- bench_scope and bench_search: 200 members, 2,000 chats of one member each -----------------
def flat_chats(env, name, corpid, departments=0):
    """A corp, 200 members (spread over ``departments`` departments, or in none) and 2,000
    external chats of one member each, linked to it as the pipeline links them.
    Returns (corp, departments, members, chat ids)."""
    cr = env.cr
    corp = env["wecom.corp"].create(
        {"name": name, "corpid": corpid, "sdk_library_path": "/nonexistent.so"}
    )
    depts = env["wecom.department"].create(
        [
            {"corp_id": corp.id, "department_id": n + 1, "name": f"部门{n}"}
            for n in range(departments)
        ]
    )
    members = env["wecom.member"].create(
        [
            {
                "corp_id": corp.id,
                "userid": f"member{n:03d}",
                "name": f"员工{n}",
                **({"department_ids": [Command.set(depts[n % departments].ids)]} if depts else {}),
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
    return corp, depts, members, chats


def link_message_members(cr, corp):
    """Every message linked to the members of its chat, as the pipeline links them."""
    cr.execute(
        """INSERT INTO wecom_message_member_rel (wecom_message_id, wecom_member_id)
           SELECT m.id, r.wecom_member_id
             FROM wecom_message m
             JOIN wecom_conversation_member_rel r ON r.wecom_conversation_id = m.conversation_id
            WHERE m.corp_id = %s""",
        [corp.id],
    )


# -- bench_viewer: a company of 1,000 members, 23,000 chats, one busy group ---------------------
MEMBERS = 1000
DEPARTMENTS = 20
BUSY_EXTERNAL, OTHER_EXTERNAL = 3000, 17000  # 1:1 chats with a customer each
BUSY_INTERNAL, OTHER_INTERNAL = 600, 1400  # 1:1 chats between two members
GROUPS, BUSY_GROUPS = 1000, 500  # group chats; the busiest member is in the first 500
BIG_SHARE = 13  # of every 100 messages after the first of each chat, in the big group
VIOLATION_WORDS = ("私人微信", "回扣", "私账", "人话", "飞单")  # in RISKY_LINES, not in RARE


def _wecom_id(rng, prefix):
    """An id shaped like WeCom's: external_userid (wm…) or roomid (wr…), 32 characters."""
    return prefix + "".join(rng.choice(_ID_CHARS) for _ in range(30))


_ID_CHARS = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def load_viewer(
    env,
    messages,
    seed=20261125,
    every=1,
    newest=None,
    spacing=30,
    start="2025-01-01",
    corpid="wwbenchviewer001",
):
    """The chat viewer's data set, at the pipeline's shape: what _store_batch and _attach
    write (messages with sender, receivers, body and text, their member and department
    links, chats with their members, departments, counts and times), what the directory
    sync writes (members with names and departments, customers, followers, groups and their
    members) and what the keyword scan writes (a violation, with its offsets, for 1 % of the
    messages). Every chat has at least one message; then 13 % of the messages go to one
    busy customer group, the rest to the other chats, a few chats far busier than most.

    The busiest member, in the big group, has 4,100 chats: 3,000 with customers, 600 with
    colleagues and 500 groups. Returns a dict of what the bench needs to find again.

    The messages come one every ``spacing`` seconds from ``start`` (a UTC timestamp), in a
    corp of the id ``corpid`` (another one: a second data set beside the first, with its
    own members, chats and messages).

    ``every`` > 1: only the messages whose number is a multiple of it, at their times (a
    tenth, say, of the same months' traffic); ``newest``: only the last ``newest`` messages
    (the latest days of a longer history). grow_viewer then loads the rest."""
    cr = env.cr
    rng = random.Random(seed)
    corp = env["wecom.corp"].create(
        {
            "name": "bench viewer",
            "corpid": corpid,
            "sdk_library_path": "/nonexistent.so",
        }
    )
    company = corp.company_id.id
    kinds = ("销售", "客服", "市场", "技术支持")
    departments = env["wecom.department"].create(
        [
            {"corp_id": corp.id, "department_id": n + 2, "name": f"{kinds[n % 4]}{n // 4 + 1}部"}
            for n in range(DEPARTMENTS)
        ]
    )
    names = list(phrases.MANUAL_MEMBERS[:1])
    seen = set(names)
    while len(names) < MEMBERS:
        name = rng.choice(list(phrases.SURNAMES)) + "".join(
            rng.choice(list(phrases.GIVEN)) for _ in range(rng.choice((1, 2)))
        )
        if name not in seen:
            seen.add(name)
            names.append(name)
    members = env["wecom.member"].create(
        [
            {
                "corp_id": corp.id,
                "userid": phrases.userid(name, 0) + (str(n) if n else ""),
                "name": name,
                "department_ids": [Command.set(departments[n % DEPARTMENTS].ids)],
                "main_department_id": departments[n % DEPARTMENTS].id,
                "archive_status": "archiving",
                "wecom_status": "1",
            }
            for n, name in enumerate(names)
        ]
    )
    member_ids = members.ids
    userids = members.mapped("userid")
    dept_of = [departments[n % DEPARTMENTS].id for n in range(MEMBERS)]

    customers = BUSY_EXTERNAL + OTHER_EXTERNAL
    externals = [_wecom_id(rng, "wm") for _ in range(customers)]
    cr.execute(
        """INSERT INTO wecom_contact (corp_id, company_id, external_userid, name, contact_type,
                                      consent_status, session_status, follower_count,
                                      former_follower_count, create_uid, create_date,
                                      write_uid, write_date)
           SELECT %s, %s, e, n, '1', 'agree', 'active', 1, 0, %s, now() AT TIME ZONE 'UTC',
                  %s, now() AT TIME ZONE 'UTC'
             FROM unnest(%s::text[], %s::text[]) AS t(e, n)
           RETURNING external_userid, id""",
        [corp.id, company, env.uid, env.uid, externals, phrases.customer_names(rng, customers)],
    )
    contact_id = dict(cr.fetchall())
    contacts = [contact_id[e] for e in externals]

    # The chats: (key, kind, roomid, contact, group index, member indexes, contact indexes)
    plan = []
    for c in range(customers):
        member = 0 if c < BUSY_EXTERNAL else 1 + (c - BUSY_EXTERNAL) % (MEMBERS - 1)
        plan.append(("external", None, c, None, [member], [c]))
    pairs = [(0, m) for m in range(1, BUSY_INTERNAL + 1)]
    taken = set(pairs)
    while len(pairs) < BUSY_INTERNAL + OTHER_INTERNAL:
        pair = tuple(sorted(rng.sample(range(1, MEMBERS), 2)))
        if pair not in taken:
            taken.add(pair)
            pairs.append(pair)
    plan += [("internal", None, None, None, list(pair), []) for pair in pairs]
    rooms = []
    for g in range(GROUPS):
        size = 8 if g == 0 else 3 + g % 4
        inside = [0] if g < BUSY_GROUPS else []
        inside += rng.sample(range(1, MEMBERS), size - len(inside))
        outside = [BUSY_EXTERNAL + (2 * g + k) % OTHER_EXTERNAL for k in range(2 - g % 2 * 2)]
        room = _wecom_id(rng, "wr")
        rooms.append((room, g, inside, outside))
        plan.append(("group", room, None, g, inside, outside))
    big = len(plan) - GROUPS  # the first group: 8 members, 2 customers, 13 % of the messages

    group_names = ["华东大客户服务群"] + [
        f"{rng.choice(phrases.SHOPS)}{('客户群', '项目组')[g % 2]}{g}" for g in range(1, GROUPS)
    ]
    cr.execute(
        """INSERT INTO wecom_group (corp_id, company_id, roomid, name, kind, owner_id,
                                    created_on, dismissed, create_uid, create_date, write_uid,
                                    write_date)
           SELECT %s, %s, r, n, k, o, timestamp '2024-06-01', false, %s,
                  now() AT TIME ZONE 'UTC', %s, now() AT TIME ZONE 'UTC'
             FROM unnest(%s::text[], %s::text[], %s::text[], %s::int[]) AS t(r, n, k, o)
           RETURNING roomid, id""",
        [
            corp.id,
            company,
            env.uid,
            env.uid,
            [room for room, *_ in rooms],
            group_names,
            ["external" if g % 2 == 0 else "internal" for g in range(GROUPS)],
            [member_ids[inside[0]] for _room, _g, inside, _outside in rooms],
        ],
    )
    group_id = dict(cr.fetchall())
    lines = [
        (group_id[room], userids[m], False, member_ids[m], None)
        for room, _g, inside, _outside in rooms
        for m in inside
    ] + [
        (group_id[room], externals[c], True, None, contacts[c])
        for room, _g, _inside, outside in rooms
        for c in outside
    ]
    cr.execute(
        """INSERT INTO wecom_group_member (group_id, company_id, party, external, member_id,
                                           contact_id, join_time, join_scene, active,
                                           create_uid, create_date, write_uid, write_date)
           SELECT g, %s, p, e, m, c, timestamp '2024-06-01', '1', true, %s,
                  now() AT TIME ZONE 'UTC', %s, now() AT TIME ZONE 'UTC'
             FROM unnest(%s::int[], %s::text[], %s::bool[], %s::int[], %s::int[])
                  AS t(g, p, e, m, c)""",
        [company, env.uid, env.uid, *map(list, zip(*lines, strict=True))],
    )

    rows = []
    for kind, room, customer, _g, inside, outside in plan:
        parties = [userids[m] for m in inside] + [externals[c] for c in outside]
        key = f"room:{room}" if room else "|".join(sorted(parties))
        rows.append(
            (
                key,
                kind,
                room,
                None if room else key,
                contacts[customer] if customer is not None else None,
                group_id[room] if room else None,
                parties,
                [member_ids[m] for m in inside],
                sorted({dept_of[m] for m in inside}),
            )
        )
    cr.execute(
        """CREATE TEMP TABLE bench_chat (slot int PRIMARY KEY, conv int, kind text, roomid text,
                                         parties text[], members int[], departments int[])"""
    )
    cr.execute(
        """WITH plan AS (
               SELECT * FROM unnest(%s::text[], %s::text[], %s::text[], %s::text[], %s::int[],
                                    %s::int[]) WITH ORDINALITY
                      AS t(key, kind, roomid, party_ids, contact_id, group_id, n)
           ), chats AS (
               INSERT INTO wecom_conversation (corp_id, company_id, key, kind, roomid,
                                               party_ids, contact_id, group_id, message_count,
                                               create_uid, create_date, write_uid, write_date)
               SELECT %s, %s, key, kind, roomid, party_ids, contact_id, group_id, 0, %s,
                      now() AT TIME ZONE 'UTC', %s, now() AT TIME ZONE 'UTC'
                 FROM plan ORDER BY n
               RETURNING key, id
           )
           SELECT plan.n, chats.id FROM plan JOIN chats USING (key) ORDER BY plan.n""",
        [
            *map(list, zip(*(row[:6] for row in rows), strict=True)),
            corp.id,
            company,
            env.uid,
            env.uid,
        ],
    )
    conv = [id_ for _n, id_ in cr.fetchall()]
    # Slots: the chats in a shuffled order (the busiest member's anywhere among them); the
    # big group is slot -1.
    order = [i for i in range(len(rows)) if i != big]
    rng.shuffle(order)
    slot_of = {i: s for s, i in enumerate(order)}
    slot_of[big] = -1
    cr.execute(
        """INSERT INTO bench_chat
           SELECT * FROM unnest(%s::int[], %s::int[], %s::text[], %s::text[])
                  AS t(slot, conv, kind, roomid)""",
        [
            [slot_of[i] for i in range(len(rows))],
            conv,
            [row[1] for row in rows],
            [row[2] for row in rows],
        ],
    )
    # ragged arrays: one UPDATE from text-encoded lists
    cr.execute(
        """UPDATE bench_chat b
              SET parties = string_to_array(t.parties, ' '),
                  members = string_to_array(t.members, ' ')::int[],
                  departments = string_to_array(t.departments, ' ')::int[]
             FROM unnest(%s::int[], %s::text[], %s::text[], %s::text[])
                  AS t(conv, parties, members, departments)
            WHERE b.conv = t.conv""",
        [
            conv,
            [" ".join(row[6]) for row in rows],
            [" ".join(map(str, row[7])) for row in rows],
            [" ".join(map(str, row[8])) for row in rows],
        ],
    )
    cr.execute("ANALYZE bench_chat")

    rule = env["wecom.keyword.rule"].create(
        {
            "name": "私下交易",
            "category": "私下交易监控",
            "words_input": "，".join(VIOLATION_WORDS),
            "severity": "high",
            "company_id": company,
        }
    )
    risky = [
        line
        for line in phrases.RISKY_LINES
        if any(word in line for word in VIOLATION_WORDS) and not any(w in line for w in RARE)
    ]
    planted = {word: rare_seqs(messages, count, p) for p, (word, count) in enumerate(RARE.items())}
    text_lines = chat_lines()
    others = len(rows) - 1
    messages_sql = {
        "corp": corp.id,
        "company": company,
        "uid": env.uid,
        "risky": risky,
        "risky_count": len(risky),
        "lines": text_lines,
        "count": len(text_lines),
        "rare2": planted["返点"],
        "rare4": planted["私下转账"],
        "word2": "返点",
        "word4": "私下转账",
        "messages": messages,
        "others": others,
        "big_share": BIG_SHARE,
        "every": every,
        "after": messages - newest if newest else 0,
        "spacing": spacing,
        "start": start,
    }
    timings = _add_messages(env, messages_sql, rule, sample=True)
    started = time.perf_counter()
    # Followers: every member follows the customers they chat with.
    cr.execute(
        """INSERT INTO wecom_contact_follow (contact_id, member_id, corp_id, company_id, state,
                                             added_on, add_way, create_uid, create_date,
                                             write_uid, write_date)
           SELECT c.contact_id, r.wecom_member_id, %s, %s, 'current', timestamp '2024-06-01',
                  '1', %s, now() AT TIME ZONE 'UTC', %s, now() AT TIME ZONE 'UTC'
             FROM wecom_conversation c
             JOIN wecom_conversation_member_rel r ON r.wecom_conversation_id = c.id
            WHERE c.corp_id = %s AND c.kind = 'external'""",
        [corp.id, company, env.uid, env.uid, corp.id],
    )
    timings["violations"] += time.perf_counter() - started
    cr.execute("SELECT conv FROM bench_chat WHERE slot = -1")
    big_chat = cr.fetchone()[0]
    if every == 1 and not newest:
        cr.execute("DROP TABLE bench_chat")
    return {
        "corp": corp,
        "departments": departments,
        "members": members,
        "busy": members[0],
        "big_chat": big_chat,
        "rule": rule,
        "timings": timings,
        "messages_sql": messages_sql,
    }


def grow_viewer(env, shape):
    """Load the rest of the data set of which load_viewer(..., every=k or newest=k) loaded
    a sample: the same data set as loaded whole (the same messages at the same times,
    links, violations and chat counts; only the rows' ids come in another order). Returns
    the timings."""
    timings = _add_messages(env, shape["messages_sql"], shape["rule"], sample=False)
    env.cr.execute("DROP TABLE bench_chat")
    return timings


def _add_messages(env, params, rule, sample):
    """Insert the messages of the sample (``sample``: those whose number is a multiple of
    params["every"] and above params["after"]) or of the rest, their member and department
    links, the violations of their keyword hits with their members, and the chats' counts
    and times. Returns the timings."""
    cr = env.cr
    corp, company = params["corp"], params["company"]
    cr.execute("SELECT COALESCE(max(id), 0) FROM wecom_message")
    since = cr.fetchone()[0]
    started = time.perf_counter()
    cr.execute(
        """INSERT INTO wecom_message (corp_id, company_id, seq, msgid, publickey_ver, state,
                                      action, msgtype, known_type, sender, receivers, roomid,
                                      msgtime, body, text, recalled, conversation_id,
                                      media_state, create_date)
           SELECT %(corp)s, %(company)s, n, msgid, 1, 'done', 'send', 'text', true, sender,
                  array_to_string(tolist, ' '), roomid, msgtime,
                  jsonb_build_object('msgid', msgid, 'action', 'send', 'from', sender,
                                     'tolist', to_jsonb(tolist), 'roomid', COALESCE(roomid, ''),
                                     'msgtime', (extract(epoch FROM msgtime) * 1000)::bigint,
                                     'msgtype', 'text',
                                     'text', jsonb_build_object('content', text)),
                  text, false, conv, 'none', now() AT TIME ZONE 'UTC'
             FROM (
                SELECT n, 'bench' || n AS msgid, c.conv, c.roomid, s.sender,
                       array_remove(c.parties, s.sender) AS tolist,
                       %(start)s::timestamp + n * %(spacing)s * interval '1 second'
                           + (n %% 997) * interval '1 millisecond' AS msgtime,
                       CASE WHEN n %% 97 = 7 AND n <> ALL(%(rare2)s || %(rare4)s)
                            THEN (%(risky)s::text[])[1 + (n / 97) %% %(risky_count)s]
                            ELSE (%(lines)s::text[])[1 + (n * 7919) %% %(count)s]
                                 || CASE WHEN n %% 3 = 0
                                         THEN '，' || (%(lines)s::text[])
                                                     [1 + (n * 104729) %% %(count)s]
                                         ELSE '' END
                                 || CASE WHEN n = ANY(%(rare2)s) THEN '，' || %(word2)s
                                         WHEN n = ANY(%(rare4)s) THEN '，' || %(word4)s
                                         ELSE '' END
                       END AS text
                  FROM generate_series(1, %(messages)s::bigint) n
                  JOIN bench_chat c ON c.slot = CASE
                       WHEN n <= %(others)s THEN n - 1
                       WHEN n %% 100 < %(big_share)s THEN -1
                       ELSE floor(%(others)s * power(((n * 2654435761) %% 4294967296)
                                                     / 4294967296.0, 2))::int END
                 CROSS JOIN LATERAL (
                       SELECT c.parties[1 + (n / 3) %% cardinality(c.parties)] AS sender) s
                 WHERE (n %% %(every)s = 0 AND n > %(after)s) = %(sample)s
             ) m""",
        {**params, "sample": sample},
    )
    timings = {"messages": time.perf_counter() - started}
    started = time.perf_counter()
    for table, column in (("member", "members"), ("department", "departments")):
        cr.execute(
            f"""INSERT INTO wecom_message_{table}_rel (wecom_message_id, wecom_{table}_id)
                SELECT m.id, unnest(c.{column})
                  FROM wecom_message m JOIN bench_chat c ON c.conv = m.conversation_id
                 WHERE m.corp_id = %s AND m.id > %s""",
            [corp, since],
        )
        if not sample:
            continue
        cr.execute(
            f"""INSERT INTO wecom_conversation_{table}_rel (wecom_conversation_id,
                                                            wecom_{table}_id)
                SELECT conv, unnest({column}) FROM bench_chat"""
        )
    cr.execute(
        """UPDATE wecom_conversation c
              SET message_count = s.n, first_msgtime = s.first, last_msgtime = s.last
             FROM (SELECT conversation_id, count(*) AS n, min(msgtime) AS first,
                          max(msgtime) AS last
                     FROM wecom_message WHERE corp_id = %s GROUP BY conversation_id) s
            WHERE c.id = s.conversation_id""",
        [corp],
    )
    timings["links"] = time.perf_counter() - started
    started = time.perf_counter()
    cr.execute(
        """INSERT INTO wecom_violation (name, company_id, corp_id, message_id, rule_id,
                   category, severity, sender, sender_role, receivers, msgtime, chat_kind,
                   content, words_hit, offsets, kind, state, alerted, wecom_alerted,
                   create_uid, create_date, write_uid, write_date)
           SELECT 'cv' || (extract(epoch FROM m.msgtime) * 1000)::bigint || '-' || m.id
                      || '-' || %(rule)s,
                  %(company)s, %(corp)s, m.id, %(rule)s, '私下交易监控', 'high', m.sender,
                  CASE WHEN m.sender LIKE 'wm%%' THEN 'customer' ELSE 'member' END,
                  m.receivers, m.msgtime, c.kind, m.text, w.word,
                  jsonb_build_array(jsonb_build_array(strpos(m.text, w.word) - 1,
                                                      strpos(m.text, w.word) - 1
                                                      + length(w.word))),
                  'keyword', CASE WHEN m.seq %% 1000 = 7 THEN 'done' ELSE 'new' END,
                  true, false, %(uid)s, now() AT TIME ZONE 'UTC', %(uid)s,
                  now() AT TIME ZONE 'UTC'
             FROM wecom_message m
             JOIN wecom_conversation c ON c.id = m.conversation_id
             CROSS JOIN LATERAL (
                  SELECT word FROM unnest(%(words)s::text[]) word
                   WHERE strpos(m.text, word) > 0 LIMIT 1) w
            WHERE m.corp_id = %(corp)s AND m.id > %(since)s AND m.seq %% 97 = 7""",
        {
            "rule": rule.id,
            "company": company,
            "corp": corp,
            "uid": env.uid,
            "words": list(VIOLATION_WORDS),
            "since": since,
        },
    )
    # a case's archived members are its message's (as _record_cases writes them)
    cr.execute(
        """INSERT INTO wecom_violation_member_rel (violation_id, member_id)
           SELECT v.id, r.wecom_member_id FROM wecom_violation v
             JOIN wecom_message_member_rel r ON r.wecom_message_id = v.message_id
            WHERE v.corp_id = %s AND v.message_id > %s""",
        [corp, since],
    )
    timings["violations"] = time.perf_counter() - started
    return timings


VIEWER_TABLES = (
    "wecom_message",
    "wecom_message_member_rel",
    "wecom_message_department_rel",
    "wecom_conversation",
    "wecom_conversation_member_rel",
    "wecom_conversation_department_rel",
    "wecom_member",
    "wecom_department_wecom_member_rel",
    "wecom_contact",
    "wecom_contact_follow",
    "wecom_group",
    "wecom_group_member",
    "wecom_violation",
)
