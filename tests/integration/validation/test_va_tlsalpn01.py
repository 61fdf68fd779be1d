"""tls-alpn-01 (RFC 8737) against pebble-challtestsrv and tiny loopback TLS servers."""

from __future__ import annotations

import hashlib
import time

import pytest

from acmehub.domain.errors import ErrorKind
from acmehub.domain.model import ChallengeType
from acmehub.validation import ValidationAuthority, VaSettings, acme_identifier_value
from tests.support.va import LOOPBACK_ALLOWED, Blocking, blocking

pytestmark = pytest.mark.timeout(30)

ALPN = ChallengeType.TLS_ALPN_01


def va(port: int, **overrides: float) -> Blocking:
    return blocking(
        ValidationAuthority(
            VaSettings(
                tlsalpn01_port=port,
                timeout=overrides.get("timeout", 2.0),
                allowed_networks=LOOPBACK_ALLOWED,
            )
        )
    )


def test_extension_value_is_a_der_octet_string():
    digest = hashlib.sha256(b"token.thumbprint").digest()
    assert acme_identifier_value("token.thumbprint") == bytes([0x04, 32]) + digest


def test_valid_with_challtestsrv(challtestsrv, task_for, name):
    task = task_for(ALPN, name)
    challtestsrv.add_tlsalpn01(name, task.key_authorization)

    result = va(challtestsrv.tlsalpn_port).validate(task)

    assert result.ok, result.problem
    assert (
        f"TLS 127.0.0.1:{challtestsrv.tlsalpn_port} SNI {name} ALPN acme-tls/1" in result.attempts
    )


def test_valid_with_own_server_and_sni(tiny_tls, task_for, name):
    task = task_for(ALPN, name)
    server = tiny_tls([name], acme_identifier_value(task.key_authorization))

    result = va(server.port).validate(task)

    assert result.ok, result.problem
    assert server.server_names == [name]


def test_san_compared_without_case(tiny_tls, task_for, name):
    task = task_for(ALPN, name)
    server = tiny_tls([name.upper()], acme_identifier_value(task.key_authorization))

    assert va(server.port).validate(task).ok


def test_wrong_key_authorization(challtestsrv, task_for, name, expect_problem):
    task = task_for(ALPN, name)
    challtestsrv.add_tlsalpn01(name, "some.other-key-authorization")

    result = va(challtestsrv.tlsalpn_port).validate(task)

    expect_problem(result, ErrorKind.INCORRECT_RESPONSE, "wrong acmeIdentifier", "expected SHA-256")


def test_unknown_name_fails_the_handshake(challtestsrv, task_for, name, expect_problem):
    # challtestsrv aborts the handshake for a name it has no response for.
    result = va(challtestsrv.tlsalpn_port).validate(task_for(ALPN, name))

    expect_problem(result, ErrorKind.TLS, "TLS handshake", "failed")


def test_other_alpn_protocol(tiny_tls, task_for, name, expect_problem):
    task = task_for(ALPN, name)
    server = tiny_tls(
        [name], acme_identifier_value(task.key_authorization), alpn=("http/1.1", "h2")
    )

    result = va(server.port).validate(task)

    expect_problem(result, ErrorKind.UNAUTHORIZED, "did not negotiate the acme-tls/1", "none")


def test_no_alpn_at_all(tiny_tls, task_for, name, expect_problem):
    task = task_for(ALPN, name)
    server = tiny_tls([name], acme_identifier_value(task.key_authorization), alpn=())

    expect_problem(va(server.port).validate(task), ErrorKind.UNAUTHORIZED, "did not negotiate")


def test_certificate_without_acme_extension(tiny_tls, task_for, name, expect_problem):
    server = tiny_tls([name], None)

    result = va(server.port).validate(task_for(ALPN, name))

    expect_problem(result, ErrorKind.UNAUTHORIZED, "has no acmeIdentifier extension")


def test_acme_extension_not_critical(tiny_tls, task_for, name, expect_problem):
    task = task_for(ALPN, name)
    server = tiny_tls([name], acme_identifier_value(task.key_authorization), critical=False)

    expect_problem(va(server.port).validate(task), ErrorKind.UNAUTHORIZED, "not critical")


def test_acme_extension_not_an_octet_string(tiny_tls, task_for, name, expect_problem):
    task = task_for(ALPN, name)
    raw = hashlib.sha256(task.key_authorization.encode()).digest()  # missing the DER header
    server = tiny_tls([name], raw)

    result = va(server.port).validate(task)

    expect_problem(result, ErrorKind.INCORRECT_RESPONSE, "not a DER OCTET STRING")


def test_two_names_in_san(tiny_tls, task_for, name, expect_problem):
    task = task_for(ALPN, name)
    server = tiny_tls([name, f"www.{name}"], acme_identifier_value(task.key_authorization))

    result = va(server.port).validate(task)

    expect_problem(result, ErrorKind.UNAUTHORIZED, "exactly", f"DNSName:'www.{name}'")


def test_other_name_in_san(tiny_tls, task_for, name, expect_problem):
    task = task_for(ALPN, name)
    server = tiny_tls(["someone-else.test"], acme_identifier_value(task.key_authorization))

    expect_problem(va(server.port).validate(task), ErrorKind.UNAUTHORIZED, "someone-else.test")


def test_no_san(tiny_tls, task_for, name, expect_problem):
    task = task_for(ALPN, name)
    server = tiny_tls([], acme_identifier_value(task.key_authorization))

    expect_problem(va(server.port).validate(task), ErrorKind.UNAUTHORIZED, "no subjectAltName")


def test_connection_refused(task_for, name, refused_port, expect_problem):
    result = va(refused_port).validate(task_for(ALPN, name))

    expect_problem(result, ErrorKind.CONNECTION, "connection refused", f":{refused_port}")


def test_handshake_timeout(task_for, name, blackhole_port, expect_problem):
    started = time.monotonic()
    result = va(blackhole_port, timeout=0.5).validate(task_for(ALPN, name))

    expect_problem(result, ErrorKind.CONNECTION, "Timeout during the TLS handshake")
    assert time.monotonic() - started < 5


def test_nxdomain(task_for, name, nxdomain_dns, expect_problem):
    result = va(443).validate(task_for(ALPN, name, dns_port=nxdomain_dns.port))

    expect_problem(result, ErrorKind.DNS, f"NXDOMAIN looking up A for {name}")


def test_wildcard_is_refused(task_for, expect_problem):
    result = va(443).validate(task_for(ALPN, "*.example.test"))

    expect_problem(result, ErrorKind.UNAUTHORIZED, "wildcard")
