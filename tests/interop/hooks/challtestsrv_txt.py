#!/usr/bin/env python3
"""certbot --manual-auth-hook / --manual-cleanup-hook for dns-01 through pebble-challtestsrv.

Usage: ``challtestsrv_txt.py set`` (auth hook) or ``challtestsrv_txt.py clear`` (cleanup hook).

certbot passes CERTBOT_DOMAIN and CERTBOT_VALIDATION in the environment; the test passes
CHALLTESTSRV_MANAGEMENT_URL (e.g. ``http://127.0.0.1:8055``), the management API of the DNS
server acmehub's VA resolves through.

challtestsrv's ``/set-txt`` *adds* a value to the name's TXT RRset, so an order for both
``*.example.test`` and ``example.test`` (two challenges, one ``_acme-challenge.example.test``)
is served both values. ``/clear-txt`` removes every value of the name; certbot runs the cleanup
hooks only after all of the order's challenges were answered and polled, so clearing on the
first cleanup call is safe and the second one is a no-op.

Standard library only: certbot runs the hook with its own environment, not the test's venv.
"""

from __future__ import annotations

import json
import os
import sys
import urllib.request


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[1] not in ("set", "clear"):
        print(f"usage: {argv[0]} set|clear", file=sys.stderr)
        return 2
    base = os.environ["CHALLTESTSRV_MANAGEMENT_URL"].rstrip("/")
    host = f"_acme-challenge.{os.environ['CERTBOT_DOMAIN']}."
    body: dict[str, str] = {"host": host}
    if argv[1] == "set":
        body["value"] = os.environ["CERTBOT_VALIDATION"]
    request = urllib.request.Request(
        f"{base}/{argv[1]}-txt",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    # No proxy: the management API is on loopback.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(request, timeout=10) as response:
        if response.status != 200:
            print(f"challtestsrv answered {response.status}", file=sys.stderr)
            return 1
    print(f"{argv[1]} TXT {host}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
