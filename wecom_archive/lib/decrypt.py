"""Decrypt archive records on every core, in worker processes.

Each record costs one RSA-2048 private-key operation (its random key) and one DecryptData
call. Both run in worker processes (``decrypt_worker``: one per core, a GIL each), fed in
chunks and ahead of need, so the cores keep decrypting while the caller stores. A record
that cannot be decrypted is never dropped: it comes back with a state saying why, and its
raw payload stays with it so it can be processed again later.
"""

import collections
import contextlib
import logging
import os
import queue
import signal
import subprocess
import sys
import threading
from concurrent.futures import Future
from dataclasses import dataclass

from ..native.errors import DecryptWorkerError
from .decrypt_worker import DECRYPT_ERROR, DONE, NO_KEY, PARSE_ERROR, read_frame, write_frame
from .normalize import Message, MessageParseError, normalize, parse

__all__ = [
    "DECRYPT_ERROR",
    "DONE",
    "NO_KEY",
    "PARSE_ERROR",
    "Decrypted",
    "Decryptor",
    "Prefetcher",
    "wire_msgid",
]

# The directory holding the wecom_archive package: workers import its Odoo-free core.
_PACKAGE_PARENT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_logger = logging.getLogger(__name__)

CHUNK = 32  # records per request to a worker: ~16 ms of RSA-2048
# Seconds to wait for a request's answer, past the ones queued before it: far beyond 32 RSA
# operations, and short enough that a record that hangs the SDK is isolated well within
# one pull's time budget.
WORKER_TIMEOUT = 10
ISOLATION_TIMEOUT = 2  # ... for a request run alone while isolating a crash, plus
ISOLATION_TIMEOUT_PER_RECORD = 0.05


def wire_msgid(record):
    """The msgid a record is stored under (its seq when WeCom gave none; PostgreSQL text
    holds no NUL)."""
    return str(record.get("msgid") or f"seq-{record.get('seq')}").replace("\x00", "")


@dataclass
class Decrypted:
    record: dict  # the wire record: seq, msgid, publickey_ver, encrypt_random_key, ...
    state: str
    error: str = ""
    plaintext: bytes = b""
    message: Message | None = None
    isolated: bool = False  # set aside: the SDK crashed or hung on it


def _exit_text(code):
    """How a worker process ended, in words: "killed by signal SIGABRT", "exited with code 1"."""
    if code is not None and code < 0:
        with contextlib.suppress(ValueError):
            return f"killed by signal {signal.Signals(-code).name}"
    return f"exited with code {code}"


