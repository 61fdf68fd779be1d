"""bench.http1, the load generator's HTTP/1.1 client: bodies and reconnection, on loopback."""

from __future__ import annotations

import asyncio

from bench import http1, responder
from tests.support.isolated import run_isolated

CHUNKED = (
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nReplay-Nonce: n1\r\n\r\n"
    b"5\r\nhello\r\n6; ext=1\r\n world\r\n0\r\n\r\n"
)


async def _serve_once_then_close(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    """Answer one request with a chunked body, then close the idle connection."""
    await reader.readuntil(b"\r\n\r\n")
    writer.write(CHUNKED)
    await writer.drain()
    writer.close()
    await writer.wait_closed()


def test_chunked_body_and_reconnect_after_idle_close() -> None:
    async def scenario() -> tuple[bytes, str | None, bytes]:
        server = await asyncio.start_server(_serve_once_then_close, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        client = http1.Client(None, timeout=5)
        try:
            first = await client.get(f"http://127.0.0.1:{port}/a")
            await asyncio.sleep(0.05)  # the server has closed the kept-alive connection
            second = await client.post(f"http://127.0.0.1:{port}/b", content=b"{}", headers={})
        finally:
            await client.aclose()
            server.close()
            await server.wait_closed()
        return first.content, first.headers.get("replay-nonce"), second.content

    first, nonce, second = run_isolated(scenario())

    assert first == b"hello world"
    assert nonce == "n1"
    assert second == b"hello world"


def test_responder_serves_key_authorizations_over_keep_alive() -> None:
    async def scenario() -> list[tuple[int, bytes]]:
        http01 = await responder.Http01Responder("127.0.0.1", 0).start()
        http01.tokens["tok"] = "tok.thumb"
        client = http1.Client(None, timeout=5)
        try:
            base = f"http://127.0.0.1:{http01.port}/.well-known/acme-challenge/"
            answers = [await client.get(base + token) for token in ("tok", "missing", "tok")]
        finally:
            await client.aclose()
            await http01.stop()
        return [(r.status_code, r.content) for r in answers]

    assert run_isolated(scenario()) == [(200, b"tok.thumb"), (404, b""), (200, b"tok.thumb")]
