"""The certificate inventory and administrative revocation on the in-memory fakes."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from cryptography import x509

from acmehub.domain.admin_model import Role
from acmehub.domain.errors import DomainError, ErrorKind
from acmehub.domain.model import Account, Certificate
from acmehub.domain.ports import AuditFilter, Page
from acmehub.services.admin import CLI_ACTOR, Actor
from acmehub.services.certificate_admin import (
    REASON_CODES,
    CertificateAdminService,
    CertificateQuery,
    CertificateStatus,
    reason_code,
)
from acmehub.services.context import AcmeContext
from tests.fakes import AccountKey, MemoryWorld

OPERATOR = Actor("token:op", Role.OPERATOR)
AUDITOR = Actor("token:audit", Role.AUDITOR)


@pytest.fixture
def world(tmp_path: Path) -> MemoryWorld:
    world = MemoryWorld.build(tmp_path)
    world.profiles(
        certificate_associations={"ownerUuid": "owner-1", "groupUuids": ["g-1"]},
        revoke_certificate_attributes={"note": "from the ACME profile"},
    )
    world.profiles("second", "ra-second")
    return world


@pytest.fixture
def ctx(world: MemoryWorld) -> AcmeContext:
    return world.context()


@pytest.fixture
def admin(world: MemoryWorld) -> CertificateAdminService:
    return world.services.certificate_admin


def issue(
    world: MemoryWorld, ctx: AcmeContext, *names: str, account: tuple[Account, AccountKey] | None
) -> Certificate:
    account = account or world.new_account(ctx)
    cert, _ = world.issue(ctx, account[0], account[1], *names)
    world.clock.advance(seconds=1)
    return cert


def ids(
    admin: CertificateAdminService, query: CertificateQuery, page: Page | None = None
) -> tuple[list[str], int]:
    views, total = admin.search(AUDITOR, query, page or Page())
    return [v.certificate.id for v in views], total


def test_search_filters_and_pages(
    world: MemoryWorld, ctx: AcmeContext, admin: CertificateAdminService
) -> None:
    owner = world.new_account(ctx)
    second = world.context("second")
    a = issue(world, ctx, "www.alpha.example", account=owner)
    b = issue(world, ctx, "mail.beta.example", "beta.example", account=owner)
    c = issue(world, second, "www.gamma.example", account=None)
    admin.revoke(OPERATOR, b.id, "superseded")

    assert ids(admin, CertificateQuery()) == ([c.id, b.id, a.id], 3)  # newest first
    assert ids(admin, CertificateQuery(), Page(1, 1)) == ([b.id], 3)
    assert ids(admin, CertificateQuery(acme_profile_uuid=second.acme_profile.uuid)) == ([c.id], 1)
    assert ids(admin, CertificateQuery(ra_profile_uuid=ctx.ra_profile.uuid))[1] == 2
    assert ids(admin, CertificateQuery(account_uuid=owner[0].uuid)) == ([b.id, a.id], 2)
    assert ids(admin, CertificateQuery(account_id=owner[0].id)) == ([b.id, a.id], 2)
    mismatch = CertificateQuery(account_uuid=owner[0].uuid, account_id="someone-else")
    assert ids(admin, mismatch) == ([], 0)
    assert ids(admin, CertificateQuery(account_uuid="nobody")) == ([], 0)
    assert ids(admin, CertificateQuery(status=CertificateStatus.REVOKED)) == ([b.id], 1)
    assert ids(admin, CertificateQuery(status=CertificateStatus.VALID)) == ([c.id, a.id], 2)
    assert ids(admin, CertificateQuery(name="WWW.")) == ([c.id, a.id], 2)
    assert ids(admin, CertificateQuery(name="beta.example")) == ([b.id], 1)


def test_expiry_window_and_expired_status(
    world: MemoryWorld, ctx: AcmeContext, admin: CertificateAdminService
) -> None:
    cert = issue(world, ctx, "soon.example", account=None)
    before = CertificateQuery(expires_before=cert.not_after + timedelta(seconds=1))
    assert ids(admin, before) == ([cert.id], 1)
    assert ids(admin, CertificateQuery(expires_before=cert.not_after)) == ([], 0)
    assert ids(admin, CertificateQuery(expires_after=cert.not_after)) == ([cert.id], 1)
    after = CertificateQuery(expires_after=cert.not_after + timedelta(seconds=1))
    assert ids(admin, after) == ([], 0)

    world.clock.set(cert.not_after)
    assert ids(admin, CertificateQuery(status=CertificateStatus.EXPIRED)) == ([cert.id], 1)
    assert ids(admin, CertificateQuery(status=CertificateStatus.VALID)) == ([], 0)
    assert admin.get(AUDITOR, cert.id).status is CertificateStatus.EXPIRED


def test_detail_carries_the_account_and_the_profile_associations(
    world: MemoryWorld, ctx: AcmeContext, admin: CertificateAdminService
) -> None:
    account = world.new_account(ctx)
    cert = issue(world, ctx, "detail.example", account=account)
    view = admin.get(AUDITOR, cert.id)
    assert view.certificate == cert
    assert view.status is CertificateStatus.VALID
    assert view.account == account[0]
    assert cert.associations == {"ownerUuid": "owner-1", "groupUuids": ["g-1"]}
    with pytest.raises(DomainError) as caught:
        admin.get(AUDITOR, "nope")
    assert caught.value.status == 404


def test_revoke_asks_the_ca_marks_audits_and_lists_on_the_crl(
    world: MemoryWorld, ctx: AcmeContext, admin: CertificateAdminService
) -> None:
    cert = issue(world, ctx, "revoke.example", account=None)

    view = admin.revoke(OPERATOR, cert.id, "keyCompromise")

    now = world.clock.now()
    assert view.status is CertificateStatus.REVOKED
    assert (view.certificate.revoked_at, view.certificate.revocation_reason) == (now, 1)
    [request] = world.ca.revoke_requests
    assert (request.serial_hex, request.reason) == (cert.serial_hex, 1)
    assert request.attributes == {"note": "from the ACME profile"}
    crl = x509.load_der_x509_crl(world.services.certificates.crl(cert.authority_uuid))
    entry = crl.get_revoked_certificate_by_serial_number(int(cert.serial_hex, 16))
    assert entry is not None
    with world.uow() as tx:
        [event] = tx.audit.list(AuditFilter(action="certificate.revoke"), Page())
    assert (event.actor, event.object_id, event.detail["reason"]) == ("token:op", cert.id, 1)

    with pytest.raises(DomainError) as caught:
        admin.revoke(OPERATOR, cert.id, 4)
    assert (caught.value.status, caught.value.detail) == (422, "the certificate is already revoked")
    assert len(world.ca.revoke_requests) == 1


@pytest.mark.parametrize("reason", [7, 11, -1, "keycompromise", "nope", True])
def test_bad_reasons_are_422(
    world: MemoryWorld, ctx: AcmeContext, admin: CertificateAdminService, reason: object
) -> None:
    cert = issue(world, ctx, "reason.example", account=None)
    with pytest.raises(DomainError) as caught:
        admin.revoke(OPERATOR, cert.id, reason)  # type: ignore[arg-type]
    assert (caught.value.kind, caught.value.status) == (ErrorKind.INVALID_INPUT, 422)
    assert world.ca.revoke_requests == []


def test_reason_names_and_codes() -> None:
    assert reason_code(None) == 0
    assert reason_code("unspecified") == 0
    assert reason_code("privilegeWithdrawn") == 9
    assert reason_code(5) == 5
    assert sorted(REASON_CODES.values()) == [0, 1, 2, 3, 4, 5, 6, 8, 9, 10]


@pytest.mark.parametrize("reason", ["cACompromise", 2, "certificateHold", 6, 8, "aACompromise"])
def test_reasons_the_ca_may_not_give_are_refused(reason: int | str) -> None:
    with pytest.raises(DomainError) as caught:
        reason_code(reason)
    assert (caught.value.kind, caught.value.status) == (ErrorKind.INVALID_INPUT, 422)
    assert "5 (cessationOfOperation), 9 (privilegeWithdrawn)" in caught.value.detail


def test_roles(world: MemoryWorld, ctx: AcmeContext, admin: CertificateAdminService) -> None:
    cert = issue(world, ctx, "roles.example", account=None)
    with pytest.raises(DomainError) as caught:
        admin.revoke(AUDITOR, cert.id, 0)
    assert caught.value.status == 403
    assert admin.get(AUDITOR, cert.id).status is CertificateStatus.VALID
    assert admin.revoke(CLI_ACTOR, cert.id, None).certificate.revocation_reason == 0
