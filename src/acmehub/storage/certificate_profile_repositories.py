"""The repository of certificate profiles (draft-ietf-acme-profiles) over one SQLAlchemy
connection, with its row converters. A write counts as a profiles change, so the cached ACME
request contexts (services.context.ContextCache) read the offered profiles anew."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, delete, select, update
from sqlalchemy.sql import Executable

from acmehub.domain.certificate_profiles import CertificateProfile
from acmehub.storage import tables as t
from acmehub.storage.profile_repositories import bump_change_counter

_T = t.certificate_profiles


def certificate_profile_from_row(r: Mapping[Any, Any]) -> CertificateProfile:
    return CertificateProfile(
        uuid=r["uuid"],
        ra_profile_uuid=r["ra_profile_uuid"],
        name=r["name"],
        description=r["description"],
        is_default=bool(r["is_default"]),
        validity=r["validity"],
        crl_distribution_point=bool(r["crl_distribution_point"]),
        extended_key_usages=tuple(r["extended_key_usages"] or ()),
        common_name=bool(r["common_name"]),
        max_names=r["max_names"],
    )


def certificate_profile_to_row(p: CertificateProfile) -> dict[str, Any]:
    return {
        "uuid": p.uuid,
        "ra_profile_uuid": p.ra_profile_uuid,
        "name": p.name,
        "description": p.description,
        "is_default": p.is_default,
        "validity": p.validity,
        "crl_distribution_point": p.crl_distribution_point,
        "extended_key_usages": list(p.extended_key_usages),
        "common_name": p.common_name,
        "max_names": p.max_names,
    }


class SqlCertificateProfiles:
    def __init__(self, conn: Connection) -> None:
        self._c = conn
        self._changed = False

    def _write(self, statement: Executable) -> None:
        if not self._changed:
            self._changed = True
            bump_change_counter(self._c, "profiles")
        self._c.execute(statement)

    def for_ra_profile(self, ra_profile_uuid: str) -> list[CertificateProfile]:
        """The RA profile's certificate profiles, by name."""
        query = select(_T).where(_T.c.ra_profile_uuid == ra_profile_uuid).order_by(_T.c.name)
        return [certificate_profile_from_row(r._mapping) for r in self._c.execute(query)]

    def get(self, uuid: str) -> CertificateProfile | None:
        row = self._c.execute(select(_T).where(_T.c.uuid == uuid)).first()
        return certificate_profile_from_row(row._mapping) if row else None

    def add(self, profile: CertificateProfile) -> None:
        self._write(_T.insert().values(certificate_profile_to_row(profile)))

    def update(self, profile: CertificateProfile) -> None:
        self._write(
            update(_T).where(_T.c.uuid == profile.uuid).values(certificate_profile_to_row(profile))
        )

    def delete(self, uuid: str) -> None:
        self._write(delete(_T).where(_T.c.uuid == uuid))

    def delete_for_ra_profile(self, ra_profile_uuid: str) -> bool:
        """Remove the RA profile's certificate profiles (before the RA profile itself);
        whether it had any."""
        if not self._c.execute(
            select(_T.c.uuid).where(_T.c.ra_profile_uuid == ra_profile_uuid).limit(1)
        ).first():
            return False
        self._write(delete(_T).where(_T.c.ra_profile_uuid == ra_profile_uuid))
        return True
