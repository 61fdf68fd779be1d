"""An RA profile's issuance policy (domain/policy.py): patterns, names, wildcards, keys."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from hypothesis import given, settings
from hypothesis import strategies as st

from acmehub.domain.errors import DomainError, ErrorKind
from acmehub.domain.model import Identifier, IssuancePolicy
from acmehub.domain.policy import (
    check_identifiers,
    check_key,
    describe_key,
    identifier_problem,
    identifier_problems,
    key_problem,
    normalize_pattern,
    normalized,
    pattern_error,
    pattern_matches,
    policy_errors,
)


def dns(value: str) -> Identifier:
    return Identifier("dns", value)


def ip(value: str) -> Identifier:
    return Identifier("ip", value)


# --------------------------------------------------------------------------- patterns


@pytest.mark.parametrize(
    ("pattern", "identifier", "matches"),
    [
        ("example.com", dns("example.com"), True),
        ("example.com", dns("www.example.com"), False),
        ("example.com", dns("*.example.com"), False),
        (".example.com", dns("www.example.com"), True),
        (".example.com", dns("a.b.example.com"), True),
        (".example.com", dns("*.example.com"), True),
        (".example.com", dns("example.com"), False),
        (".example.com", dns("badexample.com"), False),
        (".internal", dns("host.corp.internal"), True),
        ("*.example.com", dns("*.example.com"), True),
        ("*.example.com", dns("www.example.com"), False),
        ("*.example.com", dns("*.www.example.com"), False),
        ("EXAMPLE.com.", dns("example.com"), True),
        ("10.0.0.0/8", ip("10.1.2.3"), True),
        ("10.0.0.0/8", ip("11.1.2.3"), False),
        ("10.0.0.7", ip("10.0.0.7"), True),
        ("2001:db8::/32", ip("2001:db8::1"), True),
        ("2001:db8::/32", ip("10.0.0.1"), False),
        ("10.0.0.0/8", dns("example.com"), False),
        ("example.com", ip("10.0.0.1"), False),
    ],
)
def test_pattern_matching(pattern: str, identifier: Identifier, matches: bool) -> None:
    assert pattern_error(pattern) is None
    assert pattern_matches(pattern, identifier) is matches


@pytest.mark.parametrize(
    "pattern",
    [
        "",
        "  ",
        "foo",
        "a..b.com",
        "-bad.example.com",
        "10.0.0.1/8",
        "10.0.0.0/33",
        "*.*.com",
        ".a\n.example",
        "a\nb.example.com",
    ],
)
def test_invalid_patterns_say_why(pattern: str) -> None:
    assert pattern_error(pattern)


def test_patterns_are_normalized_and_deduplicated() -> None:
    policy = IssuancePolicy(allowed_identifiers=("Example.COM.", "example.com", ".Corp.Example"))
    assert normalized(policy).allowed_identifiers == ("example.com", ".corp.example")
    assert normalize_pattern(" WWW.Example.com. ") == "www.example.com"


# --------------------------------------------------------------------------- identifiers


def test_the_default_policy_allows_any_name() -> None:
    policy = IssuancePolicy()
    assert identifier_problems(policy, [dns("example.com"), dns("*.example.org")]) == []


def test_a_denied_name_is_rejected_naming_the_rule() -> None:
    policy = IssuancePolicy(denied_identifiers=(".bad.example",))
    problem = identifier_problem(policy, dns("www.bad.example"))
    assert problem is not None
    assert problem.kind is ErrorKind.REJECTED_IDENTIFIER
    assert problem.identifier == ("dns", "www.bad.example")
    assert "issuancePolicy.deniedIdentifiers '.bad.example'" in problem.detail


def test_denied_wins_over_allowed() -> None:
    policy = IssuancePolicy(
        allowed_identifiers=(".example.com",), denied_identifiers=("secret.example.com",)
    )
    assert identifier_problem(policy, dns("www.example.com")) is None
    problem = identifier_problem(policy, dns("secret.example.com"))
    assert problem is not None
    assert "deniedIdentifiers" in problem.detail


def test_a_name_outside_the_allowed_patterns_is_rejected_listing_them() -> None:
    policy = IssuancePolicy(allowed_identifiers=(".example.com", "example.org"))
    problem = identifier_problem(policy, dns("example.net"))
    assert problem is not None
    assert "issuancePolicy.allowedIdentifiers ('.example.com', 'example.org')" in problem.detail


def test_wildcards_can_be_refused() -> None:
    policy = IssuancePolicy(allow_wildcards=False)
    problem = identifier_problem(policy, dns("*.example.com"))
    assert problem is not None
    assert "issuancePolicy.allowWildcards" in problem.detail
    assert identifier_problem(policy, dns("www.example.com")) is None


def test_more_names_than_max_names_is_rejected() -> None:
    policy = IssuancePolicy(max_names=2)
    names = [dns(f"n{i}.example.com") for i in range(3)]
    with pytest.raises(DomainError) as caught:
        check_identifiers(policy, names)
    assert caught.value.kind is ErrorKind.REJECTED_IDENTIFIER
    assert "at most 2 (issuancePolicy.maxNames)" in caught.value.detail
    check_identifiers(policy, names[:2])


def test_several_refusals_become_subproblems() -> None:
    """RFC 8555 §6.7.1: one problem per identifier, all rejectedIdentifier."""
    policy = IssuancePolicy(denied_identifiers=(".bad.example",), allow_wildcards=False)
    with pytest.raises(DomainError) as caught:
        check_identifiers(policy, [dns("*.ok.example"), dns("a.bad.example"), dns("ok.example")])
    error = caught.value
    assert error.kind is ErrorKind.REJECTED_IDENTIFIER
    assert [p.identifier for p in error.subproblems] == [
        ("dns", "*.ok.example"),
        ("dns", "a.bad.example"),
    ]


names = st.from_regex(r"[a-z][a-z0-9]{0,8}(\.[a-z][a-z0-9]{0,8}){1,3}", fullmatch=True)


@settings(deadline=None)  # timing is no property here; loaded CI machines are slow
@given(names, names)
def test_a_suffix_pattern_matches_exactly_the_names_below_it(name: str, suffix: str) -> None:
    pattern = "." + suffix
    assert pattern_matches(pattern, dns(name)) is name.endswith("." + suffix)
    assert pattern_matches(pattern, dns(f"{name}.{suffix}")) is True
    assert pattern_matches(pattern, dns(suffix)) is False


@settings(deadline=None)
@given(st.lists(names, min_size=1, max_size=5), names)
def test_an_exact_allow_list_lets_through_exactly_its_names(allowed: list[str], name: str) -> None:
    policy = IssuancePolicy(allowed_identifiers=tuple(allowed))
    assert (identifier_problem(policy, dns(name)) is None) is (name in allowed)


@settings(deadline=None)
@given(st.lists(names, min_size=1, max_size=12, unique=True), st.integers(1, 12))
def test_max_names_is_a_hard_limit(order: list[str], limit: int) -> None:
    problems = identifier_problems(IssuancePolicy(max_names=limit), [dns(n) for n in order])
    assert bool(problems) is (len(order) > limit)


# --------------------------------------------------------------------------- keys


@pytest.fixture(scope="module")
def rsa2048() -> rsa.RSAPublicKey:
    return rsa.generate_private_key(65537, 2048).public_key()


def test_key_types_are_described() -> None:
    assert describe_key(ec.generate_private_key(ec.SECP256R1()).public_key()) == ("ec-p256", None)
    assert describe_key(ec.generate_private_key(ec.SECP384R1()).public_key()) == ("ec-p384", None)
    assert describe_key(ed25519.Ed25519PrivateKey.generate().public_key())[0] == "ed25519publickey"


def test_an_rsa_key_is_refused_where_only_ec_is_allowed(rsa2048: rsa.RSAPublicKey) -> None:
    policy = IssuancePolicy(allowed_key_types=("ec-p256", "ec-p384"))
    with pytest.raises(DomainError) as caught:
        check_key(policy, rsa2048)
    assert caught.value.kind is ErrorKind.BAD_CSR
    assert "RSA 2048 bits" in caught.value.detail
    assert "issuancePolicy.allowedKeyTypes allows ec-p256, ec-p384" in caught.value.detail
    check_key(policy, ec.generate_private_key(ec.SECP256R1()).public_key())


def test_a_short_rsa_key_is_refused_naming_min_rsa_bits(rsa2048: rsa.RSAPublicKey) -> None:
    problem = key_problem(IssuancePolicy(min_rsa_bits=3072), rsa2048)
    assert problem is not None
    assert "issuancePolicy.minRsaBits is 3072" in problem.detail
    assert key_problem(IssuancePolicy(), rsa2048) is None


def test_a_curve_not_allowed_is_refused() -> None:
    policy = IssuancePolicy(allowed_key_types=("ec-p384",))
    problem = key_problem(policy, ec.generate_private_key(ec.SECP256R1()).public_key())
    assert problem is not None
    assert "ec-p256" in problem.detail


# --------------------------------------------------------------------------- settings


def test_the_default_policy_is_valid() -> None:
    assert policy_errors(IssuancePolicy()) == []


@pytest.mark.parametrize(
    ("policy", "field"),
    [
        (IssuancePolicy(max_names=0), "issuancePolicy.maxNames"),
        (IssuancePolicy(max_names=101), "issuancePolicy.maxNames"),
        (IssuancePolicy(allowed_key_types=()), "issuancePolicy.allowedKeyTypes"),
        (IssuancePolicy(allowed_key_types=("dsa",)), "issuancePolicy.allowedKeyTypes"),
        (IssuancePolicy(min_rsa_bits=1024), "issuancePolicy.minRsaBits"),
        (IssuancePolicy(extended_key_usages=()), "issuancePolicy.extendedKeyUsages"),
        (IssuancePolicy(extended_key_usages=("codeSigning",)), "issuancePolicy.extendedKeyUsages"),
        (IssuancePolicy(allowed_identifiers=("no",)), "issuancePolicy.allowedIdentifiers"),
        (IssuancePolicy(denied_identifiers=("10.0.0.0/99",)), "issuancePolicy.deniedIdentifiers"),
        (IssuancePolicy(allowed_ip_networks=("10.0.0.1/8",)), "issuancePolicy.allowedIpNetworks"),
        (IssuancePolicy(allowed_ip_networks=("example.com",)), "issuancePolicy.allowedIpNetworks"),
    ],
)
def test_invalid_settings_name_their_field(policy: IssuancePolicy, field: str) -> None:
    errors = policy_errors(policy)
    assert errors
    assert all(e.startswith(field) for e in errors), errors


# --------------------------------------------------------------------------- IP identifiers


def test_ip_identifiers_are_off_by_default() -> None:
    problem = identifier_problem(IssuancePolicy(), ip("192.0.2.1"))
    assert problem is not None
    assert problem.kind is ErrorKind.REJECTED_IDENTIFIER
    assert "issuancePolicy.allowedIpNetworks is empty" in problem.detail


@pytest.mark.parametrize(
    ("address", "allowed"),
    [
        ("192.0.2.7", True),
        ("192.0.3.7", False),
        ("2001:db8::5", True),
        ("2001:db9::5", False),
        ("198.51.100.9", True),
    ],
)
def test_ip_identifiers_are_allowed_in_the_listed_networks(address: str, allowed: bool) -> None:
    policy = IssuancePolicy(allowed_ip_networks=("192.0.2.0/24", "2001:db8::/32", "198.51.100.9"))
    problem = identifier_problem(policy, ip(address))
    assert (problem is None) is allowed
    if problem is not None:
        assert "none of the networks of issuancePolicy.allowedIpNetworks" in problem.detail


def test_denied_patterns_and_ip_ranges_of_the_allow_list_apply_to_ip_identifiers() -> None:
    policy = IssuancePolicy(
        allowed_ip_networks=("10.0.0.0/8",),
        allowed_identifiers=(".example.com", "10.1.0.0/16"),
        denied_identifiers=("10.1.2.0/24",),
    )
    assert identifier_problem(policy, ip("10.1.1.1")) is None
    denied = identifier_problem(policy, ip("10.1.2.3"))
    assert denied is not None
    assert "deniedIdentifiers" in denied.detail
    outside = identifier_problem(policy, ip("10.2.0.1"))
    assert outside is not None
    assert "allowedIdentifiers ('10.1.0.0/16')" in outside.detail
    # Without IP ranges in allowedIdentifiers, its DNS patterns say nothing about addresses.
    dns_only = IssuancePolicy(allowed_ip_networks=("10.0.0.0/8",), allowed_identifiers=("a.b.c",))
    assert identifier_problem(dns_only, ip("10.2.0.1")) is None


def test_ip_networks_are_normalized() -> None:
    policy = normalized(IssuancePolicy(allowed_ip_networks=(" 2001:DB8::/32", "2001:db8::/32")))
    assert policy.allowed_ip_networks == ("2001:db8::/32",)
