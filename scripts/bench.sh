#!/usr/bin/env bash
# make bench: the pipeline end to end against the bare RSA bound, for N messages
# (BENCH_MESSAGES, default 20000; several sizes: BENCH_MESSAGES="20000 200000").
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
    echo "==> fresh database $DB"
    dropdb --if-exists "$DB"
    odoo --addons-path="$ADDONS_PATH" -d "$DB" -i wecom_archive --without-demo=all \
        --http-port=8172 --stop-after-init --log-level=warn
    echo "==> pulling $n messages"
    WECOM_BENCH_CORPUS="$OUT" WECOM_BENCH_MESSAGES="$n" WECOM_BENCH_CORPID="$CORPID" \
    WECOM_BENCH_SECRET="$SECRET" WECOM_FAKE_SDK_CORPUS="$OUT/sdk" \
        odoo shell --addons-path="$ADDONS_PATH" -d "$DB" --no-http --log-level=warn \
        < "$ROOT/bench/bench_pipeline.py" | grep '^BENCH'
    dropdb --if-exists "$DB"
done
SCOPE_N=${BENCH_SCOPE_MESSAGES:-1000000}
DB="wecom_bench_scope_$$"
echo "==> archive admin's scope: a page of 100 messages at $SCOPE_N messages (fresh database $DB)"
dropdb --if-exists "$DB"
odoo --addons-path="$ADDONS_PATH" -d "$DB" -i wecom_archive --without-demo=all \
    --http-port=8172 --stop-after-init --log-level=error
WECOM_BENCH_SCOPE_MESSAGES="$SCOPE_N" \
    odoo shell --addons-path="$ADDONS_PATH" -d "$DB" --no-http --log-level=warn \
    < "$ROOT/bench/bench_scope.py" | grep '^BENCH' | sed 's/^BENCH //'
dropdb --if-exists "$DB"
SEARCH_N=${BENCH_SEARCH_MESSAGES:-1000000}
DB="wecom_bench_search_$$"
echo "==> search across all chats at $SEARCH_N messages (fresh database $DB)"
dropdb --if-exists "$DB"
odoo --addons-path="$ADDONS_PATH" -d "$DB" -i wecom_archive --without-demo=all \
    --http-port=8172 --stop-after-init --log-level=error
WECOM_BENCH_SEARCH_MESSAGES="$SEARCH_N" \
    odoo shell --addons-path="$ADDONS_PATH" -d "$DB" --no-http --log-level=warn \
    < "$ROOT/bench/bench_search.py" | grep '^BENCH' | sed 's/^BENCH //'
dropdb --if-exists "$DB"
echo "==> keyword matching: ${BENCH_KEYWORD_MESSAGES:-100000} messages, ${BENCH_WORDS:-10000} words"
(cd "$ROOT" && "$ODOO_PYTHON" -m bench.bench_keywords "${BENCH_KEYWORD_MESSAGES:-100000}" \
    "${BENCH_WORDS:-10000}" | grep '^BENCH')
