"""cert/{id} (RFC 8555 §7.4.2) and revoke-cert (§7.6)."""

from __future__ import annotations

from acmehub.domain.errors import DomainError, ErrorKind
from acmehub.protocol.jose_encoding import b64url_decode
from acmehub.protocol.request import AcmeRequest, Reply, require_post_as_get
from acmehub.services.certificates import RevocationSigner

PEM_CHAIN = "application/pem-certificate-chain"


def certificate(req: AcmeRequest) -> Reply:
    auth = req.auth()
    require_post_as_get(auth)
    cert = req.services.certificates.download(auth.ctx, auth.account_id or "", req.object_id)
    return Reply(body=cert.full_chain_pem.encode(), content_type=PEM_CHAIN)


def revoke(req: AcmeRequest) -> Reply:
    auth = req.auth(use="either")
    payload = auth.jws.json_payload()
    encoded = payload.get("certificate")
    if not isinstance(encoded, str):
        raise DomainError(ErrorKind.MALFORMED, "revocation payload needs a certificate string")
    signer = (
        RevocationSigner(account_id=auth.account_id)
        if auth.account_id is not None
        else RevocationSigner(key_spki_sha256=auth.key.spki_sha256())
    )
    req.services.certificates.revoke(
        auth.ctx, signer, b64url_decode(encoded, "certificate"), payload.get("reason")
    )
    return Reply(status=200)
