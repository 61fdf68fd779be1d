"""Certificate profiles (draft-ietf-acme-profiles): named sets of issuance choices an RA profile
offers, listed in the directory's ``meta.profiles`` and picked by new-order's ``profile``.

A profile's optional settings fall back to its RA profile's: no ``validity`` issues for the RA
profile's ``validity_default``, no ``extended_key_usages`` puts the issuance policy's in, no
``max_names`` leaves the policy's cap alone. The migration gives every RA profile that existed
before a default profile made only of fallbacks, so that its issuance did not change.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from acmehub.domain.errors import DomainError, ErrorKind
from acmehub.domain.model import Identifier, RaProfile

#: Profile names: draft-ietf-acme-profiles leaves them free-form strings; acmehub keeps them
#: short, case-sensitive and printable without quoting (letters, digits and - . _).
PROFILE_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
#: The most certificate profiles one RA profile offers (the directory lists them all).
MAX_PROFILES_PER_RA_PROFILE = 50


@dataclass(frozen=True)
class CertificateProfile:
    uuid: str
    ra_profile_uuid: str
    #: What clients send in new-order's ``profile``; unique per RA profile, immutable.
    name: str
    #: Shown to clients as this profile's value in the directory's ``meta.profiles``.
    description: str = ""
    #: The RA profile's default: what an order without ``profile`` is issued under.
    is_default: bool = False
    #: Certificate lifetime, seconds; None: the RA profile's ``validity_default``.
    validity: int | None = None
    #: Whether certificates carry the CA's CRL distribution point (RFC 5280 §4.2.1.13).
    #: Short-lived certificates may go without (CA/B BR §7.1.2.11.2 for <= 7-day certificates).
    crl_distribution_point: bool = True
    #: serverAuth / clientAuth; empty: the RA profile's issuance policy's.
    extended_key_usages: tuple[str, ...] = ()
    #: Whether the subject carries the first name as its CN (RFC 5280 §4.1.2.6); without it
    #: the subject is empty and the SAN extension critical (§4.2.1.6).
    common_name: bool = True
    #: Most names in one certificate; None: the RA profile's ``issuancePolicy.maxNames``.
    max_names: int | None = None


class CertificateProfileRepository(Protocol):
    """Certificate profiles of RA profiles (the unit of work's ``certificate_profiles``); a
    write counts as a profiles change (UnitOfWorkFactory.profiles_generation)."""

    def for_ra_profile(self, ra_profile_uuid: str) -> list[CertificateProfile]: ...
    def get(self, uuid: str) -> CertificateProfile | None: ...
    def add(self, profile: CertificateProfile) -> None: ...
    def update(self, profile: CertificateProfile) -> None: ...
    def delete(self, uuid: str) -> None: ...
    def delete_for_ra_profile(self, ra_profile_uuid: str) -> bool: ...


def choose_profile(
    offered: Sequence[CertificateProfile], requested: object
) -> CertificateProfile | None:
    """The profile new-order's ``profile`` member asks for (draft-ietf-acme-profiles), or the
    RA profile's default when it asks for none; None when the RA profile offers none.

    An unknown name, or any name where none is offered, is ``invalidProfile``."""
    if requested is None:
        return next((p for p in offered if p.is_default), offered[0] if offered else None)
    if not isinstance(requested, str):
        raise DomainError(ErrorKind.MALFORMED, "profile must be a string")
    for profile in offered:
        if profile.name == requested:
            return profile
    if not offered:
        raise DomainError(
            ErrorKind.INVALID_PROFILE,
            f"profile {requested[:64]!r} is not offered: this directory offers no certificate "
            "profiles (its meta has no profiles)",
        )
    names = ", ".join(sorted(p.name for p in offered))
    raise DomainError(
        ErrorKind.INVALID_PROFILE,
        f"profile {requested[:64]!r} is not offered; the directory's meta.profiles lists {names}",
    )


def check_profile_names(
    profile: CertificateProfile | None, identifiers: Sequence[Identifier]
) -> None:
    """The profile's cap on names per certificate (the RA profile's is checked apart)."""
    if profile is None or profile.max_names is None or len(identifiers) <= profile.max_names:
        return
    raise DomainError(
        ErrorKind.REJECTED_IDENTIFIER,
        f"the order has {len(identifiers)} identifiers; certificate profile {profile.name} "
        f"allows at most {profile.max_names}",
    )


def profile_validity(profile: CertificateProfile | None, ra: RaProfile) -> int:
    """Seconds a certificate issued under ``profile`` lives when the order asks no notAfter."""
    if profile is None or profile.validity is None:
        return ra.validity_default
    return profile.validity


def profile_usages(profile: CertificateProfile | None, ra: RaProfile) -> tuple[str, ...]:
    """The extended key usages a certificate issued under ``profile`` carries."""
    if profile is None or not profile.extended_key_usages:
        return ra.policy.extended_key_usages
    return profile.extended_key_usages


def directory_profiles(offered: Sequence[CertificateProfile]) -> dict[str, str]:
    """``meta.profiles``: name -> description (draft-ietf-acme-profiles), default first."""
    ordered = sorted(offered, key=lambda p: (not p.is_default, p.name))
    return {p.name: p.description for p in ordered}
