# Shared by the Makefile's scripts: locate Odoo 18 and PostgreSQL, or fail saying what to install.
# shellcheck shell=bash
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD="$ROOT/build"
export TZ=UTC
export PGHOST="${PGHOST:-127.0.0.1}" PGPORT="${PGPORT:-5432}" PGUSER="${PGUSER:-$(id -un)}"
export WECOM_FAKE_SDK_LIB="$BUILD/libWeWorkFinanceSdk_C.so"
# Tencent's real SDK, extracted by setup.sh from the wheel pinned in scripts/real_sdk.txt.
export WECOM_REAL_SDK_DIR="${WECOM_REAL_SDK_DIR:-$BUILD/real_sdk}"

die() { echo "error: $*" >&2; exit 1; }

find_odoo_python() {
    local py
    for py in "${ODOO_PYTHON:-}" /opt/odoo18/venv/bin/python python3; do
        [ -n "$py" ] || continue
        if "$py" -c 'import odoo.release as r; assert r.version_info[0] == 18' >/dev/null 2>&1; then
            echo "$py"
            return 0
        fi
    done
    return 1
}

ODOO_PYTHON=$(find_odoo_python) || die "Odoo 18 is not importable (tried \$ODOO_PYTHON, \
/opt/odoo18/venv/bin/python, python3): install Odoo 18.0 Community in a venv at /opt/odoo18/venv \
(see README.md, 'Prerequisites') or set ODOO_PYTHON."
export ODOO_PYTHON

# Odoo's own addons folder, next to the odoo package of a source install.
ODOO_ADDONS=$("$ODOO_PYTHON" -c 'import odoo, os; print(os.path.join(os.path.dirname(os.path.dirname(odoo.__file__)), "addons"))')
[ -d "$ODOO_ADDONS/web" ] || die "Odoo's addons (web, mail, ...) are not at $ODOO_ADDONS."
ADDONS_PATH="$ROOT,$ODOO_ADDONS"

ensure_postgres() {
    if ! pg_isready -q -h "$PGHOST" -p "$PGPORT" 2>/dev/null; then
        if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
            echo "PostgreSQL is down: starting it." >&2
            pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -n1)" main start || true
            for _ in $(seq 20); do pg_isready -q -h "$PGHOST" -p "$PGPORT" && break; sleep 0.5; done
        fi
    fi
    pg_isready -q -h "$PGHOST" -p "$PGPORT" 2>/dev/null \
        || die "PostgreSQL is not answering on $PGHOST:$PGPORT: install and start PostgreSQL 15 (apt-get install postgresql)."
    psql -d postgres -tAc 'select 1' >/dev/null 2>&1 \
        || die "PostgreSQL refuses role $PGUSER: create it as a superuser (createuser -s $PGUSER)."
}

odoo() {
    "$ODOO_PYTHON" -m odoo "$@"
}
