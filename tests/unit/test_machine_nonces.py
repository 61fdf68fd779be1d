"""Nonces shared by the server processes of one machine through a mapped file (RFC 8555 §6.5)."""

from __future__ import annotations

import base64
import multiprocessing
import os
import stat
from datetime import timedelta
from pathlib import Path

import pytest

from acmehub.storage.machine_nonces import MachineNonceStore
from tests.fakes import FixedClock

LIFETIME = timedelta(hours=1)


def _store(path: Path, clock: FixedClock | None = None, **kw: object) -> MachineNonceStore:
    boot = kw.pop("boot", "boot-1")
    return MachineNonceStore(
        path / "nonces.map", clock or FixedClock(), LIFETIME, boot_id=lambda: boot, **kw
    )  # type: ignore[arg-type]


def test_a_nonce_of_one_process_is_good_exactly_once_in_any(tmp_path: Path) -> None:
    one, other = _store(tmp_path), _store(tmp_path)
    nonce = one.issue()
    assert other.consume(nonce) is True
    assert one.consume(nonce) is False
    assert other.consume(nonce) is False
    issued = [one.issue() if i % 2 else other.issue() for i in range(40)]
    assert len(set(issued)) == 40, "two stores on one file never issue the same nonce"
    assert all(len(n) == 32 and base64.urlsafe_b64decode(n) for n in issued)


def test_unknown_tampered_and_expired_nonces_are_refused(tmp_path: Path) -> None:
    clock = FixedClock()
    store = _store(tmp_path, clock)
    good = store.issue()
    raw = bytearray(base64.urlsafe_b64decode(good))
    raw[0] ^= 1  # another counter under the same MAC
    tampered = base64.urlsafe_b64encode(bytes(raw)).decode()
    for bad in ("", "never-issued", "x" * 32, "!" * 32, tampered):
        assert store.consume(bad) is False, bad
    late = store.issue()
    clock.advance(LIFETIME)
    assert store.consume(late) is False
    assert store.consume(store.issue()) is True


def test_nonces_older_than_the_window_are_refused(tmp_path: Path) -> None:
    store = _store(tmp_path, window=16)
    oldest = store.issue()
    newer = [store.issue() for _ in range(16)]
    assert store.consume(oldest) is False  # 16 issued after it: out of the window
    assert store.consume(newer[0]) is True  # the oldest still inside
    assert store.consume(newer[0]) is False


def test_the_file_is_private_and_survives_a_restart_of_the_processes(tmp_path: Path) -> None:
    before = _store(tmp_path)
    used, unused = before.issue(), before.issue()
    assert before.consume(used)
    before.close()
    assert stat.S_IMODE(os.stat(tmp_path / "nonces.map").st_mode) == 0o600
    after = _store(tmp_path)  # same boot: a process restart keeps the key and the used bits
    assert after.consume(used) is False
    assert after.consume(unused) is True


def test_a_new_boot_rebuilds_the_file_and_refuses_every_earlier_nonce(tmp_path: Path) -> None:
    before = _store(tmp_path, boot="boot-1")
    used, unused = before.issue(), before.issue()
    assert before.consume(used)
    before.close()
    after = _store(tmp_path, boot="boot-2")  # the machine crashed or rebooted in between
    assert after.consume(used) is False
    assert after.consume(unused) is False
    assert after.consume(after.issue()) is True


def test_a_damaged_file_is_rebuilt(tmp_path: Path) -> None:
    (tmp_path / "nonces.map").write_bytes(b"not a nonce map")
    store = _store(tmp_path)
    assert store.consume(store.issue()) is True


def test_a_system_without_a_boot_id_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="boot id"):
        MachineNonceStore(tmp_path / "n", FixedClock(), LIFETIME, boot_id=lambda: None)


def _consume_all(path: str, nonces: list[str], start: multiprocessing.synchronize.Event) -> int:
    store = MachineNonceStore(Path(path), FixedClock(), LIFETIME, boot_id=lambda: "boot-1")
    start.wait(30)
    return sum(store.consume(n) for n in nonces)


def test_processes_sharing_the_file_accept_each_nonce_exactly_once_in_all(
    tmp_path: Path,
) -> None:
    issuer = _store(tmp_path)
    nonces = [issuer.issue() for _ in range(3000)]
    ctx = multiprocessing.get_context("spawn")
    start = ctx.Manager().Event()
    path = str(tmp_path / "nonces.map")
    with ctx.Pool(3) as pool:
        results = [pool.apply_async(_consume_all, (path, nonces, start)) for _ in range(3)]
        start.set()
        accepted = [r.get(timeout=60) for r in results]
    assert sum(accepted) == len(nonces), accepted
    assert not any(issuer.consume(n) for n in nonces)
