"""http-01 (RFC 8555 §8.3) against pebble-challtestsrv and tiny loopback servers."""

from __future__ import annotations

import ipaddress
import time
from typing import Any

import pytest

from acmehub.domain.errors import ErrorKind
from acmehub.domain.model import ChallengeType, Identifier
from acmehub.validation import ValidationAuthority, VaSettings
from acmehub.validation.common import order_addresses
from tests.support.va import LOOPBACK_ALLOWED, Blocking, blocking

pytestmark = pytest.mark.timeout(30)

HTTP = ChallengeType.HTTP_01
WELL_KNOWN = "/.well-known/acme-challenge/"
#: 127.0.0.1 as an IPv4-mapped IPv6 address: IPv6 code paths whose traffic stays on 127.0.0.1.
MAPPED = ipaddress.ip_address("::ffff:127.0.0.1")


def va(port: int, **overrides: Any) -> Blocking:
    settings: dict[str, Any] = {
        "http01_port": port,
        "timeout": 2.0,
        "allowed_networks": LOOPBACK_ALLOWED,
    }
    settings.update(overrides)
    return blocking(ValidationAuthority(VaSettings(**settings)))


# --------------------------------------------------------------------------- success


def test_valid_key_authorization(challtestsrv, task_for, name):
    task = task_for(HTTP, name)
    challtestsrv.add_http01(task.token, task.key_authorization)

    result = va(challtestsrv.http_port).validate(task)

    assert result.ok, result.problem
    assert result.challenge_id == task.challenge_id
    url = f"http://{name}:{challtestsrv.http_port}{WELL_KNOWN}{task.token}"
    assert f"GET {url} at 127.0.0.1:{challtestsrv.http_port}" in result.attempts
    assert any(a.startswith("resolver: 127.0.0.1 port") for a in result.attempts)


def test_trailing_whitespace_is_ignored(challtestsrv, task_for, name):
    # RFC 8555 §8.3: the server SHOULD ignore whitespace characters at the end of the body.
    task = task_for(HTTP, name)
    challtestsrv.add_http01(task.token, task.key_authorization + " \r\n\t\n")

    assert va(challtestsrv.http_port).validate(task).ok


def test_request_carries_the_name_in_host(tiny_http, task_for, name):
    task = task_for(HTTP, name)
    tiny_http.add(WELL_KNOWN + task.token, 200, task.key_authorization.encode())

    result = va(tiny_http.port).validate(task)

    assert result.ok, result.problem
    assert tiny_http.hosts == [f"{name}:{tiny_http.port}"]


def test_resolved_through_our_resolver(challtestsrv, task_for, tiny_http):
    # The name only exists in challtestsrv's DNS (pointing at 127.0.0.1), not in the OS's.
    name = "only-in-our-dns.invalid"
    challtestsrv.add_a(name, ["127.0.0.1"])
    task = task_for(HTTP, name)
    tiny_http.add(WELL_KNOWN + task.token, 200, task.key_authorization.encode())

    assert va(tiny_http.port).validate(task).ok


def test_redirect_to_another_name_is_followed(challtestsrv, task_for, name):
    task = task_for(HTTP, name)
    other_token = "redirected-" + task.token[:20]
    target = f"http://elsewhere.{name}:{challtestsrv.http_port}{WELL_KNOWN}{other_token}"
    challtestsrv.add_redirect(WELL_KNOWN + task.token, target)
    challtestsrv.add_http01(other_token, task.key_authorization)

    result = va(challtestsrv.http_port).validate(task)

    assert result.ok, result.problem
    gets = [a for a in result.attempts if a.startswith("GET ")]
    assert len(gets) == 2
    assert gets[1].startswith(f"GET {target} at 127.0.0.1:")


