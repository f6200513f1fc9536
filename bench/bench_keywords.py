"""Keyword matching: the Aho-Corasick matcher against the naive approach (each word searched
in each message), on the generated corpus's texts, measured in the same run.

The naive scan is timed on a sample of the messages and scaled to all of them (it is
linear in the number of messages); the matcher scans them all.
"""

import json
import os
import random
import sys
import tempfile
import time

from wecom_archive.lib.keywords import Matcher, Rule
from wecom_archive.lib.normalize import normalize, parse
from wecom_archive.native.corpus import phrases
from wecom_archive.native.corpus.generate import generate

MESSAGES = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
WORDS = int(sys.argv[2]) if len(sys.argv) > 2 else 10_000
SAMPLE = 2_000


def texts(count):
    with tempfile.TemporaryDirectory() as out:
        generate(out, messages=count, seed=11, media_scale=0.0001)
        with open(os.path.join(out, "messages.jsonl"), encoding="utf-8") as handle:
            return [normalize(parse(line)).text for line in handle]


def words(count):
    rng = random.Random(5)
    pool = "".join(phrases.SURNAMES) + "".join(phrases.GIVEN) + "私下转账返点回扣飞单发票微信客户"
    chosen = {w for line in phrases.RISKY_LINES for w in (line[:4], line[-4:])}
    while len(chosen) < count:
        chosen.add("".join(rng.choice(pool) for _ in range(rng.randint(2, 4))))
    return sorted(chosen)[:count]


def main():
    corpus = [t for t in texts(MESSAGES) if t]
    vocabulary = words(WORDS)
    rules = [Rule(i, words=tuple(vocabulary[i::100])) for i in range(100)]
    started = time.perf_counter()
    matcher = Matcher(rules)
    build = time.perf_counter() - started

    started = time.perf_counter()
    hits = sum(
        len(matcher.scan(text, sender_side="member", chat_kind="external")) for text in corpus
    )
    fast = time.perf_counter() - started

    sample = corpus[:SAMPLE]
    started = time.perf_counter()
    naive_hits = sum(1 for text in sample for rule in rules if any(w in text for w in rule.words))
    naive = (time.perf_counter() - started) * len(corpus) / len(sample)
    assert naive_hits == sum(
        len(matcher.scan(t, sender_side="member", chat_kind="external")) for t in sample
    ), "the matcher and the naive scan disagree"
    print(
        "BENCH "
        + json.dumps(
            {
                "messages_with_text": len(corpus),
                "words": len(vocabulary),
                "rules": len(rules),
                "automaton_build_s": round(build, 3),
                "matcher_s": round(fast, 3),
                "naive_s_extrapolated": round(naive, 1),
                "speedup": round(naive / fast, 1),
                "violations": hits,
            }
        )
    )


if __name__ == "__main__":
    main()