class _Worker:
    """One worker process; requests are answered in order, by a reader thread."""

    def __init__(self, library_path, private_pems):
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (_PACKAGE_PARENT, env.get("PYTHONPATH")) if p
        )
        self.process = subprocess.Popen(
            [sys.executable, "-m", "wecom_archive.lib.decrypt_worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            cwd=_PACKAGE_PARENT,
        )
        self.pending = collections.deque()  # futures, in request order
        self.lock = threading.Lock()
        self.exit_code = None  # set by the reader once the worker has gone
        self.reader = None
        # Requests are written by a thread of their own: a worker that stops reading (hung
        # whole) fills the pipe, and the caller must not wait on it, but on the answer.
        self.outbox = queue.SimpleQueue()
        self.writer = None
        write_frame(self.process.stdin, (library_path, private_pems))

    def started(self):
        """Wait for the worker's answer to the keys; raise its error if it has one."""
        try:
            error = read_frame(self.process.stdout)
        except EOFError:
            raise DecryptWorkerError(_exit_text(self.process.wait())) from None
        if error is not None:
            raise DecryptWorkerError(error)
        self.reader = threading.Thread(target=self._read, name="wecom-decrypt-reader")
        self.reader.daemon = True
        self.reader.start()
        self.writer = threading.Thread(target=self._write, name="wecom-decrypt-writer")
        self.writer.daemon = True
        self.writer.start()
        return self

    def submit(self, items):
        """A future of the answer to ``items``; it fails with DecryptWorkerError when the
        worker dies before answering."""
        future = Future()
        future.worker = self
        with self.lock:
            if self.exit_code is not None:
                future.set_exception(DecryptWorkerError(_exit_text(self.exit_code)))
                return future
            self.pending.append(future)
            self.outbox.put(items)  # in the order of pending
        return future

    def _write(self):
        while (items := self.outbox.get()) is not None:
            try:
                write_frame(self.process.stdin, items)
            except (OSError, ValueError):  # died: its reader fails the futures
                return

    def _read(self):
        while True:
            try:
                answer = read_frame(self.process.stdout)
            except (EOFError, ValueError, OSError):
                break
            with self.lock:
                future = self.pending.popleft()
            future.set_result(answer)
        code = self.process.wait()
        with self.lock:
            self.exit_code = code
            pending, self.pending = list(self.pending), collections.deque()
        for future in pending:
            future.set_exception(DecryptWorkerError(_exit_text(code)))

    def close(self):
        """Stop the worker now: requests still queued are not wanted any more."""
        self.process.kill()
        self.process.wait()
        self.outbox.put(None)
        for thread in (self.reader, self.writer):
            if thread:
                thread.join()
        for stream in (self.process.stdin, self.process.stdout):
            # A request half-written to a pipe nobody reads any more.
            with contextlib.suppress(OSError):
                stream.close()


class Decryptor:
    """Decrypts wire records with the corp's private keys ({version: PEM}).

    Use it as a context manager: its worker processes live as long as the pull. ``submit``
    hands a batch to the workers at once and ``results`` waits for it, so several batches
    can be in flight; ``decrypt_batch`` does both.

    A record can crash the SDK (Tencent's DecryptData aborts the process on some inputs) or
    hang it. A worker that dies or stops answering is replaced, and the records it held are
    run again in a worker of their own, by halves, until the one that kills it is found:
    that record comes back as ``decrypt_error`` (``isolated``), every other one decrypted.
    A record is only declared the cause after it killed two fresh workers in a row, so a
    worker killed from outside costs nothing but time.
    """

    def __init__(
        self,
        library_path,
        private_pems,
        workers=None,
        *,
        timeout=WORKER_TIMEOUT,
        isolation_timeout=ISOLATION_TIMEOUT,
    ):
        self.library_path = library_path
        self.private_pems = dict(private_pems)
        self.workers = workers or os.cpu_count() or 1
        self.timeout = timeout
        self.isolation_timeout = isolation_timeout
        self._workers = []
        self._isolation_worker = None

    def __enter__(self):
        try:
            self._workers = [self._new_worker() for _ in range(self.workers)]  # all start at once
            for worker in self._workers:
                worker.started()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc):
        self.close()

    def _new_worker(self):
        return _Worker(self.library_path, self.private_pems)

    def close(self):
        workers, self._workers = self._workers, []
        if self._isolation_worker:
            workers.append(self._isolation_worker)
            self._isolation_worker = None
        for worker in workers:
            worker.close()

    def submit(self, records):
        """Hand ``records`` to the workers, chunk by chunk to the least busy one."""
        for index, worker in enumerate(self._workers):
            if worker.exit_code is not None:  # died: its chunks are being isolated
                worker.close()
                self._workers[index] = self._new_worker().started()
        futures = []
        for start in range(0, len(records), CHUNK):
            worker = min(self._workers, key=lambda w: len(w.pending))
            futures.append(worker.submit(_items(records[start : start + CHUNK])))
        return futures

    def results(self, records, futures):
        """The records of ``submit`` decrypted and parsed, in their order."""
        out = []
        for start, future in zip(range(0, len(records), CHUNK), futures, strict=True):
            chunk = records[start : start + CHUNK]
            try:
                answers = self._answer(future, self.timeout)
                isolated = ()
            except DecryptWorkerError as error:
                _logger.warning(
                    "a decryption worker failed (%s) on seq %s-%s: isolating the cause",
                    error.detail,
                    chunk[0].get("seq"),
                    chunk[-1].get("seq"),
                )
                answers, isolated = self._isolate(_items(chunk))
            out.extend(
                self._result(record, *answer, isolated=i in isolated)
                for i, (record, answer) in enumerate(zip(chunk, answers, strict=True))
            )
        return out

    @staticmethod
    def _answer(future, timeout):
        try:
            return future.result(timeout=timeout)
        except TimeoutError:
            future.worker.close()  # hung: its other requests fail and are isolated too
            raise DecryptWorkerError(f"no answer in {timeout} s") from None

    def _isolate(self, items):
        """``(answers, isolated positions)`` for ``items`` that a worker died on."""
        try:
            return self._run_alone(items), set()
        except DecryptWorkerError as error:
            if len(items) == 1:
                try:  # once more, in case something else killed it
                    return self._run_alone(items), set()
                except DecryptWorkerError as again:
                    return [(DECRYPT_ERROR, _crash_text(error, again), b"")], {0}
        half = len(items) // 2
        head, head_isolated = self._isolate(items[:half])
        tail, tail_isolated = self._isolate(items[half:])
        return head + tail, head_isolated | {half + i for i in tail_isolated}

    def _run_alone(self, items):
        """Run ``items`` in the isolation worker (started anew when the last one died)."""
        if self._isolation_worker is None:
            self._isolation_worker = self._new_worker().started()
        timeout = self.isolation_timeout + len(items) * ISOLATION_TIMEOUT_PER_RECORD
        try:
            return self._answer(self._isolation_worker.submit(items), timeout)
        except DecryptWorkerError:
            self._isolation_worker.close()
            self._isolation_worker = None
            raise

    def decrypt_batch(self, records):
        return self.results(records, self.submit(records))

    @staticmethod
    def _result(record, state, error, plaintext, isolated=False):
        if state != DONE:
            return Decrypted(record, state, error, isolated=isolated)
        try:
            message = normalize(parse(plaintext))
        except MessageParseError as parse_error:
            return Decrypted(record, PARSE_ERROR, str(parse_error), plaintext)
        # The wire msgid is the message's identity, whatever its JSON says.
        message.msgid = wire_msgid(record)
        return Decrypted(record, DONE, plaintext=plaintext, message=message)


