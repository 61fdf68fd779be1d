"""What a handler receives and returns: no Starlette types leak into handlers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from acmehub.domain.errors import DomainError, ErrorKind
from acmehub.protocol.auth import Authenticated, authenticate
from acmehub.protocol.jwk import KeyCache
from acmehub.protocol.links import Linker
from acmehub.services.container import Services
from acmehub.services.context import AcmeContext


@dataclass(frozen=True)
class AcmeRequest:
    services: Services
    ctx: AcmeContext
    links: Linker
    url: str  # the external URL the client used (what the JWS "url" must equal)
    body: bytes
    object_id: str = ""
    query: dict[str, str] = field(default_factory=dict)
    keys: KeyCache = field(default_factory=KeyCache)

    def auth(self, use: str = "kid") -> Authenticated:
        return authenticate(
            self.services, self.ctx, self.links, self.url, self.body, use=use, keys=self.keys
        )


@dataclass
class Reply:
    status: int = 200
    json: Any = None
    body: bytes = b""
    content_type: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


def require_post_as_get(auth: Authenticated) -> None:
    """RFC 8555 §6.3: fetching a resource is a POST with an empty payload."""
    if not auth.jws.is_post_as_get:
        raise DomainError(ErrorKind.MALFORMED, "POST-as-GET requests must have an empty payload")
