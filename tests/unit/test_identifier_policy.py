"""The identifier policy's rules from issue 15 §3 (domain/identifiers.py), one class each, and
properties that hold for any input."""

from __future__ import annotations

import ipaddress
import json
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from acmehub.domain.errors import DomainError, ErrorKind
from acmehub.domain.identifiers import (
    MAX_NAME_LENGTH,
    check_dns_name,
    parse_identifiers,
)
from acmehub.domain.model import Identifier, IssuancePolicy
from acmehub.domain.policy import identifier_problem, policy_errors
from acmehub.domain.public_suffixes import bundled_public_suffixes

LDH_NAME = re.compile(r"(\*\.)?([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z0-9]([a-z0-9-]*[a-z0-9])?")


def dns(*values: str) -> list[dict[str, str]]:
    return [{"type": "dns", "value": v} for v in values]


def refusal(*values: str) -> DomainError:
    with pytest.raises(DomainError) as caught:
        parse_identifiers(dns(*values))
    return caught.value


@pytest.mark.parametrize(
    ("name", "why"),
    [
        # U+212A KELVIN SIGN lower-cases to "k" by Unicode rules; ASCII rules keep it refused.
        ("\u212aitchen.example.com", "non-ASCII character U+212A"),
        ("b\u00fccher.example", "non-ASCII character U+00FC"),
        ("\udc80.example.com", "non-ASCII character U+DC80"),  # a lone surrogate from JSON
        ("xn--.example.com", "invalid IDNA label 'xn--'"),
        ("xn--zz.example.com", "invalid IDNA label 'xn--zz'"),
        ("xn--ls8h.example.com", "invalid IDNA label 'xn--ls8h'"),  # an emoji: not IDNA 2008
        ("XN--ZZ.example.com", "invalid IDNA label 'xn--zz'"),
        ("ab--c.example.com", "reserved label 'ab--c'"),
        ("zz--top.example.com", "reserved label"),
        ("com", "is a public suffix"),
        ("co.uk", "is a public suffix"),
        ("CO.UK", "is a public suffix"),
        ("xn--p1ai", "is a public suffix"),  # .рф
        ("*.co.uk", "wildcard directly above the public suffix co.uk"),
        ("*.com", "wildcard directly above the public suffix com"),
        ("*.foo.ck", "wildcard directly above the public suffix foo.ck"),  # the "*.ck" rule
        ("*www.example.com", "wildcard is allowed only as the whole leftmost label"),
        ("www.*.example.com", "wildcard is allowed only as the whole leftmost label"),
        ("*", "wildcard is allowed only"),
        ("10.0.0.1", "is an IP address"),
        ("*.10.0.0.1", "is an IP address"),
        ("::ffff:10.0.0.1", "is an IP address"),
        ("www.example.com.", "must not end with a dot"),
        ("a..example.com", "invalid label ''"),
        (".example.com", "invalid label ''"),
        ("a b.example.com", "invalid label 'a b'"),
        ("x" * 64 + ".example.com", "longer than 63 characters"),
        ("a." * 126 + "com", f"longer than {MAX_NAME_LENGTH} characters"),
    ],
)
def test_each_bad_name_class_is_refused_with_its_reason(name: str, why: str) -> None:
    problem = check_dns_name(name)
    assert problem is not None
    assert (problem.kind, problem.identifier) == (ErrorKind.REJECTED_IDENTIFIER, ("dns", name))
    assert why in problem.detail


@pytest.mark.parametrize(
    "name",
    [
        "xn--bcher-kva.example",  # bücher
        "XN--BCHER-KVA.Example",
        "xn--90ae.xn--p1ai",  # a domain under .рф
        "www.example.co.uk",
        "example.co.uk",
        "*.example.co.uk",
        "*.github.io",  # private section of the list: not a public suffix here (ICANN only)
        "host.internal",  # a TLD not on the list: a private zone, as an enterprise CA needs
        "*.corp.internal",
        "www.ck",  # the "!www.ck" exception
    ],
)
def test_good_names_pass(name: str) -> None:
    assert check_dns_name(name) is None


def test_an_empty_value_is_malformed_not_rejected() -> None:
    error = refusal("")
    assert error.kind is ErrorKind.MALFORMED
    assert error.identifier == ("dns", "")
    assert "must not be empty" in error.detail


def test_an_empty_value_beside_a_refused_name_is_compound() -> None:
    error = refusal("", "co.uk")
    assert error.kind is ErrorKind.COMPOUND
    assert [(p.kind, p.identifier) for p in error.subproblems] == [
        (ErrorKind.MALFORMED, ("dns", "")),
        (ErrorKind.REJECTED_IDENTIFIER, ("dns", "co.uk")),
    ]


