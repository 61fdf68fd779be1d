"""Which nonce store a server process builds (setting ``nonce_store``, docs/operations.md).

On PostgreSQL ``auto`` must be the database whatever the number of processes: separate `serve`
commands on several machines behind a load balancer share nothing else, and a nonce one of them
issued must be accepted by the other (RFC 8555 §6.5).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine

from acmehub import bootstrap
from acmehub.config import load_settings
from acmehub.domain.ports import NonceStore
from acmehub.storage.engine import WriteGate
from acmehub.storage.machine_nonces import MachineNonceStore
from acmehub.storage.nonces import ProcessNonceStore, SqlNonceStore

#: Nothing connects to it: building the stores opens no connection.
POSTGRES_URL = "postgresql+psycopg://nobody@127.0.0.1:1/never"


def _store(tmp_path: Path, *, postgres: bool, processes: int, setting: str = "auto") -> NonceStore:
    env = {"ACMEHUB_STATE_DIR": str(tmp_path / "state"), "ACMEHUB_NONCE_STORE": setting}
    if postgres:
        env["ACMEHUB_DATABASE_URL"] = POSTGRES_URL
    settings = load_settings(None, env)
    engine = create_engine(settings.database)
    try:
        clock = bootstrap.SystemClock()
        return bootstrap._nonce_store(settings, WriteGate(engine), clock, processes)
    finally:
        engine.dispose()


@pytest.mark.parametrize("processes", [1, 2, 8])
def test_auto_on_postgresql_is_the_database_whatever_the_process_count(
    tmp_path: Path, processes: int
) -> None:
    assert isinstance(_store(tmp_path, postgres=True, processes=processes), SqlNonceStore)


def test_auto_on_sqlite_is_memory_for_one_process(tmp_path: Path) -> None:
    assert isinstance(_store(tmp_path, postgres=False, processes=1), ProcessNonceStore)


def test_auto_on_sqlite_shares_a_file_between_processes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bootstrap, "machine_boot_id", lambda: "boot-1")
    store = _store(tmp_path, postgres=False, processes=2)
    assert isinstance(store, MachineNonceStore)


def test_auto_on_sqlite_without_a_boot_id_falls_back_to_the_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bootstrap, "machine_boot_id", lambda: None)
    assert isinstance(_store(tmp_path, postgres=False, processes=2), SqlNonceStore)


@pytest.mark.parametrize("processes", [1, 2])
def test_explicit_choices_are_kept_on_postgresql(tmp_path: Path, processes: int) -> None:
    assert isinstance(
        _store(tmp_path, postgres=True, processes=processes, setting="memory"), ProcessNonceStore
    )
    assert isinstance(
        _store(tmp_path, postgres=True, processes=processes, setting="machine"), MachineNonceStore
    )
    assert isinstance(
        _store(tmp_path, postgres=True, processes=processes, setting="database"), SqlNonceStore
    )
