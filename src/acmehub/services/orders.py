"""Order use cases: new-order, order lookup, the account's orders list (RFC 8555 §7.1.2.1, §7.4)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from acmehub.domain.certificate_profiles import check_profile_names, choose_profile
from acmehub.domain.errors import DomainError, ErrorKind
from acmehub.domain.identifiers import parse_identifiers
from acmehub.domain.model import (
    Account,
    Order,
    OrderStatus,
)
from acmehub.domain.policy import check_identifiers
from acmehub.domain.ports import UnitOfWork
from acmehub.domain.status import order_status
from acmehub.services.accounts import AccountService, check_account_enabled
from acmehub.services.context import AcmeContext
from acmehub.services.deps import ServiceDeps, new_id
from acmehub.services.new_authorizations import (
    check_addresses,
    new_authorization,
    reused_authorizations,
)
from acmehub.services.renewal_info import check_replaces

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
            self.check_terms(ctx, account)
            identifiers = parse_identifiers(payload.get("identifiers"))
            # The RA profile's issuance policy: names, wildcards, how many (domain/policy.py).
            check_identifiers(ctx.ra_profile.policy, identifiers)
            check_addresses(self._d, ctx, identifiers)
            # draft-ietf-acme-profiles: the profile asked for, else the RA profile's default.
            chosen = choose_profile(ctx.certificate_profiles, payload.get("profile"))
            check_profile_names(chosen, identifiers)
            not_before, not_after = self._validity_window(ctx, payload, now, self._d.backdate)
            # RFC 9773 §5: the certificate this order replaces, checked and recorded.
            replaces = check_replaces(tx, ctx, account, identifiers, payload.get("replaces"), now)
            order_id = new_id()
            # Valid authorizations of the account serve the names they cover (reuse,
            # pre-authorizations, RFC 9444); the others get fresh ones.
            reused = reused_authorizations(tx, ctx, account, identifiers, now, expires)
            authzs = [
                new_authorization(ctx, account, ident, expires, order_id=order_id)
                for ident in identifiers
                if ident not in reused
            ]
            fresh = iter(authzs)
            ids = [reused[i].id if i in reused else next(fresh).id for i in identifiers]
            if reused:
                # An order lives no longer than the authorizations it stands on (as Boulder).
                expires = min(expires, *(a.expires for a in reused.values()))
            order = Order(
                id=order_id,
                account_id=account.id,
                status=OrderStatus.PENDING,
                identifiers=identifiers,
                # One subdomain authorization may serve several names: listed once.
                authorization_ids=tuple(dict.fromkeys(ids)),
                expires=expires,
                created_at=now,
                not_before=not_before,
                not_after=not_after,
                acme_profile_uuid=profile.uuid,
                ra_profile_uuid=ctx.ra_profile.uuid,
                profile=chosen.name if chosen else None,
                replaces=replaces,
            )
            if reused:
                # Every name already authorized: the order is ready at once (RFC 8555 §7.1.6).
                by_id = {a.id: a for a in (*reused.values(), *authzs)}
                held = [by_id[i] for i in order.authorization_ids]
                order = replace(order, status=order_status(order, held, now)[0])
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
    def check_terms(ctx: AcmeContext, account: Account) -> None:
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


def _duration(span: timedelta) -> str:
    """``span`` in words for a problem detail: "1 hour", "90 minutes", "45 seconds"."""
    seconds = int(span.total_seconds())
    for unit, size in (("hour", 3600), ("minute", 60)):
        if seconds and seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{seconds} second{'s' if seconds != 1 else ''}"