def test_names_are_lower_cased_by_ascii_rules_only() -> None:
    assert parse_identifiers(dns("WWW.EXAMPLE.COM")) == (Identifier("dns", "www.example.com"),)
    # The Kelvin sign is never turned into "k" (str.lower would).
    assert "\u212a".lower() == "k"
    assert refusal("\u212a.example.com").identifier == ("dns", "\u212a.example.com")


def test_a_name_covered_by_a_wildcard_of_the_same_order_is_redundant() -> None:
    error = refusal("*.example.com", "www.example.com", "WWW.example.com", "a.b.example.com")
    assert error.kind is ErrorKind.REJECTED_IDENTIFIER
    assert error.identifier == ("dns", "www.example.com")
    assert "redundant with the wildcard *.example.com" in error.detail
    # The base name and deeper names are not covered by the wildcard.
    assert len(parse_identifiers(dns("*.example.com", "example.com", "a.b.example.com"))) == 3


def test_every_refused_name_is_a_subproblem_naming_it() -> None:
    error = refusal("ok.example.com", "co.uk", "ab--c.example.com", "*.com")
    assert error.kind is ErrorKind.REJECTED_IDENTIFIER
    assert [p.identifier for p in error.subproblems] == [
        ("dns", "co.uk"),
        ("dns", "ab--c.example.com"),
        ("dns", "*.com"),
    ]


def test_a_long_value_is_quoted_short_in_the_detail() -> None:
    name = "x" * 5000
    problem = check_dns_name(name)
    assert problem is not None
    assert len(problem.detail) < 200
    assert "(5000 characters)" in problem.detail


def test_the_suffix_list_names_its_version() -> None:
    described = bundled_public_suffixes().describe()
    assert re.search(r"publicsuffixlist \S+ \(list \d{4}-\d\d-\d\d", described), described


# --------------------------------------------------------------------------- maxLabels


def test_max_labels_counts_the_labels_of_the_name_without_the_wildcard() -> None:
    policy = IssuancePolicy(max_labels=3)
    assert identifier_problem(policy, Identifier("dns", "www.example.com")) is None
    assert identifier_problem(policy, Identifier("dns", "*.www.example.com")) is None
    problem = identifier_problem(policy, Identifier("dns", "a.www.example.com"))
    assert problem is not None
    assert problem.identifier == ("dns", "a.www.example.com")
    assert "it has 4 labels; at most 3 are allowed (issuancePolicy.maxLabels)" in problem.detail


def test_the_default_allows_ten_labels_as_boulder() -> None:
    ten = ".".join(["a"] * 9 + ["com"])
    assert identifier_problem(IssuancePolicy(), Identifier("dns", ten)) is None
    assert identifier_problem(IssuancePolicy(), Identifier("dns", "b." + ten)) is not None


@pytest.mark.parametrize("value", [1, 128, 0, -1])
def test_max_labels_bounds(value: int) -> None:
    assert policy_errors(IssuancePolicy(max_labels=value)) == [
        "issuancePolicy.maxLabels must be between 2 and 127"
    ]


# --------------------------------------------------------------------------- properties

_letters = st.sampled_from("abcXYZ019-.*_ \u212a\u00fc\u0130\u017f\x00")
_chunks = st.sampled_from(["xn--", "--", ".", "*.", "co.uk", "com", "example", "xn--bcher-kva"])
_values = st.lists(st.one_of(_letters, _chunks), max_size=40).map("".join)
_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner),
    max_leaves=12,
)
_item = st.one_of(
    st.fixed_dictionaries({"type": st.sampled_from(["dns", "DNS", "ip", ""]), "value": _values}),
    st.fixed_dictionaries({"type": st.just("dns"), "value": _json}),
    _json,
)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.lists(_item, max_size=6), _json))
def test_only_domain_errors_escape_and_what_passes_is_canonical(raw: Any) -> None:
    try:
        parsed = parse_identifiers(raw)
    except DomainError as error:
        # A problem document can always be rendered (RFC 8555 §6.7).
        json.dumps(error.problem.to_json())
        return
    for identifier in parsed:
        value = identifier.value
        assert identifier.type in ("dns", "ip")
        if identifier.type == "ip":
            assert str(ipaddress.ip_address(value)) == value
            continue
        assert value.isascii(), value
        assert value == value.lower(), value
        assert len(value) <= MAX_NAME_LENGTH
        assert LDH_NAME.fullmatch(value), value
    # What was accepted re-parses to itself.
    assert parse_identifiers([i.to_json() for i in parsed]) == parsed


@settings(max_examples=200, deadline=None)
@given(_values)
def test_a_single_name_is_accepted_exactly_when_check_dns_name_says_so(value: str) -> None:
    problem = check_dns_name(value)
    if problem is not None:
        with pytest.raises(DomainError) as caught:
            parse_identifiers(dns(value))
        assert caught.value.kind is problem.kind
        return
    parsed = parse_identifiers(dns(value))
    assert parsed == (Identifier("dns", value.translate(str.maketrans("XYZ", "xyz"))),)
