"""Certificate profiles (draft-ietf-acme-profiles): what an RA profile offers ACME clients to
choose from in new-order's ``profile``, listed in its directory's ``meta.profiles``.

Rules that need the database live here: a name is unique on its RA profile; a validity is at
most the RA profile's ``validityMax``; exactly one profile of an RA profile that has any is its
default (the first one made is; making another the default unmarks the former; the default is
deleted last). Reads need the auditor role, changes the admin role, as RA profiles do; every
change is audited.
"""

from __future__ import annotations

import uuid
from dataclasses import fields, replace

from acmehub.domain.admin_model import Role
from acmehub.domain.certificate_profiles import (
    MAX_PROFILES_PER_RA_PROFILE,
    CertificateProfile,
    profile_validity,
)
from acmehub.domain.model import RaProfile
from acmehub.domain.ports import UnitOfWork
from acmehub.services.admin import Actor, Family, record, require
from acmehub.services.commands.base import Paged
from acmehub.services.commands.certificate_profiles import (
    CertificateProfileDetail,
    CertificateProfileRequest,
    CertificateProfileSearch,
    CertificateProfileUpdate,
)
from acmehub.services.deps import ServiceDeps
from acmehub.services.profile_rules import api_name, conflict, invalid, not_found
from acmehub.services.ra_profiles import RaProfileService

_OBJECT = "certificateProfile"


def _check(profile: CertificateProfile, ra: RaProfile) -> None:
    if profile.validity is not None and profile.validity > ra.validity_max:
        raise invalid(
            f"validity must not exceed the RA profile's validityMax ({ra.validity_max} seconds)"
        )


