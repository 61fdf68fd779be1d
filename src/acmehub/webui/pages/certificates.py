"""Certificates (issue 4). Not built yet: the section's index says so.

Build it like pages/acme_profiles.py: handlers calling the services with ``req.actor``,
templates under templates/certificates/, and the routes in ``ROUTES`` below.
"""

from __future__ import annotations

from acmehub.webui.framework import PageRoute
from acmehub.webui.pages.placeholder import coming

ROUTES = [
    PageRoute(
        "/certificates",
        coming(
            "Certificates",
            (
                "The certificate inventory with filters, each certificate's names, serial, "
                "validity, "
                "chain and revocation state, PEM download and revocation with a reason."
            ),
            "acmehub certificate ..., or the REST API under /api/v1/certificates",
        ),
        name="certificates",
    ),
]
