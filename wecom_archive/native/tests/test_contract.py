"""One contract, two libraries: Tencent's real Finance SDK and the fake must agree.

The same tests run, through the project's binding, against ``real`` (Tencent's
libWeWorkFinanceSdk_C.so for this machine, x86_64 or arm64, from the pinned pyweworkfinance wheel
that `make setup` extracts into build/real_sdk/) and ``fake`` (build/libWeWorkFinanceSdk_C.so).
Both run without WeCom: the real one is given a proxy that refuses at once ("no network", even
on a machine that has one), the fake has no corpus, or one whose faults.conf answers 10001.
Only what the real library does without WeCom can be the contract; the fake's own tests
(test_sdk.py) cover the rest.

What the real library does (pyweworkfinance 1.1.0, x86_64), as these tests check:

- Init accepts any non-empty corpid and secret (0: it does not call WeCom); NULL or empty ones,
  and a NULL SDK, are 10000.
- GetChatData: a NULL SDK or slice, a limit of 0 or over 1000 are 10000 before any network;
  then 10001.
- GetMediaData: a NULL SDK, a NULL or empty sdkfileid, an indexbuf that is not
  ``Range:bytes=A-B`` are 10000 before any network; then 10001 (a NULL MediaData is not checked).
- DecryptData: a NULL key or message is 10000; then ``std::string(msg).substr(13, 32)`` throws
  std::out_of_range out of the library for a message of fewer than 13 characters, whatever the
  key, which aborts the whole process (SIGABRT); then a key that does not decrypt (with the
  AES key the message carries) is 10008 - or, about once in 256 made-up keys of the real shape,
  10005 (the garbage it decrypts to is no key info): the keys below are fixed.
  The one difference kept: a made-up key of 32 characters on a message that decodes is 10008
  for the real one and 10006 for the fake (its cipher has no check of the key alone); the
  binding raises a non-retryable SdkDecryptError for both.
- The accessors of a NULL Slice/MediaData, or of an empty one, return "" (never NULL) and 0;
  IsMediaDataFinish(NULL) is 1; FreeSlice, FreeMediaData and DestroySdk of NULL do nothing.
"""

import base64
import collections
import contextlib
import ctypes
import json
import os
import re
import shutil
import subprocess
import sys
import threading

import pytest

from wecom_archive.native.corpus.cipher import encrypt_chat_msg
from wecom_archive.native.errors import SdkDecryptError, SdkError, SdkRetryableError
from wecom_archive.native.sdk import (
    MAX_LIMIT,
    PROTOTYPES,
    MediaData,
    SdkClient,
    Slice,
    decrypt_data,
    load_library,
)

from .conftest import ROOT, real_sdk_dir, real_sdk_file

CORPID, SECRET = "wwcontract0000001", "contract-secret"
# Refuses the connection at once: "no network" for the real library, even where there is one.
NO_NETWORK = "http://127.0.0.1:1"
# A key of the real shape (base64 of 48 bytes), made up.
MADE_UP_KEY = base64.b64encode(bytes(range(48))).decode()
# A message of WeCom's shape (base64, unpadded), and one of the fake's cipher.
WECOM_SHAPED_MSG = base64.b64encode(bytes(i * 7 % 256 for i in range(238))).decode().rstrip("=")
FAKE_FORMAT_MSG = encrypt_chat_msg(b"k" * 32, b'{"msgid":"contract"}', nonce12=b"\0" * 12)
NEXT_INDEX = "Range:bytes=524288-1048575"
TERMINATE = (
    "terminate called after throwing an instance of 'std::out_of_range'\n"
    "  what():  basic_string::basic_string: __pos (which is 13) > this->size() (which is {})\n"
)


class Library:
    """A library under contract: its path, its ctypes handle (from the binding) and, for the
    fake, its test-only exports (``counters``)."""

    def __init__(self, name, path, counters=None):
        self.name = name
        self.path = path
        self.lib = load_library(path)
        self.counters = counters
        self.is_fake = counters is not None

    def __repr__(self):
        return f"<{self.name} SDK {self.path}>"


