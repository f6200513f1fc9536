"""ctypes binding of WeCom's Finance SDK (libWeWorkFinanceSdk_C.so).

What other wrappers got wrong and this one does not (reference section 5):

- every function has its argtypes/restype declared (``NewSdk`` returns a 64-bit pointer);
- binary buffers are read with their length (``string_at(ptr, len)``), never as C strings;
- every Slice/MediaData is freed on every path, including errors;
- one SDK handle per thread, each behind its own lock, destroyed exactly once and never while
  a call is running on it; a handle whose ``Init`` failed is destroyed and never used;
- ``GetChatData`` is asked for seq > the given one (pass the largest stored seq, not seq+1), and
  an answer without ``chatdata`` means "nothing new";
- media is downloaded chunk after chunk until ``is_finish``, resumably, and checked with md5.
"""

import contextlib
import ctypes
import hashlib
import json
import logging
import os
import random
import re
import threading
import time

from .errors import MediaIntegrityError, SdkError, SdkLibraryError, SdkRetryableError, sdk_error

_logger = logging.getLogger(__name__)

MAX_LIMIT = 1000
CHUNK_SIZE = 512 * 1024
# Tencent's DecryptData aborts the whole process (an uncaught std::out_of_range, SIGABRT)
# when encrypt_chat_msg is shorter than this: such a value is refused before the call.
MIN_ENCRYPT_MSG = 13
_BASE64 = re.compile(rb"[A-Za-z0-9+/]+=*")  # WeCom's is not always padded


class Slice(ctypes.Structure):
    _fields_ = [("buf", ctypes.c_void_p), ("len", ctypes.c_int)]


class MediaData(ctypes.Structure):
    _fields_ = [
        ("outindexbuf", ctypes.c_void_p),
        ("out_len", ctypes.c_int),
        ("data", ctypes.c_void_p),
        ("data_len", ctypes.c_int),
        ("is_finish", ctypes.c_int),
    ]


_vp, _cp, _int = ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int
_SLICE_P, _MEDIA_P = ctypes.POINTER(Slice), ctypes.POINTER(MediaData)

# name: (restype, argtypes) — the whole C API of the SDK.
PROTOTYPES = {
    "NewSdk": (_vp, []),
    "Init": (_int, [_vp, _cp, _cp]),
    "GetChatData": (
        _int,
        [_vp, ctypes.c_ulonglong, ctypes.c_uint, _cp, _cp, _int, _SLICE_P],
    ),
    "DecryptData": (_int, [_cp, _cp, _SLICE_P]),
    "GetMediaData": (_int, [_vp, _cp, _cp, _cp, _cp, _int, _MEDIA_P]),
    "DestroySdk": (None, [_vp]),
    "NewSlice": (_SLICE_P, []),
    "FreeSlice": (None, [_SLICE_P]),
    "GetContentFromSlice": (_vp, [_SLICE_P]),
    "GetSliceLen": (_int, [_SLICE_P]),
    "NewMediaData": (_MEDIA_P, []),
    "FreeMediaData": (None, [_MEDIA_P]),
    "GetOutIndexBuf": (_vp, [_MEDIA_P]),
    "GetData": (_vp, [_MEDIA_P]),
    "GetIndexLen": (_int, [_MEDIA_P]),
    "GetDataLen": (_int, [_MEDIA_P]),
    "IsMediaDataFinish": (_int, [_MEDIA_P]),
}

_libraries = {}
_libraries_lock = threading.Lock()


def load_library(path):
    """Load the SDK at ``path`` once per process, with every prototype declared."""
    if not path:
        raise SdkLibraryError(path, "no library path is configured")
    real = os.path.realpath(path)
    with _libraries_lock:
        if real in _libraries:
            return _libraries[real]
        if not os.path.isfile(real):
            raise SdkLibraryError(path, "file not found")
        try:
            lib = ctypes.CDLL(real)
        except OSError as exc:
            raise SdkLibraryError(path, str(exc)) from None
        for name, (restype, argtypes) in PROTOTYPES.items():
            try:
                func = getattr(lib, name)
            except AttributeError:
                raise SdkLibraryError(
                    path, f"not a Finance SDK library (no symbol {name})"
                ) from None
            func.restype = restype
            func.argtypes = argtypes
        _libraries[real] = lib
        return lib


