"""The decryption worker processes and the read-ahead, against the compiled fake SDK."""

import json
import os
import signal
import subprocess
import sys
import threading

import pytest

from wecom_archive.lib.crypto import decrypt_random_key, load_private_key
from wecom_archive.lib.decrypt import (
    DECRYPT_ERROR,
    DONE,
    NO_KEY,
    PARSE_ERROR,
    Decryptor,
    Prefetcher,
)
from wecom_archive.lib.decrypt_worker import NICENESS
from wecom_archive.native.errors import DecryptWorkerError, SdkRetryableError
from wecom_archive.native.sdk import SdkClient
from wecom_archive.native.tests.conftest import CORPID, ROOT, SECRET, text_message


@pytest.fixture
def records(corpus, sdk_lib_path):
    """200 wire records: key versions 1 and 2, one malformed JSON line."""
    lines = [
        f"{1 + n % 2}\t" + json.dumps(text_message(n), ensure_ascii=False) for n in range(200)
    ]  # ``<version>\t<payload>``: encrypted with that key version
    lines[57] = '2\t{"msgid": "broken", "msgtype": "text", '
    corpus.build(lines, versions=(1, 2))
    with SdkClient(sdk_lib_path, CORPID, SECRET) as client:
        wire = client.get_chat_data(0, 1000)
    assert len(wire) == 200 and {r["publickey_ver"] for r in wire} == {1, 2}
    return wire


def pems(key_pairs, *versions):
    return {version: key_pairs[version][0] for version in versions}


def test_workers_decrypt_like_the_sdk_in_order(records, key_pairs, sdk_lib_path):
    keys = {v: load_private_key(pem) for v, pem in pems(key_pairs, 1, 2).items()}
    with SdkClient(sdk_lib_path, CORPID, SECRET) as client:
        expected = [
            client.decrypt(
                decrypt_random_key(keys[r["publickey_ver"]], r["encrypt_random_key"]),
                r["encrypt_chat_msg"],
            )
            for r in records
        ]
    with Decryptor(sdk_lib_path, pems(key_pairs, 1, 2), workers=3) as decryptor:
        results = decryptor.decrypt_batch(records)
    assert [item.record for item in results] == records
    assert [item.plaintext for item in results] == expected
    states = [item.state for item in results]
    assert states.count(PARSE_ERROR) == 1 and states[57] == PARSE_ERROR
    assert results[57].plaintext == expected[57]  # kept, to be processed again
    assert states.count(DONE) == 199
    assert results[10].message.text == "第10条消息"
    assert results[10].message.msgid == records[10]["msgid"]


def test_missing_and_wrong_keys_are_reported_per_record(records, key_pairs, sdk_lib_path):
    # Version 1 is missing; version 2 is given the private key of version 1.
    with Decryptor(sdk_lib_path, {2: key_pairs[1][0]}) as decryptor:
        results = decryptor.decrypt_batch(records)
    for record, item in zip(records, results, strict=True):
        if record["publickey_ver"] == 1:
            assert (item.state, item.error) == (NO_KEY, "no private key for key version 1")
        else:
            assert item.state == DECRYPT_ERROR
            assert "cannot be decrypted" in item.error
            assert key_pairs[1][0] not in item.error


def test_decrypt_data_failure_is_kept_per_record(records, key_pairs, sdk_lib_path, corpus):
    # DecryptData's faults live at the corpus root; the workers inherit the environment.
    with open(os.path.join(corpus.root, "faults.conf"), "w") as handle:
        handle.write("decrypt_error=10003\n")
    with Decryptor(sdk_lib_path, pems(key_pairs, 1, 2)) as decryptor:
        results = decryptor.decrypt_batch(records[:5])
    assert {item.state for item in results} == {DECRYPT_ERROR}
    assert "10003" in results[0].error


def test_a_killed_worker_loses_nothing(records, key_pairs, sdk_lib_path):
    with Decryptor(sdk_lib_path, pems(key_pairs, 1, 2), workers=2) as decryptor:
        expected = [(item.state, item.plaintext) for item in decryptor.decrypt_batch(records)]
        futures = decryptor.submit(records)
        killed = decryptor._workers[0].process
        os.kill(killed.pid, signal.SIGKILL)
        results = decryptor.results(records, futures)
        assert [(item.state, item.plaintext) for item in results] == expected
        assert not any(item.isolated for item in results)
        again = decryptor.decrypt_batch(records)  # the dead worker is replaced for it
        assert [(item.state, item.plaintext) for item in again] == expected
        assert killed not in [worker.process for worker in decryptor._workers]


def test_a_hung_worker_is_replaced_and_loses_nothing(records, key_pairs, sdk_lib_path):
    with Decryptor(sdk_lib_path, pems(key_pairs, 1, 2), workers=2, timeout=1) as decryptor:
        expected = [(item.state, item.plaintext) for item in decryptor.decrypt_batch(records)]
        os.kill(decryptor._workers[1].process.pid, signal.SIGSTOP)
        results = decryptor.decrypt_batch(records)
        assert [(item.state, item.plaintext) for item in results] == expected
        assert not any(item.isolated for item in results)


