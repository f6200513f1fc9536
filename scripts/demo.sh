#!/usr/bin/env bash
# The demo: a fresh database whose demo corp is fed by the fake Finance SDK serving a
# generated corpus, served on 127.0.0.1:8069 (log in as admin / admin).
source "$(dirname "$0")/common.sh"
ensure_postgres

DB="${WECOM_DEMO_DB:-wecom_demo}"
PORT="${WECOM_DEMO_PORT:-8069}"
DEMO="$BUILD/demo/$DB"  # per database: several demos can run side by side
MESSAGES="${WECOM_DEMO_MESSAGES:-3000}"
ODOO_ARGS=(--addons-path="$ADDONS_PATH" --db_host="$PGHOST" --db_port="$PGPORT"
           --data-dir="$BUILD/demo-data" -d "$DB")

echo "==> generating a synthetic corp ($MESSAGES messages, key versions 1 and 2) in $DEMO"
rm -rf "$DEMO"
(cd "$ROOT" && "$ODOO_PYTHON" -m wecom_archive.native.corpus prepare --out "$DEMO" \
    --messages "$MESSAGES" --key-version 1 --key-version 2 --days 30 --media-scale 0.3 >/dev/null)
export WECOM_FAKE_SDK_CORPUS="$DEMO/sdk"

API_PORT="${WECOM_DEMO_API_PORT:-8071}"
echo "==> starting the fake WeCom server API on 127.0.0.1:$API_PORT (the same synthetic company)"
(cd "$ROOT" && exec "$ODOO_PYTHON" -m wecom_archive.native.fake_api \
    --company "$DEMO/source/company.json" --port "$API_PORT") &
API_PID=$!
trap 'kill "$API_PID" 2>/dev/null || true' EXIT
export WECOM_DEMO_API_URL="http://127.0.0.1:$API_PORT/cgi-bin"

echo "==> creating database $DB with the addon, Employees (hr) and their demo data"
dropdb --if-exists "$DB"
# hr too: the bridge wecom_archive_hr installs itself and links members to employees.
odoo "${ODOO_ARGS[@]}" -i wecom_archive,hr --load-language=zh_CN --stop-after-init \
    --http-port="$PORT" --log-level=warn

echo "==> configuring the demo corp against the fake SDK and the fake server API"
WECOM_DEMO_DIR="$DEMO" odoo shell "${ODOO_ARGS[@]}" --no-http --log-level=warn \
    < "$ROOT/scripts/demo_configure.py"

echo "==> serving http://127.0.0.1:$PORT  (log in: admin / admin; Ctrl-C stops)"
"$ODOO_PYTHON" -m odoo "${ODOO_ARGS[@]}" --db-filter="^$DB\$" \
    --http-interface=127.0.0.1 --http-port="$PORT"
