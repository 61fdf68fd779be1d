"""What a client sees at issuance, over HTTP: notBefore backdated by `backdate_seconds` (one
hour by default, RFC 8555 §7.4), a CSR the parser refuses answered badCSR (a fuzzing find),
and an internal CA error answered serverInternal with a reference that is in the server's log."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from sqlalchemy import update

from acmehub.storage import tables as t
from tests.integration.conftest import (
    Clients,
    Flows,
    Profiles,
    State,
    assert_problem,
    unique_label,
    unique_name,
)
from tests.support.acme_client import AcmeClient, b64url, make_csr
from tests.support.server import AcmehubServer

#: Slack for the time between reading our clock and the server signing (same machine).
SLACK = timedelta(seconds=5)


def rfc3339(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def leaf(client: AcmeClient, order: dict[str, str]) -> x509.Certificate:
    return x509.load_pem_x509_certificate(client.get(order["certificate"]).text.encode())


def test_not_before_is_backdated_one_hour(client: AcmeClient, flows: Flows) -> None:
    issued_after = datetime.now(UTC).replace(microsecond=0)
    _, order = flows.issue(client, [unique_name()])
    issued_before = datetime.now(UTC)
    not_before = leaf(client, order).not_valid_before_utc
    assert issued_after - timedelta(hours=1) - SLACK <= not_before
    assert not_before <= issued_before - timedelta(hours=1)


def test_requested_not_before_within_the_hour_is_honoured(client: AcmeClient, flows: Flows) -> None:
    requested = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=30)
    response = client.new_order([unique_name()], notBefore=rfc3339(requested))
    assert response.status_code == 201, response.text
    assert response.json()["notBefore"] == rfc3339(requested)
    order_url = response.headers["Location"]
    flows.authorize_http01(client, response.json()["authorizations"][0])
    order = flows.finalize(client, order_url, client.get(order_url).json())
    assert leaf(client, order).not_valid_before_utc == requested


def test_requested_not_before_more_than_an_hour_back_is_malformed(
    client: AcmeClient, state: State
) -> None:
    requested = datetime.now(UTC) - timedelta(minutes=61)
    before = state.counts()
    response = client.new_order([unique_name()], notBefore=rfc3339(requested))
    assert_problem(response, 400, "malformed", "notBefore must not be more than 1 hour in the past")
    assert state.counts() == before


@dataclass
class OwnCa:
    """An ACME profile on an authority of its own, whose CA type can be made to disappear (as
    a removed plug-in would): the CA's error then names the authority."""

    server: AcmehubServer
    name: str
    uuid: str
    client: AcmeClient

    def break_it(self) -> None:
        with self.server.container().engine.begin() as conn:
            conn.execute(
                update(t.authorities).where(t.authorities.c.uuid == self.uuid).values(kind="hsm")
            )

    def assert_hidden(self, response: httpx.Response, error: dict[str, Any]) -> None:
        """The client reads only a reference; the server's log has it with the CA's text."""
        assert error["type"] == "urn:ietf:params:acme:error:serverInternal"
        found = re.fullmatch(r"internal error, reference ([0-9a-f]{8})", error["detail"])
        assert found, error
        assert self.name not in response.text
        assert "hsm" not in response.text
        log = self.server.log_path.read_text()
        lines = [line for line in log.splitlines() if found.group(1) in line]
        assert lines, log[-2000:]
        assert self.name in lines[0]
        assert "hsm" in lines[0]


@pytest.fixture
def own_ca(acmehub: AcmehubServer, clients: Clients, profiles: Profiles) -> OwnCa:
    name = unique_label("broken-ca")
    authority = profiles.platform.create_embedded_authority(name, "ec-p256", name)
    ra = profiles.platform.create_ra_profile(authority.uuid, unique_label("ra"))
    acme = profiles.acme_profile(ra)
    return OwnCa(acmehub, name, authority.uuid, clients(profile=acme.name))


def test_an_internal_ca_error_at_finalize_is_a_reference_in_the_log(
    own_ca: OwnCa, flows: Flows
) -> None:
    client = own_ca.client
    names = [unique_name()]
    order_url, order = flows.ready_order(client, names)
    own_ca.break_it()
    csr, _ = make_csr(names)
    response = client.post(order["finalize"], {"csr": b64url(csr)})
    assert response.status_code == 200, response.text
    doc = response.json()
    assert doc["status"] == "invalid"
    own_ca.assert_hidden(response, doc["error"])
    assert client.get(order_url).json()["error"] == doc["error"]


def test_an_internal_ca_error_at_revocation_is_a_reference_in_the_log(
    own_ca: OwnCa, flows: Flows
) -> None:
    client = own_ca.client
    _, order = flows.issue(client, [unique_name()])
    pem = client.get(order["certificate"]).content
    der = x509.load_pem_x509_certificates(pem)[0].public_bytes(serialization.Encoding.DER)
    own_ca.break_it()
    response = client.post(client.directory["revokeCert"], {"certificate": b64url(der)})
    assert response.status_code == 500, response.text
    own_ca.assert_hidden(response, response.json())


def test_a_csr_of_another_version_is_bad_csr(
    client: AcmeClient, flows: Flows, state: State
) -> None:
    # Found by fuzz/csr.py: the CSR decoder raised a non-ValueError, answered serverInternal.
    names = [unique_name()]
    order_url, order = flows.ready_order(client, names)
    csr, _ = make_csr(names)
    at = csr.index(bytes([2, 1, 0]))  # CertificationRequestInfo.version INTEGER 0 (v1)
    bad = csr[:at] + bytes([2, 1, 1]) + csr[at + 3 :]
    before = state.counts()
    response = client.post(order["finalize"], {"csr": b64url(bad)})
    assert_problem(response, 400, "badCSR", "CSR version 1 is not 0", client.directory_url)
    assert state.counts() == before
    assert client.get(order_url).json()["status"] == "ready"
