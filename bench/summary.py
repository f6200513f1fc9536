"""The pipeline bench's runs summed up: min - median - max of each figure, one line each
(`name: min - median - max unit`). Reads the runs' JSON lines on stdin; the arguments are the
number of messages pulled and the rules' configuration (all_rules: 400 rules of every kind;
word_rules: the 100 word rules only), both in each figure's name."""

import json
import statistics
import sys

FIGURES = (  # (key, name, unit, scale)
    ("ratio", "pipeline_ratio_to_bare_rsa", "", 1),
    ("end_to_end_msgs_per_s", "pipeline_end_to_end", "msg/s", 1),
    ("bare_rsa_per_s", "pipeline_bare_rsa", "/s", 1),
    ("scan_share_of_pull", "scan_share_of_pull", "%", 100),
    ("stats_share_of_pull", "stats_upkeep_share_of_pull", "%", 100),
    ("timeout_upkeep_share_of_pull", "timeout_upkeep_share_of_pull", "%", 100),
    ("rule_caches_ms", "rule_caches_built_before_pull", "ms", 1),
    ("cpu_workers_s", "pull_cpu_decryption_workers", "s", 1),
    ("cpu_odoo_s", "pull_cpu_odoo", "s", 1),
    ("cpu_postgres_s", "pull_cpu_postgresql", "s", 1),
    ("cpu_capacity_s", "pull_core_seconds", "s", 1),
)


def main():
    runs = [json.loads(line) for line in sys.stdin if line.strip()]
    if not runs:
        sys.exit("no pipeline run to sum up")
    messages, tag = sys.argv[1], sys.argv[2]
    print(f"==> the pipeline, {messages} messages, {tag}, {len(runs)} runs: min - median - max")
    for key, name, unit, scale in FIGURES:
        values = sorted(run[key] * scale for run in runs if key in run)
        if values:
            low, mid, high = values[0], statistics.median(values), values[-1]
            digits = 3 if key == "ratio" else 1
            figures = f"{low:.{digits}f} - {mid:.{digits}f} - {high:.{digits}f}"
            print(f"{name}_{messages}_{tag}: {figures} {unit}".rstrip())


if __name__ == "__main__":
    main()
