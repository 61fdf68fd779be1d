"""Records of the administrative side: roles, API tokens, web users and their sessions,
sign-in failures and the audit log (the ACME objects are in :mod:`acmehub.domain.model`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class Role(StrEnum):
    ADMIN = "admin"  # everything
    OPERATOR = "operator"  # enable, disable, revoke; no configuration
    AUDITOR = "auditor"  # read only


@dataclass(frozen=True)
class ApiToken:
    uuid: str
    name: str
    token_hash: str  # SHA-256 hex of the secret; the secret itself is shown once
    role: Role
    created_at: datetime
    revoked_at: datetime | None = None
    #: After this the token authenticates no one; None: it never expires.
    expires_at: datetime | None = None
    #: What it may touch, narrower than its role ("certificates:read"...); empty: the role's all.
    scopes: tuple[str, ...] = ()


@dataclass(frozen=True)
class User:
    """A person who signs in to the web interface (created by `acmehub user create`)."""

    uuid: str
    username: str
    password_hash: str  # argon2id, PHC string format; the password itself is never stored
    role: Role
    created_at: datetime
    disabled: bool = False
    last_sign_in_at: datetime | None = None


@dataclass(frozen=True)
class WebSession:
    """A signed-in browser. The cookie holds a 256-bit secret; only its SHA-256 is stored."""

    id_hash: str  # SHA-256 hex of the cookie's secret
    user_uuid: str
    created_at: datetime
    last_seen_at: datetime  # for the idle timeout
    expires_at: datetime  # the absolute end, whatever the activity


@dataclass(frozen=True)
class SignInFailures:
    """Failed sign-ins in a row for one key: ``user:<name>`` or ``address:<ip>``."""

    key: str
    failures: int
    last_failure_at: datetime
    locked_at: datetime | None = None  # set on a user key at the lock-out; an admin clears it


@dataclass(frozen=True)
class AuditEvent:
    at: datetime
    actor: str  # "token:<name>", "cli", "acme:<account id>", "system"
    action: str  # e.g. "acmeProfile.create", "certificate.issue", "account.revoke"
    object_type: str
    object_id: str
    outcome: str  # "success" | "failure"
    detail: dict[str, Any] = field(default_factory=dict)
    id: int | None = None
