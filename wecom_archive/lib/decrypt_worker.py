"""A decryption worker process: RSA-decrypts random keys and calls DecryptData for its
parent (``lib.decrypt.Decryptor``).

Why processes: every RSA private-key operation releases the GIL, but each thread must take
it back after every operation, behind whatever Python the process runs meanwhile (the
storing thread, in a pull). Measured here: two RSA threads fell from 3,900 to 180
operations per second next to one busy Python thread. A worker process has a GIL of its own.

Protocol on stdin/stdout, frames of a 4-byte big-endian length and a ``marshal`` payload
(plain data only, never code): the first frame is ``(library path, {key version: private
PEM})``, answered by ``None`` or an error text; every later frame is a list of ``(key
version, encrypt_random_key, encrypt_chat_msg)``, answered by a list of ``(state, error,
plaintext)`` in the same order. EOF on stdin ends the worker. Started as ``python -m
wecom_archive.lib.decrypt_worker``: it never imports Odoo.
"""

import contextlib
import marshal
import os
import queue
import resource
import struct
import sys
import threading

from ..native.errors import SdkError
from ..native.sdk import decrypt_data, load_library
from .crypto import RandomKeyError, decrypt_random_key, load_private_key

DONE = "done"
NO_KEY = "no_key"
DECRYPT_ERROR = "decrypt_error"
PARSE_ERROR = "parse_error"

_HEADER = struct.Struct(">I")


def write_frame(stream, payload):
    data = marshal.dumps(payload)
    stream.write(_HEADER.pack(len(data)))
    stream.write(data)
    stream.flush()


def read_frame(stream):
    """The next payload; EOFError when the other side has gone."""
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        raise EOFError
    (size,) = _HEADER.unpack(header)
    data = stream.read(size)
    if len(data) < size:
        raise EOFError
    return marshal.loads(data)


def decrypt_records(lib, keys, items):
    """``(state, error, plaintext)`` of each ``(version, encrypt_random_key, encrypt_chat_msg)``."""
    out = []
    for version, encrypt_random_key, encrypt_chat_msg in items:
        key = keys.get(version)
        if key is None:
            out.append((NO_KEY, f"no private key for key version {version}", b""))
            continue
        try:
            random_key = decrypt_random_key(key, encrypt_random_key or "")
            out.append((DONE, "", decrypt_data(lib, random_key, encrypt_chat_msg or "")))
        except RandomKeyError as error:
            out.append((DECRYPT_ERROR, str(error), b""))
        except SdkError as error:
            out.append((DECRYPT_ERROR, error.message(), b""))
    return out


def serve(stdin, stdout):
    library_path, pems = read_frame(stdin)
    try:
        lib = load_library(library_path)
        keys = {version: load_private_key(pem) for version, pem in pems.items()}
    except (SdkError, ValueError) as error:
        write_frame(stdout, error.message() if isinstance(error, SdkError) else str(error))
        return
    write_frame(stdout, None)
    requests = queue.SimpleQueue()

    def read_ahead():  # the parent hands over work without waiting for the previous answer
        try:
            while True:
                requests.put(read_frame(stdin))
        except EOFError:
            requests.put(None)

    threading.Thread(target=read_ahead, daemon=True).start()
    while (items := requests.get()) is not None:
        write_frame(stdout, decrypt_records(lib, keys, items))


def lift_inherited_cpu_limit():
    """Odoo's prefork workers cap their own CPU time per request with RLIMIT_CPU
    (limit_time_cpu), and a child process inherits that cap. A decryption worker serves a
    whole pull, bounded by the pull's time budget and ended with it (EOF on stdin), and
    is the part that spends the CPU: the cap meant for the request would kill it midway."""
    _soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
    resource.setrlimit(resource.RLIMIT_CPU, (hard, hard))


# How much a worker yields to the rest of the machine (nice(2)): RSA is bulk work that can
# wait; Odoo's own processes (the web requests, the pull's storing thread) and PostgreSQL
# get a core first when they need one, and the workers take every cycle left. The pull's
# throughput stays (the storing never waits for a worker, and the workers keep the cores
# the storing does not use); what changes is that the storing is not slowed down by them.
NICENESS = 19


def main():
    lift_inherited_cpu_limit()
    os.nice(NICENESS)
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing else may write into the protocol
    with contextlib.suppress(BrokenPipeError, EOFError):  # the parent has gone
        serve(stdin, stdout)


if __name__ == "__main__":
    main()
