"""Command line of the corpus tools.

    python -m wecom_archive.native.corpus build --public-key PEM --key-version N \\
        [--public-key PEM2 --key-version M ...] MESSAGES.jsonl MEDIA_DIR OUTDIR
    python -m wecom_archive.native.corpus generate --out DIR [--messages N] [--seed S] ...
    python -m wecom_archive.native.corpus keygen --out DIR --key-version N [...]
    python -m wecom_archive.native.corpus prepare --out DIR [--messages N] ...
        (keygen + generate + build: everything a demo corp or a benchmark needs)
"""

import argparse
import json
import os
import sys

from . import build as build_mod
from . import generate as generate_mod
from . import keys as keys_mod

DEFAULT_CORPID = "wwdemo0000000001"
DEFAULT_SECRET = "demo-archive-secret"


def _add_generate_options(parser):
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--days", type=int, default=30, help="days of history to spread over")
    parser.add_argument("--media-scale", type=float, default=1.0, help="scale of media sizes")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m wecom_archive.native.corpus")
    commands = parser.add_subparsers(dest="command", required=True)

    build_p = commands.add_parser("build", help="encrypt plaintext messages into a corpus")
    build_p.add_argument("--public-key", action="append", required=True, metavar="PEM")
    build_p.add_argument("--key-version", action="append", type=int, required=True)
    build_p.add_argument("--corpid", default=DEFAULT_CORPID)
    build_p.add_argument("--secret", default=DEFAULT_SECRET)
    build_p.add_argument("--start-seq", type=int, default=1)
    build_p.add_argument("messages")
    build_p.add_argument("media_dir")
    build_p.add_argument("out_dir")

    gen_p = commands.add_parser("generate", help="write a synthetic company and its chats")
    gen_p.add_argument("--out", required=True)
    gen_p.add_argument("--key-version", action="append", type=int, default=None)
    _add_generate_options(gen_p)

    key_p = commands.add_parser("keygen", help="write RSA key pairs, one per version")
    key_p.add_argument("--out", required=True)
    key_p.add_argument("--key-version", action="append", type=int, required=True)

    prep_p = commands.add_parser("prepare", help="keygen + generate + build")
    prep_p.add_argument("--out", required=True)
    prep_p.add_argument("--key-version", action="append", type=int, default=None)
    prep_p.add_argument("--corpid", default=DEFAULT_CORPID)
    prep_p.add_argument("--secret", default=DEFAULT_SECRET)
    _add_generate_options(prep_p)

    args = parser.parse_args(argv)
    if args.command == "build":
        if len(args.public_key) != len(args.key_version):
            parser.error("give one --key-version per --public-key")
        public_keys = {}
        for version, path in zip(args.key_version, args.public_key, strict=True):
            with open(path, encoding="utf-8") as handle:
                public_keys[version] = handle.read()
        result = build_mod.build(
            public_keys,
            args.messages,
            args.media_dir,
            args.out_dir,
            corpid=args.corpid,
            secret=args.secret,
            start_seq=args.start_seq,
        )
    elif args.command == "generate":
        result = _generate(args, args.out)
    elif args.command == "keygen":
        paths = keys_mod.write_key_pairs(args.out, args.key_version)
        result = {str(version): pair for version, pair in paths.items()}
    else:
        result = prepare(
            args.out,
            messages=args.messages,
            seed=args.seed,
            days=args.days,
            media_scale=args.media_scale,
            key_versions=args.key_version or [1],
            corpid=args.corpid,
            secret=args.secret,
        )
    json.dump(result, sys.stdout, ensure_ascii=False, indent=1, default=str)
    sys.stdout.write("\n")


def _generate(args, out):
    return generate_mod.generate(
        out,
        messages=args.messages,
        seed=args.seed,
        days=args.days,
        media_scale=args.media_scale,
        key_versions=tuple(args.key_version or [1]),
    )


def prepare(out, *, messages, seed, days, media_scale, key_versions, corpid, secret):
    """A complete synthetic corp in ``out``: source/ (plaintext, media, company.json),
    keys/ (one RSA pair per version) and sdk/<corpid>/ (the fake SDK's corpus)."""
    source = os.path.join(out, "source")
    summary = generate_mod.generate(
        source,
        messages=messages,
        seed=seed,
        days=days,
        media_scale=media_scale,
        key_versions=tuple(key_versions),
        corpid=corpid,
    )
    key_paths = keys_mod.write_key_pairs(os.path.join(out, "keys"), key_versions)
    public_keys = {}
    for version in key_versions:
        with open(key_paths[version][1], encoding="utf-8") as handle:
            public_keys[version] = handle.read()
    built = build_mod.build(
        public_keys,
        os.path.join(source, "messages.jsonl"),
        os.path.join(source, "media"),
        os.path.join(out, "sdk", corpid),
        corpid=corpid,
        secret=secret,
    )
    return {"generated": summary, "built": built, "keys": key_paths, "corpid": corpid}


if __name__ == "__main__":
    main()
