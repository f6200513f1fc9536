"""The pipeline's benchmark, run inside `odoo shell` by scripts/bench.sh (which provides env).

Measured in the same process on the same machine:
- bare RSA: PKCS#1 v1.5 decryptions of the corpus's random keys per second on all cores,
  one thread per core in an otherwise idle process, the best of three runs (every message
  costs one private-key operation: the physical bound);
- end to end: messages per second pulled through the real pipeline (fake SDK → decryption
  worker processes: RSA + DecryptData → normalise → set-based store → link), committed
  batch by batch;
- peak memory (max RSS) of the Odoo process before and after the pull, and of the largest
  decryption worker process;
- the share of the pull's wall time spent scanning for sensitive words, with 100 rules of
  100 words each (10,000 words), 100 rules of built-in detectors (each of the six, alone and
  in combinations, links with allowed domains) and 100 sensitive-behaviour rules (every
  behaviour, amounts, sizes and types) watching every chat, the behaviours' part apart;
- the share spent keeping the daily statistics (the chats' and members' days; the cases are
  counted on them as they are recorded, in the scan) in each batch's transaction;
- the share spent keeping the reply-timeout waits of 100 timeout rules (and recording the
  timeouts answered in the pull), apart from the scan;
- where the pull's CPU goes: the CPU seconds of the decryption workers (RSA + DecryptData),
  of the Odoo process (every thread: fetching, parsing, storing, scanning) and of
  PostgreSQL (this database's backends and the server's own processes: WAL writer,
  checkpointer…), against the wall time times the cores. The ratio to the bare RSA rate
  is what the workers get of the cores once Odoo and PostgreSQL have had theirs.
WECOM_BENCH_PROFILE=FILE writes a cProfile of the pull to FILE.
"""

import cProfile
import json
import os
import random
import resource
import time
from concurrent.futures import ThreadPoolExecutor

from odoo.addons.wecom_archive.lib import decrypt
from odoo.addons.wecom_archive.lib.crypto import decrypt_random_key, load_private_key
from odoo.addons.wecom_archive.native.corpus import phrases

corpus = os.environ["WECOM_BENCH_CORPUS"]  # the `prepare` output
messages = int(os.environ["WECOM_BENCH_MESSAGES"])
workers = os.cpu_count() or 1


def max_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_seconds(pid):
    """User + system CPU seconds of process ``pid`` so far (every thread), 0 once gone."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def postgres_pids():
    """This database's backends and the server's own processes (WAL writer, checkpointer,
    background writer, autovacuum): not the other databases' backends."""
    env.cr.execute(
        """SELECT pid FROM pg_stat_activity
            WHERE datname = current_database() OR datname IS NULL"""
    )
    return {pid for (pid,) in env.cr.fetchall()}


# The decryption workers' peak RSS and CPU, read from /proc just before each one is stopped.
worker_rss_mb = [0.0]
worker_cpu_s = [0.0]
untimed_close = decrypt._Worker.close