def test_relative_redirect_is_followed(tiny_http, task_for, name):
    task = task_for(HTTP, name)
    tiny_http.add(WELL_KNOWN + task.token, 301, b"", {"Location": WELL_KNOWN + "moved"})
    tiny_http.add(WELL_KNOWN + "moved", 200, task.key_authorization.encode())

    result = va(tiny_http.port).validate(task)

    assert result.ok, result.problem
    assert tiny_http.hosts == [f"{name}:{tiny_http.port}"] * 2


def test_redirect_to_https_is_followed_without_verifying(challtestsrv, task_for, name):
    # challtestsrv's https01 server has a self-signed certificate; the target port is the
    # configured tlsalpn01_port, which redirects may use.
    task = task_for(HTTP, name)
    other_token = "tls-" + task.token[:20]
    target = f"https://{name}:{challtestsrv.https_port}{WELL_KNOWN}{other_token}"
    challtestsrv.add_redirect(WELL_KNOWN + task.token, target)
    challtestsrv.add_http01(other_token, task.key_authorization)

    result = va(challtestsrv.http_port, tlsalpn01_port=challtestsrv.https_port).validate(task)

    assert result.ok, result.problem
    assert any(a.startswith(f"GET {target}") for a in result.attempts)


# --------------------------------------------------------------------------- wrong answers


def test_wrong_content(challtestsrv, task_for, name, expect_problem):
    task = task_for(HTTP, name)
    challtestsrv.add_http01(task.token, "not-the-key-authorization")

    result = va(challtestsrv.http_port).validate(task)

    detail = expect_problem(
        result, ErrorKind.INCORRECT_RESPONSE, "does not match", "'not-the-key-authorization'"
    )
    assert task.key_authorization in detail
    assert result.problem is not None
    assert result.problem.identifier == ("dns", name)


def test_empty_body(challtestsrv, task_for, name, expect_problem):
    # challtestsrv answers 200 with an empty body for tokens it does not know.
    task = task_for(HTTP, name)

    result = va(challtestsrv.http_port).validate(task)

    expect_problem(result, ErrorKind.INCORRECT_RESPONSE, "got ''")


def test_not_found(tiny_http, task_for, name, expect_problem):
    task = task_for(HTTP, name)

    result = va(tiny_http.port).validate(task)

    expect_problem(result, ErrorKind.UNAUTHORIZED, "HTTP 404", "not found here")


def test_server_error(tiny_http, task_for, name, expect_problem):
    task = task_for(HTTP, name)
    tiny_http.add(WELL_KNOWN + task.token, 503, b"")

    expect_problem(va(tiny_http.port).validate(task), ErrorKind.UNAUTHORIZED, "HTTP 503")


def test_body_over_the_cap(challtestsrv, task_for, name, expect_problem):
    task = task_for(HTTP, name)
    challtestsrv.add_http01(task.token, task.key_authorization + "x" * 100_000)

    result = va(challtestsrv.http_port, max_http_body_bytes=1024).validate(task)

    expect_problem(result, ErrorKind.INCORRECT_RESPONSE, "larger than 1024 bytes", "(truncated)")


def test_body_at_the_cap_is_read(tiny_http, task_for, name):
    task = task_for(HTTP, name)
    body = task.key_authorization.encode() + b" " * (256 - len(task.key_authorization))
    tiny_http.add(WELL_KNOWN + task.token, 200, body)

    assert va(tiny_http.port, max_http_body_bytes=256).validate(task).ok


# --------------------------------------------------------------------------- network failures


def test_connection_refused(task_for, name, refused_port, expect_problem):
    task = task_for(HTTP, name)

    result = va(refused_port).validate(task)

    expect_problem(
        result,
        ErrorKind.CONNECTION,
        "could not connect",
        f"127.0.0.1:{refused_port}: connection refused",
    )


def test_timeout(task_for, name, blackhole_port, expect_problem):
    task = task_for(HTTP, name)

    started = time.monotonic()
    result = va(blackhole_port, timeout=0.5).validate(task)
    elapsed = time.monotonic() - started

    expect_problem(result, ErrorKind.CONNECTION, "timeout after connect")
    assert elapsed < 5


