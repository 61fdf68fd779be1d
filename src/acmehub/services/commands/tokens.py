"""API tokens and web users: the commands that create them and the views the API and the CLI
show. Tokens and users are created and changed only on the server's machine (`acmehub token
create`, `acmehub user ...`), never over HTTP, so a leaked token cannot mint others; tokens
are listed over the API too. Secrets, their hashes and passwords are never shown."""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import Field

from acmehub.domain.admin_model import ApiToken, Role, User
from acmehub.services.commands.base import ApiModel, Column, PageQuery

#: How long a token lives unless its creator says otherwise.
DEFAULT_LIFETIME = timedelta(days=90)


class TokenRequest(ApiModel):
    """A new token; ``expires_in`` None and ``expires_at`` None: it never expires."""

    name: str = Field(description="Unique, e.g. the tool or person using it")
    role: Role
    expires_in: timedelta | None = Field(default=DEFAULT_LIFETIME, description="Its lifetime")
    expires_at: datetime | None = Field(default=None, description="When it expires (wins)")
    scopes: list[str] = Field(
        default_factory=list, description="<family>:read or <family>:write; empty: all its role"
    )


class ApiTokenInfo(ApiModel):
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


class CreatedToken(ApiTokenInfo):
    secret: str = Field(description="Shown once, never stored")


class UserInfo(ApiModel):
    uuid: str
    username: str
    role: Role
    disabled: bool
    created_at: datetime
    last_sign_in_at: datetime | None

    @classmethod
    def of(cls, user: User) -> UserInfo:
        return cls(
            uuid=user.uuid,
            username=user.username,
            role=user.role,
            disabled=user.disabled,
            created_at=user.created_at,
            last_sign_in_at=user.last_sign_in_at,
        )


class UserUnlocked(ApiModel):
    username: str
    was_locked: bool


TokenQuery = PageQuery

TOKEN_COLUMNS: tuple[Column[ApiTokenInfo], ...] = (
    Column("Name", lambda t: t.name),
    Column("Role", lambda t: t.role.value),
    Column("Created", lambda t: t.created_at, show="time"),
    Column("Revoked", lambda t: t.revoked_at, show="time"),
    Column("Expires", lambda t: t.expires_at, show="time"),
    Column("Scopes", lambda t: " ".join(t.scopes)),
)
USER_COLUMNS: tuple[Column[UserInfo], ...] = (
    Column("Username", lambda u: u.username),
    Column("Role", lambda u: u.role.value),
    Column("Disabled", lambda u: u.disabled),
    Column("Created", lambda u: u.created_at, show="time"),
    Column("Last sign-in", lambda u: u.last_sign_in_at, show="time"),
)