@contextlib.contextmanager
def opened(request, name):
    """The library ``name``; for the fake, nothing may be left alive or misused after."""
    if name == "real":
        yield Library(name, request.getfixturevalue("real_sdk_lib_path"))
        return
    fake = request.getfixturevalue("fake")
    fake.FakeSdk_Reset()
    yield Library(name, request.getfixturevalue("sdk_lib_path"), fake)
    assert fake.FakeSdk_LiveBuffers() == 0, "slices or media buffers were left alive"
    assert fake.FakeSdk_LiveSdks() == 0, "SDK instances were left alive"
    assert fake.FakeSdk_Misuse() == 0, "the SDK was misused (double free, ...)"


@pytest.fixture(params=["real", "fake"])
def library(request, monkeypatch):
    """Each library, without WeCom (the fake without a corpus)."""
    monkeypatch.delenv("WECOM_FAKE_SDK_CORPUS", raising=False)
    with opened(request, request.param) as library:
        yield library


@pytest.fixture(params=["real", "fake", "fake+faults"])
def offline(request, monkeypatch, tmp_path):
    """Each library without WeCom; the fake also with a corpus whose faults answer 10001."""
    monkeypatch.delenv("WECOM_FAKE_SDK_CORPUS", raising=False)
    if request.param == "fake+faults":
        corp = tmp_path / CORPID
        corp.mkdir()
        (corp / "corp.conf").write_text(f"corpid={CORPID}\nsecret={SECRET}\n")
        (corp / "chatdata.jsonl").write_text("")
        (corp / "faults.conf").write_text("chatdata_error=10001\nmedia_error=10001\n")
        monkeypatch.setenv("WECOM_FAKE_SDK_CORPUS", str(tmp_path))
    with opened(request, request.param.split("+")[0]) as library:
        yield library


@contextlib.contextmanager
def new_sdk(lib, corpid=CORPID, secret=SECRET):
    sdk = lib.NewSdk()
    assert sdk, "NewSdk returned NULL"
    try:
        assert lib.Init(sdk, corpid.encode(), secret.encode()) == 0
        yield sdk
    finally:
        lib.DestroySdk(sdk)


@contextlib.contextmanager
def new_slice(lib):
    slice_p = lib.NewSlice()
    try:
        yield slice_p
    finally:
        lib.FreeSlice(slice_p)


@contextlib.contextmanager
def new_media(lib):
    media_p = lib.NewMediaData()
    try:
        yield media_p
    finally:
        lib.FreeMediaData(media_p)


def c_text(pointer):
    """The C string at ``pointer``, which must not be NULL (read from NULL would crash)."""
    assert pointer, "NULL where the real SDK returns a static empty string"
    return ctypes.string_at(pointer)


def _c_string(text):
    return None if text is None else text.encode()


def raw_decrypt(lib, key, msg):
    """DecryptData itself (the binding's decrypt_data refuses some values before the call)."""
    with new_slice(lib) as slice_p:
        code = lib.DecryptData(_c_string(key), _c_string(msg), slice_p)
        assert code or lib.GetSliceLen(slice_p) > 0
        return code


def python(code, *args):
    """Run ``code`` in a new Python process (where the SDK may crash), without a corpus."""
    env = {k: v for k, v in os.environ.items() if k != "WECOM_FAKE_SDK_CORPUS"}
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_real_library_is_there():
    """`make setup` extracts Tencent's SDK; without it the contract fails, it never skips."""
    missing = [
        name
        for name in (
            "libWeWorkFinanceSdk_C_x86.so",
            "libWeWorkFinanceSdk_C_arm.so",
            "WeWorkFinanceSdk_C.h",
        )
        if not os.path.isfile(os.path.join(real_sdk_dir(), name))
    ]
    assert not missing, (
        f"Tencent's real Finance SDK is missing from {real_sdk_dir()} ({', '.join(missing)}): "
        "run `make setup`"
    )


# -- the API itself -------------------------------------------------------------------------


