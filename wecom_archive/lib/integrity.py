"""The archive's own integrity (issue #15): a hash of every stored message, and a hash chain,
per corp, of what was stored, that a job walks to prove that no message was altered, removed
or slipped in outside the pipeline and the retention job.

Odoo-free: ``wecom.integrity.block`` reads and writes the rows; anyone holding a faithful
copy of a corp's messages and of its chain (an evidence pack) checks them with this module.

The message hash
----------------
:func:`body_hash` is the SHA-256 (hex) of the *canonical JSON* of a message's decrypted JSON,
the value the ``body`` column stores; not of the plaintext bytes the SDK returned:

- the plaintext is not kept: ``body`` is jsonb, which PostgreSQL re-serialises (key order,
  spacing, number spelling). A hash of the plaintext could be recomputed by nobody, neither
  from the database nor from an evidence pack: it would prove nothing.
- the canonical JSON is recomputed from any faithful copy of the value: ``body::text`` read
  back from the database, or the JSON of an evidence pack, whatever its key order or spacing.

Canonical JSON: object keys sorted by code point, no whitespace (``separators=(",", ":")``),
strings in UTF-8 with only the escapes JSON requires (``ensure_ascii=False``), a duplicate
key keeping its last value (as jsonb does), and numbers by value, as PostgreSQL keeps the
value and not the spelling (it writes ``1e5`` back as ``100000``): a number whose value is
an integer of at most 4,300 digits (``100000``, ``1e5``, ``2.0``) as that integer's digits,
any other number as the shortest repr of its nearest IEEE double (``1.50`` → ``1.5``).

The pipeline computes the hash from the very text it gives PostgreSQL, at insert (about
12 µs a message, a few per cent of a pull's Python), and keeps it in ``body_sha256``; the
integrity check recomputes it from ``body::text``.

The chain
---------
A corp's chain is a list of *blocks*, in the order they were written, each covering a range
of seqs. A block claims, in its range, its *members* (the messages stored decrypted, as runs
of consecutive seqs) and its *pending* seqs (records stored undecryptable, their key missing:
they join the chain once decrypted). Its ``content`` is the SHA-256 of its members' entries
``[seq, msgid, body hash]`` (canonical JSON, one line each) in seq order, and its ``digest``
the SHA-256 of the previous block's digest and of its own header (:func:`block_digest`):
changing, adding or dropping a block breaks every digest after it.

Blocks are never edited. A change the archive makes on purpose *supersedes* blocks: one new
block over the same range states what the range holds now, and names the digests of the
blocks it replaces. Three changes do: records decrypted later join (``join``), the retention
job deletes (``purge``), and a batch stored over a range already chained (``pull``). The
blocks in force (not superseded) never overlap, so the rows of a corp, read in seq order,
meet them one after the other: every row must be claimed by the block whose range holds it,
every member must be there with its hash, every pending record still waiting (:class:`BlockCheck`).

A check finds: an altered message (its body no longer hashes to what was stored, or a block's
content differs), a removed one (a claimed seq without its row), an inserted one (a row no
block claims), and an altered chain (a digest that does not follow). It reports the first
bad seq.
"""

import contextlib
import hashlib
import json
import sys
from decimal import Decimal

GENESIS = ""  # the "previous digest" of a corp's first block

# Kinds of problem a check reports, with the seq they are at.
ALTERED = "altered"
REMOVED = "removed"
INSERTED = "inserted"
CHAIN = "chain"

_MAX_DIGITS = 4300  # Python's default limit of int(str); integer values past it are doubles


def _number(text):
    value = Decimal(text)
    if not value:
        return 0
    if value == value.to_integral_value() and value.adjusted() < _MAX_DIGITS:
        return int(value)
    return float(value)


def _integer(text):
    return int(text) if len(text) <= _MAX_DIGITS else _number(text)


def canonical_dumps(value):
    """The canonical JSON bytes of a parsed value (see the module's docstring)."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode(
        "utf-8", "surrogatepass"
    )


def canonical_json(text):
    """The canonical JSON bytes of a JSON text (str or UTF-8 bytes)."""
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    if sys.get_int_max_str_digits() == _MAX_DIGITS:
        # Python's own integers then: the same values, faster; a longer one raises
        with contextlib.suppress(ValueError):
            return canonical_dumps(json.loads(text, parse_float=_number, strict=False))
    return canonical_dumps(json.loads(text, parse_float=_number, parse_int=_integer, strict=False))


def body_hash(text):
    """The message hash: SHA-256 (hex) of the canonical JSON of a message's JSON text."""
    return hashlib.sha256(canonical_json(text)).hexdigest()


