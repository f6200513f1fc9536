"""Sensitive-word matching: every active rule's words in one Aho-Corasick automaton.

A rule watches words (and optionally regular expressions) for some members and departments
(none = everyone archived), for messages of one side (member, customer or both) in some kinds
of chat. :class:`Matcher` is built once from all active rules and reused for every message
until the rules change; :meth:`Matcher.scan` returns one :class:`Hit` per rule that fires,
with the distinct words hit and where (for highlighting).

A rule may also use built-in detectors (:mod:`.detectors`: mobile numbers, bank cards,
resident IDs, e-mail addresses, WeChat IDs, links outside its allowed domains): their hits
join the rule's, named by the detector ("手机号"), with their offsets. Detectors run only
when a cheap prefilter says the text could hold a value of their kind, and once per message
for all the rules that use the same detectors and allowed domains.
"""

import re
from dataclasses import dataclass, field

import ahocorasick

from . import detectors
from .detectors import DETECTORS

SIDES = ("member", "customer", "both")
CHAT_KINDS = frozenset({"external", "internal", "group"})
# ASCII letters are matched case-insensitively; lowering only them keeps offsets exact.
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_SEPARATORS = re.compile(r"[,，]")


# What a text must hold for a detector to find anything in it (a run of digits, an @, a
# WeChat cue, a dot), full-width forms included: most chat lines fail all of them at once.
_PREFILTERS = {
    "mobile": re.compile(r"[0-9０-９]{3}"),
    "bank_card": re.compile(r"[0-9０-９]{4}"),
    "id_card": re.compile(r"[0-9０-９]{6}"),
    "email": re.compile(r"[@＠]"),
    "wechat_id": re.compile(r"信|[vVwWｖＶｗＷ][xXｘＸ]|加[vVｖＶ]"),
    "url": re.compile(r"[.．]"),
}


def split_words(text):
    """The words of a rule as admins type them: separated by "," or "，", blanks trimmed,
    empty ones and duplicates dropped (first occurrence kept)."""
    words = (word.strip() for word in _SEPARATORS.split(text or ""))
    return list(dict.fromkeys(word for word in words if word))


@dataclass(frozen=True)
class Rule:
    id: int
    words: tuple = ()
    patterns: tuple = ()  # regular expressions
    side: str = "both"
    chat_kinds: frozenset = CHAT_KINDS
    member_ids: frozenset = frozenset()  # scope: archived members…
    department_ids: frozenset = frozenset()  # …or their departments (subdepartments included)
    detectors: tuple = ()  # codes of lib.detectors.DETECTORS
    allowed_domains: tuple = ()  # for the "url" detector: links to these are not hits
    # The rule names departments or members, even when none of them is left (archived,
    # deleted): it then applies to nobody, never to everyone.
    scoped: bool = False

    def applies(self, sender_side, chat_kind, member_ids, department_ids):
        if self.side != "both" and self.side != sender_side:
            return False
        if chat_kind not in self.chat_kinds:
            return False
        return self.in_scope(member_ids, department_ids)

    def in_scope(self, member_ids, department_ids):
        """Whether the rule's scope holds a message of these members or departments
        (no scope: everyone)."""
        if not (self.scoped or self.member_ids or self.department_ids):
            return True
        return bool(self.member_ids & member_ids or self.department_ids & department_ids)


@dataclass
class Hit:
    rule_id: int
    words: list = field(default_factory=list)  # distinct words (or regex matches), in order
    offsets: list = field(default_factory=list)  # (start, end) of every occurrence


