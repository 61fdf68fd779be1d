"""The compare-and-set a validation result relies on (RFC 8555 §7.1.6), on the in-memory fakes,
SQLite and PostgreSQL: an authorization changes status only from an expected one and while
unexpired; a challenge is settled only while it is still processing."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from acmehub.domain.model import AuthzStatus, ChallengeStatus
from tests.contract.test_repository_contract import (
    NOW,
    Store,
    add_account_and_order,
    authorization,
    postgres_engine,
    store,
)

__all__ = ["postgres_engine", "store"]

PENDING, VALID, INVALID = AuthzStatus.PENDING, AuthzStatus.VALID, AuthzStatus.INVALID
DEACTIVATED = AuthzStatus.DEACTIVATED


def stored_status(store: Store, authz_id: str) -> AuthzStatus:
    with store.uow() as tx:
        found = tx.authorizations.get(authz_id)
    assert found is not None
    return found.status


def test_a_pending_authorization_is_decided_once(store: Store) -> None:
    acct, ordr = add_account_and_order(store)
    authz = authorization(acct.id, "authz-1-a")
    with store.uow(write=True) as tx:
        tx.authorizations.add(authz, ordr.id)
    with store.uow(write=True) as tx:
        assert tx.authorizations.change_status(authz.id, (PENDING,), VALID, NOW)
    with store.uow(write=True) as tx:
        # Already decided: a second result (or a late one) changes nothing.
        assert not tx.authorizations.change_status(authz.id, (PENDING,), INVALID, NOW)
        assert not tx.authorizations.change_status("unknown", (PENDING,), INVALID, NOW)
    assert stored_status(store, authz.id) is VALID


def test_a_deactivated_authorization_is_never_revived(store: Store) -> None:
    acct, ordr = add_account_and_order(store)
    authz = authorization(acct.id, "authz-1-a")
    with store.uow(write=True) as tx:
        tx.authorizations.add(authz, ordr.id)
        assert tx.authorizations.change_status(authz.id, (PENDING, VALID), DEACTIVATED, NOW)
    with store.uow(write=True) as tx:
        assert not tx.authorizations.change_status(authz.id, (PENDING,), VALID, NOW)
    assert stored_status(store, authz.id) is DEACTIVATED


def test_an_expired_authorization_is_not_decided(store: Store) -> None:
    acct, ordr = add_account_and_order(store)
    authz = authorization(acct.id, "authz-1-a", expires=NOW + timedelta(minutes=5))
    with store.uow(write=True) as tx:
        tx.authorizations.add(authz, ordr.id)
    with store.uow(write=True) as tx:
        assert not tx.authorizations.change_status(authz.id, (PENDING,), VALID, authz.expires)
    assert stored_status(store, authz.id) is PENDING
    with store.uow(write=True) as tx:
        moment = authz.expires - timedelta(microseconds=1)
        assert tx.authorizations.change_status(authz.id, (PENDING,), VALID, moment)


def test_a_challenge_is_settled_only_while_processing(store: Store) -> None:
    acct, ordr = add_account_and_order(store)
    authz = authorization(acct.id, "authz-1-a", challenge_status=ChallengeStatus.PROCESSING)
    with store.uow(write=True) as tx:
        tx.authorizations.add(authz, ordr.id)
    challenge = authz.challenges[0]
    valid = replace(challenge, status=ChallengeStatus.VALID, validated=NOW)
    with store.uow(write=True) as tx:
        assert tx.authorizations.settle_challenge(valid)
    with store.uow(write=True) as tx:
        late = replace(challenge, status=ChallengeStatus.INVALID)
        assert not tx.authorizations.settle_challenge(late)
    with store.uow() as tx:
        assert tx.authorizations.challenge(challenge.id) == valid
    with pytest.raises(ValueError, match="valid or invalid"), store.uow(write=True) as tx:
        tx.authorizations.settle_challenge(challenge)
