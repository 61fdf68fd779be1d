"""An http-01 responder for tests: answers tokens from a dict and counts every fetch."""

from __future__ import annotations

import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

#: Upper bound for a held answer (see ``Http01Responder.hold``).
HOLD_SECONDS = 20.0
PREFIX = "/.well-known/acme-challenge/"


class Http01Responder:
    """Serves ``/.well-known/acme-challenge/{token}`` from a dict, on the VA's http-01 port.

    Every fetch is counted per token (``fetches``); a fetch of a token while another fetch of the
    same token is still being answered is recorded in ``overlaps`` (two validators at once).
    ``delay`` seconds are spent on every answer, so that such overlaps cannot slip through.
    """

    def __init__(self, port: int, *, delay: float = 0.0) -> None:
        self.answers: dict[str, str] = {}
        #: Tokens answered with a 302 redirect to this Location instead.
        self.redirects: dict[str, str] = {}
        #: Tokens whose answer waits until the event is set (to watch a challenge processing).
        self.hold: dict[str, threading.Event] = {}
        self.delay = delay
        self.fetches: Counter[str] = Counter()
        #: The Host header of the last fetch of each token.
        self.hosts: dict[str, str] = {}
        self.overlaps: list[str] = []
        self._active: Counter[str] = Counter()
        self._lock = threading.Lock()
        responder = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                token = self.path.rsplit("/", 1)[-1]
                responder.hosts[token] = self.headers.get("Host", "")
                responder._enter(token)
                try:
                    if token in responder.hold:
                        responder.hold[token].wait(HOLD_SECONDS)
                    if responder.delay:
                        time.sleep(responder.delay)
                    if token in responder.redirects:
                        self.send_response(302)
                        self.send_header("Location", responder.redirects[token])
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                    else:
                        self._answer(responder.answers.get(token))
                finally:
                    responder._leave(token)

            def _answer(self, body: str | None) -> None:
                if not self.path.startswith(PREFIX) or body is None:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                data = body.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                return None

        ThreadingHTTPServer.allow_reuse_address = True
        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def _enter(self, token: str) -> None:
        with self._lock:
            self.fetches[token] += 1
            self._active[token] += 1
            if self._active[token] > 1:
                self.overlaps.append(token)

    def _leave(self, token: str) -> None:
        with self._lock:
            self._active[token] -= 1

    def start(self) -> Http01Responder:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)
