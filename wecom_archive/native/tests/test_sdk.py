"""The ctypes binding against the compiled fake SDK: every path, and no leaks (see conftest)."""

import hashlib
import json
import os
import random
import threading
import time

import pytest

from wecom_archive.lib.crypto import decrypt_random_key, load_private_key
from wecom_archive.native.errors import (
    MediaIntegrityError,
    SdkCredentialError,
    SdkDecryptError,
    SdkError,
    SdkLibraryError,
    SdkNotTrustedError,
    SdkRetryableError,
)
from wecom_archive.native.sdk import CHUNK_SIZE, SdkClient, load_library, with_retry

from .conftest import CORPID, SECRET, text_message


@pytest.fixture
def client(sdk_lib_path):
    with SdkClient(sdk_lib_path, CORPID, SECRET, timeout=2) as sdk:
        yield sdk


def no_sleep(_delay):
    pass


def test_missing_library_is_a_clear_error(tmp_path):
    with pytest.raises(SdkLibraryError) as caught:
        SdkClient(str(tmp_path / "libWeWorkFinanceSdk_C.so"), CORPID, SECRET)
    assert "file not found" in str(caught.value)
    assert "无法加载" in caught.value.message("zh_CN")
    with pytest.raises(SdkLibraryError, match="no library path"):
        load_library("")


def test_wrong_library_is_a_clear_error(tmp_path):
    not_elf = tmp_path / "libWeWorkFinanceSdk_C.so"
    not_elf.write_bytes(b"not a shared object")
    with pytest.raises(SdkLibraryError):
        load_library(str(not_elf))
    libm = next(
        p for p in ("/lib/x86_64-linux-gnu/libm.so.6", "/usr/lib64/libm.so.6") if os.path.exists(p)
    )
    with pytest.raises(SdkLibraryError, match="not a Finance SDK"):
        load_library(libm)


def test_paging_over_thousands(corpus, client):
    corpus.build([text_message(n) for n in range(1, 3501)])
    seq, seen = 0, []
    while True:
        batch = client.get_chat_data(seq, 1000)
        if not batch:
            break
        assert len(batch) <= 1000
        seen.extend(record["seq"] for record in batch)
        seq = batch[-1]["seq"]
    assert seen == list(range(1, 3501))
    assert client.get_chat_data(3500, 1000) == []
    assert [r["seq"] for r in client.get_chat_data(1234, 3)] == [1235, 1236, 1237]
    record = client.get_chat_data(0, 1)[0]
    assert set(record) == {
        "seq",
        "msgid",
        "publickey_ver",
        "encrypt_random_key",
        "encrypt_chat_msg",
    }
    assert record["msgid"] == "msg000001"


def test_answer_without_chatdata_is_nothing_new(corpus, client):
    corpus.build([text_message(1)])
    corpus.faults("omit_empty_chatdata=1\n")
    assert client.get_chat_data(1, 10) == []
    assert len(client.get_chat_data(0, 10)) == 1


def test_record_without_integer_seq_is_a_parse_error(corpus, client):
    corpus.build([text_message(1)])
    with open(os.path.join(corpus.dir, "chatdata.jsonl"), "a", encoding="utf-8") as chat:
        chat.write('{"seq":2.5,"msgid":"odd","publickey_ver":1}\n')
    with pytest.raises(SdkRetryableError) as caught:
        client.get_chat_data(0, 10)
    assert caught.value.code == 10002
    assert "integer seq" in caught.value.detail
    assert len(client.get_chat_data(0, 1)) == 1, "the records before it still come"


def test_limit_over_1000_rejected(corpus, client):
    corpus.build([text_message(1)])
    with pytest.raises(SdkError) as caught:
        client.get_chat_data(0, 1001)
    assert caught.value.code == 10000
    # The fake itself refuses it too, as the real SDK does.
    slice_p = client.lib.NewSlice()
    try:
        assert client._call("GetChatData", 0, 1001, b"", b"", 2, slice_p) == 10000
    finally:
        client.lib.FreeSlice(slice_p)


def test_wrong_secret(corpus, sdk_lib_path):
    corpus.build([text_message(1)])
    with (
        SdkClient(sdk_lib_path, CORPID, "not-the-secret") as sdk,
        pytest.raises(SdkCredentialError) as caught,
    ):
        sdk.get_chat_data(0, 10)
    assert caught.value.code == 40001
    assert not caught.value.retryable
    assert "not-the-secret" not in str(caught.value)
    assert "Secret" in caught.value.message("zh_CN")
    assert "not-the-secret" not in repr(sdk)