# --------------------------------------------------------------------------- redirects


def test_redirect_loop(challtestsrv, task_for, name, expect_problem):
    task = task_for(HTTP, name)
    url = f"http://{name}:{challtestsrv.http_port}{WELL_KNOWN}{task.token}"
    challtestsrv.add_redirect(WELL_KNOWN + task.token, url)

    result = va(challtestsrv.http_port).validate(task)

    expect_problem(result, ErrorKind.CONNECTION, "too many redirects", "more than 10")
    assert len([a for a in result.attempts if a.startswith("GET ")]) == 11


def test_redirect_limit_is_configurable(challtestsrv, task_for, name, expect_problem):
    task = task_for(HTTP, name)
    url = f"http://{name}:{challtestsrv.http_port}{WELL_KNOWN}{task.token}"
    challtestsrv.add_redirect(WELL_KNOWN + task.token, url)

    result = va(challtestsrv.http_port, max_redirects=2).validate(task)

    expect_problem(result, ErrorKind.CONNECTION, "more than 2")
    assert len([a for a in result.attempts if a.startswith("GET ")]) == 3


def test_redirect_to_forbidden_port(challtestsrv, task_for, name, expect_problem):
    task = task_for(HTTP, name)
    challtestsrv.add_redirect(WELL_KNOWN + task.token, f"http://{name}:8443{WELL_KNOWN}x")

    result = va(challtestsrv.http_port).validate(task)

    expect_problem(result, ErrorKind.CONNECTION, "port 8443 is not allowed", "80, 443")
    assert len([a for a in result.attempts if a.startswith("GET ")]) == 1


def test_redirect_to_ftp(challtestsrv, task_for, name, expect_problem):
    task = task_for(HTTP, name)
    challtestsrv.add_redirect(WELL_KNOWN + task.token, f"ftp://{name}/file")

    result = va(challtestsrv.http_port).validate(task)

    expect_problem(result, ErrorKind.CONNECTION, "'ftp://", "only http and https")


def test_redirect_to_invalid_host(tiny_http, task_for, name, expect_problem):
    task = task_for(HTTP, name)
    location = f"http://bad%20host:{tiny_http.port}/"
    tiny_http.add(WELL_KNOWN + task.token, 302, b"", {"Location": location})

    result = va(tiny_http.port).validate(task)

    expect_problem(result, ErrorKind.CONNECTION, "invalid host name")


def test_redirect_without_location(tiny_http, task_for, name, expect_problem):
    task = task_for(HTTP, name)
    tiny_http.add(WELL_KNOWN + task.token, 302, b"")

    expect_problem(va(tiny_http.port).validate(task), ErrorKind.UNAUTHORIZED, "HTTP 302")


def test_redirect_target_that_does_not_resolve(challtestsrv, task_for, name, expect_problem):
    # Each redirect target is resolved through our resolver again.
    task = task_for(HTTP, name)
    challtestsrv.add_redirect(
        WELL_KNOWN + task.token, f"http://gone.{name}:{challtestsrv.http_port}/x"
    )
    challtestsrv.set_servfail(f"gone.{name}")

    result = va(challtestsrv.http_port).validate(task)

    expect_problem(result, ErrorKind.DNS, "SERVFAIL looking up A for gone.")


# --------------------------------------------------------------------------- DNS failures


def test_nxdomain(task_for, name, nxdomain_dns, expect_problem):
    task = task_for(HTTP, name, dns_port=nxdomain_dns.port)

    result = va(80).validate(task)

    expect_problem(result, ErrorKind.DNS, f"NXDOMAIN looking up A for {name}")


def test_no_address_records(task_for, name, empty_dns, expect_problem):
    task = task_for(HTTP, name, dns_port=empty_dns.port)

    result = va(80).validate(task)

    expect_problem(result, ErrorKind.DNS, f"no A or AAAA records found for {name}")


