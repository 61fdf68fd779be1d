"""HTTP rituals every ACME resource shares (RFC 8555 §6, §7.1, §7.2) and JWS checks (§6.2-6.5)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from acmehub.storage.engine import WriteGate
from acmehub.storage.nonces import SqlNonceStore
from tests.integration.conftest import (
    ACME_ERROR,
    Clients,
    Flows,
    Profiles,
    State,
    assert_problem,
    assert_rituals,
    link_header,
    unique_name,
)
from tests.jws_signer import AccountKey, b64url
from tests.support.acme_client import JOSE, AcmeClient
from tests.support.server import AcmehubServer

DIRECTORY_MEMBERS = ("newNonce", "newAccount", "newOrder", "revokeCert", "keyChange")
ALIAS = "/api/v1/protocols/acme"


def family_root(acmehub: AcmehubServer, family: str, profile: str = "default") -> str:
    return acmehub.directory_url(profile, family).removesuffix("/directory")


# --------------------------------------------------------------------------- directory, nonces


def test_directory_lists_resources_and_meta(acmehub: AcmehubServer, family: str) -> None:
    with acmehub.client() as http:
        response = http.get(acmehub.directory_url("default", family))
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    assert_rituals(response, acmehub.directory_url("default", family))
    doc = response.json()
    root = family_root(acmehub, family)
    assert {m: doc[m] for m in DIRECTORY_MEMBERS} == {
        "newNonce": root + "/new-nonce",
        "newAccount": root + "/new-account",
        "newOrder": root + "/new-order",
        # The RA-profile family's revokeCert is .../order/revoke-cert (platform-reference.md).
        "revokeCert": root + ("/order/revoke-cert" if family == "raProfile" else "/revoke-cert"),
        "keyChange": root + "/key-change",
    }
    assert doc["meta"]["externalAccountRequired"] is False


def test_directory_meta_shows_profile_urls(
    acmehub: AcmehubServer, profiles: Profiles, family: str
) -> None:
    acme = profiles.acme_profile(
        terms_of_service_url="https://tos.example/v1", website_url="https://www.example/"
    )
    ra = profiles.ra_profile(acme)
    name = acme.name if family == "acme" else ra.name
    with acmehub.client() as http:
        response = http.get(acmehub.directory_url(name, family))
    assert response.status_code == 200, response.text
    meta = response.json()["meta"]
    assert meta["termsOfService"] == "https://tos.example/v1"
    assert meta["website"] == "https://www.example/"


def test_new_nonce_head_200_get_204(acmehub: AcmehubServer, family: str, state: State) -> None:
    url = family_root(acmehub, family) + "/new-nonce"
    with acmehub.client() as http:
        head = http.head(url)
        get = http.get(url)
    assert head.status_code == 200
    assert get.status_code == 204
    assert get.content == b""
    for response in (head, get):
        assert_rituals(response, acmehub.directory_url("default", family))
        assert state.nonce_is_usable(response.headers["Replay-Nonce"])
    assert head.headers["Replay-Nonce"] != get.headers["Replay-Nonce"]


@pytest.mark.parametrize("family", ["acme", "raProfile"])
def test_unknown_profile_directory_is_404_problem(acmehub: AcmehubServer, family: str) -> None:
    with acmehub.client() as http:
        response = http.get(acmehub.directory_url("no-such-profile", family))
    what = "ACME Profile" if family == "acme" else "RA Profile"
    assert_problem(response, 404, "malformed", f"Given {what} in the request URL is not found")


def test_unknown_profile_new_nonce_is_refused(acmehub: AcmehubServer) -> None:
    with acmehub.client() as http:
        head = http.head(family_root(acmehub, "acme", "no-such-profile") + "/new-nonce")
        get = http.get(family_root(acmehub, "acme", "no-such-profile") + "/new-nonce")
    assert head.status_code == 400
    assert head.content == b""  # HEAD: the status and headers only
    assert_rituals(head)
    assert_problem(get, 400, "malformed", "Given ACME Profile in the request URL is not found")


def test_unknown_path_is_404(acmehub: AcmehubServer) -> None:
    with acmehub.client() as http:
        response = http.get(acmehub.base_url + "/acme/default/nothing-here")
    assert response.status_code == 404


# --------------------------------------------------------------------------- nonces


def test_nonce_is_single_use(clients: Clients, family: str, state: State) -> None:
    client = clients(family, register=False)
    nonce = client.nonce()
    first = client.post(
        client.directory["newAccount"], {"termsOfServiceAgreed": True}, use_jwk=True, nonce=nonce
    )
    assert first.status_code == 201, first.text
    assert not state.nonce_is_usable(nonce)

    other = AccountKey.generate()
    before = state.counts()
    replay = client.post(
        client.directory["newAccount"],
        {"termsOfServiceAgreed": True},
        use_jwk=True,
        key=other,
        nonce=nonce,
    )
    doc = assert_problem(replay, 400, "badNonce", "nonce", client.directory_url)
    assert doc["type"] == ACME_ERROR + "badNonce"
    assert state.counts() == before
    # RFC 8555 §6.5: the error carries a fresh nonce the client can retry with.
    retry = client.post(
        client.directory["newAccount"],
        {"termsOfServiceAgreed": True},
        use_jwk=True,
        key=other,
        nonce=replay.headers["Replay-Nonce"],
    )
    assert retry.status_code == 201, retry.text


def test_unknown_nonce_is_bad_nonce(clients: Clients, family: str, state: State) -> None:
    client = clients(family, register=False)
    before = state.counts()
    response = client.post(
        client.directory["newAccount"],
        {"termsOfServiceAgreed": True},
        use_jwk=True,
        nonce=b64url(b"never-issued-nonce-value"),
    )
    assert_problem(response, 400, "badNonce", "invalid anti-replay nonce", client.directory_url)
    assert state.counts() == before


def test_expired_nonce_is_bad_nonce(clients: Clients, state: State, acmehub: AcmehubServer) -> None:
    client = clients(register=False)

    class AnHourAgo:
        def now(self) -> datetime:
            return datetime.now(UTC) - timedelta(hours=1)

    # Signed with the server's own key (shared through the database), but expired.
    expired = SqlNonceStore(
        WriteGate(acmehub.container().engine), AnHourAgo(), timedelta(minutes=1)
    ).issue()
    before = state.counts()
    response = client.post(
        client.directory["newAccount"], {"termsOfServiceAgreed": True}, use_jwk=True, nonce=expired
    )
    assert_problem(response, 400, "badNonce", "invalid anti-replay nonce", client.directory_url)
    assert state.counts() == before


def test_missing_nonce_is_bad_nonce(clients: Clients, state: State) -> None:
    client = clients(register=False)
    url = client.directory["newAccount"]
    body = client.key.sign_raw_body(
        {"alg": "ES256", "url": url, "jwk": client.key.jwk_public()}, {"termsOfServiceAgreed": True}
    )
    before = state.counts()
    response = client.post_body(url, body)
    assert_problem(response, 400, "badNonce", "no anti-replay nonce")
    assert state.counts() == before


# --------------------------------------------------------------------------- HTTP checks


def test_wrong_content_type_is_415(client: AcmeClient, state: State) -> None:
    nonce = client.nonce()
    body = client.key.sign(
        client.directory["newOrder"],
        nonce,
        {"identifiers": [{"type": "dns", "value": unique_name()}]},
        kid=client.kid,
    )
    before = state.counts()
    response = client.post_body(
        client.directory["newOrder"], body, headers={"Content-Type": "application/json"}
    )
    assert_problem(response, 415, "malformed", "application/jose+json", client.directory_url)
    assert state.counts() == before
    assert state.nonce_is_usable(nonce)  # refused before the JWS was read


def test_wrong_method_is_405_with_allow(acmehub: AcmehubServer, family: str, state: State) -> None:
    root = family_root(acmehub, family)
    directory = acmehub.directory_url("default", family)
    before = state.counts()
    with acmehub.client() as http:
        put = http.put(root + "/new-account", content=b"{}", headers=JOSE)
        get = http.get(root + "/new-order")
        post_nonce = http.post(root + "/new-nonce", content=b"{}", headers=JOSE)
        delete = http.delete(directory)
    for response, allow in (
        (put, "POST"),
        (get, "POST"),
        (post_nonce, "HEAD, GET"),
        (delete, "GET"),
    ):
        assert_problem(response, 405, "malformed", "is not allowed here", directory)
        assert response.headers["Allow"] == allow
    assert state.counts() == before


def test_body_too_large_is_refused(client: AcmeClient, state: State) -> None:
    nonce = client.nonce()
    url = client.directory["newOrder"]
    payload = {"identifiers": [{"type": "dns", "value": unique_name()}], "pad": "x" * 70_000}
    body = client.key.sign(url, nonce, payload, kid=client.kid)
    before = state.counts()
    response = client.post_body(url, body)
    assert_problem(response, 413, "malformed", "larger than", client.directory_url)
    assert state.counts() == before
    assert state.nonce_is_usable(nonce)


def test_post_without_body_is_malformed(client: AcmeClient, state: State) -> None:
    before = state.counts()
    for body in (b"", b"{}", b"[]", b"not json"):
        response = client.post_body(client.directory["newOrder"], body)
        assert response.status_code == 400, response.text
        assert response.json()["type"] == ACME_ERROR + "malformed"
        assert_rituals(response, client.directory_url)
    assert state.counts() == before


# --------------------------------------------------------------------------- JWS


@pytest.mark.parametrize("alg", ["none", "HS256"])
def test_forbidden_algorithms(clients: Clients, family: str, state: State, alg: str) -> None:
    client = clients(family, register=False)
    url = client.directory["newAccount"]
    nonce = client.nonce()
    protected = {"alg": alg, "nonce": nonce, "url": url, "jwk": client.key.jwk_public()}
    signed = client.key.sign_raw(protected, {"termsOfServiceAgreed": True})
    if alg == "none":
        signed["signature"] = ""
    before = state.counts()
    # RFC 8555 §6.2: alg "none" (with its empty signature, RFC 7518 §3.6) and MAC algorithms
    # are badSignatureAlgorithm, listing what the server accepts.
    response = client.post_body(url, json.dumps(signed).encode())
    doc = assert_problem(response, 400, "badSignatureAlgorithm", alg, client.directory_url)
    assert doc["algorithms"] == ["RS256", "ES256", "ES384", "ES512", "EdDSA"]
    if alg == "none":
        signed["signature"] = b64url(b"x")
        response = client.post_body(url, json.dumps(signed).encode())
        doc = assert_problem(response, 400, "badSignatureAlgorithm", alg, client.directory_url)
    assert state.counts() == before
    assert state.nonce_is_usable(nonce)


def test_alg_must_fit_the_embedded_key(clients: Clients, state: State) -> None:
    client = clients(register=False)
    url = client.directory["newAccount"]
    protected = {
        "alg": "RS256",
        "nonce": client.nonce(),
        "url": url,
        "jwk": client.key.jwk_public(),
    }
    before = state.counts()
    response = client.post_body(url, client.key.sign_raw_body(protected, {}))
    # As Boulder answers it: the algorithm is wrong for the key (docs/acme-divergences.md).
    doc = assert_problem(
        response, 400, "badSignatureAlgorithm", "does not fit the jwk", client.directory_url
    )
    assert doc["algorithms"] == ["RS256", "ES256", "ES384", "ES512", "EdDSA"]
    assert state.counts() == before


def test_jwk_declaring_another_alg_is_bad_public_key(clients: Clients, state: State) -> None:
    client = clients(register=False)
    url = client.directory["newAccount"]
    jwk = {**client.key.jwk_public(), "alg": "RS256"}
    protected = {"alg": client.key.alg, "nonce": client.nonce(), "url": url, "jwk": jwk}
    before = state.counts()
    response = client.post_body(url, client.key.sign_raw_body(protected, {}))
    assert_problem(response, 400, "badPublicKey", "does not fit the key", client.directory_url)
    assert state.counts() == before


def test_private_key_in_jwk_is_refused(clients: Clients, state: State) -> None:
    client = clients(register=False)
    url = client.directory["newAccount"]
    private = dict(client.key.jwk.export_private(as_dict=True))
    protected = {"alg": "ES256", "nonce": client.nonce(), "url": url, "jwk": private}
    before = state.counts()
    response = client.post_body(url, client.key.sign_raw_body(protected, {}))
    assert_problem(response, 400, "badPublicKey", "private key material", client.directory_url)
    assert state.counts() == before


def test_url_mismatch_is_unauthorized(client: AcmeClient, state: State) -> None:
    nonce = client.nonce()
    before = state.counts()
    response = client.post(
        client.directory["newOrder"],
        {"identifiers": [{"type": "dns", "value": unique_name()}]},
        nonce=nonce,
        sign_url=client.directory["revokeCert"],
    )
    assert_problem(
        response, 403, "unauthorized", "url in JWS header does not match", client.directory_url
    )
    assert state.counts() == before
    assert state.nonce_is_usable(nonce)


def test_url_with_other_profile_family_is_unauthorized(
    acmehub: AcmehubServer, clients: Clients
) -> None:
    """The same path under the other family is another URL (RFC 8555 §6.4)."""
    client = clients("acme", register=False)
    other = family_root(acmehub, "raProfile") + "/new-account"
    response = client.post(
        client.directory["newAccount"], {"termsOfServiceAgreed": True}, use_jwk=True, sign_url=other
    )
    assert_problem(response, 403, "unauthorized", "url in JWS header")


def test_jwk_and_kid_together_are_malformed(client: AcmeClient, state: State) -> None:
    url = client.directory["newOrder"]
    nonce = client.nonce()
    protected = {
        "alg": "ES256",
        "nonce": nonce,
        "url": url,
        "kid": client.kid,
        "jwk": client.key.jwk_public(),
    }
    body = client.key.sign_raw_body(
        protected, {"identifiers": [{"type": "dns", "value": unique_name()}]}
    )
    before = state.counts()
    response = client.post_body(url, body)
    assert_problem(response, 400, "malformed", "mutually exclusive", client.directory_url)
    assert state.counts() == before
    assert state.nonce_is_usable(nonce)


def test_new_order_with_jwk_is_malformed(client: AcmeClient, state: State) -> None:
    before = state.counts()
    response = client.post(
        client.directory["newOrder"],
        {"identifiers": [{"type": "dns", "value": unique_name()}]},
        use_jwk=True,
    )
    assert_problem(response, 400, "malformed", "must carry a kid", client.directory_url)
    assert state.counts() == before


def test_new_account_with_kid_is_malformed(client: AcmeClient, state: State) -> None:
    before = state.counts()
    response = client.post(client.directory["newAccount"], {"termsOfServiceAgreed": True})
    assert_problem(response, 400, "malformed", "must carry a jwk", client.directory_url)
    assert state.counts() == before


def test_kid_of_account_under_another_profile(
    clients: Clients, profiles: Profiles, state: State
) -> None:
    other_profile = profiles.acme_profile()
    other = clients("acme", other_profile.name)
    assert other.kid is not None
    client = clients("acme")
    order = {"identifiers": [{"type": "dns", "value": unique_name()}]}
    before = state.counts()

    # The other profile's account URL is not an account URL of this profile.
    response = client.post(client.directory["newOrder"], order, key=other.key, kid=other.kid)
    assert_problem(response, 400, "malformed", "kid is not an account URL", client.directory_url)

    # The same account id under this profile's URL: the account is bound to its profile.
    forged_kid = client.kid.rsplit("/", 1)[0] + "/" + other.kid.rsplit("/", 1)[1]  # type: ignore[union-attr]
    response = client.post(client.directory["newOrder"], order, key=other.key, kid=forged_kid)
    assert_problem(
        response,
        401,
        "unauthorized",
        "Account does not belong to this profile",
        client.directory_url,
    )
    assert state.counts() == before


def test_kid_with_foreign_url_is_malformed(client: AcmeClient, state: State) -> None:
    assert client.kid is not None
    foreign = "https://acme.elsewhere.example/acme/default/acct/" + client.kid.rsplit("/", 1)[1]
    before = state.counts()
    response = client.post(
        client.directory["newOrder"],
        {"identifiers": [{"type": "dns", "value": unique_name()}]},
        kid=foreign,
    )
    assert_problem(response, 400, "malformed", "kid is not an account URL", client.directory_url)
    assert state.counts() == before


def test_kid_of_unknown_account(client: AcmeClient, state: State) -> None:
    assert client.kid is not None
    unknown = client.kid.rsplit("/", 1)[0] + "/" + b64url(b"no-such-account!")
    nonce = client.nonce()
    before = state.counts()
    response = client.post(
        client.directory["newOrder"],
        {"identifiers": [{"type": "dns", "value": unique_name()}]},
        kid=unknown,
        nonce=nonce,
    )
    assert_problem(response, 400, "accountDoesNotExist", "no account exists", client.directory_url)
    assert state.counts() == before
    assert state.nonce_is_usable(nonce)


def test_bad_signature_is_refused(client: AcmeClient, state: State) -> None:
    url = client.directory["newOrder"]
    nonce = client.nonce()
    body = json.loads(
        client.key.sign(
            url, nonce, {"identifiers": [{"type": "dns", "value": unique_name()}]}, kid=client.kid
        )
    )
    signature = bytearray(body["signature"].encode())
    signature[5] = ord("A") if signature[5] != ord("A") else ord("B")
    body["signature"] = signature.decode()
    before = state.counts()
    response = client.post_body(url, json.dumps(body).encode())
    assert_problem(response, 400, "malformed", "JWS verification error", client.directory_url)
    assert state.counts() == before
    assert state.nonce_is_usable(nonce)  # forged requests cannot burn nonces


def test_signature_by_other_key_is_refused(client: AcmeClient, state: State) -> None:
    before = state.counts()
    response = client.post(
        client.directory["newOrder"],
        {"identifiers": [{"type": "dns", "value": unique_name()}]},
        key=AccountKey.generate(),
    )
    assert_problem(response, 400, "malformed", "JWS verification error", client.directory_url)
    assert state.counts() == before


def test_compact_serialization_is_refused(client: AcmeClient, state: State) -> None:
    url = client.directory["newOrder"]
    nonce = client.nonce()
    signed = client.key.sign_raw(
        {"alg": "ES256", "nonce": nonce, "url": url, "kid": client.kid},
        {"identifiers": [{"type": "dns", "value": unique_name()}]},
    )
    compact = f"{signed['protected']}.{signed['payload']}.{signed['signature']}".encode()
    before = state.counts()
    response = client.post_body(url, compact)
    assert_problem(response, 400, "malformed", "compact", client.directory_url)
    assert state.counts() == before
    assert state.nonce_is_usable(nonce)


def test_general_serialization_is_refused(client: AcmeClient, state: State) -> None:
    url = client.directory["newOrder"]
    before = state.counts()
    signed = client.key.sign_raw(
        {"alg": "ES256", "nonce": client.nonce(), "url": url, "kid": client.kid},
        {"identifiers": [{"type": "dns", "value": unique_name()}]},
    )
    general = {
        "payload": signed["payload"],
        "signatures": [{"protected": signed["protected"], "signature": signed["signature"]}],
    }
    response = client.post_body(url, json.dumps(general).encode())
    assert_problem(response, 400, "malformed", "flattened JSON serialization")
    assert state.counts() == before


# --------------------------------------------------------------------------- the /api/v1 alias


@pytest.mark.parametrize("family", ["acme", "raProfile"])
def test_api_v1_alias_full_flow(
    acmehub: AcmehubServer, clients: Clients, flows: Flows, family: str
) -> None:
    client = clients(family, register=False)
    client.directory_url = client.directory_url.replace("/acme/", ALIAS + "/", 1)
    doc: dict[str, Any] = client.directory
    alias_root = (
        acmehub.base_url + ALIAS + ("/raProfile/default" if family == "raProfile" else "/default")
    )
    assert all(doc[m].startswith(alias_root + "/") for m in DIRECTORY_MEMBERS), doc

    registered = client.register()
    assert registered.status_code == 201, registered.text
    assert registered.headers["Location"].startswith(alias_root + "/acct/")
    assert link_header(registered, "index") == [alias_root + "/directory"]

    name = unique_name()
    order_url, order = flows.issue(client, [name])
    assert order_url.startswith(alias_root + "/order/")
    assert order["certificate"].startswith(alias_root + "/cert/")
    cert = client.get(order["certificate"])
    assert cert.status_code == 200
    assert cert.headers["Content-Type"].startswith("application/pem-certificate-chain")
    assert cert.text.count("BEGIN CERTIFICATE") >= 2
