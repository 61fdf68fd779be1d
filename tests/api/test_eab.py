"""External account binding (RFC 8555 §7.3.4): keys over the management API, and new-account
over real HTTPS with the raw client, certbot and lego.

No http-01 responder runs in this module: certbot and lego answer http-01 themselves on the
server's validation port.
"""

from __future__ import annotations

import base64
import shlex
import shutil
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography import x509

from acmehub.domain.admin_model import Role
from acmehub.domain.model import AcmeProfile
from tests.api.conftest import ApiFactory
from tests.integration.conftest import (
    Clients,
    Profiles,
    State,
    assert_problem,
    last_segment,
    unique_name,
)
from tests.jws_signer import AccountKey, sign_eab
from tests.support.acme_client import AcmeClient
from tests.support.interop import Transcript, client_env
from tests.support.server import AcmehubServer

CERTBOT = Path(sys.executable).with_name("certbot")
LEGO = shutil.which("lego") or "/usr/bin/lego"


@pytest.fixture
def clients(acmehub: AcmehubServer) -> Iterator[Clients]:
    made = Clients(acmehub)
    yield made
    made.close()


@pytest.fixture
def state(acmehub: AcmehubServer) -> State:
    return State(acmehub)


@pytest.fixture
def profile(acmehub: AcmehubServer) -> AcmeProfile:
    """A fresh ACME profile that requires external account binding."""
    return Profiles(acmehub).acme_profile(require_external_account_binding=True)


@pytest.fixture
def operator(api_as: ApiFactory) -> httpx.Client:
    return api_as(Role.OPERATOR)


@pytest.fixture
def auditor(api_as: ApiFactory) -> httpx.Client:
    return api_as(Role.AUDITOR)


def keys_url(profile: AcmeProfile, key_id: str = "") -> str:
    return f"/acmeProfiles/{profile.uuid}/eabKeys" + (f"/{key_id}" if key_id else "")


def create_key(api: httpx.Client, profile: AcmeProfile, **body: Any) -> dict[str, Any]:
    response = api.post(keys_url(profile), json=body)
    assert response.status_code == 201, response.text
    doc: dict[str, Any] = response.json()
    return doc


def secret_of(created: dict[str, Any]) -> bytes:
    encoded: str = created["hmacKey"]
    assert "=" not in encoded
    return base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))


def problem(response: httpx.Response, status: int, detail: str = "") -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    doc: dict[str, Any] = response.json()
    assert detail in doc["detail"], doc
    return doc


def register_with(
    client: AcmeClient,
    key_id: str,
    secret: bytes,
    alg: str = "HS256",
    *,
    url: str | None = None,
    jwk: dict[str, Any] | None = None,
) -> httpx.Response:
    """new-account with a binding made by tests.jws_signer.sign_eab."""
    new_account = client.directory["newAccount"]
    eab = sign_eab(key_id, secret, url or new_account, jwk or client.key.jwk_public(), alg)
    return client.register(externalAccountBinding=eab)


# --------------------------------------------------------------------------- management API


def test_create_shows_the_secret_once_with_client_flags(
    api: httpx.Client, auditor: httpx.Client, profile: AcmeProfile, acmehub: AcmehubServer
) -> None:
    response = api.post(keys_url(profile), json={"description": "team web"})

    assert response.status_code == 201, response.text
    created = response.json()
    key_id = created["keyId"]
    assert response.headers["Location"] == f"/api/v1{keys_url(profile, key_id)}"
    assert len(secret_of(created)) == 32
    assert created["algorithm"] == "HS256"
    assert (created["reusable"], created["usedCount"], created["state"]) == (False, 0, "active")
    assert (created["expiresAt"], created["revokedAt"]) == (None, None)
    assert created["description"] == "team web"
    directory = acmehub.directory_url(profile.name)
    assert created["directoryUrl"] == directory
    assert shlex.split(created["clients"]["certbot"]) == [
        "--server", directory, "--eab-kid", key_id, "--eab-hmac-key", created["hmacKey"],
    ]  # fmt: skip
    assert shlex.split(created["clients"]["lego"]) == [
        "--server", directory, "--eab", "--kid", key_id, "--hmac", created["hmacKey"],
    ]  # fmt: skip

    for read in (auditor.get(keys_url(profile)), auditor.get(keys_url(profile, key_id))):
        assert read.status_code == 200, read.text
        assert created["hmacKey"] not in read.text
        assert "hmacKey" not in read.text
    listed = auditor.get(keys_url(profile)).json()
    assert [k["keyId"] for k in listed["items"]] == [key_id]
    assert listed["hasMore"] is False
    one = auditor.get(keys_url(profile, key_id)).json()
    assert {k: v for k, v in created.items() if k in one} == one