def test_retryable_storm_is_retried(corpus, client):
    corpus.build([text_message(n) for n in range(1, 11)])
    corpus.faults("chatdata_error=10001\nchatdata_error_every=2\n")
    client.get_chat_data(0, 5)  # call 1 passes
    with pytest.raises(SdkRetryableError) as caught:
        client.get_chat_data(5, 5)  # call 2 fails
    assert caught.value.code == 10001 and caught.value.retryable
    delays = []
    batch = with_retry(lambda: client.get_chat_data(5, 5), sleep=delays.append)  # call 3
    assert [r["seq"] for r in batch] == [6, 7, 8, 9, 10]
    corpus.faults("chatdata_error=10002\nchatdata_error_every=1\n")
    with pytest.raises(SdkRetryableError):
        with_retry(lambda: client.get_chat_data(0, 5), attempts=3, sleep=delays.append)
    assert len(delays) == 2 and delays[1] > delays[0] * 0.9


def test_untrusted_ip(corpus, client):
    corpus.build([text_message(1)])
    corpus.faults("ip_untrusted=1\n")
    with pytest.raises(SdkNotTrustedError) as caught:
        client.get_chat_data(0, 10)
    assert caught.value.code == 10009 and not caught.value.retryable
    assert "可信 IP" in caught.value.message("zh_CN")
    with pytest.raises(SdkNotTrustedError):
        client.get_media_chunk("whatever")


def test_timeout(corpus, sdk_lib_path):
    corpus.build([text_message(1)])
    with SdkClient(sdk_lib_path, CORPID, SECRET, timeout=1) as sdk:
        corpus.faults("slow_ms=2500\n")
        started = time.monotonic()
        with pytest.raises(SdkRetryableError) as caught:
            sdk.get_chat_data(0, 10)
        assert caught.value.code == 10001
        assert 0.9 < time.monotonic() - started < 2.4
        corpus.faults("slow_ms=200\n")
        assert len(sdk.get_chat_data(0, 10)) == 1


def test_round_trip_two_key_versions(corpus, client, key_pairs):
    lines = [json.dumps(text_message(1), ensure_ascii=False)]
    lines.append("2\t" + json.dumps(text_message(2, "版本2的密钥 🔑"), ensure_ascii=False))
    lines.append('{"msgid":"broken", "action": "send", "text": {"content": "半截')  # malformed
    lines.append("1\t" + json.dumps(text_message(4, "控制字符\x01\x1f在这里")))
    lines.append("2\tnot json at all, kept as written  ")
    long_text = "长消息" * 4000
    lines.append(json.dumps(text_message(6, long_text), ensure_ascii=False))
    corpus.build(lines)
    expected = [line.split("\t", 1)[1] if line[:2] in ("1\t", "2\t") else line for line in lines]
    versions = [2 if line.startswith("2\t") else 1 for line in lines]
    private = {version: load_private_key(pair[0]) for version, pair in key_pairs.items()}
    records = client.get_chat_data(0, 1000)
    assert [r["publickey_ver"] for r in records] == versions
    assert records[2]["msgid"] == "corpus-3"
    for record, line in zip(records, expected, strict=True):
        random_key = decrypt_random_key(
            private[record["publickey_ver"]], record["encrypt_random_key"]
        )
        plaintext = client.decrypt(random_key, record["encrypt_chat_msg"])
        assert plaintext == line.encode()


def test_decrypt_errors(corpus, client, key_pairs):
    corpus.build([text_message(1)])
    record = client.get_chat_data(0, 1)[0]
    with pytest.raises(SdkDecryptError) as caught:
        client.decrypt(b"x" * 32, record["encrypt_chat_msg"])
    assert caught.value.code == 10006
    with pytest.raises(SdkDecryptError) as caught:
        client.decrypt(b"short", record["encrypt_chat_msg"])
    assert caught.value.code == 10008
    with pytest.raises(SdkError) as caught:
        client.decrypt(b"x" * 32, "%%%not base64%%%")
    assert caught.value.code == 10000
    wrong = load_private_key(key_pairs[2][0])
    with pytest.raises(ValueError, match="cannot be decrypted"):
        decrypt_random_key(wrong, record["encrypt_random_key"])


