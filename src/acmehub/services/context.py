"""Which ACME profile and RA profile serve a request: the checks every ACME request passes first.

The order and wording of the checks follow the platform this product replaces (see
shared/design/platform-reference.md, "Validations on every ACME request").
"""

from __future__ import annotations

from dataclasses import dataclass

from acmehub.domain.certificate_profiles import CertificateProfile
from acmehub.domain.errors import DomainError, ErrorKind
from acmehub.domain.model import Account, AcmeProfile, RaProfile
from acmehub.domain.ports import UnitOfWork, UnitOfWorkFactory
from acmehub.domain.urls import ProfileMode

__all__ = ["AcmeContext", "ContextCache", "ProfileMode", "ProfileRef", "resolve_context"]


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
    #: The account this request was authenticated as (read once, by the authentication):
    #: the use cases take it from here instead of reading it again (RFC 8555 §6.2).
    account: Account | None = None
    #: The certificate profiles the RA profile offers (draft-ietf-acme-profiles).
    certificate_profiles: tuple[CertificateProfile, ...] = ()


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
        return _context(tx, ref, acme, ra)
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
    return _context(tx, ref, acme, ra)


def _context(tx: UnitOfWork, ref: ProfileRef, acme: AcmeProfile, ra: RaProfile) -> AcmeContext:
    offered = tuple(tx.certificate_profiles.for_ra_profile(ra.uuid))
    return AcmeContext(ref, acme, ra, certificate_profiles=offered)


class ContextCache:
    """Resolved contexts kept while the profiles they came from are unchanged: every ACME
    request needs one (new-nonce included), and reading and parsing two profiles per request
    was a tenth of the server's CPU (docs/benchmarks.md).

    An entry is reused only while the profiles change counter (the unit-of-work factory's
    ``profiles_generation``, one cheap read per request) is what it was when the entry was
    made: a change committed by any process (API, web interface, CLI, another server
    process) applies to the next request. Refusals are not kept: they are checked anew.
    """

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow
        self._entries: dict[ProfileRef, tuple[int, AcmeContext]] = {}

    def get(self, ref: ProfileRef, *, directory: bool = False) -> AcmeContext:
        generation = self._uow.profiles_generation()
        entry = self._entries.get(ref)
        if entry is not None and entry[0] == generation:
            return entry[1]
        with self._uow() as tx:
            ctx = resolve_context(tx, ref, directory=directory)
        if len(self._entries) > 1000:  # bounded: only names that resolve get here
            self._entries.clear()
        self._entries[ref] = (generation, ctx)
        return ctx