def _read_slice(lib, slice_p):
    size = lib.GetSliceLen(slice_p)
    ptr = lib.GetContentFromSlice(slice_p)
    return ctypes.string_at(ptr, size) if ptr and size > 0 else b""


def _bytes(value):
    if value is None:
        return b""
    return value if isinstance(value, bytes) else str(value).encode()


def unsafe_encrypt_msg(encrypt_chat_msg):
    """Why DecryptData must not be given ``encrypt_chat_msg`` (it would crash the process
    or cannot be a message), or "" when it may."""
    data = _bytes(encrypt_chat_msg)
    if len(data) < MIN_ENCRYPT_MSG:
        return (
            f"encrypt_chat_msg has {len(data)} characters; the SDK aborts the process on "
            f"fewer than {MIN_ENCRYPT_MSG}, so it was not called"
        )
    if not _BASE64.fullmatch(data):
        return "encrypt_chat_msg is not base64, so the SDK was not called"
    return ""


def decrypt_data(lib, random_key, encrypt_chat_msg):
    """DecryptData (it takes no SDK handle): the plaintext bytes of one message, given
    its decrypted random key. A value that would crash the SDK is refused (10000)."""
    unsafe = unsafe_encrypt_msg(encrypt_chat_msg)
    if unsafe:
        raise SdkError(10000, unsafe, call="DecryptData")
    slice_p = lib.NewSlice()
    try:
        code = lib.DecryptData(_bytes(random_key), _bytes(encrypt_chat_msg), slice_p)
        if code:
            raise sdk_error(code, call="DecryptData")
        return _read_slice(lib, slice_p)
    finally:
        lib.FreeSlice(slice_p)


def with_retry(call, *, attempts=5, base_delay=0.5, max_delay=30.0, sleep=time.sleep):
    """Run ``call()``; retry retryable SDK errors with exponential backoff and jitter."""
    for attempt in range(1, attempts + 1):
        try:
            return call()
        except SdkError as exc:
            if not exc.retryable or attempt == attempts:
                raise
            delay = min(max_delay, base_delay * 2 ** (attempt - 1))
            delay *= 0.5 + random.random() / 2
            _logger.info("SDK call failed with %s, retry %d in %.1fs", exc.code, attempt, delay)
            sleep(delay)
    raise AssertionError("unreachable")


class _Handle:
    """One SDK instance, used by one thread at a time and destroyed once."""

    def __init__(self, lib, corpid, secret):
        self.lib = lib
        self.lock = threading.Lock()
        self.ptr = lib.NewSdk()
        if not self.ptr:
            raise SdkError(10003, "NewSdk returned NULL", call="NewSdk")
        code = lib.Init(self.ptr, _bytes(corpid), _bytes(secret))
        if code:
            lib.DestroySdk(self.ptr)
            self.ptr = None
            raise sdk_error(code, call="Init")

    def destroy(self):
        with self.lock:
            if self.ptr:
                self.lib.DestroySdk(self.ptr)
                self.ptr = None


