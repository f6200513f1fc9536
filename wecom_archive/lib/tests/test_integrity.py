import hashlib
import json
import random

import pytest

from wecom_archive.lib import integrity as lib
from wecom_archive.lib.normalize import parse
from wecom_archive.lib.tests.samples import SAMPLES


def test_key_order_spacing_and_escapes_do_not_change_the_hash():
    text = '{"b": 1, "a": {"y": "你好", "x": [1, 2]}, "c": "tab\\there"}'
    same = '{"a":{"x":[1,2],"y":"\\u4f60\\u597d"},"c":"tab\\there","b":1}'
    assert lib.body_hash(text) == lib.body_hash(same)
    canonical = '{"a":{"x":[1,2],"y":"你好"},"b":1,"c":"tab\\there"}'
    assert lib.canonical_json(text) == canonical.encode()
    assert lib.body_hash(text) == lib.body_hash(text.encode())
    assert lib.body_hash(text) != lib.body_hash(text.replace("你好", "您好"))


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("1e5", "100000"),  # PostgreSQL writes numbers back by value
        ("2.0", "2.0"),
        ("2.0", "2"),
        ("1.50", "1.5"),
        ("-0.0", "0.0"),
        ("0e5000", "0"),
        ("121.470", "121.47"),
        ("1e400", "1" + "0" * 400),
        ("1e-400", "0." + "0" * 399 + "1"),
        ("12345678901234567890.0", "12345678901234567890"),
        ("0.1000000000000000055511151231257827021181583404541015625", "0.1"),
        ("1e5000", "1" + "0" * 5000),
    ],
)
def test_numbers_hash_by_value(given, stored):
    assert lib.body_hash(f'{{"n": {given}}}') == lib.body_hash(f'{{"n": {stored}}}')


def test_different_values_differ():
    assert lib.body_hash('{"n": 1}') != lib.body_hash('{"n": 1.5}')
    assert lib.body_hash('{"n": 1}') != lib.body_hash('{"n": "1"}')
    assert lib.body_hash('{"n": 12345678901234567890}') != lib.body_hash(
        '{"n": 12345678901234567891}'
    )


def test_the_documented_form_is_plain_json():
    """A verifier without this module: json.dumps(sort_keys, no spaces, UTF-8) of the value."""
    for sample in SAMPLES:
        text = json.dumps(sample, ensure_ascii=False, indent=2)
        expected = json.dumps(sample, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        if "1.0" not in expected:  # integral floats are written as integers
            assert lib.body_hash(text) == hashlib.sha256(expected.encode()).hexdigest()


def test_raw_control_characters_and_duplicate_keys():
    assert lib.body_hash('{"a": "x\x01y"}') == lib.body_hash('{"a": "x\\u0001y"}')
    assert lib.body_hash('{"a": 1, "a": 2}') == lib.body_hash('{"a": 2}')  # as jsonb


def test_runs():
    assert lib.runs_of([]) == []
    assert lib.runs_of([3, 4, 5, 9, 11, 12]) == [[3, 5], [9, 9], [11, 12]]
    seqs = sorted(random.Random(3).sample(range(1000), 300))
    assert list(lib.expand(lib.runs_of(seqs))) == seqs


def _digest(prev, **changes):
    header = dict(
        kind="pull",
        first_seq=1,
        last_seq=3,
        runs=[[1, 3]],
        pending=[],
        count=3,
        content="c",
        replaces=[],
    )
    header.update(changes)
    return lib.block_digest(prev, **header)


def test_block_digest_covers_the_previous_one_and_every_header_field():
    first = _digest(lib.GENESIS)
    assert _digest(first) != _digest(_digest(lib.GENESIS, count=2))
    for field, value in (
        ("kind", "purge"),
        ("first_seq", 0),
        ("last_seq", 4),
        ("runs", [[1, 2]]),
        ("pending", [3]),
        ("count", 2),
        ("content", "d"),
        ("replaces", ["x"]),
    ):
        assert _digest(first, **{field: value}) != _digest(first), field


def _check(rows, runs, pending=(), count=None, content=None, **kwargs):
    entries = [(seq, f"m{seq}", f"h{seq}") for seq in lib.expand(runs)]
    expected_count, expected_content = lib.content_of(entries)
    check = lib.BlockCheck(runs[0][0] if runs else 0, runs, pending, **kwargs)
    for row in rows:
        check.row(*row)
    return check.finish(
        expected_count if count is None else count,
        expected_content if content is None else content,
    )


def _row(seq, done=True, digest=None, recomputed=None):
    return (seq, f"m{seq}", done, digest or f"h{seq}", recomputed)


def test_block_check_finds_each_kind_of_change():
    runs = [[1, 3], [5, 6]]
    good = [_row(1), _row(2), _row(3), _row(4, done=False), _row(5), _row(6)]
    assert _check(good, runs, pending=[4]) == []
    # a body that no longer hashes to what was stored
    altered = [*good[:1], _row(2, recomputed="other"), *good[2:]]
    assert _check(altered, runs, pending=[4]) == [(2, lib.ALTERED)]
    # body and stored hash changed together: only the content tells
    forged = [*good[:1], _row(2, digest="h2bis", recomputed="h2bis"), *good[2:]]
    assert _check(forged, runs, pending=[4]) == [(1, lib.ALTERED)]
    # removed: a member, a pending record
    assert _check([r for r in good if r[0] != 3], runs, pending=[4]) == [(3, lib.REMOVED)]
    assert _check([r for r in good if r[0] != 4], runs, pending=[4]) == [(4, lib.REMOVED)]
    assert _check(good[:-1], runs, pending=[4]) == [(6, lib.REMOVED)]
    # inserted: a seq nobody claims, a second row of a claimed seq
    assert _check([*good[:3], _row(4), *good[4:]], runs) == [(4, lib.INSERTED)]
    assert _check([*good[:2], _row(2), *good[2:]], runs, pending=[4]) == [(2, lib.INSERTED)]
    # a pending record now decrypted outside the pipeline, unless it joins now
    decrypted = [*good[:3], _row(4), *good[4:]]
    assert _check(decrypted, runs, pending=[4]) == [(4, lib.ALTERED)]
    assert _check(decrypted, runs, pending=[4], joining={4}) == []
    # a member without its body
    assert _check([*good[:1], _row(2, recomputed=""), *good[2:]], runs, pending=[4]) == [
        (2, lib.ALTERED)
    ]


def test_entry_lines_are_canonical_json():
    for entry in ((1, "m1", "ab"), (2**40, 'q"u\\o\u0001te 你好', ""), (3, "x", None)):
        assert lib.entry_line(*entry) == lib.canonical_dumps(list(entry)) + b"\n"


def test_parsed_hash_is_the_text_hash():
    """The pipeline hashes a message as lib.normalize.parse parsed it: the same hash as its
    text's, numbers by value included (2.0, 1e5, 1.50, -0.0, long decimals, big integers)."""
    texts = [
        '{"a": 2.0, "b": 1e5, "c": 1.50, "d": -0.0, "e": 0.1, "f": [1.0000000000000000001]}',
        '{"msgtime": 1794027864434, "n": 123456789012345678901234567890, "x": -3}',
        '{"text": {"content": "好的\\n\\"引号\\" 👍"}, "b": true, "c": null, "k": "v", "k": "w"}',
    ]
    for text in texts:
        assert lib.parsed_hash(parse(text)) == lib.body_hash(text)
