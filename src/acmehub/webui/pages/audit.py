"""The audit log: every change and sign-in, newest first, with the API's filters (by day on
this page) and the CLI's columns. The storage does not count matches: the pager shows
"Showing x-y" and a next link while another page follows (services/audit_log.py)."""

from __future__ import annotations

from starlette.responses import Response

from acmehub.domain.errors import DomainError, ErrorKind
from acmehub.services.commands.audit import COLUMNS, AuditLogPage, AuditLogQuery
from acmehub.webui.framework import PREFIX, PageRoute, Req
from acmehub.webui.listing import listing


def index(req: Req) -> Response:
    found, error = listing(req, AuditLogQuery, f"{PREFIX}/audit"), ""
    try:
        page = req.services.audit_log.page(req.actor, found.query)
    except DomainError as exc:  # a rule of the filters together (since after until)
        if exc.kind is not ErrorKind.INVALID_INPUT:
            raise
        page, error = AuditLogPage(items=[], offset=0, limit=1, has_more=False), exc.detail
    return req.render("audit/list.html", **found.context(page, COLUMNS), error=error)


ROUTES = [PageRoute("/audit", index, name="audit")]
