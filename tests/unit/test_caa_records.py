"""The CAA decision (RFC 8659 §4, RFC 8657) on record sets, without DNS; the lookups are tested
against pebble-challtestsrv in tests/integration/validation/test_va_caa.py."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from acmehub.validation.caa_records import (
    CaaQuestion,
    CaaRecord,
    IssueValue,
    decide,
    parse_issue_value,
)

US = "ca.example.net"
ACCOUNT = "https://acme.example.net/acme/default/acct/1"


def ask(*records: CaaRecord, wildcard: bool = False, method: str = "http-01"):
    return decide(records, CaaQuestion((US,), (ACCOUNT,), method, wildcard))


def issue(value: str, tag: str = "issue", flags: int = 0) -> CaaRecord:
    return CaaRecord(flags, tag, value)


@pytest.mark.parametrize(
    ("value", "parsed"),
    [
        ("ca.example.net", IssueValue("ca.example.net")),
        ("  CA.Example.NET  ", IssueValue("ca.example.net")),
        (";", IssueValue("")),
        ("", IssueValue("")),
        ("ca.example.net;", IssueValue("ca.example.net")),
        (
            "ca.example.net; accounturi=https://a/acct/1 ; validationmethods=dns-01",
            IssueValue(
                "ca.example.net",
                {"accounturi": "https://a/acct/1", "validationmethods": "dns-01"},
            ),
        ),
        ("ca.example.net; Key = value", IssueValue("ca.example.net", {"key": "value"})),
    ],
)
def test_issue_values_follow_rfc_8659_section_4_2(value: str, parsed: IssueValue) -> None:
    assert parse_issue_value(value) == parsed


@pytest.mark.parametrize(
    "value",
    [
        "ca example.net",  # a space inside the name
        "-ca.example.net",  # a label starting with a hyphen
        "ca..example.net",  # an empty label
        "ca.example.net; novalue",  # a parameter without "="
        "ca.example.net; k=v;v",  # ";" cannot be in a value, so "v" is a parameter without "="
        "ca.example.net; k=a b",  # a space inside a value
    ],
)
def test_malformed_values_are_refused(value: str) -> None:
    assert parse_issue_value(value) is None


def test_a_malformed_record_authorizes_no_one() -> None:
    refusal = ask(issue(f"{US}; broken"))
    assert refusal is not None
    assert refusal.reason == "its value is malformed"


def test_no_issue_property_permits() -> None:
    assert ask() is None
    assert ask(issue("mailto:x@example.net", tag="iodef")) is None


def test_critical_unknown_properties_refuse_even_beside_a_permission() -> None:
    refusal = ask(issue(US), issue("x", tag="future", flags=128))
    assert refusal is not None
    assert [str(r) for r in refusal.records] == ['128 future "x"']
    # Known tags with the flag are simply understood.
    assert ask(issue(US, flags=128), issue("x", tag="iodef", flags=128)) is None


def test_parameters_of_rfc_8657() -> None:
    assert ask(issue(f"{US}; accounturi={ACCOUNT}")) is None
    assert ask(issue(f"{US}; accounturi={ACCOUNT}/2")) is not None
    assert ask(issue(f"{US}; validationmethods=dns-01,http-01")) is None
    assert ask(issue(f"{US}; validationmethods=dns-01")) is not None
    assert ask(issue(f"{US}; unknown=ignored")) is None


def test_no_configured_issuer_name_means_no_record_can_authorize_us() -> None:
    refusal = decide([issue(US)], CaaQuestion((), (), "http-01", False))
    assert refusal is not None
    assert "no CAA issuer domain names" in refusal.reason


def test_presentation_escapes_quotes() -> None:
    assert str(issue('a"b\\c')) == '0 issue "a\\"b\\\\c"'


@given(st.text(max_size=80))
def test_any_value_parses_or_is_refused_without_crashing(value: str) -> None:
    parsed = parse_issue_value(value)
    if parsed is not None:
        assert ";" not in parsed.domain
        assert all(" " not in v for v in parsed.parameters.values())


@given(st.lists(st.tuples(st.integers(0, 255), st.text(max_size=12), st.text(max_size=40))))
def test_any_record_set_is_decided(records: list[tuple[int, str, str]]) -> None:
    refusal = ask(*(CaaRecord(*r) for r in records), wildcard=True)
    assert refusal is None or refusal.records