def test_records_that_would_crash_the_sdk_are_refused_before_the_call(
    records, key_pairs, sdk_lib_path
):
    poisoned = [dict(record) for record in records[:6]]
    poisoned[1]["encrypt_chat_msg"] = ""
    poisoned[2]["encrypt_chat_msg"] = "QUJDREVGR0hJ"  # 12 characters: SIGABRT in the SDK
    poisoned[3]["encrypt_chat_msg"] = "<not base64 at all>"
    poisoned[4].pop("encrypt_chat_msg")
    with Decryptor(sdk_lib_path, pems(key_pairs, 1, 2), workers=1) as decryptor:
        results = decryptor.decrypt_batch(poisoned)
        worker = decryptor._workers[0].process
        assert worker.poll() is None  # no worker died for them
    assert [item.state for item in results] == [DONE, *[DECRYPT_ERROR] * 4, DONE]
    assert "has 0 characters" in results[1].error
    assert "has 12 characters; the SDK aborts the process on fewer than 13" in results[2].error
    assert "not base64" in results[3].error
    assert "has 0 characters" in results[4].error
    assert not any(item.isolated for item in results)


def _poison(records, index, marker, corpus, fault):
    """Make record ``index`` crash (or hang) DecryptData: its payload carries ``marker``,
    which the fake's fault ``fault`` reacts to (faults of DecryptData: at the corpus root)."""
    records = [dict(record) for record in records]
    records[index]["encrypt_chat_msg"] = marker + records[index]["encrypt_chat_msg"]
    with open(os.path.join(corpus.root, "faults.conf"), "a") as handle:
        handle.write(f"{fault}={marker}\n")
    return records


def test_a_record_that_crashes_the_sdk_is_set_aside(records, key_pairs, sdk_lib_path, corpus):
    poisoned = _poison(records, 77, "CRASHME", corpus, "decrypt_abort_msg")
    with Decryptor(sdk_lib_path, pems(key_pairs, 1, 2), workers=2) as decryptor:
        results = decryptor.decrypt_batch(poisoned)
        again = decryptor.decrypt_batch(poisoned)  # and once more: the same, no worker left dead
    for batch in (results, again):
        assert [item.record for item in batch] == poisoned
        assert [i for i, item in enumerate(batch) if item.isolated] == [77]
        assert batch[77].state == DECRYPT_ERROR
        assert "crashed on this record" in batch[77].error
        assert "SIGABRT, twice" in batch[77].error
        states = [item.state for i, item in enumerate(batch) if i != 77]
        assert states.count(DONE) == 198 and states.count(PARSE_ERROR) == 1


def test_a_record_that_hangs_the_sdk_is_set_aside(records, key_pairs, sdk_lib_path, corpus):
    poisoned = _poison(records[:40], 5, "HANGME", corpus, "decrypt_hang_msg")
    with Decryptor(
        sdk_lib_path, pems(key_pairs, 1, 2), workers=2, timeout=2, isolation_timeout=0.5
    ) as decryptor:
        results = decryptor.decrypt_batch(poisoned)
    assert [i for i, item in enumerate(results) if item.isolated] == [5]
    assert "no answer in" in results[5].error
    assert all(item.state == DONE for i, item in enumerate(results) if i != 5)


def test_workers_report_a_library_they_cannot_load(key_pairs, tmp_path):
    missing = str(tmp_path / "libWeWorkFinanceSdk_C.so")
    with pytest.raises(DecryptWorkerError) as caught, Decryptor(missing, pems(key_pairs, 1)):
        pass
    assert "file not found" in caught.value.message()


def test_workers_stop_with_the_decryptor(records, key_pairs, sdk_lib_path):
    with Decryptor(sdk_lib_path, pems(key_pairs, 1, 2), workers=2) as decryptor:
        decryptor.submit(records)  # left unanswered: closing does not wait for it
        processes = [worker.process for worker in decryptor._workers]
    assert all(process.poll() is not None for process in processes)


