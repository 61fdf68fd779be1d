"""Account contacts (RFC 8555 §7.3): mailto: URIs only, one address each."""

from __future__ import annotations

import pytest

from acmehub.domain.errors import DomainError, ErrorKind
from acmehub.services.contacts import MAX_CONTACTS, parse_contacts


def test_no_contact_member_means_no_contacts() -> None:
    assert parse_contacts(None) == ()
    assert parse_contacts([]) == ()


def test_mailto_uris_are_kept_in_order_with_a_canonical_scheme() -> None:
    assert parse_contacts(["mailto:admin@example.com", "MAILTO:ops+acme@sub.example.org"]) == (
        "mailto:admin@example.com",
        "mailto:ops+acme@sub.example.org",
    )


@pytest.mark.parametrize("raw", ["mailto:a@example.com", {"mailto": "a"}, [1], [None], 5])
def test_a_contact_member_that_is_not_a_list_of_strings_is_malformed(raw: object) -> None:
    with pytest.raises(DomainError) as caught:
        parse_contacts(raw)
    assert caught.value.kind is ErrorKind.MALFORMED


@pytest.mark.parametrize(
    "uri", ["tel:+15555550100", "https://example.com", "admin@example.com", "xmpp:a@example.com"]
)
def test_other_schemes_are_unsupported(uri: str) -> None:
    with pytest.raises(DomainError) as caught:
        parse_contacts([uri])
    assert caught.value.kind is ErrorKind.UNSUPPORTED_CONTACT
    assert uri in caught.value.detail


@pytest.mark.parametrize(
    "uri",
    [
        "mailto:",
        "mailto:admin",
        "mailto:admin@",
        "mailto:@example.com",
        "mailto:admin@localhost",
        "mailto:admin@example.com?subject=hi",  # RFC 8555 §7.3: no hfields
        "mailto:a@example.com,b@example.com",  # one address per URI
        "mailto:admin @example.com",
        "mailto:admin@exa_mple.com",
    ],
)
def test_bad_addresses_are_invalid_contacts(uri: str) -> None:
    with pytest.raises(DomainError) as caught:
        parse_contacts([uri])
    assert caught.value.kind is ErrorKind.INVALID_CONTACT


def test_at_most_max_contacts_are_accepted() -> None:
    uris = [f"mailto:admin{i}@example.com" for i in range(MAX_CONTACTS + 1)]
    assert len(parse_contacts(uris[:MAX_CONTACTS])) == MAX_CONTACTS
    with pytest.raises(DomainError) as caught:
        parse_contacts(uris)
    assert caught.value.kind is ErrorKind.INVALID_CONTACT


def test_one_bad_contact_refuses_the_whole_list() -> None:
    with pytest.raises(DomainError) as caught:
        parse_contacts(["mailto:good@example.com", "tel:+15555550100"])
    assert caught.value.kind is ErrorKind.UNSUPPORTED_CONTACT
