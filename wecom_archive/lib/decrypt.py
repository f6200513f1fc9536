"""Decrypt a batch of archive records on every core.

Each record costs one RSA-2048 private-key operation (its random key) and one DecryptData
call: both release the GIL (cryptography's OpenSSL calls, ctypes foreign calls), so a thread
pool uses all cores. A record that cannot be decrypted is never dropped: it comes back with
a state saying why, and its raw payload stays with it so it can be processed again later.
"""

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from ..native.errors import SdkError
from .crypto import RandomKeyError, decrypt_random_key
from .normalize import Message, MessageParseError, normalize, parse

DONE = "done"
NO_KEY = "no_key"
DECRYPT_ERROR = "decrypt_error"
PARSE_ERROR = "parse_error"


def wire_msgid(record):
    """The msgid a record is stored under (its seq when WeCom gave none)."""
    return record.get("msgid") or f"seq-{record.get('seq')}"


@dataclass
class Decrypted:
    record: dict  # the wire record: seq, msgid, publickey_ver, encrypt_random_key, ...
    state: str
    error: str = ""
    plaintext: bytes = b""
    message: Message | None = None


class Decryptor:
    """Decrypts wire records with the corp's private keys ({version: RSA key}).

    Use it as a context manager: its thread pool lives as long as the pull.
    """

    def __init__(self, client, private_keys, workers=None):
        self.client = client
        self.private_keys = private_keys
        self.workers = workers or os.cpu_count() or 1
        self._pool = None

    def __enter__(self):
        if self.workers > 1:
            self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="wecom-decrypt")
        return self

    def __exit__(self, *exc):
        if self._pool:
            self._pool.shutdown()
            self._pool = None

    def decrypt_one(self, record):
        version = record.get("publickey_ver")
        key = self.private_keys.get(version)
        if key is None:
            return Decrypted(record, NO_KEY, f"no private key for key version {version}")
        try:
            random_key = decrypt_random_key(key, record.get("encrypt_random_key") or "")
            plaintext = self.client.decrypt(random_key, record.get("encrypt_chat_msg") or "")
        except RandomKeyError as error:
            return Decrypted(record, DECRYPT_ERROR, str(error))
        except SdkError as error:
            return Decrypted(record, DECRYPT_ERROR, error.message())
        try:
            message = normalize(parse(plaintext))
        except MessageParseError as error:
            return Decrypted(record, PARSE_ERROR, str(error), plaintext)
        # The wire msgid is the message's identity, whatever its JSON says.
        message.msgid = wire_msgid(record)
        return Decrypted(record, DONE, plaintext=plaintext, message=message)

    def decrypt_batch(self, records):
        """The records decrypted, in their order."""
        if not self._pool or len(records) < 2:
            return [self.decrypt_one(record) for record in records]
        size = max(1, -(-len(records) // (self.workers * 4)))
        chunks = [records[i : i + size] for i in range(0, len(records), size)]
        results = self._pool.map(lambda chunk: [self.decrypt_one(r) for r in chunk], chunks)
        return [item for chunk in results for item in chunk]
