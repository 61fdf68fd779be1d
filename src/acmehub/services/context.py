"""Which ACME profile and RA profile serve a request: the checks every ACME request passes first.

The order and wording of the checks follow the platform this product replaces (see
shared/design/platform-reference.md, "Validations on every ACME request").
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from acmehub.domain.errors import DomainError, ErrorKind
from acmehub.domain.model import AcmeProfile, RaProfile
from acmehub.domain.ports import UnitOfWork


class ProfileMode(StrEnum):
    ACME_PROFILE = "acme"  # /acme/{acmeProfileName}/...
    RA_PROFILE = "raProfile"  # /acme/raProfile/{raProfileName}/...


@dataclass(frozen=True)
class ProfileRef:
    """What the request URL names."""

    mode: ProfileMode
    name: str


@dataclass(frozen=True)
class AcmeContext:
    ref: ProfileRef
    acme_profile: AcmeProfile
    ra_profile: RaProfile


def _refuse(detail: str, not_found: bool) -> DomainError:
    if not_found:
        return DomainError(ErrorKind.NOT_FOUND, detail, status=404)
    return DomainError(ErrorKind.MALFORMED, detail)


def resolve_context(tx: UnitOfWork, ref: ProfileRef, *, directory: bool = False) -> AcmeContext:
    """Resolve and check the profiles; a directory for an unknown profile is a 404."""
    if ref.mode is ProfileMode.ACME_PROFILE:
        acme = tx.profiles.acme_profile_by_name(ref.name)
        if acme is None:
            raise _refuse("Given ACME Profile in the request URL is not found", directory)
        if not acme.enabled:
            raise _refuse("ACME Profile is not enabled", False)
        ra = tx.profiles.ra_profile(acme.default_ra_profile_uuid or "")
        if ra is None:
            raise _refuse("RA Profile is not found", False)
        if not ra.enabled:
            raise _refuse("RA Profile is not enabled", False)
        return AcmeContext(ref, acme, ra)
    ra = tx.profiles.ra_profile_by_name(ref.name)
    if ra is None:
        raise _refuse("Given RA Profile in the request URL is not found", directory)
    acme = tx.profiles.acme_profile(ra.acme_profile_uuid or "")
    if acme is None:
        raise _refuse("ACME Profile is not associated with the RA Profile", directory)
    if not ra.enabled:
        raise _refuse("RA Profile is not enabled", False)
    if not acme.enabled:
        raise _refuse("ACME Profile is not enabled", False)
    return AcmeContext(ref, acme, ra)
