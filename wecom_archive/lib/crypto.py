"""RSA side of archive decryption: private keys per public-key version.

WeCom encrypts each message's random key with the corp's RSA public key (PKCS#1 v1.5,
2048 bits); the matching private key recovers it, and the SDK's DecryptData then decrypts
the message with it. Keys are never logged nor put into error messages.
"""

import base64
import binascii

from cryptography.hazmat.backends import default_backend
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa


class InvalidKeyError(ValueError):
    """A private key that cannot be used; ``reason`` is one of REASONS' keys."""

    REASONS = {
        "not_pem": "Not a PEM private key (expected '-----BEGIN … PRIVATE KEY-----').",
        "public": "This is a public key; paste the private key of this version.",
        "password": "The private key is protected by a password; remove it.",
        "damaged": "The private key cannot be read (damaged or not PEM).",
        "not_rsa": "The private key is not an RSA key.",
        "too_short": "The RSA key is too short.",
    }

    def __init__(self, reason):
        self.reason = reason
        super().__init__(self.REASONS[reason])


class RandomKeyError(ValueError):
    """An encrypt_random_key that this private key cannot decrypt."""


def load_private_key(pem):
    """Parse an RSA private key in PEM, PKCS#1 or PKCS#8, unencrypted."""
    data = pem.encode() if isinstance(pem, str) else bytes(pem or b"")
    data = data.strip()
    if b"-----BEGIN" not in data:
        raise InvalidKeyError("not_pem")
    if b"PUBLIC KEY" in data.split(b"\n", 1)[0]:
        raise InvalidKeyError("public")
    try:
        key = serialization.load_pem_private_key(data, password=None, backend=default_backend())
    except TypeError:
        raise InvalidKeyError("password") from None
    except (ValueError, binascii.Error):
        raise InvalidKeyError("damaged") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise InvalidKeyError("not_rsa")
    if key.key_size < 1024:
        raise InvalidKeyError("too_short")
    return key


def public_key_fingerprint(key):
    """A short, non-secret identifier of a private key (sha256 of its public part)."""
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    digest = hashes.Hash(hashes.SHA256(), backend=default_backend())
    digest.update(der)
    return digest.finalize().hex()[:16]


def decrypt_random_key(key, encrypt_random_key):
    """The random key of one message (bytes), from its base64 encrypt_random_key."""
    try:
        blob = base64.b64decode(encrypt_random_key, validate=True)
        return key.decrypt(blob, padding.PKCS1v15())
    except (ValueError, binascii.Error):
        raise RandomKeyError(
            "encrypt_random_key cannot be decrypted with this version's private key"
        ) from None
