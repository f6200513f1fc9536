#!/usr/bin/env bash
# Everything `make test` and `make demo` need beyond Odoo 18 and PostgreSQL.
source "$(dirname "$0")/common.sh"

command -v gcc >/dev/null || die "gcc is missing: apt-get install gcc (it builds the fake Finance SDK)."
"$ODOO_PYTHON" -m pip install --quiet --disable-pip-version-check -r "$ROOT/requirements.txt" \
    || die "could not install requirements.txt into Odoo's Python ($ODOO_PYTHON)."
make --no-print-directory -C "$ROOT" sdk
