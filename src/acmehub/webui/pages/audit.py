"""Audit log (issue 4). Not built yet: the section's index says so.

Build it like pages/acme_profiles.py: handlers calling the services with ``req.actor``,
templates under templates/audit/, and the routes in ``ROUTES`` below.
"""

from __future__ import annotations

from acmehub.webui.framework import PageRoute
from acmehub.webui.pages.placeholder import coming

ROUTES = [
    PageRoute(
        "/audit",
        coming(
            "Audit log",
            "Every change and sign-in, filtered by who, what and when.",
            "acmehub audit ..., or the REST API under /api/v1/auditLogs",
        ),
        name="audit",
    ),
]