class CertificateProfileService:
    def __init__(self, deps: ServiceDeps) -> None:
        self._d = deps

    # ------------------------------------------------------------------ reads

    def list_all(
        self, actor: Actor, ra_uuid: str, authority_uuid: str | None = None
    ) -> list[CertificateProfileDetail]:
        """The RA profile's certificate profiles, by name (404 when it does not exist)."""
        require(actor, Role.AUDITOR, Family.RA_PROFILES)
        with self._d.uow() as tx:
            ra = RaProfileService.find(tx, ra_uuid, authority_uuid)
            return [self._detail(p, ra) for p in tx.certificate_profiles.for_ra_profile(ra.uuid)]

    def page(
        self,
        actor: Actor,
        query: CertificateProfileSearch,
        ra_uuid: str,
        authority_uuid: str | None = None,
    ) -> Paged[CertificateProfileDetail]:
        return Paged.slice(self.list_all(actor, ra_uuid, authority_uuid), query)

    def detail(
        self, actor: Actor, ra_uuid: str, cp_uuid: str, authority_uuid: str | None = None
    ) -> CertificateProfileDetail:
        require(actor, Role.AUDITOR, Family.RA_PROFILES)
        with self._d.uow() as tx:
            ra = RaProfileService.find(tx, ra_uuid, authority_uuid)
            return self._detail(self._find(tx, ra, cp_uuid), ra)

    # ------------------------------------------------------------------ changes

    def create(
        self,
        actor: Actor,
        ra_uuid: str,
        command: CertificateProfileRequest,
        authority_uuid: str | None = None,
    ) -> CertificateProfile:
        require(actor, Role.ADMIN, Family.RA_PROFILES)
        with self._d.uow(write=True) as tx:
            ra = RaProfileService.find(tx, ra_uuid, authority_uuid)
            offered = tx.certificate_profiles.for_ra_profile(ra.uuid)
            if any(p.name == command.name for p in offered):
                raise conflict(
                    f"RA Profile {ra.name} already offers a certificate profile {command.name}"
                )
            if len(offered) >= MAX_PROFILES_PER_RA_PROFILE:
                raise invalid(
                    f"RA Profile {ra.name} offers {len(offered)} certificate profiles, the most "
                    "it may"
                )
            profile = CertificateProfile(
                uuid=str(uuid.uuid4()),
                ra_profile_uuid=ra.uuid,
                name=command.name,
                **command.changes(only_set=False),
            )
            # The first profile is the default: an RA profile that offers any has one.
            profile = replace(profile, is_default=profile.is_default or not offered)
            _check(profile, ra)
            if profile.is_default:
                self._unmark_default(tx, offered)
            tx.certificate_profiles.add(profile)
            record(
                tx,
                self._d.clock,
                actor.name,
                "certificateProfile.create",
                _OBJECT,
                profile.uuid,
                name=profile.name,
                raProfile=ra.uuid,
                raProfileName=ra.name,
                isDefault=profile.is_default,
            )
            return profile

    def update(
        self,
        actor: Actor,
        ra_uuid: str,
        cp_uuid: str,
        command: CertificateProfileUpdate,
        authority_uuid: str | None = None,
    ) -> CertificateProfile:
        """Change the fields the command carries; the name is immutable."""
        require(actor, Role.ADMIN, Family.RA_PROFILES)
        with self._d.uow(write=True) as tx:
            ra = RaProfileService.find(tx, ra_uuid, authority_uuid)
            current = self._find(tx, ra, cp_uuid)
            changes = command.changes(only_set=True)
            if changes.get("is_default") is None:
                changes.pop("is_default", None)  # null: left as it is
            for name in ("description", "crl_distribution_point", "common_name"):
                if name in changes and changes[name] is None:
                    raise invalid(f"{api_name(name)} must not be null")
            if "extended_key_usages" in changes and changes["extended_key_usages"] is None:
                changes["extended_key_usages"] = ()
            updated = replace(current, **changes)
            if current.is_default and not updated.is_default:
                raise invalid(
                    f"isDefault: certificate profile {current.name} is the default of RA Profile "
                    f"{ra.name}; make another profile the default instead"
                )
            _check(updated, ra)
            if updated == current:
                return current
            if updated.is_default and not current.is_default:
                self._unmark_default(tx, tx.certificate_profiles.for_ra_profile(ra.uuid))
            tx.certificate_profiles.update(updated)
            changed = sorted(
                api_name(f.name)
                for f in fields(CertificateProfile)
                if getattr(current, f.name) != getattr(updated, f.name)
            )
            record(
                tx,
                self._d.clock,
                actor.name,
                "certificateProfile.update",
                _OBJECT,
                cp_uuid,
                name=current.name,
                raProfile=ra.uuid,
                changed=changed,
            )
            return updated

    def delete(
        self, actor: Actor, ra_uuid: str, cp_uuid: str, authority_uuid: str | None = None
    ) -> None:
        """Orders made under it and not finalized yet are refused at finalize
        (invalidProfile). The default goes last: then the RA profile offers none."""
        require(actor, Role.ADMIN, Family.RA_PROFILES)
        with self._d.uow(write=True) as tx:
            ra = RaProfileService.find(tx, ra_uuid, authority_uuid)
            profile = self._find(tx, ra, cp_uuid)
            others = [p for p in tx.certificate_profiles.for_ra_profile(ra.uuid) if p != profile]
            if profile.is_default and others:
                raise invalid(
                    f"certificate profile {profile.name} is the default of RA Profile "
                    f"{ra.name}: make another profile the default first"
                )
            tx.certificate_profiles.delete(profile.uuid)
            record(
                tx,
                self._d.clock,
                actor.name,
                "certificateProfile.delete",
                _OBJECT,
                cp_uuid,
                name=profile.name,
                raProfile=ra.uuid,
                raProfileName=ra.name,
            )

    # ------------------------------------------------------------------ helpers

    @staticmethod
    def _find(tx: UnitOfWork, ra: RaProfile, cp_uuid: str) -> CertificateProfile:
        profile = tx.certificate_profiles.get(cp_uuid)
        if profile is None or profile.ra_profile_uuid != ra.uuid:
            raise not_found("Certificate profile")
        return profile

    @staticmethod
    def _unmark_default(tx: UnitOfWork, offered: list[CertificateProfile]) -> None:
        for other in offered:
            if other.is_default:
                tx.certificate_profiles.update(replace(other, is_default=False))

    @staticmethod
    def _detail(profile: CertificateProfile, ra: RaProfile) -> CertificateProfileDetail:
        return CertificateProfileDetail.of(profile, profile_validity(profile, ra))
