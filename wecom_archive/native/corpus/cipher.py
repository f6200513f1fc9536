"""The fake SDK's message cipher (the inverse of its DecryptData).

encrypt_chat_msg = base64(nonce16 || ChaCha20(random_key, nonce16)(plaintext || tag)), where
nonce16 is OpenSSL's layout (4-byte little-endian block counter, here 0, then a 12-byte nonce)
and tag is the little-endian 32-bit FNV-1a hash of the plaintext, so that a wrong key makes
DecryptData fail (10006) instead of returning garbage. The real WeCom cipher is WeCom's own
business; only the fake SDK and this builder need to agree.
"""

import base64
import os
import secrets
import string

from cryptography.hazmat.backends import default_backend
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms

_ALPHABET = string.ascii_letters + string.digits


def fnv1a32(data):
    value = 2166136261
    for byte in data:
        value = ((value ^ byte) * 16777619) & 0xFFFFFFFF
    return value


def new_random_key():
    """A 32-character random key, as WeCom's encrypt_random_key decrypts to."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(32)).encode()


def encrypt_chat_msg(random_key, plaintext, nonce12=None):
    """The base64 encrypt_chat_msg of ``plaintext`` (bytes) under ``random_key`` (32 bytes)."""
    nonce16 = b"\0\0\0\0" + (nonce12 or os.urandom(12))
    cipher = Cipher(algorithms.ChaCha20(random_key, nonce16), mode=None, backend=default_backend())
    tag = fnv1a32(plaintext).to_bytes(4, "little")
    body = cipher.encryptor().update(plaintext + tag)
    return base64.b64encode(nonce16 + body).decode()
