"""Shared fixtures and checks for the ACME protocol tests: real HTTP to the live server.

Everything talks to the session's ``acmehub`` process over loopback; state is read back through
``acmehub.container()`` (the same SQLite database) to prove what a request did or did not change.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from acmehub.domain.model import (
    Account,
    AcmeProfile,
    Authorization,
    Certificate,
    Order,
    RaProfile,
)
from acmehub.storage import tables as t
from tests.jws_signer import AccountKey
from tests.support.acme_client import AcmeClient, b64url, make_csr
from tests.support.challtestsrv import ChallTestSrv
from tests.support.http01 import Http01Responder
from tests.support.postgres import PostgresCluster
from tests.support.procs import poll
from tests.support.server import AcmehubServer

ACME_ERROR = "urn:ietf:params:acme:error:"
FAMILIES = ("acme", "raProfile")
#: Upper bound for any wait on the validation worker or issuance.
WAIT_SECONDS = 20.0


DATABASES = ("sqlite", "postgresql")


@pytest.fixture(scope="session", params=DATABASES)
def acmehub(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    dns_server: ChallTestSrv,
) -> Iterator[AcmehubServer]:
    """The protocol suite runs against a live acmehub on SQLite and again on PostgreSQL."""
    overrides: dict[str, str] = {}
    if request.param == "postgresql":
        postgres: PostgresCluster = request.getfixturevalue("postgres")
        overrides["ACMEHUB_DATABASE_URL"] = postgres.new_database("integration")
    root = tmp_path_factory.mktemp(f"acmehub-{request.param}")
    server = AcmehubServer(root / "state", dns_port=dns_server.dns_port, **overrides).start()
    yield server
    server.stop()


def unique_name(prefix: str = "h") -> str:
    """A DNS name nobody else in the session uses (the test DNS resolves it to 127.0.0.1)."""
    return f"{prefix}{secrets.token_hex(5)}.acmehub-test.com"


def unique_label(prefix: str) -> str:
    """A profile name, unique in the session."""
    return f"{prefix}-{secrets.token_hex(4)}"


# --------------------------------------------------------------------------- response checks


def link_header(response: httpx.Response, rel: str) -> list[str]:
    """Every target of a Link header relation."""
    targets = []
    for raw in response.headers.get_list("Link"):
        for part in raw.split(","):
            url, _, params = part.strip().partition(";")
            if f'rel="{rel}"' in params.replace(" ", ""):
                targets.append(url.strip().strip("<>"))
    return targets


def assert_rituals(response: httpx.Response, directory_url: str | None = None) -> None:
    """RFC 8555 §6.5, §7.1: every response carries a nonce, the index link and no-store."""
    assert response.headers.get("Replay-Nonce"), response.headers
    index = link_header(response, "index")
    assert index, response.headers
    if directory_url is not None:
        assert index == [directory_url]
    assert response.headers.get("Cache-Control") == "no-store"


def assert_problem(
    response: httpx.Response,
    status: int,
    kind: str,
    detail: str = "",
    directory_url: str | None = None,
) -> dict[str, Any]:
    """An RFC 8555 §6.7 problem document with the rituals; returns the document."""
    assert response.status_code == status, (response.status_code, response.text)
    assert response.headers["Content-Type"].startswith("application/problem+json")
    doc = response.json()
    assert doc["type"] == ACME_ERROR + kind, doc
    assert doc["status"] == status, doc
    assert detail.lower() in doc["detail"].lower(), doc
    assert_rituals(response, directory_url)
    return doc


# --------------------------------------------------------------------------- state


@dataclass
class State:
    """Reads what the server stored, through the same database."""

    server: AcmehubServer

    def counts(self) -> dict[str, int]:
        tables = (t.accounts, t.orders, t.authorizations, t.challenges, t.certificates)
        with self.server.container().engine.connect() as conn:
            return {
                table.name: int(conn.execute(select(func.count()).select_from(table)).scalar_one())
                for table in tables
            }

    def nonce_is_usable(self, value: str) -> bool:
        """Whether the server still accepts ``value`` as a nonce, asked the way a client
        would: a new-account lookup (onlyReturnExisting, a fresh key) signed with it, which
        spends it. Nonces live in the server's memory; no table to look at."""
        url = self.server.base_url + "/acme/default/new-account"
        body = AccountKey.generate().sign(url, value, {"onlyReturnExisting": True})
        with self.server.client() as http:
            response = http.post(
                url, content=body, headers={"Content-Type": "application/jose+json"}
            )
        problem = response.json().get("type", "")
        assert response.status_code == 400, (response.status_code, response.text)
        return bool(problem != ACME_ERROR + "badNonce")

    def account(self, account_id: str) -> Account:
        with self.server.container().services.deps.uow() as tx:
            account = tx.accounts.get(account_id)
        assert account is not None
        return account

    def order(self, order_id: str) -> Order:
        with self.server.container().services.deps.uow() as tx:
            order = tx.orders.get(order_id)
        assert order is not None
        return order

    def authorization(self, authz_id: str) -> Authorization:
        with self.server.container().services.deps.uow() as tx:
            authz = tx.authorizations.get(authz_id)
        assert authz is not None
        return authz

    def certificate(self, cert_id: str) -> Certificate:
        with self.server.container().services.deps.uow() as tx:
            cert = tx.certificates.get(cert_id)
        assert cert is not None
        return cert

    def certificates_for_order(self, order_id: str) -> int:
        with self.server.container().engine.connect() as conn:
            query = select(func.count()).select_from(t.certificates)
            return int(
                conn.execute(query.where(t.certificates.c.order_id == order_id)).scalar_one()
            )


