"""Prepared statements (storage/statements.py) on SQLite and PostgreSQL.

They bypass SQLAlchemy's execution, so these tests hold them to it: the same values stored
(compared as the database's own text), the same values read back, the same errors.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Connection,
    Engine,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    bindparam,
    cast,
    insert,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError, StatementError

from acmehub.domain.errors import ErrorKind, Problem
from acmehub.domain.model import (
    Account,
    AccountStatus,
    Authority,
    Authorization,
    AuthzStatus,
    Certificate,
    Challenge,
    ChallengeStatus,
    ChallengeType,
    Identifier,
    Order,
    OrderStatus,
    RaProfile,
)
from acmehub.storage import (
    account_repositories,
    authorization_repositories,
    certificate_repositories,
    order_repositories,
    profile_repositories,
)
from acmehub.storage import converters as cv
from acmehub.storage import tables as t
from acmehub.storage.engine import make_engine
from acmehub.storage.statements import Prepared, _compile, insert_of, update_of
from acmehub.storage.types import UtcDateTime
from tests.support.postgres import PostgresCluster

NOW = datetime(2026, 5, 1, 12, 0, 0, 123456, tzinfo=UTC)

things_metadata = MetaData()
things = Table(
    "prepared_things",
    things_metadata,
    Column("id", String(20), primary_key=True),
    Column("at", UtcDateTime),
    Column("doc", JSON),
    Column("flag", Boolean, nullable=False),
    Column("num", Integer),
    Column("blob", LargeBinary),
    Column("note", Text),
)

INSERT = Prepared(insert_of(things))
BY_ID = Prepared(select(things).where(things.c.id == bindparam("id")))
BY_ID_FOR_UPDATE = Prepared(select(things).where(things.c.id == bindparam("id")).with_for_update())
FLAGGED_AFTER = Prepared(
    select(things.c.id, things.c.at)
    .where(things.c.flag.is_(True))
    .where(things.c.at > bindparam("after"))
    .order_by(things.c.id)
)
SET_NOTE = Prepared(update_of(things, ["note"], things.c.flag == bindparam("b_flag")))
SET_NOTE_IF_NUM_IS_7 = Prepared(
    update(things).where(things.c.num == 7).values(note=bindparam("note", type_=Text()))
)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    """A fresh database with the real schema and a test table; each test rolls back."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('statements') / 'acmehub.db'}"
    else:
        cluster: PostgresCluster = request.getfixturevalue("postgres")
        url = cluster.new_database("statements")
    engine = make_engine(url, pool_size=1)
    t.metadata.create_all(engine)
    things_metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def conn(engine: Engine) -> Iterator[Connection]:
    with engine.connect() as conn, conn.begin() as tx:
        yield conn
        if tx.is_active:
            tx.rollback()


def thing(n: int, **changes: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": f"t{n}",
        "at": NOW + timedelta(minutes=n),
        "doc": {"n": n, "list": [1, "two", None], "nested": {"ok": True}},
        "flag": n % 2 == 1,
        "num": n,
        "blob": bytes([n, 0, 255]),
        "note": f"note {n}",
    }
    row.update(changes)
    return row


def as_text(conn: Connection, table: Table, id_column: str, id_value: str) -> dict[str, Any]:
    """A row as the database's own text for each column (JSON null and SQL NULL differ);
    bytes as they are."""
    columns = (
        c if isinstance(c.type, LargeBinary) else cast(c, Text).label(c.name) for c in table.c
    )
    query = select(*columns).where(table.c[id_column] == id_value)
    return dict(conn.execute(query).mappings().one())


# --------------------------------------------------------------------------- round trips


def test_round_trip_matches_sqlalchemy(conn: Connection) -> None:
    stored = [
        thing(1),
        thing(2, at=None, doc=None, num=None, blob=None, note=None, flag=False),
        # Another zone in, UTC out; lists are JSON too.
        thing(
            3,
            at=datetime(2026, 5, 1, 9, 30, 1, 5, tzinfo=timezone(timedelta(hours=-5))),
            doc=[1, 2],
        ),
    ]
    for row in stored:
        assert INSERT.run(conn, row) == 1
    # The same rows inserted by SQLAlchemy itself.
    for row in stored:
        conn.execute(insert(things).values({**row, "id": "sa-" + row["id"]}))
    for row in stored:
        mine = BY_ID.first(conn, {"id": row["id"]})
        assert mine is not None
        theirs = conn.execute(select(things).where(things.c.id == row["id"])).mappings().one()
        assert mine == dict(theirs)
        assert mine == {**row, "at": row["at"].astimezone(UTC) if row["at"] else None}
        if mine["at"] is not None:
            assert mine["at"].tzinfo is UTC
        assert isinstance(mine["flag"], bool)
        # Stored the same way as SQLAlchemy stores them (a JSON None is JSON null in both).
        mine_text = as_text(conn, things, "id", row["id"])
        sa_text = as_text(conn, things, "id", "sa-" + row["id"])
        assert {**mine_text, "id": None} == {**sa_text, "id": None}
        # And SQLAlchemy reads what Prepared wrote, SQLAlchemy-written rows read by Prepared.
        assert BY_ID.first(conn, {"id": "sa-" + row["id"]}) == {**mine, "id": "sa-" + row["id"]}


