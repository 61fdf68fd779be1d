"""Where http-01 and tls-alpn-01 may connect (issue 15 §1), against real servers on loopback:
refused addresses are refused before anything connects, redirects are screened like the first
request, and what answered is quoted short and escaped.

The refused targets (169.254.169.254, 10.0.0.1, NAT64 and IPv4-mapped forms) need not exist:
the check happens before connecting, which the challenge error shows.
"""

from __future__ import annotations

import dataclasses
import ipaddress
from typing import Any

import pytest
from cryptography import x509

from acmehub.domain.errors import ErrorKind
from acmehub.domain.model import ChallengeType, ValidationNetwork
from acmehub.validation import ValidationAuthority, VaSettings, acme_identifier_value
from tests.support.va import LOOPBACK_ALLOWED, Blocking, blocking

pytestmark = pytest.mark.timeout(30)

HTTP = ChallengeType.HTTP_01
ALPN = ChallengeType.TLS_ALPN_01
WELL_KNOWN = "/.well-known/acme-challenge/"
REFUSED = "refused by the validation network policy"


def va(**settings: Any) -> Blocking:
    settings.setdefault("timeout", 2.0)
    return blocking(ValidationAuthority(VaSettings(**settings)))


def answering(tiny_http: Any, task: Any) -> None:
    tiny_http.add(WELL_KNOWN + task.token, 200, task.key_authorization.encode())


# --------------------------------------------------------------------------- the first request


def test_a_name_on_loopback_is_refused_unless_allowed(tiny_http, task_for, name, expect_problem):
    task = task_for(HTTP, name)  # challtestsrv answers 127.0.0.1
    answering(tiny_http, task)

    result = va(http01_port=tiny_http.port).validate(task)

    detail = expect_problem(result, ErrorKind.DNS, "127.0.0.1 is a loopback address", REFUSED)
    assert "(internal)" in detail
    assert tiny_http.hosts == []  # nothing connected
    assert va(http01_port=tiny_http.port, allowed_networks=LOOPBACK_ALLOWED).validate(task).ok


def test_tls_alpn_01_on_loopback_is_refused_unless_allowed(
    tiny_tls, task_for, name, expect_problem
):
    task = task_for(ALPN, name)
    server = tiny_tls([name], acme_identifier_value(task.key_authorization))

    result = va(tlsalpn01_port=server.port).validate(task)

    expect_problem(result, ErrorKind.DNS, "127.0.0.1 is a loopback address", REFUSED)
    assert server.server_names == []  # no handshake
    allowed = va(tlsalpn01_port=server.port, allowed_networks=LOOPBACK_ALLOWED)
    assert allowed.validate(task).ok


@pytest.mark.parametrize(
    ("aaaa", "why"),
    [
        ("::ffff:127.0.0.1", "an IPv4-mapped address of 127.0.0.1, which is a loopback address"),
        ("64:ff9b::7f00:1", "a NAT64 address of 127.0.0.1, which is a loopback address"),
        ("64:ff9b::a9fe:a9fe", "a NAT64 address of 169.254.169.254, which is a link-local"),
    ],
)
def test_ipv6_forms_of_refused_ipv4_addresses_are_refused(
    fake_dns, tiny_http, task_for, name, expect_problem, aaaa, why
):
    dns_server = fake_dns({(name, "AAAA"): [aaaa]})
    task = task_for(HTTP, name, dns_port=dns_server.port)

    result = va(http01_port=tiny_http.port).validate(task)

    expect_problem(result, ErrorKind.DNS, f"{aaaa} is {why}", REFUSED)


def test_refused_addresses_are_dropped_and_the_acceptable_one_used(
    fake_dns, tiny_http, task_for, name
):
    """As Boulder: the refused answers of a lookup are dropped, the others still tried."""
    dns_server = fake_dns({(name, "A"): ["127.0.0.1"], (name, "AAAA"): ["fe80::1"]})
    task = task_for(HTTP, name, dns_port=dns_server.port)
    answering(tiny_http, task)

    result = va(http01_port=tiny_http.port, allowed_networks=LOOPBACK_ALLOWED).validate(task)

    assert result.ok, result.problem
    assert any("fe80::1 is a link-local address" in a for a in result.attempts)


def test_acmehub_own_listener_is_never_a_target(tiny_http, task_for, name, expect_problem):
    task = task_for(HTTP, name)
    answering(tiny_http, task)
    settings = VaSettings(
        http01_port=tiny_http.port,
        timeout=2.0,
        allowed_networks=LOOPBACK_ALLOWED,
        own_listeners=(("0.0.0.0", tiny_http.port),),  # a wildcard bind: every local address
    )

    result = blocking(ValidationAuthority(settings)).validate(task)

    expect_problem(result, ErrorKind.DNS, "where acmehub itself listens")
    assert tiny_http.hosts == []


# --------------------------------------------------------------------------- redirects


@pytest.mark.parametrize(
    ("location", "why"),
    [
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is a link-local address"),
        ("http://[::ffff:169.254.169.254]/", "an IPv4-mapped address of 169.254.169.254"),
        ("http://[64:ff9b::a9fe:a9fe]/", "a NAT64 address of 169.254.169.254"),
        ("https://[::1]/", "::1 is a loopback address"),
        ("http://0.0.0.0/", "0.0.0.0 is the unspecified address"),
    ],
)
def test_a_redirect_to_a_refused_literal_address_is_not_followed(
    tiny_http, task_for, name, expect_problem, location, why
):
    task = task_for(HTTP, name)
    tiny_http.add(WELL_KNOWN + task.token, 302, b"", {"Location": location})

    result = va(http01_port=tiny_http.port, allowed_networks=LOOPBACK_ALLOWED).validate(task)

    expect_problem(result, ErrorKind.CONNECTION, why, REFUSED)


