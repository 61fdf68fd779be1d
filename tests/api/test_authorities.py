"""Authorities over the management API: list, get (CA certificate and chain), create embedded
(generate or import), enable/disable (a disabled Authority refuses issuance), delete.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography import x509

from acmehub.ca.embedded import create_embedded_authority
from acmehub.domain.admin_model import Role
from tests.api.conftest import ApiFactory
from tests.api.profile_helpers import (
    activate,
    audit_events,
    created,
    default_authority,
    label,
    new_acme_profile,
    new_ra_profile,
    octets_hex,
    ok,
    problem,
    ra_url,
)
from tests.integration.conftest import Clients, Flows, Http01Responder, last_segment, unique_name
from tests.support.acme_client import b64url, make_csr
from tests.support.challtestsrv import ChallTestSrv
from tests.support.server import AcmehubServer

PASSPHRASE = "import me"

# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def http01(acmehub: AcmehubServer) -> Iterator[Http01Responder]:
    responder = Http01Responder(acmehub.http01_port).start()
    yield responder
    responder.stop()


@pytest.fixture
def flows(dns_server: ChallTestSrv, http01: Http01Responder) -> Flows:
    return Flows(dns_server, http01)


@pytest.fixture
def clients(acmehub: AcmehubServer) -> Iterator[Clients]:
    made = Clients(acmehub)
    yield made
    made.close()


@pytest.fixture
def operator(api_as: ApiFactory) -> httpx.Client:
    return api_as(Role.OPERATOR)


@pytest.fixture
def auditor(api_as: ApiFactory) -> httpx.Client:
    return api_as(Role.AUDITOR)


def new_authority(api: httpx.Client, **body: Any) -> dict[str, Any]:
    body.setdefault("name", label("CA"))
    uuid = created(api, "/authorities", body)
    doc: dict[str, Any] = ok(api.get(f"/authorities/{uuid}"))
    return doc


def chain_of(doc: dict[str, Any]) -> list[x509.Certificate]:
    return x509.load_pem_x509_certificates(doc["chain"].encode())


def issue_through(
    api: httpx.Client, clients: Clients, flows: Flows, authority: dict[str, Any]
) -> tuple[Any, dict[str, Any], dict[str, Any]]:
    """An ACME account on a new RA profile of ``authority``, and a ready order of it."""
    ra = new_ra_profile(api, authority["uuid"])
    acme = new_acme_profile(api, ra)
    activate(api, ra, acme)
    client = clients("acme", acme["name"])
    order_url, order = flows.ready_order(client, [unique_name()])
    return client, {"url": order_url, **order}, ra


# --------------------------------------------------------------------------- reads


def test_the_embedded_authority_shows_its_certificate_and_chain(
    api: httpx.Client, auditor: httpx.Client
) -> None:
    listed = default_authority(auditor)
    doc = ok(auditor.get(f"/authorities/{listed['uuid']}"))
    assert doc == listed
    assert (doc["kind"], doc["enabled"], doc["problem"]) == ("embedded", True, None)
    assert doc["keyType"] in ("ec-p256", "ec-p384", "rsa-3072")
    intermediate, root = chain_of(doc)
    cert = doc["certificate"]
    assert cert["subject"] == intermediate.subject.rfc4514_string()
    assert cert["issuer"] == root.subject.rfc4514_string()
    assert cert["serialNumber"] == octets_hex(intermediate.serial_number)
    assert datetime.fromisoformat(cert["notBefore"]) == intermediate.not_valid_before_utc
    assert datetime.fromisoformat(cert["notAfter"]) == intermediate.not_valid_after_utc
    assert "default" in [r["name"] for r in doc["raProfiles"]]


def test_unknown_authorities_are_not_found(api: httpx.Client) -> None:
    for response in (
        api.get("/authorities/nope"),
        api.delete("/authorities/nope"),
        api.patch("/authorities/nope/enable"),
        api.patch("/authorities/nope/disable"),
    ):
        problem(response, 404, "Authority not found")


# --------------------------------------------------------------------------- create


@pytest.mark.parametrize("key_type", ["ec-p384", "rsa-3072"])
def test_generate_a_new_ca(api: httpx.Client, acmehub: AcmehubServer, key_type: str) -> None:
    name = label("Generated CA")
    doc = new_authority(api, name=name, keyType=key_type)
    assert (doc["name"], doc["kind"], doc["enabled"], doc["keyType"]) == (
        name,
        "embedded",
        True,
        key_type,
    )
    intermediate, root = chain_of(doc)
    assert name in doc["certificate"]["subject"]
    assert root.subject == intermediate.issuer == root.issuer
    assert doc["raProfiles"] == []
    [event] = audit_events(acmehub, "authority.create", doc["uuid"])
    assert (event.detail["name"], event.detail["how"]) == (name, "generate")


def test_names_are_unique(api: httpx.Client) -> None:
    doc = new_authority(api)
    problem(api.post("/authorities", json={"name": doc["name"]}), 409, "already exists")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({}, "name"),
        ({"name": "x", "kind": "remote"}, "kind"),
        ({"name": "x", "keyType": "dsa-1024"}, "keyType"),
        ({"name": "x", "importCa": {"certificate": "junk"}}, "privateKey"),
    ],
)
def test_invalid_input_is_refused_naming_the_field(
    api: httpx.Client, body: dict[str, Any], field: str
) -> None:
    problem(api.post("/authorities", json=body), 422, field)


def test_import_an_existing_ca_and_issue_from_it(
    api: httpx.Client,
    clients: Clients,
    flows: Flows,
    tmp_path: Path,
    acmehub: AcmehubServer,
) -> None:
    name = label("Imported")
    files = create_embedded_authority(
        tmp_path / "ca", name=name, passphrase=PASSPHRASE.encode(), now=datetime.now(UTC)
    )
    body = {
        "name": name,
        "importCa": {
            "certificate": Path(files["issuer_cert"]).read_text(),
            "privateKey": Path(files["issuer_key"]).read_text(),
            "chain": Path(files["root_cert"]).read_text(),
            "passphrase": PASSPHRASE,
        },
    }
    doc = new_authority(api, **body)
    issuing = x509.load_pem_x509_certificate(Path(files["issuer_cert"]).read_bytes())
    assert doc["certificate"]["subject"] == issuing.subject.rfc4514_string()
    assert [c.subject for c in chain_of(doc)] == [issuing.subject, issuing.issuer]
    [event] = audit_events(acmehub, "authority.create", doc["uuid"])
    assert event.detail["how"] == "import"

    # The server holds the key (protected by its own passphrase setting) and issues with it.
    client, order, _ = issue_through(api, clients, flows, doc)
    done = flows.finalize(client, order["url"], order)
    leaf = x509.load_pem_x509_certificates(client.get(done["certificate"]).content)[0]
    assert leaf.issuer == issuing.subject


def test_import_refuses_what_does_not_fit(api: httpx.Client, tmp_path: Path) -> None:
    one = create_embedded_authority(tmp_path / "one", name="one", now=datetime.now(UTC))
    two = create_embedded_authority(tmp_path / "two", name="two", now=datetime.now(UTC))
    mismatched = {
        "certificate": Path(one["issuer_cert"]).read_text(),
        "privateKey": Path(two["issuer_key"]).read_text(),
        "chain": Path(one["root_cert"]).read_text(),
    }
    body = {"name": label("bad"), "importCa": mismatched}
    problem(api.post("/authorities", json=body), 422, "does not match")
    wrong_chain = {**mismatched, "privateKey": Path(one["issuer_key"]).read_text()}
    wrong_chain["chain"] = Path(two["root_cert"]).read_text()
    body = {"name": label("bad"), "importCa": wrong_chain}
    problem(api.post("/authorities", json=body), 422, "did not issue")


# --------------------------------------------------------------------------- enable / disable


def test_enable_and_disable(
    api: httpx.Client, operator: httpx.Client, auditor: httpx.Client, acmehub: AcmehubServer
) -> None:
    doc = new_authority(api)
    url = f"/authorities/{doc['uuid']}"
    problem(operator.patch(f"{url}/enable"), 422, "is already enabled")
    problem(auditor.patch(f"{url}/disable"), 403, "needs the operator role")
    assert operator.patch(f"{url}/disable").status_code == 204
    problem(operator.patch(f"{url}/disable"), 422, "is already disabled")
    assert ok(api.get(url))["enabled"] is False
    assert operator.patch(f"{url}/enable").status_code == 204
    assert ok(api.get(url))["enabled"] is True
    assert len(audit_events(acmehub, "authority.disable", doc["uuid"])) == 1
    assert len(audit_events(acmehub, "authority.enable", doc["uuid"])) == 1


def test_a_disabled_authority_refuses_issuance(
    acmehub: AcmehubServer,
    api: httpx.Client,
    operator: httpx.Client,
    clients: Clients,
    flows: Flows,
) -> None:
    authority = new_authority(api)
    client, order, ra = issue_through(api, clients, flows, authority)
    url = f"/authorities/{authority['uuid']}"
    assert operator.patch(f"{url}/disable").status_code == 204

    csr, _ = make_csr([i["value"] for i in order["identifiers"]])
    response = client.post(order["finalize"], {"csr": b64url(csr)})
    doc = response.json()
    assert (doc["status"], doc["error"]["type"]) == (
        "invalid",
        "urn:ietf:params:acme:error:serverInternal",
    ), doc
    # The client reads a reference; the server's log says which authority, under it.
    found = re.fullmatch(r"internal error, reference ([0-9a-f]{8})", doc["error"]["detail"])
    assert found, doc
    assert authority["name"] not in response.text
    assert ra["name"] not in response.text
    logged = [line for line in acmehub.log_path.read_text().splitlines() if found[1] in line]
    assert logged, "the reference is not in the server's log"
    assert f"Authority '{authority['name']}'" in logged[0]
    assert f"RA Profile '{ra['name']}' is disabled" in logged[0]
    assert client.get(order["url"]).json()["status"] == "invalid"

    # Enabled again, it issues.
    assert operator.patch(f"{url}/enable").status_code == 204
    _, issued = flows.issue(client, [unique_name()])
    assert issued["status"] == "valid"
    assert last_segment(issued["certificate"])


# --------------------------------------------------------------------------- delete and roles


def test_delete_is_refused_while_ra_profiles_use_it(
    api: httpx.Client, acmehub: AcmehubServer
) -> None:
    doc = new_authority(api)
    ra = new_ra_profile(api, doc["uuid"])
    url = f"/authorities/{doc['uuid']}"
    problem(api.delete(url), 422, f"used by 1 RA Profile(s): {ra['name']}")
    assert ok(api.get(url))["raProfiles"] == [{"uuid": ra["uuid"], "name": ra["name"]}]
    assert api.delete(ra_url(ra)).status_code == 204
    assert api.delete(url).status_code == 204
    problem(api.get(url), 404)
    assert doc["uuid"] not in [a["uuid"] for a in ok(api.get("/authorities"))["items"]]
    [event] = audit_events(acmehub, "authority.delete", doc["uuid"])
    assert event.detail["name"] == doc["name"]


def test_roles(
    api: httpx.Client, operator: httpx.Client, auditor: httpx.Client, anonymous: httpx.Client
) -> None:
    doc = new_authority(api)
    url = f"/authorities/{doc['uuid']}"
    assert doc["uuid"] in [a["uuid"] for a in ok(auditor.get("/authorities"))["items"]]
    for client in (auditor, operator):
        problem(client.post("/authorities", json={"name": label("no")}), 403, "admin role")
        problem(client.delete(url), 403, "admin role")
    problem(anonymous.get("/authorities"), 401)
    problem(anonymous.get(url), 401)
    assert ok(api.get(url))["uuid"] == doc["uuid"]


# --------------------------------------------------------------------------- alternate chains


def test_cross_sign_adds_an_alternate_chain_served_with_certificates(
    api: httpx.Client,
    operator: httpx.Client,
    acmehub: AcmehubServer,
    clients: Clients,
    flows: Flows,
) -> None:
    doc = new_authority(api)
    assert doc["alternateChains"] == []
    url = f"/authorities/{doc['uuid']}/crossSign"
    problem(operator.post(url), 403, "admin role")

    crossed = ok(api.post(url))
    [alternate] = crossed["alternateChains"]
    twin, new_root = x509.load_pem_x509_certificates(alternate.encode())
    intermediate, _ = chain_of(crossed)
    assert (twin.subject, twin.public_key()) == (intermediate.subject, intermediate.public_key())
    assert twin.issuer == new_root.subject
    assert crossed["chain"] == doc["chain"]  # the default chain stays as it was
    [event] = audit_events(acmehub, "authority.cross_sign", doc["uuid"])
    assert event.detail["alternates"] == 1

    # RFC 8555 §7.4.2: a certificate of this Authority links its alternate chain.
    client, order, _ = issue_through(api, clients, flows, crossed)
    valid = flows.finalize(client, order["url"], order)
    response = client.get(valid["certificate"])
    assert response.headers["Link"].count('rel="alternate"') == 1
