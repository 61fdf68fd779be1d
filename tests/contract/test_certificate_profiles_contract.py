"""Certificate profiles in storage: one contract for the in-memory fakes, SQLite and PostgreSQL
(unique name per RA profile, a write seen by the profiles change counter), and migration 0014
on both databases (every RA profile that existed gets a "default" that changes nothing)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError

from acmehub.domain.certificate_profiles import CertificateProfile
from acmehub.domain.ports import UnitOfWorkFactory
from acmehub.storage.engine import WriteGate, make_engine
from acmehub.storage.migrate import upgrade
from acmehub.storage.tables import metadata
from acmehub.storage.unit_of_work import SqlUnitOfWorkFactory
from tests.contract.test_repository_contract import NOW, _seed_profiles
from tests.fakes import FixedClock, MemoryUnitOfWorkFactory
from tests.support.postgres import PostgresCluster


@pytest.fixture(scope="module")
def cprof_postgres_engine(postgres: PostgresCluster) -> Iterator[Engine]:
    engine = make_engine(postgres.new_database("certificate_profiles"), pool_size=2)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture(params=["memory", "sql", "postgresql"])
def uow(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[UnitOfWorkFactory]:
    clock = FixedClock(NOW)
    if request.param == "memory":
        yield MemoryUnitOfWorkFactory(clock)
        return
    if request.param == "postgresql":
        engine: Engine = request.getfixturevalue("cprof_postgres_engine")
        names = ", ".join(table.name for table in metadata.sorted_tables)
        with engine.begin() as conn:
            conn.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
    else:
        engine = make_engine(f"sqlite:///{tmp_path / 'acmehub.db'}", pool_size=2)
        upgrade(engine)
    try:
        yield SqlUnitOfWorkFactory(WriteGate(engine), clock)
    finally:
        if request.param == "sql":
            engine.dispose()


def _profile(ra_uuid: str, name: str, **fields: object) -> CertificateProfile:
    return CertificateProfile(str(uuid.uuid4()), ra_uuid, name, **fields)  # type: ignore[arg-type]


def test_profiles_round_trip_and_count_as_profile_changes(uow: UnitOfWorkFactory) -> None:
    _, _, ra = _seed_profiles(uow)
    short = _profile(
        ra.uuid,
        "shortlived",
        description="7 days",
        validity=604800,
        crl_distribution_point=False,
        extended_key_usages=("serverAuth", "clientAuth"),
        common_name=False,
        max_names=3,
    )
    default = _profile(ra.uuid, "tlsserver", is_default=True)
    before = uow.profiles_generation()
    with uow(write=True) as tx:
        tx.certificate_profiles.add(short)
        tx.certificate_profiles.add(default)
    assert uow.profiles_generation() != before
    with uow() as tx:
        assert tx.certificate_profiles.for_ra_profile(ra.uuid) == [short, default]
        assert tx.certificate_profiles.get(short.uuid) == short
        assert tx.certificate_profiles.for_ra_profile("other") == []
    with uow(write=True) as tx:
        tx.certificate_profiles.update(replace(short, validity=None, max_names=None))
    with uow() as tx:
        assert tx.certificate_profiles.get(short.uuid) == replace(
            short, validity=None, max_names=None
        )
    with pytest.raises(IntegrityError), uow(write=True) as tx:
        tx.certificate_profiles.add(_profile(ra.uuid, "shortlived"))
    with uow(write=True) as tx:
        tx.certificate_profiles.delete(short.uuid)
        assert tx.certificate_profiles.delete_for_ra_profile(ra.uuid) is True
        assert tx.certificate_profiles.delete_for_ra_profile(ra.uuid) is False
    with uow() as tx:
        assert tx.certificate_profiles.for_ra_profile(ra.uuid) == []


def _migrate_from_0012(engine: Engine) -> None:
    upgrade(engine, "0012")
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO authorities (uuid, name, kind, enabled, config, key_material) "
                "VALUES ('a1', 'CA', 'embedded', true, '{}', '{}')"
            )
        )
        for ra in ("r1", "r2"):
            conn.execute(
                text(
                    "INSERT INTO ra_profiles (uuid, name, authority_uuid, enabled, description, "
                    "validity_default, validity_max, acme_issue_attributes, "
                    "acme_revoke_attributes, policy) VALUES "
                    f"('{ra}', '{ra}', 'a1', true, '', 86400, 86400, '{{}}', '{{}}', '{{}}')"
                )
            )
    upgrade(engine)


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_migration_gives_every_ra_profile_a_default(
    database: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if database == "sqlite":
        url = f"sqlite:///{tmp_path / 'old.db'}"
    else:
        url = request.getfixturevalue("postgres").new_database("cprof_migration")
    engine = make_engine(url, pool_size=2)
    try:
        _migrate_from_0012(engine)
        factory = SqlUnitOfWorkFactory(WriteGate(engine), FixedClock(NOW))
        with factory() as tx:
            for ra in ("r1", "r2"):
                (made,) = tx.certificate_profiles.for_ra_profile(ra)
                assert (made.name, made.is_default) == ("default", True)
                # Only fallbacks: the RA profile's validity, policy EKUs and names cap apply.
                assert (made.validity, made.extended_key_usages, made.max_names) == (None, (), None)
                assert made.crl_distribution_point
                assert made.common_name
    finally:
        engine.dispose()