def test_first_none_all_and_fixed_values(conn: Connection) -> None:
    assert BY_ID.first(conn, {"id": "missing"}) is None
    for n in range(1, 6):
        INSERT.run(conn, thing(n))
    rows = FLAGGED_AFTER.all(conn, {"after": NOW + timedelta(minutes=1)})
    assert rows == [
        {"id": "t3", "at": NOW + timedelta(minutes=3)},
        {"id": "t5", "at": NOW + timedelta(minutes=5)},
    ]
    assert FLAGGED_AFTER.all(conn, {"after": NOW + timedelta(days=1)}) == []


def test_update_rowcount(conn: Connection) -> None:
    for n in range(1, 6):
        INSERT.run(conn, thing(n))
    assert SET_NOTE.run(conn, {"note": "odd", "b_flag": True}) == 3
    assert SET_NOTE.run(conn, {"note": None, "b_flag": False}) == 2
    assert SET_NOTE_IF_NUM_IS_7.run(conn, {"note": "x"}) == 0
    assert BY_ID.first(conn, {"id": "t3"}) == thing(3, note="odd")
    assert BY_ID.first(conn, {"id": "t4"}) == thing(4, note=None)


def test_for_update(conn: Connection) -> None:
    sql = BY_ID_FOR_UPDATE.compiled(conn.dialect).sql
    assert ("FOR UPDATE" in sql) == (conn.dialect.name == "postgresql")  # SQLite drops it
    INSERT.run(conn, thing(1))
    assert BY_ID_FOR_UPDATE.first(conn, {"id": "t1"}) == thing(1)


def test_run_many(conn: Connection) -> None:
    INSERT.run_many(conn, [thing(1), thing(2, doc=None)])
    assert [r["id"] for r in FLAGGED_AFTER.all(conn, {"after": NOW})] == ["t1"]
    assert BY_ID.first(conn, {"id": "t2"}) == thing(2, doc=None)


# --------------------------------------------------------------------------- errors


def test_errors_are_sqlalchemys(conn: Connection) -> None:
    INSERT.run(conn, thing(1))
    with pytest.raises(IntegrityError):
        INSERT.run(conn, thing(1))


def test_naive_datetime_refused_as_sqlalchemy_does(conn: Connection) -> None:
    with pytest.raises(StatementError, match="naive datetime"):
        INSERT.run(conn, thing(1, at=datetime(2026, 5, 1)))


def test_unknown_or_missing_parameters(conn: Connection) -> None:
    with pytest.raises(StatementError, match="unknown parameters"):
        BY_ID.first(conn, {"id": "t1", "nope": 1})
    with pytest.raises(StatementError, match="'id'"):
        BY_ID.first(conn, {})


def test_autobegins_like_connection_execute(engine: Engine) -> None:
    with engine.connect() as conn:
        assert BY_ID.first(conn, {"id": "t1"}) is None
        assert conn.in_transaction()
        conn.rollback()


def test_refused_statements() -> None:
    defaults = Table(
        "defaults",
        MetaData(),
        Column("id", String, primary_key=True),
        Column("d", Text, default=""),
    )
    with pytest.raises(ValueError, match="Python-side default"):
        insert_of(defaults, ["id"])
    insert_of(defaults)  # every column: fine
    expanding = select(things).where(things.c.id.in_(bindparam("ids", expanding=True)))
    with pytest.raises(ValueError, match="expanding"):
        _compile(expanding, sqlite.dialect())


# --------------------------------------------------------------------------- the repositories'


DIALECTS = [sqlite.dialect(), postgresql.psycopg.dialect()]


@pytest.mark.parametrize("dialect", DIALECTS, ids=lambda d: d.name)
def test_every_repository_statement_compiles(dialect: Any) -> None:
    modules = (
        profile_repositories,
        account_repositories,
        order_repositories,
        authorization_repositories,
        certificate_repositories,
    )
    prepared = [v for m in modules for v in vars(m).values() if isinstance(v, Prepared)]
    assert len(prepared) > 20
    prepared += [
        *authorization_repositories._authorizations_in(3),
        authorization_repositories._valid_names_in(2),
    ]
    for p in prepared:
        _compile(p.statement, dialect)  # not p.compiled(): keep the module's cache for engines
        # Every bind typed (an untyped datetime would skip UtcDateTime's processing).
        compiled = p.statement.compile(dialect=dialect)
        assert not [n for bp, n in compiled.bind_names.items() if bp.type._isnull], p.statement


