#!/usr/bin/env bash
# The whole test suite: plain pytest for the Odoo-free core, then Odoo's own test runner in
# fresh throwaway databases (with demo data: install + tests, then the hr bridge and its
# tests, then uninstall; without demo data: install + uninstall). Exits non-zero on any failure.
source "$(dirname "$0")/common.sh"
ensure_postgres
[ -f "$WECOM_FAKE_SDK_LIB" ] || die "the fake SDK is not built: run make sdk."

set +e  # from here every failure is counted, not fatal
LOGS="$BUILD/test-logs"
mkdir -p "$LOGS"
failed=0      # failed tests and failed lifecycle steps
passed=0
RUN_ID="$(date +%s)_$$"
DB_DEMO="wecom_test_${RUN_ID}"
DB_BARE="wecom_test_${RUN_ID}_nodemo"
ODOO_ARGS=(--addons-path="$ADDONS_PATH" --db_host="$PGHOST" --db_port="$PGPORT"
           --http-interface=127.0.0.1 --http-port="${WECOM_TEST_HTTP_PORT:-8169}"
           --data-dir="$BUILD/test-data" --log-level=test --stop-after-init)

cleanup() { dropdb --if-exists "$DB_DEMO" 2>/dev/null || true; dropdb --if-exists "$DB_BARE" 2>/dev/null || true; }
trap cleanup EXIT

step() {  # step NAME command...: a lifecycle step counts as one test
    local name=$1; shift
    echo "==> $name"
    if "$@"; then passed=$((passed + 1)); echo "    ok: $name"
    else failed=$((failed + 1)); echo "    FAILED: $name" >&2; fi
}

count() {  # count PASSED FAILED: add a runner's own test counts
    passed=$((passed + $1)); failed=$((failed + $2))
}

pytest_core() {
    local log="$LOGS/pytest.log" n_pass n_fail
    echo "==> pytest: native/ and lib/"
    (cd "$ROOT" && "$ODOO_PYTHON" -m pytest -q -p no:cacheprovider wecom_archive/native wecom_archive/lib) \
        2>&1 | tee "$log"
    local rc=${PIPESTATUS[0]}
    n_pass=$(grep -oE '[0-9]+ passed' "$log" | tail -n1 | grep -oE '[0-9]+' || echo 0)
    n_fail=$(grep -oE '[0-9]+ (failed|errors?)' "$log" | awk '{s += $1} END {print s + 0}')
    [ "$rc" -ne 0 ] && [ "${n_fail:-0}" -eq 0 ] && n_fail=1   # collection errors, no tests ...
    count "${n_pass:-0}" "${n_fail:-0}"
}

odoo_tests() {  # odoo_tests ADDON: install ADDON into the demo database and run its tests
    local addon=$1 log="$LOGS/odoo-tests-$1.log" stats n_fail n_err n_all
    echo "==> odoo: install $addon with demo data + tests (log: $log)"
    odoo "${ODOO_ARGS[@]}" -d "$DB_DEMO" -i "$addon" --test-enable \
        --test-tags="/$addon" 2>&1 | tee "$log" \
        | grep -E ' (ERROR|CRITICAL|WARNING) |FAIL:|tests when loading' || true
    local rc=${PIPESTATUS[0]}
    stats=$(grep -oE '[0-9]+ failed, [0-9]+ error\(s\) of [0-9]+ tests' "$log" | tail -n1)
    read -r n_fail n_err n_all < <(echo "$stats" | grep -oE '[0-9]+' | paste -sd' ')
    if [ -z "$stats" ] || [ "${n_all:-0}" -eq 0 ]; then
        echo "    FAILED: Odoo ran no test of $addon (exit $rc)" >&2; count 0 1; return
    fi
    count $((n_all - n_fail - n_err)) $((n_fail + n_err))
    if [ "$rc" -ne 0 ] || grep -qE ' (ERROR|CRITICAL) ' "$log"; then
        [ $((n_fail + n_err)) -eq 0 ] && count 0 1
        echo "    FAILED: errors were logged (exit $rc), see $log" >&2
    fi
}

uninstall() {  # uninstall the addon from $1 and check its tables are gone
    printf '%s\n' \
        "env['ir.module.module'].search([('name', '=', 'wecom_archive')]).button_immediate_uninstall()" \
        "env.cr.commit()" \
        | odoo shell "${ODOO_ARGS[@]}" -d "$1" --no-http >"$LOGS/uninstall-$1.log" 2>&1 || return 1
    local state tables functions
    # the bridge (installed with hr in the demo database) goes with its dependency
    state=$(psql -d "$1" -tAc "select string_agg(distinct state, ',') from ir_module_module
                               where name in ('wecom_archive', 'wecom_archive_hr')
                                 and state != 'uninstallable'")
    tables=$(psql -d "$1" -tAc "select count(*) from pg_tables where tablename like 'wecom\_%'")
    # the functions the models made in SQL (models/links.py, the search's bigrams)
    functions=$(psql -d "$1" -tAc "select count(*) from pg_proc where proname like 'wecom\_%'")
    [ "$state" = uninstalled ] && [ "$tables" = 0 ] && [ "$functions" = 0 ] \
        || { echo "    state=$state, wecom tables left=$tables, functions left=$functions" \
                  "(see $LOGS/uninstall-$1.log)" >&2; return 1; }
}

install_bare() {
    odoo "${ODOO_ARGS[@]}" -d "$DB_BARE" -i wecom_archive --without-demo=all >"$LOGS/install-nodemo.log" 2>&1 \
        && ! grep -qE '(ERROR|CRITICAL) ' "$LOGS/install-nodemo.log"
}

pytest_core
odoo_tests wecom_archive
odoo_tests wecom_archive_hr  # brings hr: the employee link, tested where hr is installed
step "odoo: uninstall (with demo data)" uninstall "$DB_DEMO"
step "odoo: install without demo data" install_bare
step "odoo: uninstall (without demo data)" uninstall "$DB_BARE"

echo
echo "tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
