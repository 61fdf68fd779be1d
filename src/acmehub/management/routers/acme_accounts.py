"""ACME accounts (platform-reference.md, "ACME accounts"): reads need the auditor role, changes
the operator role (services/account_admin.py). Enable and disable apply to valid accounts only;
revoke is final. The protocol honours both at once (a disabled account is refused new orders,
finalize, challenge answers and revocation; a revoked one everything).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body

from acmehub.management.actions import Action, install, not_found
from acmehub.services.commands.accounts import AccountQuery, AcmeAccount, ShortId, messages
from acmehub.services.commands.base import MAX_BULK, BulkMessage, Paged

router = APIRouter(tags=["ACME accounts"])

ONE = "/acmeProfiles/{acmeProfileUuid}/acmeAccounts/{acmeAccountUuid}"
_NOT_FOUND = not_found("ACME profile or account")
UuidList = Annotated[list[ShortId], Body(max_length=MAX_BULK, description="UUIDs of the accounts")]


def _bulk(method: str, path: str, summary: str, change: str) -> Action:
    return Action(
        method,
        path,
        summary,
        lambda s, actor, a: messages(getattr(s.account_admin, f"bulk_{change}")(actor, a.body)),
        name=f"bulk_{change}_acme_accounts",
        body=UuidList,
        result=list[BulkMessage],
    )


def _one(method: str, suffix: str, summary: str, change: str) -> Action:
    return Action(
        method,
        ONE + suffix,
        summary,
        lambda s, actor, a: getattr(s.account_admin, change)(
            actor, a["acmeProfileUuid"], a["acmeAccountUuid"]
        ),
        name=f"{change}_acme_account",
        responses=_NOT_FOUND,
    )


LIST = Action(
    "GET",
    "/acmeAccounts",
    "List ACME accounts",
    lambda s, actor, a: s.account_admin.page(actor, a.query),
    name="list_acme_accounts",
    query=AccountQuery,
    result=Paged[AcmeAccount],
)
BULK_ENABLE = _bulk("PATCH", "/acmeAccounts/enable", "Enable ACME accounts (bulk)", "enable")
BULK_DISABLE = _bulk("PATCH", "/acmeAccounts/disable", "Disable ACME accounts (bulk)", "disable")
BULK_REVOKE = _bulk("PUT", "/acmeAccounts/revoke", "Revoke ACME accounts (bulk)", "revoke")
GET = Action(
    "GET",
    ONE,
    "Get an ACME account with its order counts",
    lambda s, actor, a: s.account_admin.detail(actor, a["acmeProfileUuid"], a["acmeAccountUuid"]),
    name="get_acme_account",
    result=AcmeAccount,
    responses=_NOT_FOUND,
)
REVOKE = _one("POST", "", "Revoke an ACME account (final)", "revoke")
ENABLE = _one("PATCH", "/enable", "Enable an ACME account", "enable")
DISABLE = _one("PATCH", "/disable", "Disable an ACME account", "disable")

ACTIONS = [LIST, BULK_ENABLE, BULK_DISABLE, BULK_REVOKE, GET, REVOKE, ENABLE, DISABLE]
install(router, ACTIONS)
