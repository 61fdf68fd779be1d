"""What the web interface's dashboard shows: a read model over the ReportsRepository."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from acmehub.domain.admin_model import Role
from acmehub.domain.model import AccountStatus, Certificate, OrderStatus
from acmehub.domain.ports import CertificateFilter, FailedValidationCount
from acmehub.services.admin import Actor, require
from acmehub.services.deps import ServiceDeps

DAYS = 30
EXPIRING_SHOWN = 20


@dataclass(frozen=True)
class ProfileAccounts:
    """The accounts of one ACME profile, by status."""

    acme_profile_uuid: str
    acme_profile_name: str
    by_status: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.by_status.values())


@dataclass(frozen=True)
class Dashboard:
    now: datetime
    #: One entry per UTC day, oldest first, the last one today; days without any count 0.
    issued_per_day: list[tuple[date, int]]
    #: Every order status, in lifecycle order (stored statuses).
    orders_by_status: list[tuple[str, int]]
    failed_validations: list[FailedValidationCount]
    #: The first certificates to expire within ``DAYS`` days (not revoked), soonest first.
    expiring: list[Certificate]
    expiring_count: int
    accounts_by_profile: list[ProfileAccounts]

    @property
    def issued_total(self) -> int:
        return sum(n for _, n in self.issued_per_day)


class DashboardService:
    def __init__(self, deps: ServiceDeps) -> None:
        self._d = deps

    def overview(self, actor: Actor, days: int = DAYS) -> Dashboard:
        require(actor, Role.AUDITOR)
        now = self._d.clock.now()
        today = now.date()
        first = today - timedelta(days=days - 1)
        since = datetime(first.year, first.month, first.day, tzinfo=now.tzinfo)
        until = now + timedelta(days=days)
        with self._d.uow() as tx:
            per_day = tx.reports.certificates_issued_per_day(since)
            orders = tx.reports.orders_by_status()
            failed = tx.reports.failed_validations(since)
            expiring = tx.reports.expiring_certificates(now, until, EXPIRING_SHOWN)
            expiring_count = tx.certificates.count(
                CertificateFilter(status="valid", expires_before=until, now=now)
            )
            accounts = tx.reports.accounts_by_profile()
            names = {p.uuid: p.name for p in tx.profiles.list_acme_profiles()}
        by_profile: dict[str, dict[str, int]] = {}
        for row in accounts:
            counts = by_profile.setdefault(row.acme_profile_uuid, dict.fromkeys(AccountStatus, 0))
            counts[row.status] = counts.get(row.status, 0) + row.count
        return Dashboard(
            now=now,
            issued_per_day=[
                (day, per_day.get(day, 0))
                for day in (first + timedelta(days=i) for i in range(days))
            ],
            orders_by_status=[(s.value, orders.get(s.value, 0)) for s in OrderStatus],
            failed_validations=failed,
            expiring=expiring,
            expiring_count=expiring_count,
            accounts_by_profile=sorted(
                (
                    ProfileAccounts(uuid_, names.get(uuid_, uuid_), counts)
                    for uuid_, counts in by_profile.items()
                ),
                key=lambda p: p.acme_profile_name,
            ),
        )
