"""The audit log: every change and sign-in, newest first, with filters (services/audit_log.py).

The storage does not count matches; the pager shows "Showing x-y" and a next link while the
service says another page follows.
"""

from __future__ import annotations

from datetime import UTC, datetime, time

from starlette.responses import Response

from acmehub.domain.errors import DomainError, ErrorKind
from acmehub.domain.ports import AuditFilter, Page
from acmehub.webui.framework import PREFIX, PageRoute, Req
from acmehub.webui.paging import PageRequest, keep_query, page_without_total

FILTERS = ("actor", "action", "object_type", "object_id", "outcome", "since", "until")


def _day(text: str, name: str, *, end: bool = False) -> datetime | None:
    """A yyyy-mm-dd filter as a UTC time: the start of that day (``until``: the next day's)."""
    if not text:
        return None
    try:
        day = datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        raise DomainError(
            ErrorKind.INVALID_INPUT, f"{name} must be a date (yyyy-mm-dd)", status=422
        ) from None
    return datetime.combine(day, time.max if end else time(), tzinfo=UTC)


def index(req: Req) -> Response:
    query = req.request.query_params
    values = {name: query.get(name, "").strip() for name in FILTERS}
    paging = PageRequest.from_query(query)
    error = ""
    events = []
    has_more = False
    try:
        since = _day(values["since"], "since")
        until = _day(values["until"], "until", end=True)
        where = AuditFilter(
            actor=values["actor"] or None,
            action=values["action"] or None,
            object_type=values["object_type"] or None,
            object_id=values["object_id"] or None,
            outcome=values["outcome"] or None,
            since=since,
            until=until,
        )
        found = req.services.audit_log.list(req.actor, where, Page(paging.offset, paging.size))
        events, has_more = found.events, found.has_more
    except DomainError as exc:
        if exc.kind is not ErrorKind.INVALID_INPUT:
            raise
        error = exc.detail
    paged = page_without_total(
        events, has_more, paging, f"{PREFIX}/audit", keep_query(query, *FILTERS)
    )
    return req.render("audit/list.html", paged=paged, filters=values, error=error)


ROUTES = [PageRoute("/audit", index, name="audit")]
