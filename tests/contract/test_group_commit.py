"""SQLite's group commit (storage/group_commit.py): write units of requests in the event loop
share one durable commit, each sees the units before it, a failed unit changes nothing, and a
unit returns only once its write is committed."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text

from acmehub.concurrency import run_sync
from acmehub.storage.engine import WriteGate, make_engine
from tests.support.isolated import run_isolated


@pytest.fixture
def gate(tmp_path: Path) -> WriteGate:
    engine = make_engine(f"sqlite:///{tmp_path / 'g.db'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER)"))
    return WriteGate(engine)


def committed(gate: WriteGate) -> dict[str, int]:
    """What another connection (another process) reads now."""
    path = gate.engine.url.database
    assert path is not None
    with sqlite3.connect(path) as other:
        return dict(other.execute("SELECT k, v FROM t").fetchall())


def test_concurrent_units_share_commits_and_return_after_theirs(gate: WriteGate) -> None:
    seen_after_return: list[bool] = []

    def unit(n: int) -> None:
        with gate.transaction() as conn:
            conn.execute(text("INSERT INTO t VALUES (:k, :v)"), {"k": f"k{n}", "v": n})
        # Back in the request: the write is durable, another connection sees it.
        seen_after_return.append(f"k{n}" in committed(gate))

    async def requests() -> None:
        await asyncio.gather(*(run_sync(unit, n) for n in range(40)))

    run_isolated(requests())
    group = gate.group
    assert group is not None
    assert seen_after_return == [True] * 40
    assert committed(gate) == {f"k{n}": n for n in range(40)}
    assert group.units == 40
    assert 1 <= group.groups < 40  # units that came together shared a commit


def test_a_failed_unit_changes_nothing_and_its_group_commits_the_others(
    gate: WriteGate,
) -> None:
    def good(n: int) -> None:
        with gate.transaction() as conn:
            conn.execute(text("INSERT INTO t VALUES (:k, :v)"), {"k": f"g{n}", "v": n})

    def bad() -> None:
        with gate.transaction() as conn:
            conn.execute(text("INSERT INTO t VALUES ('bad', 1)"))
            raise RuntimeError("the use case refused")

    def sees_earlier_units() -> int:
        with gate.transaction() as conn:
            return int(conn.execute(text("SELECT count(*) FROM t")).scalar_one())

    async def requests() -> list[object]:
        return await asyncio.gather(
            run_sync(good, 1),
            run_sync(bad),
            run_sync(good, 2),
            run_sync(sees_earlier_units),
            return_exceptions=True,
        )

    results = run_isolated(requests())
    assert isinstance(results[1], RuntimeError)
    assert results[3] == 2  # the two good units before it, not the failed one
    assert committed(gate) == {"g1": 1, "g2": 2}


def test_reads_in_the_loop_see_committed_data_only(gate: WriteGate) -> None:
    def write_then_read() -> int:
        with gate.transaction() as conn:
            conn.execute(text("INSERT INTO t VALUES ('a', 1)"))
        with gate.sqlite_read() as conn:
            return int(conn.execute(text("SELECT count(*) FROM t")).scalar_one())

    assert run_isolated(run_sync(write_then_read)) == 1
