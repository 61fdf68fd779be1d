"""Order use cases: new-order, order lookup, the account's orders list (RFC 8555 §7.1.2.1, §7.4)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from acmehub.domain.certificate_profiles import check_profile_names, choose_profile
from acmehub.domain.dns_challenges import offered_challenge_types
from acmehub.domain.errors import DomainError, ErrorKind, Problem
from acmehub.domain.identifiers import parse_identifiers, raise_compound
from acmehub.domain.model import (
    Account,
    Authorization,
    AuthzStatus,
    Challenge,
    ChallengeStatus,
    ChallengeType,
    Identifier,
    Order,
    OrderStatus,
)
from acmehub.domain.policy import check_identifiers
from acmehub.domain.ports import UnitOfWork
from acmehub.domain.status import order_status
from acmehub.services.accounts import AccountService, check_account_enabled
from acmehub.services.context import AcmeContext
from acmehub.services.deps import ServiceDeps, new_id

ORDERS_PAGE_SIZE = 100


@dataclass(frozen=True)
class OrderView:
    """An order as a client must see it now, with its authorizations' ids."""

    order: Order
    status: OrderStatus


def _parse_time(payload: dict[str, Any], field: str) -> datetime | None:
    raw = payload.get(field)
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise DomainError(ErrorKind.MALFORMED, f"{field} must be an RFC 3339 date-time string")
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise DomainError(
            ErrorKind.MALFORMED, f"{field} is not an RFC 3339 date-time: {raw[:64]!r}"
        ) from None
    if value.tzinfo is None:
        raise DomainError(ErrorKind.MALFORMED, f"{field} must carry a time zone offset")
    return value


def challenge_types_for(
    identifier: Identifier, ctx: AcmeContext | None = None
) -> tuple[ChallengeType, ...]:
    # RFC 8555 §7.1.3 / §8.3 / RFC 8737 §3: a wildcard is proven through DNS only; the newer
    # DNS types where the ACME profile offers them (domain/dns_challenges.py).
    if ctx is None:
        return offered_challenge_types(identifier, None, None)
    return offered_challenge_types(identifier, ctx.acme_profile, ctx.ra_profile)


def refresh_order(tx: UnitOfWork, order: Order, now: datetime) -> OrderView:
    """The order as it stands now: until finalize its status follows from its authorizations
    and the time (RFC 8555 §7.1.6), so it is derived here; ``view.order`` carries a changed
    status for the write paths that record an authorization's outcome. Reading never writes."""
    authzs = tx.authorizations.get_many(order.authorization_ids)
    status, error = order_status(order, authzs, now)
    if status is not order.status and order.status in (OrderStatus.PENDING, OrderStatus.READY):
        order = replace(order, status=status, error=error)
    return OrderView(order, status)