@pytest.mark.parametrize(("algorithm", "octets"), [("HS384", 48), ("HS512", 64)])
def test_longer_algorithms(
    api: httpx.Client, profile: AcmeProfile, algorithm: str, octets: int
) -> None:
    created = create_key(api, profile, algorithm=algorithm)
    assert len(secret_of(created)) == octets
    assert shlex.split(created["clients"]["certbot"])[-2:] == ["--eab-hmac-alg", algorithm]
    assert created["clients"]["lego"] is None  # lego signs bindings with HS256 only


def test_expiry_and_paging(api: httpx.Client, profile: AcmeProfile) -> None:
    first = create_key(api, profile, validitySeconds=3600, reusable=True)
    second = create_key(api, profile, expiresAt="2999-01-01T00:00:00Z")
    assert second["expiresAt"] == "2999-01-01T00:00:00Z"
    assert first["expiresAt"] is not None
    assert first["reusable"] is True
    page = api.get(keys_url(profile), params={"limit": 1}).json()
    assert ([k["keyId"] for k in page["items"]], page["hasMore"]) == ([first["keyId"]], True)
    page = api.get(keys_url(profile), params={"offset": 1, "limit": 1}).json()
    assert ([k["keyId"] for k in page["items"]], page["hasMore"]) == ([second["keyId"]], False)


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ({"algorithm": "HS1"}, "algorithm"),
        ({"algorithm": "RS256"}, "algorithm"),
        ({"expiresAt": "2001-01-01T00:00:00Z"}, "expiresAt must be in the future"),
        ({"expiresAt": "2999-01-01T00:00:00"}, "time zone"),
        ({"expiresAt": 4102444800}, "RFC 3339"),
        ({"expiresAt": "2999-01-01T00:00:00Z", "validitySeconds": 60}, "not both"),
        ({"validitySeconds": 0}, "validitySeconds"),
        ({"reusable": "sometimes"}, "reusable"),
        ({"description": "x" * 501}, "description"),
    ],
)
def test_invalid_create_requests_are_422(
    api: httpx.Client, profile: AcmeProfile, body: dict[str, Any], detail: str
) -> None:
    problem(api.post(keys_url(profile), json=body), 422, detail)
    assert api.get(keys_url(profile)).json()["items"] == []


def test_unknown_profile_or_key_is_404(api: httpx.Client, profile: AcmeProfile) -> None:
    problem(api.post("/acmeProfiles/nope/eabKeys", json={}), 404, "ACME Profile not found")
    problem(api.get("/acmeProfiles/nope/eabKeys"), 404, "ACME Profile not found")
    problem(api.get(keys_url(profile, "nope")), 404, "EAB key not found")
    problem(api.delete(keys_url(profile, "nope")), 404, "EAB key not found")


def test_delete_revokes_and_keeps_the_key_listed(
    operator: httpx.Client, api: httpx.Client, profile: AcmeProfile
) -> None:
    key_id = create_key(api, profile)["keyId"]
    assert operator.delete(keys_url(profile, key_id)).status_code == 204
    shown = api.get(keys_url(profile, key_id)).json()
    assert shown["state"] == "revoked"
    assert shown["revokedAt"] is not None
    assert operator.delete(keys_url(profile, key_id)).status_code == 204  # idempotent
    assert api.get(keys_url(profile, key_id)).json() == shown


def test_roles_and_anonymous(
    anonymous: httpx.Client,
    auditor: httpx.Client,
    operator: httpx.Client,
    api: httpx.Client,
    profile: AcmeProfile,
) -> None:
    key_id = create_key(api, profile)["keyId"]
    calls = [
        ("POST", keys_url(profile)),
        ("GET", keys_url(profile)),
        ("GET", keys_url(profile, key_id)),
        ("DELETE", keys_url(profile, key_id)),
    ]
    for method, url in calls:
        problem(anonymous.request(method, url), 401)
    problem(operator.post(keys_url(profile), json={}), 403, "admin")
    problem(auditor.post(keys_url(profile), json={}), 403, "admin")
    problem(auditor.delete(keys_url(profile, key_id)), 403, "operator")
    assert auditor.get(keys_url(profile, key_id)).json()["state"] == "active"
    assert operator.delete(keys_url(profile, key_id)).status_code == 204


# --------------------------------------------------------------------------- new-account (raw)


