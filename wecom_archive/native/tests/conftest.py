import ctypes
import json
import os
import platform

import pytest

from wecom_archive.native.corpus.build import build
from wecom_archive.native.corpus.keys import new_key_pair

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
CORPID = "wwpytest00000001"
SECRET = "pytest-secret"


def text_message(n, content=None):
    """Text message number ``n`` of the test corpora."""
    return {
        "msgid": f"msg{n:06d}",
        "action": "send",
        "from": "wangmingle",
        "tolist": ["wmCustomer01"],
        "roomid": "",
        "msgtime": 1613263768356 + n * 1000,
        "msgtype": "text",
        "text": {"content": content or f"第{n}条消息"},
    }


@pytest.fixture(scope="session")
def sdk_lib_path():
    """The compiled fake SDK; its absence fails (never skips) the tests."""
    path = os.environ.get("WECOM_FAKE_SDK_LIB") or os.path.join(
        ROOT, "build", "libWeWorkFinanceSdk_C.so"
    )
    assert os.path.isfile(path), f"the fake SDK is not built at {path}: run `make sdk`"
    return path


def real_sdk_dir():
    """Where `make setup` extracts Tencent's real SDK (or WECOM_REAL_SDK_DIR)."""
    return os.environ.get("WECOM_REAL_SDK_DIR") or os.path.join(ROOT, "build", "real_sdk")


def real_sdk_file(name):
    """A file of Tencent's real SDK; its absence fails (never skips) the tests."""
    path = os.path.join(real_sdk_dir(), name)
    assert os.path.isfile(path), (
        f"Tencent's real Finance SDK is not at {path}: run `make setup` (it extracts it from "
        "the pinned pyweworkfinance wheel into build/real_sdk/)"
    )
    return path


@pytest.fixture(scope="session")
def real_sdk_lib_path():
    """Tencent's real libWeWorkFinanceSdk_C.so for this machine (x86_64, or arm64)."""
    machine = platform.machine().lower()
    arch = {"x86_64": "x86", "amd64": "x86", "aarch64": "arm", "arm64": "arm"}.get(machine)
    assert arch, f"Tencent's Finance SDK has no library for {machine} (only x86_64 and arm64)"
    return real_sdk_file(f"libWeWorkFinanceSdk_C_{arch}.so")


@pytest.fixture(scope="session")
def real_sdk_header_path():
    """Tencent's WeWorkFinanceSdk_C.h, shipped with the real library."""
    return real_sdk_file("WeWorkFinanceSdk_C.h")


@pytest.fixture(scope="session")
def fake(sdk_lib_path):
    """The fake's test-only exports (live buffer counters, fault counter reset)."""
    lib = ctypes.CDLL(os.path.realpath(sdk_lib_path))
    for name in ("FakeSdk_LiveBuffers", "FakeSdk_LiveSdks", "FakeSdk_Misuse"):
        getattr(lib, name).restype = ctypes.c_int
        getattr(lib, name).argtypes = []
    lib.FakeSdk_Reset.restype = None
    lib.FakeSdk_Reset.argtypes = []
    return lib


@pytest.fixture(scope="session")
def key_pairs():
    return {1: new_key_pair(), 2: new_key_pair()}


class Corpus:
    """A corpus directory served to the fake SDK through WECOM_FAKE_SDK_CORPUS."""

    def __init__(self, root, key_pairs):
        self.root = root
        self.key_pairs = key_pairs
        self.dir = os.path.join(root, CORPID)
        self.source = os.path.join(root, "source")

    def build(self, lines, media=None, versions=(1, 2)):
        """``lines``: dicts (dumped as JSON) or raw strings, written one per line."""
        media_dir = os.path.join(self.source, "media")
        os.makedirs(media_dir, exist_ok=True)
        for sdkfileid, content in (media or {}).items():
            with open(os.path.join(media_dir, sdkfileid), "wb") as handle:
                handle.write(content)
        path = os.path.join(self.source, "messages.jsonl")
        with open(path, "wb") as handle:
            for line in lines:
                if not isinstance(line, (str, bytes)):
                    line = json.dumps(line, ensure_ascii=False)
                handle.write((line.encode() if isinstance(line, str) else line) + b"\n")
        public = {version: self.key_pairs[version][1] for version in versions}
        return build(public, path, media_dir, self.dir, corpid=CORPID, secret=SECRET)

    def faults(self, text):
        with open(os.path.join(self.dir, "faults.conf"), "w") as handle:
            handle.write(text)


@pytest.fixture
def corpus(tmp_path, key_pairs, monkeypatch, fake):
    monkeypatch.setenv("WECOM_FAKE_SDK_CORPUS", str(tmp_path))
    fake.FakeSdk_Reset()
    yield Corpus(str(tmp_path), key_pairs)
    assert fake.FakeSdk_LiveBuffers() == 0, "the binding leaked slices or media buffers"
    assert fake.FakeSdk_LiveSdks() == 0, "the binding left SDK instances alive"
    assert fake.FakeSdk_Misuse() == 0, "the binding misused the SDK (double free, ...)"
