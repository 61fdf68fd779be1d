"""new-account (RFC 8555 §7.3), acct/{id} (§7.3.2, §7.3.6), its orders (§7.1.2.1),
key-change (§7.3.5)."""

from __future__ import annotations

from functools import partial
from typing import Any

from acmehub.domain.errors import DomainError, ErrorKind
from acmehub.protocol.auth import Authenticated
from acmehub.protocol.eab import parse_eab, verify_eab
from acmehub.protocol.jwk import PublicKey
from acmehub.protocol.jws import parse_key_change, verify_signature
from acmehub.protocol.links import Link
from acmehub.protocol.render import account_json
from acmehub.protocol.request import AcmeRequest, Reply
from acmehub.services.accounts import NewAccountRequest
from acmehub.services.eab import ExternalBinding


def _external_binding(auth: Authenticated, payload: dict[str, Any]) -> ExternalBinding | None:
    """RFC 8555 §7.3.4: parse the binding here; the service checks it against the stored key
    (in the new-account transaction) through ``verify_mac``."""
    eab = payload.get("externalAccountBinding")
    if eab is None:
        return None
    binding = parse_eab(auth.jws, eab)
    return ExternalBinding(binding.key_id, binding.alg, partial(verify_eab, binding))


def new_account(req: AcmeRequest) -> Reply:
    auth = req.auth(use="jwk")
    payload = auth.jws.json_payload()
    eab = _external_binding(auth, payload)
    account, created = req.services.accounts.new_account(
        auth.ctx, NewAccountRequest(auth.key.jwk, auth.key.thumbprint(), payload, eab)
    )
    return Reply(
        status=201 if created else 200,
        json=account_json(account, req.links),
        headers={"Location": req.links.url(Link.ACCOUNT, account.id)},
    )


def _own_account(req: AcmeRequest, account_id: str | None) -> str:
    if account_id != req.object_id:
        raise DomainError(ErrorKind.UNAUTHORIZED, "the account URL does not match the kid")
    return account_id


def account(req: AcmeRequest) -> Reply:
    auth = req.auth()
    account_id = _own_account(req, auth.account_id)
    payload = {} if auth.jws.is_post_as_get else auth.jws.json_payload()
    updated = req.services.accounts.update(auth.ctx, account_id, payload)
    return Reply(json=account_json(updated, req.links))


def orders(req: AcmeRequest) -> Reply:
    auth = req.auth()
    cursor = req.query.get("cursor", "0")
    if not cursor.isdigit() or len(cursor) > 9:
        raise DomainError(ErrorKind.MALFORMED, "cursor must be a page number")
    page = int(cursor)
    ids, more = req.services.orders.list_for_account(
        auth.ctx, auth.account_id or "", req.object_id, page
    )
    reply = Reply(json={"orders": [req.links.url(Link.ORDER, i) for i in ids]})
    if more:
        next_url = req.links.url(Link.ACCOUNT_ORDERS, req.object_id) + f"?cursor={page + 1}"
        reply.headers["Link"] = f'<{next_url}>;rel="next"'
    return reply


def key_change(req: AcmeRequest) -> Reply:
    auth = req.auth()
    account_id = auth.account_id or ""
    inner = parse_key_change(auth.jws)
    new_key = verify_signature(inner)
    payload = inner.json_payload()
    # RFC 8555 §7.3.5: the inner payload binds the change to this account and its old key.
    if payload.get("account") != auth.jws.kid:
        raise DomainError(ErrorKind.MALFORMED, "inner JWS account does not match the outer JWS kid")
    old_jwk = payload.get("oldKey")
    if not isinstance(old_jwk, dict):
        raise DomainError(ErrorKind.MALFORMED, "inner JWS payload needs an oldKey object")
    old_key = PublicKey.from_jwk(old_jwk)
    if old_key.thumbprint() != auth.key.thumbprint():
        raise DomainError(ErrorKind.MALFORMED, "oldKey is not the key that signed the request")
    if new_key.thumbprint() == old_key.thumbprint():
        raise DomainError(ErrorKind.MALFORMED, "the new key is the same as the old key")
    try:
        updated = req.services.accounts.change_key(
            auth.ctx, account_id, old_key.thumbprint(), new_key.jwk, new_key.thumbprint()
        )
    except DomainError as exc:
        if exc.kind is ErrorKind.CONFLICT and "Location" in exc.headers:
            exc.headers["Location"] = req.links.url(Link.ACCOUNT, exc.headers["Location"])
        raise
    return Reply(json=account_json(updated, req.links))
