"""EAB keys (issue 4). Not built yet: the section's index says so.

Build it like pages/acme_profiles.py: handlers calling the services with ``req.actor``,
templates under templates/eab/, and the routes in ``ROUTES`` below.
"""

from __future__ import annotations

from acmehub.webui.framework import PageRoute
from acmehub.webui.pages.placeholder import coming

ROUTES = [
    PageRoute(
        "/eab-keys",
        coming(
            "EAB keys",
            (
                "External account binding keys per ACME profile: create (the secret is shown once, "
                "with the certbot and lego flags), list, revoke."
            ),
            "acmehub eab ..., or the REST API",
        ),
        name="eab",
    ),
]