def _c_type(text):
    """The ctypes type the binding must declare for a C type of the header."""
    text = " ".join(text.replace("*", " * ").split())
    return {
        "void": None,
        "int": ctypes.c_int,
        "unsigned int": ctypes.c_uint,
        "unsigned long long": ctypes.c_ulonglong,
        "const char *": ctypes.c_char_p,
        "char *": ctypes.c_void_p,  # read with its length, never as a C string
        "WeWorkFinanceSdk_t *": ctypes.c_void_p,
        "Slice_t *": ctypes.POINTER(Slice),
        "MediaData_t *": ctypes.POINTER(MediaData),
    }[text]


def test_the_binding_declares_the_header_exactly(real_sdk_header_path):
    with open(real_sdk_header_path, encoding="utf-8") as handle:
        header = handle.read()
    code = re.sub(r"/\*.*?\*/|//[^\n]*", "", header, flags=re.S)
    functions = {}
    for restype, name, params in re.findall(r"([\w ]+?\s*\**)\s*(\w+)\s*\(([^)]*)\)\s*;", code):
        args = [re.sub(r"\w+$", "", p.strip()) for p in params.split(",") if p.strip()]
        functions[name] = (_c_type(restype), [_c_type(arg) for arg in args])
    assert functions == {
        name: (restype, list(argtypes)) for name, (restype, argtypes) in PROTOTYPES.items()
    }
    for struct, name in ((Slice, "Slice_t"), (MediaData, "MediaData")):
        body = re.search(r"typedef struct " + name + r"\s*\{([^}]*)\}", code).group(1)
        fields = re.findall(r"([\w ]+?\s*\**)\s*(\w+)\s*;", body)
        assert [(n, _c_type(t)) for t, n in fields] == list(struct._fields_)


def dynamic_functions(path):
    """The functions a shared object exports, and its machine, read with readelf."""
    readelf = shutil.which("readelf")
    assert readelf, "readelf is missing: install binutils (gcc, which builds the fake, needs it)"
    out = subprocess.run(
        [readelf, "-h", "--dyn-syms", "-W", path], capture_output=True, text=True, check=True
    ).stdout
    machine = re.search(r"^\s*Machine:\s*(.+)$", out, re.M).group(1).strip()
    names = set()
    for line in out.splitlines():
        fields = line.split()
        # Num: Value Size Type Bind Vis Ndx Name
        if len(fields) < 8 or fields[3] != "FUNC" or fields[6] == "UND":
            continue
        if fields[4] in ("GLOBAL", "WEAK"):
            names.add(fields[7].split("@")[0])
    return machine, names


@pytest.mark.parametrize(
    "name, machine",
    [
        ("libWeWorkFinanceSdk_C_x86.so", "Advanced Micro Devices X86-64"),
        ("libWeWorkFinanceSdk_C_arm.so", "AArch64"),
        ("fake", None),
    ],
    ids=["real-x86_64", "real-arm64", "fake"],
)
def test_exports_every_function_of_the_api(request, name, machine):
    path = request.getfixturevalue("sdk_lib_path") if name == "fake" else real_sdk_file(name)
    found_machine, names = dynamic_functions(path)
    if machine:
        assert found_machine == machine
    assert sorted(set(PROTOTYPES) - names) == []


def test_loads_through_the_binding(library):
    # load_library declares every prototype and fails on a missing symbol.
    assert load_library(library.path) is library.lib
    for name, (restype, argtypes) in PROTOTYPES.items():
        assert getattr(library.lib, name).argtypes == argtypes
        assert getattr(library.lib, name).restype is restype


def test_new_buffers_are_empty_and_never_null(library):
    lib = library.lib
    with new_slice(lib) as slice_p:
        assert slice_p and (slice_p.contents.buf, slice_p.contents.len) == (None, 0)
        assert lib.GetSliceLen(slice_p) == 0
        assert c_text(lib.GetContentFromSlice(slice_p)) == b""
    with new_media(lib) as media_p:
        fields = media_p.contents
        assert (fields.outindexbuf, fields.out_len, fields.data, fields.data_len) == (
            None,
            0,
            None,
            0,
        )
        assert (lib.GetIndexLen(media_p), lib.GetDataLen(media_p)) == (0, 0)
        assert lib.IsMediaDataFinish(media_p) == 0
        for getter in (lib.GetOutIndexBuf, lib.GetData):
            assert c_text(getter(media_p)) == b""