def test_a_redirect_to_a_name_of_a_refused_address_fails_with_dns(
    challtestsrv, tiny_http, task_for, name, expect_problem
):
    metadata = "metadata." + name
    challtestsrv.add_a(metadata, ["169.254.169.254"])
    task = task_for(HTTP, name)
    tiny_http.add(WELL_KNOWN + task.token, 301, b"", {"Location": f"http://{metadata}/"})

    result = va(http01_port=tiny_http.port, allowed_networks=LOOPBACK_ALLOWED).validate(task)

    expect_problem(result, ErrorKind.DNS, metadata, "169.254.169.254 is a link-local address")


def test_a_redirect_to_a_private_address_is_refused_under_public(
    tiny_http, task_for, name, expect_problem
):
    task = dataclasses.replace(task_for(HTTP, name), validation_network=ValidationNetwork.PUBLIC)
    tiny_http.add(WELL_KNOWN + task.token, 307, b"", {"Location": "http://10.0.0.1/"})

    result = va(http01_port=tiny_http.port, allowed_networks=LOOPBACK_ALLOWED).validate(task)

    expect_problem(
        result, ErrorKind.CONNECTION, "10.0.0.1 is a private address (10.0.0.0/8)", "(public)"
    )


def test_a_303_redirect_is_not_followed(tiny_http, task_for, name, expect_problem):
    task = task_for(HTTP, name)
    tiny_http.add(WELL_KNOWN + task.token, 303, b"", {"Location": "/elsewhere"})
    tiny_http.add("/elsewhere", 200, task.key_authorization.encode())

    result = va(http01_port=tiny_http.port, allowed_networks=LOOPBACK_ALLOWED).validate(task)

    expect_problem(result, ErrorKind.UNAUTHORIZED, "HTTP 303", "only 301, 302, 307 and 308")
    assert len(tiny_http.hosts) == 1  # /elsewhere was never asked for


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_the_four_redirects_are_followed(tiny_http, task_for, name, status):
    task = task_for(HTTP, name)
    tiny_http.add(WELL_KNOWN + task.token, status, b"", {"Location": "/moved"})
    tiny_http.add("/moved", 200, task.key_authorization.encode())

    result = va(http01_port=tiny_http.port, allowed_networks=LOOPBACK_ALLOWED).validate(task)

    assert result.ok, result.problem


# --------------------------------------------------------------------------- what is quoted


@pytest.mark.parametrize("status", [200, 500])
def test_the_body_quoted_is_short_and_escaped(tiny_http, task_for, name, expect_problem, status):
    task = task_for(HTTP, name)
    body = b"\x00\x1b[31mroot:x:0:0:root:/root:/bin/bash\n" + b"SECRET" * 50
    tiny_http.add(WELL_KNOWN + task.token, status, body)

    result = va(http01_port=tiny_http.port, allowed_networks=LOOPBACK_ALLOWED).validate(task)

    kind = ErrorKind.INCORRECT_RESPONSE if status == 200 else ErrorKind.UNAUTHORIZED
    detail = expect_problem(result, kind, "127.0.0.1", "(truncated)")
    if status != 200:
        assert f"HTTP {status}" in detail
    assert "\\x00\\x1b[31mroot:x:0:0:root:/root:/" in detail  # the first 32 bytes, escaped
    assert "bin/bash" not in detail
    assert "SECRET" not in detail
    assert "\x00" not in detail
    assert "\x1b" not in detail


# --------------------------------------------------------------------------- tls-alpn-01


def test_tls_alpn_01_refuses_an_acme_identifier_twice(tiny_tls, task_for, name, expect_problem):
    task = task_for(ALPN, name)
    server = tiny_tls([name], acme_identifier_value(task.key_authorization), acme_twice=True)

    result = va(tlsalpn01_port=server.port, allowed_networks=LOOPBACK_ALLOWED).validate(task)

    expect_problem(result, ErrorKind.UNAUTHORIZED, "acmeIdentifier extension more than once")


@pytest.mark.parametrize(
    "other",
    [
        x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
        x509.UniformResourceIdentifier("https://example.com/"),
        x509.RFC822Name("admin@example.com"),
    ],
)
def test_tls_alpn_01_refuses_other_names_beside_the_dns_name(
    tiny_tls, task_for, name, expect_problem, other
):
    task = task_for(ALPN, name)
    value = acme_identifier_value(task.key_authorization)
    server = tiny_tls([name], value, other_names=(other,))

    result = va(tlsalpn01_port=server.port, allowed_networks=LOOPBACK_ALLOWED).validate(task)

    expect_problem(result, ErrorKind.UNAUTHORIZED, "must name exactly DNSName")


def test_tls_alpn_01_refuses_a_name_with_a_trailing_dot(tiny_tls, task_for, name, expect_problem):
    task = task_for(ALPN, name)
    server = tiny_tls([name + "."], acme_identifier_value(task.key_authorization))

    result = va(tlsalpn01_port=server.port, allowed_networks=LOOPBACK_ALLOWED).validate(task)

    expect_problem(result, ErrorKind.UNAUTHORIZED, "must name exactly DNSName")
