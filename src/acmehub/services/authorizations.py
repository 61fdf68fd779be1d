"""Authorizations and challenges (RFC 8555 §7.5, §7.5.1, §7.5.2) and validation results."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from acmehub.domain.errors import DomainError, ErrorKind, Problem
from acmehub.domain.model import (
    Account,
    Authorization,
    AuthzStatus,
    Challenge,
    ChallengeStatus,
    OrderStatus,
    ValidationNetwork,
    ValidationResult,
    ValidationTask,
)
from acmehub.domain.ports import UnitOfWork
from acmehub.domain.preauthorization import reuse_window
from acmehub.domain.status import authorization_status, failed_authorization_problem
from acmehub.services.accounts import AccountService, check_account_enabled
from acmehub.services.caa import ra_profiles_of, with_caa
from acmehub.services.context import AcmeContext
from acmehub.services.deps import ServiceDeps
from acmehub.services.orders import refresh_order


@dataclass(frozen=True)
class AuthorizationView:
    authorization: Authorization
    status: AuthzStatus
    retry_after: int | None = None  # seconds, while one of its challenges is being validated


@dataclass(frozen=True)
class ChallengeView:
    challenge: Challenge
    authorization_id: str
    retry_after: int | None  # seconds, while the challenge is processing


def _view(authz: Authorization, now: datetime) -> AuthorizationView:
    return AuthorizationView(authz, authorization_status(authz, now))


#: The longest a poll of an authorization waits for a validation running in this process.
HOLD_POLL_SECONDS = 1.0


def _validating(view: AuthorizationView) -> list[str]:
    """The challenges of a pending authorization that are being validated."""
    if view.status is not AuthzStatus.PENDING:
        return []
    return [c.id for c in view.authorization.challenges if c.status is ChallengeStatus.PROCESSING]


def retry_after_seconds(expected: float | None, retry_interval: int) -> int:
    """Retry-After (RFC 8555 §7.5.1, §8.2) for a result still being worked out: when it is
    expected (whole seconds, at least 1), never beyond the profile's retry interval.

    Without a figure (this process has validated nothing yet, or validates nothing itself)
    the result is expected soon, not after the retry interval: a validation takes
    milliseconds to seconds, so 1 s (issue 16 §6: a 30 s retry interval must not make a
    client wait 30 s for a 50 ms validation)."""
    if expected is None:
        expected = 1.0
    return max(1, min(retry_interval, math.ceil(expected)))


class AuthorizationService:
    def __init__(self, deps: ServiceDeps, accounts: AccountService) -> None:
        self._d = deps
        self._accounts = accounts

    @staticmethod
    def _owned(tx: UnitOfWork, account: Account, authz_id: str) -> Authorization:
        authz = tx.authorizations.get(authz_id)
        if authz is None:
            raise DomainError(ErrorKind.NOT_FOUND, "no such authorization", status=404)
        if authz.account_id != account.id:
            raise DomainError(
                ErrorKind.UNAUTHORIZED, "the authorization belongs to another account"
            )
        return authz

    def get(self, ctx: AcmeContext, account_id: str, authz_id: str) -> AuthorizationView:
        view = self._read(ctx, account_id, authz_id)
        validating = _validating(view)
        # A poll that comes while this process validates the challenge is held until the
        # result is recorded (briefly): the client's first poll normally finds the result.
        if validating and self._d.queue.wait_settled(validating, HOLD_POLL_SECONDS):
            view = self._read(ctx, account_id, authz_id)
            validating = _validating(view)
        if validating:
            return replace(view, retry_after=self._retry_after(ctx))
        return view

    def _read(self, ctx: AcmeContext, account_id: str, authz_id: str) -> AuthorizationView:
        with self._d.uow() as tx:
            account = self._accounts.for_request(tx, ctx, account_id)
            return _view(self._owned(tx, account, authz_id), self._d.clock.now())

    def _retry_after(self, ctx: AcmeContext) -> int:
        return retry_after_seconds(
            self._d.queue.expected_validation_seconds(), ctx.acme_profile.retry_interval
        )

    def deactivate(
        self, ctx: AcmeContext, account_id: str, authz_id: str, payload: dict[str, Any]
    ) -> AuthorizationView:
        """RFC 8555 §7.5.2: the client gives up an authorization; its order turns invalid."""
        if payload.get("status") != AuthzStatus.DEACTIVATED.value:
            raise DomainError(
                ErrorKind.MALFORMED, "an authorization's status can only be set to deactivated"
            )
        now = self._d.clock.now()
        with self._d.uow(write=True) as tx:
            account = self._accounts.for_request(tx, ctx, account_id)
            authz = self._owned(tx, account, authz_id)
            status = authorization_status(authz, now)
            if status not in (AuthzStatus.PENDING, AuthzStatus.VALID):
                raise DomainError(
                    ErrorKind.MALFORMED,
                    f"only a pending or valid authorization can be deactivated; this one is "
                    f"{status.value}",
                )
            # Compare and set: a result recorded since the read (an invalid one) is not undone.
            if not tx.authorizations.change_status(
                authz.id, (AuthzStatus.PENDING, AuthzStatus.VALID), AuthzStatus.DEACTIVATED, now
            ):
                current = tx.authorizations.get(authz.id) or authz
                raise DomainError(
                    ErrorKind.MALFORMED,
                    f"only a pending or valid authorization can be deactivated; this one is "
                    f"{authorization_status(current, now).value}",
                )
            authz = replace(authz, status=AuthzStatus.DEACTIVATED)
            self._update_orders(tx, authz.id, now)
            return _view(authz, now)

    def _challenge(
        self, tx: UnitOfWork, account: Account, challenge_id: str
    ) -> tuple[Challenge, Authorization]:
        challenge = tx.authorizations.challenge(challenge_id)
        if challenge is None:
            raise DomainError(ErrorKind.NOT_FOUND, "no such challenge", status=404)
        authz = self._owned(tx, account, challenge.authorization_id)
        return challenge, authz

    def get_challenge(self, ctx: AcmeContext, account_id: str, challenge_id: str) -> ChallengeView:
        with self._d.uow() as tx:
            account = self._accounts.for_request(tx, ctx, account_id)
            challenge, authz = self._challenge(tx, account, challenge_id)
            return self._challenge_view(ctx, challenge, authz)

    def respond(self, ctx: AcmeContext, account_id: str, challenge_id: str) -> ChallengeView:
        """RFC 8555 §7.5.1: the client says it is ready; the VA takes it from here."""
        now = self._d.clock.now()
        # An idle validation thread of this process takes it at once, leased in this very
        # transaction; otherwise any worker claims it from the queue.
        lease = self._d.queue.local_lease(now)
        handed = False
        with self._d.uow(write=True) as tx:
            account = self._accounts.for_request(tx, ctx, account_id)
            check_account_enabled(account)
            challenge, authz = self._challenge(tx, account, challenge_id)
            status = authorization_status(authz, now)
            if challenge.status is ChallengeStatus.PENDING:
                if status is not AuthzStatus.PENDING:
                    raise DomainError(
                        ErrorKind.MALFORMED,
                        f"the authorization is {status.value}; its challenges can no longer "
                        f"be answered",
                    )
                if any(c.status is not ChallengeStatus.PENDING for c in authz.challenges):
                    raise DomainError(
                        ErrorKind.MALFORMED,
                        "another challenge of this authorization is already being validated",
                    )
                challenge = replace(challenge, status=ChallengeStatus.PROCESSING)
                tx.authorizations.update_challenge(challenge, lease)
                handed = lease is not None
        if handed:
            self._d.queue.hand_over(challenge.id)
        else:
            self._d.queue.wake()
        # Anything but pending is returned as it is: answering twice is harmless (§7.5.1).
        return self._challenge_view(ctx, challenge, authz)

    def _challenge_view(
        self, ctx: AcmeContext, challenge: Challenge, authz: Authorization
    ) -> ChallengeView:
        processing = challenge.status is ChallengeStatus.PROCESSING
        return ChallengeView(challenge, authz.id, self._retry_after(ctx) if processing else None)

    # ------------------------------------------------------------------ the VA's side

    def validation_task(self, challenge_id: str) -> ValidationTask | None:
        """What the VA needs for a claimed challenge; None when it no longer needs validating."""
        with self._d.uow() as tx:
            challenge = tx.authorizations.challenge(challenge_id)
            if challenge is None or challenge.status is not ChallengeStatus.PROCESSING:
                return None
            authz = tx.authorizations.get(challenge.authorization_id)
            if authz is None:
                return None
            account = tx.accounts.get(authz.account_id)
            if account is None:
                return None
            # The profiles it was made through (a pre-authorization has no order); older rows
            # name them through their order.
            order_ids = tx.orders.ids_for_authorization(authz.id)
            order = tx.orders.get(order_ids[0]) if order_ids else None
            acme_uuid = authz.acme_profile_uuid or (order.acme_profile_uuid if order else "")
            ra_uuid = authz.ra_profile_uuid or (order.ra_profile_uuid if order else "")
            profile = tx.profiles.acme_profile(acme_uuid) if acme_uuid else None
            task = ValidationTask(
                challenge_id=challenge.id,
                type=challenge.type,
                identifier=authz.identifier,
                # RFC 8555 §8.1: token || '.' || base64url(Thumbprint(accountKey))
                token=challenge.token,
                key_authorization=f"{challenge.token}.{account.key_thumbprint}",
                dns_resolver_ip=profile.dns_resolver_ip if profile else None,
                dns_resolver_port=profile.dns_resolver_port if profile else None,
                validation_network=(
                    profile.validation_network if profile else ValidationNetwork.INTERNAL
                ),
                wildcard=authz.wildcard,
                checked_at=self._d.clock.now(),
            )
            # RFC 8659: CAA is checked beside the challenge, before the authorization is valid.
            ra_profiles = ra_profiles_of(tx, ra_uuid, account) if ra_uuid else []
            return with_caa(task, self._d.urls, account, profile, ra_profiles)

    def record_result(self, result: ValidationResult) -> None:
        """Apply the VA's result: challenge, authorization, then order (RFC 8555 §7.1.6).

        A result never revives an authorization: it decides one only while it is still
        pending and unexpired *in storage* (compare and set), so a deactivation (§7.5.2), an
        expiry or another result committed since the validation began wins, and the challenge
        is closed as invalid saying so.
        """
        now = self._d.clock.now()
        with self._d.uow(write=True) as tx:
            challenge = tx.authorizations.challenge(result.challenge_id)
            if challenge is None or challenge.status is not ChallengeStatus.PROCESSING:
                return  # another worker already recorded it
            authz = tx.authorizations.get(challenge.authorization_id)
            if authz is None:
                return
            decided = AuthzStatus.VALID if result.ok else AuthzStatus.INVALID
            if not tx.authorizations.change_status(authz.id, (AuthzStatus.PENDING,), decided, now):
                current = tx.authorizations.get(authz.id) or authz
                problem = Problem(
                    ErrorKind.MALFORMED,
                    f"authorization became {authorization_status(current, now).value} "
                    f"before validation finished",
                    (authz.identifier.type, authz.identifier.value),
                )
                tx.authorizations.settle_challenge(
                    replace(challenge, status=ChallengeStatus.INVALID, error=problem)
                )
                return
            if result.ok and result.valid_until is not None:
                # draft-ietf-acme-dns-persist §4.1: expires no later than persistUntil.
                tx.authorizations.cap_expiry(authz.id, result.valid_until)
            if result.ok:
                settled = replace(
                    challenge, status=ChallengeStatus.VALID, validated=now, error=None
                )
            else:
                settled = replace(challenge, status=ChallengeStatus.INVALID, error=result.problem)
            if not tx.authorizations.settle_challenge(settled):
                # The challenge row is locked by this transaction: nobody can have settled it.
                raise DomainError(
                    ErrorKind.SERVER_INTERNAL, f"challenge {challenge.id} settled concurrently"
                )
            if result.ok:
                self._keep_for_reuse(tx, authz, now)
            self._update_orders(tx, authz.id, now)

    @staticmethod
    def _keep_for_reuse(tx: UnitOfWork, authz: Authorization, now: datetime) -> None:
        """A valid authorization stays valid as long as its profile reuses it (Boulder gives a
        valid authorization its own, longer lifetime too): domain/preauthorization.py."""
        uuid = authz.acme_profile_uuid
        if not uuid:
            order_ids = tx.orders.ids_for_authorization(authz.id)
            order = tx.orders.get(order_ids[0]) if order_ids else None
            uuid = order.acme_profile_uuid if order else ""
        profile = tx.profiles.acme_profile(uuid) if uuid else None
        if profile is None:
            return
        until = now + reuse_window(profile, now)
        if until > authz.expires:
            tx.authorizations.set_expires(authz.id, until)

    @staticmethod
    def _update_orders(tx: UnitOfWork, authz_id: str, now: datetime) -> None:
        for order_id in tx.orders.ids_for_authorization(authz_id):
            order = tx.orders.get(order_id)
            if order is None or order.status not in (OrderStatus.PENDING, OrderStatus.READY):
                continue
            view = refresh_order(tx, order, now)
            if view.order is not order:
                tx.orders.update(view.order)


__all__ = [
    "AuthorizationService",
    "AuthorizationView",
    "ChallengeView",
    "failed_authorization_problem",
]
