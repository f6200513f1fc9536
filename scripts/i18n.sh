#!/usr/bin/env bash
# Refresh each addon's i18n/<addon>.pot from a scratch install and merge it into its
# i18n/zh_CN.po (new terms arrive untranslated; the translation tests list them until filled).
source "$(dirname "$0")/common.sh"
ensure_postgres
DB="wecom_i18n_$$"
trap 'dropdb --if-exists "$DB" 2>/dev/null || true' EXIT
ADDONS=(wecom_archive wecom_archive_hr)
odoo --addons-path="$ADDONS_PATH" -d "$DB" -i "$(IFS=,; echo "${ADDONS[*]}")" --without-demo=all \
    --http-port=8171 --stop-after-init --log-level=warn
for addon in "${ADDONS[@]}"; do
    I18N="$ROOT/$addon/i18n"
    mkdir -p "$I18N"
    odoo --addons-path="$ADDONS_PATH" -d "$DB" --modules="$addon" \
        --i18n-export="$I18N/$addon.pot" --http-port=8171 --stop-after-init --log-level=warn
    "$ODOO_PYTHON" - "$I18N/$addon.pot" "$I18N/zh_CN.po" <<'PY'
import os, sys
import polib
pot_path, po_path = sys.argv[1:]
pot = polib.pofile(pot_path)
po = polib.pofile(po_path) if os.path.exists(po_path) else polib.POFile()
po.merge(pot)
po.metadata.update({"Language": "zh_CN", "Content-Type": "text/plain; charset=UTF-8",
                    "Content-Transfer-Encoding": "", "Plural-Forms": ""})
po.metadata = {k: v for k, v in po.metadata.items() if v}
po[:] = [entry for entry in po if not entry.obsolete]
po.save(po_path)
missing = [entry.msgid for entry in po if not entry.msgstr]
print(f"{os.path.relpath(po_path)}: {len(po)} terms, {len(missing)} untranslated")
for msgid in missing:
    print("  untranslated:", msgid)
PY
done
