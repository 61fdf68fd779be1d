"""ACME Accounts (issue 4). Not built yet: the section's index says so.

Build it like pages/acme_profiles.py: handlers calling the services with ``req.actor``,
templates under templates/accounts/, and the routes in ``ROUTES`` below.
"""

from __future__ import annotations

from acmehub.webui.framework import PageRoute
from acmehub.webui.pages.placeholder import coming

ROUTES = [
    PageRoute(
        "/accounts",
        coming(
            "ACME Accounts",
            (
                "Every ACME account with its profile, RA profile, status and order counts; enable, "
                "disable and revoke, one at a time or in bulk."
            ),
            "acmehub account ..., or the REST API under /api/v1/acmeAccounts",
        ),
        name="accounts",
    ),
]
