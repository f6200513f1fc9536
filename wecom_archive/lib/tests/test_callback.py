import base64
import os

import pytest

from wecom_archive.lib.callback import CallbackCrypto, CallbackError

# Tencent's published sample (WXBizMsgCrypt Sample: 验证回调URL).
SAMPLE = {
    "token": "QDG6eK",
    "key": "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C",
    "receiveid": "wx5823bf96d3bd56c7",
    "msg_signature": "5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3",
    "timestamp": "1409659589",
    "nonce": "263014780",
    "echostr": (
        "P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ=="
    ),
}


def random_key():
    return base64.b64encode(os.urandom(32)).decode().rstrip("=")


@pytest.fixture
def crypto():
    return CallbackCrypto("tok-一二三", random_key(), "wwcorp0000000001")


def test_tencent_sample_url_verification():
    crypto = CallbackCrypto(SAMPLE["token"], SAMPLE["key"], SAMPLE["receiveid"])
    plain = crypto.verify_url(
        SAMPLE["msg_signature"], SAMPLE["timestamp"], SAMPLE["nonce"], SAMPLE["echostr"]
    )
    assert plain.isdigit()
    other = CallbackCrypto(SAMPLE["token"], SAMPLE["key"], "wwsomeoneelse")
    with pytest.raises(CallbackError) as error:
        other.verify_url(
            SAMPLE["msg_signature"], SAMPLE["timestamp"], SAMPLE["nonce"], SAMPLE["echostr"]
        )
    assert error.value.code == "receiveid"


def test_round_trip_url_and_message(crypto):
    echostr = crypto.encrypt("123456789")
    signature = crypto.signature("1700000000", "abc", echostr)
    assert crypto.verify_url(signature, "1700000000", "abc", echostr) == "123456789"
    inner = (
        "<xml><ToUserName><![CDATA[wwcorp0000000001]]></ToUserName><MsgType>event</MsgType>"
        "<Event><![CDATA[change_external_contact]]></Event><ChangeType>del_follow_user</ChangeType>"
        "<UserID>张三</UserID><ExternalUserID>wmABC</ExternalUserID></xml>"
    )
    body = crypto.encrypt_message(inner, "1700000000", "n0nce")
    encrypt = body.decode().split("<Encrypt><![CDATA[")[1].split("]]>")[0]
    event = crypto.decrypt_message(
        crypto.signature("1700000000", "n0nce", encrypt), "1700000000", "n0nce", body
    )
    assert event["Event"] == "change_external_contact"
    assert event["UserID"] == "张三"


@pytest.mark.parametrize("length", [1, 31, 32, 33, 1000])
def test_padding_lengths(crypto, length):
    text = "x" * length
    assert crypto.decrypt(crypto.encrypt(text)) == text


def test_bad_signature(crypto):
    echostr = crypto.encrypt("1")
    with pytest.raises(CallbackError) as error:
        crypto.verify_url("0" * 40, "1", "n", echostr)
    assert error.value.code == "signature"
    assert "tok-" not in str(error.value)


def test_tampered_and_garbage_ciphertext(crypto):
    data = bytearray(base64.b64decode(crypto.encrypt("hello world")))
    data[-1] ^= 0x55
    with pytest.raises(CallbackError) as error:
        crypto.decrypt(base64.b64encode(bytes(data)).decode())
    assert error.value.code in ("decrypt", "receiveid")
    for garbage in ("not base64!", "", base64.b64encode(b"short").decode()):
        with pytest.raises(CallbackError):
            crypto.decrypt(garbage)


def test_wrong_key_cannot_decrypt(crypto):
    other = CallbackCrypto("tok-一二三", random_key(), "wwcorp0000000001")
    with pytest.raises(CallbackError):
        other.decrypt(crypto.encrypt("secret event"))


@pytest.mark.parametrize("key", ["", "short", "*" * 43, random_key() + "A"])
def test_bad_encoding_aes_key(key):
    with pytest.raises(CallbackError) as error:
        CallbackCrypto("t", key, "ww")
    assert error.value.code == "config"


def test_doctype_and_entities_rejected(crypto):
    inner = '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><xml><Event>&e;</Event></xml>'
    body = crypto.encrypt_message(inner, "1", "n")
    encrypt = body.decode().split("<Encrypt><![CDATA[")[1].split("]]>")[0]
    with pytest.raises(CallbackError) as error:
        crypto.decrypt_message(crypto.signature("1", "n", encrypt), "1", "n", body)
    assert error.value.code == "xml"
    with pytest.raises(CallbackError):
        crypto.decrypt_message("x", "1", "n", b"<xml><Encrypt>")
