"""Orders (issue 4). Not built yet: the section's index says so.

Build it like pages/acme_profiles.py: handlers calling the services with ``req.actor``,
templates under templates/orders/, and the routes in ``ROUTES`` below.
"""

from __future__ import annotations

from acmehub.webui.framework import PageRoute
from acmehub.webui.pages.placeholder import coming

ROUTES = [
    PageRoute(
        "/orders",
        coming(
            "Orders",
            (
                "Orders with their identifiers, authorizations and challenge attempts with their "
                "errors, and the resulting certificate: why did a client fail?"
            ),
            "the dashboard's failed validations, or the REST API",
        ),
        name="orders",
    ),
]
