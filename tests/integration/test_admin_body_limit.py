"""The management API and the web interface refuse a body over 1 MiB with 413, before reading
it whole, parsing it or authenticating the caller; over real HTTP on the session's acmehub.

The requests are written by hand on a TLS socket: a client that sends only the headers (and
then waits) shows that the answer comes before the body was read; a chunked one that stops
right after the cap shows that the server counts while it reads.
"""

from __future__ import annotations

import json
import socket
import ssl
from collections.abc import Sequence
from urllib.parse import urlsplit

import pytest

from acmehub.domain.admin_model import Role
from acmehub.services.admin import CLI_ACTOR
from tests.support.server import AcmehubServer

CAP = 1024 * 1024


def exchange(server: AcmehubServer, head: str, body_parts: Sequence[bytes] = ()) -> bytes:
    """Send ``head`` (request line and headers) and ``body_parts``; the whole answer."""
    host = urlsplit(server.local_base_url)
    raw = socket.create_connection((host.hostname, host.port), timeout=30)
    with server.ssl_context().wrap_socket(raw, server_hostname="localhost") as tls:
        tls.sendall(head.encode("latin-1"))
        for part in body_parts:
            tls.sendall(part)
        answer = b""
        while True:
            try:
                data = tls.recv(65536)
            except (ssl.SSLError, ConnectionResetError):
                break
            if not data:
                break
            answer += data
    return answer


def status_and_body(answer: bytes) -> tuple[int, dict[str, str], bytes]:
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(lines[0].split()[1]), headers, body


def declared(path: str, length: int, token: str = "", content_type: str = "") -> str:
    lines = [
        f"POST {path} HTTP/1.1",
        "Host: localhost",
        f"Content-Length: {length}",
        f"Content-Type: {content_type or 'application/json'}",
    ]
    if token:
        lines.append(f"Authorization: Bearer {token}")
    return "\r\n".join(lines) + "\r\n\r\n"


def chunked(path: str, token: str = "", content_type: str = "application/json") -> str:
    lines = [
        f"POST {path} HTTP/1.1",
        "Host: localhost",
        "Transfer-Encoding: chunked",
        f"Content-Type: {content_type}",
    ]
    if token:
        lines.append(f"Authorization: Bearer {token}")
    return "\r\n".join(lines) + "\r\n\r\n"


def chunks(total: int, size: int = 64 * 1024) -> list[bytes]:
    parts = []
    while total > 0:
        n = min(size, total)
        parts.append(f"{n:x}\r\n".encode() + b"x" * n + b"\r\n")
        total -= n
    return parts


@pytest.fixture(scope="module")
def admin_token(acmehub: AcmehubServer) -> str:
    _, secret = acmehub.container().services.tokens.create(CLI_ACTOR, "body-limit-test", Role.ADMIN)
    return secret


@pytest.mark.parametrize("with_token", [True, False])
def test_an_oversized_api_body_is_refused_before_it_is_sent(
    acmehub: AcmehubServer, admin_token: str, with_token: bool
) -> None:
    token = admin_token if with_token else ""
    # Only the headers go out: the answer cannot wait for the 2 MiB they announce.
    answer = exchange(acmehub, declared("/api/v1/authorities", 2 * CAP, token))
    status, headers, body = status_and_body(answer)
    assert status == 413  # not 401 without a token, not 422 for a body never parsed
    assert headers["content-type"] == "application/problem+json"
    problem = json.loads(body)
    assert problem["status"] == 413
    assert str(CAP) in problem["detail"]


@pytest.mark.parametrize("with_token", [True, False])
def test_an_oversized_chunked_api_body_is_refused_once_past_the_cap(
    acmehub: AcmehubServer, admin_token: str, with_token: bool
) -> None:
    token = admin_token if with_token else ""
    # One byte past the cap, and no end chunk: the server answers without waiting for more.
    answer = exchange(acmehub, chunked("/api/v1/authorities", token), chunks(CAP + 1))
    status, headers, body = status_and_body(answer)
    assert status == 413
    assert headers["content-type"] == "application/problem+json"
    assert json.loads(body)["status"] == 413


def test_a_body_within_the_cap_still_reaches_the_api(
    acmehub: AcmehubServer, admin_token: str
) -> None:
    body = b"{" + b" " * (CAP - 2) + b"}"  # exactly 1 MiB of valid JSON, wrong for this route
    answer = exchange(acmehub, declared("/api/v1/authorities", len(body), admin_token), [body])
    status, headers, _ = status_and_body(answer)
    assert status == 422  # parsed and refused for what it says, not for its size
    assert headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("how", ["declared", "chunked"])
def test_an_oversized_form_is_refused_before_the_sign_in_page_reads_it(
    acmehub: AcmehubServer, how: str
) -> None:
    form = "application/x-www-form-urlencoded"
    if how == "declared":
        answer = exchange(acmehub, declared("/ui/signin", 2 * CAP, content_type=form))
    else:
        answer = exchange(acmehub, chunked("/ui/signin", content_type=form), chunks(CAP + 1))
    status, headers, body = status_and_body(answer)
    assert status == 413  # not the 403 of a form without its CSRF token
    assert headers["content-type"].startswith("text/plain")
    assert b"Payload Too Large" in body