def test_null_pointers(library):
    """What each function does with NULL (none of these crashes the real one)."""
    lib = library.lib
    assert c_text(lib.GetContentFromSlice(None)) == b""
    assert c_text(lib.GetOutIndexBuf(None)) == b""
    assert c_text(lib.GetData(None)) == b""
    assert (lib.GetSliceLen(None), lib.GetIndexLen(None), lib.GetDataLen(None)) == (0, 0, 0)
    assert lib.IsMediaDataFinish(None) == 1
    lib.FreeSlice(None)
    lib.FreeMediaData(None)
    lib.DestroySdk(None)
    assert lib.Init(None, CORPID.encode(), SECRET.encode()) == 10000
    with new_slice(lib) as slice_p, new_media(lib) as media_p:
        assert lib.GetChatData(None, 0, 10, b"", b"", 1, slice_p) == 10000
        assert lib.GetMediaData(None, b"", b"fileid", b"", b"", 1, media_p) == 10000
        with new_sdk(lib) as sdk:
            assert lib.GetChatData(sdk, 0, 10, NO_NETWORK.encode(), b"", 1, None) == 10000
            assert lib.GetMediaData(sdk, b"", None, NO_NETWORK.encode(), b"", 1, media_p) == 10000
            # NULL indexbuf and password are "", NULL media is not checked before the network.
            assert lib.GetMediaData(sdk, None, b"fileid", NO_NETWORK.encode(), None, 1, None) == (
                10001
            )
        assert lib.DecryptData(None, WECOM_SHAPED_MSG.encode(), slice_p) == 10000
        assert lib.DecryptData(MADE_UP_KEY.encode(), None, slice_p) == 10000
        assert lib.DecryptData(None, b"", slice_p) == 10000, "NULL is checked before the length"
        assert lib.DecryptData(MADE_UP_KEY.encode(), WECOM_SHAPED_MSG.encode(), None) == 10008
        assert lib.GetSliceLen(slice_p) == 0 and lib.GetDataLen(media_p) == 0
    if library.is_fake:
        # Init, GetChatData and GetMediaData of a NULL SDK, GetMediaData into a NULL media,
        # DecryptData into a NULL slice: the fake counts each as a misuse of the binding.
        assert library.counters.FakeSdk_Misuse() == 5
        library.counters.FakeSdk_Reset()


# -- Init, GetChatData, GetMediaData without WeCom -------------------------------------------


def test_init_needs_no_network_nor_the_right_secret(offline):
    lib = offline.lib
    with new_sdk(lib, CORPID, "not-the-secret") as sdk:
        assert lib.Init(sdk, CORPID.encode(), SECRET.encode()) == 0, "Init again"
        for corpid, secret in ((b"", b"x"), (b"ww", b""), (None, b"x"), (b"ww", None)):
            assert lib.Init(sdk, corpid, secret) == 10000
    # Through the binding: a handle per thread, Init'ed, destroyed by close().
    with SdkClient(offline.path, CORPID, "not-the-secret", proxy=NO_NETWORK) as client:
        assert client._handle().ptr
    with (
        SdkClient(offline.path, CORPID, "", proxy=NO_NETWORK) as client,
        pytest.raises(SdkError) as caught,
    ):
        client.get_chat_data(0, 10)
    assert (caught.value.code, caught.value.call, caught.value.retryable) == (10000, "Init", False)


def assert_sdk_error(caught, code, call, cls=SdkError):
    error = caught.value
    assert type(error) is cls and (error.code, error.call) == (code, call)
    # The texts of native/errors.py, in English and in Chinese.
    expected = cls(code, call=call)
    assert str(error) == expected.message("en") and error.message("en") == expected.message()
    assert error.message("zh_CN") == expected.message("zh_CN")
    return error


