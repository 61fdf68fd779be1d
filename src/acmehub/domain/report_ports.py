"""The dashboard's read-only aggregates: the port storage implements and its rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from acmehub.domain.model import Certificate


@dataclass(frozen=True)
class FailedValidationCount:
    """Invalid challenges of one type that failed with one problem type."""

    challenge_type: str
    problem_type: str  # ErrorKind value, e.g. "connection", "dns", "incorrectResponse"
    count: int
    example_detail: str  # one of their problem details, to show what went wrong


@dataclass(frozen=True)
class AccountCount:
    acme_profile_uuid: str
    status: str
    count: int


class ReportsRepository(Protocol):
    """Read-only aggregates for the dashboard (one query each, no rows per object)."""

    def certificates_issued_per_day(self, since: datetime) -> dict[date, int]:
        """Certificates issued at or after ``since``, by UTC day; days without any are absent."""
        ...

    def orders_by_status(self) -> dict[str, int]:
        """Every stored order by stored status; statuses without orders are absent."""
        ...

    def failed_validations(self, since: datetime) -> list[FailedValidationCount]:
        """Invalid challenges of orders created at or after ``since``, by challenge type and
        problem type, most frequent first."""
        ...

    def expiring_certificates(
        self, now: datetime, until: datetime, limit: int
    ) -> list[Certificate]:
        """Certificates not revoked whose end is in [now, until), soonest first."""
        ...

    def accounts_by_profile(self) -> list[AccountCount]:
        """Accounts by ACME profile and status."""
        ...