class Matcher:
    """All active rules, compiled once."""

    def __init__(self, rules):
        self.rules = {rule.id: rule for rule in rules}
        self._automaton = ahocorasick.Automaton()
        for rule in rules:
            for word in rule.words:
                key = word.translate(_ASCII_LOWER)
                owners = self._automaton.get(key, None)
                if owners is None:
                    self._automaton.add_word(key, (word, [rule.id]))
                else:
                    owners[1].append(rule.id)
        self._empty = len(self._automaton) == 0
        if not self._empty:
            self._automaton.make_automaton()
        self._patterns = [
            (rule.id, re.compile(pattern)) for rule in rules for pattern in rule.patterns
        ]
        unknown = {code for rule in rules for code in rule.detectors} - DETECTORS.keys()
        if unknown:
            raise ValueError(f"unknown detectors: {', '.join(sorted(unknown))}")
        # rules grouped by what they detect: a group costs one prefilter pass per message,
        # and its rules are looked at only when something was found
        groups = {}
        for rule in rules:
            if rule.detectors:
                key = (rule.detectors, rule.allowed_domains if "url" in rule.detectors else ())
                groups.setdefault(key, []).append(rule.id)
        self._detecting = list(groups.items())
        self._prefilters = {
            code: _PREFILTERS[code] for (codes, _domains) in groups for code in codes
        }
        # one search tells whether any of them could pass (most chat lines: none)
        self._any_prefilter = re.compile(
            "|".join(prefilter.pattern for prefilter in self._prefilters.values()) or "(?!)"
        )

    def scan(
        self, text, *, sender_side, chat_kind, member_ids=frozenset(), department_ids=frozenset()
    ):
        """The hits of the rules that apply to this message, one per rule."""
        found = self.find(text)
        if not found:
            return []
        return self.hits(
            found,
            sender_side=sender_side,
            chat_kind=chat_kind,
            member_ids=member_ids,
            department_ids=department_ids,
        )

    def find(self, text):
        """What the rules' words, patterns and detectors find in ``text``, whoever sent it
        (None: nothing, as for most chat lines): the cheap first half of :meth:`scan`, so a
        caller works out the message's side, chat kind and scope only for the few lines
        where something was found. ``hits`` turns it into the applicable rules' hits."""
        if not text:
            return None
        words = []
        if not self._empty:
            words = list(self._automaton.iter(text.translate(_ASCII_LOWER)))
        patterns = []
        for rule_id, pattern in self._patterns:
            spans = [match for match in pattern.finditer(text) if match.end() > match.start()]
            if spans:
                patterns.append((rule_id, [(m.group(0), m.span()) for m in spans]))
        detected = self._detect(text) if self._detecting else ()
        if not (words or patterns or detected):
            return None
        return words, patterns, detected

    def hits(
        self, found, *, sender_side, chat_kind, member_ids=frozenset(), department_ids=frozenset()
    ):
        """The hits of :meth:`find`'s ``found`` for the rules that apply to the message, one
        per rule, in rule order."""
        words, patterns, detected = found
        member_ids, department_ids = frozenset(member_ids), frozenset(department_ids)
        applicable = {}

        def applies(rule_id):
            if rule_id not in applicable:
                applicable[rule_id] = self.rules[rule_id].applies(
                    sender_side, chat_kind, member_ids, department_ids
                )
            return applicable[rule_id]

        hits = {}
        for end, (word, rule_ids) in words:
            start = end - len(word) + 1
            for rule_id in rule_ids:
                if applies(rule_id):
                    hit = hits.setdefault(rule_id, Hit(rule_id))
                    if word not in hit.words:
                        hit.words.append(word)
                    hit.offsets.append((start, end + 1))
        for rule_id, matches in patterns:
            if not applies(rule_id):
                continue
            hit = hits.setdefault(rule_id, Hit(rule_id))
            for matched, span in matches:
                if matched not in hit.words:
                    hit.words.append(matched)
                hit.offsets.append(span)
        for rule_ids, found_here in detected:
            for rule_id in rule_ids:
                if not applies(rule_id):
                    continue
                hit = hits.setdefault(rule_id, Hit(rule_id))
                for detection in found_here:
                    label = DETECTORS[detection.code][0]
                    if label not in hit.words:
                        hit.words.append(label)
                    hit.offsets.append((detection.start, detection.end))
        for hit in hits.values():
            hit.offsets.sort()
        return [hits[rule_id] for rule_id in sorted(hits)]

    def _detect(self, text):
        """[(rule ids, detections)] of the groups of detector rules whose detectors find
        something in ``text``: lib.detectors.detect of the detectors whose prefilter passes,
        once per distinct (detectors, allowed domains), each detector run once."""
        if not self._any_prefilter.search(text):
            return []
        passed = {code for code, prefilter in self._prefilters.items() if prefilter.search(text)}
        if not passed:
            return []
        found, by_code, result = {}, {}, []
        for (codes, domains), rule_ids in self._detecting:
            codes = tuple(code for code in codes if code in passed)
            if not codes:
                continue
            key = (codes, domains if "url" in codes else ())
            if key not in found:
                # each detector runs once per text, whatever the groups that use it
                hits = []
                for code in codes:
                    one = (code, key[1] if code == "url" else ())
                    if one not in by_code:
                        by_code[one] = detectors.find(text, *one)
                    hits += by_code[one]
                found[key] = detectors.merge(hits)
            if found[key]:
                result.append((rule_ids, found[key]))
        return result