def parsed_hash(value):
    """body_hash of a JSON text already parsed as canonical_json parses it — floats by
    ``parse_float=exact_number`` (lib.normalize.parse does): the pipeline hashes what it
    parsed once, not the text again."""
    return hashlib.sha256(canonical_dumps(value)).hexdigest()


exact_number = _number  # parse_float for parsed_hash: numbers by value, as jsonb keeps them


def entry_line(seq, msgid, digest):
    """A member's line in its block's content: the canonical JSON of [seq, msgid, hash]."""
    text = f"[{int(seq)},{json.dumps(msgid, ensure_ascii=False)},{json.dumps(digest)}]\n"
    return text.encode("utf-8", "surrogatepass")


class Content:
    """The content hash of a block's members, fed in seq order."""

    def __init__(self):
        self._sha = hashlib.sha256()
        self.count = 0

    def add(self, seq, msgid, digest):
        self._sha.update(entry_line(seq, msgid, digest))
        self.count += 1

    def hexdigest(self):
        return self._sha.hexdigest()


def content_of(entries):
    """(count, content hash) of (seq, msgid, body hash) entries in seq order."""
    content = Content()
    for entry in entries:
        content.add(*entry)
    return content.count, content.hexdigest()


def runs_of(seqs):
    """[[first, last], ...] of the runs of consecutive seqs in ascending ``seqs``."""
    runs = []
    for seq in seqs:
        if runs and seq == runs[-1][1] + 1:
            runs[-1][1] = seq
        else:
            runs.append([seq, seq])
    return runs


def expand(runs):
    """The seqs of runs, ascending."""
    for first, last in runs:
        yield from range(first, last + 1)


def block_digest(
    prev_digest, *, kind, first_seq, last_seq, runs, pending, count, content, replaces
):
    """A block's digest: SHA-256 of the previous block's digest and of this block's header
    (canonical JSON). ``replaces``: the digests of the blocks it supersedes."""
    header = {
        "kind": kind,
        "first_seq": first_seq,
        "last_seq": last_seq,
        "runs": runs,
        "pending": pending,
        "count": count,
        "content": content,
        "replaces": replaces,
    }
    return hashlib.sha256(prev_digest.encode() + b"\n" + canonical_dumps(header)).hexdigest()


class BlockCheck:
    """The rows of one block's range, fed in (seq, id) order, against what the block claims.

    ``joining``: pending seqs whose record was decrypted in this very transaction (allowed
    to be done). After :meth:`finish`, ``problems`` holds the (seq, kind) of each thing
    wrong and ``entries`` the members' (seq, msgid, hash) as stored."""

    def __init__(self, first_seq, runs, pending, *, joining=frozenset()):
        self.first_seq = first_seq
        self._expected = expand(runs)
        self._next = next(self._expected, None)
        self._pending = set(pending)
        self._joining = joining
        self.content = Content()
        self.entries = []
        self.problems = []

    def row(self, seq, msgid, done, stored, recomputed=None):
        """One row of the range; ``recomputed``: its body's hash recomputed now ("" when it
        has no body; None: the stored hash is taken as it is)."""
        while self._next is not None and self._next < seq:
            self.problems.append((self._next, REMOVED))
            self._next = next(self._expected, None)
        if self._next == seq:
            self._next = next(self._expected, None)
            digest = stored if recomputed is None else recomputed
            if not done or not digest or digest != stored:
                self.problems.append((seq, ALTERED))
            self.content.add(seq, msgid, digest)
            self.entries.append((seq, msgid, stored))
        elif seq in self._pending:
            self._pending.discard(seq)
            if done and seq not in self._joining:
                self.problems.append((seq, ALTERED))
        else:
            self.problems.append((seq, INSERTED))

    def finish(self, count, content):
        """Close the range: claimed rows never met, and the content against the block's."""
        while self._next is not None:
            self.problems.append((self._next, REMOVED))
            self._next = next(self._expected, None)
        self.problems += [(seq, REMOVED) for seq in self._pending]
        if not self.problems and (self.content.count, self.content.hexdigest()) != (
            count,
            content,
        ):
            # every body hashes to its stored hash, yet the entries differ: forged together
            self.problems.append((self.first_seq, ALTERED))
        self.problems.sort()
        return self.problems
