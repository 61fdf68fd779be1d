"""RA Profiles & Authorities (issue 4). Not built yet: the section's index says so.

Build it like pages/acme_profiles.py: handlers calling the services with ``req.actor``,
templates under templates/ra_profiles/, and the routes in ``ROUTES`` below.
"""

from __future__ import annotations

from acmehub.webui.framework import PageRoute
from acmehub.webui.pages.placeholder import coming

ROUTES = [
    PageRoute(
        "/ra-profiles",
        coming(
            "RA Profiles & Authorities",
            (
                "Authorities and their RA profiles: list, create and edit, the issuance policy, "
                "ACME "
                "activation with issue and revoke attributes, and the CA chain to download."
            ),
            (
                "acmehub authority ... and acmehub ra-profile ..., or the REST API under "
                "/api/v1/authorities"
            ),
        ),
        name="ra_profiles",
    ),
]
