"""API tokens on the in-memory fakes with the injected clock: expiry (90 days by default,
never on request) and scopes narrower than the role, enforced where roles are checked."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from acmehub.domain.admin_model import Role
from acmehub.domain.errors import DomainError, ErrorKind
from acmehub.domain.ports import AuditFilter, Page
from acmehub.services.admin import CLI_ACTOR, SCOPES, Actor
from acmehub.services.certificate_admin import CertificateQuery
from acmehub.services.commands.acme_profiles import AcmeProfileRequest
from acmehub.services.tokens import DEFAULT_LIFETIME
from tests.fakes import MemoryWorld


@pytest.fixture
def world(tmp_path: Path) -> MemoryWorld:
    world = MemoryWorld.build(tmp_path)
    world.profiles()
    return world


def refused(call: Callable[[], object], kind: ErrorKind, status: int, *words: str) -> None:
    """``call`` is refused with ``kind`` and ``status``, its detail naming ``words``."""
    with pytest.raises(DomainError) as caught:
        call()
    assert (caught.value.kind, caught.value.status) == (kind, status)
    for word in words:
        assert word in caught.value.detail, caught.value.detail


def test_a_token_expires_after_90_days_by_default(world: MemoryWorld) -> None:
    tokens = world.services.tokens
    token, secret = tokens.create(CLI_ACTOR, "ci", Role.OPERATOR)
    assert token.expires_at == world.clock.now() + timedelta(days=90)

    world.clock.advance(DEFAULT_LIFETIME - timedelta(seconds=1))
    assert tokens.identify(secret) == Actor("token:ci", Role.OPERATOR)

    world.clock.advance(seconds=1)
    refused(
        lambda: tokens.identify(secret), ErrorKind.UNAUTHORIZED, 401, "the API token ci expired at"
    )
    assert tokens.authenticate(secret) is None


def test_expiry_can_be_chosen_or_dropped(world: MemoryWorld) -> None:
    tokens = world.services.tokens
    now = world.clock.now()
    short, short_secret = tokens.create(
        CLI_ACTOR, "short", Role.AUDITOR, expires=timedelta(hours=1)
    )
    dated, _ = tokens.create(CLI_ACTOR, "dated", Role.AUDITOR, expires=now + timedelta(days=7))
    forever, forever_secret = tokens.create(CLI_ACTOR, "forever", Role.AUDITOR, expires=None)
    assert (short.expires_at, dated.expires_at, forever.expires_at) == (
        now + timedelta(hours=1),
        now + timedelta(days=7),
        None,
    )
    world.clock.advance(days=3650)
    assert tokens.authenticate(short_secret) is None
    assert tokens.authenticate(forever_secret) == Actor("token:forever", Role.AUDITOR)


@pytest.mark.parametrize("expires", [timedelta(0), timedelta(days=-1)])
def test_an_expiry_must_lie_ahead(world: MemoryWorld, expires: timedelta) -> None:
    refused(
        lambda: world.services.tokens.create(CLI_ACTOR, "x", Role.ADMIN, expires=expires),
        ErrorKind.INVALID_INPUT,
        422,
        "must be positive",
    )
    past = world.clock.now() - timedelta(seconds=1)
    refused(
        lambda: world.services.tokens.create(CLI_ACTOR, "x", Role.ADMIN, expires=past),
        ErrorKind.INVALID_INPUT,
        422,
        "is not in the future",
    )


def test_unknown_scopes_are_refused_naming_the_field(world: MemoryWorld) -> None:
    with pytest.raises(DomainError) as refused:
        world.services.tokens.create(CLI_ACTOR, "x", Role.ADMIN, scopes=["certificates:delete"])
    assert [(f.field, f.code) for f in refused.value.errors] == [("scopes", "invalid")]
    assert "certificates:delete" in refused.value.detail
    assert {"certificates:read", "acmeProfiles:write", "orders:read"} <= set(SCOPES)


def test_scopes_are_parsed_and_kept_sorted(world: MemoryWorld) -> None:
    tokens = world.services.tokens
    token, secret = tokens.create(
        CLI_ACTOR, "x", Role.ADMIN, scopes=["orders:read,certificates:write", "orders:read"]
    )
    assert token.scopes == ("certificates:write", "orders:read")
    actor = tokens.identify(secret)
    assert actor.scopes == frozenset({"certificates:write", "orders:read"})


def test_a_scoped_token_may_do_what_both_role_and_scope_allow(world: MemoryWorld) -> None:
    services = world.services
    _, secret = services.tokens.create(
        CLI_ACTOR, "reader", Role.ADMIN, scopes=["certificates:read", "acmeProfiles:write"]
    )
    actor = services.tokens.identify(secret)
    # certificates:read: reads, but no revocation although the role is admin.
    assert services.certificate_admin.search(actor, CertificateQuery(), Page()) == ([], 0)
    refused(
        lambda: services.certificate_admin.revoke(actor, "nope", "unspecified"),
        ErrorKind.FORBIDDEN,
        403,
        "needs the scope certificates:write",
    )
    # acmeProfiles:write includes reading and every change the admin role allows.
    created = services.acme_profiles.create(actor, AcmeProfileRequest(name="scoped"))
    assert services.acme_profiles.get(actor, created.uuid).profile.name == "scoped"
    # Nothing else: not the audit log, not other families, not the web users.
    refused(
        lambda: services.audit_log.list(actor, AuditFilter(), Page()),
        ErrorKind.FORBIDDEN,
        403,
        "needs the scope auditLogs:read",
        "token:reader",
    )
    refused(
        lambda: services.tokens.list(actor), ErrorKind.FORBIDDEN, 403, "needs the scope tokens:read"
    )
    refused(lambda: services.users.list(actor), ErrorKind.FORBIDDEN, 403, "a token without scopes")


def test_a_scope_never_widens_the_role(world: MemoryWorld) -> None:
    services = world.services
    _, secret = services.tokens.create(
        CLI_ACTOR, "auditor", Role.AUDITOR, scopes=["acmeProfiles:write"]
    )
    actor = services.tokens.identify(secret)
    assert services.acme_profiles.list_all(actor)
    refused(
        lambda: services.acme_profiles.create(actor, AcmeProfileRequest(name="nope")),
        ErrorKind.FORBIDDEN,
        403,
        "needs the admin role",
    )
