"""Request authentication (RFC 8555 §6.2 - §6.5): JWS, url, nonce, kid or jwk, account."""

from __future__ import annotations

from dataclasses import dataclass, replace

from acmehub.domain.errors import DomainError, ErrorKind
from acmehub.protocol.jwk import KeyCache, PublicKey
from acmehub.protocol.jws import JwsRequest, check_url, parse_jws, verify_signature
from acmehub.protocol.links import Linker
from acmehub.services.container import Services
from acmehub.services.context import AcmeContext


@dataclass(frozen=True)
class Authenticated:
    ctx: AcmeContext
    jws: JwsRequest
    #: The account the kid names (None for jwk-signed requests).
    account_id: str | None
    #: The key that verified the signature.
    key: PublicKey


def authenticate(
    services: Services,
    ctx: AcmeContext,
    links: Linker,
    request_url: str,
    body: bytes,
    *,
    use: str,
    keys: KeyCache,
) -> Authenticated:
    """``use`` is "kid" (account requests), "jwk" (newAccount) or "either" (revokeCert)."""
    jws = parse_jws(body)
    check_url(jws, request_url)
    account_id: str | None = None
    if jws.kid is not None:
        if use == "jwk":
            raise DomainError(ErrorKind.MALFORMED, "this request must carry a jwk, not a kid")
        account_id = links.account_id_from_kid(jws.kid)
        if account_id is None:
            raise DomainError(
                ErrorKind.MALFORMED, "kid is not an account URL of this server for this profile"
            )
        with services.deps.uow() as tx:
            account = services.accounts.for_request(tx, ctx, account_id)
        key = verify_signature(jws, keys.get(account.jwk))
        ctx = replace(ctx, account=account)
    else:
        if use == "kid":
            raise DomainError(ErrorKind.MALFORMED, "this request must carry a kid, not a jwk")
        key = verify_signature(jws)
    # RFC 8555 §6.5: checked after the signature so forged requests cannot burn nonces.
    if not services.deps.nonces.consume(jws.nonce):
        raise DomainError(ErrorKind.BAD_NONCE, "JWS has an invalid anti-replay nonce")
    return Authenticated(ctx, jws, account_id, key)
