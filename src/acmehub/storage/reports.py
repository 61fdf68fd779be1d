"""Read-only aggregates for the web interface's dashboard (implements ReportsRepository).

Each report is one grouped query, so the dashboard costs the same with ten certificates or a
million. The SQL used (``date()``, JSON member access through SQLAlchemy's JSON type) runs on
SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Connection, func, select

from acmehub.domain.model import Certificate
from acmehub.domain.ports import AccountCount, FailedValidationCount
from acmehub.storage import converters as cv
from acmehub.storage import tables as t

_ACME_ERROR = "urn:ietf:params:acme:error:"


def _day(value: object) -> date:
    # SQLite's date() answers text, PostgreSQL's a date.
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


class SqlReports:
    def __init__(self, conn: Connection) -> None:
        self._c = conn

    def certificates_issued_per_day(self, since: datetime) -> dict[date, int]:
        c = t.certificates.c
        # Times are stored as naive UTC, so date() is the UTC day on both engines.
        day = func.date(c.issued_at).label("day")
        query = select(day, func.count()).where(c.issued_at >= since).group_by(day)
        return {_day(d): int(n) for d, n in self._c.execute(query)}

    def orders_by_status(self) -> dict[str, int]:
        c = t.orders.c
        query = select(c.status, func.count()).group_by(c.status)
        return {str(status): int(n) for status, n in self._c.execute(query)}

    def failed_validations(self, since: datetime) -> list[FailedValidationCount]:
        ch, az, o = t.challenges.c, t.authorizations.c, t.orders.c
        problem = ch.error["type"].as_string().label("problem")
        query = (
            select(
                ch.type,
                problem,
                func.count().label("n"),
                func.max(ch.error["detail"].as_string()),
            )
            .select_from(
                t.challenges.join(t.authorizations, az.id == ch.authorization_id).join(
                    t.orders, o.id == az.order_id
                )
            )
            .where(ch.status == "invalid", ch.error.is_not(None), o.created_at >= since)
            .group_by(ch.type, problem)
        )
        found = [
            FailedValidationCount(
                challenge_type=str(kind),
                problem_type=str(problem_type or "").removeprefix(_ACME_ERROR) or "unknown",
                count=int(n),
                example_detail=str(detail or ""),
            )
            for kind, problem_type, n, detail in self._c.execute(query)
        ]
        found.sort(key=lambda f: (-f.count, f.challenge_type, f.problem_type))
        return found

    def expiring_certificates(
        self, now: datetime, until: datetime, limit: int
    ) -> list[Certificate]:
        c = t.certificates.c
        query = (
            select(t.certificates)
            .where(c.revoked_at.is_(None), c.not_after >= now, c.not_after < until)
            .order_by(c.not_after, c.id)
            .limit(limit)
        )
        return [cv.certificate_from_row(r._mapping) for r in self._c.execute(query)]

    def accounts_by_profile(self) -> list[AccountCount]:
        c = t.accounts.c
        query = (
            select(c.acme_profile_uuid, c.status, func.count())
            .group_by(c.acme_profile_uuid, c.status)
            .order_by(c.acme_profile_uuid, c.status)
        )
        return [
            AccountCount(str(profile), str(status), int(n))
            for profile, status, n in self._c.execute(query)
        ]