def test_chat_data_without_network_is_10001(offline):
    with SdkClient(offline.path, CORPID, "not-the-secret", proxy=NO_NETWORK, timeout=1) as client:
        for seq, limit in ((0, MAX_LIMIT), (0, 1), (2**64 - 1, 10)):
            with pytest.raises(SdkError) as caught:
                client.get_chat_data(seq, limit)
            error = assert_sdk_error(caught, 10001, "GetChatData", SdkRetryableError)
            assert error.retryable
        with pytest.raises(SdkError) as caught:
            client.get_chat_data(0, MAX_LIMIT + 1)  # refused by the binding, as by the SDK
        assert caught.value.code == 10000


def test_chat_data_limits_are_checked_before_the_network(offline):
    lib = offline.lib
    proxy = NO_NETWORK.encode()
    with new_sdk(lib) as sdk, new_slice(lib) as slice_p:
        for limit in (0, 1001, 5000, 2**32 - 1):
            assert lib.GetChatData(sdk, 0, limit, proxy, b"", 1, slice_p) == 10000, limit
        for limit in (1, 1000):
            assert lib.GetChatData(sdk, 0, limit, proxy, b"", 1, slice_p) == 10001, limit
        assert lib.GetSliceLen(slice_p) == 0
        assert c_text(lib.GetContentFromSlice(slice_p)) == b""


def test_media_without_network_is_10001(offline):
    with SdkClient(offline.path, CORPID, SECRET, proxy=NO_NETWORK, timeout=1) as client:
        for indexbuf in ("", NEXT_INDEX):
            with pytest.raises(SdkError) as caught:
                client.get_media_chunk("CtYBMzA2OTAyMDEwMjA0NjIz", indexbuf)
            assert_sdk_error(caught, 10001, "GetMediaData", SdkRetryableError)


def test_media_arguments_are_checked_before_the_network(offline):
    lib = offline.lib
    proxy = NO_NETWORK.encode()
    with new_sdk(lib) as sdk, new_media(lib) as media_p:
        for fileid in (b"", None):
            assert lib.GetMediaData(sdk, b"", fileid, proxy, b"", 1, media_p) == 10000
        for indexbuf in (
            "abc",
            "range:bytes=0-524287",
            "Range:bytes=2-1",
            "Range:bytes=-1-524287",
            "Range:bytes=a-b",
            '{"offset":0}',
        ):
            # The real one keeps the last Range it parsed when the next indexbuf does not
            # parse: an empty indexbuf first starts from nothing.
            assert lib.GetMediaData(sdk, b"", b"fileid", proxy, b"", 1, media_p) == 10001
            code = lib.GetMediaData(sdk, indexbuf.encode(), b"fileid", proxy, b"", 1, media_p)
            assert code == 10000, indexbuf
        assert lib.GetMediaData(sdk, NEXT_INDEX.encode(), b"fileid", proxy, b"", 1, media_p) == (
            10001
        )
        assert (lib.GetDataLen(media_p), lib.GetIndexLen(media_p)) == (0, 0)


# -- DecryptData ------------------------------------------------------------------------------

# (key, message) -> code, the same for both libraries.
DECRYPT_CASES = [
    ("", WECOM_SHAPED_MSG, 10008),
    ("", "a" * 13, 10008),
    ("short", WECOM_SHAPED_MSG, 10008),
    ("x" * 16, FAKE_FORMAT_MSG, 10008),
    ("x" * 33, FAKE_FORMAT_MSG, 10008),
    (base64.b64encode(b"k" * 32).decode(), FAKE_FORMAT_MSG, 10008),
    (MADE_UP_KEY, WECOM_SHAPED_MSG, 10008),
    (MADE_UP_KEY, FAKE_FORMAT_MSG, 10008),
    (MADE_UP_KEY, "%%%not base64%%%", 10008),
    (MADE_UP_KEY, "a" * 13, 10008),
    (MADE_UP_KEY, "Q" * 100_000, 10008),
    # A key of the fake's shape, on messages whose head cannot be parsed.
    ("x" * 32, "%%%not base64%%%", 10008),
    ("x" * 32, "a" * 13, 10008),
    ("x" * 32, "QUFBQUFBQUFBQUFB", 10008),
    ("x" * 32, WECOM_SHAPED_MSG, 10008),
    ("k" * 32, "中文消息不是密文", 10008),
]


