"""Status rules (RFC 8555 §7.1.6): what can be derived is derived, not stored twice."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from acmehub.domain.errors import ErrorKind, Problem
from acmehub.domain.model import (
    Authorization,
    AuthzStatus,
    Challenge,
    ChallengeStatus,
    Order,
    OrderStatus,
)

_FINAL_AUTHZ_FAILURES = {
    AuthzStatus.INVALID,
    AuthzStatus.DEACTIVATED,
    AuthzStatus.EXPIRED,
    AuthzStatus.REVOKED,
}


def authorization_status(authz: Authorization, now: datetime) -> AuthzStatus:
    """An authorization past its expiry that was pending or valid reads as expired."""
    if authz.status in (AuthzStatus.PENDING, AuthzStatus.VALID) and now >= authz.expires:
        return AuthzStatus.EXPIRED
    return authz.status


def order_status(
    order: Order, authorizations: Sequence[Authorization], now: datetime
) -> tuple[OrderStatus, Problem | None]:
    """The order's status and error as a client must see them now.

    pending -> ready only when EVERY authorization is valid; invalid as soon as one fails or the
    order expires before it is finalized (RFC 8555 §7.1.6).
    """
    if order.status in (OrderStatus.VALID, OrderStatus.INVALID, OrderStatus.PROCESSING):
        return order.status, order.error
    if now >= order.expires:
        return OrderStatus.INVALID, Problem(
            ErrorKind.MALFORMED, "order expired before it was finalized"
        )
    statuses = [authorization_status(a, now) for a in authorizations]
    for authz, status in zip(authorizations, statuses, strict=True):
        if status in _FINAL_AUTHZ_FAILURES:
            return OrderStatus.INVALID, failed_authorization_problem(authz, status)
    # Never ready without authorizations: all() of nothing is True.
    if (
        authorizations
        and len(authorizations) == len(order.authorization_ids)
        and all(s is AuthzStatus.VALID for s in statuses)
    ):
        return OrderStatus.READY, None
    return OrderStatus.PENDING, None


def failed_authorization_problem(authz: Authorization, status: AuthzStatus) -> Problem:
    ident = (authz.identifier.type, authz.identifier.value)
    for challenge in authz.challenges:
        if challenge.error is not None:
            return Problem(
                challenge.error.kind,
                f"authorization for {authz.identifier.value} failed: {challenge.error.detail}",
                ident,
            )
    return Problem(
        ErrorKind.UNAUTHORIZED,
        f"authorization for {authz.identifier.value} is {status.value}",
        ident,
    )


def can_start_challenge(challenge: Challenge, authz_status: AuthzStatus) -> bool:
    return challenge.status is ChallengeStatus.PENDING and authz_status is AuthzStatus.PENDING
