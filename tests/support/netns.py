"""A host on a private address, made for one test: a network namespace joined to this one by a
veth pair, with an http-01 responder inside it (issue 15: the address policy tests need a host
that is neither loopback nor this machine).

The namespace, the veth pair and the responder are removed when the context ends. Creating
them needs root (CAP_NET_ADMIN) and ``ip``; :func:`unavailable` says why not when they cannot
be made, for a test to skip with that reason.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support.procs import poll, port_open, stop_process

#: Serves DIR/<token> (200) or DIR/<token>.location (302 to its content); argv: DIR ADDR PORT.
_RESPONDER = """
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

root = Path(sys.argv[1])

class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        token = self.path.rsplit("/", 1)[-1]
        answer, moved = root / token, root / (token + ".location")
        if token and moved.is_file():
            self.send_response(302)
            self.send_header("Location", moved.read_text())
            body = b""
        elif token and answer.is_file():
            self.send_response(200)
            body = answer.read_bytes()
        else:
            self.send_response(404)
            body = b""
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass

HTTPServer((sys.argv[2], int(sys.argv[3])), Handler).serve_forever()
"""


@dataclass
class PrivateHost:
    """The host inside the namespace: its address, and the responder's answers."""

    address: str
    directory: Path

    def answer(self, token: str, body: str) -> None:
        (self.directory / token).write_text(body)

    def redirect(self, token: str, location: str) -> None:
        (self.directory / (token + ".location")).write_text(location)


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=10)


def unavailable() -> str | None:
    """Why a namespace cannot be made here (None: it can)."""
    if shutil.which("ip") is None:
        return "the ip command (iproute2) is not installed"
    if os.geteuid() != 0:
        return "creating network namespaces needs root"
    probe = f"acmehub-probe-{secrets.token_hex(3)}"
    try:
        _ip("netns", "add", probe)
    except subprocess.CalledProcessError as exc:
        return f"ip netns add failed: {exc.stderr.decode(errors='replace').strip()}"
    _ip("netns", "del", probe)
    return None


@contextmanager
def private_host(directory: Path, port: int) -> Iterator[PrivateHost]:
    """A namespace at 10.77.N.2 (this side 10.77.N.1) whose responder listens on ``port``."""
    suffix = secrets.token_hex(3)
    namespace, outside, inside = f"acmehub-{suffix}", f"ah{suffix}o", f"ah{suffix}i"
    subnet = 1 + secrets.randbelow(250)
    here, there = f"10.77.{subnet}.1", f"10.77.{subnet}.2"
    directory.mkdir(parents=True, exist_ok=True)
    proc: subprocess.Popen[bytes] | None = None
    _ip("netns", "add", namespace)
    try:
        _ip("link", "add", outside, "type", "veth", "peer", "name", inside)
        _ip("link", "set", inside, "netns", namespace)
        _ip("addr", "add", f"{here}/30", "dev", outside)
        _ip("link", "set", outside, "up")
        _ip("-n", namespace, "addr", "add", f"{there}/30", "dev", inside)
        _ip("-n", namespace, "link", "set", inside, "up")
        _ip("-n", namespace, "link", "set", "lo", "up")
        command = ["ip", "netns", "exec", namespace, sys.executable, "-c", _RESPONDER]
        proc = subprocess.Popen(
            [*command, str(directory), there, str(port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        poll(lambda: port_open(port, there), 15.0, f"the responder at {there}:{port}")
        yield PrivateHost(there, directory)
    finally:
        if proc is not None:
            stop_process(proc)
        subprocess.run(["ip", "link", "del", outside], capture_output=True, timeout=10)
        subprocess.run(["ip", "netns", "del", namespace], capture_output=True, timeout=10)
