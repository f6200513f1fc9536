#!/usr/bin/env bash
# Refresh i18n/wecom_archive.pot from a scratch install and merge it into i18n/zh_CN.po
# (new terms arrive untranslated; the translation test lists them until they are filled).
source "$(dirname "$0")/common.sh"
ensure_postgres
DB="wecom_i18n_$$"
trap 'dropdb --if-exists "$DB" 2>/dev/null || true' EXIT
I18N="$ROOT/wecom_archive/i18n"
odoo --addons-path="$ADDONS_PATH" -d "$DB" -i wecom_archive --without-demo=all \
    --http-port=8171 --stop-after-init --log-level=warn
odoo --addons-path="$ADDONS_PATH" -d "$DB" --modules=wecom_archive \
    --i18n-export="$I18N/wecom_archive.pot" --http-port=8171 --stop-after-init --log-level=warn
"$ODOO_PYTHON" - "$I18N/wecom_archive.pot" "$I18N/zh_CN.po" <<'PY'
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
print(f"{len(po)} terms, {len(missing)} untranslated")
for msgid in missing:
    print("  untranslated:", msgid)
PY
