"""Certificates over real HTTP: the inventory with its filters, the detail page with the PEM
download, revocation with a reason after confirming; auditors only look."""

from __future__ import annotations

import html
import secrets
from datetime import UTC, datetime, timedelta

from acmehub.domain.admin_model import Role
from acmehub.domain.model import Certificate, Identifier, Order, OrderStatus
from acmehub.services.accounts import NewAccountRequest
from acmehub.services.admin import CLI_ACTOR
from acmehub.services.context import ProfileMode, ProfileRef
from tests.fakes import AccountKey
from tests.support.server import AcmehubServer
from tests.webui.conftest import ClientFactory, WebClient


def stored_certificate(acmehub: AcmehubServer, days: int = 30) -> Certificate:
    """A certificate row as finalize stores it (its PEM is the CA's chain: only shown here)."""
    services = acmehub.container().services
    ctx = services.context(ProfileRef(ProfileMode.ACME_PROFILE, "default"))
    key = AccountKey.generate()
    account, _ = services.accounts.new_account(
        ctx, NewAccountRequest(jwk=key.jwk, thumbprint=key.thumbprint, payload={})
    )
    ra = next(v for v in services.ra_profiles.list_all(CLI_ACTOR) if v.profile.name == "default")
    chain = services.authorities.get(CLI_ACTOR, ra.authority.uuid).certificate
    assert chain is not None
    now = datetime.now(UTC)
    name = f"web-{secrets.token_hex(4)}.example.com"
    order_id = secrets.token_urlsafe(12)
    cert = Certificate(
        id=secrets.token_urlsafe(12),
        serial_hex=secrets.token_hex(16),
        order_id=order_id,
        account_id=account.id,
        pem=chain.chain_pem,
        chain_pem="",
        names=(name,),
        not_before=now - timedelta(days=1),
        not_after=now + timedelta(days=days),
        ra_profile_uuid=ra.profile.uuid,
        acme_profile_uuid=ctx.acme_profile.uuid if ctx.acme_profile else "",
        authority_uuid=ra.authority.uuid,
        key_thumbprint=secrets.token_hex(32),
        issued_at=now,
        associations={"owner": "web team"},
    )
    order = Order(
        id=order_id,
        account_id=account.id,
        status=OrderStatus.VALID,
        identifiers=(Identifier("dns", name),),
        authorization_ids=(),
        expires=now + timedelta(days=1),
        created_at=now,
        certificate_id=cert.id,
        acme_profile_uuid=cert.acme_profile_uuid,
        ra_profile_uuid=cert.ra_profile_uuid,
    )
    with services.deps.uow(write=True) as tx:
        tx.orders.add(order)
        tx.certificates.add(cert)
    return cert


def test_inventory_detail_download_and_revoke(admin: WebClient, acmehub: AcmehubServer) -> None:
    cert = stored_certificate(acmehub)
    soon = stored_certificate(acmehub, days=3)
    name = cert.names[0]

    listing = admin.get("/ui/certificates", params={"name": name})
    assert listing.status_code == 200
    assert name in listing.text
    assert soon.names[0] not in listing.text
    expiring = admin.get("/ui/certificates", params={"expiring": "7", "size": "100"}).text
    assert soon.names[0] in expiring
    assert name not in expiring
    assert name in admin.get("/ui/certificates", params={"account": cert.account_id}).text
    assert name in admin.get("/ui/certificates", params={"ra": cert.ra_profile_uuid}).text
    assert name not in admin.get("/ui/certificates", params={"status": "revoked"}).text
    bad = admin.get("/ui/certificates", params={"expiring": "soon"})
    assert bad.status_code == 200
    assert "Give a number of days." in bad.text

    detail = admin.get(f"/ui/certificates/{cert.id}")
    assert detail.status_code == 200
    assert cert.serial_hex in detail.text
    assert "not revoked" in detail.text
    assert "web team" in detail.text
    pem = admin.get(f"/ui/certificates/{cert.id}/pem")
    assert pem.headers["content-type"].startswith("application/pem-certificate-chain")
    assert pem.text == cert.full_chain_pem

    confirm = admin.get(f"/ui/certificates/{cert.id}/revoke")
    assert 'name="reason"' in confirm.text
    bad_reason = admin.form(f"/ui/certificates/{cert.id}/revoke", {"reason": "because"})
    assert bad_reason.status_code == 422
    assert 'id="reason-error"' in bad_reason.text
    done = admin.form(f"/ui/certificates/{cert.id}/revoke", {"reason": "keyCompromise"})
    assert done.status_code == 303, done.text
    after = html.unescape(admin.get(done.headers["location"]).text)
    assert "revoked (keyCompromise)." in after
    assert "reason keyCompromise" in after
    stored = acmehub.container().services.certificate_admin.get(CLI_ACTOR, cert.id)
    assert stored.certificate.revocation_reason == 1
    assert name in admin.get("/ui/certificates", params={"status": "revoked"}).text


def test_an_auditor_sees_certificates_and_revokes_nothing(
    admin: WebClient, web_as: ClientFactory, acmehub: AcmehubServer
) -> None:
    cert = stored_certificate(acmehub)
    auditor = web_as(Role.AUDITOR)
    for path in (
        "/ui/certificates",
        f"/ui/certificates/{cert.id}",
        f"/ui/certificates/{cert.id}/revoke",
        f"/ui/certificates/{cert.id}/pem",
    ):
        assert auditor.get(path).status_code == 200, path
    auditor.get(f"/ui/certificates/{cert.id}")
    refused = auditor.form(f"/ui/certificates/{cert.id}/revoke", {"reason": "superseded"})
    assert refused.status_code == 403
    assert "Not allowed" in refused.text
    no_token = admin.post(f"/ui/certificates/{cert.id}/revoke", [("reason", "superseded")])
    assert no_token.status_code == 403
    stored = acmehub.container().services.certificate_admin.get(CLI_ACTOR, cert.id)
    assert stored.certificate.revoked_at is None
    assert admin.get("/ui/certificates/nope").status_code == 404
