#!/usr/bin/env bash
# Everything `make test` and `make demo` need beyond Odoo 18 and PostgreSQL.
source "$(dirname "$0")/common.sh"

command -v gcc >/dev/null || die "gcc is missing: apt-get install gcc (it builds the fake Finance SDK)."

# Debian packages for what a user sees: Chromium (browser tours, screenshots), a CJK font
# (Chinese text renders as boxes without one) and ffmpeg (voice messages made playable).
missing=()
command -v chromium >/dev/null || missing+=(chromium)
fc-list 2>/dev/null | grep -qi "CJK" || missing+=(fonts-noto-cjk)
command -v ffmpeg >/dev/null || missing+=(ffmpeg)  # voice (AMR) converted for browsers
command -v wkhtmltopdf >/dev/null || missing+=(wkhtmltopdf)  # evidence packs' PDF
if [ "${#missing[@]}" -gt 0 ]; then
    mkdir -p "$BUILD"
    echo "installing ${missing[*]} from Debian"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"; } \
        >"$BUILD/apt.log" 2>&1 || die "could not install ${missing[*]} (apt-get, see $BUILD/apt.log)."
fi
"$ODOO_PYTHON" -m pip install --quiet --disable-pip-version-check -r "$ROOT/requirements.txt" \
    || die "could not install requirements.txt into Odoo's Python ($ODOO_PYTHON)."
make --no-print-directory -C "$ROOT" sdk

# Tencent's real SDK, for the contract tests (native/tests/test_contract.py): its x86_64 and arm64
# libraries and its header, from the wheel pinned by version and sha256 in scripts/real_sdk.txt,
# fetched only when build/real_sdk/ does not hold that pin's files yet.
real_sdk() {
    local dir="$BUILD/real_sdk" pin tmp why
    pin=$(grep -vE '^[[:space:]]*(#|$)' "$ROOT/scripts/real_sdk.txt" || true)
    [ -n "$pin" ] || die "scripts/real_sdk.txt pins no wheel of Tencent's Finance SDK."
    if [ -f "$dir/libWeWorkFinanceSdk_C_x86.so" ] && [ -f "$dir/libWeWorkFinanceSdk_C_arm.so" ] \
        && [ -f "$dir/WeWorkFinanceSdk_C.h" ] && [ "$(cat "$dir/PIN" 2>/dev/null)" = "$pin" ]; then
        return 0
    fi
    mkdir -p "$BUILD"
    tmp=$(mktemp -d "$BUILD/real_sdk.XXXXXX")
    if ! "$ODOO_PYTHON" -m pip download --quiet --disable-pip-version-check --no-deps \
        --only-binary=:all: --require-hashes -r "$ROOT/scripts/real_sdk.txt" -d "$tmp/wheel" \
        >"$tmp/pip.log" 2>&1; then
        why=$(grep -m1 -E 'ERROR|error' "$tmp/pip.log" || tail -n1 "$tmp/pip.log")
        rm -rf "$tmp"
        die "could not download Tencent's Finance SDK (${pin%% *} with its sha256) from PyPI: $why"
    fi
    if ! "$ODOO_PYTHON" -c '
import glob, os, sys, zipfile
out = sys.argv[2]
os.makedirs(out)
with zipfile.ZipFile(glob.glob(os.path.join(sys.argv[1], "*.whl"))[0]) as wheel:
    for name in sys.argv[3:]:
        with open(os.path.join(out, name), "wb") as handle:
            handle.write(wheel.read("pyweworkfinance/libs/linux/" + name))
' "$tmp/wheel" "$tmp/real_sdk" libWeWorkFinanceSdk_C_x86.so libWeWorkFinanceSdk_C_arm.so \
        WeWorkFinanceSdk_C.h 2>"$tmp/unzip.log"; then
        why=$(tail -n1 "$tmp/unzip.log")
        rm -rf "$tmp"
        die "the ${pin%% *} wheel does not hold the Finance SDK's libraries and header: $why"
    fi
    echo "$pin" >"$tmp/real_sdk/PIN"
    rm -rf "$dir"
    mv "$tmp/real_sdk" "$dir"
    rm -rf "$tmp"
    echo "Tencent's Finance SDK (${pin%% *}) is in $dir."
}
real_sdk
