"""Audit events written by the ACME side, in the transaction of the change they record:
account.create, account.update, account.deactivate, account.keyChange, certificate.issue,
certificate.revoke (actor "acme:<account id>")."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from acmehub.domain.admin_model import AuditEvent
from acmehub.domain.csr import spki_sha256_hex
from acmehub.domain.errors import DomainError
from acmehub.domain.ports import AuditFilter, Page
from acmehub.services.certificates import RevocationSigner
from acmehub.services.context import AcmeContext
from tests.fakes import AccountKey, MemoryWorld


@pytest.fixture
def world(tmp_path: Path) -> MemoryWorld:
    world = MemoryWorld.build(tmp_path)
    world.profiles()
    return world


@pytest.fixture
def ctx(world: MemoryWorld) -> AcmeContext:
    return world.context()


def events(world: MemoryWorld, action: str | None = None) -> list[AuditEvent]:
    """ACME-side events, oldest first (profile set-up writes events of its own)."""
    with world.uow() as tx:
        found = tx.audit.list(AuditFilter(action=action), Page())
    return [e for e in reversed(found) if e.actor.startswith("acme:")]


def test_account_lifecycle_is_audited(world: MemoryWorld, ctx: AcmeContext) -> None:
    account, key = world.new_account(ctx)
    accounts = world.services.accounts
    accounts.update(ctx, account.id, {})  # nothing changes: no event
    accounts.update(ctx, account.id, {"contact": ["mailto:new@example.com"]})
    new_key = AccountKey.generate()
    accounts.change_key(ctx, account.id, key.thumbprint, new_key.jwk, new_key.thumbprint)
    accounts.update(ctx, account.id, {"status": "deactivated"})

    seen = [(e.actor, e.action, e.object_type, e.object_id) for e in events(world)]
    actor = f"acme:{account.id}"
    assert seen == [
        (actor, action, "account", account.uuid)
        for action in (
            "account.create",
            "account.update",
            "account.keyChange",
            "account.deactivate",
        )
    ]
    create, _, change, _ = events(world)
    assert create.detail["accountId"] == account.id
    assert create.detail["acmeProfileUuid"] == ctx.acme_profile.uuid
    assert create.detail["eabKeyId"] is None
    assert change.detail == {
        "accountId": account.id,
        "oldKeyThumbprint": key.thumbprint,
        "newKeyThumbprint": new_key.thumbprint,
    }
    assert all(e.at == world.clock.now() and e.outcome == "success" for e in events(world))


def test_refused_requests_write_no_event(world: MemoryWorld, ctx: AcmeContext) -> None:
    account, _ = world.new_account(ctx)
    with pytest.raises(DomainError):
        world.services.accounts.update(ctx, account.id, {"status": "valid-ish"})
    assert [e.action for e in events(world)] == ["account.create"]


def test_issue_and_revoke_are_audited(world: MemoryWorld, ctx: AcmeContext) -> None:
    account, key = world.new_account(ctx)
    cert, _ = world.issue(ctx, account, key, "audit.example.com", "www.audit.example.com")
    [issued] = events(world, "certificate.issue")
    assert (issued.actor, issued.object_type, issued.object_id) == (
        f"acme:{account.id}",
        "certificate",
        cert.id,
    )
    assert issued.detail == {
        "orderId": cert.order_id,
        "serial": cert.serial_hex,
        "names": ["audit.example.com", "www.audit.example.com"],
    }

    der = x509.load_pem_x509_certificate(cert.pem.encode()).public_bytes(serialization.Encoding.DER)
    world.services.certificates.revoke(ctx, RevocationSigner(account_id=account.id), der, 4)
    [revoked] = events(world, "certificate.revoke")
    assert (revoked.actor, revoked.object_id) == (f"acme:{account.id}", cert.id)
    assert revoked.detail == {"serial": cert.serial_hex, "reason": 4}


def test_revocation_by_the_certificate_key_names_that_key(
    world: MemoryWorld, ctx: AcmeContext
) -> None:
    account, key = world.new_account(ctx)
    cert, cert_key = world.issue(ctx, account, key, "bykey.example.com")
    der = x509.load_pem_x509_certificate(cert.pem.encode()).public_bytes(serialization.Encoding.DER)
    spki = spki_sha256_hex(cert_key.public_key())
    world.services.certificates.revoke(ctx, RevocationSigner(key_spki_sha256=spki), der, None)
    [revoked] = events(world, "certificate.revoke")
    assert revoked.actor == f"acme:certkey:{spki}"
    assert revoked.detail["reason"] == 0


def test_a_failed_issuance_writes_no_issue_event(world: MemoryWorld, ctx: AcmeContext) -> None:
    account, key = world.new_account(ctx)
    world.ca.fail_issuance = RuntimeError("CA down")
    with pytest.raises(AssertionError):
        world.issue(ctx, account, key, "down.example.com")
    assert events(world, "certificate.issue") == []
