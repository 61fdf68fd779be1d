"""The key blocklist and the re-revocation update, one contract for the in-memory fakes,
SQLite and PostgreSQL (as tests/contract/test_repository_contract.py does for the rest)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import Engine

from acmehub.domain.model import BlockedKey
from acmehub.domain.ports import UnitOfWorkFactory
from acmehub.storage.engine import WriteGate, make_engine
from acmehub.storage.migrate import upgrade
from acmehub.storage.tables import metadata
from acmehub.storage.unit_of_work import SqlUnitOfWorkFactory
from tests.contract.test_repository_contract import (
    NOW,
    _seed_profiles,
    account,
    certificate,
    order,
)
from tests.fakes import FixedClock, MemoryUnitOfWorkFactory
from tests.support.postgres import PostgresCluster

KEY = "ab" * 32


@pytest.fixture(scope="module")
def blocklist_postgres_engine(postgres: PostgresCluster) -> Iterator[Engine]:
    engine = make_engine(postgres.new_database("blocked_keys"), pool_size=2)
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
        engine: Engine = request.getfixturevalue("blocklist_postgres_engine")
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


def test_a_blocked_key_round_trips(uow: UnitOfWorkFactory) -> None:
    entry = BlockedKey(KEY, NOW, "acme:certkey:" + KEY, "cert-1")
    with uow(write=True) as tx:
        assert tx.blocked_keys.get(KEY) is None
        assert tx.blocked_keys.add(entry) is True
    with uow() as tx:
        assert tx.blocked_keys.get(KEY) == entry
        assert tx.blocked_keys.get("cd" * 32) is None


def test_blocking_again_keeps_the_first_entry(uow: UnitOfWorkFactory) -> None:
    first = BlockedKey(KEY, NOW, "admin", None)
    with uow(write=True) as tx:
        assert tx.blocked_keys.add(first) is True
    with uow(write=True) as tx:
        later = BlockedKey(KEY, NOW + timedelta(hours=1), "someone else", "cert-2")
        assert tx.blocked_keys.add(later) is False
    with uow() as tx:
        assert tx.blocked_keys.get(KEY) == first


def _block_then_fail(uow: UnitOfWorkFactory) -> None:
    with uow(write=True) as tx:
        tx.blocked_keys.add(BlockedKey(KEY, NOW, "admin"))
        raise RuntimeError("abort")


def test_a_rolled_back_block_leaves_nothing(uow: UnitOfWorkFactory) -> None:
    with pytest.raises(RuntimeError):
        _block_then_fail(uow)
    with uow() as tx:
        assert tx.blocked_keys.get(KEY) is None


def test_only_a_revoked_certificate_changes_its_reason(uow: UnitOfWorkFactory) -> None:
    _, acme, ra = _seed_profiles(uow)
    acct = account(SimpleNamespace(acme=acme, ra=ra))  # type: ignore[arg-type]
    cert = certificate(acct.id, "order-1")
    with uow(write=True) as tx:
        tx.accounts.add(acct)
        tx.orders.add(order(acct.id))
        tx.certificates.add(cert)
        assert tx.certificates.change_revocation_reason(cert.id, 1) is False  # not revoked
        assert tx.certificates.mark_revoked(cert.id, NOW, 4) is True
    with uow(write=True) as tx:
        assert tx.certificates.change_revocation_reason(cert.id, 1) is True
        assert tx.certificates.change_revocation_reason(cert.id, 1) is False  # has it already
        assert tx.certificates.change_revocation_reason("unknown", 1) is False
    with uow() as tx:
        # The revocation time stays: only the reason moves.
        assert tx.certificates.get(cert.id) == replace(cert, revoked_at=NOW, revocation_reason=1)
