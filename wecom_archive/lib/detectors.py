"""Built-in detectors of personal data and contact offers, and their masking.

A detector finds one kind of value in a message's text (mobile numbers, bank cards, resident
ID numbers, e-mail addresses, WeChat IDs offered in text, external links) and reports each as
a :class:`Hit` with ``[start, end)`` offsets into the text as given (Python str indices, like
:mod:`.keywords`), in order and non-overlapping. Full-width digits and letters are recognised:
the text is matched through a one-char-to-one-char translation, so offsets hold.

:func:`mask` hides the sensitive part of each hit without changing the text's length, so the
offsets of hits and of :func:`mask_spans` stay valid in the masked text.
"""

import re
from datetime import date
from typing import NamedTuple
from urllib.parse import urlsplit


class Hit(NamedTuple):
    code: str  # the detector's code
    start: int
    end: int
    value: str  # text[start:end], as written (full-width characters kept)


# Full-width digits, letters and the punctuation found inside values (＠．－＿＋), ideographic
# and no-break spaces → ASCII, one char to one char. Other full-width punctuation (，；：（）！？)
# is Chinese text's own and stays, so that it ends a link instead of extending it.
_HALF_WIDTH = {
    ord(char): ord(char) - 0xFEE0
    for char in "０１２３４５６７８９＠．－＿＋"
    "ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ"
} | {0x3000: 0x20, 0xA0: 0x20}
_DIGITS = frozenset("0123456789")


def _normalise(text):
    return text.translate(_HALF_WIDTH)


# A digit group right before / after a candidate: the candidate is part of a longer grouped
# number ("6222 1381 2345 6789"), not a number of its own.
_GROUP_BEFORE = re.compile(r"[0-9][ -]\Z")
_GROUP_AFTER = re.compile(r"[ -][0-9]")


def _detached(norm, start, end):
    return not (
        _GROUP_BEFORE.search(norm, max(start - 2, 0), start) or _GROUP_AFTER.match(norm, end)
    )


# ---------------------------------------------------------------------------------------------
# mobile numbers

# +86 / 86 / 0086, then 11 digits 1[3-9]…, plain or grouped 3-4-4 by one kind of separator
_MOBILE_NUMBER = (
    r"(?:(?:\+|00)?86[ -]?)?1[3-9][0-9](?:[0-9]{8}|(?P<sep>[ -])[0-9]{4}(?P=sep)[0-9]{4})"
)
_MOBILE = re.compile(rf"(?<![0-9])(?<![0-9]\.){_MOBILE_NUMBER}(?![0-9])")
_MOBILE_ONLY = re.compile(_MOBILE_NUMBER)


def _mobile_ok(norm, match, group=0):
    """A grouped number must not continue a digit grouping (plain ones are digit-bounded)."""
    return match.group("sep") is None or _detached(norm, match.start(group), match.end(group))


def find_mobile(text):
    """Mainland mobile numbers (the +86 / 86 / 0086 prefix is part of the hit)."""
    norm = _normalise(text)
    return [
        Hit("mobile", m.start(), m.end(), text[m.start() : m.end()])
        for m in _MOBILE.finditer(norm)
        if _mobile_ok(norm, m)
    ]


# ---------------------------------------------------------------------------------------------
# bank cards

_BANK_CARD = re.compile(
    r"(?<![0-9])(?<![0-9]\.)"
    r"(?:[0-9]{16,19}|[0-9]{4}(?P<sep>[ -])[0-9]{4}(?:(?P=sep)[0-9]{4}){2}(?:(?P=sep)[0-9]{1,3})?)"
    r"(?![0-9])"
)


