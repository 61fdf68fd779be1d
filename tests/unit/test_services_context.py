"""Which profiles serve a request, and the checks every ACME request passes first.

The messages and their order are the platform's (shared/design/platform-reference.md,
"Validations on every ACME request").
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest

from acmehub.domain.errors import DomainError, ErrorKind
from acmehub.services.admin import CLI_ACTOR
from acmehub.services.context import AcmeContext, ContextCache, ProfileMode, ProfileRef
from tests.fakes import MemoryWorld

ACME_MODE_CHECKS = (
    "Given ACME Profile in the request URL is not found",
    "ACME Profile is not enabled",
    "RA Profile is not found",
    "RA Profile is not enabled",
)
RA_MODE_CHECKS = (
    "Given RA Profile in the request URL is not found",
    "ACME Profile is not associated with the RA Profile",
    "RA Profile is not enabled",
    "ACME Profile is not enabled",
)


@pytest.fixture
def world(tmp_path: Path) -> MemoryWorld:
    return MemoryWorld.build(tmp_path)


def resolve(
    world: MemoryWorld, mode: ProfileMode, name: str, directory: bool = False
) -> AcmeContext:
    return world.services.context(ProfileRef(mode, name), directory=directory)


def refusal(
    world: MemoryWorld, mode: ProfileMode, name: str, directory: bool = False
) -> DomainError:
    with pytest.raises(DomainError) as caught:
        resolve(world, mode, name, directory)
    return caught.value


def test_an_acme_profile_url_resolves_to_the_profile_and_its_default_ra_profile(
    world: MemoryWorld,
) -> None:
    acme, ra = world.profiles("web", "ra-web")
    ctx = resolve(world, ProfileMode.ACME_PROFILE, "web")
    assert ctx.ref == ProfileRef(ProfileMode.ACME_PROFILE, "web")
    assert (ctx.acme_profile, ctx.ra_profile) == (acme, ra)


def test_an_ra_profile_url_resolves_to_the_ra_profile_and_its_acme_profile(
    world: MemoryWorld,
) -> None:
    acme, ra = world.profiles("web", "ra-web")
    ctx = resolve(world, ProfileMode.RA_PROFILE, "ra-web")
    assert (ctx.acme_profile, ctx.ra_profile) == (acme, ra)


@pytest.mark.parametrize(
    ("exists", "acme_enabled", "has_ra", "ra_enabled"),
    list(itertools.product([True, False], repeat=4)),
)
def test_acme_profile_mode_reports_the_first_failing_check(
    world: MemoryWorld, exists: bool, acme_enabled: bool, has_ra: bool, ra_enabled: bool
) -> None:
    platform = world.services.platform
    authority = world.authority()
    ra = platform.create_ra_profile(authority.uuid, "ra-one", enabled=ra_enabled)
    if exists:
        platform.create_acme_profile(
            "one", enabled=acme_enabled, default_ra_profile_uuid=ra.uuid if has_ra else None
        )
    failures = [not exists, not acme_enabled, not has_ra, not ra_enabled]
    if not any(failures):
        assert resolve(world, ProfileMode.ACME_PROFILE, "one").ra_profile.uuid == ra.uuid
        return
    expected = ACME_MODE_CHECKS[failures.index(True)]
    error = refusal(world, ProfileMode.ACME_PROFILE, "one")
    assert (error.kind, error.detail) == (ErrorKind.MALFORMED, expected)
    assert error.status in (None, 400)


@pytest.mark.parametrize(
    ("exists", "associated", "ra_enabled", "acme_enabled"),
    list(itertools.product([True, False], repeat=4)),
)
def test_ra_profile_mode_reports_the_first_failing_check(
    world: MemoryWorld, exists: bool, associated: bool, ra_enabled: bool, acme_enabled: bool
) -> None:
    platform = world.services.platform
    authority = world.authority()
    acme = platform.create_acme_profile("one", enabled=acme_enabled)
    if exists:
        ra = platform.create_ra_profile(authority.uuid, "ra-one", enabled=ra_enabled)
        if associated:
            platform.activate_acme(ra.uuid, acme.uuid)
    failures = [not exists, not associated, not ra_enabled, not acme_enabled]
    if not any(failures):
        assert resolve(world, ProfileMode.RA_PROFILE, "ra-one").acme_profile.uuid == acme.uuid
        return
    expected = RA_MODE_CHECKS[failures.index(True)]
    error = refusal(world, ProfileMode.RA_PROFILE, "ra-one")
    assert (error.kind, error.detail) == (ErrorKind.MALFORMED, expected)
    assert error.status in (None, 400)


@pytest.mark.parametrize("mode", list(ProfileMode))
def test_a_directory_for_an_unknown_profile_is_not_found(
    world: MemoryWorld, mode: ProfileMode
) -> None:
    world.profiles("web", "ra-web")
    error = refusal(world, mode, "nope", directory=True)
    assert (error.kind, error.status) == (ErrorKind.NOT_FOUND, 404)
    assert error.detail == (
        ACME_MODE_CHECKS[0] if mode is ProfileMode.ACME_PROFILE else RA_MODE_CHECKS[0]
    )


def test_a_directory_for_an_ra_profile_without_acme_is_not_found(world: MemoryWorld) -> None:
    world.services.platform.create_ra_profile(world.authority().uuid, "ra-bare")
    error = refusal(world, ProfileMode.RA_PROFILE, "ra-bare", directory=True)
    assert (error.kind, error.status) == (ErrorKind.NOT_FOUND, 404)
    assert error.detail == "ACME Profile is not associated with the RA Profile"


def test_a_directory_for_a_disabled_profile_is_a_malformed_request(world: MemoryWorld) -> None:
    acme, _ = world.profiles("web", "ra-web")
    world.services.platform.update_acme_profile(acme.uuid, enabled=False)
    error = refusal(world, ProfileMode.ACME_PROFILE, "web", directory=True)
    assert (error.kind, error.detail) == (ErrorKind.MALFORMED, "ACME Profile is not enabled")


def test_changes_to_the_profiles_take_effect_at_once(world: MemoryWorld) -> None:
    _, ra = world.profiles("web", "ra-web")
    platform = world.services.platform
    platform.update_ra_profile(ra.uuid, enabled=False)
    assert refusal(world, ProfileMode.ACME_PROFILE, "web").detail == "RA Profile is not enabled"
    platform.update_ra_profile(ra.uuid, enabled=True)
    assert resolve(world, ProfileMode.ACME_PROFILE, "web").ra_profile.enabled is True


# --------------------------------------------------------------------------- the cache


class _CountingReads:
    """The world's unit of work, counting the read transactions the cache opens."""

    def __init__(self, world: MemoryWorld) -> None:
        self._world = world
        self.reads = 0

    def __call__(self, *, write: bool = False) -> Any:
        self.reads += not write
        return self._world.uow(write=write)

    def profiles_generation(self) -> int:
        return self._world.uow.profiles_generation()