def test_required_binding_admits_one_account_per_single_use_key(
    api: httpx.Client, clients: Clients, profile: AcmeProfile, state: State
) -> None:
    directory = clients("acme", profile.name, register=False).directory
    assert directory["meta"]["externalAccountRequired"] is True
    created = create_key(api, profile)
    key_id, secret = created["keyId"], secret_of(created)

    without = clients("acme", profile.name, register=False)
    before = state.counts()
    assert_problem(without.register(), 400, "externalAccountRequired")
    assert state.counts() == before

    client = clients("acme", profile.name, register=False)
    response = register_with(client, key_id, secret)
    assert response.status_code == 201, response.text
    account = state.account(last_segment(response.headers["Location"]))
    assert account.eab_key_id == key_id
    detail = api.get(f"/acmeProfiles/{profile.uuid}/acmeAccounts/{account.uuid}").json()
    assert detail["eabKeyId"] == key_id
    shown = api.get(keys_url(profile, key_id)).json()
    assert (shown["usedCount"], shown["state"]) == (1, "used")
    assert client.new_order([unique_name()]).status_code == 201

    # The same key again, for another account key: refused, and nothing changes.
    before = state.counts()
    again = register_with(clients("acme", profile.name, register=False), key_id, secret)
    assert_problem(again, 401, "unauthorized", "single-use and has already been used")
    assert state.counts() == before
    assert api.get(keys_url(profile, key_id)).json()["usedCount"] == 1
    # The account that holds the key registers again without spending anything (§7.3.1).
    assert register_with(client, key_id, secret).status_code == 200
    assert api.get(keys_url(profile, key_id)).json()["usedCount"] == 1


def test_reusable_key_admits_several_accounts(
    api: httpx.Client, clients: Clients, profile: AcmeProfile
) -> None:
    created = create_key(api, profile, reusable=True, algorithm="HS512")
    for _ in range(2):
        client = clients("acme", profile.name, register=False)
        response = register_with(client, created["keyId"], secret_of(created), "HS512")
        assert response.status_code == 201, response.text
    shown = api.get(keys_url(profile, created["keyId"])).json()
    assert (shown["usedCount"], shown["state"]) == (2, "active")


def refused_binding(
    clients: Clients,
    profile: AcmeProfile,
    state: State,
    key_id: str,
    secret: bytes,
    status: int,
    kind: str,
    detail: str,
    **options: Any,
) -> None:
    before = state.counts()
    client = clients("acme", profile.name, register=False)
    assert_problem(register_with(client, key_id, secret, **options), status, kind, detail)
    assert state.counts() == before


def test_each_refusal_is_precise_and_changes_nothing(
    api: httpx.Client,
    operator: httpx.Client,
    clients: Clients,
    profile: AcmeProfile,
    state: State,
    acmehub: AcmehubServer,
) -> None:
    good = create_key(api, profile)
    key_id, secret = good["keyId"], secret_of(good)
    revoked = create_key(api, profile)
    assert operator.delete(keys_url(profile, revoked["keyId"])).status_code == 204
    expiring = create_key(api, profile, validitySeconds=1)
    other_profile = Profiles(acmehub).acme_profile()
    foreign = create_key(api, other_profile)
    hs512 = create_key(api, profile, algorithm="HS512")

    def refused(key: str, secret: bytes, status: int, kind: str, detail: str, **kw: Any) -> None:
        refused_binding(clients, profile, state, key, secret, status, kind, detail, **kw)

    refused("no-such-key", secret, 401, "unauthorized", "is not known")
    refused(key_id, bytes(32), 401, "unauthorized", "MAC verification failed")
    refused(revoked["keyId"], secret_of(revoked), 401, "unauthorized", "has been revoked")
    refused(foreign["keyId"], secret_of(foreign), 401, "unauthorized", "another ACME profile")
    refused(hs512["keyId"], secret_of(hs512), 401, "unauthorized", "is an HS512 key", alg="HS256")
    url = clients("acme", profile.name, register=False).directory["newOrder"]
    refused(key_id, secret, 401, "unauthorized", '"url" does not match', url=url)
    refused(
        key_id,
        secret,
        401,
        "unauthorized",
        "not the account key",
        jwk=AccountKey.generate().jwk_public(),
    )
    time.sleep(1.2)
    refused(expiring["keyId"], secret_of(expiring), 401, "unauthorized", "has expired")
    # None of the refusals spent the good key.
    assert api.get(keys_url(profile, key_id)).json()["usedCount"] == 0
    client = clients("acme", profile.name, register=False)
    assert register_with(client, key_id, secret).status_code == 201


def test_malformed_bindings(clients: Clients, profile: AcmeProfile, state: State) -> None:
    client = clients("acme", profile.name, register=False)
    before = state.counts()
    for eab, detail in (
        ("not-an-object", "flattened JSON"),
        ({"protected": "e30", "payload": "e30"}, "exactly protected, payload and signature"),
    ):
        response = client.register(externalAccountBinding=eab)
        assert_problem(response, 400, "malformed", detail)
    assert state.counts() == before


