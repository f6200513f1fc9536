#!/usr/bin/env bash
# make bench: the pipeline end to end against the bare RSA bound, for N messages
# (BENCH_MESSAGES, default 20000; several sizes: BENCH_MESSAGES="20000 200000"), BENCH_RUNS
# times (default 3) each, summed up as min - median - max.
source "$(dirname "$0")/common.sh"
ensure_postgres
CORPID=wwbench000000001
SECRET=bench-secret
for n in ${BENCH_MESSAGES:-20000}; do
    DB="wecom_bench_$$"
    OUT="$BUILD/bench/corpus-$n"
    if [ ! -f "$OUT/sdk/$CORPID/chatdata.jsonl" ]; then
        echo "==> generating $n messages in $OUT"
        rm -rf "$OUT"
        (cd "$ROOT" && "$ODOO_PYTHON" -m wecom_archive.native.corpus prepare --out "$OUT" \
            --messages "$n" --media-scale 0.001 --corpid "$CORPID" --secret "$SECRET" >/dev/null)
    fi
    # with 400 rules of every kind (issue #14's load), then with the 100 word rules only
    for tag in all_rules word_rules; do
        words_only=$([ "$tag" = word_rules ] && echo 1 || echo 0)
        RESULTS="$BUILD/bench/pipeline-$n-$tag.jsonl"
        : > "$RESULTS"
        # several runs, each on a fresh database: a figure that holds is min - median - max
        for run in $(seq "${BENCH_RUNS:-3}"); do
            echo "==> run $run ($tag): fresh database $DB, pulling $n messages"
            dropdb --if-exists "$DB"
            odoo --addons-path="$ADDONS_PATH" -d "$DB" -i wecom_archive --without-demo=all \
                --http-port=8172 --stop-after-init --log-level=warn
            out=$(WECOM_BENCH_WORDS_ONLY=$words_only \
                WECOM_BENCH_CORPUS="$OUT" WECOM_BENCH_MESSAGES="$n" WECOM_BENCH_CORPID="$CORPID" \
                WECOM_BENCH_SECRET="$SECRET" WECOM_FAKE_SDK_CORPUS="$OUT/sdk" \
                odoo shell --addons-path="$ADDONS_PATH" -d "$DB" --no-http --log-level=warn \
                < "$ROOT/bench/bench_pipeline.py" | grep '^BENCH')
            echo "$out"
            echo "$out" | grep '^BENCH {' | sed 's/^BENCH //' >> "$RESULTS"
            dropdb --if-exists "$DB"
        done
        "$ODOO_PYTHON" "$ROOT/bench/summary.py" "$n" "$tag" < "$RESULTS"
    done
done
fresh_db_bench() {  # fresh_db_bench TITLE SCRIPT ENV_VAR N: SCRIPT in odoo shell on a new database
    local title=$1 script=$2 var=$3 n=$4 db="wecom_bench_$$"
    echo "==> $title at $n messages (fresh database $db)"
    dropdb --if-exists "$db"
    odoo --addons-path="$ADDONS_PATH" -d "$db" -i wecom_archive --without-demo=all \
        --http-port=8172 --stop-after-init --log-level=error
    # in the repository's root: the scripts import bench/loader.py as bench.loader
    (cd "$ROOT" && export "$var=$n" && odoo shell --addons-path="$ADDONS_PATH" -d "$db" \
        --no-http --log-level=warn < "$ROOT/bench/$script") | grep '^BENCH' | sed 's/^BENCH //'
    dropdb --if-exists "$db"
}
fresh_db_bench "archive admin's scope: a page of 100 messages" bench_scope.py \
    WECOM_BENCH_SCOPE_MESSAGES "${BENCH_SCOPE_MESSAGES:-1000000}"
fresh_db_bench "search across all chats" bench_search.py \
    WECOM_BENCH_SEARCH_MESSAGES "${BENCH_SEARCH_MESSAGES:-1000000}"
fresh_db_bench "the chat viewer's reads" bench_viewer.py \
    WECOM_BENCH_VIEWER_MESSAGES "${BENCH_VIEWER_MESSAGES:-1000000}"
# in one database: a tenth of the messages, then all of them (the same year ten times
# busier); then a second corp's newest 100,000, then its older history (ten times as long)
fresh_db_bench "the dashboard (数据报表), at 100,000 and at" bench_dashboard.py \
    WECOM_BENCH_DASHBOARD_MESSAGES "${BENCH_DASHBOARD_MESSAGES:-1000000}"
fresh_db_bench "the reply-timeout job" bench_timeouts.py \
    WECOM_BENCH_TIMEOUT_MESSAGES "${BENCH_TIMEOUT_MESSAGES:-1000000}"
fresh_db_bench "an evidence pack of one chat with its media" bench_evidence.py \
    WECOM_BENCH_EVIDENCE_MESSAGES "${BENCH_EVIDENCE_MESSAGES:-10000}"
# the pull beside it: WECOM_BENCH_PURGE_PULL messages (default 60,000) per pull
fresh_db_bench "the retention purge, a pull of another corp running" bench_purge.py \
    WECOM_BENCH_PURGE_MESSAGES "${BENCH_PURGE_MESSAGES:-1000000}"
echo "==> keyword matching: ${BENCH_KEYWORD_MESSAGES:-100000} messages, ${BENCH_WORDS:-10000} words"
(cd "$ROOT" && "$ODOO_PYTHON" -m bench.bench_keywords "${BENCH_KEYWORD_MESSAGES:-100000}" \
    "${BENCH_WORDS:-10000}" | grep '^BENCH')
