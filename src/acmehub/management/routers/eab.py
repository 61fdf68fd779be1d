"""External account binding keys of an ACME profile (RFC 8555 §7.3.4), services/eab.py.

Creating a key (admin) answers 201 with its ``hmacKey``, shown in this response only (sent
with ``Cache-Control: no-store``), and ready-to-use certbot and lego flags. Reads (auditor)
never show the secret. ``DELETE`` (operator) revokes the key: it admits no more accounts but
stays listed as "revoked", since the accounts it admitted keep naming it; repeating it is
harmless. A binding sent to a profile that does not require one is checked all the same.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from acmehub.domain.urls import API_PATH
from acmehub.management.actions import Action, Args, install, not_found
from acmehub.services.commands.base import Paged, PageQuery
from acmehub.services.commands.eab import EabKeyCreated, EabKeyInfo, EabKeyRequest

router = APIRouter(tags=["EAB keys"])

KEYS = "/acmeProfiles/{acmeProfileUuid}/eabKeys"
ONE = KEYS + "/{keyId}"
_NOT_FOUND = not_found("ACME profile or EAB key")


def _location(a: Args, created: Any) -> str:
    return API_PATH + ONE.replace("{acmeProfileUuid}", a["acmeProfileUuid"]).replace(
        "{keyId}", created.key_id
    )


CREATE = Action(
    "POST",
    KEYS,
    "Create an EAB key (the secret is shown once)",
    lambda s, actor, a: s.eab.create_detail(actor, a["acmeProfileUuid"], a.body),
    name="create_eab_key",
    body=EabKeyRequest,
    body_required=False,
    result=EabKeyCreated,
    status=201,
    location=_location,
    headers={"Cache-Control": "no-store"},  # the HMAC key: kept by no cache
    responses=_NOT_FOUND,
)
LIST = Action(
    "GET",
    KEYS,
    "List the EAB keys of an ACME profile (no secrets)",
    lambda s, actor, a: s.eab.page(actor, a["acmeProfileUuid"], a.query),
    name="list_eab_keys",
    query=PageQuery,
    result=Paged[EabKeyInfo],
    responses=_NOT_FOUND,
)
GET = Action(
    "GET",
    ONE,
    "Get an EAB key (no secret)",
    lambda s, actor, a: s.eab.detail(actor, a["acmeProfileUuid"], a["keyId"]),
    name="get_eab_key",
    result=EabKeyInfo,
    responses=_NOT_FOUND,
)
REVOKE = Action(
    "DELETE",
    ONE,
    "Revoke an EAB key (it stays listed as revoked)",
    lambda s, actor, a: s.eab.revoke(actor, a["acmeProfileUuid"], a["keyId"]),
    name="revoke_eab_key",
    responses=_NOT_FOUND,
)

ACTIONS = [CREATE, LIST, GET, REVOKE]
install(router, ACTIONS)
