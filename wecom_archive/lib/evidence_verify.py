"""Check an evidence pack (证据包) with Python alone: recompute every hash it states.

    python evidence_verify.py PACK.zip [--sha256 HEX]
    python -m wecom_archive.lib.evidence_verify PACK.zip [--sha256 HEX]

A pack is a ZIP holding ``manifest.json`` and the files it lists (the PDF of the thread,
the Excel sheet, ``messages.jsonl`` and the original media files). The manifest gives each
file's SHA-256 and size and, for every message, its msgid, seq, msgtime and the SHA-256 of
its decrypted JSON as the archive stored it (the SHA-256 of its canonical JSON: keys sorted,
no whitespace, UTF-8; see lib/integrity.py). ``messages.jsonl`` holds that canonical JSON,
one message a line in the manifest's order (``null`` for a message that could not be
decrypted), so its hash is recomputed here from the bytes as they are, without any JSON
library rule to agree on. A masked export (its exporter may not see originals: manifest
``message_bodies`` "withheld") has no messages.jsonl: its messages are checked against the
archive only, by the archive's own verify.

The check names every file altered, missing or added, every message whose line no longer
hashes to the manifest's value, and (``--sha256``: the pack's own SHA-256 the archive
recorded when it built it) whether the ZIP itself is the one that was built: only that last
check also covers the manifest. Exit status 0 when nothing was altered, 1 otherwise, 2 when
the file is not a pack.

Standard library only: this file may be copied and run on its own.
"""

import hashlib
import json
import sys
import zipfile

MANIFEST = "manifest.json"
MESSAGES = "messages.jsonl"
FORMAT = "wecom-evidence-pack/1"
_CHUNK = 1 << 20

# what is wrong with a file or a message
ALTERED = "altered"
MISSING = "missing"
ADDED = "added"


class NotAPack(ValueError):
    """The file is not a readable evidence pack."""


def file_sha256(path_or_file):
    """SHA-256 (hex) of a file, read in chunks."""
    digest = hashlib.sha256()
    handle = open(path_or_file, "rb") if isinstance(path_or_file, str) else path_or_file  # noqa: SIM115
    try:
        for chunk in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(chunk)
    finally:
        if isinstance(path_or_file, str):
            handle.close()
    return digest.hexdigest()


