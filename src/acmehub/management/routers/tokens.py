"""GET /tokens: who holds API tokens, with which role, expiry and scopes (read only).

Tokens are created and revoked with the CLI (`acmehub token create|revoke`), never over HTTP,
so a leaked token cannot mint others. Secrets and their hashes are never shown.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from acmehub.domain.model import ApiToken, Role
from acmehub.management.deps import ActorDep, ServicesDep

router = APIRouter(tags=["API tokens"])


class ApiTokenInfo(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, validate_by_name=True)

    uuid: str
    name: str
    role: Role
    created_at: datetime
    revoked_at: datetime | None = Field(description="Set once the token is revoked")
    expires_at: datetime | None = Field(description="When it stops working; null: never")
    scopes: list[str] = Field(
        description='What it may touch, narrower than its role ("certificates:read"...); '
        "empty: all its role allows"
    )

    @classmethod
    def of(cls, token: ApiToken) -> ApiTokenInfo:
        return cls(
            uuid=token.uuid,
            name=token.name,
            role=token.role,
            created_at=token.created_at,
            revoked_at=token.revoked_at,
            expires_at=token.expires_at,
            scopes=list(token.scopes),
        )


@router.get("/tokens", summary="List API tokens", response_model=list[ApiTokenInfo])
def list_tokens(services: ServicesDep, actor: ActorDep) -> list[ApiTokenInfo]:
    return [ApiTokenInfo.of(t) for t in services.tokens.list(actor)]
