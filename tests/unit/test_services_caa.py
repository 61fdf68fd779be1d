"""What the services hand the VA for CAA (RFC 8659, RFC 8657): the profile's switches, the issuer
domain names (the RA profile's, else the ACME profile's) and every URL of the account."""

from __future__ import annotations

from pathlib import Path

from acmehub.domain.model import ChallengeType
from acmehub.domain.urls import Urls
from acmehub.services.context import ProfileMode
from tests.fakes import MemoryWorld

BASE = "https://acme.example.net:8443"


def task_for(world: MemoryWorld, mode: ProfileMode = ProfileMode.ACME_PROFILE, name: str = "acme"):
    ctx = world.context(name, mode)
    account, _ = world.new_account(ctx)
    order = world.new_order(ctx, account, "*.www.example.com")
    authz = world.services.authorizations.get(ctx, account.id, order.authorization_ids[0])
    challenge = next(c for c in authz.authorization.challenges if c.type is ChallengeType.DNS_01)
    world.services.authorizations.respond(ctx, account.id, challenge.id)
    task = world.services.authorizations.validation_task(challenge.id)
    assert task is not None
    return task, account


def test_the_task_carries_caa_from_the_profiles(tmp_path: Path) -> None:
    world = MemoryWorld.build(tmp_path, urls=Urls(BASE))
    world.profiles("acme", "ra", caa_identities=("ca.example.net",), dnssec_required=True)
    task, account = task_for(world)
    assert task.caa_checking is True
    assert task.dnssec_required is True
    assert task.wildcard is True  # issuewild governs (RFC 8659 §4.3)
    assert task.caa_issuer_domains == ("ca.example.net",)
    # RFC 8657 accounturi: any URL the account answers at, both families, both prefixes.
    assert set(task.account_uris) == {
        f"{BASE}{prefix}{family}/acct/{account.id}"
        for prefix in ("/acme", "/api/v1/protocols/acme")
        for family in ("/acme", "/raProfile/ra")
    }


def test_the_ra_profiles_issuer_domains_win(tmp_path: Path) -> None:
    world = MemoryWorld.build(tmp_path)
    world.profiles(
        "acme",
        "ra",
        ra_fields={"policy": {"caa_issuer_domains": ["ra.example.net"]}},
        caa_identities=("ca.example.net",),
        caa_checking=False,
    )
    task, _ = task_for(world, ProfileMode.RA_PROFILE, "ra")
    assert task.caa_issuer_domains == ("ra.example.net",)
    assert task.caa_checking is False
    assert task.dnssec_required is False