@pytest.fixture
def state(acmehub: AcmehubServer) -> State:
    return State(acmehub)


def last_segment(url: str) -> str:
    return url.rsplit("/", 1)[-1].split("?")[0]


# --------------------------------------------------------------------------- profiles


@dataclass
class Profiles:
    """Creates extra ACME and RA profiles (the server reads them on every request)."""

    server: AcmehubServer

    @property
    def platform(self) -> Any:
        return self.server.container().services.platform

    def default_ra(self) -> RaProfile:
        with self.server.container().services.deps.uow() as tx:
            ra = tx.profiles.ra_profile_by_name("default")
        assert ra is not None
        return ra

    def acme_profile(self, ra: RaProfile | None = None, **fields: Any) -> AcmeProfile:
        """An enabled ACME profile whose default RA profile is ``ra`` (else the default one)."""
        fields.setdefault("enabled", True)
        fields.setdefault("retry_interval", 1)
        fields.setdefault("default_ra_profile_uuid", (ra or self.default_ra()).uuid)
        profile: AcmeProfile = self.platform.create_acme_profile(unique_label("acme"), **fields)
        return profile

    def ra_profile(self, acme: AcmeProfile | None = None, **fields: Any) -> RaProfile:
        """An RA profile on the default authority, with ``acme`` activated on it if given."""
        authority = self.default_ra().authority_uuid
        ra: RaProfile = self.platform.create_ra_profile(authority, unique_label("ra"), **fields)
        if acme is not None:
            ra = self.platform.activate_acme(ra.uuid, acme.uuid)
        return ra

    def update_acme(self, profile: AcmeProfile, **changes: Any) -> AcmeProfile:
        updated: AcmeProfile = self.platform.update_acme_profile(profile.uuid, **changes)
        return updated

    def update_ra(self, profile: RaProfile, **changes: Any) -> RaProfile:
        updated: RaProfile = self.platform.update_ra_profile(profile.uuid, **changes)
        return updated


@pytest.fixture
def profiles(acmehub: AcmehubServer) -> Profiles:
    return Profiles(acmehub)


# --------------------------------------------------------------------------- http-01 responder


@pytest.fixture(scope="module")
def http01(acmehub: AcmehubServer) -> Iterator[Http01Responder]:
    """One responder per test module (the port is the server's, shared by the session)."""
    responder = Http01Responder(acmehub.http01_port).start()
    yield responder
    responder.stop()


# --------------------------------------------------------------------------- clients


@dataclass
class Clients:
    """Builds AcmeClients for a family/profile; closes their HTTP connections at the end."""

    server: AcmehubServer
    _open: list[httpx.Client] = field(default_factory=list)

    def __call__(
        self,
        family: str = "acme",
        profile: str = "default",
        *,
        alg: str = "ES256",
        key: AccountKey | None = None,
        register: bool = True,
        **payload: Any,
    ) -> AcmeClient:
        http = self.server.client()
        self._open.append(http)
        client = AcmeClient(http, self.server.directory_url(profile, family))
        client.key = key or AccountKey.generate(alg)
        if register:
            response = client.register(**payload)
            assert response.status_code == 201, response.text
        return client

    def close(self) -> None:
        for http in self._open:
            http.close()


