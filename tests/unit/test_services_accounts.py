"""Account use cases on the in-memory fakes (RFC 8555 §7.3)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from acmehub.domain.errors import DomainError, ErrorKind
from acmehub.domain.model import Account, AccountStatus
from acmehub.services.accounts import NewAccountRequest
from acmehub.services.admin import CLI_ACTOR
from acmehub.services.context import AcmeContext, ProfileMode
from acmehub.services.eab import ExternalBinding, NewEabKey
from tests.fakes import AccountKey, MemoryWorld

TOS = "https://example.com/tos"


@pytest.fixture
def world(tmp_path: Path) -> MemoryWorld:
    return MemoryWorld.build(tmp_path)


@pytest.fixture
def ctx(world: MemoryWorld) -> AcmeContext:
    world.profiles(terms_of_service_url=TOS)
    return world.context()


def register(
    world: MemoryWorld, ctx: AcmeContext, key: AccountKey, **payload: Any
) -> tuple[Account, bool]:
    return world.services.accounts.new_account(
        ctx, NewAccountRequest(jwk=key.jwk, thumbprint=key.thumbprint, payload=payload)
    )


def refusal(call: Any, *args: Any, **kwargs: Any) -> DomainError:
    with pytest.raises(DomainError) as caught:
        call(*args, **kwargs)
    return caught.value


def set_account(world: MemoryWorld, account: Account, **changes: Any) -> None:
    """What an administrator does to an account (no service for it yet)."""
    with world.uow(write=True) as tx:
        tx.accounts.update(replace(account, **changes))


# --------------------------------------------------------------------------- new-account


def test_a_new_key_creates_an_account_and_the_same_key_finds_it(
    world: MemoryWorld, ctx: AcmeContext
) -> None:
    key = AccountKey.generate()
    created, was_created = register(
        world, ctx, key, contact=["mailto:admin@example.com"], termsOfServiceAgreed=True
    )
    assert was_created is True  # 201
    assert created.status is AccountStatus.VALID
    assert created.contact == ("mailto:admin@example.com",)
    assert created.terms_of_service_agreed is True
    assert created.tos_agreed_at == world.clock.now()
    assert created.acme_profile_uuid == ctx.acme_profile.uuid
    assert created.ra_profile_uuid == ctx.ra_profile.uuid
    assert created.via_default_ra_profile is True

    again, was_created = register(world, ctx, key, contact=["mailto:other@example.com"])
    assert was_created is False  # 200, RFC 8555 §7.3.1
    assert again == created  # the payload of a repeat request changes nothing
    assert world.services.accounts.find_by_key(ctx, key.thumbprint) == created


def test_accounts_get_distinct_ids(world: MemoryWorld, ctx: AcmeContext) -> None:
    first, _ = register(world, ctx, AccountKey.generate())
    second, _ = register(world, ctx, AccountKey.generate())
    assert first.id != second.id
    assert first.uuid != second.uuid


def test_only_return_existing_never_creates(world: MemoryWorld, ctx: AcmeContext) -> None:
    key = AccountKey.generate()
    error = refusal(register, world, ctx, key, onlyReturnExisting=True)
    assert error.kind is ErrorKind.ACCOUNT_DOES_NOT_EXIST
    assert world.services.accounts.find_by_key(ctx, key.thumbprint) is None

    created, _ = register(world, ctx, key)
    found, was_created = register(world, ctx, key, onlyReturnExisting=True)
    assert (found, was_created) == (created, False)


def test_a_profile_requiring_contact_refuses_accounts_without_one(world: MemoryWorld) -> None:
    world.profiles("strict", "ra-strict", require_contact=True)
    ctx = world.context("strict")
    error = refusal(register, world, ctx, AccountKey.generate(), contact=[])
    assert error.kind is ErrorKind.INVALID_CONTACT
    account, _ = register(world, ctx, AccountKey.generate(), contact=["mailto:a@example.com"])
    assert account.contact == ("mailto:a@example.com",)


def test_a_profile_requiring_terms_needs_agreement(world: MemoryWorld) -> None:
    world.profiles("tos", "ra-tos", require_terms_of_service=True, terms_of_service_url=TOS)
    ctx = world.context("tos")
    key = AccountKey.generate()
    for payload in ({}, {"termsOfServiceAgreed": False}, {"termsOfServiceAgreed": "true"}):
        error = refusal(register, world, ctx, key, **payload)
        assert error.kind is ErrorKind.USER_ACTION_REQUIRED
        assert error.status == 403
        assert error.instance == TOS
        assert error.headers["Link"] == f'<{TOS}>;rel="terms-of-service"'
    assert world.services.accounts.find_by_key(ctx, key.thumbprint) is None
    account, _ = register(world, ctx, key, termsOfServiceAgreed=True)
    assert account.terms_of_service_agreed is True


def test_requiring_terms_without_a_terms_url_sends_no_link(world: MemoryWorld) -> None:
    world.profiles("tos", "ra-tos", require_terms_of_service=True)
    error = refusal(register, world, world.context("tos"), AccountKey.generate())
    assert error.kind is ErrorKind.USER_ACTION_REQUIRED
    assert error.instance is None
    assert "Link" not in error.headers


def test_a_profile_requiring_eab_refuses_accounts_without_binding(world: MemoryWorld) -> None:
    world.profiles("eab", "ra-eab", require_external_account_binding=True)
    ctx = world.context("eab")
    key = AccountKey.generate()
    error = refusal(register, world, ctx, key)
    assert error.kind is ErrorKind.EXTERNAL_ACCOUNT_REQUIRED
    created = world.services.eab.create(CLI_ACTOR, ctx.acme_profile.uuid, NewEabKey())

    def verify_mac(secret: bytes) -> None:
        assert secret == created.secret

    binding = ExternalBinding(created.key.key_id, "HS256", verify_mac)
    account, _ = world.services.accounts.new_account(
        ctx, NewAccountRequest(key.jwk, key.thumbprint, {}, eab=binding)
    )
    assert account.eab_key_id == created.key.key_id


@pytest.mark.parametrize(
    ("contact", "kind"),
    [
        (["tel:+15555550100"], ErrorKind.UNSUPPORTED_CONTACT),
        (["mailto:not-an-address"], ErrorKind.INVALID_CONTACT),
        (["mailto:a@example.com?subject=x"], ErrorKind.INVALID_CONTACT),
        ("mailto:a@example.com", ErrorKind.MALFORMED),
    ],
)
def test_bad_contacts_refuse_the_account(
    world: MemoryWorld, ctx: AcmeContext, contact: object, kind: ErrorKind
) -> None:
    key = AccountKey.generate()
    assert refusal(register, world, ctx, key, contact=contact).kind is kind
    assert world.services.accounts.find_by_key(ctx, key.thumbprint) is None


@pytest.mark.parametrize(
    ("status", "detail"),
    [(AccountStatus.DEACTIVATED, "deactivated"), (AccountStatus.REVOKED, "revoked")],
)
def test_a_deactivated_or_revoked_account_is_unauthorized(
    world: MemoryWorld, ctx: AcmeContext, status: AccountStatus, detail: str
) -> None:
    account, key = world.new_account(ctx)
    set_account(world, account, status=status)
    for error in (
        refusal(register, world, ctx, key),
        refusal(world.services.accounts.update, ctx, account.id, {}),
        refusal(world.new_order, ctx, account, "example.com"),
    ):
        assert error.kind is ErrorKind.UNAUTHORIZED
        assert error.status == 401
        assert detail in error.detail


def test_an_account_is_bound_to_its_profile(world: MemoryWorld, ctx: AcmeContext) -> None:
    world.profiles("other", "ra-other")
    other = world.context("other")
    account, key = world.new_account(ctx)
    for error in (
        refusal(register, world, other, key),
        refusal(world.services.accounts.update, other, account.id, {}),
        refusal(world.new_order, other, account, "example.com"),
    ):
        assert error.kind is ErrorKind.UNAUTHORIZED
        assert error.status == 401
        assert error.detail == "Account does not belong to this profile"


def test_an_account_is_bound_to_its_ra_profile_in_ra_profile_urls(
    world: MemoryWorld, ctx: AcmeContext
) -> None:
    platform = world.services.platform
    second_ra = platform.create_ra_profile(ctx.ra_profile.authority_uuid, "ra-second")
    platform.activate_acme(second_ra.uuid, ctx.acme_profile.uuid)
    own = world.context(ctx.ra_profile.name, ProfileMode.RA_PROFILE)
    second = world.context("ra-second", ProfileMode.RA_PROFILE)

    account, key = world.new_account(ctx)  # through the ACME profile's default RA profile
    assert register(world, own, key) == (account, False)
    error = refusal(register, world, second, key)
    assert (error.kind, error.status) == (ErrorKind.UNAUTHORIZED, 401)
    assert error.detail == "Account does not belong to this profile"

    ra_account, _ = world.new_account(second)
    assert ra_account.ra_profile_uuid == second_ra.uuid
    assert ra_account.via_default_ra_profile is False


# --------------------------------------------------------------------------- update


def test_update_changes_contact_and_ignores_unknown_fields(
    world: MemoryWorld, ctx: AcmeContext
) -> None:
    account, key = world.new_account(ctx, contact=["mailto:old@example.com"])
    updated = world.services.accounts.update(
        ctx,
        account.id,
        {
            "contact": ["mailto:new@example.com", "mailto:second@example.com"],
            "orders": "https://elsewhere.example/orders",
            "somethingNew": {"x": 1},
            "key": {"kty": "EC"},
        },
    )
    assert updated.contact == ("mailto:new@example.com", "mailto:second@example.com")
    assert replace(updated, contact=account.contact) == account
    assert world.services.accounts.find_by_key(ctx, key.thumbprint) == updated


def test_update_can_remove_every_contact(world: MemoryWorld, ctx: AcmeContext) -> None:
    account, _ = world.new_account(ctx, contact=["mailto:old@example.com"])
    assert world.services.accounts.update(ctx, account.id, {"contact": []}).contact == ()


def test_update_with_an_empty_payload_changes_nothing(world: MemoryWorld, ctx: AcmeContext) -> None:
    account, _ = world.new_account(ctx)
    writes = world.uow.write_units
    assert world.services.accounts.update(ctx, account.id, {}) == account
    # A POST-as-GET of the account (RFC 8555 §7.3.2 with nothing to change) only reads.
    assert world.services.accounts.update(ctx, account.id, {"status": "valid"}) == account
    assert world.uow.write_units == writes


def test_update_echoing_the_current_status_is_accepted(
    world: MemoryWorld, ctx: AcmeContext
) -> None:
    """The acme library (certbot update_account) sends the account object back, status included."""
    account, _ = world.new_account(ctx)
    updated = world.services.accounts.update(
        ctx, account.id, {"status": "valid", "contact": ["mailto:n@example.com"]}
    )
    assert updated.status is AccountStatus.VALID
    assert updated.contact == ("mailto:n@example.com",)


@pytest.mark.parametrize("status", ["revoked", "pending", "", None])
def test_update_cannot_set_another_status(
    world: MemoryWorld, ctx: AcmeContext, status: object
) -> None:
    account, key = world.new_account(ctx)
    error = refusal(world.services.accounts.update, ctx, account.id, {"status": status})
    assert error.kind is ErrorKind.MALFORMED
    assert world.services.accounts.find_by_key(ctx, key.thumbprint) == account


def test_update_with_a_bad_contact_changes_nothing(world: MemoryWorld, ctx: AcmeContext) -> None:
    account, key = world.new_account(ctx, contact=["mailto:old@example.com"])
    error = refusal(
        world.services.accounts.update, ctx, account.id, {"contact": ["tel:+15555550100"]}
    )
    assert error.kind is ErrorKind.UNSUPPORTED_CONTACT
    assert world.services.accounts.find_by_key(ctx, key.thumbprint) == account


def test_update_records_agreement_to_the_terms(world: MemoryWorld) -> None:
    world.profiles()
    ctx = world.context()
    account, _ = world.new_account(ctx, termsOfServiceAgreed=False)
    assert account.terms_of_service_agreed is False
    world.clock.advance(minutes=5)
    updated = world.services.accounts.update(ctx, account.id, {"termsOfServiceAgreed": True})
    assert updated.terms_of_service_agreed is True
    assert updated.tos_agreed_at == world.clock.now()


def test_update_of_an_unknown_account(world: MemoryWorld, ctx: AcmeContext) -> None:
    error = refusal(world.services.accounts.update, ctx, "no-such-account", {})
    assert error.kind is ErrorKind.ACCOUNT_DOES_NOT_EXIST


def test_deactivation_is_final(world: MemoryWorld, ctx: AcmeContext) -> None:
    account, key = world.new_account(ctx)
    deactivated = world.services.accounts.update(ctx, account.id, {"status": "deactivated"})
    assert deactivated.status is AccountStatus.DEACTIVATED
    error = refusal(world.services.accounts.update, ctx, account.id, {"status": "deactivated"})
    assert (error.kind, error.status) == (ErrorKind.UNAUTHORIZED, 401)
    error = refusal(register, world, ctx, key)
    assert (error.kind, error.status) == (ErrorKind.UNAUTHORIZED, 401)


# --------------------------------------------------------------------------- key change


def test_change_key_moves_the_account_to_the_new_key(world: MemoryWorld, ctx: AcmeContext) -> None:
    account, old = world.new_account(ctx)
    new = AccountKey.generate()
    changed = world.services.accounts.change_key(
        ctx, account.id, old.thumbprint, new.jwk, new.thumbprint
    )
    assert (changed.id, changed.jwk, changed.key_thumbprint) == (
        account.id,
        new.jwk,
        new.thumbprint,
    )
    assert world.services.accounts.find_by_key(ctx, old.thumbprint) is None
    assert register(world, ctx, new) == (changed, False)
    # The old key is free again: it would create a new account.
    fresh, created = register(world, ctx, old)
    assert created is True
    assert fresh.id != account.id


def test_change_key_to_a_key_in_use_is_a_conflict(world: MemoryWorld, ctx: AcmeContext) -> None:
    account, old = world.new_account(ctx)
    holder, taken = world.new_account(ctx)
    error = refusal(
        world.services.accounts.change_key,
        ctx,
        account.id,
        old.thumbprint,
        taken.jwk,
        taken.thumbprint,
    )
    assert (error.kind, error.status) == (ErrorKind.CONFLICT, 409)
    assert error.headers["Location"] == holder.id
    assert world.services.accounts.find_by_key(ctx, old.thumbprint) == account


def test_change_key_needs_the_current_key(world: MemoryWorld, ctx: AcmeContext) -> None:
    account, _ = world.new_account(ctx)
    stranger, new = AccountKey.generate(), AccountKey.generate()
    error = refusal(
        world.services.accounts.change_key,
        ctx,
        account.id,
        stranger.thumbprint,
        new.jwk,
        new.thumbprint,
    )
    assert error.kind is ErrorKind.UNAUTHORIZED
    assert world.services.accounts.find_by_key(ctx, new.thumbprint) is None
