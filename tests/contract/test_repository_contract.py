"""One contract for every storage implementation: the in-memory fakes and SQL (SQLite).

Each test runs once per implementation, so the fakes the unit tests rely on behave like the
storage that production runs on: what round-trips, what is unique, what a rollback undoes, how
nonces and validation leases expire.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol

import pytest
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from acmehub.domain.admin_model import ApiToken, AuditEvent, Role, User, WebSession
from acmehub.domain.errors import ErrorKind, Problem
from acmehub.domain.model import (
    Account,
    AccountStatus,
    AcmeProfile,
    Authority,
    Authorization,
    AuthzStatus,
    Certificate,
    Challenge,
    ChallengeStatus,
    ChallengeType,
    EabKey,
    Identifier,
    IssuancePolicy,
    Order,
    OrderStatus,
    RaProfile,
)
from acmehub.domain.ports import (
    AccountFilter,
    AuditFilter,
    CertificateFilter,
    NonceStore,
    OrderFilter,
    Page,
    UnitOfWorkFactory,
)
from acmehub.storage.engine import WriteGate, make_engine
from acmehub.storage.migrate import upgrade
from acmehub.storage.nonces import SqlNonceStore
from acmehub.storage.tables import metadata
from acmehub.storage.unit_of_work import SqlUnitOfWorkFactory
from acmehub.storage.validation_queue import SqlValidationQueue
from tests.fakes import (
    FixedClock,
    MemoryNonceStore,
    MemoryUnitOfWorkFactory,
    MemoryValidationQueue,
)
from tests.support.postgres import PostgresCluster

# Microseconds on purpose: they must survive the round trip.
NOW = datetime(2026, 5, 1, 12, 0, 0, 123456, tzinfo=UTC)
NONCE_LIFETIME = timedelta(minutes=10)


class Queue(Protocol):
    def claim(
        self, worker: str, now: datetime, lease_seconds: int, limit: int, *, resume: bool = False
    ) -> list[str]: ...
    def renew(self, worker: str, ids: Sequence[str], until: datetime) -> set[str]: ...
    def wake(self) -> None: ...


@dataclass
class Store:
    clock: FixedClock
    uow: UnitOfWorkFactory
    nonces: NonceStore
    queue: Queue
    authority: Authority
    acme: AcmeProfile
    ra: RaProfile


def _seed_profiles(uow: UnitOfWorkFactory) -> tuple[Authority, AcmeProfile, RaProfile]:
    authority = Authority(str(uuid.uuid4()), "CA one", "embedded", True, {"issuer_cert": "/x"})
    ra = RaProfile(str(uuid.uuid4()), "ra-one", authority.uuid, True)
    acme = AcmeProfile(str(uuid.uuid4()), "acme-one", True, default_ra_profile_uuid=ra.uuid)
    with uow(write=True) as tx:
        tx.profiles.add_authority(authority)
        tx.profiles.add_ra_profile(ra)
        tx.profiles.add_acme_profile(acme)
        ra = replace(ra, acme_profile_uuid=acme.uuid)
        tx.profiles.update_ra_profile(ra)
    return authority, acme, ra


@pytest.fixture(scope="session")
def postgres_engine(postgres: PostgresCluster) -> Iterator[Engine]:
    """One migrated PostgreSQL database for the run; each test starts from empty tables."""
    engine = make_engine(postgres.new_database("contract"), pool_size=2)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture(params=["memory", "sql", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """The same contract on the in-memory fakes, SQLite and PostgreSQL."""
    clock = FixedClock(NOW)
    if request.param == "memory":
        uow = MemoryUnitOfWorkFactory(clock)
        seeded = _seed_profiles(uow)
        yield Store(
            clock, uow, MemoryNonceStore(clock, NONCE_LIFETIME), MemoryValidationQueue(uow), *seeded
        )
        return
    if request.param == "postgresql":
        engine: Engine = request.getfixturevalue("postgres_engine")
        names = ", ".join(table.name for table in metadata.sorted_tables)
        with engine.begin() as conn:
            conn.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
    else:
        engine = make_engine(f"sqlite:///{tmp_path / 'acmehub.db'}", pool_size=2)
    try:
        if request.param == "sql":
            upgrade(engine)
        gate = WriteGate(engine)
        sql_uow = SqlUnitOfWorkFactory(gate, clock)
        seeded = _seed_profiles(sql_uow)
        yield Store(
            clock,
            sql_uow,
            SqlNonceStore(gate, clock, NONCE_LIFETIME),
            SqlValidationQueue(gate),
            *seeded,
        )
    finally:
        if request.param == "sql":
            engine.dispose()


# --------------------------------------------------------------------------- builders


def account(store: Store, n: int = 1, **changes: object) -> Account:
    base = Account(
        id=f"acct-{n}",
        uuid=str(uuid.uuid4()),
        key_thumbprint=f"thumb-{n}",
        jwk={"kty": "EC", "crv": "P-256", "x": f"x{n}", "y": f"y{n}"},
        status=AccountStatus.VALID,
        enabled=True,
        contact=("mailto:a@example.com", "mailto:b@example.com"),
        terms_of_service_agreed=True,
        acme_profile_uuid=store.acme.uuid,
        ra_profile_uuid=store.ra.uuid,
        via_default_ra_profile=True,
        created_at=NOW,
        tos_agreed_at=NOW + timedelta(seconds=1),
        eab_key_id="eab-1",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def order(account_id: str, n: int = 1, **changes: object) -> Order:
    base = Order(
        id=f"order-{n}",
        account_id=account_id,
        status=OrderStatus.PENDING,
        identifiers=(Identifier("dns", "*.example.com"), Identifier("dns", "www.example.com")),
        authorization_ids=(f"authz-{n}-a", f"authz-{n}-b"),
        expires=NOW + timedelta(hours=10),
        created_at=NOW,
        not_before=NOW + timedelta(minutes=1),
        not_after=NOW + timedelta(days=30),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def authorization(
    account_id: str,
    authz_id: str,
    value: str = "example.com",
    status: AuthzStatus = AuthzStatus.PENDING,
    expires: datetime = NOW + timedelta(hours=10),
    challenge_status: ChallengeStatus = ChallengeStatus.PENDING,
) -> Authorization:
    return Authorization(
        id=authz_id,
        account_id=account_id,
        identifier=Identifier("dns", value),
        wildcard=False,
        status=status,
        expires=expires,
        challenges=tuple(
            Challenge(
                id=f"{authz_id}-{t.value}",
                authorization_id=authz_id,
                type=t,
                token=f"token-{authz_id}-{t.value}",
                status=challenge_status,
            )
            for t in ChallengeType
        ),
    )


def certificate(
    account_id: str, order_id: str, n: int = 1, authority_uuid: str = "", **changes: object
) -> Certificate:
    base = Certificate(
        id=f"cert-{n}",
        serial_hex=f"{n:x}abcdef",
        order_id=order_id,
        account_id=account_id,
        pem="-----BEGIN CERTIFICATE-----\nleaf\n-----END CERTIFICATE-----\n",
        chain_pem="-----BEGIN CERTIFICATE-----\nissuer\n-----END CERTIFICATE-----\n",
        names=("*.example.com", "www.example.com"),
        not_before=NOW - timedelta(hours=1),
        not_after=NOW + timedelta(days=90),
        ra_profile_uuid="ra",
        acme_profile_uuid="acme",
        authority_uuid=authority_uuid or "authority",
        key_thumbprint="ab" * 32,
        issued_at=NOW,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def by_id(authz: Authorization | None) -> tuple[Authorization, dict[str, Challenge]]:
    """An authorization and its challenges keyed by id (their order is the repository's)."""
    assert authz is not None
    return replace(authz, challenges=()), {c.id: c for c in authz.challenges}


def add_account_and_order(store: Store, n: int = 1) -> tuple[Account, Order]:
    acct = account(store, n)
    ordr = order(acct.id, n)
    with store.uow(write=True) as tx:
        tx.accounts.add(acct)
        tx.orders.add(ordr)
    return acct, ordr


# --------------------------------------------------------------------------- round trips


def test_profiles_and_authority_round_trip(store: Store) -> None:
    with store.uow() as tx:
        assert tx.profiles.authority(store.authority.uuid) == store.authority
        assert tx.profiles.acme_profile(store.acme.uuid) == store.acme
        assert tx.profiles.acme_profile_by_name("acme-one") == store.acme
        assert tx.profiles.ra_profile(store.ra.uuid) == store.ra
        assert tx.profiles.ra_profile_by_name("ra-one") == store.ra
        assert tx.profiles.acme_profile_by_name("nope") is None
        assert tx.profiles.ra_profile("nope") is None


def test_acme_profile_with_every_field_round_trips(store: Store) -> None:
    changed = replace(
        store.acme,
        description="the main profile",
        terms_of_service_url="https://example.com/tos",
        website_url="https://example.com",
        caa_identities=("ca.example.com", "ca.example.net"),
        dns_resolver_ip="192.0.2.53",
        dns_resolver_port=5353,
        retry_interval=7,
        validity=600,
        terms_of_service_change_disable=True,
        terms_of_service_change_url="https://example.com/tos-v2",
        terms_of_service_changed_at=NOW,
        require_contact=True,
        require_terms_of_service=True,
        require_external_account_binding=True,
        new_authz_enabled=True,
        subdomain_auth_allowed=True,
        authorization_reuse=86400,
        issue_certificate_attributes={"template": "web"},
        revoke_certificate_attributes={"note": "x"},
        custom_attributes={"team": "infra"},
        certificate_associations={"ownerUuid": "o-1", "groupUuids": ["g-1"]},
    )
    with store.uow(write=True) as tx:
        tx.profiles.update_acme_profile(changed)
    with store.uow() as tx:
        assert tx.profiles.acme_profile(store.acme.uuid) == changed


def test_account_round_trips_and_updates(store: Store) -> None:
    acct = account(store)
    with store.uow(write=True) as tx:
        tx.accounts.add(acct)
    with store.uow() as tx:
        assert tx.accounts.get(acct.id) == acct
        assert tx.accounts.by_thumbprint(acct.key_thumbprint) == acct
        assert tx.accounts.get("unknown") is None
        assert tx.accounts.by_thumbprint("unknown") is None

    changed = replace(
        acct,
        status=AccountStatus.DEACTIVATED,
        enabled=False,
        contact=(),
        key_thumbprint="thumb-new",
        jwk={"kty": "OKP", "crv": "Ed25519", "x": "new"},
        tos_agreed_at=None,
        eab_key_id=None,
    )
    with store.uow(write=True) as tx:
        tx.accounts.update(changed)
    with store.uow() as tx:
        assert tx.accounts.get(acct.id) == changed
        assert tx.accounts.by_thumbprint("thumb-new") == changed
        assert tx.accounts.by_thumbprint(acct.key_thumbprint) is None


def test_order_round_trips_with_identifiers_error_and_csr(store: Store) -> None:
    _, ordr = add_account_and_order(store)
    with store.uow() as tx:
        assert tx.orders.get(ordr.id) == ordr
        assert tx.orders.get("unknown") is None

    error = Problem(
        ErrorKind.COMPOUND,
        "two names failed",
        subproblems=(
            Problem(ErrorKind.DNS, "no TXT", ("dns", "example.com")),
            Problem(ErrorKind.CONNECTION, "refused", ("dns", "www.example.com")),
        ),
    )
    changed = replace(
        ordr,
        status=OrderStatus.INVALID,
        error=error,
        csr_der=bytes(range(256)),
        certificate_id="cert-9",
        not_before=None,
        not_after=None,
        acme_profile_uuid=store.acme.uuid,
        ra_profile_uuid=store.ra.uuid,
    )
    with store.uow(write=True) as tx:
        tx.orders.update(changed)
    with store.uow() as tx:
        assert tx.orders.get(ordr.id) == changed


def test_authorization_round_trips_with_challenges(store: Store) -> None:
    acct, ordr = add_account_and_order(store)
    authz = replace(authorization(acct.id, "authz-1-a"), order_id=ordr.id)
    with store.uow(write=True) as tx:
        tx.authorizations.add(authz, ordr.id)
    with store.uow() as tx:
        assert by_id(tx.authorizations.get(authz.id)) == by_id(authz)
        assert tx.authorizations.challenge(authz.challenges[0].id) == authz.challenges[0]
        assert tx.authorizations.get("unknown") is None
        assert tx.authorizations.challenge("unknown") is None
        assert tx.orders.ids_for_authorization(authz.id) == [ordr.id]
        assert tx.orders.ids_for_authorization("unknown") == []


def test_wildcard_authorization_round_trips(store: Store) -> None:
    acct, ordr = add_account_and_order(store)
    authz = replace(authorization(acct.id, "authz-w"), wildcard=True, order_id=ordr.id)
    with store.uow(write=True) as tx:
        tx.authorizations.add(authz, ordr.id)
    with store.uow() as tx:
        assert by_id(tx.authorizations.get(authz.id)) == by_id(authz)


def test_cap_expiry_only_brings_the_expiry_forward(store: Store) -> None:
    """dns-persist-01's persistUntil caps an authorization's expiry; it never extends it."""
    acct, ordr = add_account_and_order(store)
    authz = authorization(acct.id, "authz-cap")
    with store.uow(write=True) as tx:
        tx.authorizations.add(authz, ordr.id)
        tx.authorizations.cap_expiry(authz.id, authz.expires + timedelta(hours=1))
    with store.uow() as tx:
        assert (tx.authorizations.get(authz.id) or authz).expires == authz.expires
    earlier = authz.expires - timedelta(minutes=5)
    with store.uow(write=True) as tx:
        tx.authorizations.cap_expiry(authz.id, earlier)
        tx.authorizations.cap_expiry("unknown", earlier)
    with store.uow() as tx:
        assert (tx.authorizations.get(authz.id) or authz).expires == earlier


def test_challenges_come_back_in_the_same_order_every_time(store: Store) -> None:
    acct, ordr = add_account_and_order(store)
    authz = replace(authorization(acct.id, "authz-1-a"), order_id=ordr.id)
    with store.uow(write=True) as tx:
        tx.authorizations.add(authz, ordr.id)
    with store.uow() as tx:
        first = tx.authorizations.get(authz.id)
        second = tx.authorizations.get_many([authz.id])[0]
    assert first is not None
    assert [c.id for c in first.challenges] == sorted(c.id for c in authz.challenges)
    assert first == second


def test_get_many_keeps_the_requested_order_and_skips_unknown_ids(store: Store) -> None:
    acct, ordr = add_account_and_order(store)
    a = authorization(acct.id, "authz-a", "a.example.com")
    b = authorization(acct.id, "authz-b", "b.example.com")
    with store.uow(write=True) as tx:
        tx.authorizations.add(a, ordr.id)
        tx.authorizations.add(b, ordr.id)
    with store.uow() as tx:
        found = tx.authorizations.get_many(["authz-b", "missing", "authz-a"])
        assert [x.id for x in found] == ["authz-b", "authz-a"]
        assert tx.authorizations.get_many([]) == []


def test_authorization_status_and_challenge_updates_round_trip(store: Store) -> None:
    acct, ordr = add_account_and_order(store)
    authz = replace(authorization(acct.id, "authz-1-a"), order_id=ordr.id)
    with store.uow(write=True) as tx:
        tx.authorizations.add(authz, ordr.id)
    done = replace(
        authz.challenges[1],
        status=ChallengeStatus.INVALID,
        validated=NOW + timedelta(seconds=3),
        error=Problem(ErrorKind.INCORRECT_RESPONSE, "wrong token", ("dns", "example.com")),
    )
    with store.uow(write=True) as tx:
        tx.authorizations.set_status(authz.id, AuthzStatus.INVALID.value)
        tx.authorizations.update_challenge(done)
    with store.uow() as tx:
        got = tx.authorizations.get(authz.id)
        assert tx.authorizations.challenge(done.id) == done
    assert got is not None
    assert got.status is AuthzStatus.INVALID
    assert {c.id: c for c in got.challenges}[done.id] == done


def test_certificate_round_trips_and_is_found_by_serial(store: Store) -> None:
    acct, ordr = add_account_and_order(store)
    cert = certificate(acct.id, ordr.id)
    with store.uow(write=True) as tx:
        tx.certificates.add(cert)
    with store.uow() as tx:
        assert tx.certificates.get(cert.id) == cert
        assert tx.certificates.by_serial(cert.serial_hex) == cert
        assert tx.certificates.get("unknown") is None
        assert tx.certificates.by_serial("fff") is None
    assert cert.full_chain_pem.startswith(cert.pem)


def test_updating_an_unknown_row_changes_nothing(store: Store) -> None:
    acct, ordr = add_account_and_order(store)
    with store.uow(write=True) as tx:
        tx.accounts.update(account(store, 2))
        tx.orders.update(order(acct.id, 2))
        tx.authorizations.set_status("missing", AuthzStatus.VALID.value)
    with store.uow() as tx:
        assert tx.accounts.get("acct-2") is None
        assert tx.orders.get("order-2") is None
        assert tx.orders.ids_for_account(acct.id, 0, 10) == [ordr.id]


# --------------------------------------------------------------------------- uniqueness


def test_one_account_per_key_thumbprint(store: Store) -> None:
    first = account(store, 1)
    with store.uow(write=True) as tx:
        tx.accounts.add(first)
    clash = account(store, 2, key_thumbprint=first.key_thumbprint)
    with pytest.raises(IntegrityError), store.uow(write=True) as tx:
        tx.accounts.add(clash)
    with store.uow() as tx:
        assert tx.accounts.get(clash.id) is None
        assert tx.accounts.by_thumbprint(first.key_thumbprint) == first


def test_changing_a_key_to_one_in_use_is_refused(store: Store) -> None:
    first, second = account(store, 1), account(store, 2)
    with store.uow(write=True) as tx:
        tx.accounts.add(first)
        tx.accounts.add(second)
    with pytest.raises(IntegrityError), store.uow(write=True) as tx:
        tx.accounts.update(replace(second, key_thumbprint=first.key_thumbprint))
    with store.uow() as tx:
        assert tx.accounts.get(second.id) == second


def test_account_ids_are_unique(store: Store) -> None:
    first = account(store, 1)
    with store.uow(write=True) as tx:
        tx.accounts.add(first)
    with pytest.raises(IntegrityError), store.uow(write=True) as tx:
        tx.accounts.add(account(store, 1, key_thumbprint="other", uuid=str(uuid.uuid4())))


def test_one_certificate_per_order(store: Store) -> None:
    acct, ordr = add_account_and_order(store)
    with store.uow(write=True) as tx:
        tx.certificates.add(certificate(acct.id, ordr.id, 1))
    with pytest.raises(IntegrityError), store.uow(write=True) as tx:
        tx.certificates.add(certificate(acct.id, ordr.id, 2))
    with store.uow() as tx:
        assert tx.certificates.get("cert-2") is None


def test_certificate_serials_are_unique(store: Store) -> None:
    acct, first_order = add_account_and_order(store, 1)
    second_order = order(acct.id, 2)
    with store.uow(write=True) as tx:
        tx.orders.add(second_order)
        tx.certificates.add(certificate(acct.id, first_order.id, 1))
    clash = certificate(acct.id, second_order.id, 2, serial_hex=certificate("", "", 1).serial_hex)
    with pytest.raises(IntegrityError), store.uow(write=True) as tx:
        tx.certificates.add(clash)
    with store.uow() as tx:
        assert tx.certificates.get(clash.id) is None


def test_rows_must_reference_existing_parents(store: Store) -> None:
    with pytest.raises(IntegrityError), store.uow(write=True) as tx:
        tx.orders.add(order("no-such-account"))
    acct, _ = add_account_and_order(store)
    with pytest.raises(IntegrityError), store.uow(write=True) as tx:
        tx.certificates.add(certificate(acct.id, "no-such-order"))
    with pytest.raises(IntegrityError), store.uow(write=True) as tx:
        tx.authorizations.add(authorization(acct.id, "authz-x"), "no-such-order")


# --------------------------------------------------------------------------- transactions


def test_an_exception_rolls_the_whole_transaction_back(store: Store) -> None:
    acct = account(store)
    with store.uow(write=True) as tx:
        tx.accounts.add(acct)

    def fail_midway() -> None:
        with store.uow(write=True) as tx:
            tx.accounts.update(replace(acct, contact=("mailto:changed@example.com",)))
            tx.orders.add(order(acct.id))
            raise LookupError("boom")

    with pytest.raises(LookupError):
        fail_midway()
    with store.uow() as tx:
        assert tx.accounts.get(acct.id) == acct
        assert tx.orders.get("order-1") is None


def test_a_constraint_violation_undoes_the_earlier_writes_of_its_transaction(
    store: Store,
) -> None:
    first = account(store, 1)
    with store.uow(write=True) as tx:
        tx.accounts.add(first)

    def add_two() -> None:
        with store.uow(write=True) as tx:
            tx.accounts.add(account(store, 3))
            tx.accounts.add(account(store, 2, key_thumbprint=first.key_thumbprint))

    with pytest.raises(IntegrityError):
        add_two()
    with store.uow() as tx:
        assert tx.accounts.get("acct-3") is None


def test_committed_writes_are_visible_to_later_transactions(store: Store) -> None:
    acct = account(store)
    with store.uow(write=True) as tx:
        tx.accounts.add(acct)
        assert tx.accounts.get(acct.id) == acct  # read your own write
    with store.uow(write=True) as tx:
        assert tx.accounts.get(acct.id) == acct


# --------------------------------------------------------------------------- queries


def test_ids_for_account_pages_in_creation_order(store: Store) -> None:
    acct, other = account(store, 1), account(store, 2)
    created = [NOW + timedelta(minutes=m) for m in (5, 1, 3, 1, 4)]
    ids = ["o-e", "o-b", "o-c", "o-a", "o-d"]
    with store.uow(write=True) as tx:
        tx.accounts.add(acct)
        tx.accounts.add(other)
        for order_id, when in zip(ids, created, strict=True):
            tx.orders.add(order(acct.id, id=order_id, created_at=when))
        tx.orders.add(order(other.id, id="o-other", created_at=NOW))
    # By creation time; equal times by id.
    expected = ["o-a", "o-b", "o-c", "o-d", "o-e"]
    with store.uow() as tx:
        assert tx.orders.ids_for_account(acct.id, 0, 10) == expected
        assert tx.orders.ids_for_account(acct.id, 0, 2) == expected[:2]
        assert tx.orders.ids_for_account(acct.id, 2, 2) == expected[2:4]
        assert tx.orders.ids_for_account(acct.id, 4, 2) == expected[4:]
        assert tx.orders.ids_for_account(acct.id, 6, 2) == []
        assert tx.orders.ids_for_account(other.id, 0, 10) == ["o-other"]
        assert tx.orders.ids_for_account("nobody", 0, 10) == []


def test_valid_for_account_honours_status_expiry_account_and_names(store: Store) -> None:
    acct, ordr = add_account_and_order(store)
    other = account(store, 2)
    other_order = order(other.id, 2)
    soon = NOW + timedelta(minutes=5)
    with store.uow(write=True) as tx:
        tx.accounts.add(other)
        tx.orders.add(other_order)
        for authz in (
            authorization(acct.id, "z1", "valid.example.com", AuthzStatus.VALID),
            authorization(acct.id, "z2", "pending.example.com", AuthzStatus.PENDING),
            authorization(acct.id, "z3", "invalid.example.com", AuthzStatus.INVALID),
            authorization(acct.id, "z4", "deact.example.com", AuthzStatus.DEACTIVATED),
            authorization(acct.id, "z5", "expiring.example.com", AuthzStatus.VALID, soon),
            authorization(acct.id, "z6", "unasked.example.com", AuthzStatus.VALID),
        ):
            tx.authorizations.add(authz, ordr.id)
        tx.authorizations.add(
            authorization(other.id, "z7", "others.example.com", AuthzStatus.VALID), other_order.id
        )
    names = [
        "valid.example.com",
        "pending.example.com",
        "invalid.example.com",
        "deact.example.com",
        "expiring.example.com",
        "others.example.com",
        "never.example.com",
    ]
    with store.uow() as tx:
        held = tx.authorizations.valid_for_account(acct.id, names, NOW)
        assert held == {"valid.example.com", "expiring.example.com"}
        # An authorization whose expiry is now no longer counts.
        assert tx.authorizations.valid_for_account(acct.id, names, soon) == {"valid.example.com"}
        assert tx.authorizations.valid_for_account(other.id, names, NOW) == {"others.example.com"}
        assert tx.authorizations.valid_for_account(acct.id, [], NOW) == set()


def test_a_pre_authorization_round_trips_without_an_order(store: Store) -> None:
    acct, _ = add_account_and_order(store)
    authz = replace(
        authorization(acct.id, "pre-1", "example.org"),
        subdomain_auth_allowed=True,
        acme_profile_uuid=store.acme.uuid,
        ra_profile_uuid=store.ra.uuid,
    )
    assert authz.pre_authorization
    with store.uow(write=True) as tx:
        tx.authorizations.add(authz, None)
    with store.uow() as tx:
        assert by_id(tx.authorizations.get(authz.id)) == by_id(authz)
        assert tx.orders.ids_for_authorization(authz.id) == []


def test_valid_of_account_returns_what_a_new_order_may_reuse(store: Store) -> None:
    acct, ordr = add_account_and_order(store)
    later = NOW + timedelta(days=30)
    with store.uow(write=True) as tx:
        for authz in (
            authorization(acct.id, "r1", "valid.example.com", AuthzStatus.VALID),
            authorization(acct.id, "r2", "pending.example.com", AuthzStatus.PENDING),
            authorization(acct.id, "r3", "other.example.com", AuthzStatus.VALID),
        ):
            tx.authorizations.add(authz, ordr.id)
        tx.authorizations.set_expires("r1", later)
    names = ["valid.example.com", "pending.example.com"]
    with store.uow() as tx:
        (found,) = tx.authorizations.valid_of_account(acct.id, names, NOW)
        assert (found.id, found.expires, len(found.challenges)) == ("r1", later, len(ChallengeType))
        assert tx.authorizations.valid_of_account(acct.id, names, later) == []
        assert tx.authorizations.valid_of_account(acct.id, [], NOW) == []


def test_stuck_processing_finds_processing_orders_not_touched_since(store: Store) -> None:
    acct = account(store)
    with store.uow(write=True) as tx:
        tx.accounts.add(acct)
        tx.orders.add(order(acct.id, 1, status=OrderStatus.PROCESSING))
        tx.orders.add(order(acct.id, 2, status=OrderStatus.READY))
        tx.orders.add(order(acct.id, 3, status=OrderStatus.PROCESSING))
    store.clock.advance(minutes=10)
    with store.uow(write=True) as tx:
        touched = tx.orders.get("order-3")
        assert touched is not None
        tx.orders.update(touched)  # updated "now": no longer stuck
    with store.uow() as tx:
        stuck = tx.orders.stuck_processing(NOW + timedelta(minutes=5), 10)
        assert [o.id for o in stuck] == ["order-1"]
        assert tx.orders.stuck_processing(NOW, 10) == []
        assert len(tx.orders.stuck_processing(NOW + timedelta(hours=1), 1)) == 1


# --------------------------------------------------------------------------- certificates


def test_mark_revoked_succeeds_once(store: Store) -> None:
    acct, ordr = add_account_and_order(store)
    cert = certificate(acct.id, ordr.id)
    with store.uow(write=True) as tx:
        tx.certificates.add(cert)
    when = NOW + timedelta(hours=1)
    with store.uow(write=True) as tx:
        assert tx.certificates.mark_revoked(cert.id, when, 4) is True
    with store.uow(write=True) as tx:
        assert tx.certificates.mark_revoked(cert.id, when + timedelta(hours=1), 1) is False
        assert tx.certificates.mark_revoked("unknown", when, 1) is False
    with store.uow() as tx:
        assert tx.certificates.get(cert.id) == replace(cert, revoked_at=when, revocation_reason=4)


def test_revoked_for_authority_lists_only_its_revoked_certificates(store: Store) -> None:
    acct = account(store)
    with store.uow(write=True) as tx:
        tx.accounts.add(acct)
        for n in (1, 2, 3):
            tx.orders.add(order(acct.id, n))
        tx.certificates.add(certificate(acct.id, "order-1", 1, authority_uuid="ca-a"))
        tx.certificates.add(certificate(acct.id, "order-2", 2, authority_uuid="ca-a"))
        tx.certificates.add(certificate(acct.id, "order-3", 3, authority_uuid="ca-b"))
        assert tx.certificates.mark_revoked("cert-1", NOW, 0)
        assert tx.certificates.mark_revoked("cert-3", NOW, 0)
    with store.uow() as tx:
        assert [c.id for c in tx.certificates.revoked_for_authority("ca-a")] == ["cert-1"]
        assert [c.id for c in tx.certificates.revoked_for_authority("ca-b")] == ["cert-3"]
        assert tx.certificates.revoked_for_authority("ca-c") == []


# --------------------------------------------------------------------------- change counter


def test_profile_changes_move_the_profiles_generation_and_reads_do_not(store: Store) -> None:
    start = store.uow.profiles_generation()
    with store.uow() as tx:
        assert tx.profiles.acme_profile(store.acme.uuid) is not None
    assert store.uow.profiles_generation() == start
    for change in (
        lambda tx: tx.profiles.update_acme_profile(replace(store.acme, enabled=False)),
        lambda tx: tx.profiles.update_ra_profile(replace(store.ra, enabled=False)),
        lambda tx: tx.profiles.update_authority(replace(store.authority, enabled=False)),
    ):
        before = store.uow.profiles_generation()
        with store.uow(write=True) as tx:
            change(tx)
        assert store.uow.profiles_generation() != before


def test_a_rolled_back_profile_change_leaves_the_generation(store: Store) -> None:
    def abandoned_change() -> None:
        with store.uow(write=True) as tx:
            tx.profiles.update_acme_profile(replace(store.acme, enabled=False))
            raise RuntimeError("abandon")

    before = store.uow.profiles_generation()
    with pytest.raises(RuntimeError):
        abandoned_change()
    assert store.uow.profiles_generation() == before


# --------------------------------------------------------------------------- nonces


def test_a_nonce_is_good_exactly_once(store: Store) -> None:
    nonce = store.nonces.issue()
    assert store.nonces.consume(nonce) is True
    assert store.nonces.consume(nonce) is False


def test_nonces_are_distinct_and_unknown_ones_are_refused(store: Store) -> None:
    issued = {store.nonces.issue() for _ in range(20)}
    assert len(issued) == 20
    assert all(len(n) >= 22 for n in issued)  # 128 bits, base64url
    assert store.nonces.consume("never-issued") is False
    assert store.nonces.consume("x" * 65) is False
    assert store.nonces.consume("") is False


def test_a_nonce_expires_after_its_lifetime(store: Store) -> None:
    early, late = store.nonces.issue(), store.nonces.issue()
    store.clock.advance(NONCE_LIFETIME - timedelta(seconds=1))
    assert store.nonces.consume(early) is True
    store.clock.advance(seconds=1)
    assert store.nonces.consume(late) is False


def test_purging_removes_only_expired_nonces_in_batches(store: Store) -> None:
    old = [store.nonces.issue() for _ in range(3)]
    assert all(store.nonces.consume(n) for n in old)
    store.clock.advance(NONCE_LIFETIME / 2)
    fresh = store.nonces.issue()
    store.clock.advance(NONCE_LIFETIME / 2)
    assert store.nonces.purge_expired(2) == 2
    assert store.nonces.purge_expired(100) == 1
    assert store.nonces.purge_expired(100) == 0
    assert store.nonces.consume(fresh) is True
    assert not any(store.nonces.consume(n) for n in old)


# --------------------------------------------------------------------------- validation queue


def _processing(store: Store, *ids: str) -> list[str]:
    """Authorizations with every challenge processing; their challenge ids."""
    acct, ordr = add_account_and_order(store)
    challenge_ids: list[str] = []
    with store.uow(write=True) as tx:
        for authz_id in ids:
            authz = authorization(
                acct.id,
                authz_id,
                f"{authz_id}.example.com",
                challenge_status=ChallengeStatus.PROCESSING,
            )
            tx.authorizations.add(authz, ordr.id)
            challenge_ids += [c.id for c in authz.challenges]
        pending = authorization(acct.id, "still-pending", "pending.example.com")
        tx.authorizations.add(pending, ordr.id)
    return sorted(challenge_ids)


def test_claim_returns_processing_challenges_only_once_while_leased(store: Store) -> None:
    expected = _processing(store, "q1", "q2")
    claimed = store.queue.claim("worker-a", NOW, 60, 100)
    assert sorted(claimed) == expected
    assert store.queue.claim("worker-b", NOW, 60, 100) == []
    assert store.queue.claim("worker-b", NOW + timedelta(seconds=60), 60, 100) == []


def test_claim_honours_its_limit(store: Store) -> None:
    expected = _processing(store, "q1", "q2")
    first = store.queue.claim("worker-a", NOW, 60, 4)
    rest = store.queue.claim("worker-b", NOW, 60, 100)
    assert len(first) == 4
    assert sorted(first + rest) == expected


def test_an_expired_lease_can_be_claimed_again(store: Store) -> None:
    expected = _processing(store, "q1")
    assert sorted(store.queue.claim("worker-a", NOW, 30, 100)) == expected
    later = NOW + timedelta(seconds=31)
    assert sorted(store.queue.claim("worker-b", later, 30, 100)) == expected
    assert store.queue.claim("worker-a", later + timedelta(seconds=29), 30, 100) == []


def test_a_recorded_result_leaves_the_queue(store: Store) -> None:
    ids = _processing(store, "q1")
    store.queue.claim("worker-a", NOW, 30, 100)
    with store.uow(write=True) as tx:
        for challenge_id in ids:
            challenge = tx.authorizations.challenge(challenge_id)
            assert challenge is not None
            tx.authorizations.update_challenge(replace(challenge, status=ChallengeStatus.VALID))
    assert store.queue.claim("worker-b", NOW + timedelta(hours=1), 30, 100) == []


def test_updating_a_challenge_that_stays_processing_keeps_its_lease(store: Store) -> None:
    ids = _processing(store, "q1")
    store.queue.claim("worker-a", NOW, 30, 100)
    with store.uow(write=True) as tx:
        challenge = tx.authorizations.challenge(ids[0])
        assert challenge is not None
        tx.authorizations.update_challenge(replace(challenge, token="same-but-touched"))
    assert store.queue.claim("worker-b", NOW + timedelta(seconds=10), 30, 100) == []


def test_a_lease_recorded_with_the_update_keeps_other_workers_off_until_it_ends(
    store: Store,
) -> None:
    """A challenge answered in a process with an idle validation thread is leased to that
    thread in the answering transaction: no worker claims it while the lease holds, and any
    worker does once it ran out (the process died before recording a result)."""
    ids = _processing(store, "q1")
    with store.uow(write=True) as tx:
        for challenge_id in ids:
            challenge = tx.authorizations.challenge(challenge_id)
            assert challenge is not None
            tx.authorizations.update_challenge(challenge, ("worker-a", NOW + timedelta(seconds=30)))
    assert store.queue.claim("worker-b", NOW + timedelta(seconds=29), 30, 100) == []
    later = NOW + timedelta(seconds=31)
    assert sorted(store.queue.claim("worker-b", later, 30, 100)) == ids


def test_a_renewed_lease_keeps_other_workers_off(store: Store) -> None:
    ids = _processing(store, "q1")
    assert sorted(store.queue.claim("worker-a", NOW, 10, 100)) == ids
    renewed_until = NOW + timedelta(seconds=18)
    assert store.queue.renew("worker-a", ids, renewed_until) == set(ids)
    assert store.queue.claim("worker-b", NOW + timedelta(seconds=17), 10, 100) == []
    assert sorted(store.queue.claim("worker-b", NOW + timedelta(seconds=19), 10, 100)) == ids


def test_renewal_keeps_the_owner(store: Store) -> None:
    """A lease that ran out and was claimed by another worker is not taken back by a late
    renewal of the first; a settled challenge is not renewed either."""
    ids = _processing(store, "q1")
    store.queue.claim("worker-a", NOW, 10, 100)
    later = NOW + timedelta(seconds=11)
    assert sorted(store.queue.claim("worker-b", later, 10, 100)) == ids
    assert store.queue.renew("worker-a", ids, later + timedelta(seconds=10)) == set()
    assert store.queue.claim("worker-c", later + timedelta(seconds=9), 10, 100) == []
    with store.uow(write=True) as tx:
        challenge = tx.authorizations.challenge(ids[0])
        assert challenge is not None
        tx.authorizations.update_challenge(replace(challenge, status=ChallengeStatus.VALID))
    assert store.queue.renew("worker-b", ids, later + timedelta(seconds=20)) == set(ids[1:])
    assert store.queue.renew("worker-b", [], later) == set()


def test_a_restarted_worker_resumes_its_own_leases_whatever_their_end(store: Store) -> None:
    everything = _processing(store, "q1", "q2")
    mine = sorted(store.queue.claim("worker-a", NOW, 10, 3))
    others = sorted(store.queue.claim("worker-b", NOW, 10, 100))
    assert len(mine) == 3
    assert sorted(mine + others) == everything
    # Still leased (a restart within the lease) and long after: resumed by name either way.
    soon = NOW + timedelta(seconds=1)
    assert sorted(store.queue.claim("worker-a", soon, 10, 100, resume=True)) == mine
    resumed = store.queue.claim("worker-a", NOW + timedelta(hours=1), 10, 2, resume=True)
    assert len(resumed) == 2
    assert set(resumed) <= set(mine)
    assert store.queue.claim("worker-c", NOW, 10, 100, resume=True) == []
    assert sorted(store.queue.claim("worker-b", NOW, 10, 100, resume=True)) == others


def test_wake_is_always_safe(store: Store) -> None:
    store.queue.wake()
    store.queue.wake()
    assert store.queue.claim("worker-a", NOW, 30, 100) == []


# --------------------------------------------------------------------------- API tokens


def api_token(n: int = 1, **changes: object) -> ApiToken:
    base = ApiToken(
        uuid=str(uuid.UUID(int=n)),
        name=f"token-{n}",
        token_hash=f"{n:064x}",
        role=Role.OPERATOR,
        created_at=NOW,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_api_token_round_trips_by_hash_and_name(store: Store) -> None:
    token = api_token(1)
    with store.uow(write=True) as tx:
        tx.tokens.add(token)
    with store.uow() as tx:
        assert tx.tokens.by_hash(token.token_hash) == token
        assert tx.tokens.by_name(token.name) == token
        assert tx.tokens.by_hash("0" * 63 + "f") is None
        assert tx.tokens.by_name("nobody") is None
    revoked = replace(token, revoked_at=NOW + timedelta(hours=1), role=Role.AUDITOR)
    with store.uow(write=True) as tx:
        tx.tokens.update(revoked)
    with store.uow() as tx:
        assert tx.tokens.by_name(token.name) == revoked


def test_api_token_expiry_and_scopes_round_trip(store: Store) -> None:
    scoped = api_token(
        1,
        expires_at=NOW + timedelta(days=90),
        scopes=("acmeProfiles:write", "certificates:read"),
    )
    unscoped = api_token(2)
    with store.uow(write=True) as tx:
        tx.tokens.add(scoped)
        tx.tokens.add(unscoped)
    with store.uow() as tx:
        assert tx.tokens.by_name(scoped.name) == scoped
        found = tx.tokens.by_name(unscoped.name)
        assert found is not None
        assert (found.expires_at, found.scopes) == (None, ())


def test_api_tokens_are_listed_by_name(store: Store) -> None:
    with store.uow(write=True) as tx:
        for n, name in ((1, "zeta"), (2, "alpha"), (3, "mid")):
            tx.tokens.add(api_token(n, name=name))
    with store.uow() as tx:
        assert [t.name for t in tx.tokens.list()] == ["alpha", "mid", "zeta"]


@pytest.mark.parametrize("field", ["name", "token_hash"])
def test_api_token_names_and_hashes_are_unique(store: Store, field: str) -> None:
    first = api_token(1)
    with store.uow(write=True) as tx:
        tx.tokens.add(first)
    clash = api_token(2, **{field: getattr(first, field)})
    with pytest.raises(IntegrityError), store.uow(write=True) as tx:
        tx.tokens.add(clash)
    with store.uow() as tx:
        assert [t.uuid for t in tx.tokens.list()] == [first.uuid]


# --------------------------------------------------------------------------- audit events


def audit_event(n: int, **changes: object) -> AuditEvent:
    base = AuditEvent(
        at=NOW + timedelta(minutes=n),
        actor="token:ci" if n % 2 else "cli",
        action="acmeProfile.update" if n % 3 else "account.revoke",
        object_type="acmeProfile" if n % 3 else "account",
        object_id=f"object-{n % 4}",
        outcome="failure" if n == 5 else "success",
        detail={"n": n, "fields": ["a", "b"], "nested": {"ok": True}},
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def _add_events(store: Store, count: int) -> None:
    with store.uow(write=True) as tx:
        for n in range(1, count + 1):
            tx.audit.add(audit_event(n))


def test_audit_events_round_trip_newest_first_with_ids(store: Store) -> None:
    _add_events(store, 3)
    with store.uow() as tx:
        events = tx.audit.list(AuditFilter(), Page())
    assert [e.detail["n"] for e in events] == [3, 2, 1]
    ids = [e.id for e in events]
    assert all(isinstance(i, int) for i in ids)
    assert ids == sorted(ids, reverse=True)
    assert len(set(ids)) == 3
    assert replace(events[-1], id=None) == audit_event(1)


def test_audit_filters_combine(store: Store) -> None:
    _add_events(store, 12)

    def numbers(where: AuditFilter) -> list[int]:
        with store.uow() as tx:
            return [e.detail["n"] for e in tx.audit.list(where, Page())]

    assert numbers(AuditFilter(actor="cli")) == [12, 10, 8, 6, 4, 2]
    assert numbers(AuditFilter(action="account.revoke")) == [12, 9, 6, 3]
    assert numbers(AuditFilter(object_type="account", actor="token:ci")) == [9, 3]
    assert numbers(AuditFilter(object_id="object-1")) == [9, 5, 1]
    assert numbers(AuditFilter(outcome="failure")) == [5]
    # since is inclusive, until exclusive.
    window = AuditFilter(since=NOW + timedelta(minutes=4), until=NOW + timedelta(minutes=7))
    assert numbers(window) == [6, 5, 4]
    assert numbers(AuditFilter(actor="nobody")) == []


def test_audit_paging_walks_every_event_once(store: Store) -> None:
    _add_events(store, 7)
    with store.uow() as tx:
        pages = [tx.audit.list(AuditFilter(), Page(offset, 3)) for offset in (0, 3, 6, 9)]
    assert [[e.detail["n"] for e in page] for page in pages] == [[7, 6, 5], [4, 3, 2], [1], []]


def test_audit_events_of_a_rolled_back_transaction_are_gone(store: Store) -> None:
    def add_then_fail() -> None:
        with store.uow(write=True) as tx:
            tx.audit.add(audit_event(1))
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        add_then_fail()
    with store.uow() as tx:
        assert tx.audit.list(AuditFilter(), Page()) == []


# --------------------------------------------------------------------------- account administration


def test_account_by_uuid(store: Store) -> None:
    acct = account(store)
    with store.uow(write=True) as tx:
        tx.accounts.add(acct)
    with store.uow() as tx:
        assert tx.accounts.by_uuid(acct.uuid) == acct
        assert tx.accounts.by_uuid(str(uuid.uuid4())) is None


def _second_profiles(store: Store) -> tuple[AcmeProfile, RaProfile]:
    ra = RaProfile(str(uuid.uuid4()), "ra-two", store.authority.uuid, True)
    acme = AcmeProfile(str(uuid.uuid4()), "acme-two", True, default_ra_profile_uuid=ra.uuid)
    with store.uow(write=True) as tx:
        tx.profiles.add_ra_profile(ra)
        tx.profiles.add_acme_profile(acme)
    return acme, ra


def test_accounts_filter_count_and_page_oldest_first(store: Store) -> None:
    acme2, ra2 = _second_profiles(store)
    accounts = [
        account(store, 1, created_at=NOW + timedelta(seconds=3)),
        account(store, 2, created_at=NOW + timedelta(seconds=1), enabled=False),
        account(store, 3, created_at=NOW + timedelta(seconds=2), status=AccountStatus.REVOKED),
        account(
            store,
            4,
            created_at=NOW,
            acme_profile_uuid=acme2.uuid,
            ra_profile_uuid=ra2.uuid,
            status=AccountStatus.DEACTIVATED,
        ),
    ]
    with store.uow(write=True) as tx:
        for acct in accounts:
            tx.accounts.add(acct)

    def ids(where: AccountFilter, page: Page | None = None) -> tuple[list[str], int]:
        with store.uow() as tx:
            found = tx.accounts.list(where, page or Page())
            return [a.id for a in found], tx.accounts.count(where)

    assert ids(AccountFilter()) == (["acct-4", "acct-2", "acct-3", "acct-1"], 4)
    assert ids(AccountFilter(), Page(1, 2)) == (["acct-2", "acct-3"], 4)
    assert ids(AccountFilter(), Page(4, 2)) == ([], 4)
    assert ids(AccountFilter(acme_profile_uuid=store.acme.uuid))[1] == 3
    assert ids(AccountFilter(ra_profile_uuid=ra2.uuid)) == (["acct-4"], 1)
    assert ids(AccountFilter(status=AccountStatus.VALID)) == (["acct-2", "acct-1"], 2)
    assert ids(AccountFilter(enabled=False)) == (["acct-2"], 1)
    assert ids(AccountFilter(status=AccountStatus.VALID, enabled=True)) == (["acct-1"], 1)
    assert ids(AccountFilter(acme_profile_uuid="none")) == ([], 0)


def test_order_counts_by_stored_status(store: Store) -> None:
    acct, other = account(store, 1), account(store, 2)
    statuses = [OrderStatus.PENDING, OrderStatus.VALID, OrderStatus.VALID, OrderStatus.INVALID]
    with store.uow(write=True) as tx:
        tx.accounts.add(acct)
        tx.accounts.add(other)
        for n, status in enumerate(statuses, start=1):
            tx.orders.add(order(acct.id, n, status=status))
        tx.orders.add(order(other.id, 9, status=OrderStatus.READY))
    with store.uow() as tx:
        assert tx.accounts.order_counts(acct.id) == {
            "pending": 1,
            "ready": 0,
            "processing": 0,
            "valid": 2,
            "invalid": 1,
            "total": 4,
        }
        assert tx.accounts.order_counts("nobody")["total"] == 0


def test_rebind_default_moves_only_accounts_bound_through_the_default(store: Store) -> None:
    _, ra2 = _second_profiles(store)
    via_default = account(store, 1)
    pinned = account(store, 2, via_default_ra_profile=False)
    with store.uow(write=True) as tx:
        tx.accounts.add(via_default)
        tx.accounts.add(pinned)
        assert tx.accounts.rebind_default(store.acme.uuid, ra2.uuid) == 1
    with store.uow() as tx:
        assert tx.accounts.get(via_default.id) == replace(via_default, ra_profile_uuid=ra2.uuid)
        assert tx.accounts.get(pinned.id) == pinned


# --------------------------------------------------------------------------- certificate inventory


def test_certificates_filter_count_and_page_newest_first(store: Store) -> None:
    acct, other = account(store, 1), account(store, 2)
    with store.uow(write=True) as tx:
        tx.accounts.add(acct)
        tx.accounts.add(other)
        for n in range(1, 6):
            tx.orders.add(order(acct.id if n < 5 else other.id, n))
        certs = [
            certificate(acct.id, "order-1", 1, names=("www.alpha.example",)),
            certificate(
                acct.id,
                "order-2",
                2,
                names=("beta.example", "Mail.Beta.example"),
                issued_at=NOW + timedelta(hours=1),
                acme_profile_uuid="acme-b",
                ra_profile_uuid="ra-b",
            ),
            certificate(acct.id, "order-3", 3, not_after=NOW, issued_at=NOW + timedelta(hours=2)),
            certificate(
                acct.id,
                "order-4",
                4,
                not_after=NOW + timedelta(days=10),
                issued_at=NOW + timedelta(hours=3),
            ),
            certificate(other.id, "order-5", 5, issued_at=NOW + timedelta(hours=4)),
        ]
        for cert in certs:
            tx.certificates.add(cert)
        assert tx.certificates.mark_revoked("cert-4", NOW, 1)

    def ids(where: CertificateFilter, page: Page | None = None) -> tuple[list[str], int]:
        with store.uow() as tx:
            found = tx.certificates.list(where, page or Page())
            return [c.id for c in found], tx.certificates.count(where)

    everything = ["cert-5", "cert-4", "cert-3", "cert-2", "cert-1"]
    assert ids(CertificateFilter()) == (everything, 5)
    assert ids(CertificateFilter(), Page(1, 2)) == (everything[1:3], 5)
    assert ids(CertificateFilter(acme_profile_uuid="acme-b")) == (["cert-2"], 1)
    assert ids(CertificateFilter(ra_profile_uuid="ra-b")) == (["cert-2"], 1)
    assert ids(CertificateFilter(account_id=other.id)) == (["cert-5"], 1)
    assert ids(CertificateFilter(status="revoked", now=NOW)) == (["cert-4"], 1)
    assert ids(CertificateFilter(status="expired", now=NOW)) == (["cert-3"], 1)
    assert ids(CertificateFilter(status="valid", now=NOW)) == (["cert-5", "cert-2", "cert-1"], 3)
    assert ids(CertificateFilter(name="MAIL.beta"))[0] == ["cert-2"]
    assert ids(CertificateFilter(name="alpha")) == (["cert-1"], 1)
    window = CertificateFilter(
        expires_after=NOW + timedelta(days=10), expires_before=NOW + timedelta(days=11)
    )
    assert ids(window) == (["cert-4"], 1)
    assert ids(CertificateFilter(expires_before=NOW)) == ([], 0)
    assert ids(CertificateFilter(expires_before=NOW + timedelta(seconds=1))) == (["cert-3"], 1)
    with pytest.raises(ValueError, match="needs now"), store.uow() as tx:
        tx.certificates.list(CertificateFilter(status="valid"), Page())


# --------------------------------------------------------------------------- EAB keys


def eab_key(store: Store, n: int = 1, **changes: object) -> EabKey:
    base = EabKey(
        key_id=f"kid-{n}",
        acme_profile_uuid=store.acme.uuid,
        hmac_key=bytes(range(n, n + 32)),
        algorithm="HS256",
        created_at=NOW + timedelta(seconds=n),
        expires_at=NOW + timedelta(days=1),
        description=f"key {n}",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_eab_key_round_trips_and_updates(store: Store) -> None:
    key = eab_key(store, reusable=True, used_count=3)
    with store.uow(write=True) as tx:
        tx.eab_keys.add(key)
    with store.uow() as tx:
        assert tx.eab_keys.get(key.key_id) == key
        assert tx.eab_keys.get("unknown") is None
    revoked = replace(key, revoked_at=NOW + timedelta(hours=1))
    with store.uow(write=True) as tx:
        tx.eab_keys.update(revoked)
    with store.uow() as tx:
        assert tx.eab_keys.get(key.key_id) == revoked


def test_eab_keys_are_unique_and_belong_to_a_profile(store: Store) -> None:
    with store.uow(write=True) as tx:
        tx.eab_keys.add(eab_key(store))
    with pytest.raises(IntegrityError), store.uow(write=True) as tx:
        tx.eab_keys.add(eab_key(store, 1, description="again"))
    with pytest.raises(IntegrityError), store.uow(write=True) as tx:
        tx.eab_keys.add(eab_key(store, 2, acme_profile_uuid="no-such-profile"))


def test_eab_keys_list_per_profile_oldest_first(store: Store) -> None:
    acme2, _ = _second_profiles(store)
    with store.uow(write=True) as tx:
        tx.eab_keys.add(eab_key(store, 3))
        tx.eab_keys.add(eab_key(store, 1))
        tx.eab_keys.add(eab_key(store, 2, acme_profile_uuid=acme2.uuid))
    with store.uow() as tx:
        assert [k.key_id for k in tx.eab_keys.list(None, Page())] == ["kid-1", "kid-2", "kid-3"]
        assert [k.key_id for k in tx.eab_keys.list(store.acme.uuid, Page())] == ["kid-1", "kid-3"]
        assert (tx.eab_keys.count(None), tx.eab_keys.count(store.acme.uuid)) == (3, 2)
        assert tx.eab_keys.count("no-such-profile") == 0
        assert [k.key_id for k in tx.eab_keys.list(store.acme.uuid, Page(1, 5))] == ["kid-3"]
        assert [k.key_id for k in tx.eab_keys.list(acme2.uuid, Page())] == ["kid-2"]


def test_record_use_counts_and_refuses_a_second_single_use(store: Store) -> None:
    with store.uow(write=True) as tx:
        tx.eab_keys.add(eab_key(store, 1))
        tx.eab_keys.add(eab_key(store, 2, reusable=True))
        tx.eab_keys.add(eab_key(store, 3, revoked_at=NOW))
    with store.uow(write=True) as tx:
        assert tx.eab_keys.record_use("kid-1", single_use=True) is True
        assert tx.eab_keys.record_use("kid-1", single_use=True) is False
        assert tx.eab_keys.record_use("kid-2", single_use=False) is True
        assert tx.eab_keys.record_use("kid-2", single_use=False) is True
        assert tx.eab_keys.record_use("kid-3", single_use=False) is False
        assert tx.eab_keys.record_use("unknown", single_use=False) is False
    with store.uow() as tx:
        used = {k.key_id: k.used_count for k in tx.eab_keys.list(None, Page())}
    assert used == {"kid-1": 1, "kid-2": 2, "kid-3": 0}


def test_a_use_in_a_rolled_back_transaction_is_not_counted(store: Store) -> None:
    with store.uow(write=True) as tx:
        tx.eab_keys.add(eab_key(store))

    def use_then_fail() -> None:
        with store.uow(write=True) as tx:
            assert tx.eab_keys.record_use("kid-1", single_use=True)
            raise RuntimeError("account insert failed")

    with pytest.raises(RuntimeError, match="insert failed"):
        use_then_fail()
    with store.uow() as tx:
        key = tx.eab_keys.get("kid-1")
    assert key is not None
    assert key.used_count == 0


# --------------------------------------------------------------------------- profile management


def test_authorities_are_listed_by_name_updated_and_deleted(store: Store) -> None:
    other = Authority(str(uuid.uuid4()), "A first", "embedded", True, {"k": "v"})
    with store.uow(write=True) as tx:
        tx.profiles.add_authority(other)
    with store.uow() as tx:
        assert [a.name for a in tx.profiles.list_authorities()] == ["A first", "CA one"]
    disabled = replace(other, enabled=False, config={"k": "w"})
    with store.uow(write=True) as tx:
        tx.profiles.update_authority(disabled)
        tx.profiles.update_authority(replace(other, uuid=str(uuid.uuid4())))  # unknown: no-op
    with store.uow() as tx:
        assert tx.profiles.authority(other.uuid) == disabled
        assert len(tx.profiles.list_authorities()) == 2
    with store.uow(write=True) as tx:
        tx.profiles.delete_authority(other.uuid)
        tx.profiles.delete_authority("unknown")
    with store.uow() as tx:
        assert tx.profiles.authority(other.uuid) is None
        assert tx.profiles.list_authorities() == [store.authority]


def test_an_authority_name_stays_unique_on_update(store: Store) -> None:
    other = Authority(str(uuid.uuid4()), "CA two", "embedded", True, {})
    with store.uow(write=True) as tx:
        tx.profiles.add_authority(other)
    with pytest.raises(IntegrityError), store.uow(write=True) as tx:
        tx.profiles.update_authority(replace(other, name=store.authority.name))


def test_an_authority_with_ra_profiles_cannot_be_deleted(store: Store) -> None:
    with pytest.raises(IntegrityError), store.uow(write=True) as tx:
        tx.profiles.delete_authority(store.authority.uuid)
    with store.uow() as tx:
        assert tx.profiles.authority(store.authority.uuid) == store.authority


def test_ra_profiles_are_listed_by_name_per_authority_and_deleted(store: Store) -> None:
    second = Authority(str(uuid.uuid4()), "CA two", "embedded", True, {})
    policy = IssuancePolicy(allowed_identifiers=(".example.com",), max_names=3)
    mine = RaProfile(str(uuid.uuid4()), "ra-a", store.authority.uuid, False, policy=policy)
    theirs = RaProfile(str(uuid.uuid4()), "ra-b", second.uuid, True)
    with store.uow(write=True) as tx:
        tx.profiles.add_authority(second)
        tx.profiles.add_ra_profile(mine)
        tx.profiles.add_ra_profile(theirs)
    with store.uow() as tx:
        assert [p.name for p in tx.profiles.list_ra_profiles()] == ["ra-a", "ra-b", "ra-one"]
        assert tx.profiles.list_ra_profiles(store.authority.uuid) == [mine, store.ra]
        assert tx.profiles.list_ra_profiles(second.uuid) == [theirs]
        assert tx.profiles.list_ra_profiles("unknown") == []
    with store.uow(write=True) as tx:
        tx.profiles.delete_ra_profile(mine.uuid)
    with store.uow() as tx:
        assert tx.profiles.ra_profile(mine.uuid) is None
        assert tx.profiles.list_ra_profiles(store.authority.uuid) == [store.ra]


def test_an_ra_profile_in_use_cannot_be_deleted(store: Store) -> None:
    # The default RA profile of an ACME profile.
    with pytest.raises(IntegrityError), store.uow(write=True) as tx:
        tx.profiles.delete_ra_profile(store.ra.uuid)
    # An RA profile an account is bound to.
    acme2, ra2 = _second_profiles(store)
    with store.uow(write=True) as tx:
        tx.profiles.update_acme_profile(replace(acme2, default_ra_profile_uuid=store.ra.uuid))
        tx.accounts.add(account(store, 1, ra_profile_uuid=ra2.uuid))
    with pytest.raises(IntegrityError), store.uow(write=True) as tx:
        tx.profiles.delete_ra_profile(ra2.uuid)
    with store.uow() as tx:
        assert tx.profiles.ra_profile(ra2.uuid) == ra2


def test_acme_profiles_are_listed_by_name_and_deleted(store: Store) -> None:
    acme2, _ = _second_profiles(store)
    with store.uow() as tx:
        assert tx.profiles.list_acme_profiles() == [store.acme, acme2]
    with store.uow(write=True) as tx:
        tx.profiles.delete_acme_profile(acme2.uuid)
        tx.profiles.delete_acme_profile("unknown")
    with store.uow() as tx:
        assert tx.profiles.acme_profile(acme2.uuid) is None
        assert tx.profiles.list_acme_profiles() == [store.acme]


def test_an_acme_profile_in_use_cannot_be_deleted(store: Store) -> None:
    # Activated on an RA profile.
    with pytest.raises(IntegrityError), store.uow(write=True) as tx:
        tx.profiles.delete_acme_profile(store.acme.uuid)
    acme2, _ = _second_profiles(store)
    # With an account.
    with store.uow(write=True) as tx:
        tx.accounts.add(account(store, 1, acme_profile_uuid=acme2.uuid))
    with pytest.raises(IntegrityError), store.uow(write=True) as tx:
        tx.profiles.delete_acme_profile(acme2.uuid)
    # With an EAB key.
    acme3 = AcmeProfile(str(uuid.uuid4()), "acme-three", True)
    with store.uow(write=True) as tx:
        tx.profiles.add_acme_profile(acme3)
        tx.eab_keys.add(eab_key(store, 1, acme_profile_uuid=acme3.uuid))
    with pytest.raises(IntegrityError), store.uow(write=True) as tx:
        tx.profiles.delete_acme_profile(acme3.uuid)
    with store.uow() as tx:
        assert {p.uuid for p in tx.profiles.list_acme_profiles()} >= {acme2.uuid, acme3.uuid}


def test_eab_keys_are_deleted_with_their_profile(store: Store) -> None:
    acme2, _ = _second_profiles(store)
    with store.uow(write=True) as tx:
        tx.eab_keys.add(eab_key(store, 1, acme_profile_uuid=acme2.uuid))
        tx.eab_keys.add(eab_key(store, 2, acme_profile_uuid=acme2.uuid, revoked_at=NOW))
        tx.eab_keys.add(eab_key(store, 3))
    with store.uow(write=True) as tx:
        assert tx.eab_keys.delete_for_profile(acme2.uuid) == 2
        assert tx.eab_keys.delete_for_profile(acme2.uuid) == 0
        tx.profiles.delete_acme_profile(acme2.uuid)
    with store.uow() as tx:
        assert [k.key_id for k in tx.eab_keys.list(None, Page())] == ["kid-3"]
        assert tx.profiles.acme_profile(acme2.uuid) is None


# --------------------------------------------------------------------------- web users, sessions


def web_user(n: int = 1, **changes: object) -> User:
    base = User(
        uuid=str(uuid.UUID(int=n)),
        username=f"user-{n}",
        password_hash=f"$argon2id$v=19$m=65536,t=3,p=4$salt{n}$hash{n}",
        role=Role.OPERATOR,
        created_at=NOW,
        disabled=False,
        last_sign_in_at=None,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def web_session(user: User, n: int = 1, **changes: object) -> WebSession:
    base = WebSession(
        id_hash=f"{n:064x}",
        user_uuid=user.uuid,
        created_at=NOW,
        last_seen_at=NOW,
        expires_at=NOW + timedelta(hours=24),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_users_round_trip_update_and_list_by_username(store: Store) -> None:
    bob, alice = web_user(1, username="bob"), web_user(2, username="alice", role=Role.ADMIN)
    with store.uow(write=True) as tx:
        tx.users.add(bob)
        tx.users.add(alice)
    changed = replace(bob, disabled=True, last_sign_in_at=NOW + timedelta(seconds=5))
    with store.uow(write=True) as tx:
        tx.users.update(changed)
    with store.uow() as tx:
        assert tx.users.get(bob.uuid) == changed
        assert tx.users.by_username("alice") == alice
        assert tx.users.by_username("carol") is None
        assert tx.users.get(str(uuid.UUID(int=99))) is None
        assert [u.username for u in tx.users.list()] == ["alice", "bob"]


def test_usernames_are_unique(store: Store) -> None:
    with store.uow(write=True) as tx:
        tx.users.add(web_user(1))
    with pytest.raises(IntegrityError), store.uow(write=True) as tx:
        tx.users.add(web_user(2, username="user-1"))


def test_sessions_round_trip_touch_and_delete(store: Store) -> None:
    user = web_user(1)
    one, two = web_session(user, 1), web_session(user, 2)
    with store.uow(write=True) as tx:
        tx.users.add(user)
        tx.web_sessions.add(one)
        tx.web_sessions.add(two)
    later = NOW + timedelta(minutes=3)
    with store.uow(write=True) as tx:
        tx.web_sessions.touch(one.id_hash, later)
        tx.web_sessions.delete(two.id_hash)
        tx.web_sessions.delete("0" * 64)  # unknown: nothing happens
    with store.uow() as tx:
        assert tx.web_sessions.get(one.id_hash) == replace(one, last_seen_at=later)
        assert tx.web_sessions.get(two.id_hash) is None


def test_a_session_needs_its_user_and_a_unique_id(store: Store) -> None:
    user = web_user(1)
    with pytest.raises(IntegrityError), store.uow(write=True) as tx:
        tx.web_sessions.add(web_session(user))
    with store.uow(write=True) as tx:
        tx.users.add(user)
        tx.web_sessions.add(web_session(user))
    with pytest.raises(IntegrityError), store.uow(write=True) as tx:
        tx.web_sessions.add(web_session(user))


def test_sessions_end_per_user_and_purge_expired_or_idle_ones(store: Store) -> None:
    alice, bob = web_user(1), web_user(2)
    sessions = [
        web_session(alice, 1),
        web_session(alice, 2),
        web_session(bob, 3),
        web_session(bob, 4, expires_at=NOW),  # past its absolute end at NOW
        web_session(bob, 5, last_seen_at=NOW - timedelta(hours=9)),  # idle
    ]
    with store.uow(write=True) as tx:
        tx.users.add(alice)
        tx.users.add(bob)
        for s in sessions:
            tx.web_sessions.add(s)
    with store.uow(write=True) as tx:
        assert tx.web_sessions.delete_for_user(alice.uuid) == 2
        assert tx.web_sessions.purge_expired(NOW, NOW - timedelta(hours=8), 1) == 1
    with store.uow(write=True) as tx:
        assert tx.web_sessions.purge_expired(NOW, NOW - timedelta(hours=8), 10) == 1
        assert tx.web_sessions.purge_expired(NOW, NOW - timedelta(hours=8), 10) == 0
    with store.uow() as tx:
        left = [s.id_hash for s in sessions if tx.web_sessions.get(s.id_hash) is not None]
    assert left == [sessions[2].id_hash]


# --------------------------------------------------------------------------- dashboard reports


def test_certificates_issued_per_day_by_utc_day(store: Store) -> None:
    acct = account(store)
    issued = [NOW, NOW + timedelta(hours=1), NOW - timedelta(days=1), NOW - timedelta(days=40)]
    with store.uow(write=True) as tx:
        tx.accounts.add(acct)
        for n, when in enumerate(issued, 1):
            tx.orders.add(order(acct.id, n))
            tx.certificates.add(certificate(acct.id, f"order-{n}", n, issued_at=when))
    with store.uow() as tx:
        days = tx.reports.certificates_issued_per_day(NOW - timedelta(days=30))
    assert days == {NOW.date(): 2, (NOW - timedelta(days=1)).date(): 1}


def test_orders_by_status(store: Store) -> None:
    acct = account(store)
    statuses = [OrderStatus.PENDING, OrderStatus.PENDING, OrderStatus.VALID, OrderStatus.INVALID]
    with store.uow(write=True) as tx:
        tx.accounts.add(acct)
        for n, status in enumerate(statuses, 1):
            tx.orders.add(order(acct.id, n, status=status))
    with store.uow() as tx:
        assert tx.reports.orders_by_status() == {"pending": 2, "valid": 1, "invalid": 1}


def test_failed_validations_by_challenge_type_and_problem(store: Store) -> None:
    acct = account(store)
    old = order(acct.id, 2, created_at=NOW - timedelta(days=60))
    problems = {
        "authz-1-a-http-01": Problem(ErrorKind.CONNECTION, "connection refused"),
        "authz-1-b-http-01": Problem(ErrorKind.CONNECTION, "timeout"),
        "authz-1-a-dns-01": Problem(ErrorKind.DNS, "no TXT record"),
        "authz-2-a-http-01": Problem(ErrorKind.CONNECTION, "too old to count"),
    }
    with store.uow(write=True) as tx:
        tx.accounts.add(acct)
        tx.orders.add(order(acct.id, 1))
        tx.orders.add(old)
        for order_id, authz_id in (("order-1", "authz-1-a"), ("order-1", "authz-1-b")):
            tx.authorizations.add(authorization(acct.id, authz_id), order_id)
        tx.authorizations.add(authorization(acct.id, "authz-2-a"), "order-2")
        for challenge_id, problem in problems.items():
            challenge = tx.authorizations.challenge(challenge_id)
            assert challenge is not None
            tx.authorizations.update_challenge(
                replace(challenge, status=ChallengeStatus.INVALID, error=problem)
            )
    with store.uow() as tx:
        found = tx.reports.failed_validations(NOW - timedelta(days=30))
    assert [(f.challenge_type, f.problem_type, f.count) for f in found] == [
        ("http-01", "connection", 2),
        ("dns-01", "dns", 1),
    ]
    assert found[0].example_detail in ("connection refused", "timeout")


def test_expiring_certificates_soonest_first_without_revoked_or_expired(store: Store) -> None:
    acct = account(store)
    ends = {1: 20, 2: 5, 3: 40, 4: -1, 5: 10}  # days from NOW
    with store.uow(write=True) as tx:
        tx.accounts.add(acct)
        for n, days in ends.items():
            tx.orders.add(order(acct.id, n))
            tx.certificates.add(
                certificate(acct.id, f"order-{n}", n, not_after=NOW + timedelta(days=days))
            )
        tx.certificates.mark_revoked("cert-5", NOW, 1)
    with store.uow() as tx:
        found = tx.reports.expiring_certificates(NOW, NOW + timedelta(days=30), 10)
        first = tx.reports.expiring_certificates(NOW, NOW + timedelta(days=30), 1)
    assert [c.id for c in found] == ["cert-2", "cert-1"]
    assert [c.id for c in first] == ["cert-2"]


def test_accounts_by_profile_and_status(store: Store) -> None:
    with store.uow(write=True) as tx:
        tx.accounts.add(account(store, 1))
        tx.accounts.add(account(store, 2))
        tx.accounts.add(account(store, 3, status=AccountStatus.REVOKED))
    with store.uow() as tx:
        counts = tx.reports.accounts_by_profile()
    assert [(c.acme_profile_uuid, c.status, c.count) for c in counts] == [
        (store.acme.uuid, "revoked", 1),
        (store.acme.uuid, "valid", 2),
    ]


# --------------------------------------------------------------------------- order browser


def test_order_search_filters_counts_and_pages_newest_first(store: Store) -> None:
    acct, other = account(store, 1), account(store, 2)
    names = ["www.alpha.example", "api.alpha.example", "www.beta.example", "mail.Gamma.example"]
    with store.uow(write=True) as tx:
        tx.accounts.add(acct)
        tx.accounts.add(other)
        for n, name in enumerate(names, start=1):
            tx.orders.add(
                order(
                    acct.id if n < 4 else other.id,
                    n,
                    identifiers=(Identifier("dns", name),),
                    created_at=NOW + timedelta(minutes=n),
                    status=OrderStatus.INVALID if n == 2 else OrderStatus.PENDING,
                    acme_profile_uuid="p-odd" if n % 2 else "p-even",
                )
            )

    def ids(where: OrderFilter, page: Page | None = None) -> tuple[list[str], int]:
        page = page or Page(0, 100)
        with store.uow() as tx:
            return [o.id for o in tx.orders.search(where, page)], tx.orders.count(where)

    assert ids(OrderFilter()) == (["order-4", "order-3", "order-2", "order-1"], 4)
    assert ids(OrderFilter(), Page(1, 2)) == (["order-3", "order-2"], 4)
    assert ids(OrderFilter(account_id=acct.id)) == (["order-3", "order-2", "order-1"], 3)
    assert ids(OrderFilter(name="ALPHA")) == (["order-2", "order-1"], 2)
    assert ids(OrderFilter(name="gamma")) == (["order-4"], 1)
    assert ids(OrderFilter(status="invalid")) == (["order-2"], 1)
    assert ids(OrderFilter(acme_profile_uuid="p-odd")) == (["order-3", "order-1"], 2)
    assert ids(OrderFilter(name="www", acme_profile_uuid="p-odd")) == (["order-3", "order-1"], 2)
    assert ids(OrderFilter(name="nowhere")) == ([], 0)


# --------------------------------------------------------------------------- order retention


def test_purging_expired_orders_keeps_certified_processing_and_live_ones(store: Store) -> None:
    acct = account(store)
    expired = NOW - timedelta(days=40)
    orders = {
        "old": order(acct.id, 1, expires=expired, authorization_ids=("az-old",)),
        "old-invalid": order(
            acct.id, 2, expires=expired, status=OrderStatus.INVALID, authorization_ids=()
        ),
        "processing": order(
            acct.id, 3, expires=expired, status=OrderStatus.PROCESSING, authorization_ids=()
        ),
        "certified": order(acct.id, 4, expires=expired, authorization_ids=()),
        "live": order(acct.id, 5, authorization_ids=()),
    }
    with store.uow(write=True) as tx:
        tx.accounts.add(acct)
        for o in orders.values():
            tx.orders.add(o)
        tx.authorizations.add(authorization(acct.id, "az-old", expires=expired), orders["old"].id)
        cert = certificate(acct.id, orders["certified"].id, authority_uuid=store.authority.uuid)
        tx.certificates.add(cert)
        tx.orders.update(replace(orders["certified"], certificate_id=cert.id))
    with store.uow(write=True) as tx:
        assert tx.orders.purge_expired(NOW - timedelta(days=30), 1) == 1
    with store.uow(write=True) as tx:
        assert tx.orders.purge_expired(NOW - timedelta(days=30), 100) == 1
        assert tx.orders.purge_expired(NOW - timedelta(days=30), 100) == 0
    with store.uow() as tx:
        assert tx.orders.get(orders["old"].id) is None
        assert tx.orders.get(orders["old-invalid"].id) is None
        assert tx.authorizations.get("az-old") is None
        assert tx.authorizations.challenge("az-old-http-01") is None
        for kept in ("processing", "certified", "live"):
            assert tx.orders.get(orders[kept].id) is not None


def test_purging_keeps_orders_whose_authorization_may_still_be_reused(store: Store) -> None:
    acct = account(store)
    expired = NOW - timedelta(days=40)
    cutoff = NOW - timedelta(days=30)
    made = order(acct.id, 1, expires=expired, authorization_ids=("az-kept",))
    with store.uow(write=True) as tx:
        tx.accounts.add(acct)
        tx.orders.add(made)
        # Valid for reuse until after the cutoff: its order stays for it.
        tx.authorizations.add(
            authorization(acct.id, "az-kept", status=AuthzStatus.VALID, expires=NOW), made.id
        )
        tx.authorizations.add(authorization(acct.id, "pre-old", expires=expired), None)
        tx.authorizations.add(authorization(acct.id, "pre-live", expires=NOW), None)
    with store.uow(write=True) as tx:
        assert tx.orders.purge_expired(cutoff, 100) == 0
    with store.uow() as tx:
        assert tx.orders.get(made.id) is not None
        assert tx.authorizations.get("az-kept") is not None
        assert tx.authorizations.get("pre-old") is None  # an expired pre-authorization
        assert tx.authorizations.challenge("pre-old-http-01") is None
        assert tx.authorizations.get("pre-live") is not None