class OrderService:
    def __init__(self, deps: ServiceDeps, accounts: AccountService) -> None:
        self._d = deps
        self._accounts = accounts

    def new_order(self, ctx: AcmeContext, account_id: str, payload: dict[str, Any]) -> Order:
        now = self._d.clock.now()
        profile = ctx.acme_profile
        expires = now + timedelta(seconds=profile.validity)
        with self._d.uow(write=True) as tx:
            # Who asks comes first; then what they ask for.
            account = self._accounts.for_request(tx, ctx, account_id)
            check_account_enabled(account)
            self._check_terms(ctx, account)
            identifiers = parse_identifiers(payload.get("identifiers"))
            # The RA profile's issuance policy: names, wildcards, how many (domain/policy.py).
            check_identifiers(ctx.ra_profile.policy, identifiers)
            self._check_addresses(ctx, identifiers)
            # draft-ietf-acme-profiles: the profile asked for, else the RA profile's default.
            chosen = choose_profile(ctx.certificate_profiles, payload.get("profile"))
            check_profile_names(chosen, identifiers)
            not_before, not_after = self._validity_window(ctx, payload, now, self._d.backdate)
            order_id = new_id()
            authzs = [
                self._new_authorization(account, ident, expires, ctx) for ident in identifiers
            ]
            order = Order(
                id=order_id,
                account_id=account.id,
                status=OrderStatus.PENDING,
                identifiers=identifiers,
                authorization_ids=tuple(a.id for a in authzs),
                expires=expires,
                created_at=now,
                not_before=not_before,
                not_after=not_after,
                acme_profile_uuid=profile.uuid,
                ra_profile_uuid=ctx.ra_profile.uuid,
                profile=chosen.name if chosen else None,
            )
            tx.orders.add(order)
            for authz in authzs:
                tx.authorizations.add(authz, order_id)
            return order

    def get(self, ctx: AcmeContext, account_id: str, order_id: str) -> OrderView:
        with self._d.uow() as tx:
            account = self._accounts.for_request(tx, ctx, account_id)
            order = self.owned(tx, account, order_id)
            return refresh_order(tx, order, self._d.clock.now())

    def list_for_account(
        self, ctx: AcmeContext, account_id: str, requested_id: str, page: int
    ) -> tuple[list[str], bool]:
        """One page of the account's order ids and whether another follows (§7.1.2.1)."""
        with self._d.uow() as tx:
            account = self._accounts.for_request(tx, ctx, account_id)
            if account.id != requested_id:
                raise DomainError(
                    ErrorKind.UNAUTHORIZED, "the orders list belongs to another account"
                )
            ids = tx.orders.ids_for_account(
                account.id, page * ORDERS_PAGE_SIZE, ORDERS_PAGE_SIZE + 1
            )
        return ids[:ORDERS_PAGE_SIZE], len(ids) > ORDERS_PAGE_SIZE

    @staticmethod
    def owned(tx: UnitOfWork, account: Account, order_id: str) -> Order:
        order = tx.orders.get(order_id)
        if order is None:
            raise DomainError(ErrorKind.NOT_FOUND, "no such order", status=404)
        if order.account_id != account.id:
            raise DomainError(ErrorKind.UNAUTHORIZED, "the order belongs to another account")
        return order

    @staticmethod
    def _check_terms(ctx: AcmeContext, account: Account) -> None:
        """The profile's "terms of service changed" switch blocks new orders until re-agreement."""
        profile = ctx.acme_profile
        if not profile.terms_of_service_change_disable:
            return
        changed_at = profile.terms_of_service_changed_at
        if (
            account.tos_agreed_at is not None
            and changed_at is not None
            and account.tos_agreed_at >= changed_at
        ):
            return
        url = profile.terms_of_service_change_url or profile.terms_of_service_url or ""
        raise DomainError(
            ErrorKind.USER_ACTION_REQUIRED,
            "Terms of service have changed",
            instance=url or None,
            headers={"Link": f'<{url}>;rel="terms-of-service"'} if url else {},
            status=403,
        )

    @staticmethod
    def _validity_window(
        ctx: AcmeContext, payload: dict[str, Any], now: datetime, backdate: timedelta
    ) -> tuple[datetime | None, datetime | None]:
        """notBefore/notAfter (RFC 8555 §7.4) honoured within the RA profile's limits; a
        notBefore at most ``backdate`` in the past (the setting ``backdate_seconds``)."""
        not_before = _parse_time(payload, "notBefore")
        not_after = _parse_time(payload, "notAfter")
        ra = ctx.ra_profile
        start = not_before or now
        if not_before is not None and not_before < now - backdate:
            raise DomainError(
                ErrorKind.MALFORMED,
                f"notBefore must not be more than {_duration(backdate)} in the past",
            )
        if not_after is not None:
            if not_after <= start:
                raise DomainError(ErrorKind.MALFORMED, "notAfter must be later than notBefore")
            if not_after <= now:
                raise DomainError(ErrorKind.MALFORMED, "notAfter must be in the future")
            if (not_after - start).total_seconds() > ra.validity_max:
                raise DomainError(
                    ErrorKind.MALFORMED,
                    f"requested validity exceeds the RA profile's maximum of "
                    f"{ra.validity_max} seconds",
                )
        if not_before is not None and not_before > now + timedelta(seconds=ra.validity_max):
            raise DomainError(ErrorKind.MALFORMED, "notBefore is too far in the future")
        return not_before, not_after

    def _check_addresses(self, ctx: AcmeContext, identifiers: tuple[Identifier, ...]) -> None:
        """An IP identifier (RFC 8738) whose address the validation address policy would never
        connect to cannot be proven: refused now rather than left to fail validation."""
        screen = self._d.addresses
        if screen is None:
            return
        network = ctx.acme_profile.validation_network
        problems = []
        for ident in identifiers:
            if ident.type != "ip":
                continue
            why = screen.ip_identifier_refusal(ident.value, network)
            if why is not None:
                problems.append(
                    Problem(
                        ErrorKind.REJECTED_IDENTIFIER,
                        f"{ident.value} is {why}: validation could never connect to it",
                        (ident.type, ident.value),
                    )
                )
        raise_compound(problems)

    @staticmethod
    def _new_authorization(
        account: Account, ident: Identifier, expires: datetime, ctx: AcmeContext | None = None
    ) -> Authorization:
        authz_id = new_id()
        challenges = tuple(
            Challenge(
                id=new_id(),
                authorization_id=authz_id,
                type=ctype,
                # RFC 8555 §8.1: at least 128 bits of entropy; 256 here.
                token=secrets.token_urlsafe(32),
                status=ChallengeStatus.PENDING,
            )
            for ctype in challenge_types_for(ident, ctx)
        )
        return Authorization(
            id=authz_id,
            account_id=account.id,
            identifier=Identifier(ident.type, ident.base_name),
            wildcard=ident.is_wildcard,
            status=AuthzStatus.PENDING,
            expires=expires,
            challenges=challenges,
        )


def _duration(span: timedelta) -> str:
    """``span`` in words for a problem detail: "1 hour", "90 minutes", "45 seconds"."""
    seconds = int(span.total_seconds())
    for unit, size in (("hour", 3600), ("minute", 60)):
        if seconds and seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{seconds} second{'s' if seconds != 1 else ''}"