def test_workers_lift_the_cpu_cap_they_inherit(key_pairs, sdk_lib_path):
    """Odoo's prefork worker caps its CPU per request (RLIMIT_CPU); the decryption workers
    a pull starts must not die of that cap halfway through the pull."""
    probe = f"""
import json, resource, sys
from wecom_archive.lib.decrypt import Decryptor
used = resource.getrusage(resource.RUSAGE_SELF)
soft = int(used.ru_utime + used.ru_stime) + 60
resource.setrlimit(resource.RLIMIT_CPU, (soft, resource.getrlimit(resource.RLIMIT_CPU)[1]))
with Decryptor({sdk_lib_path!r}, {{1: sys.stdin.read()}}, workers=1) as decryptor:
    limits = open(f"/proc/{{decryptor._workers[0].process.pid}}/limits").read()
cpu = [line.split()[3:5] for line in limits.splitlines() if line.startswith("Max cpu")]
print(json.dumps({{"soft": soft, "worker": cpu[0]}}))
"""
    out = subprocess.run(
        [sys.executable, "-c", probe],
        input=key_pairs[1][0],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    answer = json.loads(out.stdout)
    assert answer["soft"] < 1000, "the probe itself runs capped"
    soft_limit, hard_limit = answer["worker"]
    assert soft_limit == hard_limit


def test_workers_yield_the_cores_to_odoo_and_postgresql(key_pairs, sdk_lib_path):
    """The workers run at a lower priority than the process that starts them: the storing
    thread and PostgreSQL are not slowed down by the bulk RSA work."""
    with Decryptor(sdk_lib_path, pems(key_pairs, 1), workers=1) as decryptor:
        pid = decryptor._workers[0].process.pid
        assert os.getpriority(os.PRIO_PROCESS, pid) == min(
            os.getpriority(os.PRIO_PROCESS, 0) + NICENESS, 19
        )


def test_worker_never_imports_odoo():
    probe = (
        "import sys, wecom_archive.lib.decrypt_worker; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'odoo'))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


class Reader:
    """The SDK's GetChatData as the read-ahead sees it, with a log of the seqs read."""

    def __init__(self, client, batch_size, fail_after=None):
        self.client = client
        self.batch_size = batch_size
        self.fail_after = fail_after
        self.seqs = []
        self.lock = threading.Lock()

    def __call__(self, seq):
        with self.lock:
            self.seqs.append(seq)
        if self.fail_after is not None and seq >= self.fail_after:
            raise SdkRetryableError(10001, "injected")
        return self.client.get_chat_data(seq, self.batch_size)


def test_prefetcher_delivers_every_batch_in_order(records, key_pairs, sdk_lib_path):
    with (
        SdkClient(sdk_lib_path, CORPID, SECRET) as client,
        Decryptor(sdk_lib_path, pems(key_pairs, 1, 2)) as decryptor,
    ):
        reader = Reader(client, 30)
        with Prefetcher(reader, decryptor, 30) as prefetcher:
            seq, seen = 0, []
            while True:
                batch, results = prefetcher.batch(seq)
                assert [item.record for item in results] == batch
                seen += batch
                if len(batch) < 30:
                    break
                seq = batch[-1]["seq"]
    assert seen == records
    assert reader.seqs == [0, *(records[i]["seq"] for i in range(29, 200, 30))]


def test_prefetcher_restarts_when_the_seq_moved(records, key_pairs, sdk_lib_path):
    with (
        SdkClient(sdk_lib_path, CORPID, SECRET) as client,
        Decryptor(sdk_lib_path, pems(key_pairs, 1, 2)) as decryptor,
        Prefetcher(Reader(client, 50), decryptor, 50) as prefetcher,
    ):
        first, _ = prefetcher.batch(0)
        assert first == records[:50]
        # Another worker stored up to record 120: the read-ahead starts from there.
        batch, _ = prefetcher.batch(records[119]["seq"])
        assert batch == records[120:170]


def test_prefetcher_reads_ahead_only_so_far(records, key_pairs, sdk_lib_path):
    with (
        SdkClient(sdk_lib_path, CORPID, SECRET) as client,
        Decryptor(sdk_lib_path, pems(key_pairs, 1, 2)) as decryptor,
    ):
        reader = Reader(client, 10)
        with Prefetcher(reader, decryptor, 10, depth=2) as prefetcher:
            prefetcher.batch(0)
            threading.Event().wait(1.0)  # the caller is slow: the read-ahead stops
            # one batch asked for, two waiting, one in flight, one being read
            assert len(reader.seqs) <= 5


def test_prefetcher_hands_over_read_errors_after_the_good_batches(records, key_pairs, sdk_lib_path):
    with (
        SdkClient(sdk_lib_path, CORPID, SECRET) as client,
        Decryptor(sdk_lib_path, pems(key_pairs, 1, 2)) as decryptor,
    ):
        reader = Reader(client, 40, fail_after=records[79]["seq"])
        with Prefetcher(reader, decryptor, 40) as prefetcher:
            assert prefetcher.batch(0)[0] == records[:40]
            assert prefetcher.batch(records[39]["seq"])[0] == records[40:80]
            with pytest.raises(SdkRetryableError):
                prefetcher.batch(records[79]["seq"])
            reader.fail_after = None  # the cause is fixed: the next call reads again
            assert prefetcher.batch(records[79]["seq"])[0] == records[80:120]


def test_prefetcher_hands_over_its_own_failures(key_pairs, sdk_lib_path):
    """Records it cannot follow (no seq) fail the caller's call instead of hanging it."""
    with (
        Decryptor(sdk_lib_path, pems(key_pairs, 1), workers=1) as decryptor,
        Prefetcher(lambda seq: [{"msgid": "a"}, {"msgid": "b"}], decryptor, 2) as prefetcher,
        pytest.raises(KeyError),
    ):
        prefetcher.batch(0)
