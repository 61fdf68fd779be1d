"""The repository of ACME profiles, RA profiles and Authorities over one SQLAlchemy connection
(inside a unit of work's transaction)."""

from __future__ import annotations

from sqlalchemy import Connection, delete, select, update
from sqlalchemy.sql import Executable

from acmehub.domain.model import AcmeProfile, Authority, RaProfile
from acmehub.storage import converters as cv
from acmehub.storage import tables as t
from acmehub.storage.statements import select_by

# Prepared statements (hot paths): built once, compiled once per dialect, run on the DBAPI
# cursor: see statements.py. INSERT/UPDATE binds are named after the columns, so a converter's
# *_to_row dict is the parameters as it is.

_ACME_PROFILE_BY_NAME = select_by(t.acme_profiles, "name")
_ACME_PROFILE_BY_UUID = select_by(t.acme_profiles, "uuid")
_RA_PROFILE_BY_NAME = select_by(t.ra_profiles, "name")
_RA_PROFILE_BY_UUID = select_by(t.ra_profiles, "uuid")
_AUTHORITY_BY_UUID = select_by(t.authorities, "uuid")


def bump_change_counter(conn: Connection, name: str) -> None:
    """Count a change in the caller's transaction (see tables.change_counters)."""
    c = t.change_counters.c
    bumped = conn.execute(update(t.change_counters).where(c.name == name).values(value=c.value + 1))
    if bumped.rowcount == 0:  # a schema made without the migrations' initial row
        conn.execute(t.change_counters.insert().values(name=name, value=1))


class SqlProfiles:
    def __init__(self, conn: Connection) -> None:
        self._c = conn
        #: Whether this transaction wrote a profile or Authority (caches must re-read them).
        self.changed = False

    def _write(self, statement: Executable) -> None:
        if not self.changed:
            self.changed = True
            bump_change_counter(self._c, "profiles")
        self._c.execute(statement)

    def acme_profile_by_name(self, name: str) -> AcmeProfile | None:
        row = _ACME_PROFILE_BY_NAME.first(self._c, {"name": name})
        return cv.acme_profile_from_row(row) if row else None

    def acme_profile(self, uuid: str) -> AcmeProfile | None:
        row = _ACME_PROFILE_BY_UUID.first(self._c, {"uuid": uuid})
        return cv.acme_profile_from_row(row) if row else None

    def ra_profile_by_name(self, name: str) -> RaProfile | None:
        row = _RA_PROFILE_BY_NAME.first(self._c, {"name": name})
        return cv.ra_profile_from_row(row) if row else None

    def ra_profile(self, uuid: str) -> RaProfile | None:
        row = _RA_PROFILE_BY_UUID.first(self._c, {"uuid": uuid})
        return cv.ra_profile_from_row(row) if row else None

    def authority(self, uuid: str) -> Authority | None:
        row = _AUTHORITY_BY_UUID.first(self._c, {"uuid": uuid})
        return cv.authority_from_row(row) if row else None

    def add_authority(self, authority: Authority) -> None:
        self._write(t.authorities.insert().values(cv.authority_to_row(authority)))

    def add_ra_profile(self, profile: RaProfile) -> None:
        self._write(t.ra_profiles.insert().values(cv.ra_profile_to_row(profile)))

    def update_ra_profile(self, profile: RaProfile) -> None:
        self._write(
            update(t.ra_profiles)
            .where(t.ra_profiles.c.uuid == profile.uuid)
            .values(cv.ra_profile_to_row(profile))
        )

    def add_acme_profile(self, profile: AcmeProfile) -> None:
        self._write(t.acme_profiles.insert().values(cv.acme_profile_to_row(profile)))

    def update_acme_profile(self, profile: AcmeProfile) -> None:
        self._write(
            update(t.acme_profiles)
            .where(t.acme_profiles.c.uuid == profile.uuid)
            .values(cv.acme_profile_to_row(profile))
        )

    def list_authorities(self) -> list[Authority]:
        rows = self._c.execute(select(t.authorities).order_by(t.authorities.c.name))
        return [cv.authority_from_row(r._mapping) for r in rows]

    def update_authority(self, authority: Authority) -> None:
        self._write(
            update(t.authorities)
            .where(t.authorities.c.uuid == authority.uuid)
            .values(cv.authority_to_row(authority))
        )

    def delete_authority(self, uuid: str) -> None:
        self._write(delete(t.authorities).where(t.authorities.c.uuid == uuid))

    def list_ra_profiles(self, authority_uuid: str | None = None) -> list[RaProfile]:
        query = select(t.ra_profiles).order_by(t.ra_profiles.c.name)
        if authority_uuid is not None:
            query = query.where(t.ra_profiles.c.authority_uuid == authority_uuid)
        return [cv.ra_profile_from_row(r._mapping) for r in self._c.execute(query)]

    def delete_ra_profile(self, uuid: str) -> None:
        self._write(delete(t.ra_profiles).where(t.ra_profiles.c.uuid == uuid))

    def list_acme_profiles(self) -> list[AcmeProfile]:
        rows = self._c.execute(select(t.acme_profiles).order_by(t.acme_profiles.c.name))
        return [cv.acme_profile_from_row(r._mapping) for r in rows]

    def delete_acme_profile(self, uuid: str) -> None:
        self._write(delete(t.acme_profiles).where(t.acme_profiles.c.uuid == uuid))