def _account() -> Account:
    return Account(
        id="acct-1",
        uuid="acct-uuid-1",
        key_thumbprint="thumb-1",
        jwk={"kty": "EC", "crv": "P-256", "x": "x", "y": "y"},
        status=AccountStatus.VALID,
        enabled=True,
        contact=("mailto:a@example.com",),
        terms_of_service_agreed=True,
        acme_profile_uuid="acme",
        ra_profile_uuid="ra",
        via_default_ra_profile=False,
        created_at=NOW,
        tos_agreed_at=None,
        eab_key_id=None,
    )


def _order(n: int, error: Problem | None = None) -> Order:
    return Order(
        id=f"order-{n}",
        account_id="acct-1",
        status=OrderStatus.PENDING,
        identifiers=(Identifier("dns", "example.com"),),
        authorization_ids=(f"authz-{n}",),
        expires=NOW + timedelta(hours=1),
        created_at=NOW,
        error=error,
        acme_profile_uuid="acme",
        ra_profile_uuid="ra",
    )


def _authorization(n: int) -> Authorization:
    authz_id = f"authz-{n}"
    return Authorization(
        id=authz_id,
        account_id="acct-1",
        identifier=Identifier("dns", "example.com"),
        wildcard=False,
        status=AuthzStatus.PENDING,
        expires=NOW + timedelta(hours=1),
        challenges=tuple(
            Challenge(
                id=f"{authz_id}-{ty.value}",
                authorization_id=authz_id,
                type=ty,
                token=f"token-{authz_id}-{ty.value}",
                status=ChallengeStatus.PENDING,
            )
            for ty in ChallengeType
        ),
    )


def _certificate(n: int) -> Certificate:
    return Certificate(
        id=f"cert-{n}",
        serial_hex=f"{n:x}abc",
        order_id=f"order-{n}",
        account_id="acct-1",
        pem="leaf",
        chain_pem="chain",
        names=("example.com",),
        not_before=NOW,
        not_after=NOW + timedelta(days=90),
        ra_profile_uuid="ra",
        acme_profile_uuid="acme",
        authority_uuid="authority",
        key_thumbprint="ab" * 32,
        issued_at=NOW,
        associations={"team": "a"},
    )


def _seed_profiles(conn: Connection) -> None:
    authority = Authority("authority", "CA", "embedded", True, {"x": 1})
    conn.execute(t.authorities.insert().values(cv.authority_to_row(authority)))
    ra = RaProfile("ra", "ra-one", "authority", True)
    conn.execute(t.ra_profiles.insert().values(cv.ra_profile_to_row(ra)))
    conn.execute(
        insert(t.acme_profiles).values(
            uuid="acme",
            name="acme-one",
            enabled=True,
            caa_identities=[],
            retry_interval=1,
            validity=1,
            terms_of_service_change_disable=False,
            require_contact=False,
            require_terms_of_service=False,
            require_external_account_binding=False,
            issue_certificate_attributes={},
            revoke_certificate_attributes={},
            custom_attributes={},
            certificate_associations={},
        )
    )


def same_stored(conn: Connection, table: Table, mine: str, theirs: str, differ: set[str]) -> None:
    a, b = as_text(conn, table, "id", mine), as_text(conn, table, "id", theirs)
    assert {k: v for k, v in a.items() if k not in differ} == {
        k: v for k, v in b.items() if k not in differ
    }


