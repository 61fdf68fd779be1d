"""cert/{id} (RFC 8555 §7.4.2) and revoke-cert (§7.6)."""

from __future__ import annotations

from acmehub.domain.errors import DomainError, ErrorKind
from acmehub.protocol.jose_encoding import b64url_decode
from acmehub.protocol.links import Link
from acmehub.protocol.request import AcmeRequest, Reply, require_post_as_get
from acmehub.services.certificates import RevocationSigner

PEM_CHAIN = "application/pem-certificate-chain"


def certificate(req: AcmeRequest) -> Reply:
    """The certificate with its default chain (cert/{id}) or its n-th alternate chain
    (cert/{id}/{n}); RFC 8555 §7.4.2: Link rel="alternate" names every other chain."""
    auth = req.auth()
    require_post_as_get(auth)
    cert_id, _, number = req.object_id.partition("/")
    cert, alternates = req.services.certificates.download_chains(
        auth.ctx, auth.account_id or "", cert_id
    )
    shown = int(number) if number else 0
    if shown > len(alternates):
        raise DomainError(
            ErrorKind.NOT_FOUND, f"the certificate has no alternate chain {shown}", status=404
        )
    chains = (cert.chain_pem, *alternates)
    links = [
        f'<{_chain_url(req, cert_id, n)}>;rel="alternate"' for n in range(len(chains)) if n != shown
    ]
    reply = Reply(body=(cert.pem + chains[shown]).encode(), content_type=PEM_CHAIN)
    if links:
        reply.headers["Link"] = ", ".join(links)
    return reply


def _chain_url(req: AcmeRequest, cert_id: str, number: int) -> str:
    if number == 0:
        return req.links.url(Link.CERT, cert_id)
    return req.links.url(Link.CERT_ALTERNATE, f"{cert_id}/{number}")


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
