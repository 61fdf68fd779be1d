"""The ValidationAuthority itself: dispatch, resolver choice, errors never escaping."""

from __future__ import annotations

import logging

import pytest

from acmehub.domain.errors import ErrorKind, Problem
from acmehub.domain.model import ChallengeType, Identifier, ValidationResult, ValidationTask
from acmehub.domain.ports import Validator
from acmehub.validation import (
    ChallengeError,
    CheckContext,
    ValidationAuthority,
    VaSettings,
    expected_txt,
)
from tests.support.va import blocking

pytestmark = pytest.mark.timeout(30)


class Exploding:
    async def check(self, ctx: CheckContext) -> None:
        raise RuntimeError("secret internals")


class FailingWithoutIdentifier:
    async def check(self, ctx: CheckContext) -> None:
        ctx.note("tried something")
        raise ChallengeError(Problem(ErrorKind.UNAUTHORIZED, "no"))


def test_is_a_validator():
    validator: Validator = ValidationAuthority()
    assert callable(validator.validate)


def test_unexpected_exception_becomes_server_internal(task_for, name, caplog, expect_problem):
    authority = blocking(ValidationAuthority(checkers={ChallengeType.HTTP_01: Exploding()}))
    task = task_for(ChallengeType.HTTP_01, name)

    with caplog.at_level(logging.ERROR, logger="acmehub.validation.registry"):
        result = authority.validate(task)

    detail = expect_problem(result, ErrorKind.SERVER_INTERNAL, "cause is logged")
    assert "secret internals" not in detail
    assert result.challenge_id == task.challenge_id
    crash = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert crash
    assert crash[0].exc_info is not None
    assert task.challenge_id in crash[0].getMessage()


def test_missing_checker_becomes_server_internal(task_for, name, expect_problem):
    authority = blocking(ValidationAuthority(checkers={}))

    result = authority.validate(task_for(ChallengeType.DNS_01, name))

    expect_problem(result, ErrorKind.SERVER_INTERNAL, "cannot check dns-01")


def test_problems_always_name_the_identifier(task_for, name):
    authority = blocking(
        ValidationAuthority(checkers={ChallengeType.DNS_01: FailingWithoutIdentifier()})
    )

    result = authority.validate(task_for(ChallengeType.DNS_01, name))

    assert result.problem is not None
    assert result.problem.identifier == ("dns", name)
    assert result.attempts[-1] == "tried something"


def test_settings_resolver_is_the_fallback(challtestsrv, name):
    settings = VaSettings(resolver_ip="127.0.0.1", resolver_port=challtestsrv.dns_port)
    task = ValidationTask(
        challenge_id="c1",
        type=ChallengeType.DNS_01,
        identifier=Identifier("dns", name),
        token="tok",
        key_authorization="tok.thumb",
        dns_resolver_ip=None,
        dns_resolver_port=None,
    )
    challtestsrv.set_txt(f"_acme-challenge.{name}", expected_txt("tok.thumb"))

    result = blocking(ValidationAuthority(settings)).validate(task)

    assert result.ok, result.problem
    assert result.attempts[0] == f"resolver: 127.0.0.1 port {challtestsrv.dns_port}"


def test_misconfigured_resolver_is_our_problem(task_for, name, expect_problem):
    task = task_for(ChallengeType.DNS_01, name, dns_ip="not-an-address")

    result = blocking(ValidationAuthority()).validate(task)

    expect_problem(result, ErrorKind.SERVER_INTERNAL, "resolver is misconfigured")


def test_results_are_data(task_for, name):
    result = blocking(ValidationAuthority(VaSettings(timeout=1))).validate(
        task_for(ChallengeType.HTTP_01, name, token="bad/token")
    )
    assert isinstance(result, ValidationResult)
    assert not result.ok


@pytest.mark.parametrize(
    "overrides",
    [
        {"http01_port": 0},
        {"tlsalpn01_port": 70000},
        {"timeout": 0},
        {"total_timeout": -1},
        {"max_http_body_bytes": 10},
        {"max_redirects": -1},
    ],
)
def test_settings_are_checked(overrides):
    with pytest.raises(ValueError, match="VaSettings"):
        VaSettings(**overrides)


def test_redirect_ports_include_the_configured_ones():
    assert VaSettings(http01_port=5002, tlsalpn01_port=5001).redirect_ports == {
        80,
        443,
        5001,
        5002,
    }