def test_repositories_store_what_sqlalchemy_stored(conn: Connection) -> None:
    """Each hot INSERT/UPDATE, through the repositories and through the code they replaced."""
    _seed_profiles(conn)
    accounts = account_repositories.SqlAccounts(conn)
    mine_acct = _account()
    theirs_acct = replace(mine_acct, id="acct-2", uuid="acct-uuid-2", key_thumbprint="thumb-2")
    accounts.add(mine_acct)
    conn.execute(t.accounts.insert().values(cv.account_to_row(theirs_acct)))
    unique = {"id", "uuid", "key_thumbprint"}
    same_stored(conn, t.accounts, "acct-1", "acct-2", unique)
    changes: dict[str, Any] = {"contact": (), "tos_agreed_at": NOW, "enabled": False}
    accounts.update(replace(mine_acct, **changes))
    conn.execute(
        update(t.accounts)
        .where(t.accounts.c.id == "acct-2")
        .values(cv.account_to_row(replace(theirs_acct, **changes)))
    )
    same_stored(conn, t.accounts, "acct-1", "acct-2", unique)
    assert accounts.get("acct-1") == replace(mine_acct, **changes)

    later = NOW + timedelta(minutes=5)
    orders = order_repositories.SqlOrders(conn, later)
    problem = Problem(ErrorKind.CONNECTION, "no route", ("dns", "example.com"))
    for n, error in ((10, None), (20, problem)):  # no error: JSON null in both
        mine, theirs = _order(n, error), _order(n + 1, error)
        orders.add(mine)
        conn.execute(t.orders.insert().values({**cv.order_to_row(theirs), "updated_at": later}))
        same_stored(conn, t.orders, mine.id, theirs.id, {"id", "authorization_ids"})
        mine, theirs = (replace(o, status=OrderStatus.INVALID, error=None) for o in (mine, theirs))
        orders.update(mine)
        conn.execute(
            update(t.orders)
            .where(t.orders.c.id == theirs.id)
            .values({**cv.order_to_row(theirs), "updated_at": later})
        )
        same_stored(conn, t.orders, mine.id, theirs.id, {"id", "authorization_ids"})
        assert orders.get(mine.id) == mine

    authzs = authorization_repositories.SqlAuthorizations(conn)
    mine_authz, theirs_authz = _authorization(10), _authorization(11)
    authzs.add(mine_authz, "order-10")
    conn.execute(
        t.authorizations.insert().values(cv.authorization_to_row(theirs_authz, "order-11"))
    )
    conn.execute(t.challenges.insert(), [cv.challenge_to_row(c) for c in theirs_authz.challenges])
    same_stored(conn, t.authorizations, "authz-10", "authz-11", {"id", "order_id"})
    leased = {"lease_owner": "worker", "lease_until": NOW}
    conn.execute(update(t.challenges).values(leased))
    for status in (ChallengeStatus.PROCESSING, ChallengeStatus.INVALID):  # the lease kept, cleared
        for mc, tc in zip(mine_authz.challenges, theirs_authz.challenges, strict=True):
            same_stored(conn, t.challenges, mc.id, tc.id, {"id", "authorization_id", "token"})
            authzs.update_challenge(replace(mc, status=status, error=problem))
            values = cv.challenge_to_row(replace(tc, status=status, error=problem))
            if status is not ChallengeStatus.PROCESSING:
                values.update(lease_owner=None, lease_until=None)
            conn.execute(update(t.challenges).where(t.challenges.c.id == tc.id).values(values))
            same_stored(conn, t.challenges, mc.id, tc.id, {"id", "authorization_id", "token"})
            assert as_text(conn, t.challenges, "id", mc.id)["lease_owner"] == (
                "worker" if status is ChallengeStatus.PROCESSING else None
            )
    found = authzs.get("authz-10")
    assert found is not None
    assert authzs.get_many(["authz-10", "missing", "authz-11"]) == [found, authzs.get("authz-11")]
    assert authzs.get_many(["authz-10", "authz-10"]) == [found, found]
    authzs.set_status("authz-10", AuthzStatus.VALID.value)
    valid = authzs.valid_for_account("acct-1", ["example.com", "other.example"], NOW)
    assert valid == {"example.com"}
    assert authzs.valid_for_account("acct-1", ["example.com"], NOW + timedelta(days=1)) == set()
    assert {c.id for c in found.challenges} == {c.id for c in mine_authz.challenges}

    certs = certificate_repositories.SqlCertificates(conn)
    certs.add(_certificate(10))
    conn.execute(t.certificates.insert().values(cv.certificate_to_row(_certificate(11))))
    same_stored(conn, t.certificates, "cert-10", "cert-11", {"id", "serial_hex", "order_id"})
    assert certs.by_serial("aabc") == certs.get("cert-10") == _certificate(10)


def test_inserts_cover_the_converters_rows() -> None:
    """A key a converter adds must reach the table: the prepared INSERTs bind every key."""
    dialect = sqlite.dialect()

    def binds(p: Prepared) -> set[str]:
        return set(_compile(p.statement, dialect).known)

    order_row = {**cv.order_to_row(_order(1)), "updated_at": NOW}
    authz = _authorization(1)
    cases: list[tuple[Prepared, Mapping[str, Any]]] = [
        (account_repositories._ACCOUNT_INSERT, cv.account_to_row(_account())),
        (account_repositories._ACCOUNT_UPDATE, cv.account_to_row(_account())),
        (order_repositories._ORDER_INSERT, order_row),
        (order_repositories._ORDER_UPDATE, order_row),
        (authorization_repositories._AUTHZ_INSERT, cv.authorization_to_row(authz, "order-1")),
        (authorization_repositories._CHALLENGE_INSERT, cv.challenge_to_row(authz.challenges[0])),
        (authorization_repositories._CHALLENGE_UPDATE, cv.challenge_to_row(authz.challenges[0])),
        (certificate_repositories._CERTIFICATE_INSERT, cv.certificate_to_row(_certificate(1))),
    ]
    for p, row in cases:
        assert binds(p) == set(row), p.statement
