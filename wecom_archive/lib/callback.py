"""WeCom's callback message crypto (the WXBizMsgCrypt scheme), plain Python.

msg_signature = sha1 of the sorted concatenation of token, timestamp, nonce and the encrypted
text; the text is AES-256-CBC with key = base64(EncodingAESKey + "="), IV = the key's first
16 bytes, PKCS#7 padding to 32 bytes, over random(16) + length(4, big endian) + message +
receiveid (the corp id).
"""

import base64
import hashlib
import hmac
import os
import struct

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from lxml import etree

BLOCK = 32
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)

_EXPLANATIONS = {
    "config": "The callback's EncodingAESKey is invalid (43 characters of base64 expected).",
    "signature": "The callback's signature does not match: wrong Token, or not sent by WeCom.",
    "decrypt": "The callback could not be decrypted: wrong EncodingAESKey or damaged data.",
    "receiveid": "The callback was encrypted for another corp (receiveid mismatch).",
    "xml": "The callback's XML is malformed or not allowed.",
}


class CallbackError(Exception):
    """A callback that cannot be trusted or read; ``code`` says why."""

    def __init__(self, code):
        self.code = code
        super().__init__(_EXPLANATIONS[code])


def _parse(xml):
    if isinstance(xml, str):
        xml = xml.encode()
    if b"<!DOCTYPE" in xml.upper() or b"<!ENTITY" in xml.upper():
        raise CallbackError("xml")
    try:
        root = etree.fromstring(xml, _PARSER)
    except (etree.XMLSyntaxError, ValueError):
        raise CallbackError("xml") from None
    return {child.tag: (child.text or "") for child in root if isinstance(child.tag, str)}


class CallbackCrypto:
    """Verify, decrypt and encrypt the callbacks of one callback configuration."""

    def __init__(self, token, encoding_aes_key, receive_id):
        if len(encoding_aes_key or "") != 43:
            raise CallbackError("config")
        try:
            self._key = base64.b64decode(encoding_aes_key + "=", validate=True)
        except ValueError:
            raise CallbackError("config") from None
        if len(self._key) != 32:
            raise CallbackError("config")
        self._token = token
        self.receive_id = receive_id

    def __repr__(self):
        return f"<CallbackCrypto {self.receive_id}>"

    def signature(self, timestamp, nonce, encrypt):
        parts = sorted([self._token, str(timestamp), str(nonce), encrypt])
        return hashlib.sha1("".join(parts).encode()).hexdigest()

    def _check(self, msg_signature, timestamp, nonce, encrypt):
        expected = self.signature(timestamp, nonce, encrypt)
        if not hmac.compare_digest(expected, str(msg_signature or "").lower()):
            raise CallbackError("signature")

    def _cipher(self):
        return Cipher(algorithms.AES(self._key), modes.CBC(self._key[:16]))

    def encrypt(self, plaintext, nonce_random=None):
        message = plaintext.encode()
        body = (
            (nonce_random or os.urandom(16))
            + struct.pack(">I", len(message))
            + message
            + self.receive_id.encode()
        )
        pad = BLOCK - len(body) % BLOCK
        body += bytes([pad]) * pad
        encryptor = self._cipher().encryptor()
        return base64.b64encode(encryptor.update(body) + encryptor.finalize()).decode()

    def decrypt(self, encrypt):
        try:
            data = base64.b64decode(encrypt, validate=True)
        except ValueError:
            raise CallbackError("decrypt") from None
        if not data or len(data) % 16:
            raise CallbackError("decrypt")
        decryptor = self._cipher().decryptor()
        body = decryptor.update(data) + decryptor.finalize()
        pad = body[-1]
        if not 1 <= pad <= BLOCK or body[-pad:] != bytes([pad]) * pad or len(body) - pad < 20:
            raise CallbackError("decrypt")
        body = body[16:-pad]
        (length,) = struct.unpack(">I", body[:4])
        if length > len(body) - 4:
            raise CallbackError("decrypt")
        message, receive_id = body[4 : 4 + length], body[4 + length :]
        if not hmac.compare_digest(receive_id, self.receive_id.encode()):
            raise CallbackError("receiveid")
        try:
            return message.decode()
        except UnicodeDecodeError:
            raise CallbackError("decrypt") from None

    def verify_url(self, msg_signature, timestamp, nonce, echostr):
        """The URL-verification handshake: the plain echostr to answer with."""
        self._check(msg_signature, timestamp, nonce, echostr)
        return self.decrypt(echostr)

    def decrypt_message(self, msg_signature, timestamp, nonce, body):
        """A POSTed event: its inner XML as a flat {tag: text} dict."""
        encrypt = _parse(body).get("Encrypt")
        if not encrypt:
            raise CallbackError("xml")
        self._check(msg_signature, timestamp, nonce, encrypt)
        return _parse(self.decrypt(encrypt))

    def encrypt_message(self, inner_xml, timestamp, nonce):
        """A full encrypted body, as WeCom sends events (and as passive replies are made)."""
        encrypt = self.encrypt(inner_xml)
        signature = self.signature(timestamp, nonce, encrypt)
        return (
            f"<xml><Encrypt><![CDATA[{encrypt}]]></Encrypt>"
            f"<MsgSignature><![CDATA[{signature}]]></MsgSignature>"
            f"<TimeStamp>{timestamp}</TimeStamp><Nonce><![CDATA[{nonce}]]></Nonce></xml>"
        ).encode()
