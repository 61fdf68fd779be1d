"""dns-01 (RFC 8555 §8.4) against pebble-challtestsrv's DNS server and tiny loopback servers."""

from __future__ import annotations

import base64
import hashlib
import time

import pytest

from acmehub.domain.errors import ErrorKind
from acmehub.domain.model import ChallengeType
from acmehub.validation import ValidationAuthority, VaSettings, expected_txt
from tests.support.va import Blocking, blocking

pytestmark = pytest.mark.timeout(30)

DNS01 = ChallengeType.DNS_01


def va(**overrides: float) -> Blocking:
    return blocking(ValidationAuthority(VaSettings(timeout=overrides.get("timeout", 2.0))))


def test_expected_value_is_unpadded_base64url_sha256():
    key_auth = "token.thumbprint"
    digest = hashlib.sha256(key_auth.encode()).digest()
    assert expected_txt(key_auth) == base64.urlsafe_b64encode(digest).decode().rstrip("=")
    assert "=" not in expected_txt(key_auth)


def test_valid_record(challtestsrv, task_for, name):
    task = task_for(DNS01, name)
    challtestsrv.set_txt(f"_acme-challenge.{name}", expected_txt(task.key_authorization))

    result = va().validate(task)

    assert result.ok, result.problem
    assert f"TXT _acme-challenge.{name}" in result.attempts
    assert f"TXT _acme-challenge.{name}: 1 record(s)" in result.attempts


def test_one_matching_record_among_several(challtestsrv, task_for, name):
    task = task_for(DNS01, name)
    challtestsrv.set_txt(f"_acme-challenge.{name}", "left over from an earlier order")
    challtestsrv.set_txt(f"_acme-challenge.{name}", expected_txt(task.key_authorization))

    result = va().validate(task)

    assert result.ok, result.problem
    assert f"TXT _acme-challenge.{name}: 2 record(s)" in result.attempts


def test_wildcard_uses_the_base_name(challtestsrv, task_for, name):
    task = task_for(DNS01, f"*.{name}")
    challtestsrv.set_txt(f"_acme-challenge.{name}", expected_txt(task.key_authorization))

    result = va().validate(task)

    assert result.ok, result.problem


def test_mismatch(challtestsrv, task_for, name, expect_problem):
    task = task_for(DNS01, name)
    challtestsrv.set_txt(f"_acme-challenge.{name}", "wrong-value")

    result = va().validate(task)

    expect_problem(
        result,
        ErrorKind.INCORRECT_RESPONSE,
        f"Incorrect TXT record 'wrong-value' found at _acme-challenge.{name}",
    )
    assert result.problem is not None
    assert result.problem.identifier == ("dns", name)


def test_mismatch_among_several(challtestsrv, task_for, name, expect_problem):
    task = task_for(DNS01, name)
    for value in ("first-wrong", "second-wrong", "third-wrong"):
        challtestsrv.set_txt(f"_acme-challenge.{name}", value)

    result = va().validate(task)

    expect_problem(result, ErrorKind.INCORRECT_RESPONSE, "None of the 3 TXT records", "'first-")


def test_wildcard_mismatch_names_the_wildcard_identifier(
    challtestsrv, task_for, name, expect_problem
):
    task = task_for(DNS01, f"*.{name}")
    challtestsrv.set_txt(f"_acme-challenge.{name}", "wrong-value")

    result = va().validate(task)

    expect_problem(result, ErrorKind.INCORRECT_RESPONSE)
    assert result.problem is not None
    assert result.problem.identifier == ("dns", f"*.{name}")


def test_no_txt_record(task_for, name, expect_problem):
    # challtestsrv answers NOERROR without records for TXT names it does not know.
    result = va().validate(task_for(DNS01, name))

    expect_problem(result, ErrorKind.UNAUTHORIZED, f"No TXT record found at _acme-challenge.{name}")


def test_nxdomain(task_for, name, nxdomain_dns, expect_problem):
    result = va().validate(task_for(DNS01, name, dns_port=nxdomain_dns.port))

    detail = expect_problem(
        result, ErrorKind.UNAUTHORIZED, f"No TXT record found at _acme-challenge.{name}"
    )
    assert "NXDOMAIN" in detail


def test_servfail(challtestsrv, task_for, name, expect_problem):
    challtestsrv.set_servfail(f"_acme-challenge.{name}")

    result = va().validate(task_for(DNS01, name))

    expect_problem(
        result, ErrorKind.DNS, f"DNS problem: SERVFAIL looking up TXT for _acme-challenge.{name}"
    )


def test_timeout(task_for, name, silent_dns, expect_problem):
    started = time.monotonic()
    result = va(timeout=0.5).validate(task_for(DNS01, name, dns_port=silent_dns))

    expect_problem(result, ErrorKind.DNS, "query timed out looking up TXT")
    assert time.monotonic() - started < 5


def test_total_budget_bounds_the_validation(task_for, name, silent_dns, expect_problem):
    settings = VaSettings(timeout=5.0, total_timeout=0.5)
    started = time.monotonic()

    result = blocking(ValidationAuthority(settings)).validate(
        task_for(DNS01, name, dns_port=silent_dns)
    )

    expect_problem(result, ErrorKind.DNS, "timed out")
    assert time.monotonic() - started < 3