def test_decrypt_codes(library):
    lib = library.lib
    codes = [raw_decrypt(lib, key, msg) for key, msg, _code in DECRYPT_CASES]
    assert codes == [code for _key, _msg, code in DECRYPT_CASES]


def test_decrypt_through_the_binding(library):
    with pytest.raises(SdkError) as caught:
        decrypt_data(library.lib, MADE_UP_KEY, WECOM_SHAPED_MSG)
    error = assert_sdk_error(caught, 10008, "DecryptData", SdkDecryptError)
    assert not error.retryable
    # Values that would crash the SDK, or cannot be a message, never reach it.
    for msg in ("", "a", "x" * 12, None, "%%%not base64%%%"):
        with pytest.raises(SdkError) as caught:
            decrypt_data(library.lib, MADE_UP_KEY, msg)
        assert (type(caught.value), caught.value.code) == (SdkError, 10000)


def test_a_made_up_32_character_key_is_the_one_difference(library):
    """The real SDK checks the key alone first (10008); the fake's cipher cannot (10006).
    test_sdk.py::test_decrypt_errors relies on the fake's 10006; the binding raises the same
    non-retryable SdkDecryptError for both."""
    expected = 10006 if library.is_fake else 10008
    for key in ("x" * 32, "k" * 31 + "K"):
        assert raw_decrypt(library.lib, key, FAKE_FORMAT_MSG) == expected
        with pytest.raises(SdkDecryptError) as caught:
            decrypt_data(library.lib, key, FAKE_FORMAT_MSG)
        assert caught.value.code == expected and not caught.value.retryable


DECRYPT_PROBE = """
import sys
from wecom_archive.native.sdk import load_library
lib = load_library(sys.argv[1])
key, msg, into = sys.argv[2:5]
slice_p = lib.NewSlice() if into == "slice" else None
print(lib.DecryptData(key.encode(), msg.encode(), slice_p), flush=True)
"""


@pytest.mark.parametrize(
    "key, msg, into",
    [
        ("x" * 32, "", "slice"),
        ("", "a", "slice"),
        (MADE_UP_KEY, "QUFBQUFBQUFB", "slice"),
        ("x" * 32, "x" * 12, "NULL"),
    ],
    ids=["0 chars", "1 char, empty key", "12 chars", "12 chars into NULL"],
)
def test_decrypt_of_fewer_than_13_characters_aborts_the_process(library, key, msg, into):
    out = python(DECRYPT_PROBE, library.path, key, msg, into)
    assert out.returncode in (-6, 134), (out.returncode, out.stderr)
    assert out.stderr == TERMINATE.format(len(msg))
    assert out.stdout == ""


def test_decrypt_of_13_characters_does_not_abort(library):
    for key, into in (("x" * 32, "slice"), ("", "NULL")):
        out = python(DECRYPT_PROBE, library.path, key, "QUFBQUFBQUFBQ", into)
        assert (out.returncode, out.stdout, out.stderr) == (0, "10008\n", "")


def test_the_binding_never_lets_decrypt_abort(library):
    probe = """
import sys
from wecom_archive.native.errors import SdkError
from wecom_archive.native.sdk import decrypt_data, load_library
lib = load_library(sys.argv[1])
for msg in ("", "a", "x" * 12, None):
    try:
        decrypt_data(lib, "x" * 32, msg)
    except SdkError as error:
        print(error.code, error.detail)
"""
    out = python(probe, library.path)
    assert (out.returncode, out.stderr) == (0, "")
    lines = out.stdout.splitlines()
    assert len(lines) == 4 and all(line.startswith("10000 ") for line in lines), lines


# -- freeing, threads -------------------------------------------------------------------------