def close_and_measure(worker):
    with open(f"/proc/{worker.process.pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                worker_rss_mb[0] = max(worker_rss_mb[0], int(line.split()[1]) / 1024)
    worker_cpu_s[0] += cpu_seconds(worker.process.pid)
    untimed_close(worker)


decrypt._Worker.close = close_and_measure


with open(os.path.join(corpus, "keys", "private_v1.pem"), encoding="utf-8") as handle:
    private_pem = handle.read()
corp = env["wecom.corp"].create(
    {
        "name": "bench",
        "corpid": os.environ["WECOM_BENCH_CORPID"],
        "secret": os.environ["WECOM_BENCH_SECRET"],
        "sdk_library_path": os.environ["WECOM_FAKE_SDK_LIB"],
        "key_ids": [(0, 0, {"version": 1, "private_key": private_pem})],
    }
)
env.cr.commit()

# Bare RSA on all cores, over the corpus's own random keys (up to 4000 of them).
key = load_private_key(private_pem)
encrypted = []
with open(os.path.join(corpus, "sdk", corp.corpid, "chatdata.jsonl"), encoding="utf-8") as chat:
    for line in chat:
        encrypted.append(json.loads(line)["encrypt_random_key"])
        if len(encrypted) == 4000:
            break
chunks = [encrypted[i::workers] for i in range(workers)]
rsa_rate = 0.0
with ThreadPoolExecutor(workers) as pool:
    for _run in range(3):
        started = time.perf_counter()
        list(pool.map(lambda chunk: [decrypt_random_key(key, k) for k in chunk], chunks))
        rsa_rate = max(rsa_rate, len(encrypted) / (time.perf_counter() - started))

# 10,000 sensitive words in 100 rules, scanned inside the pipeline; _scan is timed.
rng = random.Random(5)
pool = "".join(phrases.SURNAMES) + "".join(phrases.GIVEN) + "私下转账返点回扣飞单发票微信客户"
vocabulary = {w for line in phrases.RISKY_LINES for w in (line[:4], line[-4:])}
while len(vocabulary) < 10_000:
    vocabulary.add("".join(rng.choice(pool) for _ in range(rng.randint(2, 4))))
vocabulary = sorted(vocabulary)[:10_000]
env["wecom.keyword.rule"].create(
    [
        {
            "name": f"bench {i}",
            "category": "私下交易监控",
            "words_input": ",".join(vocabulary[i::100]),
        }
        for i in range(100)
    ]
)
# 100 rules of built-in detectors and 100 sensitive-behaviour rules, of every kind, each for
# its own team: the company's members (as the directory sync makes them) are shared out
# between the rules of a kind, so one event hits one rule of its kind, as in a company whose
# teams have rules of their own.
with open(os.path.join(corpus, "source", "company.json"), encoding="utf-8") as handle:
    users = json.load(handle)["users"]
members = env["wecom.member"].create(
    [{"corp_id": corp.id, "userid": user["userid"], "name": user["name"]} for user in users]
)
detectors = env["wecom.detector"].search([])
codes = detectors.mapped("code")
combos = [[code] for code in codes] + [codes, [c for c in codes if c != "url"]]
Rule = env["wecom.keyword.rule"]
behaviors = [code for code, _label in Rule._fields["behavior"].selection]


def team(index, kinds):
    """The members of the rule ``index`` among the rules of ``kinds`` kinds."""
    share = len(range(index % kinds, 100, kinds))
    return [(6, 0, members[index // kinds :: share].ids)]


# WECOM_BENCH_WORDS_ONLY=1: the 100 word rules only (the configuration of the README's first
# figures), none of the rules below.
inspection = 0 if os.environ.get("WECOM_BENCH_WORDS_ONLY") == "1" else 100
Rule.create(
    [
        {
            "name": f"bench detectors {i}",
            "category": "联系方式外泄",
            "detector_ids": [
                (6, 0, detectors.filtered(lambda d, i=i: d.code in combos[i % len(combos)]).ids)
            ],
            "allowed_domains": "example.com, weixin.qq.com",
            "member_ids": team(i, len(combos)),
        }
        for i in range(inspection)
    ]
)
Rule.create(
    [
        {
            "name": f"bench behaviour {i}",
            "category": "敏感行为",
            "rule_type": "behavior",
            "behavior": behaviors[i % len(behaviors)],
            "behavior_min_amount": (i % 3) * 5,
            "behavior_max_file_mb": 1 if i % 2 else 0,
            "behavior_file_exts": "zip, exe" if i % 4 == 1 else False,
            "member_ids": team(i, len(behaviors)),
        }
        for i in range(inspection)
    ]
)
# 100 reply-timeout rules (WECOM_BENCH_TIMEOUT_RULES), of five delays (10 minutes to 4
# hours) watching external or group chats or both, each for its own team: every employee is
# watched by one rule of each delay. Their upkeep (models/wecom_reply_wait.py) runs in every
# batch apart from the scan, and the timeouts answered in the pull are cases too.
Rule.create(
    [
        {
            "name": f"bench timeout {i}",
            "category": "超时未回复",
            "rule_type": "timeout",
            "timeout_value": (10, 30, 60, 120, 240)[i % 5],
            "watch_external": i % 3 != 2,
            "watch_group": i % 3 != 0,
            "member_ids": team(i, 5),
        }
        for i in range(int(os.environ.get("WECOM_BENCH_TIMEOUT_RULES", inspection)))
    ]
)
env.cr.commit()


def timed(model, name):
    """Wrap method ``name`` of the registry's class of ``model``; returns [seconds spent in
    it], summed over its calls."""
    cls, seconds = env.registry[model], [0.0]
    method = getattr(cls, name)

    def wrapper(self, *args, **kwargs):
        started = time.perf_counter()
        try:
            return method(self, *args, **kwargs)
        finally:
            seconds[0] += time.perf_counter() - started

    setattr(cls, name, wrapper)
    return seconds


scan_seconds = timed("wecom.violation", "_scan")
behavior_seconds = timed("wecom.violation", "_scan_behaviors")
# The statistics' upkeep inside the pipeline: the batch's chats' and members' days (the cases
# are counted on them by the statement that records them, in _scan: in scan_seconds).
stats_seconds = timed("wecom.stat.chat.day", "_upkeep")
# The reply-timeout upkeep (the waits of the chats the timeout rules watch, and the timeouts
# answered in the batch recorded as cases), hooked in wecom.message._attach.
wait_seconds = timed("wecom.reply.wait", "_upkeep")
# WECOM_BENCH_PROFILE=FILE: a cProfile of the pull (the Odoo process) written to FILE.
profile_path = os.environ.get("WECOM_BENCH_PROFILE")
profiler = cProfile.Profile() if profile_path else None

# What a running worker has cached between pulls, built once per worker and rule change
# (ormcache, cleared when a rule or a scope changes): the word matcher, the behaviour rules
# and the timeout watches. Built here, timed apart, so that the shares below are those of a
# pull, not of the first pull of a new worker.
started = time.perf_counter()
env["wecom.keyword.rule"]._matcher(corp.company_id.id)
env["wecom.keyword.rule"]._behaviors(corp.company_id.id)
env["wecom.reply.wait"]._company_watches(corp.company_id.id)
rule_caches_ms = 1000 * (time.perf_counter() - started)

rss_before = max_rss_mb()
pg_before = {pid: cpu_seconds(pid) for pid in postgres_pids()}
odoo_before = cpu_seconds(os.getpid())
started = time.perf_counter()
if profiler:
    profiler.enable()
stored = corp._pull()
if profiler:
    profiler.disable()
    profiler.dump_stats(profile_path)
elapsed = time.perf_counter() - started
odoo_cpu = cpu_seconds(os.getpid()) - odoo_before
pg_cpu = sum(cpu_seconds(pid) - pg_before.get(pid, 0.0) for pid in postgres_pids() | set(pg_before))
rss_after = max_rss_mb()
rate = stored / elapsed
result = {
    "messages": messages,
    "stored": stored,
    "cores": workers,
    "end_to_end_msgs_per_s": round(rate, 1),
    "bare_rsa_per_s": round(rsa_rate, 1),
    "ratio": round(rate / rsa_rate, 3),
    "peak_rss_mb_before_pull": round(rss_before, 1),
    "peak_rss_mb_after_pull": round(rss_after, 1),
    "peak_rss_mb_decrypt_worker": round(worker_rss_mb[0], 1),
    "violations": env["wecom.violation"].search_count([]),
    "behavior_cases": env["wecom.violation"].search_count([("kind", "=", "behavior")]),
    "scan_seconds": round(scan_seconds[0], 2),
    "scan_share_of_pull": round(scan_seconds[0] / elapsed, 3),
    "behavior_scan_seconds": round(behavior_seconds[0], 2),
    "stats_seconds": round(stats_seconds[0], 2),
    "stats_share_of_pull": round(stats_seconds[0] / elapsed, 3),
    "timeout_cases": env["wecom.violation"].search_count([("kind", "=", "timeout")]),
    "timeout_upkeep_seconds": round(wait_seconds[0], 2),
    "timeout_upkeep_share_of_pull": round(wait_seconds[0] / elapsed, 3),
    "rule_caches_ms": round(rule_caches_ms),
    "cpu_workers_s": round(worker_cpu_s[0], 2),
    "cpu_odoo_s": round(odoo_cpu, 2),
    "cpu_postgres_s": round(pg_cpu, 2),
    "cpu_capacity_s": round(elapsed * workers, 2),
}
print("BENCH " + json.dumps(result))
print(f"BENCH stats upkeep share: {100 * stats_seconds[0] / elapsed:.1f} %")
rules = "100 word rules" if not inspection else "300 rules of every kind"
print(f"BENCH scan share ({rules}): {100 * scan_seconds[0] / elapsed:.1f} %")
timeout_rules = Rule.search_count([("rule_type", "=", "timeout")])
print(
    f"BENCH timeout upkeep share ({timeout_rules} timeout rules): "
    f"{100 * wait_seconds[0] / elapsed:.1f} %"
)
print(
    f"BENCH rule caches (matcher, behaviours, timeout watches), built once per worker and "
    f"rule change, before the pull: {rule_caches_ms:.0f} ms"
)
busy = worker_cpu_s[0] + odoo_cpu + pg_cpu
print(
    f"BENCH pull CPU: decryption workers {worker_cpu_s[0]:.1f} s, Odoo {odoo_cpu:.1f} s, "
    f"PostgreSQL {pg_cpu:.1f} s, of {elapsed * workers:.1f} core-seconds "
    f"({elapsed:.1f} s x {workers} cores; {100 * busy / (elapsed * workers):.0f} % busy)"
)
