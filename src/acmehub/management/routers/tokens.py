"""GET /tokens: who holds API tokens, with which role, expiry and scopes (read only).

Tokens are created and revoked with the CLI on the server's machine (`acmehub token
create|revoke`), never over HTTP, so a leaked token cannot mint others. Secrets and their
hashes are never shown.
"""

from __future__ import annotations

from fastapi import APIRouter

from acmehub.management.actions import Action, install
from acmehub.services.commands.base import Paged, PageQuery
from acmehub.services.commands.tokens import ApiTokenInfo

router = APIRouter(tags=["API tokens"])

LIST = Action(
    "GET",
    "/tokens",
    "List API tokens (by name)",
    lambda s, actor, a: s.tokens.page(actor, a.query),
    name="list_tokens",
    query=PageQuery,
    result=Paged[ApiTokenInfo],
)

ACTIONS = [LIST]
install(router, ACTIONS)
