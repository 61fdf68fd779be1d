"""The in-memory nonce store of a single server process (RFC 8555 §6.5)."""

from __future__ import annotations

import base64
from datetime import timedelta

from acmehub.storage.nonces import ProcessNonceStore
from tests.fakes import FixedClock

LIFETIME = timedelta(hours=1)


def test_a_nonce_is_good_exactly_once() -> None:
    store = ProcessNonceStore(FixedClock(), LIFETIME)
    nonce = store.issue()
    assert store.consume(nonce) is True
    assert store.consume(nonce) is False


def test_nonces_are_distinct_base64url_and_unknown_ones_are_refused() -> None:
    store = ProcessNonceStore(FixedClock(), LIFETIME)
    issued = [store.issue() for _ in range(50)]
    assert len(set(issued)) == 50
    assert all(len(n) == 32 and base64.urlsafe_b64decode(n) for n in issued)
    altered = issued[0][:-1] + ("B" if issued[0].endswith("A") else "A")  # another MAC
    for bad in ("", "never-issued", "x" * 32, "!" * 32, altered):
        assert store.consume(bad) is False, bad
    assert all(store.consume(n) for n in issued[1:])


def test_a_tampered_nonce_is_refused() -> None:
    store = ProcessNonceStore(FixedClock(), LIFETIME)
    raw = bytearray(base64.urlsafe_b64decode(store.issue()))
    raw[0] ^= 1  # another counter under the same MAC
    assert store.consume(base64.urlsafe_b64encode(bytes(raw)).decode()) is False


def test_a_nonce_expires_after_its_lifetime() -> None:
    clock = FixedClock()
    store = ProcessNonceStore(clock, LIFETIME)
    early, late = store.issue(), store.issue()
    clock.advance(LIFETIME - timedelta(seconds=1))
    assert store.consume(early) is True
    clock.advance(seconds=1)
    assert store.consume(late) is False


def test_nonces_of_an_earlier_process_are_refused() -> None:
    """A restart draws a new key: nothing used before it can be replayed after it."""
    clock = FixedClock()
    before = ProcessNonceStore(clock, LIFETIME)
    used, unused = before.issue(), before.issue()
    assert before.consume(used)
    after = ProcessNonceStore(clock, LIFETIME)
    assert after.consume(used) is False
    assert after.consume(unused) is False
    assert after.consume(after.issue()) is True


def test_memory_is_bounded_and_old_nonces_are_refused_past_the_window() -> None:
    store = ProcessNonceStore(FixedClock(), LIFETIME, max_used=4)
    oldest_unused = store.issue()
    used = [store.issue() for _ in range(6)]
    assert all(store.consume(n) for n in used)
    # Six used, four remembered: everything at or below the forgotten ones is refused,
    # the used ones stay refused, and an older nonce never used is refused too.
    assert not any(store.consume(n) for n in used)
    assert store.consume(oldest_unused) is False
    assert store.consume(store.issue()) is True
