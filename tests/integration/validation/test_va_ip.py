"""IP identifiers (RFC 8738) through the VA: http-01 connects to the address itself (§4),
tls-alpn-01 sends the reverse-mapping name as SNI and wants an iPAddress SAN (§6); the address
policy of issue 15 applies to the address as it does to a resolved one."""

from __future__ import annotations

import dataclasses
import ipaddress
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from cryptography import x509

from acmehub.domain.errors import ErrorKind
from acmehub.domain.model import (
    ChallengeType,
    Identifier,
    ValidationNetwork,
    ValidationResult,
    ValidationTask,
)
from acmehub.validation import ValidationAuthority, VaSettings, acme_identifier_value
from tests.support.va import LOOPBACK_ALLOWED, Blocking, blocking

pytestmark = pytest.mark.timeout(30)

HTTP = ChallengeType.HTTP_01
ALPN = ChallengeType.TLS_ALPN_01
WELL_KNOWN = "/.well-known/acme-challenge/"
LOOPBACK = "127.0.0.1"


def va(allowed: tuple[str, ...] = LOOPBACK_ALLOWED, **ports: int) -> Blocking:
    return blocking(ValidationAuthority(VaSettings(timeout=2.0, allowed_networks=allowed, **ports)))


def expect_problem(result: ValidationResult, kind: ErrorKind, *fragments: str) -> None:
    """The validation failed with ``kind`` for the IP identifier, the detail naming
    ``fragments``."""
    assert result.problem is not None, result.attempts
    assert result.problem.kind is kind, result.problem.detail
    assert result.problem.identifier is not None
    assert result.problem.identifier[0] == "ip"
    for fragment in fragments:
        assert fragment in result.problem.detail


def ip_task(task: ValidationTask, address: str) -> ValidationTask:
    """The task for the IP identifier ``address``: no DNS lookup happens for it."""
    return dataclasses.replace(task, identifier=Identifier("ip", address))


def test_http01_connects_to_the_address_with_it_as_host(tiny_http, task_for, name):
    task = ip_task(task_for(HTTP, name), LOOPBACK)
    tiny_http.add(WELL_KNOWN + task.token, 200, task.key_authorization.encode())

    result = va(http01_port=tiny_http.port).validate(task)

    assert result.ok, result.problem
    # RFC 8738 §4: the Host header carries the address (and the port, it not being 80).
    assert tiny_http.hosts == [f"{LOOPBACK}:{tiny_http.port}"]
    # No DNS lookup: the address is the identifier.
    assert [a for a in result.attempts if not a.startswith("resolver:")] == [
        f"GET http://{LOOPBACK}:{tiny_http.port}{WELL_KNOWN}{task.token}"
        f" at {LOOPBACK}:{tiny_http.port}"
    ]


@pytest.fixture
def ipv6_http() -> Iterator[tuple[int, list[str], dict[str, bytes]]]:
    """An HTTP server on ::1: (port, Host headers seen, answers by path)."""
    if not socket.has_ipv6:
        pytest.skip("no IPv6")
    hosts: list[str] = []
    answers: dict[str, bytes] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hosts.append(self.headers.get("Host", ""))
            body = answers.get(self.path, b"")
            self.send_response(200 if body else 404)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    class Server(ThreadingHTTPServer):
        address_family = socket.AF_INET6
        daemon_threads = True

    try:
        server = Server(("::1", 0), Handler)
    except OSError:
        pytest.skip("cannot listen on ::1")
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    yield int(server.server_address[1]), hosts, answers
    server.shutdown()
    thread.join(timeout=5)
    server.server_close()


def test_http01_for_an_ipv6_address_brackets_it(ipv6_http, task_for, name):
    port, hosts, answers = ipv6_http
    task = ip_task(task_for(HTTP, name), "::1")
    answers[WELL_KNOWN + task.token] = task.key_authorization.encode()

    result = va(("::1/128",), http01_port=port).validate(task)

    assert result.ok, result.problem
    assert hosts == [f"[::1]:{port}"]


def test_http01_refuses_an_address_the_policy_refuses(tiny_http, task_for, name):
    task = ip_task(task_for(HTTP, name), LOOPBACK)
    tiny_http.add(WELL_KNOWN + task.token, 200, task.key_authorization.encode())

    result = va((), http01_port=tiny_http.port).validate(task)

    # Not a DNS problem: nothing was resolved.
    expect_problem(result, ErrorKind.CONNECTION, "127.0.0.1 is a loopback address")
    assert tiny_http.hosts == []
    assert result.problem is not None
    assert result.problem.identifier == ("ip", LOOPBACK)


def test_tlsalpn01_sends_the_reverse_name_and_wants_an_ip_san(tiny_tls, task_for, name):
    task = ip_task(task_for(ALPN, name), LOOPBACK)
    ip_san = x509.IPAddress(ipaddress.ip_address(LOOPBACK))
    server = tiny_tls([], acme_identifier_value(task.key_authorization), other_names=(ip_san,))

    result = va(tlsalpn01_port=server.port).validate(task)

    assert result.ok, result.problem
    # RFC 8738 §6: SNI is the in-addr.arpa name of the address, without the trailing dot.
    assert server.server_names == ["1.0.0.127.in-addr.arpa"]


def test_tlsalpn01_refuses_a_dns_san_for_an_ip_identifier(tiny_tls, task_for, name):
    task = ip_task(task_for(ALPN, name), LOOPBACK)
    server = tiny_tls([LOOPBACK], acme_identifier_value(task.key_authorization))

    result = va(tlsalpn01_port=server.port).validate(task)

    expect_problem(
        result,
        ErrorKind.UNAUTHORIZED,
        "must name exactly IPAddress:127.0.0.1",
        f"DNSName:'{LOOPBACK}'",
    )


def test_the_address_screen_refuses_what_no_challenge_could_reach() -> None:
    authority = ValidationAuthority(VaSettings(allowed_networks=LOOPBACK_ALLOWED))
    assert authority.ip_identifier_refusal("127.0.0.2", ValidationNetwork.PUBLIC) is None
    why = authority.ip_identifier_refusal("169.254.169.254", ValidationNetwork.INTERNAL)
    assert why is not None
    assert "link-local" in why
    private = authority.ip_identifier_refusal("10.1.2.3", ValidationNetwork.PUBLIC)
    assert private is not None
    assert "(public)" in private
    assert authority.ip_identifier_refusal("10.1.2.3", ValidationNetwork.INTERNAL) is None
