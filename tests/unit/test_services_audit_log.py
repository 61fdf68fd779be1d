"""AuditLogService and TokenService on the in-memory fakes: who may read, paging, input rules."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from acmehub.domain.admin_model import Role
from acmehub.domain.errors import DomainError
from acmehub.domain.ports import AuditFilter, Page
from acmehub.services.admin import CLI_ACTOR, Actor
from tests.fakes import MemoryWorld


@pytest.fixture
def world(tmp_path: Path) -> MemoryWorld:
    return MemoryWorld.build(tmp_path)


def _tokens(world: MemoryWorld, count: int) -> None:
    for n in range(count):
        world.services.tokens.create(CLI_ACTOR, f"t{n}", Role.AUDITOR)
        world.clock.advance(seconds=1)


@pytest.mark.parametrize("role", list(Role))
def test_every_role_reads_the_log(world: MemoryWorld, role: Role) -> None:
    _tokens(world, 1)
    page = world.services.audit_log.list(Actor("token:x", role), AuditFilter(), Page())
    assert [(e.actor, e.action, e.object_id) for e in page.events] == [
        ("cli", "token.create", "t0")
    ]


def test_pages_say_whether_more_follow(world: MemoryWorld) -> None:
    _tokens(world, 5)
    log = world.services.audit_log
    first = log.list(CLI_ACTOR, AuditFilter(), Page(0, 2))
    assert [e.object_id for e in first.events] == ["t4", "t3"]
    assert first.has_more
    last = log.list(CLI_ACTOR, AuditFilter(), Page(4, 2))
    assert [e.object_id for e in last.events] == ["t0"]
    assert not last.has_more
    exact = log.list(CLI_ACTOR, AuditFilter(), Page(3, 2))
    assert not exact.has_more


def test_time_window_and_filters(world: MemoryWorld) -> None:
    start = world.clock.now()
    _tokens(world, 3)
    world.services.tokens.revoke(CLI_ACTOR, "t1")
    log = world.services.audit_log
    window = AuditFilter(since=start + timedelta(seconds=1), until=start + timedelta(seconds=2))
    assert [e.object_id for e in log.list(CLI_ACTOR, window, Page()).events] == ["t1"]
    revokes = log.list(CLI_ACTOR, AuditFilter(action="token.revoke"), Page())
    assert [e.object_id for e in revokes.events] == ["t1"]


@pytest.mark.parametrize(
    ("where", "page", "words"),
    [
        (AuditFilter(), Page(-1, 10), "offset must be 0 or more"),
        (AuditFilter(), Page(0, 0), "limit between 1 and 1000"),
        (AuditFilter(), Page(0, 1001), "limit between 1 and 1000"),
        (AuditFilter(outcome="maybe"), Page(), "outcome must be one of"),
        (AuditFilter(since=datetime(2026, 5, 1)), Page(), "since needs a time zone"),
        (
            AuditFilter(
                since=datetime.fromisoformat("2026-05-02T00:00:00+00:00"),
                until=datetime.fromisoformat("2026-05-01T00:00:00+00:00"),
            ),
            Page(),
            "since must not be after until",
        ),
    ],
)
def test_invalid_queries_are_refused_with_422(
    world: MemoryWorld, where: AuditFilter, page: Page, words: str
) -> None:
    with pytest.raises(DomainError, match=words) as refused:
        world.services.audit_log.list(CLI_ACTOR, where, page)
    assert refused.value.status == 422


def test_only_admins_create_and_revoke_tokens_and_auditors_list_them(world: MemoryWorld) -> None:
    operator = Actor("token:op", Role.OPERATOR)
    with pytest.raises(DomainError, match="needs the admin role") as refused:
        world.services.tokens.create(operator, "x", Role.ADMIN)
    assert refused.value.status == 403
    token, secret = world.services.tokens.create(CLI_ACTOR, "x", Role.OPERATOR)
    assert secret not in repr(token)
    assert world.services.tokens.authenticate(secret) == Actor("token:x", Role.OPERATOR)
    assert [t.name for t in world.services.tokens.list(Actor("a", Role.AUDITOR))] == ["x"]
    world.services.tokens.revoke(CLI_ACTOR, "x")
    assert world.services.tokens.authenticate(secret) is None