def test_servfail(challtestsrv, task_for, name, expect_problem):
    challtestsrv.set_servfail(name)
    task = task_for(HTTP, name)

    result = va(challtestsrv.http_port).validate(task)

    expect_problem(result, ErrorKind.DNS, f"SERVFAIL looking up A for {name}")


def test_dns_timeout(task_for, name, silent_dns, expect_problem):
    task = task_for(HTTP, name, dns_port=silent_dns)

    started = time.monotonic()
    result = va(80, timeout=0.5).validate(task)

    expect_problem(result, ErrorKind.DNS, f"query timed out looking up A for {name}")
    assert time.monotonic() - started < 5


# --------------------------------------------------------------------------- refusals


def test_wildcard_is_refused(task_for, expect_problem):
    task = task_for(HTTP, "*.example.test")

    result = va(80).validate(task)

    expect_problem(result, ErrorKind.UNAUTHORIZED, "wildcard")
    assert result.attempts == ("resolver: 127.0.0.1 port " + str(task.dns_resolver_port),)


def test_token_outside_base64url_is_refused(task_for, name, expect_problem):
    task = task_for(HTTP, name, token="../../etc/passwd")

    expect_problem(va(80).validate(task), ErrorKind.MALFORMED, "base64url")


def test_address_order_prefers_ipv6_then_falls_back_once():
    addresses = [ipaddress.ip_address(a) for a in ("192.0.2.1", "2001:db8::1", "192.0.2.2")]

    assert [str(a) for a in order_addresses(addresses, prefer_ipv6=True)] == [
        "2001:db8::1",
        "192.0.2.1",
    ]
    assert [str(a) for a in order_addresses(addresses, prefer_ipv6=False)] == [
        "192.0.2.1",
        "2001:db8::1",
    ]
    assert order_addresses(addresses[:1], prefer_ipv6=True) == addresses[:1]


def test_ipv6_first_then_ipv4_when_connecting_fails(fake_dns, name, refused_port, task_for):
    # An IPv4-mapped IPv6 address keeps the IPv6 attempt on 127.0.0.1.
    dns_server = fake_dns({(name, "A"): ["127.0.0.1"], (name, "AAAA"): ["::ffff:127.0.0.1"]})
    task = task_for(HTTP, name, dns_port=dns_server.port)

    result = va(refused_port).validate(task)

    assert result.problem is not None
    assert result.problem.kind is ErrorKind.CONNECTION
    gets = [a for a in result.attempts if a.startswith("GET ")]
    assert [g.rsplit(" at ", 1)[1] for g in gets] == [
        f"[{MAPPED}]:{refused_port}",
        f"127.0.0.1:{refused_port}",
    ]
    assert f"[{MAPPED}]:{refused_port}: connection refused" in result.problem.detail


def test_ipv6_answer_is_final(fake_dns, name, tiny_http, task_for):
    dns_server = fake_dns({(name, "A"): ["127.0.0.1"], (name, "AAAA"): ["::ffff:127.0.0.1"]})
    task = task_for(HTTP, name, dns_port=dns_server.port)
    tiny_http.add(WELL_KNOWN + task.token, 200, task.key_authorization.encode())

    result = va(tiny_http.port).validate(task)

    assert result.ok, result.problem
    assert [a for a in result.attempts if a.startswith("GET ")] == [
        f"GET http://{name}:{tiny_http.port}{WELL_KNOWN}{task.token} at [{MAPPED}]:{tiny_http.port}"
    ]


def test_identifier_must_be_dns_or_ip(task_for, name, expect_problem):
    task = task_for(HTTP, name)
    task = type(task)(**{**task.__dict__, "identifier": Identifier("email", "a@example.com")})

    result = va(80).validate(task)

    assert result.problem is not None
    assert result.problem.kind is ErrorKind.UNSUPPORTED_IDENTIFIER
    assert result.problem.identifier == ("email", "a@example.com")
