"""Identifier policy for new orders (RFC 8555 §7.1.3, §7.1.4, §7.4)."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from acmehub.domain.errors import DomainError, ErrorKind, Problem
from acmehub.domain.identifiers import (
    MAX_IDENTIFIERS,
    check_dns_name,
    parse_identifiers,
    raise_compound,
)
from acmehub.domain.model import Identifier


def dns(*values: str) -> list[dict[str, str]]:
    return [{"type": "dns", "value": v} for v in values]


@pytest.mark.parametrize(
    "name",
    [
        "example.com",
        "www.example.com",
        "*.example.com",
        "a-b.c-d.example",
        "xn--bcher-kva.example",
        "1.example.com",
        "a" * 63 + ".example",
    ],
)
def test_acceptable_dns_names(name: str) -> None:
    assert check_dns_name(name) is None


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("localhost", "at least two labels"),
        ("example.com.", "must not end with a dot"),
        ("192.0.2.1", "IP address"),
        ("2001:db8::1", "IP address"),
        ("*.192.0.2.1", "IP address"),
        ("www.*.example.com", "wildcard"),
        ("*example.com", "wildcard"),
        ("*.*.example.com", "wildcard"),
        ("-bad.example.com", "invalid label"),
        ("bad-.example.com", "invalid label"),
        ("under_score.example.com", "invalid label"),
        ("a..example.com", "invalid label"),
        ("www.example.com\n", "invalid label"),
        ("a\n.example.com", "invalid label"),
        ("a" * 64 + ".example", "invalid label"),
        ("example.123", "all-numeric"),
        ("a." * 126 + "com", "longer than 253"),
    ],
)
def test_unacceptable_dns_names_say_why(name: str, why: str) -> None:
    problem = check_dns_name(name)
    assert problem is not None
    assert problem.kind is ErrorKind.REJECTED_IDENTIFIER
    assert why in problem.detail
    assert problem.identifier == ("dns", name)


def test_identifiers_are_lower_cased_deduplicated_and_sorted() -> None:
    parsed = parse_identifiers(
        dns("WWW.Example.com", "example.com", "www.example.com", "*.example.org")
    )
    assert parsed == (
        Identifier("dns", "*.example.org"),
        Identifier("dns", "example.com"),
        Identifier("dns", "www.example.com"),
    )


def test_a_wildcard_and_its_base_name_are_two_identifiers() -> None:
    wildcard, base = parse_identifiers(dns("*.example.com", "example.com"))
    assert wildcard.is_wildcard
    assert not base.is_wildcard
    assert wildcard.base_name == base.base_name == "example.com"


@pytest.mark.parametrize(
    "raw",
    [None, [], {}, "example.com", [{"type": "dns"}], [{"value": "x.example"}], ["example.com"]],
)
def test_malformed_identifier_lists(raw: object) -> None:
    with pytest.raises(DomainError) as caught:
        parse_identifiers(raw)
    assert caught.value.kind is ErrorKind.MALFORMED


def test_too_many_identifiers_are_rejected() -> None:
    raw = dns(*(f"n{i}.example.com" for i in range(MAX_IDENTIFIERS + 1)))
    with pytest.raises(DomainError) as caught:
        parse_identifiers(raw)
    assert caught.value.kind is ErrorKind.REJECTED_IDENTIFIER
    assert len(parse_identifiers(raw[:MAX_IDENTIFIERS])) == MAX_IDENTIFIERS


def test_an_unsupported_identifier_type() -> None:
    with pytest.raises(DomainError) as caught:
        parse_identifiers([{"type": "email", "value": "a@example.com"}])
    assert caught.value.kind is ErrorKind.UNSUPPORTED_IDENTIFIER
    assert caught.value.identifier == ("email", "a@example.com")
    assert "use dns or ip" in caught.value.detail


def test_one_bad_name_is_reported_alone_with_its_identifier() -> None:
    with pytest.raises(DomainError) as caught:
        parse_identifiers(dns("good.example.com", "localhost"))
    assert caught.value.kind is ErrorKind.REJECTED_IDENTIFIER
    assert caught.value.identifier == ("dns", "localhost")
    assert caught.value.subproblems == ()


def test_several_bad_names_of_one_kind_keep_that_kind_with_subproblems() -> None:
    with pytest.raises(DomainError) as caught:
        parse_identifiers(dns("localhost", "a..example.com", "ok.example.com"))
    error = caught.value
    assert error.kind is ErrorKind.REJECTED_IDENTIFIER
    assert [p.identifier for p in error.subproblems] == [
        ("dns", "localhost"),
        ("dns", "a..example.com"),
    ]


def test_problems_of_different_kinds_are_compound() -> None:
    raw = [*dns("localhost"), {"type": "email", "value": "a@example.com"}]
    with pytest.raises(DomainError) as caught:
        parse_identifiers(raw)
    error = caught.value
    assert error.kind is ErrorKind.COMPOUND
    assert {p.kind for p in error.subproblems} == {
        ErrorKind.REJECTED_IDENTIFIER,
        ErrorKind.UNSUPPORTED_IDENTIFIER,
    }
    assert error.problem.to_json()["subproblems"][1]["identifier"] == {
        "type": "email",
        "value": "a@example.com",
    }


def test_raise_compound_with_nothing_to_report_returns() -> None:
    raise_compound([])
    with pytest.raises(DomainError) as caught:
        raise_compound([Problem(ErrorKind.CAA, "CAA forbids", ("dns", "x.example"))])
    assert (caught.value.kind, caught.value.identifier) == (ErrorKind.CAA, ("dns", "x.example"))


# --------------------------------------------------------------------------- properties

# No "--" (reserved labels) and top-level labels off the Public Suffix List, so every name is
# acceptable on its own; names a wildcard of the list covers are left out (redundant).
_label = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?", fullmatch=True).filter(
    lambda label: "--" not in label
)
_name = st.builds(
    lambda labels, tld, wild: ("*." if wild else "") + ".".join([*labels, tld]),
    st.lists(_label, min_size=1, max_size=3),
    st.sampled_from(["example", "test", "internal", "corp"]),
    st.booleans(),
)


def _covered(name: str, names: set[str]) -> bool:
    return not name.startswith("*.") and f"*.{name.partition('.')[2]}" in names


@given(st.lists(st.tuples(_name, st.booleans()), min_size=1, max_size=20))
def test_valid_names_parse_to_a_sorted_set_of_lower_case_identifiers(
    names: list[tuple[str, bool]],
) -> None:
    distinct = {n for n, _ in names}
    names = [(n, shout) for n, shout in names if not _covered(n, distinct)]
    assume(names)
    raw = dns(*(n.upper() if shout else n for n, shout in names))
    parsed = parse_identifiers(raw)
    assert [i.value for i in parsed] == sorted({n for n, _ in names})
    assert all(i.type == "dns" for i in parsed)
    # Parsing is idempotent on its own output.
    assert parse_identifiers([i.to_json() for i in parsed]) == parsed


# --------------------------------------------------------------------------- RFC 8738 ip


@pytest.mark.parametrize("value", ["192.0.2.1", "2001:db8::1", "2001:db8::1:0:0:1", "::1"])
def test_an_ip_identifier_in_canonical_form_is_accepted(value: str) -> None:
    assert parse_identifiers([{"type": "ip", "value": value}]) == (Identifier("ip", value),)


@pytest.mark.parametrize(
    ("value", "detail"),
    [
        # RFC 8738 §3: RFC 5952 §4 text for IPv6, dotted quad for IPv4; one spelling only.
        ("2001:DB8::1", "write it as 2001:db8::1"),
        ("2001:db8:0:0:0:0:0:1", "write it as 2001:db8::1"),
        ("2001:0db8::1", "write it as 2001:db8::1"),
        ("192.0.2.01", "is not an IPv4 or IPv6 address"),
        ("192.0.2", "is not an IPv4 or IPv6 address"),
        ("192.0.2.0/24", "is not an IPv4 or IPv6 address"),
        ("fe80::1%eth0", "carries a zone"),
        ("::ffff:192.0.2.1", "use the ip identifier 192.0.2.1"),
        ("www.example.com", "is not an IPv4 or IPv6 address"),
        ("", "must not be empty"),
    ],
)
def test_an_ip_identifier_not_in_canonical_form_is_malformed(value: str, detail: str) -> None:
    with pytest.raises(DomainError) as caught:
        parse_identifiers([{"type": "ip", "value": value}])
    assert caught.value.kind is ErrorKind.MALFORMED
    assert detail in caught.value.detail
    assert caught.value.identifier == ("ip", value)


def test_ip_and_dns_identifiers_mix_and_sort_dns_first() -> None:
    parsed = parse_identifiers(
        [
            {"type": "ip", "value": "192.0.2.1"},
            {"type": "dns", "value": "www.example.com"},
            {"type": "ip", "value": "192.0.2.1"},
        ]
    )
    assert parsed == (Identifier("dns", "www.example.com"), Identifier("ip", "192.0.2.1"))
