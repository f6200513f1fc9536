"""Typed errors of the Finance SDK binding.

Every failure of the SDK becomes a :class:`SdkError` carrying the SDK's code, a plain
explanation in English and in Chinese (the admins read Chinese first), and whether trying
again can help. Messages never contain the secret, a key or decrypted content.
"""

RETRYABLE_CODES = frozenset({10001, 10002, 10003})

# code: (English, 简体中文)
_MESSAGES = {
    10000: (
        "The SDK rejected a parameter (bad parameter).",
        "SDK 参数错误。",
    ),
    10001: (
        "Network error while calling WeCom (or the call timed out); it will be retried.",
        "调用企业微信时网络错误（或超时），稍后会自动重试。",
    ),
    10002: (
        "WeCom's answer could not be parsed; it will be retried.",
        "企业微信返回的数据解析失败，稍后会自动重试。",
    ),
    10003: (
        "System failure inside the SDK; it will be retried.",
        "SDK 系统错误，稍后会自动重试。",
    ),
    10004: ("Encryption failed inside the SDK.", "SDK 加密失败。"),
    10005: (
        "The media file id (sdkfileid) is invalid or unknown to WeCom.",
        "媒体文件 ID（sdkfileid）无效。",
    ),
    10006: (
        "Decryption failed: the message does not match the decrypted random key.",
        "解密失败：消息与解密出的随机密钥不匹配。",
    ),
    10007: (
        "No private key for this public-key version.",
        "缺少该公钥版本对应的私钥。",
    ),
    10008: (
        "The encrypted random key could not be parsed (wrong private key?).",
        "无法解析加密随机密钥（私钥是否正确？）。",
    ),
    10009: (
        "This server's IP is not on the trusted-IP list of the archive settings (可信IP地址).",
        "服务器出口 IP 不在会话存档的可信 IP 地址列表中。",
    ),
    10010: (
        "The data has expired: WeCom keeps archived chats for about 5 days.",
        "数据已过期：企业微信仅保留约 5 天的会话数据。",
    ),
    10011: ("Certificate error in the SDK.", "SDK 证书错误。"),
    # Errors WeCom reports inside GetChatData's JSON answer.
    40001: (
        "WeCom rejected the archive secret: check the Secret of 会话内容存档.",
        "企业微信拒绝了会话存档 Secret：请检查“会话内容存档”中的 Secret。",
    ),
    40013: (
        "WeCom does not know this corp id.",
        "企业 ID（corpid）无效。",
    ),
}

_GENERIC = ("The SDK failed with code %(code)s.", "SDK 调用失败，错误码 %(code)s。")


class SdkError(Exception):
    """A failed SDK call; ``code`` is the SDK's (or WeCom's) error code."""

    def __init__(self, code, detail="", *, call=""):
        self.code = code
        self.detail = detail
        self.call = call
        super().__init__(self.message("en"))

    @property
    def retryable(self):
        return self.code in RETRYABLE_CODES

    def message(self, lang="en"):
        english, chinese = _MESSAGES.get(self.code, _GENERIC)
        text = chinese if str(lang or "").startswith("zh") else english
        text = text % {"code": self.code}
        prefix = f"[{self.call} {self.code}] " if self.call else f"[{self.code}] "
        suffix = f" ({self.detail})" if self.detail else ""
        return prefix + text + suffix


class SdkRetryableError(SdkError):
    """10001–10003: a network, parse or system failure that a retry can fix."""


class SdkCredentialError(SdkError):
    """Wrong corp id or secret."""


class SdkNotTrustedError(SdkError):
    """10009: the caller's IP is not trusted."""


class SdkDecryptError(SdkError):
    """10006/10008: a message or its random key cannot be decrypted."""


class SdkLibraryError(SdkError):
    """The SDK library is missing or is not a Finance SDK."""

    def __init__(self, path, reason):
        self.path = path
        self.reason = reason
        super().__init__(0, call="load")

    def message(self, lang="en"):
        if str(lang or "").startswith("zh"):
            return f"无法加载会话存档 SDK 库 {self.path}：{self.reason}"
        return f"Cannot load the Finance SDK library {self.path}: {self.reason}"


class DecryptWorkerError(SdkError):
    """A decryption worker process could not start or stopped (crashed, killed)."""

    def __init__(self, detail):
        super().__init__(0, detail, call="decrypt worker")

    @property
    def retryable(self):
        return True

    def message(self, lang="en"):
        if str(lang or "").startswith("zh"):
            return f"解密工作进程异常，本批消息将在下次拉取时重新处理：{self.detail}"
        return (
            f"A decryption worker process failed; the batch is pulled again next run: {self.detail}"
        )


class MediaIntegrityError(SdkError):
    """A downloaded media file does not match its md5sum or announced size."""

    def __init__(self, detail):
        super().__init__(0, detail, call="GetMediaData")

    @property
    def retryable(self):
        return True

    def message(self, lang="en"):
        if str(lang or "").startswith("zh"):
            return f"媒体文件校验失败，将重新下载：{self.detail}"
        return f"Media file failed its integrity check and will be downloaded again: {self.detail}"


_CLASSES = {
    10001: SdkRetryableError,
    10002: SdkRetryableError,
    10003: SdkRetryableError,
    10006: SdkDecryptError,
    10008: SdkDecryptError,
    10009: SdkNotTrustedError,
    40001: SdkCredentialError,
    40013: SdkCredentialError,
}


def sdk_error(code, detail="", *, call=""):
    """The typed exception for an SDK or WeCom error code."""
    return _CLASSES.get(code, SdkError)(code, detail, call=call)
