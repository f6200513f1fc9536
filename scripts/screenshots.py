"""Screenshots of the running demo as a user sees it: headless Chromium at 1440×900, logged in.

    python scripts/screenshots.py --login admin --password admin OUT_DIR NAME=PATH ...

Each NAME=PATH (e.g. permissions=/odoo/action-wecom_archive.wecom_permissions_action) is
opened after logging in through /web/login and saved as OUT_DIR/NAME.png. The page gets
--wait seconds to render. Needs Debian's chromium and websocket-client.
"""

import argparse
import base64
import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request

import requests
import websocket


def login(base, user, password):
    session = requests.Session()
    page = session.get(f"{base}/web/login", timeout=30).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    answer = session.post(
        f"{base}/web/login",
        data={"login": user, "password": password, "csrf_token": token},
        timeout=30,
    )
    answer.raise_for_status()
    if "session_id" not in session.cookies:
        raise SystemExit(f"could not log in as {user}")
    return session.cookies["session_id"]


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Chromium:
    def __init__(self, width, height):
        self.port = free_port()
        self.profile = tempfile.mkdtemp(prefix="wecom_shots_")
        self.process = subprocess.Popen(
            [
                shutil.which("chromium") or "chromium",
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                f"--remote-debugging-port={self.port}",
                f"--user-data-dir={self.profile}",
                f"--window-size={width},{height}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/json/list") as answer:
                    pages = [t for t in json.load(answer) if t["type"] == "page"]
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        self.ws = websocket.create_connection(pages[0]["webSocketDebuggerUrl"], timeout=60)
        self.next_id = 0
        self.errors = []  # the page's console errors and uncaught exceptions

    def call(self, method, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            self._note(message)
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    def _note(self, message):
        params = message.get("params", {})
        if message.get("method") == "Runtime.exceptionThrown":
            details = params["exceptionDetails"]
            self.errors.append(details.get("exception", {}).get("description") or details["text"])
        elif message.get("method") == "Runtime.consoleAPICalled" and params["type"] == "error":
            self.errors.append(
                " ".join(str(a.get("value", a.get("description"))) for a in params["args"])
            )

    def settle(self, seconds):
        """Let the page render for ``seconds``, noting its errors meanwhile."""
        deadline = time.monotonic() + seconds
        self.ws.settimeout(0.2)
        try:
            while time.monotonic() < deadline:
                try:
                    self._note(json.loads(self.ws.recv()))
                except websocket.WebSocketTimeoutException:
                    continue
        finally:
            self.ws.settimeout(60)

    def close(self):
        self.ws.close()
        self.process.terminate()
        self.process.wait()
        shutil.rmtree(self.profile, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("pages", nargs="+", metavar="NAME=PATH")
    parser.add_argument("--base", default="http://127.0.0.1:8069")
    parser.add_argument("--login", default="admin")
    parser.add_argument("--password", default="admin")
    parser.add_argument("--wait", type=float, default=4.0)
    parser.add_argument("--anonymous", action="store_true", help="do not log in (login page)")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    browser = Chromium(1440, 900)
    try:
        browser.call("Network.enable")
        browser.call("Runtime.enable")
        # the page itself at 1440×900, whatever the headless window's frame takes
        browser.call(
            "Emulation.setDeviceMetricsOverride",
            width=1440,
            height=900,
            deviceScaleFactor=1,
            mobile=False,
        )
        # as a user in China sees it: the browser's timezone is the one Odoo shows times in
        browser.call("Emulation.setTimezoneOverride", timezoneId="Asia/Shanghai")
        if not args.anonymous:
            browser.call(
                "Network.setCookie",
                name="session_id",
                value=login(args.base, args.login, args.password),
                url=args.base,
            )
        for spec in args.pages:
            name, path = spec.split("=", 1)
            browser.errors.clear()
            browser.call("Page.navigate", url=args.base + path)
            browser.settle(args.wait)
            for error in browser.errors:
                print(f"{name}: browser error: {error}")
            shot = browser.call("Page.captureScreenshot", format="png")
            target = os.path.join(args.out, f"{name}.png")
            with open(target, "wb") as handle:
                handle.write(base64.b64decode(shot["data"]))
            print(target)
    finally:
        browser.close()


if __name__ == "__main__":
    main()
