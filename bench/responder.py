"""One tiny asyncio HTTP/1.1 server answering http-01 (RFC 8555 §8.3) for every virtual client.

It serves ``GET /.well-known/acme-challenge/<token>`` from a shared token -> key authorization
map, whatever the Host header says, and keeps connections alive when the validator asks to.
"""

from __future__ import annotations

import asyncio
import contextlib

PREFIX = b"/.well-known/acme-challenge/"
MAX_HEAD = 16 * 1024


class Http01Responder:
    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self.port = port
        #: token -> key authorization, shared by all virtual clients.
        self.tokens: dict[str, str] = {}
        #: Requests answered 200 / 404 (a 404 means a validator asked for an unknown token).
        self.hits = 0
        self.misses = 0
        self._server: asyncio.Server | None = None
        self._conns: set[asyncio.StreamWriter] = set()

    async def start(self) -> Http01Responder:
        self._server = await asyncio.start_server(
            self._serve, self.host, self.port, reuse_address=True, limit=MAX_HEAD
        )
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self

    async def stop(self) -> None:
        if self._server is None:
            return
        self._server.close()
        for writer in list(self._conns):
            writer.close()
        await self._server.wait_closed()
        self._server = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._conns.add(writer)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                keep_alive = self._answer(head, writer)
                await writer.drain()
                if not keep_alive:
                    break
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            pass
        finally:
            self._conns.discard(writer)
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    def _answer(self, head: bytes, writer: asyncio.StreamWriter) -> bool:
        lines = head.split(b"\r\n")
        parts = lines[0].split(b" ")
        if len(parts) != 3:
            writer.write(
                b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            )
            return False
        method, target, version = parts
        keep_alive = version == b"HTTP/1.1"
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"connection":
                token = value.strip().lower()
                keep_alive = token != b"close" and (keep_alive or token == b"keep-alive")
        body = b""
        status = b"404 Not Found"
        if method in (b"GET", b"HEAD") and target.startswith(PREFIX):
            found = self.tokens.get(target[len(PREFIX) :].decode("ascii", "replace"))
            if found is not None:
                status, body = b"200 OK", found.encode("ascii")
        if status == b"200 OK":
            self.hits += 1
        else:
            self.misses += 1
        writer.write(
            b"HTTP/1.1 " + status + b"\r\nContent-Type: application/octet-stream\r\n"
            b"Content-Length: " + str(len(body)).encode() + b"\r\n"
            + (b"" if keep_alive else b"Connection: close\r\n")
            + b"\r\n"
            + (body if method == b"GET" else b"")
        )  # fmt: skip
        return keep_alive
