"""ACME Renewal Information (RFC 9773) over HTTP: the directory's renewalInfo, GET
renewalInfo/{certID}, windows moved by an administrator or by revocation, and new-order's
``replaces`` (§5), through both URL families."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import httpx
from cryptography import x509

from acmehub.services.admin import CLI_ACTOR
from acmehub.services.commands.renewal import RenewalScopeKind, RenewEarlyRequest
from tests.integration.conftest import (
    Clients,
    Flows,
    Profiles,
    State,
    assert_problem,
    assert_rituals,
    unique_name,
)
from tests.integration.test_protocol_revoke import Issued, issue, revoke
from tests.support.acme_client import AcmeClient
from tests.support.server import AcmehubServer


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def cert_id(leaf: x509.Certificate) -> str:
    """RFC 9773 §4.1, computed from the certificate as a client does."""
    aki = leaf.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
    assert aki.key_identifier
    serial = leaf.serial_number
    return _b64(aki.key_identifier) + "." + _b64(serial.to_bytes(serial.bit_length() // 8 + 1))


def renewal_info(acmehub: AcmehubServer, client: AcmeClient, ident: str) -> httpx.Response:
    with acmehub.client() as http:
        return http.get(client.directory["renewalInfo"] + "/" + ident)


def window(response: httpx.Response) -> tuple[datetime, datetime]:
    doc = response.json()["suggestedWindow"]
    start = datetime.fromisoformat(doc["start"].replace("Z", "+00:00"))
    end = datetime.fromisoformat(doc["end"].replace("Z", "+00:00"))
    assert start < end  # RFC 9773 §4.2: a window whose end is not after its start is invalid
    return start, end


def test_default_window_in_the_last_third(
    acmehub: AcmehubServer, client: AcmeClient, flows: Flows, family: str
) -> None:
    issued = issue(client, flows)
    url = client.directory["renewalInfo"]
    assert url == client.directory_url.removesuffix("/directory") + "/renewal-info"
    response = renewal_info(acmehub, client, cert_id(issued.leaf))
    assert response.status_code == 200, response.text
    assert_rituals(response, client.directory_url)
    assert response.headers["Retry-After"] == "21600"  # six hours, as Boulder
    start, end = window(response)
    nb, na = issued.leaf.not_valid_before_utc, issued.leaf.not_valid_after_utc
    life = na - nb
    assert nb + life * 2 / 3 - timedelta(seconds=1) <= start
    assert end <= na
    assert "explanationURL" not in response.json()
    # The same answer every time: the window is fixed per certificate.
    assert window(renewal_info(acmehub, client, cert_id(issued.leaf))) == (start, end)


def test_windows_spread_over_a_fleet(
    acmehub: AcmehubServer, clients: Clients, flows: Flows
) -> None:
    client = clients()
    starts = {
        window(renewal_info(acmehub, client, cert_id(issue(client, flows).leaf)))[0]
        for _ in range(3)
    }
    assert len(starts) == 3  # issued within seconds, yet three different windows


def test_unknown_and_malformed_cert_ids(
    acmehub: AcmehubServer, clients: Clients, flows: Flows
) -> None:
    client = clients()
    issued = issue(client, flows)
    aki, _ = cert_id(issued.leaf).split(".")
    unknown = renewal_info(acmehub, client, aki + "." + _b64(b"\x01\x02\x03\x04\x05\x06\x07\x08"))
    assert_problem(unknown, 404, "malformed", "no certificate", client.directory_url)
    serial = cert_id(issued.leaf).split(".")[1]
    other_issuer = renewal_info(acmehub, client, _b64(b"\x00" * 20) + "." + serial)
    assert_problem(other_issuer, 404, "malformed", "no certificate")
    for bad in ("nodot", "a.b.c", "aGk.", "aGk=.AQ", "aGk.AAE", "aGk.gA", "aGk.AA"):
        response = renewal_info(acmehub, client, bad)
        assert_problem(response, 400, "malformed", "certID")


def test_revoked_and_moved_windows_lie_in_the_past(
    acmehub: AcmehubServer, clients: Clients, flows: Flows
) -> None:
    client = clients("raProfile")
    revoked, moved, untouched = (issue(client, flows) for _ in range(3))
    assert revoke(client, revoked.der, 4).status_code == 200
    now = datetime.now(UTC)
    start, end = window(renewal_info(acmehub, client, cert_id(revoked.leaf)))
    assert end <= now + timedelta(seconds=1)
    result = acmehub.container().services.renewal_info.renew_early(
        CLI_ACTOR,
        RenewEarlyRequest(
            scope=RenewalScopeKind.CERTIFICATE,
            target=moved.leaf.serial_number.to_bytes(20).hex(),
            explanation_url="https://status.example/incident-42",
        ),
    )
    assert result.moved == 1
    response = renewal_info(acmehub, client, cert_id(moved.leaf))
    start, end = window(response)
    assert end <= datetime.now(UTC) + timedelta(seconds=1)
    assert response.json()["explanationURL"] == "https://status.example/incident-42"
    start, _ = window(renewal_info(acmehub, client, cert_id(untouched.leaf)))
    assert start > datetime.now(UTC) + timedelta(days=30)


def test_renewal_info_off_for_a_profile(
    acmehub: AcmehubServer, clients: Clients, flows: Flows, profiles: Profiles
) -> None:
    issued = issue(clients(), flows)
    acme = profiles.acme_profile(renewal_info=False)
    client = clients(profile=acme.name)
    assert "renewalInfo" not in client.directory
    url = client.directory_url.removesuffix("/directory") + "/renewal-info/" + cert_id(issued.leaf)
    with acmehub.client() as http:
        assert_problem(http.get(url), 404, "malformed", "no renewal information")
    # "replaces" is then an unknown field: ignored (RFC 8555 §7.4 lets servers ignore them).
    response = client.new_order([unique_name()], replaces=cert_id(issued.leaf))
    assert response.status_code == 201, response.text
    assert "replaces" not in response.json()


def test_new_order_replaces(
    acmehub: AcmehubServer, client: AcmeClient, clients: Clients, flows: Flows, state: State
) -> None:
    issued: Issued = issue(client, flows)
    ident = cert_id(issued.leaf)
    response = client.new_order(issued.names, replaces=ident)
    assert response.status_code == 201, response.text
    assert response.json()["replaces"] == ident
    order_url = response.headers["Location"]
    assert client.get(order_url).json()["replaces"] == ident
    assert state.order(order_url.rsplit("/", 1)[-1]).replaces == ident
    # RFC 9773 §5: a certificate replaced by an order that is not invalid: 409 alreadyReplaced.
    again = client.new_order(issued.names, replaces=ident)
    assert_problem(again, 409, "alreadyReplaced", "already replaced", client.directory_url)


def test_replaces_refusals(
    acmehub: AcmehubServer, client: AcmeClient, clients: Clients, flows: Flows, family: str
) -> None:
    issued = issue(client, flows)
    ident = cert_id(issued.leaf)
    other = clients(family)
    assert_problem(other.new_order(issued.names, replaces=ident), 403, "unauthorized", "another")
    elsewhere = client.new_order([unique_name()], replaces=ident)
    assert_problem(elsewhere, 400, "malformed", "shares no identifier")
    assert_problem(client.new_order(issued.names, replaces="zz"), 400, "malformed", "certID")
    assert_problem(client.new_order(issued.names, replaces=7), 400, "malformed", "replaces")
    aki = ident.split(".")[0]
    unknown = client.new_order(issued.names, replaces=aki + ".AQIDBA")
    assert_problem(unknown, 400, "malformed", "no certificate")