def test_a_binding_is_checked_where_it_is_not_required(
    api: httpx.Client, clients: Clients, state: State, acmehub: AcmehubServer
) -> None:
    optional = Profiles(acmehub).acme_profile()
    created = create_key(api, optional)
    client = clients("acme", optional.name, register=False)
    response = register_with(client, created["keyId"], secret_of(created))
    assert response.status_code == 201, response.text
    assert state.account(last_segment(response.headers["Location"])).eab_key_id == created["keyId"]
    refused_binding(clients, optional, state, "no-such-key", bytes(32), 401, "unauthorized", "")


# --------------------------------------------------------------------------- real clients


def run(transcript: Transcript, argv: list[str], home: Path, check: bool = True) -> str:
    """Run a client (bounded); with ``check``, fail showing its output unless it exits 0."""
    env = client_env(
        REQUESTS_CA_BUNDLE=str(transcript.acmehub.ca_bundle),
        LEGO_CA_CERTIFICATES=str(transcript.acmehub.ca_bundle),
    )
    result = transcript.run(argv, env, cwd=home, check=False)
    if check:
        assert result.returncode == 0, result.describe()
    return result.output


def certbot_args(home: Path) -> list[str]:
    return [
        "--non-interactive", "--agree-tos", "--email", "eab@acmehub.example.com", "--no-eff-email",
        "--config-dir", str(home / "config"),
        "--work-dir", str(home / "work"),
        "--logs-dir", str(home / "logs"),
    ]  # fmt: skip


def test_certbot_with_eab_end_to_end(
    api: httpx.Client, profile: AcmeProfile, acmehub: AcmehubServer, tmp_path: Path
) -> None:
    transcript = Transcript(acmehub)
    created = create_key(api, profile)
    flags = shlex.split(created["clients"]["certbot"])
    name = unique_name("certbot-eab")
    certonly = [
        str(CERTBOT), "certonly", *certbot_args(tmp_path), "--cert-name", "eab", "-d", name,
        "--standalone", "--preferred-challenges", "http",
        "--http-01-address", "127.0.0.1", "--http-01-port", str(acmehub.http01_port),
    ]  # fmt: skip

    # Without the binding certbot stops before registering: the directory says it is required.
    refused = run(transcript, [*certonly, "--server", created["directoryUrl"]], tmp_path, False)
    assert "external account binding" in refused

    run(transcript, [*certonly, *flags], tmp_path)

    live = tmp_path / "config" / "live" / "eab" / "cert.pem"
    leaf = x509.load_pem_x509_certificates(live.read_bytes())[0]
    sans = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sans.get_values_for_type(x509.DNSName) == [name]
    shown = api.get(keys_url(profile, created["keyId"])).json()
    assert (shown["usedCount"], shown["state"]) == (1, "used")
    accounts = api.get("/acmeAccounts", params={"acmeProfileUuid": profile.uuid}).json()
    assert [a["eabKeyId"] for a in accounts["items"]] == [created["keyId"]]
    assert accounts["items"][0]["validOrders"] == 1


def test_lego_with_eab_end_to_end(
    api: httpx.Client, profile: AcmeProfile, acmehub: AcmehubServer, tmp_path: Path
) -> None:
    transcript = Transcript(acmehub)
    created = create_key(api, profile)
    name = unique_name("lego-eab")
    argv = [
        LEGO, *shlex.split(created["clients"]["lego"]),
        "--accept-tos", "--email", "eab@acmehub.example.com", "--path", str(tmp_path / "lego"),
        "--domains", name, "--http", "--http.port", f"127.0.0.1:{acmehub.http01_port}", "run",
    ]  # fmt: skip
    run(transcript, argv, tmp_path)
    leaf = x509.load_pem_x509_certificates(
        (tmp_path / "lego" / "certificates" / f"{name}.crt").read_bytes()
    )[0]
    sans = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sans.get_values_for_type(x509.DNSName) == [name]
    accounts = api.get("/acmeAccounts", params={"acmeProfileUuid": profile.uuid}).json()
    assert [a["eabKeyId"] for a in accounts["items"]] == [created["keyId"]]


def test_the_directory_url_is_the_configured_one_whatever_the_host_header(
    api: httpx.Client, profile: AcmeProfile, acmehub: AcmehubServer
) -> None:
    response = api.post(keys_url(profile), json={}, headers={"Host": "attacker.example:8443"})

    assert response.status_code == 201, response.text
    created = response.json()
    directory = acmehub.directory_url(profile.name)
    assert created["directoryUrl"] == directory
    assert shlex.split(created["clients"]["certbot"])[:2] == ["--server", directory]
    assert shlex.split(created["clients"]["lego"] or "")[:2] == ["--server", directory]
    assert "attacker.example" not in response.text
    assert "attacker.example" not in response.headers["Location"]
    assert response.headers["cache-control"] == "no-store"
