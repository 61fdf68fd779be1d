"""What finalize relies on from storage, on both databases: an order read in a write transaction
stays locked until it commits, and the issuance claim is won by one of two claimers."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from acmehub.bootstrap import Container
from acmehub.config import Settings
from acmehub.domain.model import Account, AccountStatus, Identifier, Order, OrderStatus
from acmehub.setup_state import init_state
from tests.durability.conftest import DATABASES, database_url
from tests.durability.driver import at_once

T0 = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)


class SteppedClock:
    def __init__(self) -> None:
        self.at = T0

    def now(self) -> datetime:
        return self.at


@pytest.fixture(params=DATABASES)
def store(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[Container, SteppedClock]]:
    url = database_url(request, str(request.param), "locks")
    clock = SteppedClock()
    container = init_state(
        Settings(state_dir=tmp_path / "state", database_url=url),
        clock,  # type: ignore[arg-type]
    )
    try:
        yield container, clock
    finally:
        container.engine.dispose()


def add_order(container: Container, status: OrderStatus) -> str:
    uow = container.services.deps.uow
    with uow(write=True) as tx:
        acme = tx.profiles.acme_profile_by_name("default")
        assert acme is not None
        assert acme.default_ra_profile_uuid is not None
        account = Account(
            id=f"acct-{time.monotonic_ns()}",
            uuid=f"{time.monotonic_ns():036d}",
            key_thumbprint=f"thumb-{time.monotonic_ns()}",
            jwk={},
            status=AccountStatus.VALID,
            enabled=True,
            contact=(),
            terms_of_service_agreed=True,
            acme_profile_uuid=acme.uuid,
            ra_profile_uuid=acme.default_ra_profile_uuid,
            via_default_ra_profile=True,
            created_at=T0,
        )
        tx.accounts.add(account)
        order = Order(
            id=f"order-{time.monotonic_ns()}",
            account_id=account.id,
            status=status,
            identifiers=(Identifier("dns", "example.com"),),
            authorization_ids=(),
            expires=T0 + timedelta(days=1),
            created_at=T0,
            acme_profile_uuid=acme.uuid,
            ra_profile_uuid=acme.default_ra_profile_uuid,
        )
        tx.orders.add(order)
    return order.id


def test_the_issuance_claim_needs_a_processing_order_untouched_since(
    store: tuple[Container, SteppedClock],
) -> None:
    container, clock = store
    uow = container.services.deps.uow
    processing = add_order(container, OrderStatus.PROCESSING)  # touched at T0
    ready = add_order(container, OrderStatus.READY)
    with uow(write=True) as tx:
        assert not tx.orders.claim_issuance(ready, T0)
        assert not tx.orders.claim_issuance(processing, T0 - timedelta(seconds=1))
        assert not tx.orders.claim_issuance("no-such-order", T0)
    clock.at = T0 + timedelta(seconds=5)
    with uow(write=True) as tx:
        assert tx.orders.claim_issuance(processing, T0)  # touched now: T0 + 5s
    with uow(write=True) as tx:
        # The claim taken with T0 is gone for anyone else still holding T0 ...
        assert not tx.orders.claim_issuance(processing, T0)
        # ... and no longer stuck for a cut-off before the new touch.
        assert tx.orders.stuck_processing(T0 + timedelta(seconds=5), 10) == []
        assert tx.orders.claim_issuance(processing, T0 + timedelta(seconds=5))


def test_two_claims_at_once_one_wins(store: tuple[Container, SteppedClock]) -> None:
    container, clock = store
    uow = container.services.deps.uow
    for _ in range(10):
        order_id = add_order(container, OrderStatus.PROCESSING)
        clock.at += timedelta(seconds=10)
        cutoff = clock.at - timedelta(seconds=5)  # as two resume_stuck would

        def claim(order_id: str = order_id, cutoff: datetime = cutoff) -> bool:
            with uow(write=True) as tx:
                return tx.orders.claim_issuance(order_id, cutoff)

        assert sorted(at_once(claim, claim)) == [False, True]


def test_an_order_read_for_writing_is_locked_until_commit(
    store: tuple[Container, SteppedClock],
) -> None:
    """Two write transactions read a ready order and move it on: the second one waits for the
    first and then sees it processing (PostgreSQL: FOR UPDATE; SQLite: BEGIN IMMEDIATE)."""
    container, _ = store
    uow = container.services.deps.uow
    for _ in range(5):
        order_id = add_order(container, OrderStatus.READY)
        inside = threading.Event()

        def take(order_id: str = order_id, inside: threading.Event = inside) -> bool:
            with uow(write=True) as tx:
                order = tx.orders.get(order_id)
                assert order is not None
                inside.set()
                time.sleep(0.2)  # hold the lock while the other transaction starts
                if order.status is not OrderStatus.READY:
                    return False
                tx.orders.update(replace(order, status=OrderStatus.PROCESSING))
                return True

        def take_later(order_id: str = order_id, inside: threading.Event = inside) -> bool:
            assert inside.wait(10)
            return take(order_id)

        assert sorted(at_once(take, take_later)) == [False, True]
