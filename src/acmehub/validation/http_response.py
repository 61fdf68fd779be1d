"""Reading one HTTP/1.x answer for http-01: the parser callbacks and the small text helpers
(:mod:`acmehub.validation.http01` drives the connection)."""

from __future__ import annotations

import ssl

import httptools


def describe(exc: BaseException) -> str:
    """A short reason for a transport error, from the underlying OS/SSL error when there is one."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ConnectionRefusedError):
            return "connection refused"
        if isinstance(seen, ConnectionResetError):
            return "connection reset by peer"
        if isinstance(seen, TimeoutError):
            return "timed out"
        if isinstance(seen, ssl.SSLError):
            return f"TLS error: {seen.reason or seen}"
        seen = seen.__cause__ or seen.__context__
    text = str(exc)
    return text if text else type(exc).__name__


def header_text(raw: bytes) -> str:
    """A header value as text: ASCII, else UTF-8, else Latin-1 (what httpx does)."""
    for encoding in ("ascii", "utf-8"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1")


class ConnectFailedError(Exception):
    """No connection (TCP connect or TLS handshake): the other address may work."""


class ProtocolError(Exception):
    """The peer's answer is not a complete HTTP/1.x response."""


class ResponseReader:
    """One HTTP/1.x response, parsed with httptools (uvicorn's C parser) as bytes arrive.

    Stops once the head is read for a redirect, and once the body passes ``limit`` bytes.
    """

    def __init__(self) -> None:
        self.status = 0
        self.location: bytes | None = None
        self.body = bytearray()
        self.head_done = False
        self.done = False
        self.framed = False  # Content-Length or chunked: EOF before the end is an error
        self._parser = httptools.HttpResponseParser(self)

    # httptools callbacks
    def on_header(self, name: bytes, value: bytes) -> None:
        lowered = name.lower()
        if lowered == b"location" and self.location is None:
            self.location = value
        elif lowered in (b"content-length", b"transfer-encoding"):
            self.framed = True

    def on_headers_complete(self) -> None:
        self.head_done = True
        self.status = self._parser.get_status_code()

    def on_body(self, data: bytes) -> None:
        self.body += data

    def on_message_complete(self) -> None:
        self.done = True

    def feed(self, data: bytes) -> None:
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as exc:
            raise ProtocolError(f"not a valid HTTP response ({exc})") from exc
