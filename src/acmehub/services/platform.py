"""Setting up the platform's objects: Authorities, RA Profiles, ACME Profiles.

The full management API (issue 3) grows here; `acmehub init` and the tests use it now.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import replace
from typing import Any

from acmehub.domain.errors import DomainError, ErrorKind
from acmehub.domain.model import AcmeProfile, Authority, RaProfile
from acmehub.services.deps import ServiceDeps

#: Names used in ACME URLs: unreserved URL characters only (RFC 3986 §2.3).
_NAME = re.compile(r"^[A-Za-z0-9._~-]{1,200}$")
RESERVED_ACME_PROFILE_NAMES = frozenset({"raProfile"})


def check_url_name(name: str, what: str) -> None:
    if not _NAME.match(name):
        raise DomainError(
            ErrorKind.INVALID_INPUT,
            f"{what} name may contain only the characters A-Z a-z 0-9 - . _ ~",
            status=422,
        )


class PlatformService:
    def __init__(self, deps: ServiceDeps) -> None:
        self._d = deps

    def create_authority(self, name: str, kind: str, config: dict[str, Any]) -> Authority:
        authority = Authority(str(uuid.uuid4()), name, kind, True, config)
        with self._d.uow(write=True) as tx:
            tx.profiles.add_authority(authority)
        return authority

    def create_ra_profile(self, authority_uuid: str, name: str, **fields: Any) -> RaProfile:
        check_url_name(name, "RA Profile")
        profile = RaProfile(
            uuid=str(uuid.uuid4()),
            name=name,
            authority_uuid=authority_uuid,
            enabled=fields.pop("enabled", True),
            **fields,
        )
        with self._d.uow(write=True) as tx:
            if tx.profiles.authority(authority_uuid) is None:
                raise DomainError(ErrorKind.NOT_FOUND, "no such authority", status=404)
            if tx.profiles.ra_profile_by_name(name) is not None:
                raise DomainError(
                    ErrorKind.CONFLICT, f"RA Profile {name} already exists", status=409
                )
            tx.profiles.add_ra_profile(profile)
        return profile

    def create_acme_profile(self, name: str, **fields: Any) -> AcmeProfile:
        check_url_name(name, "ACME Profile")
        if name in RESERVED_ACME_PROFILE_NAMES:
            raise DomainError(
                ErrorKind.INVALID_INPUT, f"{name!r} cannot be an ACME Profile name", status=422
            )
        if fields.get("terms_of_service_change_disable"):
            # Accounts must agree again from now on (see update_acme_profile).
            fields.setdefault("terms_of_service_changed_at", self._d.clock.now())
        profile = AcmeProfile(
            uuid=str(uuid.uuid4()), name=name, enabled=fields.pop("enabled", False), **fields
        )
        with self._d.uow(write=True) as tx:
            if tx.profiles.acme_profile_by_name(name) is not None:
                raise DomainError(
                    ErrorKind.CONFLICT, f"ACME Profile {name} already exists", status=409
                )
            if profile.default_ra_profile_uuid and not tx.profiles.ra_profile(
                profile.default_ra_profile_uuid
            ):
                raise DomainError(ErrorKind.NOT_FOUND, "no such RA Profile", status=404)
            tx.profiles.add_acme_profile(profile)
        return profile

    def update_acme_profile(self, uuid_: str, **changes: Any) -> AcmeProfile:
        with self._d.uow(write=True) as tx:
            profile = tx.profiles.acme_profile(uuid_)
            if profile is None:
                raise DomainError(ErrorKind.NOT_FOUND, "no such ACME Profile", status=404)
            if changes.get("terms_of_service_change_disable") and not (
                profile.terms_of_service_change_disable
            ):
                changes.setdefault("terms_of_service_changed_at", self._d.clock.now())
            updated = replace(profile, **changes)
            tx.profiles.update_acme_profile(updated)
            return updated

    def activate_acme(
        self,
        ra_profile_uuid: str,
        acme_profile_uuid: str,
        issue_attributes: dict[str, Any] | None = None,
        revoke_attributes: dict[str, Any] | None = None,
    ) -> RaProfile:
        with self._d.uow(write=True) as tx:
            ra = tx.profiles.ra_profile(ra_profile_uuid)
            if ra is None:
                raise DomainError(ErrorKind.NOT_FOUND, "no such RA Profile", status=404)
            if tx.profiles.acme_profile(acme_profile_uuid) is None:
                raise DomainError(ErrorKind.NOT_FOUND, "no such ACME Profile", status=404)
            updated = replace(
                ra,
                acme_profile_uuid=acme_profile_uuid,
                acme_issue_attributes=issue_attributes or {},
                acme_revoke_attributes=revoke_attributes or {},
            )
            tx.profiles.update_ra_profile(updated)
            return updated

    def update_ra_profile(self, uuid_: str, **changes: Any) -> RaProfile:
        with self._d.uow(write=True) as tx:
            ra = tx.profiles.ra_profile(uuid_)
            if ra is None:
                raise DomainError(ErrorKind.NOT_FOUND, "no such RA Profile", status=404)
            updated = replace(ra, **changes)
            tx.profiles.update_ra_profile(updated)
            return updated