def luhn_ok(digits):
    """Whether a string of ASCII digits passes the Luhn check."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def find_bank_card(text):
    """16–19 digit card numbers (plain or grouped by 4), Luhn-valid."""
    norm = _normalise(text)
    hits = []
    for m in _BANK_CARD.finditer(norm):
        if m.group("sep") is not None and not _detached(norm, m.start(), m.end()):
            continue
        if luhn_ok(re.sub(r"[ -]", "", m.group())):
            hits.append(Hit("bank_card", m.start(), m.end(), text[m.start() : m.end()]))
    return hits


# ---------------------------------------------------------------------------------------------
# resident ID numbers

_ID_CARD = re.compile(
    r"(?<![0-9A-Za-z])[1-8][0-9]{5}"
    r"(?P<year>(?:19|20)[0-9]{2})(?P<month>[0-9]{2})(?P<day>[0-9]{2})[0-9]{3}[0-9Xx]"
    r"(?![0-9A-Za-z])"
)
_ID_WEIGHTS = [pow(2, 17 - position, 11) for position in range(17)]
_ID_CHECKS = "10X98765432"


def id_check_char(first17):
    """The ISO 7064 MOD 11-2 check character of the first 17 digits of a resident ID."""
    return _ID_CHECKS[sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS, strict=True)) % 11]


def find_id_card(text):
    """18-character resident ID numbers: real birth date (1900–today), valid check character."""
    norm = _normalise(text)
    hits = []
    for m in _ID_CARD.finditer(norm):
        try:
            born = date(int(m.group("year")), int(m.group("month")), int(m.group("day")))
        except ValueError:
            continue
        number = m.group().upper()
        if born <= date.today() and id_check_char(number[:17]) == number[17]:
            hits.append(Hit("id_card", m.start(), m.end(), text[m.start() : m.end()]))
    return hits


# ---------------------------------------------------------------------------------------------
# e-mail addresses

_EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9_%+-](?:[A-Za-z0-9._%+-]*[A-Za-z0-9_%+-])?"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![A-Za-z0-9-])"
)


def find_email(text):
    """ASCII e-mail addresses (trailing punctuation excluded)."""
    return [
        Hit("email", m.start(), m.end(), text[m.start() : m.end()])
        for m in _EMAIL.finditer(_normalise(text))
    ]


# ---------------------------------------------------------------------------------------------
# WeChat IDs offered in text

_WECHAT_ID = re.compile(
    # the cue: 微信 / 威信 / 薇信 / v信, or vx / wx / 加v standing alone (not inside a word)
    r"(?:[微威薇vV]信|(?<![A-Za-z0-9_-])(?:[vVwW][xX]|(?<=加)[vV])(?![A-Za-z0-9_-]))(?:号码?)?"
    r"[ \t]*(?:[:：是为][ \t]*)?"
    # the ID: WeChat's rule (a letter, then 5–19 letters, digits, _ or -), or a mobile number
    rf"(?P<id>[A-Za-z][A-Za-z0-9_-]{{5,19}}(?![A-Za-z0-9_-])|{_MOBILE_NUMBER}(?![0-9]))"
)


def find_wechat_id(text):
    """WeChat IDs after a cue (加我微信：…, vx …, 加v …); the hit is the ID only."""
    norm = _normalise(text)
    return [
        Hit("wechat_id", m.start("id"), m.end("id"), text[m.start("id") : m.end("id")])
        for m in _WECHAT_ID.finditer(norm)
        if _mobile_ok(norm, m, "id")
    ]


# ---------------------------------------------------------------------------------------------
# external links

_URL_CHARS = r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]"
_LABELS = r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+"
# top-level domains a bare domain (no scheme, no www.) is recognised by; lowercase only, so
# "ASP.NET" is not a link
_BARE_TLDS = (
    "com|cn|net|org|edu|gov|io|co|cc|me|tv|hk|top|xyz|vip|club|shop|site|info|biz|app|ltd|"
    "wang|link|live|online|store|tech|fun"
)
_URL = re.compile(
    rf"(?i:https?)://{_URL_CHARS}+"
    rf"|(?<![A-Za-z0-9@._%+/\-])(?:(?i:www)\.{_LABELS}[A-Za-z]{{2,24}}|{_LABELS}(?:{_BARE_TLDS}))"
    rf"(?![A-Za-z0-9-])(?::[0-9]{{1,5}})?(?:[/?#]{_URL_CHARS}*)?"
)
_CLOSERS = {")": "(", "]": "["}


def _url_length(url):
    """Length of ``url`` without trailing punctuation (a balanced closing bracket is kept)."""
    end = len(url)
    while end:
        last = url[end - 1]
        if last in _CLOSERS:
            if url.count(_CLOSERS[last], 0, end) >= url.count(last, 0, end):
                break
        elif last not in ".,;:!?'\"*":
            break
        end -= 1
    return end


def _host(url):
    if "://" not in url:
        url = "http://" + url
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return ""
    return host.rstrip(".")


def _domain(allowed):
    """An allowed domain as admins may type it ("Example.com", "*.example.com", a URL)."""
    allowed = allowed.strip().lower()
    if "/" in allowed:
        allowed = _host(allowed)
    return allowed.removeprefix("*.").strip(".")


def find_url(text, allowed_domains=()):
    """http(s) URLs and bare domains whose host is not an allowed domain or a subdomain of one."""
    allowed = [domain for domain in map(_domain, allowed_domains) if domain]
    hits = []
    for m in _URL.finditer(_normalise(text)):
        start, end = m.start(), m.start() + _url_length(m.group())
        host = _host(m.group()[: end - start])
        if host and not any(host == d or host.endswith("." + d) for d in allowed):
            hits.append(Hit("url", start, end, text[start:end]))
    return hits


# ---------------------------------------------------------------------------------------------
# all detectors

DETECTORS = {
    "mobile": ("手机号", find_mobile),
    "bank_card": ("银行卡号", find_bank_card),
    "id_card": ("身份证号", find_id_card),
    "email": ("邮箱", find_email),
    "wechat_id": ("微信号", find_wechat_id),
    "url": ("外部链接", find_url),
}
# Which detector wins when two find exactly the same span: a number offered as a WeChat ID is
# a WeChat ID, an 18-digit resident ID that happens to pass Luhn is an ID.
_PRECEDENCE = {"wechat_id": 0, "id_card": 1, "bank_card": 2, "mobile": 3, "email": 4, "url": 5}


def detect(text, codes, allowed_domains=()):
    """The hits of the detectors ``codes``, merged: sorted and non-overlapping (the earliest
    start wins, then the longer hit, then _PRECEDENCE). Unknown codes raise ValueError."""
    codes = set(codes)
    unknown = codes - DETECTORS.keys()
    if unknown:
        raise ValueError(f"unknown detectors: {', '.join(sorted(unknown))}")
    if not text:
        return []
    return merge([hit for code in codes for hit in find(text, code, allowed_domains)])


def find(text, code, allowed_domains=()):
    """The hits of one detector (``allowed_domains``: the url detector's), unmerged: a
    caller merging the hits of several sets of detectors over one text runs each once."""
    finder = DETECTORS[code][1]
    return finder(text, allowed_domains=allowed_domains) if code == "url" else finder(text)


def merge(found):
    """Hits of several detectors as detect gives them: sorted, and non-overlapping."""
    found = sorted(found, key=lambda hit: (hit.start, hit.start - hit.end, _PRECEDENCE[hit.code]))
    hits, reached = [], 0
    for hit in found:
        if hit.start >= reached:
            hits.append(hit)
            reached = hit.end
    return hits


# ---------------------------------------------------------------------------------------------
# masking: each masker gives the positions (in the hit's value) to replace by "*"


def _digit_positions(value):
    return [i for i, char in enumerate(value) if char in _DIGITS]


def _mask_mobile(value):
    return _digit_positions(value)[-8:-4]  # the middle 4 of the last 11 digits


def _mask_wechat_id(value):
    if _MOBILE_ONLY.fullmatch(value):
        return _mask_mobile(value)
    return range(2, len(value) - 1)


_MASKERS = {
    "mobile": _mask_mobile,
    "bank_card": lambda value: _digit_positions(value)[4:-4],
    "id_card": lambda value: range(6, len(value) - 4),
    "email": lambda value: range(1, value.find("@")),
    "wechat_id": _mask_wechat_id,
    "url": lambda value: (),
}


def _masked_positions(text, hits):
    norm = _normalise(text)
    positions = set()
    for hit in hits:
        value = norm[hit.start : hit.end]
        positions.update(hit.start + i for i in _MASKERS[hit.code](value))
    return sorted(positions)


def mask(text, hits):
    """``text`` with the sensitive part of every hit replaced by "*" (same length):
    138****5678, 6222 **** **** 1234, 110101********123X, a***@example.com, ab******5;
    links are kept."""
    chars = list(text)
    for position in _masked_positions(text, hits):
        chars[position] = "*"
    return "".join(chars)


def mask_spans(text, hits):
    """The ``[start, end)`` runs of characters :func:`mask` replaces, in order."""
    spans = []
    for position in _masked_positions(text, hits):
        if spans and spans[-1][1] == position:
            spans[-1][1] += 1
        else:
            spans.append([position, position + 1])
    return [tuple(span) for span in spans]


# ---------------------------------------------------------------------------------------------
# masking what is shown: the one entry point every output path calls (see mask_card)

# The detectors whose finds are personal data, masked wherever a message is shown to someone
# without the right to read originals. Links are not masked (mask keeps them anyway).
MASKED_CODES = ("mobile", "bank_card", "id_card", "email", "wechat_id")


def mask_text(text, codes=MASKED_CODES):
    """``text`` with what the detectors ``codes`` find masked (same length); anything that
    is not a non-empty str is returned as it is."""
    if not isinstance(text, str) or not text:
        return text
    hits = detect(text, codes)
    return mask(text, hits) if hits else text


# Keys of a stored message body whose values are ids, hashes or enums, never text a person
# wrote: left alone by mask_json (a media file id must still find its file).
_ID_KEYS = frozenset(
    (
        "msgid",
        "pre_msgid",
        "action",
        "msgtype",
        "from",
        "tolist",
        "roomid",
        "msgtime",
        "time",
        "sdkfileid",
        "md5sum",
        "fileext",
        "userid",
        "user",
        "doc_creator",
        "creator",
        "demoer",
        "share",
        "type",
    )
)


def mask_json(value, codes=MASKED_CODES):
    """A copy of a decoded JSON value with every text masked (the values of _ID_KEYS kept)."""
    if isinstance(value, str):
        return mask_text(value, codes)
    if isinstance(value, list):
        return [mask_json(item, codes) for item in value]
    if isinstance(value, dict):
        return {
            key: item if key in _ID_KEYS else mask_json(item, codes) for key, item in value.items()
        }
    return value


def mask_card(card, codes=MASKED_CODES):
    """A copy of a lib.cards card with its texts masked — title, text, field values, link
    title/description/url, media file name, raw JSON of an unknown type — its children's
    too; ``masked`` says whether anything was hidden. Offsets into the card's text hold (the
    masked text has the same length)."""
    out = dict(card)
    for key in ("title", "text", "raw"):
        out[key] = mask_text(card.get(key), codes)
    out["fields"] = [[label, mask_text(value, codes)] for label, value in card.get("fields") or []]
    if card.get("link"):
        out["link"] = {key: mask_text(value, codes) for key, value in card["link"].items()}
    if card.get("media"):
        out["media"] = dict(card["media"], filename=mask_text(card["media"].get("filename"), codes))
    out["children"] = [mask_card(child, codes) for child in card.get("children") or []]
    out["masked"] = any(
        out[key] != card.get(key) for key in ("title", "text", "raw", "fields", "link", "media")
    ) or any(child["masked"] for child in out["children"])
    return out