LEAK_PROBE = """
import ctypes, json, os, sys
from wecom_archive.native.errors import SdkError
from wecom_archive.native.sdk import SdkClient, load_library

path, proxy, key, msg, rounds = sys.argv[1:6]
lib = load_library(path)


class MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena ordblks smblks hblks hblkhd usmblks fsmblks uordblks fordblks keepcost".split())]


libc = ctypes.CDLL(None)
if hasattr(libc, "mallinfo2"):  # glibc >= 2.33
    libc.mallinfo2.restype = MallInfo2


def heap():
    if not hasattr(libc, "mallinfo2"):
        return 0
    info = libc.mallinfo2()
    return info.uordblks + info.hblkhd


def rss():
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def one_round():
    codes = []
    with SdkClient(path, "wwleak", "not-the-secret", proxy=proxy, timeout=1) as client:
        calls = (
            lambda: client.get_chat_data(0, 1000),
            lambda: client.get_chat_data(0, 1001),
            lambda: client.get_media_chunk("fileid"),
            lambda: client.get_media_chunk("fileid", "Range:bytes=524288-1048575"),
            lambda: client.get_media_chunk("", ""),
            lambda: client.decrypt(key, msg),
            lambda: client.decrypt(key, "short"),
        )
        for call in calls:
            try:
                call()
                codes.append(0)
            except SdkError as error:
                codes.append(error.code)
        slice_p = lib.NewSlice()
        codes.append(client._call("GetChatData", 0, 1001, b"", b"", 1, slice_p))
        lib.FreeSlice(slice_p)
    return codes


expected = one_round()
for _ in range(300):
    one_round()
rss_before, heap_before = rss(), heap()
for _ in range(int(rounds)):
    assert one_round() == expected
result = {"codes": expected, "rss": rss() - rss_before, "heap": heap() - heap_before}
if hasattr(lib, "FakeSdk_LiveBuffers"):
    result["live"] = [lib.FakeSdk_LiveBuffers(), lib.FakeSdk_LiveSdks(), lib.FakeSdk_Misuse()]
print(json.dumps(result))
"""


def test_every_path_frees_what_it_allocates(library):
    """Thousands of calls on every path without WeCom: the memory in use stays flat."""
    rounds = 3000  # each: NewSdk, Init, DestroySdk and 8 calls with their buffers
    out = python(LEAK_PROBE, library.path, NO_NETWORK, MADE_UP_KEY, WECOM_SHAPED_MSG, str(rounds))
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["codes"] == [10001, 10000, 10001, 10001, 10000, 10008, 10000, 10000]
    # One Slice (16 bytes) lost per round would be 3000 x 32 bytes of heap.
    assert result["heap"] < 32 * 1024, result
    assert result["rss"] < 1024 * 1024, result
    if library.is_fake:
        assert result["live"] == [0, 0, 0]


def test_one_handle_per_thread_concurrently(library):
    threads, calls = 6, 40
    codes = collections.Counter()
    errors = []
    barrier = threading.Barrier(threads)
    with SdkClient(library.path, CORPID, SECRET, proxy=NO_NETWORK, timeout=1) as client:

        def work():
            try:
                barrier.wait()
                for _ in range(calls):
                    for kind, call in (
                        ("chat", lambda: client.get_chat_data(0, 100)),
                        ("media", lambda: client.get_media_chunk("fileid")),
                        ("decrypt", lambda: client.decrypt(MADE_UP_KEY, WECOM_SHAPED_MSG)),
                    ):
                        try:
                            call()
                            codes[kind, 0] += 1
                        except SdkError as error:
                            codes[kind, error.code] += 1
            except Exception as error:
                errors.append(error)

        workers = [threading.Thread(target=work) for _ in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        assert not errors
        handles = [handle.ptr for handle in client._handles]
        assert len(handles) == threads and len(set(handles)) == threads and all(handles)
        if library.is_fake:
            assert library.counters.FakeSdk_LiveSdks() == threads
    n = threads * calls
    assert codes == {("chat", 10001): n, ("media", 10001): n, ("decrypt", 10008): n}