class SdkClient:
    """Thread-safe access to one corp's archive through the Finance SDK.

    Each thread gets its own SDK handle on first use; :meth:`close` destroys them all
    (waiting for calls still running). Use it as a context manager.
    """

    def __init__(self, library_path, corpid, secret, *, proxy="", proxy_password="", timeout=30):
        self.lib = load_library(library_path)
        self._corpid = corpid
        self._secret = secret
        self._proxy = _bytes(proxy)
        self._proxy_password = _bytes(proxy_password)
        self.timeout = int(timeout)
        self._local = threading.local()
        self._handles = []
        self._lock = threading.Lock()
        self._closed = False

    def __repr__(self):
        # Never show the secret.
        return f"<SdkClient corpid={self._corpid!r}>"

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        with self._lock:
            self._closed = True
            handles, self._handles = self._handles, []
        for handle in handles:
            handle.destroy()

    def _handle(self):
        handle = getattr(self._local, "handle", None)
        if handle is None or handle.ptr is None:
            with self._lock:
                if self._closed:
                    raise SdkError(10000, "the SDK client is closed")
                handle = _Handle(self.lib, self._corpid, self._secret)
                self._handles.append(handle)
            self._local.handle = handle
        return handle

    def _call(self, name, *args):
        handle = self._handle()
        with handle.lock:
            if handle.ptr is None:
                raise SdkError(10000, "the SDK client is closed", call=name)
            return getattr(self.lib, name)(handle.ptr, *args)

    # -- chat data ---------------------------------------------------------------------------
    def get_chat_data(self, seq, limit=MAX_LIMIT):
        """The archived records with seq greater than ``seq`` (at most ``limit``).

        Returns the list of wire records (dicts with seq, msgid, publickey_ver,
        encrypt_random_key, encrypt_chat_msg); an empty list when nothing is new.
        """
        if not 0 < limit <= MAX_LIMIT:
            raise SdkError(10000, f"limit must be between 1 and {MAX_LIMIT}", call="GetChatData")
        lib = self.lib
        slice_p = lib.NewSlice()
        try:
            code = self._call(
                "GetChatData",
                int(seq),
                int(limit),
                self._proxy,
                self._proxy_password,
                self.timeout,
                slice_p,
            )
            if code:
                raise sdk_error(code, call="GetChatData")
            raw = _read_slice(lib, slice_p)
        finally:
            lib.FreeSlice(slice_p)
        try:
            answer = json.loads(raw)
        except ValueError:
            raise SdkRetryableError(
                10002, "GetChatData answer is not JSON", call="GetChatData"
            ) from None
        if not isinstance(answer, dict):
            raise SdkRetryableError(
                10002, "GetChatData answer is not an object", call="GetChatData"
            )
        errcode = answer.get("errcode", 0)
        if errcode:
            raise sdk_error(errcode, answer.get("errmsg", ""), call="GetChatData")
        records = answer.get("chatdata") or []
        # The seq is the pull's cursor: an answer without one for every record is unusable.
        if not isinstance(records, list) or not all(
            isinstance(r, dict) and type(r.get("seq")) is int for r in records
        ):
            raise SdkRetryableError(
                10002, "GetChatData answer has a record without an integer seq", call="GetChatData"
            )
        return records

    def decrypt(self, random_key, encrypt_chat_msg):
        """DecryptData: the plaintext bytes of one message, given its decrypted random key."""
        return decrypt_data(self.lib, random_key, encrypt_chat_msg)

    # -- media -------------------------------------------------------------------------------
    def get_media_chunk(self, sdkfileid, indexbuf=""):
        """One GetMediaData call: (data bytes, next indexbuf, finished)."""
        lib = self.lib
        media_p = lib.NewMediaData()
        try:
            code = self._call(
                "GetMediaData",
                _bytes(indexbuf),
                _bytes(sdkfileid),
                self._proxy,
                self._proxy_password,
                self.timeout,
                media_p,
            )
            if code:
                raise sdk_error(code, call="GetMediaData")
            data_len = lib.GetDataLen(media_p)
            data_ptr = lib.GetData(media_p)
            data = ctypes.string_at(data_ptr, data_len) if data_ptr and data_len > 0 else b""
            index_len = lib.GetIndexLen(media_p)
            index_ptr = lib.GetOutIndexBuf(media_p)
            out_index = ctypes.string_at(index_ptr, index_len) if index_ptr else b""
            finished = lib.IsMediaDataFinish(media_p) == 1
        finally:
            lib.FreeMediaData(media_p)
        return data, out_index.decode("utf-8", "replace"), finished

    def download_media(
        self,
        sdkfileid,
        dest_path,
        *,
        md5sum="",
        size=None,
        max_size=None,
        restarts=2,
        retry_attempts=5,
        base_delay=0.5,
        on_chunk=None,
    ):
        """Download a media file into ``dest_path``, resumably; return (size, md5 hex).

        Each chunk is checked against the SDK's index of the next one (a chunk cut short is
        fetched again), the whole file against ``md5sum`` and ``size`` when WeCom gave them.
        Progress lives beside the target, in ``dest_path + ".part"`` (the bytes so far) and
        ``".part.json"`` (the SDK's index for the next chunk and the offset it continues
        from): a download interrupted at any point continues where it stopped on the next
        call. Retryable errors are retried per chunk with backoff; a file failing its md5 or
        size check is downloaded again from scratch up to ``restarts`` times, then
        :class:`MediaIntegrityError` is raised. ``max_size`` (bytes) stops a file that grows
        past it. ``on_chunk(offset)`` is called after each stored chunk.
        """
        for attempt in range(restarts + 1):
            try:
                return self._download_once(
                    sdkfileid,
                    dest_path,
                    md5sum=md5sum,
                    size=size,
                    max_size=max_size,
                    retry_attempts=retry_attempts,
                    base_delay=base_delay,
                    on_chunk=on_chunk,
                )
            except MediaIntegrityError:
                if attempt == restarts:
                    raise
                _logger.info("media %s failed its check, downloading it again", dest_path)
        raise AssertionError("unreachable")

    def _download_once(
        self, sdkfileid, dest_path, *, md5sum, size, max_size, retry_attempts, base_delay, on_chunk
    ):
        part_path, state_path = dest_path + ".part", dest_path + ".part.json"
        state = _read_state(state_path, sdkfileid)
        mode = "r+b" if state and os.path.exists(part_path) else "w+b"
        if mode == "w+b":
            state = {"sdkfileid": sdkfileid, "indexbuf": "", "offset": 0, "finished": False}
        with open(part_path, mode) as part:
            part.truncate(state["offset"])
            part.seek(state["offset"])
            while not state["finished"]:

                def fetch(indexbuf=state["indexbuf"]):
                    return self.get_media_chunk(sdkfileid, indexbuf)

                for _attempt in range(retry_attempts):
                    data, indexbuf, finished = with_retry(
                        fetch, attempts=retry_attempts, base_delay=base_delay
                    )
                    problem = _chunk_problem(indexbuf, state["offset"], len(data))
                    if not problem:
                        break
                    _logger.info("media %s: %s; fetching the chunk again", dest_path, problem)
                else:
                    raise MediaIntegrityError(problem)
                part.write(data)
                part.flush()
                state = {
                    "sdkfileid": sdkfileid,
                    "indexbuf": indexbuf,
                    "offset": state["offset"] + len(data),
                    "finished": finished,
                }
                _write_state(state_path, state)
                if max_size and state["offset"] > max_size:
                    _discard(part_path, state_path)
                    raise SdkError(10000, f"larger than the maximum of {max_size} bytes")
                if on_chunk:
                    on_chunk(state["offset"])
        digest = _md5_file(part_path)
        problem = None
        if size and state["offset"] != int(size):
            problem = f"{state['offset']} bytes received, {size} announced"
        elif md5sum and digest != md5sum.lower():
            problem = f"md5 {digest} differs from the announced {md5sum}"
        if problem:
            _discard(part_path, state_path)
            raise MediaIntegrityError(problem)
        os.replace(part_path, dest_path)
        os.unlink(state_path)
        return state["offset"], digest


_INDEX_RANGE = re.compile(r"Range:bytes=(\d+)-")


def _chunk_problem(indexbuf, offset, received):
    """What is wrong with a chunk of ``received`` bytes fetched at ``offset``, or "".

    The SDK's index for the next chunk names the byte it continues from: a chunk cut short
    on the way does not reach it. This is the only check a file without md5sum and size
    (meeting_voice_call, some files) can have; an index of another shape is not judged."""
    match = _INDEX_RANGE.match(indexbuf or "")
    if match and int(match.group(1)) != offset + received:
        return (
            f"the chunk at byte {offset} has {received} bytes, "
            f"the SDK's index continues at byte {match.group(1)}"
        )
    return ""


def _read_state(path, sdkfileid):
    try:
        with open(path, encoding="utf-8") as handle:
            state = json.load(handle)
    except (OSError, ValueError):
        return None
    if not isinstance(state, dict) or state.get("sdkfileid") != sdkfileid:
        return None
    return state


def _write_state(path, state):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(state, handle)
    os.replace(tmp, path)


def _discard(*paths):
    for path in paths:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)


def _md5_file(path):
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
