"""lib/evidence.py and lib/evidence_verify.py without Odoo: a pack written, verified, and
altered one byte at a time; the command-line check run as a lone file."""

import hashlib
import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from wecom_archive.lib import evidence, evidence_verify, integrity

BODIES = [
    '{"msgid": "m1", "msgtype": "text", "text": {"content": "你好"}, "msgtime": 1767225600000}',
    '{"text":{"content":"转账"},"msgtype":"text","msgid":"m2","msgtime":1767225601000}',
    None,  # stored undecryptable
]


def write_pack(path):
    writer = evidence.PackWriter(str(path))
    lines = b"".join(evidence.message_line(body) + b"\n" for body in BODIES)
    writer.add_bytes(evidence.MESSAGES, lines, kind="messages")
    writer.add_bytes("messages.pdf", b"%PDF-1.4 fake", kind="pdf")
    writer.add_bytes("media/2-photo.jpg", b"\xff\xd8\xff picture", kind="media")
    writer.add_bytes("media/2-photo.jpg", b"another picture", kind="media")  # same name
    messages = [
        {
            "msgid": f"m{n}",
            "seq": n,
            "msgtime": None,
            "sha256": integrity.body_hash(body) if body else None,
        }
        for n, body in enumerate(BODIES, start=1)
    ]
    return writer.close({"pack": {"name": "EP000001"}, "messages": messages})


def rewrite(path, name, change):
    """Copy the pack with ``change`` applied to member ``name``'s bytes."""
    tmp = path.with_suffix(".tmp")
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(tmp, "w") as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            dst.writestr(info, change(data) if info.filename == name else data)
    tmp.replace(path)


def flip(data, at=0):
    return data[:at] + bytes([data[at] ^ 1]) + data[at + 1 :]


@pytest.fixture
def pack(tmp_path):
    path = tmp_path / "pack.zip"
    digest = write_pack(path)
    return path, digest


def test_a_pack_verifies(pack):
    path, digest = pack
    assert digest == hashlib.sha256(path.read_bytes()).hexdigest()
    result = evidence_verify.verify(str(path), digest)
    assert result["ok"] and result["zip_ok"]
    assert result["checked"] == {"files": 4, "messages": 3}
    manifest = result["manifest"]
    assert [f["path"] for f in manifest["files"]] == [
        "messages.jsonl",
        "messages.pdf",
        "media/2-photo.jpg",
        "media/2-photo (2).jpg",
    ]
    # the lines are the canonical JSON whose hash the archive stores
    with zipfile.ZipFile(path) as archive:
        lines = archive.read("messages.jsonl").split(b"\n")
    assert json.loads(lines[1]) == json.loads(BODIES[1])
    assert hashlib.sha256(lines[0]).hexdigest() == integrity.body_hash(BODIES[0])
    assert lines[2] == b"null"


@pytest.mark.parametrize("name", ["messages.pdf", "media/2-photo.jpg", "media/2-photo (2).jpg"])
def test_one_byte_of_a_file_altered_is_named(pack, name):
    path, digest = pack
    rewrite(path, name, flip)
    result = evidence_verify.verify(str(path), digest)
    assert not result["ok"]
    assert result["files"] == [{"path": name, "problem": "altered"}]
    assert result["zip_ok"] is False
    assert result["messages"] == []


def test_one_byte_of_a_message_altered_is_named(pack):
    path, _digest = pack
    rewrite(path, "messages.jsonl", lambda data: data.replace("转账".encode(), "转帐".encode()))
    result = evidence_verify.verify(str(path))
    assert not result["ok"]
    assert {"path": "messages.jsonl", "problem": "altered"} in result["files"]
    assert result["messages"] == [{"msgid": "m2", "seq": 2, "problem": "altered"}]


def test_missing_and_added_files(pack):
    path, _digest = pack
    tmp = path.with_suffix(".tmp")
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(tmp, "w") as dst:
        for info in src.infolist():
            if info.filename != "messages.pdf":
                dst.writestr(info, src.read(info.filename))
        dst.writestr("extra.txt", b"slipped in")
    tmp.replace(path)
    result = evidence_verify.verify(str(path))
    assert {"path": "messages.pdf", "problem": "missing"} in result["files"]
    assert {"path": "extra.txt", "problem": "added"} in result["files"]
    assert not result["ok"]


def test_not_a_pack(tmp_path):
    path = tmp_path / "x.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("a.txt", b"a")
    with pytest.raises(evidence_verify.NotAPack):
        evidence_verify.verify(str(path))
    path.write_bytes(b"not a zip")
    with pytest.raises(evidence_verify.NotAPack):
        evidence_verify.verify(str(path))


def test_command_line_runs_alone(pack, tmp_path):
    """The script copied on its own and run by a bare Python (-I -S: no site, no
    wecom_archive on the path): exit 0 when intact, 1 and the file's name when altered."""
    path, digest = pack
    script = tmp_path / "alone" / "evidence_verify.py"
    script.parent.mkdir()
    shutil.copy(Path(evidence_verify.__file__), script)
    run = [sys.executable, "-I", "-S", str(script), str(path), "--sha256", digest]
    done = subprocess.run(run, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "OK, nothing altered" in done.stdout
    rewrite(path, "media/2-photo.jpg", flip)
    done = subprocess.run(run, capture_output=True, text=True, check=False)
    assert done.returncode == 1
    assert "file ALTERED: media/2-photo.jpg" in done.stdout
    assert "ZIP ALTERED" in done.stdout
    done = subprocess.run([*run[:4], str(script)], capture_output=True, text=True, check=False)
    assert done.returncode == 2


def test_local_time_and_safe_names():
    assert evidence.local_time(1767225600000, "Asia/Shanghai") == "2026-01-01 08:00:00 +08:00"
    assert evidence.local_time("2026-01-01 00:00:00", "UTC") == "2026-01-01 00:00:00 +00:00"
    assert evidence.safe_name("../a/b:c?.txt") == "_a_b_c_.txt"
    assert evidence.safe_name("") == "file"


def test_sheet_writes_text_as_text():
    data = evidence.write_sheet(
        [[1, "2026-01-01", "艾伦", "ailun", "文本", "=1+1", "", "", "", 1, "m1", "ab"]],
        title="t",
        note="n",
    )
    with zipfile.ZipFile(__import__("io").BytesIO(data)) as book:
        sheet = book.read("xl/worksheets/sheet1.xml").decode()
        strings = book.read("xl/sharedStrings.xml").decode()
    assert "<f>" not in sheet  # "=1+1" stays text, never a formula
    assert "=1+1" in strings