def read(path):
    with open(path, "rb") as handle:
        return handle.read()


def media_bytes(size, seed=7):
    rng = random.Random(seed)
    data = bytearray(rng.getrandbits(8) for _ in range(min(size, 65536)))
    data = (bytes(data) * (size // len(data) + 1))[:size]
    return b"\xff\xd8\xff\x00\x00" + data[5:]


def test_media_multi_chunk_byte_exact(corpus, client, tmp_path):
    content = media_bytes(3 * 1024 * 1024 + 12345)
    assert b"\0" in content
    sdkfileid = "CtYBMzA2OTAyMDEwMjA0NjIz+MDYwMDIwMTAwMDIwNGJi=="
    corpus.build([text_message(1)], media={sdkfileid: content})
    offsets = []
    dest = str(tmp_path / "big.jpg")
    size, digest = client.download_media(
        sdkfileid,
        dest,
        md5sum=hashlib.md5(content).hexdigest(),
        size=len(content),
        on_chunk=offsets.append,
    )
    assert size == len(content) and digest == hashlib.md5(content).hexdigest()
    assert read(dest) == content
    assert len(offsets) == 7 and offsets[0] == CHUNK_SIZE and offsets[-1] == len(content)
    assert not os.path.exists(dest + ".part") and not os.path.exists(dest + ".part.json")


def test_media_empty_and_unknown(corpus, client, tmp_path):
    corpus.build([text_message(1)], media={"empty": b""})
    dest = str(tmp_path / "empty")
    assert client.download_media("empty", dest, md5sum=hashlib.md5(b"").hexdigest()) == (
        0,
        hashlib.md5(b"").hexdigest(),
    )
    with pytest.raises(SdkError) as caught:
        client.download_media("no-such-file", str(tmp_path / "x"))
    assert caught.value.code == 10005


def test_media_resumes_half_finished_download(corpus, client, tmp_path):
    content = media_bytes(5 * CHUNK_SIZE + 77, seed=3)
    corpus.build([text_message(1)], media={"vid": content})
    dest = str(tmp_path / "video.mp4")

    class Crash(Exception):
        pass

    def crash_after_two(offset):
        if offset >= 2 * CHUNK_SIZE:
            raise Crash

    with pytest.raises(Crash):
        client.download_media(
            "vid", dest, md5sum=hashlib.md5(content).hexdigest(), on_chunk=crash_after_two
        )
    assert os.path.getsize(dest + ".part") == 2 * CHUNK_SIZE
    # A crash between writing the chunk and recording it leaves extra bytes: they are cut off.
    with open(dest + ".part", "ab") as part:
        part.write(b"garbage after the recorded offset")
    offsets = []
    client.download_media(
        "vid", dest, md5sum=hashlib.md5(content).hexdigest(), on_chunk=offsets.append
    )
    assert offsets[0] == 3 * CHUNK_SIZE, "the download did not resume where it stopped"
    assert read(dest) == content


def test_media_retries_and_md5(corpus, client, tmp_path):
    content = media_bytes(3 * CHUNK_SIZE, seed=5)
    md5 = hashlib.md5(content).hexdigest()
    corpus.build([text_message(1)], media={"file1": content})
    corpus.faults("media_error=10001\nmedia_error_every=2\n")
    dest = str(tmp_path / "a.bin")
    client.download_media("file1", dest, md5sum=md5, base_delay=0.001)
    assert read(dest) == content

    # A corrupted first chunk: md5 fails, the file is fetched again from scratch.
    corpus.faults("media_corrupt_every=1\n")
    calls = []

    def heal(offset):
        calls.append(offset)
        corpus.faults("")

    dest = str(tmp_path / "b.bin")
    client.download_media("file1", dest, md5sum=md5, on_chunk=heal)
    assert read(dest) == content
    assert len(calls) == 6

    corpus.faults("media_corrupt_every=1\n")
    dest = str(tmp_path / "c.bin")
    with pytest.raises(MediaIntegrityError) as caught:
        client.download_media("file1", dest, md5sum=md5, restarts=1)
    assert caught.value.retryable
    assert not os.path.exists(dest) and not os.path.exists(dest + ".part")
    # Chunks cut short every time: nothing but whole chunks is kept, to resume from.
    corpus.faults("media_truncate_every=1\n")
    with pytest.raises(MediaIntegrityError) as caught:
        client.download_media("file1", dest, md5sum=md5, restarts=1)
    assert caught.value.retryable
    assert not os.path.exists(dest) and os.path.getsize(dest + ".part") == 0
    # A chunk cut short every time: the SDK's index of the next chunk says so.
    with pytest.raises(MediaIntegrityError, match="the SDK's index continues at byte"):
        client.download_media("file1", dest, md5sum="", size=len(content), restarts=0)


def test_media_without_md5_or_size_cut_short_is_fetched_again(corpus, client, tmp_path):
    # meeting_voice_call and some files come without md5sum and size: every other chunk is
    # cut short on the way, and each is fetched again until it is whole.
    content = media_bytes(4 * CHUNK_SIZE + 99, seed=7)
    corpus.build([text_message(1)], media={"meeting": content})
    corpus.faults("media_truncate_every=2\n")
    dest = str(tmp_path / "meeting.bin")
    offsets = []
    size, digest = client.download_media("meeting", dest, on_chunk=offsets.append)
    assert read(dest) == content
    assert (size, digest) == (len(content), hashlib.md5(content).hexdigest())
    assert offsets == [CHUNK_SIZE, 2 * CHUNK_SIZE, 3 * CHUNK_SIZE, 4 * CHUNK_SIZE, len(content)]


def test_media_max_size(corpus, client, tmp_path):
    corpus.build([text_message(1)], media={"huge": media_bytes(3 * CHUNK_SIZE)})
    dest = str(tmp_path / "huge")
    with pytest.raises(SdkError, match="maximum"):
        client.download_media("huge", dest, max_size=CHUNK_SIZE + 1)
    assert not os.path.exists(dest + ".part")


def test_one_handle_per_thread(corpus, client, key_pairs, fake):
    corpus.build([text_message(n) for n in range(1, 201)])
    private = load_private_key(key_pairs[1][0])
    errors, texts = [], []

    def work(start):
        try:
            for record in client.get_chat_data(start, 50):
                key = decrypt_random_key(private, record["encrypt_random_key"])
                texts.append(json.loads(client.decrypt(key, record["encrypt_chat_msg"])))
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(start,)) for start in (0, 50, 100, 150)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len({t["msgid"] for t in texts}) == 200
    assert fake.FakeSdk_LiveSdks() == 4


def test_close_waits_for_running_call(corpus, sdk_lib_path, fake):
    corpus.build([text_message(1)])
    corpus.faults("slow_ms=600\n")
    sdk = SdkClient(sdk_lib_path, CORPID, SECRET, timeout=5)
    result = []
    worker = threading.Thread(target=lambda: result.append(sdk.get_chat_data(0, 1)))
    worker.start()
    time.sleep(0.2)
    sdk.close()  # must wait for the running call, never destroy under it
    worker.join()
    assert len(result[0]) == 1
    assert fake.FakeSdk_Misuse() == 0
    sdk.close()  # twice is harmless
    with pytest.raises(SdkError, match="closed"):
        sdk.get_chat_data(0, 1)


def test_init_failure_never_used(corpus, sdk_lib_path, fake):
    corpus.build([text_message(1)])
    corpus.faults("init_error=10003\n")
    with SdkClient(sdk_lib_path, CORPID, SECRET) as sdk:
        with pytest.raises(SdkRetryableError):
            sdk.get_chat_data(0, 1)
        corpus.faults("")
        assert len(sdk.get_chat_data(0, 1)) == 1
    assert fake.FakeSdk_Misuse() == 0


def test_decrypt_fault(corpus, client, key_pairs):
    corpus.build([text_message(1)])
    record = client.get_chat_data(0, 1)[0]
    key = decrypt_random_key(load_private_key(key_pairs[1][0]), record["encrypt_random_key"])
    # DecryptData takes no SDK handle, so its faults live at the corpus root.
    with open(os.path.join(corpus.root, "faults.conf"), "w") as handle:
        handle.write("decrypt_error=10003\ndecrypt_error_every=2\n")
    assert client.decrypt(key, record["encrypt_chat_msg"])
    with pytest.raises(SdkRetryableError) as caught:
        client.decrypt(key, record["encrypt_chat_msg"])
    assert caught.value.code == 10003
