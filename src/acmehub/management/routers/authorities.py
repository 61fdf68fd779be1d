"""Authorities (CAs): list, create (embedded: generate a root and an intermediate, or import an
existing CA certificate and key with its chain), get (issuing certificate and chain), enable,
disable, delete (422 while RA profiles use it). A disabled Authority refuses issuance.

Reads need the auditor role; enable and disable the operator role; the rest the admin role
(services/authorities.py). The RA profiles on an Authority: routers/ra_profiles.py.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from acmehub.management.actions import Action, install, not_found
from acmehub.management.openapi import Problem
from acmehub.services.commands.authorities import AuthorityDetail, AuthorityRequest
from acmehub.services.commands.base import Paged, PageQuery, UuidView

router = APIRouter(tags=["Authorities and RA profiles"])

ONE = "/authorities/{authorityUuid}"
_NOT_FOUND = not_found("Authority")
_CONFLICT: dict[int | str, Any] = {409: {"model": Problem, "description": "The name is taken"}}

LIST = Action(
    "GET",
    "/authorities",
    "List Authorities",
    lambda s, actor, a: s.authorities.page(actor, a.query),
    name="list_authorities",
    query=PageQuery,
    result=Paged[AuthorityDetail],
)
CREATE = Action(
    "POST",
    "/authorities",
    "Create an embedded Authority: generate a new CA, or import one",
    lambda s, actor, a: UuidView(uuid=s.authorities.create(actor, a.body).authority.uuid),
    name="create_authority",
    body=AuthorityRequest,
    result=UuidView,
    status=201,
    location=ONE.replace("{authorityUuid}", "{uuid}"),
    responses=_CONFLICT,
)
GET = Action(
    "GET",
    ONE,
    "Get an Authority with its CA certificate and chain",
    lambda s, actor, a: s.authorities.detail(actor, a["authorityUuid"]),
    name="get_authority",
    result=AuthorityDetail,
    responses=_NOT_FOUND,
)
DELETE = Action(
    "DELETE",
    ONE,
    "Delete an Authority (422 while RA profiles use it)",
    lambda s, actor, a: s.authorities.delete(actor, a["authorityUuid"]),
    name="delete_authority",
    responses=_NOT_FOUND,
)
ENABLE = Action(
    "PATCH",
    ONE + "/enable",
    "Enable an Authority (422 if it is enabled)",
    lambda s, actor, a: s.authorities.enable(actor, a["authorityUuid"]),
    name="enable_authority",
    responses=_NOT_FOUND,
)
DISABLE = Action(
    "PATCH",
    ONE + "/disable",
    "Disable an Authority: it refuses issuance (422 if it is disabled)",
    lambda s, actor, a: s.authorities.disable(actor, a["authorityUuid"]),
    name="disable_authority",
    responses=_NOT_FOUND,
)

CROSS_SIGN = Action(
    "POST",
    ONE + "/crossSign",
    "Cross-sign the issuing CA with a new root: certificate downloads then offer the "
    'alternate chain (RFC 8555 §7.4.2, Link rel="alternate")',
    lambda s, actor, a: AuthorityDetail.of(
        s.authorities.cross_sign(actor, a["authorityUuid"]), s.deps.urls
    ),
    name="cross_sign_authority",
    result=AuthorityDetail,
    responses={
        **_NOT_FOUND,
        409: {"model": Problem, "description": "The Authority changed meanwhile: try again"},
    },
)

ACTIONS = [LIST, CREATE, GET, DELETE, ENABLE, DISABLE, CROSS_SIGN]
install(router, ACTIONS)
