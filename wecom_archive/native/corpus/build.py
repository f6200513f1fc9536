"""Build a fake-SDK corpus directory from plaintext messages and media files.

Input: MESSAGES.jsonl, one plaintext archived message per line in WeCom's schema (a line
``<version>\\t<payload>`` names the public-key version to encrypt that payload with; other
lines use the first version given), and MEDIA_DIR, one file per media named by its sdkfileid.
Each payload is encrypted exactly as written — a line that is not valid JSON stays as it is,
so malformed input can be tested.

Output (read by fake_sdk.c): corp.conf, chatdata.jsonl (wire records, ascending seq),
media.idx + media/ and an empty faults.conf.
"""

import base64
import json
import os
import re
import shutil

from cryptography.hazmat.backends import default_backend
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import padding

from .cipher import encrypt_chat_msg, new_random_key

_VERSIONED = re.compile(rb"^(\d+)\t")


def load_public_key(pem):
    data = pem if isinstance(pem, bytes) else pem.encode()
    return serialization.load_pem_public_key(data, backend=default_backend())


def _msgid(payload, seq):
    try:
        message = json.loads(payload, strict=False)
    except ValueError:
        message = None
    if isinstance(message, dict) and isinstance(message.get("msgid"), str):
        return message["msgid"]
    return f"corpus-{seq}"


def build(public_keys, messages_path, media_dir, out_dir, *, corpid, secret, start_seq=1):
    """Write the corpus; ``public_keys`` maps key version → public key PEM (first = default).

    Returns a summary: messages written, media files, last seq.
    """
    if not public_keys:
        raise ValueError("at least one public key version is needed")
    keys = {int(version): load_public_key(pem) for version, pem in public_keys.items()}
    default_version = next(iter(keys))
    os.makedirs(os.path.join(out_dir, "media"), exist_ok=True)
    with open(os.path.join(out_dir, "corp.conf"), "w", encoding="utf-8") as conf:
        conf.write(f"corpid={corpid}\nsecret={secret}\n")
    # A fresh corpus starts without faults.
    open(os.path.join(out_dir, "faults.conf"), "w").close()

    seq = start_seq - 1
    with (
        open(messages_path, "rb") as source,
        open(os.path.join(out_dir, "chatdata.jsonl"), "w", encoding="utf-8") as target,
    ):
        for line in source:
            payload = line[:-1] if line.endswith(b"\n") else line
            if not payload:
                continue
            version = default_version
            tagged = _VERSIONED.match(payload)
            if tagged:
                version = int(tagged.group(1))
                payload = payload[tagged.end() :]
            if version not in keys:
                raise ValueError(f"line {seq + 1}: no public key for version {version}")
            seq += 1
            random_key = new_random_key()
            encrypted_key = keys[version].encrypt(random_key, padding.PKCS1v15())
            record = {
                "seq": seq,
                "msgid": _msgid(payload, seq),
                "publickey_ver": version,
                "encrypt_random_key": base64.b64encode(encrypted_key).decode(),
                "encrypt_chat_msg": encrypt_chat_msg(random_key, payload),
            }
            target.write(json.dumps(record, separators=(",", ":")) + "\n")

    media_count = 0
    with open(os.path.join(out_dir, "media.idx"), "w", encoding="utf-8") as index:
        if media_dir:
            for sdkfileid in sorted(os.listdir(media_dir)):
                source_path = os.path.join(media_dir, sdkfileid)
                if not os.path.isfile(source_path):
                    continue
                media_count += 1
                relative = f"media/{media_count:07d}.bin"
                _link_or_copy(source_path, os.path.join(out_dir, relative))
                index.write(f"{sdkfileid}\t{relative}\n")
    return {"messages": seq - start_seq + 1, "media": media_count, "last_seq": seq}


def _link_or_copy(source, target):
    if os.path.exists(target):
        os.unlink(target)
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)