def _member_sha256(archive, name):
    digest, size = hashlib.sha256(), 0
    with archive.open(name) as handle:
        for chunk in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def read_manifest(archive):
    try:
        manifest = json.loads(archive.read(MANIFEST).decode("utf-8"))
    except KeyError:
        raise NotAPack("no manifest.json in the ZIP") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise NotAPack(f"manifest.json is not JSON: {exc}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise NotAPack(f"manifest.json is not a {FORMAT} manifest")
    return manifest


def verify(path_or_file, expected_sha256=None):
    """Check a pack. Returns a dict:

    ok          nothing altered (and the ZIP's SHA-256 as expected, when given)
    zip_sha256  the ZIP's SHA-256 now; zip_ok: equal to ``expected_sha256`` (None: not given)
    files       [{"path", "problem"}] of the files altered, missing, or added
    messages    [{"msgid", "seq", "problem"}] of the messages whose JSON line was altered
                or is missing
    manifest    the manifest (its ``messages`` list included)
    checked     {"files": n, "messages": n}
    """
    if not isinstance(path_or_file, str):
        path_or_file.seek(0)
    zip_sha256 = file_sha256(path_or_file)
    if not isinstance(path_or_file, str):
        path_or_file.seek(0)
    try:
        archive = zipfile.ZipFile(path_or_file)
    except (zipfile.BadZipFile, OSError) as exc:
        raise NotAPack(f"not a ZIP file: {exc}") from None
    with archive:
        manifest = read_manifest(archive)
        names = [info.filename for info in archive.infolist() if not info.is_dir()]
        present = set(names)
        listed = {}
        for entry in manifest.get("files") or []:
            listed[entry.get("path")] = entry
        files = []
        for path, entry in listed.items():
            if path not in present:
                files.append({"path": path, "problem": MISSING})
                continue
            try:
                digest, size = _member_sha256(archive, path)
            except (zipfile.BadZipFile, OSError, EOFError):  # a CRC error: bytes changed
                digest, size = "", -1
            if digest != entry.get("sha256") or size != entry.get("size", size):
                files.append({"path": path, "problem": ALTERED})
        for path in names:
            if path != MANIFEST and path not in listed:
                files.append({"path": path, "problem": ADDED})
        messages = _check_messages(archive, manifest, present)
    zip_ok = None if not expected_sha256 else zip_sha256 == expected_sha256.strip().lower()
    return {
        "ok": not files and not messages and zip_ok is not False,
        "zip_sha256": zip_sha256,
        "zip_ok": zip_ok,
        "files": files,
        "messages": messages,
        "manifest": manifest,
        "checked": {"files": len(listed), "messages": len(manifest.get("messages") or [])},
    }


def _check_messages(archive, manifest, present):
    """The messages whose canonical JSON line in messages.jsonl no longer hashes to the
    manifest's value (or is missing)."""
    listed = manifest.get("messages") or []
    if not listed or manifest.get("message_bodies") == "withheld":
        # a masked export holds no original JSON: its messages are checked against the
        # archive only (the Odoo verify)
        return []
    lines = []
    if MESSAGES in present:
        try:
            with archive.open(MESSAGES) as handle:
                lines = handle.read().split(b"\n")
        except (zipfile.BadZipFile, OSError, EOFError):
            lines = []
    if lines and lines[-1] == b"":
        lines.pop()
    problems = []
    for index, message in enumerate(listed):
        line = lines[index] if index < len(lines) else None
        expected = message.get("sha256")
        if line is None:
            problem = MISSING
        elif expected:
            problem = None if hashlib.sha256(line).hexdigest() == expected else ALTERED
        else:  # a message stored undecryptable: no JSON, its line is null
            problem = None if line == b"null" else ALTERED
        if problem:
            problems.append(
                {"msgid": message.get("msgid"), "seq": message.get("seq"), "problem": problem}
            )
    if len(lines) > len(listed):
        problems.append({"msgid": None, "seq": None, "problem": ADDED})
    return problems


_WORDS = {ALTERED: "ALTERED", MISSING: "MISSING", ADDED: "ADDED (not in the manifest)"}


def report(result):
    """The lines the command prints for a result of :func:`verify`."""
    manifest = result["manifest"]
    lines = [
        f"pack: {manifest.get('pack', {}).get('name', '')}",
        f"exported by: {manifest.get('exporter', {}).get('name', '')} "
        f"at {manifest.get('exported_at', '')}",
        f"zip sha256: {result['zip_sha256']}",
    ]
    if result["zip_ok"] is not None:
        lines.append(
            "zip sha256 matches the recorded one"
            if result["zip_ok"]
            else "ZIP ALTERED: its sha256 differs from the recorded one"
        )
    for problem in result["files"]:
        lines.append(f"file {_WORDS[problem['problem']]}: {problem['path']}")
    for problem in result["messages"]:
        if problem["msgid"] is None:
            lines.append("messages.jsonl has lines the manifest does not list")
        else:
            lines.append(
                f"message {_WORDS[problem['problem']]}: seq {problem['seq']} "
                f"msgid {problem['msgid']}"
            )
    checked = result["checked"]
    lines.append(
        f"checked {checked['files']} files and {checked['messages']} messages: "
        + ("OK, nothing altered" if result["ok"] else "ALTERED")
    )
    return lines


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    expected = None
    if "--sha256" in argv:
        at = argv.index("--sha256")
        if at + 1 >= len(argv):
            print("--sha256 needs a value", file=sys.stderr)
            return 2
        expected = argv[at + 1]
        del argv[at : at + 2]
    if len(argv) != 1 or argv[0] in ("-h", "--help"):
        print(__doc__.strip().split("\n\n")[1], file=sys.stderr)
        return 2
    try:
        result = verify(argv[0], expected)
    except (NotAPack, OSError) as exc:
        print(f"not an evidence pack: {exc}", file=sys.stderr)
        return 2
    print("\n".join(report(result)))
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
