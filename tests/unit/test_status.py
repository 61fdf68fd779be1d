"""Order and authorization status derivation (RFC 8555 §7.1.6), as properties."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from acmehub.domain.errors import ErrorKind, Problem
from acmehub.domain.model import (
    Authorization,
    AuthzStatus,
    Challenge,
    ChallengeStatus,
    ChallengeType,
    Identifier,
    Order,
    OrderStatus,
)
from acmehub.domain.status import (
    authorization_status,
    can_start_challenge,
    failed_authorization_problem,
    order_status,
)

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
FAILED = {AuthzStatus.INVALID, AuthzStatus.DEACTIVATED, AuthzStatus.EXPIRED, AuthzStatus.REVOKED}

# Offsets from NOW in seconds; 0 is the boundary (expired at exactly its expiry).
_offsets = st.integers(min_value=-3600, max_value=3600) | st.just(0)


def authz(
    n: int,
    status: AuthzStatus,
    expires_in: int = 3600,
    error: Problem | None = None,
) -> Authorization:
    authz_id = f"authz-{n}"
    return Authorization(
        id=authz_id,
        account_id="acct",
        identifier=Identifier("dns", f"n{n}.example.com"),
        wildcard=False,
        status=status,
        expires=NOW + timedelta(seconds=expires_in),
        challenges=(
            Challenge(
                f"{authz_id}-c",
                authz_id,
                ChallengeType.DNS_01,
                "token",
                ChallengeStatus.INVALID if error else ChallengeStatus.PENDING,
                error=error,
            ),
        ),
    )


def order_with(
    authzs: list[Authorization],
    status: OrderStatus = OrderStatus.PENDING,
    expires_in: int = 3600,
    error: Problem | None = None,
) -> Order:
    return Order(
        id="order",
        account_id="acct",
        status=status,
        identifiers=tuple(a.identifier for a in authzs),
        authorization_ids=tuple(a.id for a in authzs),
        expires=NOW + timedelta(seconds=expires_in),
        created_at=NOW - timedelta(hours=1),
        error=error,
    )


authz_lists = st.lists(
    st.tuples(st.sampled_from(AuthzStatus), _offsets), min_size=0, max_size=6
).map(lambda items: [authz(i, s, e) for i, (s, e) in enumerate(items)])


def effective(a: Authorization) -> AuthzStatus:
    if a.status in (AuthzStatus.PENDING, AuthzStatus.VALID) and a.expires <= NOW:
        return AuthzStatus.EXPIRED
    return a.status


# --------------------------------------------------------------------------- authorizations


@given(st.sampled_from(AuthzStatus), _offsets)
def test_authorization_status_expires_only_pending_and_valid(
    status: AuthzStatus, expires_in: int
) -> None:
    a = authz(0, status, expires_in)
    derived = authorization_status(a, NOW)
    if status in (AuthzStatus.PENDING, AuthzStatus.VALID) and expires_in <= 0:
        assert derived is AuthzStatus.EXPIRED
    else:
        assert derived is status


# --------------------------------------------------------------------------- orders


@given(authz_lists, _offsets)
def test_a_live_order_is_ready_exactly_when_every_authorization_is_valid(
    authzs: list[Authorization], order_expires_in: int
) -> None:
    order = order_with(authzs, expires_in=order_expires_in)
    status, _ = order_status(order, authzs, NOW)
    every_valid = bool(authzs) and all(effective(a) is AuthzStatus.VALID for a in authzs)
    assert (status is OrderStatus.READY) == (order_expires_in > 0 and every_valid)


@given(authz_lists, _offsets)
def test_an_order_is_invalid_as_soon_as_one_authorization_fails_or_it_expires(
    authzs: list[Authorization], order_expires_in: int
) -> None:
    order = order_with(authzs, expires_in=order_expires_in)
    status, error = order_status(order, authzs, NOW)
    should_fail = order_expires_in <= 0 or any(effective(a) in FAILED for a in authzs)
    assert (status is OrderStatus.INVALID) == should_fail
    assert (error is not None) == should_fail
    if not should_fail:
        assert status in (OrderStatus.PENDING, OrderStatus.READY)


@given(st.sampled_from([OrderStatus.PENDING, OrderStatus.READY]), _offsets)
def test_an_order_without_authorizations_is_never_ready(
    stored: OrderStatus, order_expires_in: int
) -> None:
    status, _ = order_status(order_with([], stored, order_expires_in), [], NOW)
    assert status is not OrderStatus.READY


@given(authz_lists)
def test_an_order_missing_some_of_its_authorizations_is_not_ready(
    authzs: list[Authorization],
) -> None:
    extra = authz(99, AuthzStatus.VALID)
    order = order_with([*authzs, extra])
    status, _ = order_status(order, authzs, NOW)  # "authz-99" was not found
    assert status is not OrderStatus.READY


@given(
    st.sampled_from([OrderStatus.PROCESSING, OrderStatus.VALID, OrderStatus.INVALID]),
    authz_lists,
    _offsets,
    st.none() | st.just(Problem(ErrorKind.SERVER_INTERNAL, "issuance failed")),
)
def test_processing_valid_and_invalid_orders_keep_their_stored_status(
    stored: OrderStatus,
    authzs: list[Authorization],
    order_expires_in: int,
    error: Problem | None,
) -> None:
    order = order_with(authzs, stored, order_expires_in, error)
    assert order_status(order, authzs, NOW) == (stored, error)


def test_a_ready_order_whose_authorization_expired_becomes_invalid() -> None:
    authzs = [authz(0, AuthzStatus.VALID, 60), authz(1, AuthzStatus.VALID, 3600)]
    order = order_with(authzs, OrderStatus.READY)
    assert order_status(order, authzs, NOW)[0] is OrderStatus.READY
    status, error = order_status(order, authzs, NOW + timedelta(seconds=60))
    assert status is OrderStatus.INVALID
    assert error is not None
    assert error.identifier == ("dns", "n0.example.com")
    assert "expired" in error.detail


def test_an_expired_order_says_so() -> None:
    order = order_with([authz(0, AuthzStatus.PENDING)], expires_in=0)
    status, error = order_status(order, [authz(0, AuthzStatus.PENDING)], NOW)
    assert status is OrderStatus.INVALID
    assert error is not None
    assert "expired" in error.detail


def test_the_order_error_carries_the_failed_challenge_error() -> None:
    challenge_error = Problem(ErrorKind.DNS, "no TXT record at _acme-challenge.n1.example.com")
    authzs = [authz(0, AuthzStatus.VALID), authz(1, AuthzStatus.INVALID, error=challenge_error)]
    status, error = order_status(order_with(authzs), authzs, NOW)
    assert status is OrderStatus.INVALID
    assert error is not None
    assert error.kind is ErrorKind.DNS
    assert error.identifier == ("dns", "n1.example.com")
    assert challenge_error.detail in error.detail


def test_a_failure_without_a_challenge_error_is_unauthorized() -> None:
    problem = failed_authorization_problem(
        authz(3, AuthzStatus.DEACTIVATED), AuthzStatus.DEACTIVATED
    )
    assert problem.kind is ErrorKind.UNAUTHORIZED
    assert problem.identifier == ("dns", "n3.example.com")
    assert "deactivated" in problem.detail


@given(st.sampled_from(ChallengeStatus), st.sampled_from(AuthzStatus))
def test_only_a_pending_challenge_of_a_pending_authorization_can_start(
    challenge_status: ChallengeStatus, authz_status: AuthzStatus
) -> None:
    challenge = Challenge("c", "a", ChallengeType.HTTP_01, "t", challenge_status)
    assert can_start_challenge(challenge, authz_status) == (
        challenge_status is ChallengeStatus.PENDING and authz_status is AuthzStatus.PENDING
    )
