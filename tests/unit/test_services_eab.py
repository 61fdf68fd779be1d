"""EAB keys (RFC 8555 §7.3.4) on the in-memory fakes: administration, and the checks
new-account runs on a binding, with the real protocol parser and MAC verification."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from acmehub.domain.admin_model import Role
from acmehub.domain.errors import DomainError, ErrorKind
from acmehub.domain.model import Account, EabKey
from acmehub.domain.ports import AuditFilter, Page
from acmehub.protocol.eab import parse_eab, verify_eab
from acmehub.protocol.jws import parse_jws
from acmehub.services.accounts import NewAccountRequest
from acmehub.services.admin import CLI_ACTOR, Actor
from acmehub.services.commands.eab import CreatedEabKey
from acmehub.services.context import AcmeContext
from acmehub.services.eab import (
    EabKeyState,
    ExternalBinding,
    NewEabKey,
    key_state,
)
from tests.fakes import MemoryWorld
from tests.jws_signer import AccountKey, sign_eab

NEW_ACCOUNT = "https://acme.example.test/acme/eab/new-account"
OPERATOR = Actor("token:op", Role.OPERATOR)
AUDITOR = Actor("token:audit", Role.AUDITOR)


@pytest.fixture
def world(tmp_path: Path) -> MemoryWorld:
    world = MemoryWorld.build(tmp_path)
    world.profiles("eab", "ra-eab", require_external_account_binding=True)
    world.profiles("other", "ra-other")
    return world


@pytest.fixture
def ctx(world: MemoryWorld) -> AcmeContext:
    return world.context("eab")


def create(world: MemoryWorld, ctx: AcmeContext, **spec: Any) -> CreatedEabKey:
    return world.services.eab.create(CLI_ACTOR, ctx.acme_profile.uuid, NewEabKey(**spec))


def request(
    key_id: str, secret: bytes, alg: str = "HS256", account_key: AccountKey | None = None
) -> NewAccountRequest:
    """What the protocol edge hands the service for a newAccount carrying a binding."""
    account_key = account_key or AccountKey.generate("ES256")
    eab = sign_eab(key_id, secret, NEW_ACCOUNT, account_key.jwk_public(), alg)
    outer = parse_jws(account_key.sign(NEW_ACCOUNT, "nonce", {"externalAccountBinding": eab}))
    binding = parse_eab(outer, eab)
    assert outer.key is not None
    return NewAccountRequest(
        outer.key.jwk,
        outer.key.thumbprint(),
        {"termsOfServiceAgreed": True},
        ExternalBinding(binding.key_id, binding.alg, partial(verify_eab, binding)),
    )


def register(world: MemoryWorld, ctx: AcmeContext, req: NewAccountRequest) -> Account:
    account, created = world.services.accounts.new_account(ctx, req)
    assert created
    return account


def stored_key(world: MemoryWorld, key_id: str) -> EabKey:
    with world.uow() as tx:
        key = tx.eab_keys.get(key_id)
    assert key is not None
    return key


def refused(world: MemoryWorld, ctx: AcmeContext, req: NewAccountRequest) -> DomainError:
    """The refusal, after checking that it changed nothing (no account, no use, no event)."""
    state = world.uow.committed
    before = (dict(state.accounts), dict(state.eab_keys), dict(state.audit_events))
    with pytest.raises(DomainError) as caught:
        world.services.accounts.new_account(ctx, req)
    state = world.uow.committed
    assert (dict(state.accounts), dict(state.eab_keys), dict(state.audit_events)) == before
    return caught.value


def assert_unauthorized(error: DomainError, detail: str) -> None:
    assert error.kind is ErrorKind.UNAUTHORIZED
    assert error.status == 401
    assert detail in error.detail


# --------------------------------------------------------------------------- administration


@pytest.mark.parametrize(("algorithm", "octets"), [("HS256", 32), ("HS384", 48), ("HS512", 64)])
def test_create_makes_a_secret_as_long_as_the_hash(
    world: MemoryWorld, ctx: AcmeContext, algorithm: str, octets: int
) -> None:
    created = create(world, ctx, algorithm=algorithm, description="for the web team")
    key = created.key
    assert len(created.secret) == octets
    assert key.hmac_key == created.secret
    assert (key.algorithm, key.reusable, key.used_count) == (algorithm, False, 0)
    assert key.key_id.isascii()
    assert len(key.key_id) >= 22
    assert key.acme_profile_uuid == ctx.acme_profile.uuid
    assert key.description == "for the web team"
    assert created.profile == ctx.acme_profile
    assert stored_key(world, key.key_id) == key
    with world.uow() as tx:
        [event] = tx.audit.list(AuditFilter(action="eabKey.create"), Page())
    assert (event.actor, event.object_id) == ("cli", key.key_id)
    assert event.detail["algorithm"] == algorithm
    assert "hmac" not in str(event.detail).lower()


def test_keys_and_secrets_are_distinct(world: MemoryWorld, ctx: AcmeContext) -> None:
    made = [create(world, ctx) for _ in range(5)]
    assert len({c.key.key_id for c in made}) == 5
    assert len({c.secret for c in made}) == 5


def test_expiry_as_a_time_or_a_lifetime(world: MemoryWorld, ctx: AcmeContext) -> None:
    now = world.clock.now()
    at = create(world, ctx, expires_at=now + timedelta(days=2)).key
    assert at.expires_at == now + timedelta(days=2)
    lifetime = create(world, ctx, valid_for=timedelta(hours=3)).key
    assert lifetime.expires_at == now + timedelta(hours=3)


@pytest.mark.parametrize(
    ("spec", "detail"),
    [
        ({"algorithm": "HS1"}, "algorithm must be one of"),
        ({"algorithm": "RS256"}, "algorithm must be one of"),
        ({"expires_at": "past"}, "expiresAt must be in the future"),
        ({"expires_at": "future", "valid_for": timedelta(hours=1)}, "not both"),
        ({"description": "x" * 501}, "description"),
    ],
)
def test_invalid_requests_are_422(
    world: MemoryWorld, ctx: AcmeContext, spec: dict[str, Any], detail: str
) -> None:
    now = world.clock.now()
    if spec.get("expires_at") == "past":
        spec["expires_at"] = now
    elif spec.get("expires_at") == "future":
        spec["expires_at"] = now + timedelta(days=1)
    with pytest.raises(DomainError) as caught:
        create(world, ctx, **spec)
    assert (caught.value.kind, caught.value.status) == (ErrorKind.INVALID_INPUT, 422)
    assert detail in caught.value.detail
    assert world.uow.committed.eab_keys == {}


def test_unknown_profile_is_404(world: MemoryWorld) -> None:
    eab = world.services.eab
    for call in (
        lambda: eab.create(CLI_ACTOR, "no-such-profile", NewEabKey()),
        lambda: eab.list(CLI_ACTOR, "no-such-profile", Page()),
        lambda: eab.revoke(CLI_ACTOR, "no-such-profile", "kid"),
    ):
        with pytest.raises(DomainError) as caught:
            call()
        assert caught.value.status == 404


def test_roles(world: MemoryWorld, ctx: AcmeContext) -> None:
    eab, profile = world.services.eab, ctx.acme_profile.uuid
    for actor in (OPERATOR, AUDITOR):
        with pytest.raises(DomainError) as caught:
            eab.create(actor, profile, NewEabKey())
        assert caught.value.status == 403
    key = create(world, ctx).key
    assert [k.key_id for k in eab.list(AUDITOR, profile, Page())] == [key.key_id]
    assert eab.get(AUDITOR, profile, key.key_id) == key
    with pytest.raises(DomainError) as caught:
        eab.revoke(AUDITOR, profile, key.key_id)
    assert caught.value.status == 403
    assert eab.revoke(OPERATOR, profile, key.key_id).revoked_at == world.clock.now()


def test_list_is_per_profile_and_pages(world: MemoryWorld, ctx: AcmeContext) -> None:
    other = world.context("other").acme_profile.uuid
    mine = []
    for _ in range(3):
        mine.append(create(world, ctx).key.key_id)
        world.clock.advance(seconds=1)
    world.services.eab.create(CLI_ACTOR, other, NewEabKey())
    eab = world.services.eab
    assert [k.key_id for k in eab.list(CLI_ACTOR, ctx.acme_profile.uuid, Page())] == mine
    assert [k.key_id for k in eab.list(CLI_ACTOR, ctx.acme_profile.uuid, Page(1, 1))] == mine[1:2]
    assert len(eab.list(CLI_ACTOR, other, Page())) == 1


def test_a_key_is_found_only_under_its_profile(world: MemoryWorld, ctx: AcmeContext) -> None:
    key = create(world, ctx).key
    other = world.context("other").acme_profile.uuid
    with pytest.raises(DomainError) as caught:
        world.services.eab.get(CLI_ACTOR, other, key.key_id)
    assert caught.value.status == 404
    with pytest.raises(DomainError) as caught:
        world.services.eab.revoke(CLI_ACTOR, other, key.key_id)
    assert caught.value.status == 404
    assert stored_key(world, key.key_id).revoked_at is None


def test_revoke_is_idempotent_and_audited_once(world: MemoryWorld, ctx: AcmeContext) -> None:
    key = create(world, ctx).key
    first = world.services.eab.revoke(CLI_ACTOR, ctx.acme_profile.uuid, key.key_id)
    world.clock.advance(minutes=1)
    again = world.services.eab.revoke(CLI_ACTOR, ctx.acme_profile.uuid, key.key_id)
    assert first.revoked_at == again.revoked_at == world.clock.now() - timedelta(minutes=1)
    with world.uow() as tx:
        events = tx.audit.list(AuditFilter(action="eabKey.revoke"), Page())
    assert [e.object_id for e in events] == [key.key_id]


def test_key_state_is_derived(world: MemoryWorld, ctx: AcmeContext) -> None:
    key = create(world, ctx, valid_for=timedelta(hours=1)).key
    now = world.clock.now()
    assert key_state(key, now) is EabKeyState.ACTIVE
    assert key_state(replace(key, used_count=1), now) is EabKeyState.USED
    reusable = replace(key, used_count=5, reusable=True)
    assert key_state(reusable, now) is EabKeyState.ACTIVE
    assert key_state(key, now + timedelta(hours=1)) is EabKeyState.EXPIRED
    revoked = replace(key, revoked_at=now)
    assert key_state(revoked, now + timedelta(hours=2)) is EabKeyState.REVOKED


# --------------------------------------------------------------------------- new-account


def test_a_valid_binding_admits_one_account_and_counts_the_use(
    world: MemoryWorld, ctx: AcmeContext
) -> None:
    created = create(world, ctx)
    account = register(world, ctx, request(created.key.key_id, created.secret))
    assert account.eab_key_id == created.key.key_id
    assert stored_key(world, created.key.key_id).used_count == 1
    with world.uow() as tx:
        [event] = tx.audit.list(AuditFilter(action="account.create"), Page())
    assert event.actor == f"acme:{account.id}"
    assert event.object_id == account.uuid
    assert event.detail["eabKeyId"] == created.key.key_id


@pytest.mark.parametrize("algorithm", ["HS384", "HS512"])
def test_longer_macs_work_with_keys_made_for_them(
    world: MemoryWorld, ctx: AcmeContext, algorithm: str
) -> None:
    created = create(world, ctx, algorithm=algorithm)
    account = register(world, ctx, request(created.key.key_id, created.secret, algorithm))
    assert account.eab_key_id == created.key.key_id


def test_a_single_use_key_admits_no_second_account(world: MemoryWorld, ctx: AcmeContext) -> None:
    created = create(world, ctx)
    register(world, ctx, request(created.key.key_id, created.secret))
    error = refused(world, ctx, request(created.key.key_id, created.secret))
    assert_unauthorized(error, "single-use and has already been used")
    assert stored_key(world, created.key.key_id).used_count == 1


def test_a_reusable_key_admits_many_accounts(world: MemoryWorld, ctx: AcmeContext) -> None:
    created = create(world, ctx, reusable=True)
    accounts = [register(world, ctx, request(created.key.key_id, created.secret)) for _ in "abc"]
    assert {a.eab_key_id for a in accounts} == {created.key.key_id}
    assert stored_key(world, created.key.key_id).used_count == 3


def test_an_existing_account_key_spends_no_use(world: MemoryWorld, ctx: AcmeContext) -> None:
    created = create(world, ctx, reusable=True)
    account_key = AccountKey.generate("ES256")
    first = register(
        world, ctx, request(created.key.key_id, created.secret, account_key=account_key)
    )
    again, was_created = world.services.accounts.new_account(
        ctx, request(created.key.key_id, created.secret, account_key=account_key)
    )
    assert (again, was_created) == (first, False)  # RFC 8555 §7.3.1
    assert stored_key(world, created.key.key_id).used_count == 1


def test_unknown_key_id(world: MemoryWorld, ctx: AcmeContext) -> None:
    assert_unauthorized(refused(world, ctx, request("nobody", bytes(32))), "is not known")


def test_wrong_secret(world: MemoryWorld, ctx: AcmeContext) -> None:
    created = create(world, ctx)
    error = refused(world, ctx, request(created.key.key_id, bytes(32)))
    assert_unauthorized(error, "MAC verification failed")


def test_key_of_another_profile(world: MemoryWorld, ctx: AcmeContext) -> None:
    created = create(world, world.context("other"))
    error = refused(world, ctx, request(created.key.key_id, created.secret))
    assert_unauthorized(error, "belongs to another ACME profile")


def test_revoked_key(world: MemoryWorld, ctx: AcmeContext) -> None:
    created = create(world, ctx)
    world.services.eab.revoke(CLI_ACTOR, ctx.acme_profile.uuid, created.key.key_id)
    assert_unauthorized(
        refused(world, ctx, request(created.key.key_id, created.secret)), "has been revoked"
    )


def test_expired_key(world: MemoryWorld, ctx: AcmeContext) -> None:
    created = create(world, ctx, valid_for=timedelta(hours=1))
    world.clock.advance(hours=1)
    assert_unauthorized(
        refused(world, ctx, request(created.key.key_id, created.secret)), "has expired"
    )


def test_binding_signed_with_another_algorithm(world: MemoryWorld, ctx: AcmeContext) -> None:
    created = create(world, ctx, algorithm="HS512")
    error = refused(world, ctx, request(created.key.key_id, created.secret, "HS256"))
    assert_unauthorized(error, "is an HS512 key; the binding is signed with HS256")


def test_a_binding_is_checked_even_where_not_required(world: MemoryWorld, ctx: AcmeContext) -> None:
    other = world.context("other")
    created = create(world, other)
    account = register(world, other, request(created.key.key_id, created.secret))
    assert account.eab_key_id == created.key.key_id
    assert_unauthorized(refused(world, other, request("nobody", bytes(32))), "is not known")
