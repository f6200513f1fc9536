"""Run the fake WeCom server API in the foreground (the demo's directory).

python -m wecom_archive.native.fake_api --company company.json --port 8071 [--secret S ...]
"""

import argparse
import json
import signal
import threading

from .server import FakeWecomServer


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m wecom_archive.native.fake_api")
    parser.add_argument("--company", required=True, help="the generator's company.json")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8071)
    parser.add_argument(
        "--secret", action="append", help="an accepted secret (default: any secret)"
    )
    args = parser.parse_args(argv)
    with open(args.company, encoding="utf-8") as handle:
        company = json.load(handle)
    families = {"contact", "msgaudit", "externalcontact", "message", "auth"}
    secrets = {secret: families for secret in args.secret} if args.secret else None
    server = FakeWecomServer(company, secrets=secrets, host=args.host, port=args.port).start()
    print(f"fake WeCom API for {server.corpid} on {server.base_url}", flush=True)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    stop.wait()
    server.stop()


if __name__ == "__main__":
    main()