def _items(records):
    """What a worker is given of each record."""
    return [
        (r.get("publickey_ver"), r.get("encrypt_random_key"), r.get("encrypt_chat_msg"))
        for r in records
    ]


def _crash_text(first, second):
    if first.detail == second.detail:
        how = f"{first.detail}, twice"
    else:
        how = f"{first.detail}, then {second.detail}"
    return (
        f"The Finance SDK crashed on this record (its decryption process was {how}); "
        "it was set aside so the pull could go on. Its encrypted payload is kept."
    )


class Prefetcher:
    """Reads the batches that follow a seq ahead of the caller, in a thread of its own,
    and keeps the decryption workers fed: a batch is handed to them as soon as it is read
    and collected once the next one is in flight, and up to ``depth`` batches wait
    decrypted, so the cores keep decrypting while the caller stores one.

    Reading consumes nothing (the caller's stored seq is the only cursor), so batches read
    ahead and never asked for are simply dropped: when the caller asks for another seq than
    the one that follows (another worker moved it), the read-ahead starts again from there.
    ``read(seq)`` returns the wire records after ``seq``; its errors, and the workers',
    reach the caller of ``batch`` for the seq that failed.
    """

    def __init__(self, read, decryptor, batch_size, depth=2):
        self._read_records = read
        self._decryptor = decryptor
        self._batch_size = batch_size
        self._depth = depth
        self._thread = None
        self._stop = None
        self._queue = None
        self._next = None  # the seq whose batch comes next out of the queue

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def batch(self, seq):
        """``(records, results)``: the batch of records after ``seq``."""
        if self._next != seq:
            self._start(seq)
        error, records, results = self._queue.get()
        if error is not None:
            self._next = None  # the reader stopped: the next call starts it again
            raise error
        full = len(records) == self._batch_size
        self._next = max(r["seq"] for r in records) if full else None
        return records, results

    def close(self):
        if self._thread:
            self._stop.set()  # a reader waiting for room sees it within 50 ms
            self._thread.join()
        self._thread = self._next = None

    def _start(self, seq):
        self.close()
        self._stop = threading.Event()
        self._queue = queue.Queue(self._depth)
        self._thread = threading.Thread(
            target=self._run, args=(seq, self._queue, self._stop), name="wecom-prefetch"
        )
        self._thread.start()
        self._next = seq

    def _run(self, seq, out, stop):
        try:
            self._read_ahead(seq, out, stop)
        except Exception as error:  # a bug here must reach the caller, not hang it
            self._put(out, stop, (error, None, None))

    def _read_ahead(self, seq, out, stop):
        in_flight = collections.deque()  # (records, futures) handed to the workers

        def deliver():
            records, futures = in_flight.popleft()
            try:
                item = (None, records, self._decryptor.results(records, futures))
            except Exception as error:  # a worker failed: handed over to the caller
                item = (error, None, None)
            self._put(out, stop, item)
            return item[0] is None

        while not stop.is_set():
            try:
                records = self._read_records(seq)
                in_flight.append((records, self._decryptor.submit(records)))
            except Exception as error:  # handed over to the caller, who raises it
                while in_flight and deliver():
                    pass
                self._put(out, stop, (error, None, None))
                return
            caught_up = len(records) < self._batch_size
            while in_flight and (caught_up or len(in_flight) > 1):
                if not deliver():
                    return
            if caught_up:
                return  # what arrives later is read when asked for
            seq = max(r["seq"] for r in records)

    @staticmethod
    def _put(out, stop, item):
        while not stop.is_set():
            try:
                out.put(item, timeout=0.05)
                return
            except queue.Full:
                continue
