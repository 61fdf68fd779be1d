"""Certificate profiles an RA profile offers (draft-ietf-acme-profiles): the directory's
``meta.profiles`` and new-order's ``profile``.

* ``/authorities/{a}/raProfiles/{r}/certificateProfiles``: list, create;
* ``.../certificateProfiles/{c}``: get, change, delete.

Reads need the auditor role, changes the admin role (services/certificate_profiles.py); both
count under the raProfiles token scopes.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from acmehub.management.actions import Action, Args, install, not_found
from acmehub.management.openapi import Problem
from acmehub.management.routers.ra_profiles import ONE as RA_PROFILE
from acmehub.services.admin import Actor
from acmehub.services.commands.base import Paged, UuidView
from acmehub.services.commands.certificate_profiles import (
    CertificateProfileDetail,
    CertificateProfileRequest,
    CertificateProfileSearch,
    CertificateProfileUpdate,
)
from acmehub.services.container import Services

router = APIRouter(tags=["Authorities and RA profiles"])

OF_RA_PROFILE = RA_PROFILE + "/certificateProfiles"
ONE = OF_RA_PROFILE + "/{certificateProfileUuid}"
_RA_404 = not_found("Authority or RA profile")
_NOT_FOUND = not_found("Authority, RA profile or certificate profile")
_CONFLICT: dict[int | str, Any] = {
    409: {"model": Problem, "description": "The RA profile offers a profile of that name"}
}


def _ra(a: Args) -> dict[str, Any]:
    return {"ra_uuid": a["raProfileUuid"], "authority_uuid": a["authorityUuid"]}


def _one(a: Args) -> dict[str, Any]:
    return {**_ra(a), "cp_uuid": a["certificateProfileUuid"]}


def _update(s: Services, actor: Actor, a: Args) -> CertificateProfileDetail:
    s.certificate_profiles.update(actor, command=a.body, **_one(a))
    return s.certificate_profiles.detail(actor, **_one(a))


LIST = Action(
    "GET",
    OF_RA_PROFILE,
    "List the certificate profiles an RA profile offers",
    lambda s, actor, a: s.certificate_profiles.page(actor, a.query, **_ra(a)),
    name="list_certificate_profiles",
    query=CertificateProfileSearch,
    result=Paged[CertificateProfileDetail],
    responses=_RA_404,
)
CREATE = Action(
    "POST",
    OF_RA_PROFILE,
    "Create a certificate profile (the RA profile's first is its default)",
    lambda s, actor, a: UuidView(
        uuid=s.certificate_profiles.create(actor, command=a.body, **_ra(a)).uuid
    ),
    name="create_certificate_profile",
    body=CertificateProfileRequest,
    result=UuidView,
    status=201,
    location=OF_RA_PROFILE + "/{uuid}",
    responses={**_RA_404, **_CONFLICT},
)
GET = Action(
    "GET",
    ONE,
    "Get a certificate profile",
    lambda s, actor, a: s.certificate_profiles.detail(actor, **_one(a)),
    name="get_certificate_profile",
    result=CertificateProfileDetail,
    responses=_NOT_FOUND,
)
UPDATE = Action(
    "PUT",
    ONE,
    "Change a certificate profile (fields left out keep their values)",
    _update,
    name="update_certificate_profile",
    body=CertificateProfileUpdate,
    result=CertificateProfileDetail,
    responses=_NOT_FOUND,
)
DELETE = Action(
    "DELETE",
    ONE,
    "Delete a certificate profile (422 for the default while others remain)",
    lambda s, actor, a: s.certificate_profiles.delete(actor, **_one(a)),
    name="delete_certificate_profile",
    responses=_NOT_FOUND,
)

ACTIONS = [LIST, CREATE, GET, UPDATE, DELETE]
install(router, ACTIONS)
