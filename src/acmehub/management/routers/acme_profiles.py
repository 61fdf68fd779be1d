"""ACME profiles (platform-reference.md, "ACME Profile fields" and "Core ACME API").

Reads need the auditor role; enable and disable (single and bulk) the operator role; everything
else the admin role (services/acme_profiles.py). New profiles start disabled. ``PUT`` changes
only the fields it carries. ``DELETE`` is refused (422) while RA profiles have the profile
activated or accounts are bound to it; ``DELETE /acmeProfiles/delete/force`` deactivates those
accounts and deactivates ACME on those RA profiles first (docs/management.md).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body
from pydantic import Field

from acmehub.management.actions import Action, install, not_found
from acmehub.management.openapi import Problem
from acmehub.services.commands.acme_profile_views import AcmeProfileDetail
from acmehub.services.commands.acme_profiles import AcmeProfileRequest, AcmeProfileUpdate
from acmehub.services.commands.base import (
    MAX_BULK,
    BulkMessage,
    Paged,
    PageQuery,
    UuidView,
)
from acmehub.services.profile_rules import BulkFailure

router = APIRouter(tags=["ACME profiles"])

ONE = "/acmeProfiles/{acmeProfileUuid}"
UuidList = Annotated[
    list[Annotated[str, Field(max_length=36)]],
    Body(max_length=MAX_BULK, description="UUIDs of the ACME profiles"),
]
_NOT_FOUND = not_found("ACME profile (or RA profile)")
_CONFLICT: dict[int | str, Any] = {
    409: {"model": Problem, "description": "An ACME profile with this name exists"}
}


def messages(failures: list[BulkFailure]) -> list[BulkMessage]:
    return [BulkMessage(uuid=f.uuid, name=f.name, message=f.message) for f in failures]


def _bulk(method: str, path: str, summary: str, service_method: str) -> Action:
    return Action(
        method,
        path,
        summary,
        lambda s, actor, a: messages(getattr(s.acme_profiles, service_method)(actor, a.body)),
        name=f"acme_profiles_{service_method}",
        body=UuidList,
        result=list[BulkMessage],
    )


LIST = Action(
    "GET",
    "/acmeProfiles",
    "List ACME profiles",
    lambda s, actor, a: s.acme_profiles.page(actor, a.query),
    name="list_acme_profiles",
    query=PageQuery,
    result=Paged[AcmeProfileDetail],
)
CREATE = Action(
    "POST",
    "/acmeProfiles",
    "Create an ACME profile (disabled)",
    lambda s, actor, a: UuidView(uuid=s.acme_profiles.create(actor, a.body).uuid),
    name="create_acme_profile",
    body=AcmeProfileRequest,
    result=UuidView,
    status=201,
    location=ONE.replace("{acmeProfileUuid}", "{uuid}"),
    responses={**_NOT_FOUND, **_CONFLICT},
)
BULK_ENABLE = _bulk("PATCH", "/acmeProfiles/enable", "Enable ACME profiles (bulk)", "bulk_enable")
BULK_DISABLE = _bulk(
    "PATCH", "/acmeProfiles/disable", "Disable ACME profiles (bulk)", "bulk_disable"
)
BULK_DELETE = _bulk(
    "DELETE",
    "/acmeProfiles/delete",
    "Delete ACME profiles (bulk); the ones in use are reported, not deleted",
    "bulk_delete",
)
FORCE_DELETE = _bulk(
    "DELETE",
    "/acmeProfiles/delete/force",
    "Force-delete ACME profiles: deactivate their accounts and ACME on RA profiles",
    "force_delete",
)
GET = Action(
    "GET",
    ONE,
    "Get an ACME profile",
    lambda s, actor, a: s.acme_profiles.detail(actor, a["acmeProfileUuid"]),
    name="get_acme_profile",
    result=AcmeProfileDetail,
    responses=_NOT_FOUND,
)


def _update(s: Any, actor: Any, a: Any) -> AcmeProfileDetail:
    s.acme_profiles.update(actor, a["acmeProfileUuid"], a.body)
    detail: AcmeProfileDetail = s.acme_profiles.detail(actor, a["acmeProfileUuid"])
    return detail


UPDATE = Action(
    "PUT",
    ONE,
    "Change an ACME profile (fields left out keep their values)",
    _update,
    name="update_acme_profile",
    body=AcmeProfileUpdate,
    result=AcmeProfileDetail,
    responses=_NOT_FOUND,
)
DELETE = Action(
    "DELETE",
    ONE,
    "Delete an ACME profile (422 while RA profiles or accounts depend on it)",
    lambda s, actor, a: s.acme_profiles.delete(actor, a["acmeProfileUuid"]),
    name="delete_acme_profile",
    responses=_NOT_FOUND,
)
ENABLE = Action(
    "PATCH",
    ONE + "/enable",
    "Enable an ACME profile (422 if it is enabled)",
    lambda s, actor, a: s.acme_profiles.enable(actor, a["acmeProfileUuid"]),
    name="enable_acme_profile",
    responses=_NOT_FOUND,
)
DISABLE = Action(
    "PATCH",
    ONE + "/disable",
    "Disable an ACME profile (422 if it is disabled)",
    lambda s, actor, a: s.acme_profiles.disable(actor, a["acmeProfileUuid"]),
    name="disable_acme_profile",
    responses=_NOT_FOUND,
)
SET_DEFAULT_RA = Action(
    "PATCH",
    ONE + "/raprofile/{raProfileUuid}",
    "Set the default RA profile; accounts bound through the default follow it",
    lambda s, actor, a: s.acme_profiles.set_default_ra_profile_detail(
        actor, a["acmeProfileUuid"], a["raProfileUuid"]
    ),
    name="set_default_ra_profile",
    result=AcmeProfileDetail,
    responses=_NOT_FOUND,
)

# Bulk routes come before /acmeProfiles/{acmeProfileUuid}: "delete" is not a profile's UUID.
ACTIONS = [
    LIST,
    CREATE,
    BULK_ENABLE,
    BULK_DISABLE,
    BULK_DELETE,
    FORCE_DELETE,
    GET,
    UPDATE,
    DELETE,
    ENABLE,
    DISABLE,
    SET_DEFAULT_RA,
]
install(router, ACTIONS)