def test_profiles_are_read_once_while_nothing_changes(world: MemoryWorld) -> None:
    world.profiles("web", "ra-web")
    uow = _CountingReads(world)
    cache = ContextCache(uow)
    ref = ProfileRef(ProfileMode.ACME_PROFILE, "web")
    first = cache.get(ref)
    assert [cache.get(ref) for _ in range(5)] == [first] * 5
    assert uow.reads == 1


def test_a_committed_change_applies_to_the_next_request(world: MemoryWorld) -> None:
    acme, _ = world.profiles("web", "ra-web")
    assert resolve(world, ProfileMode.ACME_PROFILE, "web").acme_profile.enabled
    world.services.acme_profiles.disable(CLI_ACTOR, acme.uuid)
    assert refusal(world, ProfileMode.ACME_PROFILE, "web").detail == "ACME Profile is not enabled"


def test_refusals_are_not_cached(world: MemoryWorld) -> None:
    uow = _CountingReads(world)
    cache = ContextCache(uow)
    ref = ProfileRef(ProfileMode.ACME_PROFILE, "late")
    for _ in range(2):
        with pytest.raises(DomainError):
            cache.get(ref)
    assert uow.reads == 2
    world.profiles("late", "ra-late")
    assert cache.get(ref).acme_profile.name == "late"
