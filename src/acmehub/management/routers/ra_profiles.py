"""RA profiles on an Authority, and the ACME activation of an RA profile.

* ``/raProfiles``: every RA profile (filtered by Authority, name or description).
* ``/authorities/{a}/raProfiles``: list, create, get, change, enable, disable, delete, with the
  certificate validity (seconds) and the issuance policy that new-order and finalize enforce.
* ``/authorities/{a}/raProfiles/{r}/protocols/acme``: which ACME profile is activated on the RA
  profile (the RA-profile URL family), activate with issue/revoke attributes, deactivate.

Reads need the auditor role; enable and disable the operator role; the rest the admin role
(services/ra_profiles.py).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from acmehub.management.actions import Action, Args, install, not_found
from acmehub.management.openapi import Problem
from acmehub.services.admin import Actor
from acmehub.services.commands.base import Paged, UuidView
from acmehub.services.commands.ra_profiles import (
    ActivateAcmeRequest,
    RaProfileAcme,
    RaProfileDetail,
    RaProfileQuery,
    RaProfileRequest,
    RaProfileSearch,
    RaProfileUpdate,
)
from acmehub.services.container import Services

router = APIRouter(tags=["Authorities and RA profiles"])

OF_AUTHORITY = "/authorities/{authorityUuid}/raProfiles"
ONE = OF_AUTHORITY + "/{raProfileUuid}"
ACME = ONE + "/protocols/acme"
_AUTHORITY_404 = not_found("Authority")
_NOT_FOUND = not_found("Authority or RA profile")
_CONFLICT: dict[int | str, Any] = {409: {"model": Problem, "description": "The name is taken"}}


def _ids(a: Args) -> dict[str, Any]:
    return {"ra_uuid": a["raProfileUuid"], "authority_uuid": a["authorityUuid"]}


def _update(s: Services, actor: Actor, a: Args) -> RaProfileDetail:
    s.ra_profiles.update(actor, a["raProfileUuid"], a.body, authority_uuid=a["authorityUuid"])
    return s.ra_profiles.detail(actor, **_ids(a))


LIST_ALL = Action(
    "GET",
    "/raProfiles",
    "List RA profiles (of every Authority, or of one)",
    lambda s, actor, a: s.ra_profiles.page(actor, a.query),
    name="list_all_ra_profiles",
    query=RaProfileQuery,
    result=Paged[RaProfileDetail],
)
LIST = Action(
    "GET",
    OF_AUTHORITY,
    "List the Authority's RA profiles",
    lambda s, actor, a: s.ra_profiles.page(actor, a.query, a["authorityUuid"]),
    name="list_ra_profiles",
    query=RaProfileSearch,
    result=Paged[RaProfileDetail],
    responses=_AUTHORITY_404,
)
CREATE = Action(
    "POST",
    OF_AUTHORITY,
    "Create an RA profile",
    lambda s, actor, a: UuidView(uuid=s.ra_profiles.create(actor, a["authorityUuid"], a.body).uuid),
    name="create_ra_profile",
    body=RaProfileRequest,
    result=UuidView,
    status=201,
    location=OF_AUTHORITY + "/{uuid}",
    responses={**_AUTHORITY_404, **_CONFLICT},
)
GET = Action(
    "GET",
    ONE,
    "Get an RA profile",
    lambda s, actor, a: s.ra_profiles.detail(actor, **_ids(a)),
    name="get_ra_profile",
    result=RaProfileDetail,
    responses=_NOT_FOUND,
)
UPDATE = Action(
    "PUT",
    ONE,
    "Change an RA profile (fields left out keep their values)",
    _update,
    name="update_ra_profile",
    body=RaProfileUpdate,
    result=RaProfileDetail,
    responses=_NOT_FOUND,
)
DELETE = Action(
    "DELETE",
    ONE,
    "Delete an RA profile (422 while it is a default RA profile or has accounts)",
    lambda s, actor, a: s.ra_profiles.delete(actor, **_ids(a)),
    name="delete_ra_profile",
    responses=_NOT_FOUND,
)
ENABLE = Action(
    "PATCH",
    ONE + "/enable",
    "Enable an RA profile (422 if it is enabled)",
    lambda s, actor, a: s.ra_profiles.enable(actor, **_ids(a)),
    name="enable_ra_profile",
    responses=_NOT_FOUND,
)
DISABLE = Action(
    "PATCH",
    ONE + "/disable",
    "Disable an RA profile (422 if it is disabled)",
    lambda s, actor, a: s.ra_profiles.disable(actor, **_ids(a)),
    name="disable_ra_profile",
    responses=_NOT_FOUND,
)
GET_ACME = Action(
    "GET",
    ACME,
    "The ACME profile activated on the RA profile",
    lambda s, actor, a: s.ra_profiles.acme_activation(actor, **_ids(a)),
    name="get_ra_profile_acme",
    result=RaProfileAcme,
    responses=_NOT_FOUND,
)
ACTIVATE_ACME = Action(
    "PATCH",
    ACME + "/activate/{acmeProfileUuid}",
    "Activate an ACME profile on the RA profile (replaces the current one)",
    lambda s, actor, a: s.ra_profiles.activate(
        actor,
        a["raProfileUuid"],
        a["acmeProfileUuid"],
        a.body,
        authority_uuid=a["authorityUuid"],
    ),
    name="activate_ra_profile_acme",
    body=ActivateAcmeRequest,
    body_required=False,
    result=RaProfileAcme,
    responses=not_found("Authority, RA profile or ACME profile"),
)
DEACTIVATE_ACME = Action(
    "PATCH",
    ACME + "/deactivate",
    "Deactivate ACME on the RA profile (422 if none is activated)",
    lambda s, actor, a: s.ra_profiles.deactivate_acme(actor, **_ids(a)),
    name="deactivate_ra_profile_acme",
    responses=_NOT_FOUND,
)

ACTIONS = [
    LIST_ALL,
    LIST,
    CREATE,
    GET,
    UPDATE,
    DELETE,
    ENABLE,
    DISABLE,
    GET_ACME,
    ACTIVATE_ACME,
    DEACTIVATE_ACME,
]
install(router, ACTIONS)
