import hashlib
import json
import os
import tracemalloc
from datetime import UTC, datetime

import pytest

from wecom_archive.lib.normalize import KNOWN_TYPES
from wecom_archive.native.corpus.generate import generate

END = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    out = tmp_path_factory.mktemp("generated")
    summary = generate(
        str(out), messages=1500, seed=7, end=END, media_scale=0.05, key_versions=(1, 2)
    )
    with open(out / "company.json", encoding="utf-8") as handle:
        company = json.load(handle)
    lines = (out / "messages.jsonl").read_text(encoding="utf-8").splitlines()
    return out, summary, company, lines


def parsed(lines):
    return [json.loads(line.split("\t", 1)[1]) for line in lines]


def test_deterministic(tmp_path, corpus):
    out, _summary, _company, lines = corpus
    generate(str(tmp_path), messages=1500, seed=7, end=END, media_scale=0.05, key_versions=(1, 2))
    assert (tmp_path / "messages.jsonl").read_text(encoding="utf-8").splitlines() == lines
    assert sorted(os.listdir(tmp_path / "media")) == sorted(os.listdir(out / "media"))


def test_every_type_in_realistic_proportions(corpus):
    _out, summary, _company, lines = corpus
    assert len(lines) == summary["messages"] == 1500
    types = {m.get("msgtype", "switch") for m in parsed(lines)}
    assert types == KNOWN_TYPES
    assert summary["per_type"]["text"] / 1500 > 0.6


def test_schema_and_order(corpus):
    _out, _summary, _company, lines = corpus
    messages = parsed(lines)
    times = [m.get("msgtime", m.get("time")) for m in messages]
    assert times == sorted(times)
    seen = set()
    for message in messages:
        assert message["msgid"] not in seen
        seen.add(message["msgid"])
        if message["action"] == "switch":
            assert set(message) == {"msgid", "action", "time", "user"}
            continue
        assert {"from", "tolist", "roomid", "msgtime", "msgtype"} <= set(message)
        if message["msgtype"] == "revoke":
            assert message["action"] == "recall"
            assert message["revoke"]["pre_msgid"] in seen
        elif message["msgtype"] == "vote":
            assert {"votetitle", "voteitem", "votetype", "voteid"} <= set(message)
        elif message["msgtype"] in ("markdown", "news", "voiptext", "qydiskfile"):
            assert "info" in message
        elif message["msgtype"] == "docmsg":
            assert "doc" in message
        elif message["msgtype"] == "external_redpacket":
            assert "redpacket" in message
        else:
            assert message["msgtype"] in message
        if message["msgtype"] in ("chatrecord", "mixed"):
            for item in message[message["msgtype"]]["item"]:
                assert isinstance(json.loads(item["content"]), dict)


def test_key_rotation_prefixes(corpus):
    _out, _summary, _company, lines = corpus
    versions = [int(line.split("\t", 1)[0]) for line in lines]
    assert versions == sorted(versions) and set(versions) == {1, 2}


def test_media_files_match_messages(corpus):
    out, summary, _company, lines = corpus
    sizes = {
        "image": "filesize",
        "video": "filesize",
        "file": "filesize",
        "voice": "voice_size",
        "emotion": "imagesize",
        "voip_doc_share": "filesize",
    }
    checked = 0
    for message in parsed(lines):
        body = message.get(message.get("msgtype"), {})
        if message.get("msgtype") not in sizes and message.get("msgtype") != "meeting_voice_call":
            continue
        data = (out / "media" / body["sdkfileid"]).read_bytes()
        if not data.startswith(b"#!AMR"):  # AMR frames are random bits: NULs or not
            assert b"\0" in data
        if message["msgtype"] in sizes:
            assert body[sizes[message["msgtype"]]] == len(data)
        if body.get("md5sum"):
            assert body["md5sum"] == hashlib.md5(data).hexdigest()
        checked += 1
    assert checked > 20
    assert summary["media_bytes"] == sum(p.stat().st_size for p in (out / "media").iterdir())


def test_company_explains_every_chat(corpus):
    _out, _summary, company, lines = corpus
    users = {u["userid"] for u in company["users"]}
    externals = {c["external_contact"]["external_userid"] for c in company["external_contacts"]}
    rooms = {g["chat_id"] for g in company["external_groups"]}
    rooms |= {g["roomid"] for g in company["internal_groups"]}
    for message in parsed(lines):
        ids = [message.get("from") or message.get("user"), *message.get("tolist", [])]
        for userid in ids:
            assert userid in users or userid in externals or userid.startswith("wb"), userid
        if message.get("roomid"):
            assert message["roomid"] in rooms
    assert set(company["permit_user_list"]) < users
    assert any(a["agree_status"] == "Disagree" for a in company["agree"])
    assert company["deleted_follow_user"]
    assert {d["parentid"] for d in company["departments"]} <= {0} | {
        d["id"] for d in company["departments"]
    }


def test_streaming_memory_is_flat(tmp_path):
    tracemalloc.start()
    generate(str(tmp_path), messages=20000, seed=3, end=END, media_scale=0.001)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 30 * 1024 * 1024


@pytest.mark.parametrize("messages", [1500, 20000])
def test_history_ends_by_its_end_date(tmp_path, messages):
    # The demo's history ends now, not weeks in the future, at any density.
    generate(str(tmp_path), messages=messages, seed=3, end=END, days=30, media_scale=0.001)
    lines = (tmp_path / "messages.jsonl").read_text(encoding="utf-8").splitlines()
    times = [m.get("msgtime", m.get("time")) for m in (json.loads(line) for line in lines)]
    assert len(times) == messages
    first, last = (datetime.fromtimestamp(t / 1000, UTC) for t in (min(times), max(times)))
    assert END.timestamp() - 30 * 86400 <= first.timestamp()
    assert last <= END
    assert (END - last).days < 2, f"the history ends {END - last} early"
