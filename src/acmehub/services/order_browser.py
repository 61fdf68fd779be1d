"""The order browser: orders, their authorizations and challenge attempts, read-only, for
administrators answering "why did my client fail?" (auditor role and up).

Statuses are shown as a client would see them now (domain/status.py): an order or
authorization past its expiry reads as invalid / expired even when the stored row says pending.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from acmehub.domain.admin_model import Role
from acmehub.domain.errors import DomainError, ErrorKind, Problem
from acmehub.domain.model import Authorization, AuthzStatus, Order, OrderStatus
from acmehub.domain.ports import OrderFilter, Page, UnitOfWork
from acmehub.domain.status import (
    authorization_status,
    failed_authorization_problem,
    order_status,
)
from acmehub.services.admin import Actor, Family, require
from acmehub.services.certificate_admin import certificate_status
from acmehub.services.commands.base import Paged
from acmehub.services.commands.orders import (
    AuthorizationDetail,
    OrderDetail,
    OrderDetailInfo,
    OrderListQuery,
    OrderSummary,
    OrderSummaryInfo,
)
from acmehub.services.deps import ServiceDeps


def _failed_authorization(authorizations: list[Authorization], now: datetime) -> Problem | None:
    """Why an invalid order without a stored error failed: its first failed authorization."""
    for authz in authorizations:
        status = authorization_status(authz, now)
        if status is not AuthzStatus.VALID and status is not AuthzStatus.PENDING:
            return failed_authorization_problem(authz, status)
    return None


def _not_found() -> DomainError:
    return DomainError(ErrorKind.NOT_FOUND, "Order not found", status=404)


class OrderBrowserService:
    def __init__(self, deps: ServiceDeps) -> None:
        self._d = deps

    def search(
        self, actor: Actor, where: OrderFilter, page: Page, *, account_uuid: str | None = None
    ) -> tuple[list[OrderSummary], int]:
        """One page of the matching orders (newest first) and how many match in all.
        ``account_uuid``: the account's management id (the filter's ``account_id`` is the
        protocol id; both given, they must name the same account)."""
        require(actor, Role.AUDITOR, Family.ORDERS)
        now = self._d.clock.now()
        with self._d.uow() as tx:
            if account_uuid is not None:
                account = tx.accounts.by_uuid(account_uuid)
                if account is None or where.account_id not in (None, account.id):
                    return [], 0  # no order can match
                where = replace(where, account_id=account.id)
            orders = tx.orders.search(where, page)
            total = tx.orders.count(where)
            accounts: dict[str, str] = {}
            profiles: dict[str, str] = {}
            rows = []
            for order in orders:
                if order.account_id not in accounts:
                    account = tx.accounts.get(order.account_id)
                    accounts[order.account_id] = account.uuid if account else ""
                if order.acme_profile_uuid not in profiles:
                    profiles[order.acme_profile_uuid] = self._acme_name(tx, order)
                status, _ = order_status(order, self._authorizations(tx, order), now)
                rows.append(
                    OrderSummary(
                        order,
                        status,
                        accounts[order.account_id],
                        profiles[order.acme_profile_uuid],
                    )
                )
            return rows, total

    def page(self, actor: Actor, query: OrderListQuery) -> Paged[OrderSummaryInfo]:
        """The order list as the API, the CLI and the web interface show it."""
        where = OrderFilter(
            account_id=query.account_id,
            name=query.name or None,
            status=query.status.value if query.status else None,
            acme_profile_uuid=query.acme_profile_uuid,
        )
        page = Page(query.offset, query.limit)
        rows, total = self.search(actor, where, page, account_uuid=query.account_uuid)
        return Paged.of([OrderSummaryInfo.of(r) for r in rows], query, total)

    def detail(self, actor: Actor, order_id: str) -> OrderDetailInfo:
        return OrderDetailInfo.of(self.get(actor, order_id))

    def get(self, actor: Actor, order_id: str) -> OrderDetail:
        require(actor, Role.AUDITOR, Family.ORDERS)
        now = self._d.clock.now()
        with self._d.uow() as tx:
            order = tx.orders.get(order_id)
            if order is None:
                raise _not_found()
            authorizations = self._authorizations(tx, order)
            status, error = order_status(order, authorizations, now)
            if error is None and status is OrderStatus.INVALID:
                error = _failed_authorization(authorizations, now)
            ra = tx.profiles.ra_profile(order.ra_profile_uuid)
            certificate = (
                tx.certificates.get(order.certificate_id) if order.certificate_id else None
            )
            return OrderDetail(
                order=order,
                status=status,
                error=error or order.error,
                account=tx.accounts.get(order.account_id),
                acme_profile_name=self._acme_name(tx, order),
                ra_profile_name=ra.name if ra else "",
                authorizations=tuple(
                    AuthorizationDetail(
                        a, authorization_status(a, now), reused=a.order_id != order.id
                    )
                    for a in authorizations
                ),
                certificate=certificate,
                certificate_status=certificate_status(certificate, now) if certificate else None,
            )

    @staticmethod
    def _authorizations(tx: UnitOfWork, order: Order) -> list[Authorization]:
        return tx.authorizations.get_many(order.authorization_ids)

    @staticmethod
    def _acme_name(tx: UnitOfWork, order: Order) -> str:
        profile = tx.profiles.acme_profile(order.acme_profile_uuid)
        return profile.name if profile else ""
