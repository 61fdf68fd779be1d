"""The pure rules of certificate profiles (domain/certificate_profiles.py)."""

from __future__ import annotations

import pytest

from acmehub.domain.certificate_profiles import (
    CertificateProfile,
    check_profile_names,
    choose_profile,
    directory_profiles,
    profile_usages,
    profile_validity,
)
from acmehub.domain.errors import DomainError, ErrorKind
from acmehub.domain.model import Identifier, IssuancePolicy, RaProfile

TLS = CertificateProfile("u1", "ra", "tlsserver", "90 days", is_default=True, validity=7776000)
SHORT = CertificateProfile("u2", "ra", "shortlived", "7 days", crl_distribution_point=False)
RA = RaProfile("ra", "ra", "a", True, validity_default=3600, policy=IssuancePolicy())


def test_absent_profile_is_the_default_and_none_without_profiles() -> None:
    assert choose_profile([SHORT, TLS], None) is TLS
    assert choose_profile([], None) is None
    assert choose_profile([SHORT, TLS], "shortlived") is SHORT


@pytest.mark.parametrize(
    ("offered", "requested", "kind", "detail"),
    [
        ([SHORT, TLS], "classic", ErrorKind.INVALID_PROFILE, "lists shortlived, tlsserver"),
        ([], "tlsserver", ErrorKind.INVALID_PROFILE, "offers no certificate profiles"),
        ([TLS], 7, ErrorKind.MALFORMED, "profile must be a string"),
        ([TLS], "TLSSERVER", ErrorKind.INVALID_PROFILE, "is not offered"),  # case matters
    ],
)
def test_refusals(
    offered: list[CertificateProfile], requested: object, kind: ErrorKind, detail: str
) -> None:
    with pytest.raises(DomainError) as caught:
        choose_profile(offered, requested)
    assert caught.value.kind is kind
    assert detail in caught.value.detail


def test_fallbacks_to_the_ra_profile() -> None:
    assert profile_validity(TLS, RA) == 7776000
    assert profile_validity(SHORT, RA) == 3600
    assert profile_validity(None, RA) == 3600
    assert profile_usages(SHORT, RA) == ("serverAuth",)
    mtls = CertificateProfile("u3", "ra", "mtls", extended_key_usages=("clientAuth",))
    assert profile_usages(mtls, RA) == ("clientAuth",)


def test_names_cap() -> None:
    one = CertificateProfile("u4", "ra", "one", max_names=1)
    names = [Identifier("dns", "a.example"), Identifier("dns", "b.example")]
    check_profile_names(one, names[:1])
    check_profile_names(TLS, names)
    with pytest.raises(DomainError) as caught:
        check_profile_names(one, names)
    assert caught.value.kind is ErrorKind.REJECTED_IDENTIFIER


def test_directory_lists_the_default_first() -> None:
    assert list(directory_profiles([SHORT, TLS])) == ["tlsserver", "shortlived"]
