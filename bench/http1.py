"""A minimal HTTP/1.1 keep-alive client on asyncio streams: the generator's lean transport.

httpx costs about 1 ms of CPU per request on a small VM (its anyio/httpcore layers); this one
about a tenth of that, so that on a 2-core machine the generator takes less CPU away from the
server it measures. It does what the load generator needs and no more: one connection per
client, TLS verified against a CA bundle, Content-Length and chunked bodies, reconnection
when the server closed an idle connection before a request was sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import ssl
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

MAX_HEAD = 64 * 1024
#: What a broken connection or a response that is not HTTP/1.1 raises on the way.
_BROKEN = (
    OSError,
    ssl.SSLError,
    asyncio.IncompleteReadError,
    asyncio.LimitOverrunError,
    ValueError,
)


class TransportError(Exception):
    """The connection failed or the server broke HTTP/1.1."""


class Headers:
    """Response headers, looked up case-insensitively (the last value of a repeated name)."""

    def __init__(self, items: dict[str, str]) -> None:
        self._items = items

    def get(self, name: str, default: str | None = None) -> str | None:
        return self._items.get(name.lower(), default)

    def __getitem__(self, name: str) -> str:
        return self._items[name.lower()]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._items


class Response:
    def __init__(self, status_code: int, headers: Headers, content: bytes) -> None:
        self.status_code = status_code
        self.headers = headers
        self.content = content

    def json(self) -> Any:
        return json.loads(self.content)


class Connection:
    """One keep-alive connection to one origin, used by one virtual client at a time."""

    def __init__(self, origin: str, context: ssl.SSLContext | None, timeout: float) -> None:
        parts = urlsplit(origin)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or (443 if parts.scheme == "https" else 80)
        self.host_header = parts.netloc
        self.context = context if parts.scheme == "https" else None
        self.timeout = timeout
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def _connect(self) -> None:
        self._reader, self._writer = await asyncio.open_connection(
            self.host,
            self.port,
            ssl=self.context,
            server_hostname=self.host if self.context else None,
            limit=MAX_HEAD,
        )

    async def aclose(self) -> None:
        writer, self._writer, self._reader = self._writer, None, None
        if writer is not None:
            writer.close()
            with contextlib.suppress(OSError, ssl.SSLError):
                await writer.wait_closed()

    async def request(
        self, method: str, target: str, headers: Mapping[str, str], body: bytes = b""
    ) -> Response:
        head = [f"{method} {target} HTTP/1.1", f"Host: {self.host_header}"]
        head += [f"{k}: {v}" for k, v in headers.items()]
        if body or method == "POST":
            head.append(f"Content-Length: {len(body)}")
        data = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body
        fresh = self._writer is None
        try:
            return await self._bounded(data, method)
        except _UnansweredError:
            if fresh:
                raise
        # The server closed the idle connection before reading: send again on a new one.
        return await self._bounded(data, method)

    async def _bounded(self, data: bytes, method: str) -> Response:
        """One exchange within the timeout; any failure closes the connection."""
        try:
            return await asyncio.wait_for(self._exchange(data, method), self.timeout)
        except TimeoutError as exc:  # before OSError, of which it is a subclass
            await self.aclose()
            raise TransportError(f"no response within {self.timeout}s") from exc
        except (TransportError, *_BROKEN) as exc:
            await self.aclose()
            raise _as_transport(exc) from exc

    async def _exchange(self, data: bytes, method: str) -> Response:
        if self._writer is None:
            await self._connect()
        reader, writer = self._reader, self._writer
        assert reader is not None
        assert writer is not None
        try:
            writer.write(data)
            await writer.drain()
        except (ConnectionResetError, BrokenPipeError) as exc:
            raise _UnansweredError("connection closed before the request was sent") from exc
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError as exc:
            if not exc.partial:
                raise _UnansweredError("connection closed before any response") from exc
            raise
        lines = head.decode("latin-1").split("\r\n")
        status_line = lines[0].split(" ", 2)
        if len(status_line) < 2 or not status_line[0].startswith("HTTP/1."):
            raise TransportError(f"bad status line {lines[0]!r}")
        status = int(status_line[1])
        fields: dict[str, str] = {}
        for line in lines[1:]:
            if line:
                name, _, value = line.partition(":")
                fields[name.strip().lower()] = value.strip()
        if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
            content = b""
        elif fields.get("transfer-encoding", "").lower() == "chunked":
            content = await _read_chunked(reader)
        elif "content-length" in fields:
            content = await reader.readexactly(int(fields["content-length"]))
        else:
            content = await reader.read()  # delimited by the end of the connection
            fields["connection"] = "close"
        if fields.get("connection", "").lower() == "close" or status_line[0] == "HTTP/1.0":
            await self.aclose()
        return Response(status, Headers(fields), content)


class _UnansweredError(TransportError):
    """The server closed the connection without answering (an idle keep-alive timeout)."""


def _as_transport(exc: BaseException) -> TransportError:
    if isinstance(exc, TransportError):
        return exc
    return TransportError(f"{type(exc).__name__}: {exc}")


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    parts: list[bytes] = []
    while True:
        size_line = await reader.readuntil(b"\r\n")
        size = int(size_line.split(b";", 1)[0].strip(), 16)
        if size == 0:
            # Trailers, if any, end with an empty line.
            while (await reader.readuntil(b"\r\n")) != b"\r\n":
                pass
            return b"".join(parts)
        parts.append(await reader.readexactly(size))
        await reader.readexactly(2)


class Client:
    """The few calls the load generator makes, over one Connection per origin."""

    def __init__(self, context: ssl.SSLContext | None, timeout: float = 30.0) -> None:
        self.context = context
        self.timeout = timeout
        self._conns: dict[str, Connection] = {}

    def _split(self, url: str) -> tuple[Connection, str]:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        conn = self._conns.get(origin)
        if conn is None:
            conn = self._conns[origin] = Connection(origin, self.context, self.timeout)
        target = parts.path or "/"
        if parts.query:
            target += "?" + parts.query
        return conn, target

    async def get(self, url: str) -> Response:
        conn, target = self._split(url)
        return await conn.request("GET", target, {})

    async def head(self, url: str) -> Response:
        conn, target = self._split(url)
        return await conn.request("HEAD", target, {})

    async def post(self, url: str, *, content: bytes, headers: Mapping[str, str]) -> Response:
        conn, target = self._split(url)
        return await conn.request("POST", target, headers, content)

    async def aclose(self) -> None:
        for conn in self._conns.values():
            await conn.aclose()
        self._conns.clear()
