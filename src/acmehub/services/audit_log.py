"""Reading the audit trail (events are written by each use case through ``admin.record``)."""

from __future__ import annotations

from dataclasses import dataclass

from acmehub.domain.admin_model import AuditEvent, Role
from acmehub.domain.errors import DomainError, ErrorKind
from acmehub.domain.ports import AuditFilter, Page
from acmehub.services.admin import Actor, Family, require
from acmehub.services.commands.audit import AuditLogEvent, AuditLogPage, AuditLogQuery
from acmehub.services.deps import ServiceDeps

#: The largest page one query returns.
MAX_PAGE = 1000
OUTCOMES = ("success", "failure")


@dataclass(frozen=True)
class AuditPage:
    """One page of events, newest first; ``has_more`` says whether a next page exists."""

    events: list[AuditEvent]
    offset: int
    limit: int
    has_more: bool


class AuditLogService:
    def __init__(self, deps: ServiceDeps) -> None:
        self._d = deps

    def list(self, actor: Actor, where: AuditFilter, page: Page) -> AuditPage:
        """Events matching every given filter; auditors and up may read the trail."""
        require(actor, Role.AUDITOR, Family.AUDIT_LOGS)
        _check(where, page)
        with self._d.uow() as tx:
            # One more than asked tells whether another page follows, without a count query.
            found = tx.audit.list(where, Page(page.offset, page.limit + 1))
        return AuditPage(found[: page.limit], page.offset, page.limit, len(found) > page.limit)

    def page(self, actor: Actor, query: AuditLogQuery) -> AuditLogPage:
        """The page the API, the CLI and the web interface show."""
        where = AuditFilter(**query.model_dump(exclude={"offset", "limit"}))
        found = self.list(actor, where, Page(query.offset, query.limit))
        return AuditLogPage(
            items=[AuditLogEvent.of(e) for e in found.events],
            offset=found.offset,
            limit=found.limit,
            has_more=found.has_more,
        )


def _check(where: AuditFilter, page: Page) -> None:
    if page.offset < 0 or not 1 <= page.limit <= MAX_PAGE:
        raise DomainError(
            ErrorKind.INVALID_INPUT,
            f"offset must be 0 or more and limit between 1 and {MAX_PAGE}",
            status=422,
        )
    if where.outcome is not None and where.outcome not in OUTCOMES:
        raise DomainError(
            ErrorKind.INVALID_INPUT, "outcome must be one of: success, failure", status=422
        )
    for name, when in (("since", where.since), ("until", where.until)):
        if when is not None and when.utcoffset() is None:
            raise DomainError(
                ErrorKind.INVALID_INPUT,
                f"{name} needs a time zone (e.g. 2026-05-01T12:00:00Z)",
                status=422,
            )
    if where.since is not None and where.until is not None and where.since > where.until:
        raise DomainError(ErrorKind.INVALID_INPUT, "since must not be after until", status=422)