@pytest.fixture
def clients(acmehub: AcmehubServer) -> Iterator[Clients]:
    made = Clients(acmehub)
    yield made
    made.close()


@pytest.fixture(params=FAMILIES)
def family(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def client(clients: Clients, family: str) -> AcmeClient:
    """A registered account under the default profile of each URL family."""
    return clients(family)


# --------------------------------------------------------------------------- flows


def poll_resource(
    client: AcmeClient, url: str, done: Callable[[dict[str, Any]], bool], what: str
) -> dict[str, Any]:
    """POST-as-GET ``url`` until ``done(document)``; bounded by WAIT_SECONDS."""

    def check() -> dict[str, Any] | None:
        response = client.get(url)
        assert response.status_code == 200, response.text
        doc: dict[str, Any] = response.json()
        return doc if done(doc) else None

    return poll(check, WAIT_SECONDS, what, interval=0.05)


def challenge_of(authz: dict[str, Any], kind: str) -> dict[str, Any]:
    for challenge in authz["challenges"]:
        if challenge["type"] == kind:
            return dict(challenge)
    raise AssertionError(f"no {kind} challenge in {authz}")


@dataclass
class Flows:
    """Drives orders through the protocol with real validations."""

    dns: ChallTestSrv
    responder: Http01Responder

    def authorize_http01(self, client: AcmeClient, authz_url: str) -> dict[str, Any]:
        """Answer the http-01 challenge of one authorization and wait until it is valid."""
        authz = client.get(authz_url).json()
        challenge = challenge_of(authz, "http-01")
        self.responder.answers[challenge["token"]] = client.key_authorization(challenge["token"])
        response = client.post(challenge["url"], {})
        assert response.status_code == 200, response.text
        return poll_resource(client, authz_url, lambda d: d["status"] == "valid", "authz valid")

    def authorize_dns01(self, client: AcmeClient, authz_url: str) -> dict[str, Any]:
        authz = client.get(authz_url).json()
        challenge = challenge_of(authz, "dns-01")
        name = "_acme-challenge." + authz["identifier"]["value"]
        self.dns.set_txt(name, client.dns01_value(challenge["token"]))
        response = client.post(challenge["url"], {})
        assert response.status_code == 200, response.text
        return poll_resource(client, authz_url, lambda d: d["status"] == "valid", "authz valid")

    def ready_order(self, client: AcmeClient, names: list[str]) -> tuple[str, dict[str, Any]]:
        """A new order with every authorization valid: (order URL, order document)."""
        response = client.new_order(names)
        assert response.status_code == 201, response.text
        order_url = response.headers["Location"]
        for authz_url in response.json()["authorizations"]:
            authz = client.get(authz_url).json()
            if authz.get("wildcard"):
                self.authorize_dns01(client, authz_url)
            else:
                self.authorize_http01(client, authz_url)
        order = poll_resource(client, order_url, lambda d: d["status"] == "ready", "order ready")
        return order_url, order

    def finalize(
        self, client: AcmeClient, order_url: str, order: dict[str, Any], cert_key: Any = None
    ) -> dict[str, Any]:
        """Finalize with a fresh CSR and wait for the certificate URL; returns the order."""
        names = [i["value"] for i in order["identifiers"]]
        csr, _ = make_csr(names, cert_key)
        response = client.post(order["finalize"], {"csr": b64url(csr)})
        assert response.status_code == 200, response.text
        return poll_resource(client, order_url, lambda d: d["status"] == "valid", "order valid")

    def issue(
        self, client: AcmeClient, names: list[str], cert_key: Any = None
    ) -> tuple[str, dict[str, Any]]:
        """A valid order with its certificate: (order URL, order document)."""
        order_url, order = self.ready_order(client, names)
        return order_url, self.finalize(client, order_url, order, cert_key)


@pytest.fixture
def flows(dns_server: ChallTestSrv, http01: Http01Responder) -> Flows:
    return Flows(dns_server, http01)
